"""The report's figures, drawn with matplotlib and returned as inline SVG text.

SVG keeps the HTML file self-contained (no image files, no scripts, no network) and sharp at
any zoom. Each function takes plain data and returns one ``<svg>`` string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ripeness.report.svg import CHOSEN, GOLD, HACK, LAST, PROXY, new_figure, svg_of
from ripeness.stats import Rate, fit_gao, moving_mean


def _evaluations(ax, evals: Sequence[dict], xs: Sequence[float], color, marker, label) -> None:
    """Held-out evaluations as points with their 95% intervals."""
    ys = [e["rate"] for e in evals]
    errors = [[e["rate"] - e["low"] for e in evals], [e["high"] - e["rate"] for e in evals]]
    ax.errorbar(xs, ys, yerr=errors, fmt=marker, color=color, capsize=3, ms=5, label=label)


def _moved(first: dict, other: dict) -> int:
    """+1 / -1 when ``other``'s rate lies outside ``first``'s 95% interval above / below it."""
    if other["rate"] > first["high"]:
        return 1
    if other["rate"] < first["low"]:
        return -1
    return 0


def curve_title(heldout: Sequence[dict], heldout_proxy: Sequence[dict] = ()) -> str:
    """What the run's held-out gold did, in a few words (not a fixed story): rose, held, fell,
    or rose then turned; with the proxy's direction beside it."""
    if len(heldout) < 2:
        return "Gold and proxy reward against sqrt(KL)"
    first, last = heldout[0], heldout[-1]
    peak = max(heldout, key=lambda e: e["rate"])
    rose, fell_from_peak, net = _moved(first, peak) > 0, _moved(peak, last) < 0, _moved(first, last)
    if rose and fell_from_peak:
        gold = "gold rose, then turned"
    elif net > 0:
        gold = "gold rose"
    elif net < 0:
        gold = "gold fell"
    else:
        gold = "gold flat" if peak["rate"] > 0 else "gold flat at 0"
    if len(heldout_proxy) >= 2:
        moved = _moved(heldout_proxy[0], heldout_proxy[-1])
        proxy = {1: "proxy climbed", -1: "proxy fell", 0: "proxy flat"}[moved]
        return f"Held-out: {proxy}; {gold}"
    return f"Held-out {gold}"


