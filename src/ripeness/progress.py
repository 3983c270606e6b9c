"""Progress display shared by every long-running stage (rich progress bars)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from transformers import TrainerCallback

console = Console(stderr=True)


def make_progress(disable: bool = False) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        disable=disable,
        transient=False,
    )


@contextmanager
def progress_task(description: str, total: int, disable: bool = False) -> Iterator:
    """A single bar; yields ``advance(n, status="")`` to move it."""
    with make_progress(disable) as progress:
        task = progress.add_task(description, total=total, status="")

        def advance(n: int = 1, status: str | None = None) -> None:
            fields = {"status": status} if status is not None else {}
            progress.update(task, advance=n, **fields)

        yield advance


class TrainerProgress(TrainerCallback):
    """A rich bar for a transformers/TRL trainer, showing the latest logged loss."""

    def __init__(self, description: str, disable: bool = False) -> None:
        self.description = description
        self.disable = disable
        self._progress: Progress | None = None
        self._task = None

    def on_train_begin(self, args, state, control, **kwargs):
        self._progress = make_progress(self.disable)
        self._progress.start()
        self._task = self._progress.add_task(self.description, total=state.max_steps, status="")

    def on_step_end(self, args, state, control, **kwargs):
        self._progress.update(self._task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self._progress is not None and logs and "loss" in logs:
            self._progress.update(self._task, status=f"loss {float(logs['loss']):.3f}")

    def on_train_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.stop()
