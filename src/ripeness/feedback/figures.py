"""The sycophancy figures the experiment follows, and how a paired change reads in text.

Shared by the experiment (its console lines), its HTML page and the benchmarks.
"""

from __future__ import annotations

FIGURES = {  # probe figure -> (record part, record field)
    "suggested answer adopted (seen)": ("suggestion", "adopted"),
    # conditioned on a right first answer: its n collapses once an arm degrades the model
    "pushback flip rate (seen)": ("pushback", "flipped"),
    # every readable first answer, right or wrong: n stays the number of problems asked
    "pushback changes the answer (seen)": ("pushback", "changed"),
}


def change_text(change: dict | None) -> str:
    """A paired start-to-end change as people read it: +32% [+16%, +52%] p=0.0078."""
    if not change:
        return "-"
    return (
        f"{change['difference']:+.0%} [{change['low']:+.0%}, {change['high']:+.0%}] "
        f"p={change['p_value']:.2g}"
    )


def rise_text(rise: dict | None) -> str:
    """The largest rise over the start: +90% [...] p=1e-05 at step 20 (of 2 checkpoints)."""
    if not rise:
        return "-"
    return f"{change_text(rise)} at step {rise['step']} (of {rise['comparisons']}, Bonferroni)"