def overoptimization_curve(
    steps: Sequence[dict],
    heldout: Sequence[dict],
    window: int,
    alarm_step: int | None,
    marked_step: int | None,
    chosen_step: int | None,
    heldout_proxy: Sequence[dict] = (),
) -> str:
    """Left: gold and proxy against d = sqrt(KL) with the Gao fit and its peak.
    Right: the same run against steps, held-out gold with 95% intervals, the hack rate.

    Both panels show the held-out evaluations (the same problems each time, so the cleanest
    signal) beside the rollout means (every step, but on a changing mix of prompts)."""
    fig, (by_d, by_step) = new_figure(10.5, 3.6, 2)
    # another trainer's run logs no gold on its rollouts: its curve is the held-out one
    steps = [s for s in steps if s.get("proxy") is not None]
    rollout_gold = all(s.get("gold") is not None for s in steps)
    d = [s.get("d") or 0.0 for s in steps]
    gold = [s["gold"] if rollout_gold else float("nan") for s in steps]
    proxy = [s["proxy"] for s in steps]
    step_numbers = [s["step"] for s in steps]
    gold_smooth, proxy_smooth = moving_mean(gold, window), moving_mean(proxy, window)
    d_smooth = moving_mean(d, window)  # d jitters step to step; smooth it like the rewards
    d_at = {0: 0.0, **dict(zip(step_numbers, d_smooth, strict=True))}
    by_d.scatter(d, proxy, s=8, color=PROXY, alpha=0.35)
    by_d.plot(d_smooth, proxy_smooth, color=PROXY, label="proxy reward (moving mean)")
    if rollout_gold:
        by_d.scatter(d, gold, s=8, color=GOLD, alpha=0.35)
        by_d.plot(d_smooth, gold_smooth, color=GOLD, label="gold reward (moving mean)")
    for evals, color, marker, label in (
        (heldout_proxy, PROXY, "s", "held-out: proxy pays (95% CI)"),
        (heldout, GOLD, "o", "held-out: gold (95% CI)"),
    ):
        placed = [e for e in evals if e["step"] in d_at]
        if placed:
            _evaluations(by_d, placed, [d_at[e["step"]] for e in placed], color, marker, label)
    fit = fit_gao(d, gold_smooth) if steps and rollout_gold else None
    if fit is not None and fit.r_squared > 0:  # a fit worse than a flat line says nothing
        grid = sorted(x for x in d if x > 0)
        base = gold_smooth[0]
        by_d.plot(
            grid,
            [base + y for y in fit.predict(grid)],
            "--",
            color="black",
            lw=1,
            label=f"Gao fit d(a - b ln d), R²={fit.r_squared:.2f}",
        )
        if fit.peak_d is not None and fit.peak_d <= max(d) * 1.5:
            by_d.axvline(fit.peak_d, color="black", lw=0.8, ls=":")
            by_d.annotate(f"fitted peak d={fit.peak_d:.2f}", (fit.peak_d, 0.02), fontsize=8)
    if alarm_step is not None and alarm_step in step_numbers and rollout_gold:
        at = step_numbers.index(alarm_step)
        by_d.scatter([d_smooth[at]], [gold_smooth[at]], marker="X", s=90, color=HACK, zorder=5)
        by_d.annotate(
            f"alarm, step {alarm_step}",
            (d_smooth[at], gold_smooth[at]),
            color=HACK,
            xytext=(-70, 8),
            textcoords="offset points",
            fontsize=8,
        )
    by_d.set(xlabel="d = sqrt(KL to the initial policy)", ylabel="mean reward", ylim=(-0.03, 1.03))
    by_d.set_title(curve_title(heldout, heldout_proxy), fontsize=10)
    by_d.legend(fontsize=7, loc="upper left")

    if rollout_gold:
        hack = moving_mean([s["hack_rate"] or 0.0 for s in steps], window)
        by_step.plot(step_numbers, hack, color=HACK, label="hack rate (proxy pays, gold does not)")
        by_step.plot(step_numbers, gold_smooth, color=GOLD, alpha=0.5, label="gold on rollouts")
    else:
        by_step.plot(step_numbers, proxy_smooth, color=PROXY, alpha=0.5, label="trainer's reward")
    if heldout_proxy:
        steps_of = [e["step"] for e in heldout_proxy]
        _evaluations(by_step, heldout_proxy, steps_of, PROXY, "s", "held-out: proxy pays")
    if heldout:
        steps_of = [e["step"] for e in heldout]
        _evaluations(by_step, heldout, steps_of, GOLD, "o", "held-out gold accuracy (95% CI)")
    lines: dict[int, list[tuple[str, str]]] = {}  # step -> (text, colour), one line a step
    for step, color, text in (
        (chosen_step, CHOSEN, "recommended"),
        (marked_step, "black", "gold peak"),
        (alarm_step, HACK, "alarm"),
    ):
        if step is not None:
            lines.setdefault(step, []).append((text, color))
    for step, marks in lines.items():
        color = marks[0][1]
        by_step.axvline(step, color=color, lw=1, ls="--")
        text = ", ".join(t for t, _ in marks)
        by_step.annotate(
            text, (step, 0.95), color=color, fontsize=8, rotation=90, ha="right", va="top"
        )
    by_step.set(xlabel="GRPO step", ylabel="rate", ylim=(-0.03, 1.03))
    by_step.set_title("Over training", fontsize=10)
    # below the axes: the step markers' labels run down from the top
    by_step.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    return svg_of(fig)


