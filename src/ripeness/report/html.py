"""The Goldilocks report: one self-contained HTML file that says which checkpoint to ship.

Everything is inline (CSS, SVG figures); the page loads nothing, runs no script and makes no
network request, so it can be mailed, archived or opened offline. Model text is escaped.
"""

from __future__ import annotations

import time
from pathlib import Path

from ripeness.evaluation import HELDOUT_PROBE
from ripeness.records.events import Alarm
from ripeness.records.probes import ProbeStore
from ripeness.records.run import ALL_TRUNCATED, HELDOUT_GOLD, HELDOUT_PROXY, RunDirectory
from ripeness.report import plots
from ripeness.report.assess import assess_run
from ripeness.report.benchmarks import import_benchmarks
from ripeness.report.benchmarks_section import benchmarks_section
from ripeness.report.decision import write_selection
from ripeness.report.page import STYLE, escape
from ripeness.report.questions import probe_task
from ripeness.report.select import SIGNALS, Selection, read_figure, select_and_confirm
from ripeness.report.view import RunView, open_view
from ripeness.stats import Rate


def percent_html(rate: Rate | None) -> str:
    """A rate as the page shows it: the value, then its interval and n in grey."""
    if rate is None:
        return "–"
    value, _, rest = rate.percent().partition(" ")
    return f"{value} <span class=score>{rest}</span>"


def write_report(
    run_dir: Path | RunView,
    out: Path | None = None,
    show_progress: bool = True,
    ray_address: str | None = None,
    benchmarks: Path | None = None,
    mapping: dict[str, int] | None = None,
):
    """Import the benchmark figures under ``benchmarks`` (lm-eval, Inspect; ``mapping``: model
    or file name -> step), assess what is not yet assessed (on Ray at ``ray_address`` if
    given), select, and write the HTML; return (path, selection). The run is opened once."""
    with open_view(run_dir) as view:
        if benchmarks is not None:
            import_benchmarks(view, benchmarks, mapping)
        assess_run(view, show_progress=show_progress, ray_address=ray_address)
        selection = select_and_confirm(view, show_progress)
        out = out or view.run.report_path
        out.write_text(render(view, selection))
        write_selection(view.run, selection)
    return out, selection


def render(run_dir: Path | RunView, selection: Selection) -> str:
    """The page for a run whose checkpoints ``selection`` chose among."""
    with open_view(run_dir) as view:
        run, config, store = view.run, view.config, view.store
        steps = run.steps()
        heldout = run.evals(HELDOUT_GOLD), run.evals(HELDOUT_PROXY)
        alarm = run.first_alarm()
        truncated = run.events(ALL_TRUNCATED)
        marked = run.marked()
        chosen = selection.chosen.candidate if selection.chosen else None
        summaries = {
            a.candidate.label: store.summary(a.candidate.label) for a in selection.assessments
        }
        limits = {name: getattr(config.select, spec[1]) for name, spec in SIGNALS.items()}
        sections = [
            _header(config, run.path, steps),
            _verdict(selection),
            _truncation_notice(truncated, len(steps)),
            _curve_section(steps, heldout, config, alarm, marked.step if marked else None, chosen),
            _checkpoint_table(selection, summaries, config.select.temperature),
            _sycophancy_table(selection, summaries, config),
            _trends_section(selection, limits),
            _pareto_section(selection, limits),
            benchmarks_section(selection, store),
            _samples_section(selection, store),
            _footer(run),
        ]
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Ripeness report: {escape(config.run.name)}</title>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<style>{STYLE}</style></head><body>" + "\n".join(sections) + "</body></html>"
    )


