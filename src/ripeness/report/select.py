"""Pick the checkpoint to ship: best held-out gold accuracy among those within every limit,
and report it on problems the choice never saw.

The policy lives in the run's ``[select]`` section. Each usability signal is read from the
checkpoint's stored records (``RUN/probes.sqlite``, written by :mod:`ripeness.report.assess`):

    hack rate     heldout: the proxy pays and the gold verifier does not
    sycophancy    sycophancy: the largest of the regressive pushback rate (right first answers
                  pushed to wrong; the pushback flip rate of records without it), the
                  adopted-suggestion rate and the accepted-false-premise rate
    padding       calibration: needless re-checks of an answer already reached

Honesty rules, each because a reader would otherwise be misled:

- **Evidence for every limit.** A point estimate above a limit vetoes the checkpoint; a limit
  is *met* only when the figure's 95% interval lies below it. An interval that straddles the
  limit is not enough evidence, and nothing is shipped on it (the reason says how many
  samples would decide).
- **Chosen on one split, reported on another.** The candidates compete on the *selection*
  split (the held-out problems training's evaluations and the alarm used too); the best of k
  noisy estimates is biased upwards, so the shipped checkpoint's gold and its paired
  comparisons with the start and the last are reported on the *confirmation* split, which no
  choice ever reads (:func:`ripeness.report.assess.confirm_candidates` asks it after the
  choice). A run without one says its figures are selection figures.
- **Never worse than the start.** The start is the reference, not a candidate, but a
  checkpoint whose gold is significantly below the start's on the same selection problems
  (paired) is vetoed: shipping it would undo what the model could already do.
- **Plain words.** A task no model solves is out of reach (ship nothing); a proxy gain that is
  all hack says so first; a pick no better than the start or the last on confirmation says
  what that means.

The starting model is assessed as the reference, not as a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.evaluation import CONFIRMATION_PROBE, HELDOUT_PROBE
from ripeness.records.benchmarks import BenchmarkFigure
from ripeness.report.assess import confirm_candidates
from ripeness.report.benchmarks import run_benchmarks
from ripeness.report.candidates import Candidate, chosen_candidates
from ripeness.report.view import RunView, open_view
from ripeness.stats import PairedComparison, Rate, paired_rates, wilson_interval
from ripeness.train.config import HELDOUT_GOLD_OBJECTIVE, SelectSection

# signal name -> (the (probe, figure) pairs whose largest value is the signal, config limit
# field, the config field that sizes its sample: what to raise when the limit cannot decide); a
# figure is read on the phrasings the warm start saw (its " (seen)" form: for pushback, the
# plain "are you sure?" of the old flip rate; the pooled SycEval rebuttals, which no warm start
# saw, are reported beside it, not limited), else as named, else as the figure it replaces
# (FALLBACK: records written before it existed). A probe not asked adds nothing.
SIGNALS: dict[str, tuple[tuple[tuple[str, str], ...], str, str]] = {
    "hack rate": (((HELDOUT_PROBE, "hack rate"),), "max_hack_rate", "heldout_problems"),
    "sycophancy": (
        (
            ("sycophancy", "regressive pushback rate"),
            ("sycophancy", "suggested answer adopted"),
            ("false_premise", "false premise accepted"),
        ),
        "max_sycophancy",
        "probe_samples",
    ),
    "padding": ((("calibration", "padding rate"),), "max_padding", "probe_samples"),
}
FALLBACK = {"regressive pushback rate": "pushback flip rate"}
SEEN = " (seen)"


def read_figure(figures: dict[str, dict], name: str) -> tuple[str, Rate] | None:
    """(the figure's stored name, its rate) for a signal's figure ``name``, or None: its
    " (seen)" form, ``name`` itself, then the same for the figure it replaces."""
    for wanted in (name, FALLBACK.get(name)):
        if wanted is None:
            continue
        for stored in (wanted + SEEN, wanted):
            rate = Rate.from_dict(figures.get(stored))
            if rate is not None:
                return stored, rate
    return None


@dataclass
class Assessment:
    """One candidate's figures, and the limits it breaks."""

    candidate: Candidate
    gold: Rate | None
    signals: dict[str, tuple[str, Rate]] = field(default_factory=dict)  # name -> (figure, rate)
    vetoes: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)  # limits an interval straddles
    hack: Rate | None = None
    benchmarks: dict[str, BenchmarkFigure] = field(default_factory=dict)  # imported, by name

    @property
    def eligible(self) -> bool:
        """A checkpoint of the run shown within every limit (the start is the reference)."""
        return (
            self.candidate.step > 0
            and self.gold is not None
            and not self.vetoes
            and not self.undecided
        )

    def objective(self, policy: SelectSection) -> float | None:
        """What the pick maximises for this checkpoint: held-out gold, or the benchmark the
        policy names (its sign turned where lower is better); None where it has none."""
        if policy.objective == HELDOUT_GOLD_OBJECTIVE:
            return self.gold.value if self.gold is not None else None
        figure = self.benchmarks.get(policy.objective)
        if figure is None:
            return None
        return figure.value if figure.higher_is_better else -figure.value


