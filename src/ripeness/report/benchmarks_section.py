"""The report's "Benchmarks and use" section: the users' benchmarks beside the usability
signals, per checkpoint, and a sentence wherever they move apart.

A benchmark that rises while the model gets worse to use is the talk's question ("why does
a model that tops every benchmark flop in use?") asked of this run. Each benchmark is compared
with the starting model's figure (paired by sample id where both carry samples:
:func:`ripeness.report.benchmarks.change`); held-out gold and the hack rate are paired on the
held-out problems; sycophancy and padding, whose probe records are not one outcome per
problem, by a one-sided z-test on their rates.
"""

from __future__ import annotations

from ripeness.evaluation import HELDOUT_PROBE
from ripeness.report import plots
from ripeness.report.benchmarks import change
from ripeness.report.page import escape
from ripeness.report.select import SIGNALS, Assessment, Selection, paired_records
from ripeness.stats import Rate, one_sided_p

GOLD_SIGNAL = "held-out gold"


def use_signals(a: Assessment) -> dict[str, Rate]:
    """The checkpoint's usability figures: held-out gold (higher is better), then every
    signal the selection limits (lower is better)."""
    found = {GOLD_SIGNAL: a.gold} if a.gold is not None else {}
    found.update({name: rate for name, (_, rate) in a.signals.items()})
    return found


def worsened(name: str, start: Assessment, other: Assessment, records: dict) -> str | None:
    """How ``name`` worsened significantly from the start to ``other`` (p < 0.05), or None."""
    before, after = use_signals(start).get(name), use_signals(other).get(name)
    if before is None or after is None:
        return None
    falls = name == GOLD_SIGNAL
    key = {"held-out gold": "correct", "hack rate": "hacked"}.get(name)
    a, b = records.get(start.candidate.label), records.get(other.candidate.label)
    if key and a and b:
        cmp = paired_records(a, b, key)
        if cmp is not None:
            moved = cmp.difference < 0 if falls else cmp.difference > 0
            if moved and cmp.p_value < 0.05:
                return (f"{name} {before.percent()} -> {after.percent()} "
                        f"(paired McNemar p={cmp.p_value:.2g}, n={cmp.n})")  # fmt: skip
            return None
    better, worse = (before, after) if falls else (after, before)
    p = one_sided_p(better.value, worse.value, better.n, worse.n)
    if p < 0.05:
        return f"{name} {before.percent()} -> {after.percent()} (unpaired z p={p:.2g})"
    return None


def moved_apart(selection: Selection, records: dict[str, list[dict]]) -> list[str]:
    """A sentence for each checkpoint and benchmark that, while a usability signal worsened
    significantly over the start, rose significantly (the checkpoint scores better and is
    worse to use) or held (no significant worsening: the benchmark does not see it)."""
    start = next((a for a in selection.assessments if a.candidate.step == 0), None)
    if start is None:
        return []
    sentences = []
    for a in selection.assessments:
        if a.candidate.step == 0:
            continue
        for name, figure in sorted(a.benchmarks.items()):
            first = start.benchmarks.get(name)
            moved = change(first, figure) if first is not None else None
            if moved is None or moved.significant(not figure.higher_is_better):
                continue  # nothing to compare, or the benchmark worsened with use: they agree
            worse = [w for s in use_signals(a) if (w := worsened(s, start, a, records))]
            if not worse:
                continue
            shift = f"{first.percent()} -> {figure.percent()}; {moved.words()}"
            if moved.significant(figure.higher_is_better):
                sentences.append(
                    f"{a.candidate.label}: {name} rose over the starting model ({shift}) while "
                    + "; ".join(worse)
                    + ". The benchmark and use moved apart: this checkpoint scores better "
                    "and is worse to use."
                )
            else:
                sentences.append(
                    f"{a.candidate.label}: {name} held ({shift}: no significant worsening) "
                    "while "
                    + "; ".join(worse)
                    + ". The benchmark does not see what use shows: it would not have "
                    "flagged this checkpoint."
                )
    return sentences


def _cell(figure) -> str:
    if figure is None:
        return "–"
    value, _, rest = figure.percent().partition(" ")
    return f"{value} <span class=score>{escape(rest)}</span>"


def benchmarks_section(selection: Selection, store) -> str:
    """The section ("" when the run has no imported benchmark); ``store``: the run's probe
    store, whose held-out records pair gold and the hack rate."""
    names = sorted({n for a in selection.assessments for n in a.benchmarks})
    if not names:
        return ""
    records = heldout_records(selection, store)
    uses = [GOLD_SIGNAL, *SIGNALS]
    head = "<tr><th>checkpoint</th><th>step</th>" + "".join(
        f"<th>{escape(n).replace('/', '/<br>')}</th>" for n in names + uses
    )
    rows, series = [], {n: [] for n in names + uses}
    for a in selection.assessments:
        signals = use_signals(a)
        cells = [a.benchmarks.get(n) for n in names] + [signals.get(n) for n in uses]
        rows.append(
            f"<tr><td>{escape(a.candidate.label)}</td><td>{a.candidate.step}</td>"
            + "".join(f"<td>{_cell(c)}</td>" for c in cells)
            + "</tr>"
        )
        for n, figure in zip(names + uses, cells, strict=True):
            if figure is not None:
                low, high = (
                    figure.interval if isinstance(figure, Rate) else (figure.low, figure.high)
                )
                series[n].append((a.candidate.step, figure.value, low, high))
    svg = plots.benchmarks_and_use({n: s for n, s in series.items() if s}, set(names))
    said = moved_apart(selection, records)
    verdict = (
        "".join(f"<p class=notice>{escape(s)}</p>" for s in said)
        if said
        else "<p>No benchmark rose or held while a usability signal worsened significantly "
        "over the starting model.</p>"
    )
    return (
        "<section id=benchmarks-and-use><h2>Benchmarks and use</h2>"
        "<p>The benchmarks you imported (lm-eval, Inspect; "
        "intervals recomputed from their samples where the files hold them) beside the "
        "usability signals Ripeness measured, per checkpoint, each with its 95% interval and "
        "n; comparisons with the starting model are paired by sample where both have samples."
        f"</p><table id=benchmarks>{head}</tr>{''.join(rows)}</table>"
        f"<figure id=benchmarks-figure>{svg}<figcaption>Solid: benchmarks; dashed: usability "
        "signals (held-out gold: higher is better; the others: lower is better). Bars are 95% "
        f"intervals.</figcaption></figure>{verdict}</section>"
    )


def heldout_records(selection: Selection, store) -> dict[str, list[dict]]:
    """Each assessed label's held-out records, for the paired comparisons."""
    return {a.candidate.label: store.records(a.candidate.label, HELDOUT_PROBE)
            for a in selection.assessments}  # fmt: skip
