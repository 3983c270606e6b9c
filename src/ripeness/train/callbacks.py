"""Trainer callbacks: the progress bar every training stage shows (SFT, GRPO, reward models),
and :class:`MonitorCallback`, which turns GRPO's rollouts into the run's records: one row per
step, the held-out evaluations, the alarm, the checkpoint index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.progress import Progress
from transformers import TrainerCallback

from ripeness.evaluation import TRAINING, checkpoint_label, mixed_reward, score_heldout
from ripeness.models.generate import generate_chat
from ripeness.progress import make_progress
from ripeness.records.probes import ProbeStore
from ripeness.records.run import HELDOUT_GOLD, HELDOUT_PROXY, RunDirectory, outcome_bits
from ripeness.stats import Rate
from ripeness.tasks.base import TaskFamily, TaskItem
from ripeness.train.alarm import OverOptimizationAlarm
from ripeness.train.config import TrainConfig
from ripeness.train.rollouts import RolloutMonitor


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


class MonitorCallback(TrainerCallback):
    """Records, evaluates, raises the alarm, indexes checkpoints, shows progress."""

    def __init__(
        self,
        config: TrainConfig,
        run: RunDirectory,
        family: TaskFamily,
        monitor: RolloutMonitor,
        heldout: list[TaskItem],
        tokenizer,
        alarm: OverOptimizationAlarm,
    ) -> None:
        self.config = config
        self.run = run
        self.family = family
        self.monitor = monitor
        self.heldout = heldout
        self.tokenizer = tokenizer
        self.alarm = alarm
        self.model = None
        self.last = {}

    # -- lifecycle ----------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.model = model
        if not self.run.evals(HELDOUT_GOLD):
            self._evaluate(0)

    def on_step_end(self, args, state, control, **kwargs):
        step = state.global_step
        if self.monitor.pending is None:
            return
        stats, samples = self.monitor.pending
        self.monitor.pending = None
        metrics = stats.as_metrics()
        keep = self.config.monitor.samples_per_step
        self.run.record_step(step, metrics, samples[:keep])
        self.last = metrics
        fired_before = self.alarm.fired_at
        self.alarm.update(step, metrics["gold"], metrics["proxy"], metrics["d"], metrics["prompts"])
        if step % self.config.monitor.eval_every == 0 or step >= state.max_steps:
            self._evaluate(step)
        if self.alarm.fired_at is not fired_before:
            self._on_alarm(self.alarm.fired_at, control)
            if step % self.config.monitor.eval_every:
                self._evaluate(step)  # the run may stop here: evaluate where it stops
        if step >= state.max_steps or control.should_training_stop:
            control.should_save = True

    def on_save(self, args, state, control, **kwargs):
        step = state.global_step
        index = [c for c in self.run.checkpoints() if c["step"] != step]
        index.append(
            {
                "step": step,
                "path": str(Path(self.run.CHECKPOINTS) / f"checkpoint-{step}"),
                "proxy": self.last.get("proxy"),
                "gold": self.last.get("gold"),
                "d": self.last.get("d"),
                "marked": False,
            }
        )
        self.run.write_checkpoints(self._mark(sorted(index, key=lambda c: c["step"])))

    def on_train_end(self, args, state, control, **kwargs):
        self.run.write_checkpoints(self._mark(self.run.checkpoints()))

    # -- pieces -------------------------------------------------------------------------
    def status(self) -> str:
        """The progress bar's line: the latest step's figures, held-out gold, the alarm."""
        latest = self.last
        heldout = self.run.evals(HELDOUT_GOLD)
        text = (
            f"proxy {latest.get('proxy', float('nan')):.2f} "
            f"gold {latest.get('gold', float('nan')):.2f} "
            f"hack {latest.get('hack_rate', 0):.0%} d {latest.get('d', 0):.2f}"
        )
        if heldout:
            text += f" held-out {heldout[-1]['rate']:.0%}"
        if self.alarm.fired_at:
            fired = self.alarm.fired_at
            text += f" [red]{fired.alarm_kind.upper()} ALARM@{fired.step}[/]"
        return text

    def _evaluate(self, step: int) -> None:
        """Held-out gold and proxy, problem by problem; feeds the alarm's held-out check."""
        if self.model is None:
            return
        was_training = self.model.training
        generations = generate_chat(
            self.model,
            self.tokenizer,
            [list(item.prompt) for item in self.heldout],
            self.config.grpo.max_completion_length,
            temperature=self.config.monitor.eval_temperature,
            seed=self.config.run.seed + 1,  # the same draw at every evaluation
        )
        if was_training:
            self.model.train()
        texts = [g.text for g in generations]
        mix = [
            (r.reward, w) for r, w in zip(self.monitor.recorders, self.monitor.weights, strict=True)
        ]
        proxy = mixed_reward(mix, self.heldout, texts)
        tokens = [g.completion_tokens for g in generations]
        result = score_heldout(self.family, self.heldout, texts, tokens, proxy)
        correct = [r["correct"] for r in result.records]
        paid = [r["proxy_paid"] for r in result.records]
        # per-problem outcomes ("0110...") let two evaluations be compared pair by pair
        extra = {
            "mean_tokens": sum(tokens) / max(1, len(tokens)),
            "temperature": self.config.monitor.eval_temperature,
        }
        for name, outcomes_ in ((HELDOUT_GOLD, correct), (HELDOUT_PROXY, paid)):
            rate = Rate(sum(outcomes_), len(outcomes_))
            self.run.record_eval(step, name, rate, {**extra, "outcomes": outcome_bits(outcomes_)})
        if self.config.assessment_matches_training():  # checkpoint assessment reads it there
            store = ProbeStore(self.run.path)
            try:
                store.save(checkpoint_label(step), result, {"step": step, "from": TRAINING})
            finally:
                store.close()
        self.alarm.update_heldout(step, correct, paid)

    def _on_alarm(self, status, control) -> None:
        action = self.config.monitor.alarm_action
        self.run.record_event(
            status.step, "alarm", status.reason, {"action": action, **status.as_dict()}
        )
        if action == "stop":
            control.should_training_stop = True
            control.should_save = True

    def _mark(self, index: list[dict]) -> list[dict]:
        """Mark the checkpoint nearest the gold peak (the earlier one on ties).

        The peak is read from the held-out evaluations (the same problems and the same draw
        every time) once there are two; before that from the smoothed rollout gold, whose mix
        of prompts changes from step to step, which alone moves it by several points.
        """
        if not index:
            return index
        evals = self.run.evals(HELDOUT_GOLD)
        if len(evals) > 1:
            peak = max(evals, key=lambda e: (e["rate"], -e["step"]))["step"]
        elif self.alarm.steps:
            peak = self.alarm.peak_step()
        else:
            return index
        nearest = min(index, key=lambda c: (abs(c["step"] - peak), c["step"]))
        for c in index:
            c["marked"] = c is nearest
            c["gold_peak_step"] = peak
        return index
