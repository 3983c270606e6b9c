"""Did the alarm come in time? A run's alarm read against the fall of its held-out gold.

The bar (``bench/alarm.py`` measures it on a battery of rewards, a test on one): every run
whose held-out gold falls significantly from its best earlier evaluation (the alarm's own
paired one-sided exact test at its corrected level, p x earlier evaluations < ``monitor.alpha``,
whatever the size of the fall) alarms no later than one evaluation after the first evaluation
at which that fall is significant. An alarm that stops the run before the fall reaches that
level has no due step; ``fall_p`` (best evaluation to last, one comparison) then says whether
gold had already fallen where it stopped.
"""

from __future__ import annotations

from pathlib import Path

from ripeness.records.run import HELDOUT_GOLD, outcomes
from ripeness.report.view import RunView
from ripeness.stats import paired_drop_p, paired_rates


def review_alarm(run_dir: Path) -> dict:
    """The alarm against the fall of held-out gold, from the run's own records."""
    with RunView(run_dir) as view:
        config = view.config
        evals = sorted(view.run.evals(HELDOUT_GOLD), key=lambda e: e["step"])
        alarm = view.run.first_alarm()
        index = view.run.checkpoint_index()
        marked = view.run.marked()
    alpha = config.monitor.alpha
    bits = [outcomes(e) for e in evals]
    peak = max(range(len(evals)), key=lambda i: (evals[i]["rate"], -i))
    due = None
    for i in range(1, len(evals)):
        best = max(range(i), key=lambda j: (evals[j]["rate"], -j))
        if paired_drop_p(bits[best], bits[i]) * i < alpha:
            due = i
            break
    every = config.monitor.eval_every
    row = {
        "gold": [round(e["rate"], 3) for e in evals],
        "steps": [e["step"] for e in evals],
        "n": evals[0]["n"],
        "peak_step": evals[peak]["step"],
        "peak_gold": evals[peak]["rate"],
        "last_gold": evals[-1]["rate"],
        "fall_p": paired_drop_p(bits[peak], bits[-1]) if peak < len(evals) - 1 else 1.0,
        "due_step": evals[due]["step"] if due is not None else None,
        "alarm_step": alarm.step if alarm else None,
        "alarm_kind": alarm.figures.get("alarm_kind") if alarm else None,
        "alarm_check": alarm.source if alarm else None,
        "alarm_reason": alarm.message if alarm else None,
    }
    row["delay_evals"] = (
        (row["alarm_step"] - row["peak_step"]) / every if alarm is not None else None
    )
    if due is not None:  # the bar: no later than one evaluation after the fall is significant
        row["in_time"] = alarm is not None and alarm.step <= evals[due]["step"] + every
    else:
        row["in_time"] = None
    by_step = {e["step"]: b for e, b in zip(evals, bits, strict=True)}
    row["marked_step"] = marked.step if marked else None
    last_step = max((c.step for c in index), default=None)
    if marked and marked.step in by_step and last_step in by_step:
        diff = paired_rates(by_step[last_step], by_step[marked.step])  # marked - last
        row["marked_minus_last"] = {
            "value": diff.difference,
            "interval": [diff.low, diff.high],
            "p": diff.p_value,
        }
    return row
