"""The run's checkpoint index (``checkpoints.json``) and what a resumed run reads back.

Each saved checkpoint gets an entry with the step's figures; the one nearest the gold peak is
marked (what `ripeness select` falls back to). On resume, what was recorded after the step
training resumes from is forgotten and the rest replayed into a fresh alarm, so the resumed
run continues where the killed one was; a run the alarm stopped trains no further.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from ripeness.errors import AlarmStopped
from ripeness.options import AlarmAction
from ripeness.records.checkpoints import FIGURES, Checkpoint
from ripeness.records.run import (
    ALARM,
    HELDOUT_GOLD,
    HELDOUT_PROXY,
    RESUME,
    RunDirectory,
    outcomes,
    proxy_outcomes,
)
from ripeness.train.alarm import OverOptimizationAlarm
from ripeness.train.ranks import from_main


def record_save(
    run: RunDirectory, output_dir: str, step: int, last: Mapping, alarm: OverOptimizationAlarm
) -> None:
    """Index the checkpoint just saved under the trainer's ``output_dir`` (with ``last``, the
    step's figures), replacing any entry of its step, and mark the index again."""
    folder = Path(output_dir) / f"checkpoint-{step}"
    figures = {k: last.get(k) for k in FIGURES}
    try:
        path, external = str(folder.resolve().relative_to(run.path.resolve())), False
    except ValueError:  # the trainer's output_dir is elsewhere: point at it
        path, external = str(folder.resolve()), True
    entry = Checkpoint(step, path, external=external, figures=figures)
    index = [c for c in run.checkpoint_index() if c.step != step] + [entry]
    run.write_checkpoints(mark(run, sorted(index, key=lambda c: c.step), alarm))


def mark(
    run: RunDirectory, index: list[Checkpoint], alarm: OverOptimizationAlarm
) -> list[Checkpoint]:
    """Mark the checkpoint nearest the gold peak (the earlier one on ties).

    The peak is read from the held-out evaluations (the same problems and the same draw
    every time) once there are two; before that from the smoothed rollout gold, whose mix
    of prompts changes from step to step, which alone moves it by several points.
    """
    if not index:
        return index
    evals = run.evals(HELDOUT_GOLD)
    if len(evals) > 1:
        peak = max(evals, key=lambda e: (e["rate"], -e["step"]))["step"]
    elif alarm.steps:
        peak = alarm.peak_step()
    else:
        return index
    nearest = min(index, key=lambda c: (abs(c.step - peak), c.step))
    return [replace(c, marked=c is nearest, gold_peak_step=peak) for c in index]


def marked_step(run: RunDirectory) -> int | None:
    """The step of the checkpoint marked nearest the gold peak, if any."""
    marked = run.marked()
    return marked.step if marked else None


def stopped_at(run: RunDirectory, step: int) -> int | None:
    """The step at which the alarm stopped the run, if it did at or before ``step``."""
    stops = [e for e in run.events(ALARM) if e.get("action") == AlarmAction.STOP]
    return next((e["step"] for e in stops if e["step"] <= step), None)


def past_the_stop(run: RunDirectory, where: Path, step: int, stop: bool) -> AlarmStopped | None:
    """What resuming a run at ``step`` raises when the alarm stopped it there or earlier (the
    main process, with ``stop`` for ``alarm_action = "stop"``, decides for every process)."""
    stopped = from_main(stopped_at(run, step) if stop else None)
    if stopped is None:
        return None
    return AlarmStopped(
        f"{where}: the alarm stopped this run at step {stopped} (alarm_action='stop'), so "
        f"resuming it from step {step} trains no further step; read it with `ripeness "
        f"report {where}`, or pass alarm_action='warn' to train past the alarm",
        stopped,
    )


def continue_from(
    run: RunDirectory, step: int, new_alarm: Callable[[], OverOptimizationAlarm]
) -> OverOptimizationAlarm:
    """Forget what was recorded after ``step`` and replay the rest into a new alarm."""
    run.forget_after(step)
    run.write_checkpoints([c for c in run.checkpoint_index() if c.step <= step])
    alarm = new_alarm()
    for row in run.steps():
        alarm.update(row["step"], row["gold"], row["proxy"], row["d"], row["prompts"])
    proxies = {e["step"]: e for e in run.evals(HELDOUT_PROXY)}
    for gold in run.evals(HELDOUT_GOLD):
        if (proxy := proxies.get(gold["step"])) is not None:
            alarm.update_heldout(gold["step"], outcomes(gold), *proxy_outcomes(proxy))
    if step:
        run.record_event(step, RESUME, f"resumed from step {step}")
    return alarm