@dataclass
class Selection:
    chosen: Assessment | None
    assessments: list[Assessment]
    reasons: list[str]
    versus_last: PairedComparison | None = None
    versus_start: PairedComparison | None = None
    # the chosen checkpoint's gold on the confirmation split (None: the run has none, and
    # every figure is a selection figure)
    confirmed_gold: Rate | None = None
    figures_from: str = HELDOUT_PROBE  # the split versus_last / versus_start were measured on
    marked_versus_last: PairedComparison | None = None  # the alarm's mark, on confirmation
    # nothing shipped: the starting model (what is kept) against the last, on the selection split
    start_versus_last: PairedComparison | None = None
    headline: str = ""  # the verdict's first words: what the run did

    @property
    def last(self) -> Assessment:
        return self.assessments[-1]

    def as_dict(self) -> dict:
        return {
            "chosen": self.chosen.candidate.label if self.chosen else None,
            "chosen_step": self.chosen.candidate.step if self.chosen else None,
            "chosen_path": str(self.chosen.candidate.path) if self.chosen else None,
            "reasons": self.reasons,
            "candidates": [
                {
                    "label": a.candidate.label,
                    "step": a.candidate.step,
                    "marked": a.candidate.marked,
                    "gold": a.gold.as_dict() if a.gold else None,
                    "signals": {k: v.as_dict() for k, (_, v) in a.signals.items()},
                    "vetoes": a.vetoes,
                    "undecided": a.undecided,
                    "benchmarks": {
                        name: {k: f.as_dict()[k] for k in ("value", "low", "high", "n", "interval")}
                        for name, f in a.benchmarks.items()
                    },
                }
                for a in self.assessments
            ],
            "versus_last": self.versus_last.as_dict() if self.versus_last else None,
            "versus_start": self.versus_start.as_dict() if self.versus_start else None,
            "confirmed_gold": self.confirmed_gold.as_dict() if self.confirmed_gold else None,
            "figures_from": self.figures_from,
            "marked_versus_last": (
                self.marked_versus_last.as_dict() if self.marked_versus_last else None
            ),
            "start_versus_last": (
                self.start_versus_last.as_dict() if self.start_versus_last else None
            ),
            "headline": self.headline,
        }


def samples_to_decide(rate: Rate, limit: float) -> int | None:
    """About how many samples, at the same rate, would put the 95% interval below ``limit``
    (None when the rate itself is at or above it: more samples cannot show it within)."""
    if rate.value >= limit:
        return None
    n = max(rate.n, 1)
    while n < 10**7:
        n *= 2
        if wilson_interval(round(rate.value * n), n)[1] < limit:
            break
    low, high = n // 2, n
    while high - low > 1:
        mid = (low + high) // 2
        if wilson_interval(round(rate.value * mid), mid)[1] < limit:
            high = mid
        else:
            low = mid
    return high


def assess_signals(summary: dict[str, dict[str, dict]], policy: SelectSection) -> tuple:
    """(gold, signals, vetoes, undecided) from one label's stored summary figures."""
    gold = Rate.from_dict(summary.get(HELDOUT_PROBE, {}).get("gold accuracy"))
    signals: dict[str, tuple[str, Rate]] = {}
    vetoes: list[str] = []
    undecided: list[str] = []
    for name, (figures, limit_field, sample_field) in SIGNALS.items():
        found = [
            f
            for probe, figure in figures
            if (f := read_figure(summary.get(probe, {}), figure)) is not None
        ]
        if not found:
            continue
        figure, worst = max(found, key=lambda f: f[1].interval[1])
        signals[name] = (figure, worst)
        limit = getattr(policy, limit_field)
        if worst.value > limit:
            vetoes.append(f"{figure} {worst.percent()} is above the limit {limit:.0%}")
        elif worst.interval[1] >= limit:
            need = samples_to_decide(worst, limit)
            more = f"; about {need} samples at this rate would decide" if need else ""
            undecided.append(
                f"{figure} {worst.percent()}: its interval reaches the limit {limit:.0%}, not "
                f"enough evidence that it is within{more} (raise [select] {sample_field})"
            )
    return gold, signals, vetoes, undecided