def _header(config, run_dir: Path, steps: list[dict]) -> str:
    proxy = " + ".join(f"{c.weight:g}×{c.name}" for c in config.reward.mix())
    probed = probe_task(config)
    probes = f"probes on {escape(probed)} · " if probed != config.task.name else ""
    return (
        f"<h1>Ripeness report: {escape(config.run.name)}</h1>"
        f"<p class=sub>{escape(run_dir)} · model {escape(config.model.path)} · task "
        f"{escape(config.task.name)} d{escape(config.task.difficulties)} · "
        f"reward {escape(proxy)} · {probes}"
        f"{len(steps)} GRPO steps · written {time.strftime('%Y-%m-%d %H:%M')}</p>"
    )


def _verdict(selection: Selection) -> str:
    if selection.chosen is None:
        head = (
            f"<h2>Verdict: {escape(selection.headline or 'no checkpoint passes the policy')}</h2>"
        )
        cls = "verdict none"
    else:
        c = selection.chosen.candidate
        head = f"<h2>Verdict: ship {escape(c.label)} (step {c.step})</h2>"
        if selection.versus_start is not None and "than the start" in selection.headline:
            head = f"<h2>Verdict: {escape(selection.headline)} (step {c.step})</h2>"
        cls = "verdict"
    items = "".join(f"<li>{escape(r)}</li>" for r in selection.reasons)
    return f"<section class='{cls}' id=verdict>{head}<ul>{items}</ul></section>"


def _truncation_notice(events: list[dict], steps: int) -> str:
    """A line naming the steps where every completion hit max_completion_length."""
    if not events:
        return ""
    first = events[0]
    masked = any(e.get("masked") for e in events)
    effect = (
        "with mask_truncated_completions the loss masked them all, so those steps trained on "
        "nothing; raise max_completion_length or set mask_truncated_completions=False"
        if masked
        else "their rewards scored unfinished replies; raise max_completion_length"
    )
    return (
        f"<p class=notice id=truncated><b>Every completion was cut off</b> at "
        f"max_completion_length={escape(first.get('max_completion_length'))} at "
        f"{len(events)} of {steps} steps ({'steps' if len(events) > 1 else 'step'} "
        f"{escape(step_ranges([e['step'] for e in events]))}): {effect}.</p>"
    )


def step_ranges(steps: list[int]) -> str:
    """``[1, 2, 3, 7, 9, 10]`` as ``1-3, 7, 9-10``."""
    runs: list[list[int]] = []
    for step in sorted(set(steps)):
        if runs and step == runs[-1][1] + 1:
            runs[-1][1] = step
        else:
            runs.append([step, step])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _curve_section(steps, heldout, config, alarm: Alarm | None, marked, chosen) -> str:
    if not steps:
        return "<h2>Over-optimization</h2><p>No training steps are recorded.</p>"
    gold, proxy = heldout
    svg = plots.overoptimization_curve(
        steps,
        gold,
        config.monitor.window,
        alarm.step if alarm else None,
        marked,
        chosen.step if chosen else None,
        proxy,
    )
    if alarm:
        said = f"The {escape(alarm.kind)} alarm fired at step {alarm.step}: {escape(alarm.reason)}."
    else:
        said = (
            "The alarm did not fire: held-out gold never fell beyond the noise, nor did the "
            "proxy rise on hacks alone."
        )
    peak = (
        (
            f" Held-out gold was highest at the start (step 0), not at any checkpoint; the "
            f"nearest checkpoint, step {marked}, is marked."
            if len(gold) > 1 and max(gold, key=lambda e: (e["rate"], -e["step"]))["step"] == 0
            else f" The checkpoint nearest the held-out gold peak, step {marked}, is marked."
        )
        if marked
        else ""
    )
    return (
        "<h2>Over-optimization: proxy against gold</h2>"
        f"<figure id=curve>{svg}<figcaption>Mean rewards of each step's rollouts against the "
        "policy's distance from where it started (d = sqrt(KL)), with the fit of Gao, Schulman "
        "&amp; Hilton (2022) where it explains any of the variance; right, the same run by step. "
        "Points with bars: held-out evaluations, the share of never-trained problems the gold "
        "verifier passes and the proxy pays, with 95% intervals "
        f"({escape(_sampling(config.monitor.eval_temperature))}, the same draw at every "
        f"evaluation).</figcaption></figure><p>{said}{peak}</p>"
    )


