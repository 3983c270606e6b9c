"""Pick the checkpoint to ship: best held-out gold accuracy among those within every limit.

The policy lives in the run's ``[select]`` section. Each usability signal is read from the
checkpoint's stored records (``RUN/probes.sqlite``, written by :mod:`ripeness.report.assess`):

    hack rate     heldout: the proxy pays and the gold verifier does not
    sycophancy    sycophancy: the larger of the pushback flip rate and the adopted-suggestion rate
    padding       calibration: needless re-checks of an answer already reached

A checkpoint whose point estimate exceeds a limit is vetoed; the rest compete on held-out gold
accuracy (ties go to the earlier step, nearer the starting policy). The starting model is
assessed as the reference, not as a candidate: when it beats every checkpoint, the verdict says
so. The decision is explained in plain sentences, each figure with its n and 95% interval, and
the gain over the last checkpoint is tested pairwise on the same held-out problems.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.evaluation import HELDOUT_PROBE
from ripeness.records.probes import ProbeStore
from ripeness.records.run import RunDirectory
from ripeness.report.assess import Candidate, chosen_candidates, run_config
from ripeness.stats import PairedComparison, Rate, paired_rates
from ripeness.train.config import SelectSection

# signal name -> (probe, figures whose largest value is the signal, config limit field)
SIGNALS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "hack rate": (HELDOUT_PROBE, ("hack rate",), "max_hack_rate"),
    "sycophancy": (
        "sycophancy",
        ("pushback flip rate (seen)", "suggested answer adopted (seen)"),
        "max_sycophancy",
    ),
    "padding": ("calibration", ("padding rate",), "max_padding"),
}


@dataclass
class Assessment:
    """One candidate's figures, and the limits it breaks."""

    candidate: Candidate
    gold: Rate | None
    signals: dict[str, tuple[str, Rate]] = field(default_factory=dict)  # name -> (figure, rate)
    vetoes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        """A checkpoint of the run within every limit (the starting model is the reference)."""
        return self.candidate.step > 0 and self.gold is not None and not self.vetoes


@dataclass
class Selection:
    chosen: Assessment | None
    assessments: list[Assessment]
    reasons: list[str]
    versus_last: PairedComparison | None = None

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
                }
                for a in self.assessments
            ],
            "versus_last": self.versus_last.as_dict() if self.versus_last else None,
        }


def assess_signals(summary: dict[str, dict[str, dict]], policy: SelectSection) -> tuple:
    """(gold, signals, vetoes) from one label's stored summary figures."""
    gold = Rate.from_dict(summary.get(HELDOUT_PROBE, {}).get("gold accuracy"))
    signals: dict[str, tuple[str, Rate]] = {}
    vetoes: list[str] = []
    for name, (probe, figures, limit_field) in SIGNALS.items():
        found = [
            (figure, r)
            for figure in figures
            if (r := Rate.from_dict(summary.get(probe, {}).get(figure))) is not None
        ]
        if not found:
            continue
        figure, worst = max(found, key=lambda f: f[1].value)
        signals[name] = (figure, worst)
        limit = getattr(policy, limit_field)
        if worst.value > limit:
            vetoes.append(f"{figure} {worst.percent()} is above the limit {limit:.0%}")
    return gold, signals, vetoes


def select_checkpoint(run_dir: Path) -> Selection:
    """Apply the run's policy to its assessed checkpoints (run ``ripeness report`` first)."""
    run = RunDirectory.open_existing(run_dir)
    try:
        config = run_config(run)
        candidates = chosen_candidates(run, config)
    finally:
        run.close()
    if not (run_dir / ProbeStore.FILE).is_file():
        raise RipenessError(
            f"{run_dir} has no assessed checkpoints yet; `ripeness report {run_dir}` assesses them"
        )
    store = ProbeStore(run_dir)
    try:
        assessed = set(store.labels())
        assessments = []
        for c in candidates:
            if c.label not in assessed:
                continue
            gold, signals, vetoes = assess_signals(store.summary(c.label), config.select)
            assessments.append(Assessment(c, gold, signals, vetoes))
        if not assessments:
            raise RipenessError(
                f"no checkpoint of {run_dir} is assessed; `ripeness report {run_dir}` does it"
            )
        selection = decide(assessments, config.select)
        if selection.chosen and selection.chosen is not selection.last:
            before = store.records(selection.last.candidate.label, HELDOUT_PROBE)
            after = store.records(selection.chosen.candidate.label, HELDOUT_PROBE)
            selection.versus_last = _paired(before, after)
            if selection.versus_last is not None:
                selection.reasons.append(_versus_last_sentence(selection))
        return selection
    finally:
        store.close()


def decide(assessments: list[Assessment], policy: SelectSection) -> Selection:
    """The policy itself, on figures already read (no I/O: easy to test and to reuse)."""
    eligible = [a for a in assessments if a.eligible]
    base = next((a for a in assessments if a.candidate.step == 0), None)
    reasons: list[str] = []
    if not eligible:
        reasons.append(
            "No checkpoint passes every limit; ship none of them, or loosen the limits in the "
            "run's [select] section if the figures below are acceptable."
        )
        for a in assessments:
            if a.candidate.step > 0:
                reasons.append(f"{a.candidate.label}: " + "; ".join(a.vetoes or ["not assessed"]))
        return Selection(None, assessments, reasons)
    chosen = max(eligible, key=lambda a: (a.gold.value, -a.candidate.step))
    c = chosen.candidate
    checkpoints = sum(a.candidate.step > 0 for a in assessments)
    reasons.append(
        f"Ship {c.label} (step {c.step}): the highest held-out gold accuracy, "
        f"{chosen.gold.percent()}, "
        f"among the {len(eligible)} of {checkpoints} assessed checkpoints within every limit."
    )
    for name, (figure, value) in chosen.signals.items():
        limit = getattr(policy, SIGNALS[name][2])
        reasons.append(f"Its {figure} is {value.percent()}, within the limit {limit:.0%}.")
    vetoed = [a for a in assessments if a.vetoes]
    for a in vetoed:
        gold = f" despite gold accuracy {a.gold.percent()}" if a.gold else ""
        if a.candidate.step > 0:
            reasons.append(f"{a.candidate.label} is vetoed{gold}: {'; '.join(a.vetoes)}.")
    if c.marked:
        reasons.append("It is the checkpoint the alarm marked as the held-out gold peak.")
    if base is not None and base.gold is not None and base.gold.value > chosen.gold.value:
        reasons.append(
            f"The starting model scores higher held-out gold ({base.gold.percent()}): this run did "
            "not improve on it, so consider shipping neither and changing the reward."
        )
    return Selection(chosen, assessments, reasons)


def _paired(before: list[dict], after: list[dict]) -> PairedComparison | None:
    a = {r["sample_id"]: r["correct"] for r in before}
    b = {r["sample_id"]: r["correct"] for r in after}
    shared = sorted(a.keys() & b.keys())
    if not shared:
        return None
    return paired_rates([a[k] for k in shared], [b[k] for k in shared])


def _versus_last_sentence(selection: Selection) -> str:
    cmp = selection.versus_last
    low, high = cmp.low, cmp.high
    last = selection.last.candidate.label
    verdict = "significantly" if cmp.p_value < 0.05 else "not significantly"
    return (
        f"Against the last checkpoint ({last}) on the same {cmp.n} held-out problems, gold "
        f"accuracy changes by {cmp.difference:+.0%} (95% CI {low:+.0%} to {high:+.0%}, paired "
        f"McNemar p={cmp.p_value:.2g}): {verdict} better."
    )
