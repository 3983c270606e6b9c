"""The over-optimization monitor for any TRL GRPO script: wrap the rewards, add the callback.

    from ripeness import OverOptimizationMonitor
    monitor = OverOptimizationMonitor("runs/my-run", gold=my_verifier, heldout=heldout_rows)
    trainer = GRPOTrainer(model=..., reward_funcs=monitor.wrap([my_reward]),
                          callbacks=[monitor], args=GRPOConfig(..., logging_steps=1))
    trainer.train()          # then: ripeness report runs/my-run

It records what `ripeness train` records (which is built on it): per step gold, proxy, hack
rate, KL and d = sqrt(KL), entropy, lengths, truncation, attribution; held-out evaluations with
per-problem outcomes; the alarm; the checkpoint index with the one nearest the gold peak
marked. Only TRL's public surface is used: the reward-function contract (the wrapped rewards
see each batch's prompts, completions, token ids and columns) and ``TrainerCallback`` hooks
(the logged ``entropy`` and, when ``beta > 0``, ``kl``). Where a figure is not in TRL's logs
(KL when ``beta = 0``, or anything when ``logging_steps > 1``) the monitor measures it itself on
``kl_samples`` completions of the batch, while the policy is still the one that sampled them.

Under `accelerate launch` it runs in every process: the shards of each batch are gathered
before they are recorded, the held-out evaluation is split across the processes, and the main
process alone writes the records and decides the alarm, which every process then obeys.
"""

from __future__ import annotations

import copy
import inspect
import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import torch
from transformers import TrainerCallback

from ripeness.errors import AlarmStopped, RipenessError, writable_dir
from ripeness.evaluation import TRAINING, checkpoint_label, mixed_reward, score_heldout
from ripeness.models.generate import generate_chat
from ripeness.records.probes import ProbeStore
from ripeness.records.run import (
    ALARM,
    ALL_TRUNCATED,
    HELDOUT_GOLD,
    HELDOUT_PROXY,
    RunDirectory,
    outcome_bits,
    outcomes,
    proxy_outcomes,
)
from ripeness.stats import Rate
from ripeness.tasks.base import Reward, TaskItem
from ripeness.tasks.external import ExternalReward, reference_of
from ripeness.tasks.items import as_items, write_items
from ripeness.train.alarm import OverOptimizationAlarm
from ripeness.train.config import MonitorSection, RewardComponent, TrainConfig, dump_config
from ripeness.train.ranks import die_with_launcher, from_main, gathered, my_share, world_size
from ripeness.train.rollouts import RolloutBatch, rollout_stats, sample_kl

HELDOUT_FILE = "heldout.jsonl"


def as_reward(function: Any, kind: str) -> Reward:
    """Ripeness's reward interface around a reward: ours as is, a reference loaded, a TRL
    reward function wrapped (a reward model given as a module is not a function: say so)."""
    if isinstance(function, Reward):
        return function
    if isinstance(function, str):
        return ExternalReward(function, kind)
    if isinstance(function, torch.nn.Module) or not callable(function):
        raise RipenessError(
            f"{kind} {function!r:.60} is not a reward function; wrap a reward model in a "
            "function def f(prompts, completions, **kwargs) that returns one float each"
        )
    if inspect.iscoroutinefunction(function):
        raise RipenessError(f"{kind} {function.__name__}: async rewards are not monitored yet")
    name = getattr(function, "__name__", kind)
    return ExternalReward(reference_of(function) or name, kind, function=function)


def reward_name(reward: Reward, original: Any) -> str:
    """The name a config can load the reward by again (a built-in's name, a reference)."""
    if isinstance(original, Reward) and not isinstance(original, ExternalReward):
        return reward.name
    return getattr(reward, "reference", reward.name)