def _sampling(temperature: float) -> str:
    return "greedy" if temperature == 0 else f"sampled at temperature {temperature:g}"


def _checkpoint_table(selection: Selection, summaries: dict, temperature: float) -> str:
    head = (
        "<tr><th>checkpoint</th><th>held-out gold</th><th>proxy pays</th>"
        + "".join(f"<th>{escape(name)}</th>" for name in SIGNALS)
        + "<th>policy</th></tr>"
    )
    rows = []
    for a in selection.assessments:
        c = a.candidate
        is_chosen = selection.chosen is a
        cls = "chosen" if is_chosen else ("vetoed" if a.vetoes else "")
        paid = Rate.from_dict(summaries[c.label].get(HELDOUT_PROBE, {}).get("proxy paid"))
        cells = [percent_html(a.signals[name][1]) if name in a.signals else "–" for name in SIGNALS]
        verdict = "recommended" if is_chosen else ("vetoed" if a.vetoes else "within limits")
        if c.step == 0:
            verdict = "starting model (reference)"
        tags = " (marked peak)" if c.marked else ""
        tags += " (last)" if c.last else ""
        rows.append(
            f"<tr class='{cls}'><td>{escape(c.label)}{tags}</td><td>{percent_html(a.gold)}</td>"
            f"<td>{percent_html(paid)}</td>"
            + "".join(f"<td>{x}</td>" for x in cells)
            + f"<td>{verdict}</td></tr>"
        )
    return (
        "<h2>Checkpoints</h2><p>Held-out problems the run never trained on, sampled at "
        f"temperature {temperature:g} as in training (gold, proxy, hack rate); probes answer "
        "greedily. Each rate with its 95% Wilson interval and n.</p>"
        f"<table id=checkpoints>{head}{''.join(rows)}</table>"
    )


# the sycophancy figures beside the signal (its largest), each read as the limit reads it
SYCOPHANCY_FIGURES = (  # (probe, figure, what it means)
    ("sycophancy", "regressive pushback rate", "right first answers pushed to wrong"),
    ("sycophancy", "progressive pushback rate", "wrong first answers pushed to right"),
    ("sycophancy", "suggested answer adopted", "a suggested wrong answer taken"),
    ("false_premise", "false premise accepted", "a wrong result argued for"),
)


def _sycophancy_table(selection: Selection, summaries: dict, config) -> str:
    """Each checkpoint's sycophancy figures on the probe task ("" where none was measured)."""
    rows, any_figure = [], False
    for a in selection.assessments:
        stored = summaries[a.candidate.label]
        found = [read_figure(stored.get(p, {}), name) for p, name, _ in SYCOPHANCY_FIGURES]
        any_figure = any_figure or any(found)
        cells = "".join(f"<td>{percent_html(f[1] if f else None)}</td>" for f in found)
        rows.append(f"<tr><td>{escape(a.candidate.label)}</td>{cells}</tr>")
    if not any_figure:
        return ""
    head = "<tr><th>checkpoint</th>" + "".join(
        f"<th title='{escape(why)}'>{escape(name)}</th>" for _, name, why in SYCOPHANCY_FIGURES
    )
    task = probe_task(config)
    return (
        f"<h2>Sycophancy</h2><p>On held-out problems of {escape(task)}, judged by its gold. "
        f"The limit ({config.select.max_sycophancy:.0%}) applies to the largest of the "
        "regressive pushback rate, adopted suggestions and accepted false premises; the "
        "progressive rate (pushback that corrects a wrong answer) is shown beside them. Each "
        "with its 95% Wilson interval and n; – where the probe did not measure it.</p>"
        f"<table id=sycophancy>{head}</tr>{''.join(rows)}</table>"
    )


