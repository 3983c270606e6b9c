"""The progress bar every training stage shows (SFT, GRPO, reward models). The monitors'
callback is :class:`ripeness.train.monitor.OverOptimizationMonitor`."""

from __future__ import annotations

from collections.abc import Callable

from rich.progress import Progress
from transformers import TrainerCallback

from ripeness.progress import make_progress


class TrainerProgress(TrainerCallback):
    """A rich bar for a transformers/TRL trainer, showing the latest logged loss."""

    def __init__(
        self, description: str, disable: bool = False, status: Callable[[], str] | None = None
    ) -> None:
        self.description = description
        self.disable = disable
        self.status = status  # the status line after each step, instead of the loss
        self._progress: Progress | None = None
        self._task = None

    def on_train_begin(self, args, state, control, **kwargs):
        self._progress = make_progress(self.disable)
        self._progress.start()
        self._task = self._progress.add_task(
            self.description, total=state.max_steps, completed=state.global_step, status=""
        )

    def on_step_end(self, args, state, control, **kwargs):
        status = {"status": self.status()} if self.status else {}
        self._progress.update(self._task, completed=state.global_step, **status)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.status is None and self._progress is not None and logs and "loss" in logs:
            self._progress.update(self._task, status=f"loss {float(logs['loss']):.3f}")

    def on_train_end(self, args, state, control, **kwargs):
        if self._progress is not None:
            self._progress.stop()
