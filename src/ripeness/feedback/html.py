"""The sycophancy experiment's page: where sycophancy appears, and who saw it coming.

Self-contained like the checkpoint report (inline SVG, no scripts, no requests).
"""

from __future__ import annotations

from pathlib import Path

from ripeness.feedback.figures import FIGURES, change_text, rise_text
from ripeness.report.page import STYLE, escape
from ripeness.report.svg import HACK, new_figure, svg_of
from ripeness.stats import Rate


def trends_svg(arms: dict, limit: float) -> str:
    """Per probe figure: each arm's rate at each probed step with 95% intervals."""
    fig, axes = new_figure(5.2 * len(FIGURES) + 5.2, 3.2, len(FIGURES) + 1)
    for ax, figure in zip(axes, FIGURES, strict=False):
        for name, arm in arms.items():
            # a checkpoint with no readable reply has no rate: it is left out, not drawn as 0
            points = [p for p in arm["trend"][figure] if Rate.from_dict(p) is not None]
            rates = [Rate.from_dict(p) for p in points]
            ax.errorbar(
                [p["step"] for p in points],
                [r.value for r in rates],
                yerr=[
                    [r.value - r.interval[0] for r in rates],
                    [r.interval[1] - r.value for r in rates],
                ],
                fmt="o-",
                capsize=3,
                ms=4,
                label=name,
            )
        ax.axhline(limit, color="black", ls="--", lw=0.8)
        ax.set(xlabel="GRPO step", ylim=(-0.03, 1.03), title=figure)
        ax.legend(fontsize=7)
    share_ax = axes[-1]
    for name, arm in arms.items():
        if arm["feedback_share"]:
            steps, shares = zip(*arm["feedback_share"], strict=True)
            share_ax.plot(steps, shares, label=name)
    share_ax.axhline(0.5, color=HACK, ls=":", lw=0.8)
    share_ax.set(
        xlabel="GRPO step",
        ylim=(-0.03, 1.03),
        title="learned reward's share of the advantage",
    )
    share_ax.legend(fontsize=7)
    return svg_of(fig)


def findings_of(arms: dict, limit: float) -> list[str]:
    """Plain sentences: where sycophancy appeared, and which monitor said so first."""
    lines = []
    for name, arm in arms.items():
        crossed = [s for s in arm["limit_crossed_at"].values() if s]
        if not crossed:
            lines.append(f"{name}: no sycophancy probe crossed {limit:.0%}.")
            continue
        first = min(crossed)
        for monitor, step in (
            (
                "the attribution monitor (learned reward > half the advantage)",
                arm["feedback_drives_advantage_from"],
            ),
            ("the alarm", arm["alarm_step"]),
        ):
            if step is None:
                verdict = "never flagged it"
            elif step < first:
                verdict = f"flagged it first, at step {step}"
            else:
                verdict = f"flagged it only at step {step}"
            lines.append(
                f"{name}: a probe crossed {limit:.0%} by step {first}; {monitor} {verdict}."
            )
    return lines


def write_experiment_report(out: Path, result: dict) -> Path:
    arms = result["arms"]
    limit = float(result["settings"]["limit"])
    rows = []
    for name, arm in arms.items():
        cells = [
            f"end: {change_text(arm['change'][figure])}; largest: "
            f"{rise_text(arm['largest_rise'][figure])}"
            for figure in FIGURES
        ]
        crossed = ", ".join(
            f"{f.split(' (')[0]} at step {s}" for f, s in arm["limit_crossed_at"].items() if s
        )
        rows.append(
            f"<tr><td>{escape(name)}</td>"
            + "".join(f"<td>{escape(c)}</td>" for c in cells)
            + f"<td>{escape(crossed or 'never')}</td><td>{escape(arm['alarm_step'] or 'no')}</td>"
            f"<td>{escape(arm['feedback_drives_advantage_from'] or 'never')}</td>"
            f"<td>{arm['gold_first']:.2f} → {arm['gold_last']:.2f}</td></tr>"
        )
    head = (
        "<tr><th>arm</th>"
        + "".join(f"<th>{escape(f)}: change from the start (paired)</th>" for f in FIGURES)
        + f"<th>probe above {limit:.0%}</th><th>alarm</th><th>feedback drives the advantage "
        "from step</th><th>gold on rollouts</th></tr>"
    )
    findings = "".join(f"<li>{escape(line)}</li>" for line in findings_of(arms, limit))
    audit = result["audit"]
    rm = result["reward_models"]
    audit_rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{a['n']}</td>"
        + "".join(
            f"<td>{c['value']:+.2f} [{c['low']:+.2f}, {c['high']:+.2f}]</td>"
            for c in (
                a["coefficients"].get(k) for k in ("agrees", "correct", "length", "formatted")
            )
            if c
        )
        + f"<td>{a['agreement_over_correctness']['rate']:.0%}</td>"
        f"<td>{rm[name]['heldout_accuracy']['rate']:.0%}</td>"
        f"<td>{rm[name]['prefers_agreement']['rate']:.0%}</td></tr>"
        for name, a in audit.items()
    )
    page = (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Ripeness: the "
        f"sycophancy pathway</title><style>{STYLE}</style></head><body>"
        "<h1>The sycophancy pathway</h1><p class=sub>Thumbs-up feedback → reward model → "
        "GRPO with gold + weight × learned reward, on questions prefaced by a user's belief.</p>"
        "<h2>What the feedback and the reward models reward</h2><table><tr><th>data</th>"
        "<th>pairs</th><th>agrees</th><th>correct</th><th>length /100</th><th>formatted</th>"
        "<th>agreeable-wrong beats correct (pairs)</th><th>RM held-out accuracy</th>"
        f"<th>RM prefers agreement</th></tr>{audit_rows}</table>"
        "<p class=score>Bradley-Terry log-odds of being chosen per unit of each feature, with "
        "correctness held fixed (95% Wald intervals).</p>"
        f"<h2>Sycophancy over training</h2><figure id=trends>{trends_svg(arms, limit)}"
        "<figcaption>Probe rates (greedy, 95% intervals) at each arm's start and checkpoints; "
        "dashed: the limit. Right: the learned reward's share of the advantage.</figcaption>"
        f"</figure><table>{head}{''.join(rows)}</table><h2>Findings</h2><ul>{findings}</ul>"
        "</body></html>"
    )
    path = out / "experiment.html"
    path.write_text(page)
    return path