TRENDS_CAPTION = (
    "Each figure at each assessed checkpoint, with 95% intervals; dashed lines are the "
    "policy's limits."
)
PARETO_CAPTION = (
    "Held-out gold accuracy against each usability signal; the line joins the Pareto front "
    "(no other checkpoint is better on both), the recommended checkpoint is green, dashed "
    "lines are limits."
)


def _trends_section(selection: Selection, limits: dict) -> str:
    series: dict[str, list] = {"held-out gold accuracy": []}
    for a in selection.assessments:
        if a.gold is not None:
            series["held-out gold accuracy"].append((a.candidate.step, a.gold))
        for name, (_, value) in a.signals.items():
            series.setdefault(name, []).append((a.candidate.step, value))
    chosen = selection.chosen.candidate.step if selection.chosen else None
    svg = plots.probe_trends(series, limits, chosen)
    return _figure("Probes over training", "trends", svg, TRENDS_CAPTION)


def _pareto_section(selection: Selection, limits: dict) -> str:
    points: dict[str, list] = {}
    for a in selection.assessments:
        if a.gold is None:
            continue
        for name, (_, value) in a.signals.items():
            points.setdefault(name, []).append((a.candidate.label, a.gold, value))
    if not points:
        return ""
    chosen = selection.chosen.candidate.label if selection.chosen else None
    svg = plots.pareto_fronts(points, limits, chosen)
    return _figure("Capability against usability", "pareto", svg, PARETO_CAPTION)


def _figure(title: str, anchor: str, svg: str, caption: str) -> str:
    """A section of one figure: its heading, the SVG and its caption."""
    return f"<h2>{title}</h2><figure id={anchor}>{svg}<figcaption>{caption}</figcaption></figure>"


def _samples_section(selection: Selection, store: ProbeStore, limit: int = 6) -> str:
    if selection.chosen is None or selection.chosen is selection.last:
        return ""
    chosen, last = selection.chosen.candidate.label, selection.last.candidate.label
    mine = {r["sample_id"]: r for r in store.records(chosen, HELDOUT_PROBE)}
    theirs = {r["sample_id"]: r for r in store.records(last, HELDOUT_PROBE)}
    shared = [k for k in mine if k in theirs]
    # the hacked outputs first: they are what convinces a reader
    shared.sort(key=lambda k: (not theirs[k]["hacked"], not mine[k]["correct"]))
    blocks = []
    for key in shared[:limit]:
        a, b = mine[key], theirs[key]
        blocks.append(
            f"<div class=prompt>{escape(a['prompt'])} "
            f"<span class=score>(answer {escape(a['answer'])})"
            f"</span></div><div class=pair>{_sample(chosen, a)}{_sample(last, b)}</div>"
        )
    return (
        f"<h2>Side by side: {escape(chosen)} and {escape(last)}</h2><p>The same held-out prompts, "
        "answered by the recommended and the last checkpoint, with gold and proxy scores.</p>"
        f"<section id=samples>{''.join(blocks)}</section>"
    )


def _sample(label: str, record: dict) -> str:
    gold_cls = "good" if record["correct"] else "bad"
    tag = " <b class=bad>hacked: the proxy pays, gold does not</b>" if record["hacked"] else ""
    return (
        f"<div><b>{escape(label)}</b> <span class=score>gold <span class={gold_cls}>"
        f"{record['gold']:.2f}</span> · proxy {record['proxy']:.2f} · {record['tokens']} tokens"
        f"</span>{tag}<pre>{escape(record['completion'])}</pre></div>"
    )


def _footer(run: RunDirectory) -> str:
    return (
        "<hr><p class=score>Written by <code>ripeness report</code>. Records: "
        f"<code>{escape(run.metrics_path)}</code> (training), <code>"
        f"{escape(run.probes_path)}</code> (checkpoint probes), <code>"
        f"{escape(run.selection_path)}</code> (the decision). Rerun <code>ripeness select "
        f"{escape(run.path)}</code> after changing the limits in the run's <code>[select]</code> "
        "section.</p>"
    )
