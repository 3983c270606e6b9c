"""One view of a run for the report: its folder, its config and its probe store, opened once.

``ripeness report`` assesses, selects and draws the page from the same run; each step reads
the folder, the config and ``probes.sqlite``, so the command opens them once here and passes
the view along. Every function that takes a view also takes a run folder's path and opens
(and closes) a view of its own (:func:`open_view`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ripeness.options import EMBEDDED
from ripeness.records.probes import ProbeStore
from ripeness.records.run import RunDirectory
from ripeness.train.config import TrainConfig, load_config


def run_config(run: RunDirectory) -> TrainConfig:
    """The config the run was started with."""
    return load_config(run.config_path)


def base_model_path(run: RunDirectory, config: TrainConfig) -> Path:
    """The run's starting model: the embedded one saved in the run, or the model's own path."""
    if config.model.path == EMBEDDED:
        return run.base_model_path
    return Path(config.model.path)


class RunView:
    """A run folder, its config and its probe store, each opened once."""

    def __init__(self, path: Path) -> None:
        self.run = RunDirectory.open_existing(Path(path))
        try:
            self.config = run_config(self.run)
        except BaseException:
            self.run.close()
            raise
        self._store: ProbeStore | None = None

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def store(self) -> ProbeStore:
        """The probe store, opened on first use (which creates ``probes.sqlite``)."""
        if self._store is None:
            self._store = ProbeStore(self.run.path)
        return self._store

    def has_store(self) -> bool:
        """Anything was ever assessed: ``probes.sqlite`` exists (opening it would make one)."""
        return self._store is not None or self.run.probes_path.is_file()

    def base_model_path(self) -> Path:
        return base_model_path(self.run, self.config)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self.run.close()

    def __enter__(self) -> RunView:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def open_view(run: Path | RunView) -> Iterator[RunView]:
    """``run`` as a view for a block: the view given (its owner closes it), or one opened
    from a run folder's path and closed at the end of the block."""
    if isinstance(run, RunView):
        yield run
        return
    with RunView(Path(run)) as view:
        yield view