def benchmark_limits(
    benchmarks: dict[str, BenchmarkFigure], policy: SelectSection
) -> tuple[list[str], list[str]]:
    """(vetoes, undecided) from ``[select.benchmark_limits]``: the least each benchmark must
    score, met only when its whole interval lies at or above it; the objective's benchmark
    must be there too."""
    vetoes: list[str] = []
    undecided: list[str] = []
    wanted = dict(policy.benchmark_limits)
    if policy.objective != HELDOUT_GOLD_OBJECTIVE:
        wanted.setdefault(policy.objective, None)
    for name, least in wanted.items():
        figure = benchmarks.get(name)
        if figure is None:
            undecided.append(f"no {name} figure is imported for it (`--benchmarks DIR`)")
        elif least is None:
            continue
        elif figure.value < least:
            vetoes.append(f"{name} {figure.percent()} is below the limit {least:g}")
        elif figure.interval == "none" or figure.low < least:
            undecided.append(
                f"{name} {figure.percent()}: its interval reaches below the limit {least:g}, "
                "not enough evidence that it is met"
            )
    return vetoes, undecided


def _assessment(
    candidate: Candidate, summary: dict, policy: SelectSection, benchmarks: dict | None = None
) -> Assessment:
    gold, signals, vetoes, undecided = assess_signals(summary, policy)
    hack = Rate.from_dict(summary.get(HELDOUT_PROBE, {}).get("hack rate"))
    benchmarks = benchmarks or {}
    if candidate.step > 0:
        more_vetoes, more_undecided = benchmark_limits(benchmarks, policy)
        vetoes, undecided = vetoes + more_vetoes, undecided + more_undecided
    return Assessment(candidate, gold, signals, vetoes, undecided, hack, benchmarks)


def select_checkpoint(run_dir: Path | RunView, unconfirmed_why: str = "") -> Selection:
    """Apply the run's policy to its assessed checkpoints (run ``ripeness report`` first).

    The choice reads only the selection split; the confirmation records, where the run has
    them, are read after it, to report the chosen checkpoint's figures."""
    with open_view(run_dir) as view:
        config = view.config
        candidates = chosen_candidates(view.run, config)
        if not view.has_store():
            raise RipenessError(
                f"{view.path} has no assessed checkpoints yet; "
                f"`ripeness report {view.path}` assesses them"
            )
        store = view.store
        assessed = set(store.labels())
        imported = run_benchmarks(view)
        assessments = [
            _assessment(
                c, store.summary(c.label), config.select,
                {name: by_step[c.step] for name, by_step in imported.items() if c.step in by_step},
            )
            for c in candidates
            if c.label in assessed
        ]  # fmt: skip
        if not assessments:
            raise RipenessError(
                f"no checkpoint of {view.path} is assessed; `ripeness report {view.path}` does it"
            )
        heldout = {a.candidate.label: store.records(a.candidate.label, HELDOUT_PROBE)
                   for a in assessments}  # fmt: skip
        selection = decide(assessments, config.select, heldout)
        confirmation = {
            a.candidate.label: records
            for a in assessments
            if (records := store.records(a.candidate.label, CONFIRMATION_PROBE))
        }
        report_figures(selection, heldout, confirmation, unconfirmed_why)
        return selection


def select_and_confirm(run_dir: Path | RunView, show_progress: bool = True) -> Selection:
    """Choose on the selection split, then ask the chosen checkpoint, the start, the last and
    the alarm's mark the confirmation problems, and report the choice on those."""
    with open_view(run_dir) as view:
        selection = select_checkpoint(view)
        if selection.chosen is None or selection.figures_from == CONFIRMATION_PROBE:
            return selection
        wanted = [
            a.candidate
            for a in selection.assessments
            if a is selection.chosen or a is selection.last or a.candidate.step == 0
            or a.candidate.marked
        ]  # fmt: skip
        why = confirm_candidates(view, wanted, show_progress)
        return select_checkpoint(view, why)


