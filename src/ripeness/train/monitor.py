"""The over-optimization monitor for any TRL GRPO script: wrap the rewards, add the callback.

    from ripeness import OverOptimizationMonitor
    monitor = OverOptimizationMonitor("runs/my-run", gold=my_verifier, heldout=heldout_rows)
    trainer = GRPOTrainer(model=..., reward_funcs=monitor.wrap([my_reward]),
                          callbacks=[monitor], args=GRPOConfig(..., logging_steps=1))
    trainer.train()          # then: ripeness report runs/my-run

It records what `ripeness train` (built on it) records, through TRL's public surface only (the
reward contract, ``TrainerCallback`` hooks); ``ripeness.train``'s map says which module does
what. Under `accelerate launch` it runs in every process: the main one alone writes the records
and decides the alarm, which every process then obeys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from ripeness.errors import writable_dir
from ripeness.options import AlarmAction
from ripeness.records.run import ALARM, HELDOUT_GOLD, RunDirectory
from ripeness.tasks.base import Reward, TaskItem
from ripeness.tasks.items import as_items
from ripeness.train.alarm import OverOptimizationAlarm
from ripeness.train.batch_stats import record_all_truncated, rollout_stats, status_line
from ripeness.train.checkpoint_index import continue_from, mark, past_the_stop, record_save
from ripeness.train.config import MonitorSection, TrainConfig, dump_config
from ripeness.train.grpo_mapping import TrainerFacts, script_config
from ripeness.train.heldout import HeldoutEvaluator
from ripeness.train.kl import base_model_name, measure_kl, reference_model
from ripeness.train.ranks import die_with_launcher, from_main, gathered
from ripeness.train.recorded_rewards import RecordedReward, as_reward, as_rewards, gold_scores
from ripeness.train.rollouts import RolloutBatch


class OverOptimizationMonitor(TrainerCallback):
    """Gold, proxy, KL, held-out evaluations and the alarm for a TRL GRPO run, into a run
    folder that `ripeness report` and `ripeness select` read.

    ``gold``: the verifier (a TRL-style reward function, a ``file.py:fn`` reference, or a
    Ripeness reward). ``heldout``: rows never trained on (a ``datasets.Dataset``, dicts with
    ``prompt`` and ``answer``, or TaskItems). ``reference``: the initial policy for KL when
    ``beta = 0`` (default: the model's own ``name_or_path``, which is the starting weights
    even when resuming; a LoRA model's reference is itself with the adapters off).
    ``settings``: any ``[monitor]`` field (``eval_every``, ``alarm_action``, ``kl_samples``,
    ...). ``eval_on_save``: evaluate at every saved checkpoint too, so the report never has to
    re-score one (a gold function defined in the training script cannot be reloaded).
    """

    def __init__(
        self,
        run_dir: str | Path,
        gold: Any,
        heldout: Iterable[TaskItem | Mapping[str, Any]],
        *,
        reference: str | Path | torch.nn.Module | None = None,
        base_model: str | None = None,
        eval_on_save: bool = True,
        **settings: Any,
    ) -> None:
        self.settings = MonitorSection.of(settings, "OverOptimizationMonitor")
        self.run_dir = Path(run_dir)
        self._gold_original, self.gold = gold, as_reward(gold, "gold")
        self.heldout = as_items(heldout)
        self.reference, self.base_model, self.eval_on_save = reference, base_model, eval_on_save
        self.config: TrainConfig | None = None  # `ripeness train` passes its own
        self.run: RunDirectory | None = None
        self._owns_run = True
        self.rewards: list[Reward] = []
        self._originals: list[Any] = []  # the rewards as the script gave them
        self.alarm = self._new_alarm()
        self.model = self.tokenizer = self.engine = None  # engine: TRL's vLLM, once attached
        self.trl: TrainerFacts | None = None  # read at train begin
        self.main = True  # the process that writes (rank 0 of several)
        self.last: dict[str, Any] = {}
        self._batch: RolloutBatch | None = None
        self._row: tuple | None = None  # (step, statistics, samples) awaiting the step's log
        self._reference = self._heldout = None  # KL's reference, the evaluator: at train begin
        self._evaluated_at: int | None = None
        self._warned = False  # the console hears of all-truncated steps once

    @classmethod
    def for_run(
        cls, config: TrainConfig, run: RunDirectory, gold: Reward, heldout: list[TaskItem]
    ) -> OverOptimizationMonitor:
        """`ripeness train`'s: its config and open run folder; its task reloads by name."""
        monitor = cls(run.path, gold, heldout, eval_on_save=False, **asdict(config.monitor))
        monitor.config, monitor.run, monitor._owns_run = config, run, False
        return monitor

    def _new_alarm(self) -> OverOptimizationAlarm:
        s = self.settings
        alarm = OverOptimizationAlarm(s.window, s.min_drop, s.alpha, s.warmup_steps)
        alarm.group_relative = any(r.group_relative for r in self.rewards)
        return alarm

    def attach(self, trainer) -> OverOptimizationMonitor:
        """Ask the trainer's own vLLM engine for the held-out evaluations (``use_vllm``):
        ``monitor.attach(trainer)`` after building it. Without vLLM it changes nothing."""
        from ripeness.train.vllm_engine import engine_of

        self.engine = engine_of(trainer)
        return self

    def wrap(self, rewards: Any) -> list[RecordedReward]:
        """The reward functions to give TRL's ``reward_funcs``: the same ones, each batch they
        score also seen by the monitor. Weights are TRL's ``reward_weights``."""
        self._originals, self.rewards = as_rewards(rewards)
        self.alarm.group_relative = any(r.group_relative for r in self.rewards)
        return [RecordedReward(r, i, self.observe) for i, r in enumerate(self._originals)]

    # -- the trainer's hooks (a reward call is one too) -------------------------------------
    def observe(self, index: int, prompts, completions, kwargs: dict, scores) -> None:
        """One reward's scores of the current batch; the last reward completes the batch."""
        if self.model is not None and not self.model.training:
            return  # TRL's own evaluation loop: not a training batch
        if index == 0:
            self._batch = RolloutBatch.from_call(prompts, completions, kwargs)
        if self._batch is None:
            return
        self._batch.add_scores(self.rewards[index].name, scores)
        last = index == len(self.rewards) - 1
        if last and self.model is not None and self.trl.measure_kl:
            kl_samples = self.settings.kl_samples  # the policy is still the one that sampled
            measure_kl(self._batch, self.model, self._reference, self.tokenizer, kl_samples)

    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        self.model, self.tokenizer = model, processing_class
        self.main = state.is_world_process_zero
        die_with_launcher()  # a user's script under accelerate launch: no orphans either
        self.trl = TrainerFacts.read(args, state, model, processing_class, len(self.rewards))
        if self.run is None and self.main:
            self.run = RunDirectory(writable_dir(self.run_dir, "run folder"))
        # resumed at or after the alarm's stop: raise before any step trains (transformers
        # reads should_training_stop only after a step), as `ripeness train --resume` does
        stop = self.main and state.global_step and self.settings.alarm_action == AlarmAction.STOP
        if (stopped := past_the_stop(self.run, self.run_dir, state.global_step, stop)) is not None:
            self._close_own_run()
            raise stopped
        if self.config is None:  # a user's script: the config `ripeness report` will read
            model_path = str(self.base_model or base_model_name(model) or "")
            rewards = zip(self.rewards, self._originals, self.trl.weights, strict=True)
            gold = (self.gold, self._gold_original)
            heldout, settings = self.heldout, self.settings
            self.config = script_config(
                args, self.run_dir, model_path, heldout, gold, rewards, settings, self.main
            )
            if self.main:
                self.run.config_path.write_text(dump_config(self.config))
        if self.trl.measure_kl:
            self._reference = reference_model(self.reference, model, state.global_step)
        mix = list(zip(self.rewards, self.trl.weights, strict=True))
        self._heldout = HeldoutEvaluator.of(self.config, self.heldout, self.gold, mix)
        if self.main:
            self.alarm = continue_from(self.run, state.global_step, self._new_alarm)
        if from_main(self.main and not self.run.evals(HELDOUT_GOLD)):
            self._evaluate(0)

    def on_step_end(self, args, state, control, **kwargs):
        if self._row is not None:  # its log never came: record it as it is
            self._finish(*self._row, state, control)
        if self._batch is None or len(self._batch.scores) < len(self.rewards):
            return  # this step trained on rollouts generated for an earlier one
        batch, self._batch = RolloutBatch.merged(gathered([self._batch])), None
        stats = samples = None  # the other processes only take part in the collectives
        if self.main:
            t, rewards = self.trl, (self.rewards, self._originals)
            gold = gold_scores(self.gold, self._gold_original, *rewards, batch)
            stats, samples = rollout_stats(batch, gold, t.weights, t.group, t.eos_ids)
        self._row = (state.global_step, stats, samples)
        if not self.trl.logs_per_step:
            self._finish(*self._row, state, control)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self._row is None or self._row[0] != state.global_step:
            return
        step, stats, samples = self._row
        if stats is not None:  # the main process: TRL's log is of the gathered batch
            stats.read_trl_log(logs or {})
        self._finish(step, stats, samples, state, control)

    def on_save(self, args, state, control, **kwargs):
        if self.main:
            record_save(self.run, args.output_dir, state.global_step, self.last, self.alarm)

    def on_train_end(self, args, state, control, **kwargs):
        if self._row is not None:
            self._finish(*self._row, state, control)
        if not self.main:
            return
        self.run.write_checkpoints(mark(self.run, self.run.checkpoint_index(), self.alarm))
        self._close_own_run()

    # -- what the hooks do ------------------------------------------------------------------
    def _finish(self, step: int, stats, samples, state, control) -> None:
        """Record the step, update the alarm, evaluate when due, act on an alarm. Every
        process comes here with the same step (the others without figures): the evaluations
        are collective, and the alarm's decision is the main process's."""
        self._row = None
        fired_before = self.alarm.fired_at
        if self.main:
            self.last = metrics = stats.as_metrics()
            self.run.record_step(step, metrics, samples[: self.settings.samples_per_step])
            self.alarm.update(step, *(metrics[k] for k in ("gold", "proxy", "d", "prompts")))
            if self.trl.eos_ids and stats.all_truncated:
                length, masked = self.trl.max_completion_length, self.trl.mask_truncated
                self._warned = record_all_truncated(
                    self.run, step, stats, length, masked, self._warned
                )
        due = step % self.settings.eval_every == 0 or step >= state.max_steps
        if due or (self.eval_on_save and control.should_save):
            self._evaluate(step)
        if from_main(self.alarm.fired_at is not fired_before):
            action = self.settings.alarm_action
            if self.main:
                status = self.alarm.fired_at
                data = {"action": action, **status.as_dict()}
                self.run.record_event(status.step, ALARM, status.reason, data)
            if action == AlarmAction.STOP:
                control.should_training_stop = True
            if self._evaluated_at != step:
                self._evaluate(step)  # the run may stop here: evaluate where it stops
        if step >= state.max_steps or control.should_training_stop:
            control.should_save = True

    def _close_own_run(self) -> None:
        if self.main and self._owns_run:  # `ripeness train` closes its own
            self.run.close()
            self.run = None

    def status(self) -> str:
        """The progress bar's line: the latest step's figures, held-out gold, the alarm."""
        heldout = self.run.evals(HELDOUT_GOLD) if self.run is not None else []
        return status_line(self.last, heldout, self.alarm.fired_at)

    def _evaluate(self, step: int) -> None:
        """Held-out gold and proxy, problem by problem; feeds the alarm's held-out check."""
        self._evaluated_at = step
        generations = self._heldout.answers(self.model, self.tokenizer, self.engine)
        if self.main:  # each process answered its share; the main one scores them all
            self.alarm.update_heldout(step, *self._heldout.record(self.run, step, generations))