def probe_trends(
    series: dict[str, list[tuple[int, Rate]]],
    limits: dict[str, float],
    chosen_step: int | None,
) -> str:
    """One small panel per figure: its value at each assessed checkpoint, with 95% CIs."""
    names = list(series)
    fig, axes = new_figure(3.2 * max(1, len(names)), 2.8, max(1, len(names)))
    for ax, name in zip(axes, names, strict=False):
        points = series[name]
        xs = [step for step, _ in points]
        ys = [r.value for _, r in points]
        errors = [
            [r.value - r.interval[0] for _, r in points],
            [r.interval[1] - r.value for _, r in points],
        ]
        color = GOLD if "gold" in name else HACK
        ax.errorbar(xs, ys, yerr=errors, fmt="o-", color=color, capsize=3, ms=4)
        if name in limits:
            ax.axhline(limits[name], color="black", ls="--", lw=0.8)
            ax.annotate(
                f"limit {limits[name]:.0%}",
                (xs[0] if xs else 0, limits[name]),
                xytext=(2, 3),
                textcoords="offset points",
                fontsize=7,
            )
        if chosen_step is not None:
            ax.axvline(chosen_step, color=CHOSEN, lw=1, ls="--")
        ax.set(xlabel="step", ylim=(-0.03, 1.03))
        ax.set_title(name, fontsize=9)
    return svg_of(fig)


def pareto_fronts(
    points: dict[str, list[tuple[str, Rate, Rate]]],
    limits: dict[str, float],
    chosen: str | None,
) -> str:
    """Gold accuracy (up is better) against each usability signal (left is better).

    ``points[signal]`` is ``[(label, gold, signal), ...]``; the front joins the checkpoints no
    other beats on both axes at once."""
    names = list(points)
    fig, axes = new_figure(3.4 * max(1, len(names)), 3.2, max(1, len(names)))
    for ax, name in zip(axes, names, strict=False):
        rows = points[name]
        for label, gold, signal in rows:
            is_chosen = label == chosen
            ax.errorbar(
                signal.value,
                gold.value,
                xerr=[[signal.value - signal.interval[0]], [signal.interval[1] - signal.value]],
                yerr=[[gold.value - gold.interval[0]], [gold.interval[1] - gold.value]],
                fmt="o",
                color=CHOSEN if is_chosen else LAST,
                ms=7 if is_chosen else 4,
                capsize=2,
                alpha=0.9,
            )
            ax.annotate(
                label.replace("step-", ""),
                (signal.value, gold.value),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        front = pareto_front([(s.value, g.value) for _, g, s in rows])
        if len(front) > 1:
            ax.plot([x for x, _ in front], [y for _, y in front], color=CHOSEN, lw=1, alpha=0.6)
        if name in limits:
            ax.axvline(limits[name], color="black", ls="--", lw=0.8)
        ax.set(
            xlabel=f"{name} (lower is better)",
            ylabel="held-out gold accuracy",
            xlim=(-0.03, 1.03),
            ylim=(-0.03, 1.03),
        )
    return svg_of(fig)


def pareto_front(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points (cost, value) not dominated by another (lower cost and higher value), by cost."""
    front: list[tuple[float, float]] = []
    for cost, value in sorted(set(points), key=lambda p: (p[0], -p[1])):
        if not front or value > front[-1][1]:
            front.append((cost, value))
    return front


def svg_is_plot(svg: str) -> bool:
    """A cheap sanity check the tests use: an SVG with drawn paths in it."""
    return svg.startswith("<svg") and len(re.findall(r"<path", svg)) > 3


def benchmarks_and_use(
    series: dict[str, list[tuple[int, float, float, float]]], benchmarks: set[str]
) -> str:
    """Every benchmark (solid) and usability signal (dashed) by step on one axis:
    ``series[name]`` is ``[(step, value, low, high), ...]``; a NaN bound draws no bar."""
    import math

    fig, (ax,) = new_figure(8.0, 3.8)
    for name, points in series.items():
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        errors = [
            [p[1] - p[2] if math.isfinite(p[2]) else 0.0 for p in points],
            [p[3] - p[1] if math.isfinite(p[3]) else 0.0 for p in points],
        ]
        style = "o-" if name in benchmarks else "s--"
        ax.errorbar(xs, ys, yerr=errors, fmt=style, capsize=3, ms=4, label=name, alpha=0.9)
    ax.set(xlabel="step", ylabel="score / rate")
    ax.set_title("Benchmarks and use, by checkpoint", fontsize=10)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return svg_of(fig)