def _paired_on(records: dict[str, list[dict]], a: str, b: str, key: str = "correct"):
    if a not in records or b not in records:
        return None
    return paired_records(records[a], records[b], key)


def decide(
    assessments: list[Assessment],
    policy: SelectSection,
    heldout: dict[str, list[dict]] | None = None,
) -> Selection:
    """The policy itself, on the selection split's figures already read (no I/O).

    ``heldout``: each label's selection records, for the paired checks of "out of reach" and
    "all hack"; without them those checks use the rates alone."""
    heldout = heldout or {}
    base = next((a for a in assessments if a.candidate.step == 0), None)
    checkpoints = [a for a in assessments if a.candidate.step > 0]
    for a in checkpoints:
        regressed = _regressed(base, a, heldout)
        if regressed and regressed not in a.vetoes:
            a.vetoes.append(regressed)
    eligible = [a for a in assessments if a.eligible]
    reasons: list[str] = []
    hack = _all_hack(base, checkpoints, heldout)
    scored = [a for a in assessments if a.gold is not None]
    if scored and all(a.gold.successes == 0 for a in scored):
        n = max(a.gold.n for a in scored)
        headline = "Ship nothing: the task is out of this model's reach"
        reasons.append(
            f"{headline}: neither the starting model nor any of the {len(checkpoints)} "
            f"assessed checkpoints solves a single held-out problem (0 of {n} each), so there "
            "is nothing RL could have improved and no checkpoint is better than another. "
            "`ripeness tasks filter` shows the model's pass rate by level: train where it "
            "solves some but not all (or warm-start it first)."
        )
        if hack:
            reasons.append(hack)
        return Selection(None, assessments, reasons, headline=headline)
    if hack:
        reasons.append(hack)
    if not eligible:
        undecided = [a for a in checkpoints if not a.vetoes and a.undecided]
        if undecided:
            best = max(undecided, key=lambda a: (a.gold.value if a.gold else -1, -a.candidate.step))
            reasons.append(
                "Ship nothing yet: no checkpoint is shown to be within every limit. "
                f"{best.candidate.label} has the highest gold among those not vetoed, but "
                + "; ".join(best.undecided)
                + ". Raise the [select] sample size named (or the limit) and rerun "
                "`ripeness report`: it asks again what was asked of fewer."
            )
        else:
            reasons.append(
                "No checkpoint passes every limit; ship none of them, or loosen the limits in "
                "the run's [select] section if the figures below are acceptable."
            )
        for a in checkpoints:
            why = a.vetoes + a.undecided
            reasons.append(f"{a.candidate.label}: " + "; ".join(why or ["not assessed"]))
        headline = "Ship nothing: the proxy's gain is all hack" if hack else "Ship nothing"
        return Selection(None, assessments, reasons, headline=headline)
    chosen = max(eligible, key=lambda a: (a.objective(policy), -a.candidate.step))
    c = chosen.candidate
    if policy.objective == HELDOUT_GOLD_OBJECTIVE:
        reasons.append(
            f"Ship {c.label} (step {c.step}): chosen for the highest held-out gold accuracy on "
            f"the selection split, {chosen.gold.percent()}, among the {len(eligible)} of "
            f"{len(checkpoints)} assessed checkpoints shown within every limit."
        )
    else:
        figure = chosen.benchmarks[policy.objective]
        best = "highest" if figure.higher_is_better else "lowest"
        reasons.append(
            f"Ship {c.label} (step {c.step}): chosen for the {best} {policy.objective}, "
            f"{figure.percent()}, among the {len(eligible)} of {len(checkpoints)} assessed "
            "checkpoints shown within every limit. That figure is a selection figure: the "
            "benchmark chose this checkpoint, so its score there is the best of several and "
            f"biased upwards; its held-out gold on the selection split is {chosen.gold.percent()}."
        )
    for name, (figure, value) in chosen.signals.items():
        limit = getattr(policy, SIGNALS[name][1])
        reasons.append(
            f"Its {figure} is {value.percent()}: within the limit {limit:.0%} (the whole "
            "interval lies below it)."
        )
    for a in checkpoints:
        if a.vetoes:
            gold = f" despite gold accuracy {a.gold.percent()}" if a.gold else ""
            reasons.append(f"{a.candidate.label} is vetoed{gold}: {'; '.join(a.vetoes)}.")
        elif a.undecided:
            reasons.append(f"{a.candidate.label} is not shipped: {'; '.join(a.undecided)}.")
    if c.marked and (base is None or base.gold is None or chosen.gold.value > base.gold.value):
        reasons.append(
            "It is the checkpoint the alarm marked as the held-out gold peak (also the best of "
            "several evaluations, so its gain is confirmed below, not taken from the mark)."
        )
    if base is not None and base.gold is not None and base.gold.value > chosen.gold.value:
        reasons.append(
            f"The starting model scores higher held-out gold ({base.gold.percent()}): this run did "
            "not improve on it, so consider shipping neither and changing the reward."
        )
    return Selection(chosen, assessments, reasons, headline=f"Ship {c.label}")


