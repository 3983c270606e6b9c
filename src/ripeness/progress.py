"""Progress display shared by every long-running stage (rich progress bars)."""

from __future__ import annotations

import os
import warnings
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

console = Console(stderr=True)


def quiet_libraries() -> None:
    """Silence library chatter so the user sees our progress bars and tables only."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import datasets
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    # transformers 5 deprecates a name TRL still calls; nothing the user can act on
    warnings.filterwarnings("ignore", message=".*gradient_checkpointing.*deprecated.*")


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


class SampleBar:
    """A bar counted in samples whose total grows as work is asked for (``asked``/``done``)."""

    def __init__(self, progress: Progress, description: str) -> None:
        self.progress = progress
        self.task = progress.add_task(description, total=0, status="")

    def asked(self, n: int) -> None:
        total = self.progress.tasks[self.task].total or 0
        self.progress.update(self.task, total=total + n)

    def done(self, n: int) -> None:
        self.progress.update(self.task, advance=n)

    def status(self, text: str) -> None:
        self.progress.update(self.task, status=text)


@contextmanager
def sample_progress(description: str, disable: bool = False) -> Iterator[SampleBar]:
    """One bar counted in samples (completions), for probes, assessment and reports."""
    with make_progress(disable) as progress:
        yield SampleBar(progress, description)


@contextmanager
def progress_task(description: str, total: int, disable: bool = False) -> Iterator:
    """A single bar; yields ``advance(n, status="")`` to move it."""
    with make_progress(disable) as progress:
        task = progress.add_task(description, total=total, status="")

        def advance(n: int = 1, status: str | None = None) -> None:
            fields = {"status": status} if status is not None else {}
            progress.update(task, advance=n, **fields)

        yield advance