class RecordedReward:
    """A reward function as TRL calls it, which hands each batch it scores to the monitor."""

    def __init__(self, function: Callable, index: int, monitor: OverOptimizationMonitor):
        self.function = function
        self.index = index
        self.monitor = monitor
        self.__name__ = getattr(function, "__name__", None) or function.name

    def __call__(self, prompts=None, completions=None, **kwargs):
        scores = self.function(prompts=prompts, completions=completions, **kwargs)
        self.monitor.observe(self.index, prompts, completions, kwargs, scores)
        return scores


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
        known = {f.name for f in fields(MonitorSection)}
        unknown = set(settings) - known
        if unknown:
            raise RipenessError(
                f"OverOptimizationMonitor: no setting {', '.join(sorted(unknown))}; "
                f"choose from {', '.join(sorted(known))}"
            )
        self.run_dir = Path(run_dir)
        self.settings = MonitorSection(**settings)
        self._gold_original = gold
        self.gold = as_reward(gold, "gold")
        self.heldout = as_items(heldout)
        self.reference = reference
        self.base_model = base_model
        self.eval_on_save = eval_on_save
        self.config: TrainConfig | None = None  # `ripeness train` passes its own
        self.run: RunDirectory | None = None
        self._owns_run = True
        self.alarm = self._new_alarm()
        self.rewards: list[Reward] = []
        self._originals: list[Any] = []
        self.model = None
        self.tokenizer = None
        self.last: dict[str, Any] = {}
        self._batch: RolloutBatch | None = None
        self._row: tuple[int, Any, list] | None = None
        self._evaluated_at: int | None = None
        self._measure_kl = False  # decided at train begin, from beta and the logging steps
        self.main = True  # the process that writes (rank 0 of several)
        self.engine = None  # TRL's vLLM engine, once attached
        self._warned_truncation = False  # the console hears of all-truncated steps once

    @classmethod
    def for_run(
        cls, config: TrainConfig, run: RunDirectory, gold: Reward, heldout: list[TaskItem]
    ) -> OverOptimizationMonitor:
        """The monitor `ripeness train` uses: its config, its open run folder."""
        monitor = cls(
            run.path,
            gold,
            heldout,
            eval_on_save=False,  # its own task reloads by name: assessment can re-score
            **{f.name: getattr(config.monitor, f.name) for f in fields(MonitorSection)},
        )
        monitor.config, monitor.run, monitor._owns_run = config, run, False
        return monitor

    def _new_alarm(self) -> OverOptimizationAlarm:
        s = self.settings
        alarm = OverOptimizationAlarm(
            window=s.window, min_drop=s.min_drop, alpha=s.alpha, warmup_steps=s.warmup_steps
        )
        alarm.group_relative = any(r.group_relative for r in getattr(self, "rewards", []))
        return alarm

    def attach(self, trainer) -> OverOptimizationMonitor:
        """Ask the trainer's own vLLM engine for the held-out evaluations (``use_vllm``):
        ``monitor.attach(trainer)`` after building it. Without vLLM it changes nothing."""
        from ripeness.train.vllm_engine import engine_of

        self.engine = engine_of(trainer)
        return self

    # -- the rewards ------------------------------------------------------------------------
    def wrap(self, rewards: Any) -> list[RecordedReward]:
        """The reward functions to give TRL's ``reward_funcs``: the same ones, each batch they
        score also seen by the monitor. Weights are TRL's ``reward_weights``."""
        rewards = list(rewards) if isinstance(rewards, list | tuple) else [rewards]
        if not rewards:
            raise RipenessError("OverOptimizationMonitor.wrap: give at least one reward")
        self._originals = rewards
        self.rewards = [as_reward(r, "proxy") for r in rewards]
        names = [r.name for r in self.rewards]
        if len(set(names)) != len(names):  # each batch's scores are kept by reward name
            raise RipenessError(
                f"OverOptimizationMonitor.wrap: two rewards share a name ({', '.join(names)}); "
                "give each function its own name"
            )
        self.alarm.group_relative = any(r.group_relative for r in self.rewards)
        return [RecordedReward(r, i, self) for i, r in enumerate(rewards)]

    def observe(self, index: int, prompts, completions, kwargs: dict, scores) -> None:
        """One reward's scores of the current batch; the last reward completes the batch."""
        if self.model is not None and not self.model.training:
            return  # TRL's own evaluation loop: not a training batch
        if index == 0:
            self._batch = RolloutBatch.from_call(prompts, completions, kwargs)
        if self._batch is None:
            return
        self._batch.scores[self.rewards[index].name] = [
            float("nan") if s is None else float(s) for s in scores
        ]
        if index == len(self.rewards) - 1 and self._measure_kl and self.model is not None:
            # the policy is still the one that sampled this batch: measure KL now, each
            # process on its shard (together the step's kl_samples)
            samples = self.settings.kl_samples and -(-self.settings.kl_samples // world_size())
            self._batch.kl, self._batch.entropy = sample_kl(
                self.model, self._reference, self.tokenizer, self._batch, samples
            )

    def _gold_of(self, batch: RolloutBatch) -> list[float]:
        for reward, original in zip(self.rewards, self._originals, strict=True):
            if reward is self.gold or original is self._gold_original:
                return [0.0 if math.isnan(s) else s for s in batch.scores[reward.name]]
        scores = self.gold(batch.prompts, batch.completions, **batch.columns)
        return [0.0 if s is None else float(s) for s in scores]

    # -- lifecycle --------------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        if not self.rewards:
            raise RipenessError(
                "OverOptimizationMonitor: pass reward_funcs=monitor.wrap([...]) to the trainer"
            )
        self.model, self.tokenizer = model, processing_class
        self.main = state.is_world_process_zero
        die_with_launcher()  # a user's script under accelerate launch: no orphans either
        self.group = args.num_generations
        weights = args.reward_weights or [1.0] * len(self.rewards)
        if len(weights) != len(self.rewards):
            raise RipenessError(
                f"reward_weights has {len(weights)} weights for {len(self.rewards)} rewards"
            )
        self.weights = [float(w) for w in weights]
        eos = getattr(processing_class, "eos_token_id", None)
        generation_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        self.eos_ids = {e for e in _as_list(eos) + _as_list(generation_eos) if e is not None}
        # TRL logs entropy (and KL when beta > 0) per logging step: per step only at 1
        self._logs_per_step = state.logging_steps == 1 and args.logging_strategy == "steps"
        self._measure_kl = args.beta == 0 or not self._logs_per_step
        if self.run is None and self.main:
            self.run = RunDirectory(writable_dir(self.run_dir, "run folder"))
        self._refuse_past_a_stop(state.global_step)
        self.max_completion_length = int(args.max_completion_length)
        self.mask_truncated = bool(getattr(args, "mask_truncated_completions", False))
        if self.config is None:
            self.config = self._config_from(args, model)
            if self.main:
                self.run.config_path.write_text(dump_config(self.config))
        self._reference = self._reference_for(model, state) if self._measure_kl else None
        if self.main:
            self._continue_from(state.global_step)
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
            stats, samples = rollout_stats(
                batch, self._gold_of(batch), self.weights, self.group, self.eos_ids
            )
        self._row = (state.global_step, stats, samples)
        if not self._logs_per_step:
            self._finish(*self._row, state, control)

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self._row is None or self._row[0] != state.global_step:
            return
        step, stats, samples = self._row
        if stats is not None:  # the main process: TRL's log is of the gathered batch
            _read_trl_log(stats, logs or {})
        self._finish(step, stats, samples, state, control)

    def on_save(self, args, state, control, **kwargs):
        if not self.main:
            return
        step = state.global_step
        folder = Path(args.output_dir) / f"checkpoint-{step}"
        entry: dict[str, Any] = {"step": step, "marked": False}
        try:
            entry["path"] = str(folder.resolve().relative_to(self.run.path.resolve()))
        except ValueError:  # the trainer's output_dir is elsewhere: point at it
            entry.update(path=str(folder.resolve()), external=True)
        entry.update({k: self.last.get(k) for k in ("proxy", "gold", "d")})
        index = [c for c in self.run.checkpoints() if c["step"] != step] + [entry]
        self.run.write_checkpoints(self._mark(sorted(index, key=lambda c: c["step"])))

    def on_train_end(self, args, state, control, **kwargs):
        if self._row is not None:
            self._finish(*self._row, state, control)
        if not self.main:
            return
        self.run.write_checkpoints(self._mark(self.run.checkpoints()))
        if self._owns_run:
            self.run.close()
            self.run = None

    # -- pieces -----------------------------------------------------------------------------
    def _finish(self, step: int, stats, samples: list, state, control) -> None:
        """Record the step, update the alarm, evaluate when due, act on an alarm.

        Every process comes here with the same step (the others without figures): the
        evaluations are collective, and the alarm's decision is the main process's."""
        self._row = None
        fired_before = self.alarm.fired_at
        if self.main:
            metrics = stats.as_metrics()
            self.run.record_step(step, metrics, samples[: self.settings.samples_per_step])
            self.last = metrics
            self.alarm.update(
                step, metrics["gold"], metrics["proxy"], metrics["d"], metrics["prompts"]
            )
            if self.eos_ids and stats.truncated and all(stats.truncated):
                self._all_truncated(step, stats)
        due = step % self.settings.eval_every == 0 or step >= state.max_steps
        if due or (self.eval_on_save and control.should_save):
            self._evaluate(step)
        if from_main(self.alarm.fired_at is not fired_before):
            action = self.settings.alarm_action
            if self.main:
                status = self.alarm.fired_at
                self.run.record_event(
                    status.step, "alarm", status.reason, {"action": action, **status.as_dict()}
                )
            if action == "stop":
                control.should_training_stop = True
            if self._evaluated_at != step:
                self._evaluate(step)  # the run may stop here: evaluate where it stops
        if step >= state.max_steps or control.should_training_stop:
            control.should_save = True

    def _all_truncated(self, step: int, stats) -> None:
        """Every completion of the step ran into max_completion_length (TRL logs
        ``completions/clipped_ratio`` = 1): record it, and say so on the console once."""
        n, length = len(stats.truncated), self.max_completion_length
        if self.mask_truncated:  # TRL masks truncated completions out of the loss
            effect = "mask_truncated_completions masks them all, so the step trained on nothing"
            fix = "raise max_completion_length or set mask_truncated_completions=False"
        else:
            effect = "their rewards scored unfinished replies"
            if stats.zero_variance_groups == 1:
                effect += " and no group's rewards differ, so its policy gradient is zero"
            fix = "raise max_completion_length"
        message = (
            f"all {n} completions of step {step} hit max_completion_length={length} "
            f"without ending: {effect}; {fix}"
        )
        data = {"completions": n, "max_completion_length": length, "masked": self.mask_truncated}
        self.run.record_event(step, ALL_TRUNCATED, message, data)
        if not self._warned_truncation:  # one line, above TRL's progress bar if it shows
            from tqdm.auto import tqdm

            self._warned_truncation = True
            tqdm.write(f"warning: {message} (each such step is in the records)", file=sys.stderr)

    def _refuse_past_a_stop(self, step: int) -> None:
        """Resumed at or after the step where the alarm stopped the run: raise AlarmStopped
        before any step trains (as `ripeness train --resume` trains none).

        transformers' loop reads ``control.should_training_stop`` only after a step, so setting
        it here (or in ``on_step_begin``) would still train one. ``alarm_action`` other than
        ``stop`` in the resumed script trains on past the alarm."""
        stopped = None
        if self.main and step and self.settings.alarm_action == "stop":
            stops = [e for e in self.run.events(ALARM) if e.get("action") == "stop"]
            stopped = next((e["step"] for e in stops if e["step"] <= step), None)
        stopped = from_main(stopped)
        if stopped is None:
            return
        where = self.run_dir
        if self.main and self._owns_run:
            self.run.close()
            self.run = None
        raise AlarmStopped(
            f"{where}: the alarm stopped this run at step {stopped} (alarm_action='stop'), so "
            f"resuming it from step {step} trains no further step; read it with `ripeness "
            f"report {where}`, or pass alarm_action='warn' to train past the alarm",
            stopped,
        )

    def status(self) -> str:
        """The progress bar's line: the latest step's figures, held-out gold, the alarm."""
        latest = self.last
        text = (
            f"proxy {latest.get('proxy', float('nan')):.2f} "
            f"gold {latest.get('gold', float('nan')):.2f} "
            f"hack {latest.get('hack_rate', 0):.0%} d {latest.get('d', 0):.2f}"
        )
        heldout = self.run.evals(HELDOUT_GOLD) if self.run is not None else []
        if heldout:
            text += f" held-out {heldout[-1]['rate']:.0%}"
        if self.alarm.fired_at:
            fired = self.alarm.fired_at
            text += f" [red]{fired.alarm_kind.upper()} ALARM@{fired.step}[/]"
        return text

    def _evaluate(self, step: int) -> None:
        """Held-out gold and proxy, problem by problem; feeds the alarm's held-out check.

        Each process answers its share of the problems; the main process scores them all."""
        self._evaluated_at = step
        generations = self._answer_heldout()
        if not self.main:
            return
        texts = [g.text for g in generations]
        proxy = mixed_reward(
            list(zip(self.rewards, self.weights, strict=True)), self.heldout, texts
        )
        tokens = [g.completion_tokens for g in generations]
        result = score_heldout(self.gold, self.heldout, texts, tokens, proxy)
        correct = [r["correct"] for r in result.records]
        paid = [r["proxy_paid"] for r in result.records]
        scores = [round(r["proxy"], 4) for r in result.records]
        hacked = [r["hacked"] for r in result.records]
        # per-problem outcomes ("0110...") let two evaluations be compared pair by pair; the
        # proxy's own scores and the hack outcomes too (the alarm judges the proxy on its scale)
        extra = {
            "mean_tokens": sum(tokens) / max(1, len(tokens)),
            "temperature": self.settings.eval_temperature,
        }
        proxy_extra = {"scores": scores, "hacked": outcome_bits(hacked)}
        for name, values, more in (
            (HELDOUT_GOLD, correct, {}),
            (HELDOUT_PROXY, paid, proxy_extra),
        ):
            rate = Rate(sum(values), len(values))
            self.run.record_eval(
                step, name, rate, {**extra, **more, "outcomes": outcome_bits(values)}
            )
        if self.config.assessment_matches_training():  # checkpoint assessment reads it there
            store = ProbeStore(self.run.path)
            try:
                store.save(checkpoint_label(step), result, {"step": step, "from": TRAINING})
            finally:
                store.close()
        self.alarm.update_heldout(step, correct, paid, scores, hacked)

    def _answer_heldout(self) -> list:
        """The policy's answers to the held-out problems (all of them on the main process):
        from TRL's vLLM engine when attached, else from the training model, each process
        answering its share."""
        conversations = [list(item.prompt) for item in self.heldout]
        length, temperature = self.config.grpo.max_completion_length, self.settings.eval_temperature
        seed = self.config.run.seed + 1  # the same draw at every evaluation
        if self.engine is not None:
            from ripeness.train.vllm_engine import generate_with_engine

            return generate_with_engine(
                self.engine, self.tokenizer, conversations, length, temperature, seed
            )
        was_training = self.model.training
        mine = generate_chat(
            self.model,
            self.tokenizer,
            my_share(conversations),
            length,
            temperature=temperature,
            seed=seed,
        )
        if was_training:
            self.model.train()
        return gathered(mine)

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

    def _continue_from(self, step: int) -> None:
        """Forget what was recorded after the step training resumes from, and replay the rest
        into the alarm, so a resumed run continues where the killed one was."""
        self.run.forget_after(step)
        self.run.write_checkpoints([c for c in self.run.checkpoints() if c["step"] <= step])
        self.alarm = self._new_alarm()
        for row in self.run.steps():
            self.alarm.update(row["step"], row["gold"], row["proxy"], row["d"], row["prompts"])
        proxies = {e["step"]: e for e in self.run.evals(HELDOUT_PROXY)}
        for gold in self.run.evals(HELDOUT_GOLD):
            if (proxy := proxies.get(gold["step"])) is not None:
                self.alarm.update_heldout(gold["step"], outcomes(gold), *proxy_outcomes(proxy))
        if step:
            self.run.record_event(step, "resume", f"resumed from step {step}")

    def _reference_for(self, model, state):
        """The initial policy KL is measured against (see the class docstring)."""
        if isinstance(self.reference, torch.nn.Module):
            return self.reference.eval().requires_grad_(False)
        if hasattr(model, "disable_adapter"):  # peft: the base weights are the reference
            return model.disable_adapter
        from transformers import AutoModelForCausalLM

        from ripeness.models.sources import resolve_model

        source = self.reference or _base_name(model)
        try:
            path = resolve_model(str(source)) if source else None
        except RipenessError:
            path = None
        if path is not None:
            reference = AutoModelForCausalLM.from_pretrained(path, dtype=model.dtype)
            return reference.to(model.device).eval().requires_grad_(False)
        if state.global_step == 0:
            return copy.deepcopy(model).eval().requires_grad_(False)
        raise RipenessError(
            "OverOptimizationMonitor: resuming with beta=0 needs the starting model for KL; "
            "pass reference='path/to/the/initial/model'"
        )

    def _config_from(self, args, model) -> TrainConfig:
        """The run's config as `ripeness report` reads it, from the script's GRPOConfig."""
        config = TrainConfig()
        config.run.name, config.run.out = self.run_dir.name, str(self.run_dir.parent)
        config.run.seed = int(args.seed)
        config.model.path = str(self.base_model or _base_name(model) or "")
        gold_reference = getattr(self.gold, "reference", None)
        reloadable = gold_reference and ":" in gold_reference
        items = self.heldout
        if not reloadable and not _is_builtin(self._gold_original):
            # the rows' own family would supply a gold that is not this one: name none
            items = [replace(i, task="custom") for i in items]
        path = self.run_dir / HELDOUT_FILE
        if self.main:
            write_items(path, items)
        config.task.name = f"items:{path.resolve()}"
        config.task.gold = gold_reference if reloadable else ""
        config.task.heldout_problems = config.select.heldout_problems = len(items)
        config.task.difficulties = sorted({i.difficulty for i in items})
        config.reward.components = [
            RewardComponent(reward_name(r, o), w)
            for r, o, w in zip(self.rewards, self._originals, self.weights, strict=True)
        ]
        grpo = config.grpo
        grpo.steps = int(args.max_steps) if args.max_steps and args.max_steps > 0 else grpo.steps
        grpo.num_generations = int(args.num_generations)
        batch = args.per_device_train_batch_size * args.gradient_accumulation_steps
        grpo.prompts_per_step = max(1, batch * max(1, args.world_size) // grpo.num_generations)
        grpo.max_completion_length = int(args.max_completion_length)
        grpo.temperature = float(args.temperature)
        grpo.beta = float(args.beta)
        grpo.learning_rate = float(args.learning_rate)
        config.monitor = self.settings
        every = args.save_steps if args.save_strategy == "steps" else 0
        config.checkpoints.every = int(every) if every and every >= 1 else 10
        config.select.every = 1  # assess every checkpoint the script saved
        config.select.temperature = self.settings.eval_temperature
        return config.validate()


def _read_trl_log(stats, logs: Mapping[str, Any]) -> None:
    """Entropy, and KL when TRL measured it (beta > 0), from TRL's log of the step."""
    if isinstance(logs.get("entropy"), int | float):
        stats.entropy = float(logs["entropy"])
    if not stats.kl and isinstance(logs.get("kl"), int | float):
        # TRL's kl is the token-weighted mean of the same k3 estimate; per sequence it is
        # that times the batch's tokens per completion
        stats.kl = [float(logs["kl"]) * sum(stats.lengths) / max(1, len(stats.lengths))]


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) else [value]


def _base_name(model) -> str | None:
    """The starting model a (possibly LoRA-wrapped) model was loaded from."""
    peft = getattr(model, "peft_config", None)
    if isinstance(peft, Mapping) and peft:
        return next(iter(peft.values())).base_model_name_or_path
    return getattr(model, "name_or_path", None) or None


def _is_builtin(reward: Any) -> bool:
    return isinstance(reward, Reward) and not isinstance(reward, ExternalReward)