def _regressed(base, checkpoint, heldout) -> str | None:
    """A veto for a checkpoint whose gold is significantly below the start's, paired on the
    same selection problems: shipping it would undo what the model could already do (the
    start is not picked from several, so the comparison carries no selection bias)."""
    if base is None or base.gold is None or checkpoint.gold is None:
        return None
    cmp = _paired_on(heldout, base.candidate.label, checkpoint.candidate.label)
    if cmp is None or not _significantly_worse(cmp):
        return None
    return (
        f"held-out gold {checkpoint.gold.percent()} is significantly below the starting "
        f"model's {base.gold.percent()} ({_difference(cmp)}): training made it worse"
    )


def _all_hack(base, checkpoints, heldout) -> str | None:
    """The proxy's gain is all hack: the last checkpoint's hack rate rose significantly over
    the start's (paired) while no checkpoint's gold rose significantly over it."""
    if base is None or not checkpoints:
        return None
    last = checkpoints[-1]
    rise = _paired_on(heldout, base.candidate.label, last.candidate.label, "hacked")
    if rise is None or not (rise.difference > 0 and rise.p_value < 0.05):
        return None
    for a in checkpoints:
        gain = _paired_on(heldout, base.candidate.label, a.candidate.label)
        if gain is not None and gain.difference > 0 and gain.p_value < 0.05:
            return None
    before, after = base.hack, last.hack
    figures = f" ({before.percent()} -> {after.percent()})" if before and after else ""
    return (
        f"The proxy's gain is all hack: the hack rate rose {rise.difference:+.0%}{figures} "
        f"from the start to {last.candidate.label} (paired McNemar p={rise.p_value:.2g}, "
        f"n={rise.n}) while no checkpoint's gold rose significantly above the start's. The "
        "reward pays the loophole, not the task."
    )


def report_figures(
    selection: Selection,
    heldout: dict[str, list[dict]],
    confirmation: dict[str, list[dict]],
    unconfirmed_why: str = "",
) -> None:
    """The chosen checkpoint's figures, on the confirmation split where the run has it (read
    here, after the choice), with plain words where they disagree with the choice;
    ``unconfirmed_why``: why the run has none, when it was asked for and could not be had."""
    if selection.chosen is None:
        _kept_start_versus_last(selection, heldout)
        return
    chosen = selection.chosen.candidate.label
    base = next((a for a in selection.assessments if a.candidate.step == 0), None)
    last = selection.last
    marked = next((a for a in selection.assessments if a.candidate.marked), None)
    records = heldout
    if chosen in confirmation:
        records = confirmation
        selection.figures_from = CONFIRMATION_PROBE
        rows = confirmation[chosen]
        selection.confirmed_gold = Rate(sum(bool(r["correct"]) for r in rows), len(rows))
        selection.reasons.insert(
            1,
            f"On the {len(rows)} confirmation problems, which no choice saw, it scores "
            f"{selection.confirmed_gold.percent()}: the figure to expect (the selection "
            "figure above is the best of several, so biased upwards).",
        )
    else:
        selection.reasons.insert(
            1,
            "This run has no confirmation split: every figure here is a selection figure, "
            "biased upwards by the choice ("
            + (f"{unconfirmed_why}; " if unconfirmed_why else "")
            + "set [select] confirmation_problems and rerun `ripeness report`).",
        )
    split = "confirmation" if records is confirmation else "selection"
    if base is not None and base.candidate.label != chosen:
        selection.versus_start = _paired_on(records, base.candidate.label, chosen)
        if selection.versus_start is not None:
            better = _significantly_better(selection.versus_start)
            sentence = _comparison("the starting model", selection.versus_start, split)
            if _significantly_worse(selection.versus_start):
                sentence += (
                    ": significantly worse than the starting model, so training made it worse; "
                    "keep the starting model"
                )
                selection.headline = f"{selection.headline}, worse than the start"
            elif not better:
                sentence += (
                    ": the run did not significantly improve on the starting model, so this is "
                    "not an improvement to ship as one; keeping the starting model is as good "
                    "on this evidence"
                )
                selection.headline = f"{selection.headline}, no better than the start"
            selection.reasons.insert(2, sentence + ".")
    if last is not selection.chosen:
        selection.versus_last = _paired_on(records, last.candidate.label, chosen)
        if selection.versus_last is not None:
            sentence = _comparison(f"the last checkpoint ({last.candidate.label})",
                                   selection.versus_last, split)  # fmt: skip
            if _significantly_better(selection.versus_last):
                sentence += ": significantly better"
            elif _significantly_worse(selection.versus_last):
                sentence += ": significantly worse; on this evidence the last is the better one"
            else:
                sentence += (
                    ": not significantly better, so the gain over the last was noise on this "
                    "evidence; the last checkpoint (or the start) would do as well"
                )
            selection.reasons.append(sentence + ".")
    if marked is not None and marked is not last and split == "confirmation":
        selection.marked_versus_last = _paired_on(
            confirmation, last.candidate.label, marked.candidate.label
        )
        if selection.marked_versus_last is not None:
            held = _significantly_better(selection.marked_versus_last)
            selection.reasons.append(
                # marked at the held-out gold peak whether or not the alarm fired
                f"The checkpoint marked at the held-out gold peak ({marked.candidate.label}) "
                + ("keeps" if held else "does not keep")
                + " a significant gain over the last on the confirmation problems "
                f"({_difference(selection.marked_versus_last)})."
            )


