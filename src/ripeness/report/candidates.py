"""The models a run could ship: its starting model and its indexed checkpoints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ripeness.evaluation import checkpoint_label
from ripeness.records.run import RunDirectory
from ripeness.report.view import base_model_path
from ripeness.train.config import TrainConfig


@dataclass(frozen=True)
class Candidate:
    """A model the run could ship: the starting model or one of its checkpoints."""

    label: str
    step: int
    path: Path
    marked: bool = False
    last: bool = False


def all_candidates(run: RunDirectory, config: TrainConfig) -> list[Candidate]:
    """The starting model, then every indexed checkpoint in step order."""
    index = sorted(run.checkpoint_index(), key=lambda c: c.step)
    last_step = index[-1].step if index else 0
    found = [Candidate(checkpoint_label(0), 0, base_model_path(run, config))]
    for c in index:
        found.append(
            Candidate(
                checkpoint_label(c.step), c.step, c.folder(run.path), c.marked, c.step == last_step
            )
        )
    return found


def chosen_candidates(run: RunDirectory, config: TrainConfig) -> list[Candidate]:
    """The base, every ``select.every`` steps, the marked checkpoint and the last one."""
    every = config.select.every
    return [
        c
        for c in all_candidates(run, config)
        if c.step == 0 or c.step % every == 0 or c.marked or c.last
    ]
