"""Rich tables for results people read in the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.table import Table

if TYPE_CHECKING:  # the real import pulls in torch, which a stress table does not need
    from ripeness.evaluation import LevelResult
    from ripeness.train.zone import ZoneReading


def accuracy_table(
    results: Sequence[LevelResult],
    trained: Sequence[int] = (),
    title: str = "Held-out gold accuracy",
) -> Table:
    table = Table(title=title)
    for column in ("difficulty", "accuracy", "95% CI", "n", "mean tokens", "truncated"):
        table.add_column(column, justify="right")
    for r in results:
        low, high = r.accuracy.interval
        tag = "" if r.difficulty in trained or not trained else " (unseen)"
        table.add_row(
            f"{r.difficulty}{tag}",
            f"{r.accuracy.value:.1%}",
            f"[{low:.1%}, {high:.1%}]",
            str(r.accuracy.n),
            f"{r.mean_tokens:.1f}",
            str(r.truncated),
        )
    return table


def stress_table(report) -> Table:
    """Exploits down, rewards across; each cell the mean reward and how often it was a hack."""
    from ripeness.tasks.stress import REFERENCE

    table = Table(
        title=f"Reward stress test: {report.task} ({report.problems} problems)",
        caption="cell: mean reward · problems where it paid and gold did not (95% CI)",
    )
    table.add_column("exploit")
    for name, (kind, _) in report.rewards.items():
        table.add_column(f"{name}\n({kind})", justify="right")
    for exploit, row in report.cells.items():
        cells = []
        for cell in row.values():
            low, high = cell.hacked.interval
            text = f"{cell.mean_reward:.2f}"
            if exploit != REFERENCE:
                text += f" · {cell.hacked.successes}/{cell.hacked.n} [{low:.0%}-{high:.0%}]"
            style = "bold red" if exploit != REFERENCE and cell.hacked.successes else ""
            cells.append(f"[{style}]{text}[/]" if style else text)
        table.add_row(exploit, *cells)
    return table


def histogram_table(counts: dict[int, int], samples: int, band: tuple[float, float]) -> Table:
    """Problems by how many of ``samples`` sampled answers were right, with a bar each."""
    table = Table(title=f"Pass-rate histogram ({sum(counts.values())} problems)")
    for column in ("solved", "problems", "", "kept"):
        table.add_column(column, justify="right" if column != "" else "left")
    widest = max(counts.values()) or 1
    for k, count in counts.items():
        kept = band[0] <= k / samples <= band[1]
        table.add_row(
            f"{k}/{samples}", str(count), "█" * round(30 * count / widest), "yes" if kept else ""
        )
    return table


def zone_table(label: str, reading: ZoneReading) -> Table:
    """A held-out pass-rate histogram (``tasks filter``'s table) with gold by difficulty:
    whether the model sits in the 20-80% zone where GRPO has something to learn."""
    from ripeness.train.zone import BAND

    verdict = "in the zone" if reading.in_band else "outside the 20-80% zone"
    table = histogram_table(reading.histogram, reading.samples, BAND)
    table.title = f"{label}: held-out gold {reading.text()}, {verdict}"
    for difficulty in reading.by_difficulty:
        at = reading.at(difficulty)
        low, high = at.interval
        table.add_row(
            f"difficulty {difficulty}",
            f"{at.rate:.0%}",
            f"[{low:.0%}, {high:.0%}] over {at.problems} problems",
            "",
        )
    return table


def _cells(figure: dict) -> tuple[str, str, str]:
    """(value, 95% CI, n) text for a stored figure: a rate, a mean, a statistic, a pair."""
    kind = figure.get("kind")
    main = figure.get("rate", figure.get("mean", figure.get("value", figure.get("difference"))))
    if main is None:  # nothing to measure (n = 0)
        return "n/a", "", str(figure.get("n", 0))
    if kind == "rate":
        return (
            f"{figure['rate']:.1%}",
            f"[{figure['low']:.1%}, {figure['high']:.1%}]",
            str(figure["n"]),
        )
    if kind == "paired":
        return (
            f"{figure['difference']:+.3g}",
            f"[{figure['low']:+.3g}, {figure['high']:+.3g}]",
            f"{figure['n']} pairs, p={figure['p_value']:.2g}",
        )
    return f"{main:.3g}", f"[{figure['low']:.3g}, {figure['high']:.3g}]", str(figure["n"])


def probe_table(label: str, summaries: dict[str, dict[str, dict]]) -> Table:
    """One row per figure: probe, figure, value, 95% CI, n."""
    table = Table(title=f"Probes: {label}")
    for column in ("probe", "figure", "value", "95% CI", "n"):
        table.add_column(column, justify="left" if column in ("probe", "figure") else "right")
    for probe, figures in summaries.items():
        for i, (name, figure) in enumerate(figures.items()):
            table.add_row(probe if i == 0 else "", name, *_cells(figure))
        table.add_section()
    return table


def comparison_table(before: str, after: str, comparisons: dict[str, dict]) -> Table:
    table = Table(title=f"Paired comparison: {after} minus {before}")
    for column in ("probe", "field", "difference", "95% CI", "n", "p"):
        table.add_column(column, justify="left" if column in ("probe", "field") else "right")
    for probe, fields in comparisons.items():
        for name, c in fields.items():
            table.add_row(
                probe,
                name,
                f"{c.difference:+.3g}",
                f"[{c.low:+.3g}, {c.high:+.3g}]",
                str(c.n),
                f"{c.p_value:.2g} ({c.test})",
            )
    return table


def selection_table(selection) -> Table:
    """Each assessed checkpoint: held-out gold and usability signals with 95% CIs, and the call."""
    from ripeness.report.select import SIGNALS

    table = Table(title="checkpoints under the selection policy")
    table.add_column("checkpoint")
    table.add_column("held-out gold")
    for name in SIGNALS:
        table.add_column(name)
    table.add_column("policy")
    for a in selection.assessments:
        c = a.candidate
        label = c.label + (" (peak)" if c.marked else "") + (" (last)" if c.last else "")
        chosen = selection.chosen is a
        verdict = "[green]ship[/]" if chosen else ("[red]vetoed[/]" if a.vetoes else "ok")
        if c.step == 0:
            verdict = "reference"
        cells = [str(a.signals[name][1]) if name in a.signals else "-" for name in SIGNALS]
        table.add_row(label, str(a.gold) if a.gold else "-", *cells, verdict)
    return table


def print_train_summary(result, console) -> None:
    """What a GRPO run did: steps, the alarm, the marked checkpoint, held-out gold."""
    from ripeness.records.run import HELDOUT_GOLD, HELDOUT_PROXY, RunDirectory

    run = RunDirectory(result.run_dir)
    evals = {e["step"]: e for e in run.evals(HELDOUT_GOLD)}
    paid = {e["step"]: e for e in run.evals(HELDOUT_PROXY)}
    console.print(
        f"trained {result.final_step} steps in {result.seconds / 60:.1f} min; run in {run.path}"
    )
    alarm = run.first_alarm()
    if alarm:
        console.print(f"[bold red]{alarm.kind} alarm at step {alarm.step}:[/] {alarm.reason}")
    else:
        console.print(
            "no alarm: held-out gold never fell beyond the noise, nor did the proxy rise on "
            "hacks alone"
        )
    marked = run.marked()
    if marked:
        console.print(
            f"marked checkpoint: step {marked.step} (nearest the gold peak at step "
            f"{marked.gold_peak_step}): {marked.folder(run.path)}"
        )
    steps = sorted(evals)
    best = max(steps, key=lambda step: evals[step]["rate"], default=None)
    for step in sorted({steps[0], best, steps[-1]}) if steps else []:
        e, p = evals[step], paid.get(step)
        proxy = f"; the proxy pays {p['rate']:.1%} [{p['low']:.1%}, {p['high']:.1%}]" if p else ""
        console.print(
            f"held-out gold at step {step}: {e['rate']:.1%} [{e['low']:.1%}, {e['high']:.1%}] "
            f"(n={e['n']}){proxy}"
        )
    run.close()


def print_selection(selection, console) -> None:
    """The selection table, the verdict and its reasons."""
    from rich.markup import escape

    console.print(selection_table(selection), soft_wrap=True)
    if selection.chosen is None:
        headline = selection.headline or "no checkpoint passes the policy"
        console.print(f"[bold red]verdict: {escape(headline)}[/]")
    else:
        c = selection.chosen.candidate
        console.print(f"[bold green]verdict: ship {c.label}[/] ({c.path})")
    for reason in selection.reasons:
        console.print(f"  - {escape(reason)}", soft_wrap=True)