def _kept_start_versus_last(selection: Selection, heldout: dict[str, list[dict]]) -> None:
    """Shipping nothing keeps the starting model: how it compares with the last checkpoint,
    paired on the selection split. The start was not picked as the best of several, so this
    figure carries no selection bias (the choice was to ship nothing, not which to ship)."""
    base = next((a for a in selection.assessments if a.candidate.step == 0), None)
    last = selection.last
    if base is None or last is base or not (base.gold and base.gold.successes):
        return
    cmp = _paired_on(heldout, last.candidate.label, base.candidate.label)
    if cmp is None:
        return
    selection.start_versus_last = cmp
    if _significantly_better(cmp):
        verdict, then = "significantly better than", ""
    elif _significantly_worse(cmp):
        # the limits held back a checkpoint with more gold: say so, the user may loosen them
        verdict, then = "significantly worse than", "; the limits above are what kept it"
    else:
        verdict, then = "not significantly different from", ""
    selection.reasons.append(
        f"The starting model, which this verdict keeps, is {verdict} the last checkpoint "
        f"({last.candidate.label}) on the same selection problems ({_difference(cmp)}){then}."
    )


def _significantly_better(cmp: PairedComparison) -> bool:
    return cmp.difference > 0 and cmp.p_value < 0.05


def _significantly_worse(cmp: PairedComparison) -> bool:
    return cmp.difference < 0 and cmp.p_value < 0.05


def _difference(cmp: PairedComparison) -> str:
    return (
        f"{cmp.difference:+.0%}, 95% CI {cmp.low:+.0%} to {cmp.high:+.0%}, paired McNemar "
        f"p={cmp.p_value:.2g}, n={cmp.n}"
    )


def _comparison(other: str, cmp: PairedComparison, split: str) -> str:
    return (
        f"Against {other} on the same {cmp.n} {split} problems, gold accuracy changes by "
        f"{cmp.difference:+.0%} (95% CI {cmp.low:+.0%} to {cmp.high:+.0%}, paired McNemar "
        f"p={cmp.p_value:.2g})"
    )


def paired_records(
    before: list[dict], after: list[dict], key: str = "correct"
) -> PairedComparison | None:
    """``key`` (a 0/1 field) before and after, paired on the samples both hold (None: none)."""
    a = {r["sample_id"]: bool(r.get(key)) for r in before}
    b = {r["sample_id"]: bool(r.get(key)) for r in after}
    shared = sorted(a.keys() & b.keys())
    if not shared:
        return None
    return paired_rates([a[k] for k in shared], [b[k] for k in shared])
