"""GRPO on TRL with over-optimization monitors, an onset alarm, checkpoints and resume.

``MonitoredGRPOTrainer`` is TRL's ``GRPOTrainer`` with one hook: after TRL has generated and
scored a batch, the monitor reads the same rollouts (the rewards it already computed, the
completion ids and masks, the advantages) and adds gold reward, KL to the initial policy,
entropy, lengths and attribution. Gold is scored on the rollouts only if it is not already
one of the training rewards. The only extra compute is one no-grad forward pass of the policy
(and of the reference model when ``beta`` is 0, since TRL then keeps none).

The callback writes one row per step to the run's SQLite file, runs the held-out evaluation,
feeds the alarm, keeps the checkpoint index, and drives the progress bar.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PrinterCallback,
    TrainerCallback,
)
from trl import GRPOConfig, GRPOTrainer

from ripeness.errors import RipenessError, require_model_dir, writable_dir
from ripeness.heldout import (
    TRAINING,
    assessment_matches_training,
    checkpoint_label,
    mixed_reward,
    score_heldout,
)
from ripeness.models.generate import generate_chat
from ripeness.progress import make_progress
from ripeness.records.probes import ProbeStore
from ripeness.records.run import RunDirectory
from ripeness.stats import Rate
from ripeness.tasks.base import TaskFamily, TaskItem, reward_by_name, to_dataset
from ripeness.tasks.registry import get_family
from ripeness.train.alarm import OverOptimizationAlarm
from ripeness.train.config import TrainConfig, dump_config, load_config
from ripeness.train.monitors import (
    RecordingReward,
    RolloutStats,
    advantage_attribution,
    completion_logps,
    sequence_kl,
    zero_variance_fraction,
)

HELDOUT = "heldout_gold"
HELDOUT_PROXY = "heldout_proxy"  # held-out answers the training reward pays (>= HACK_PAID)


class RolloutMonitor:
    """Turns one batch of TRL rollouts into a :class:`RolloutStats`."""

    def __init__(
        self,
        family: TaskFamily,
        recorders: list[RecordingReward],
        weights: list[float],
        reference_model: torch.nn.Module | None,
        kl_samples: int = 0,
    ) -> None:
        self.kl_samples = kl_samples  # completions per step scored by the reference; 0 = all
        self.family = family
        self.recorders = recorders
        self.weights = weights
        self.reference_model = reference_model
        self.pending: tuple[RolloutStats, list[dict[str, Any]]] | None = None

    def observe(self, trainer: GRPOTrainer, inputs: list[dict], output: dict) -> None:
        completions = self.recorders[0].last_completions
        components = {r.__name__: r.last_scores for r in self.recorders}
        total_weight = sum(self.weights) or 1.0
        proxy = [
            sum(w * s for w, s in zip(self.weights, scores, strict=True)) / total_weight
            for scores in zip(*components.values(), strict=True)
        ]
        gold = self._gold(inputs, completions, components)
        mask = output["completion_mask"]
        # KL and entropy come later, from the policy log-probs TRL computes for its loss anyway
        # (see ``on_loss_pass``): one forward pass saved per step
        kl, entropy = [], float("nan")
        eos = set(trainer.eos_token_ids)
        lengths = mask.sum(dim=1).tolist()
        truncated = [
            not any(int(t) in eos for t in ids[:n])
            for ids, n in zip(output["completion_ids"].tolist(), lengths, strict=True)
        ]
        group = trainer.num_generations
        proxy_tensor = torch.tensor(proxy)
        tensors = {name: torch.tensor(v).nan_to_num(0.0) for name, v in components.items()}
        weights = dict(zip(components, self.weights, strict=True))
        stats = RolloutStats(
            proxy=proxy,
            gold=gold,
            lengths=[int(n) for n in lengths],
            truncated=truncated,
            kl=kl,
            entropy=entropy,
            zero_variance_groups=zero_variance_fraction(proxy_tensor, group),
            prompts=len(proxy) // group,
            components=components if len(components) > 1 else {},
            attribution=advantage_attribution(tensors, weights, group) if len(tensors) > 1 else {},
        )
        samples = [
            {
                "item_id": row.get("item_id"),
                "prompt": row["prompt"][-1]["content"],
                "completion": text,
                "gold": g,
                "proxy": p,
                "hacked": hacked,
                "tokens": n,
                "rewards": {name: values[i] for name, values in components.items()},
            }
            for i, (row, text, g, p, hacked, n) in enumerate(
                zip(inputs, completions, gold, proxy, stats.hacked, stats.lengths, strict=True)
            )
        ]
        self.pending = (stats, samples)

    def on_loss_pass(self, inputs: dict, policy_logps: torch.Tensor, entropies: torch.Tensor):
        """Finish the pending stats with KL to the reference and entropy, from the loss pass.

        With one optimisation pass per generation (GRPO's default, ours) the loss sees the
        parameters the rollouts were sampled with, so these are the rollouts' own figures. TRL
        gives reference log-probs only when ``beta > 0``; otherwise the reference model here
        scores the same tokens.
        """
        if self.pending is None:
            return
        stats, _ = self.pending
        mask = inputs["completion_mask"]
        stats.entropy = float((entropies * mask).sum() / mask.sum().clamp(min=1))
        ref_logps = inputs.get("ref_per_token_logps")
        if ref_logps is None:
            # the reference forward is the monitors' one real cost: run it on a strided subset
            # (every group represented), an unbiased estimate of the batch's mean KL
            stride = max(1, mask.size(0) // self.kl_samples) if self.kl_samples else 1
            rows = torch.arange(0, mask.size(0), stride)
            mask, policy_logps = mask[rows], policy_logps[rows]
            input_ids = torch.cat([inputs["prompt_ids"][rows], inputs["completion_ids"][rows]], 1)
            attention = torch.cat([inputs["prompt_mask"][rows], mask], dim=1)
            with torch.no_grad():
                ref_logps = completion_logps(
                    self.reference_model, input_ids, attention, mask.size(1)
                )
        stats.kl += sequence_kl(policy_logps, ref_logps, mask).tolist()

    def _gold(self, inputs, completions, components) -> list[float]:
        gold_name = self.family.gold.name
        for recorder in self.recorders:
            if recorder.reward is self.family.gold:
                return components[gold_name]
        scores = self.family.gold(
            [row["prompt"] for row in inputs],
            completions,
            answer=[row["answer"] for row in inputs],
            metadata=[row.get("metadata") for row in inputs],
        )
        return [0.0 if s is None else float(s) for s in scores]


class MonitoredGRPOTrainer(GRPOTrainer):
    """TRL's GRPOTrainer; the monitor sees every training batch after TRL scores it."""

    def __init__(self, *args, monitor: RolloutMonitor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.monitor = monitor

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self.model.training:
            self.monitor.observe(self, inputs, output)
        return output

    def _compute_loss(self, model, inputs):
        self._loss_inputs = inputs
        try:
            return super()._compute_loss(model, inputs)
        finally:
            self._loss_inputs = None

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, keep, *a, **kw):
        logps, entropies, *rest = super()._get_per_token_logps_and_entropies(
            model, input_ids, attention_mask, keep, *a, **kw
        )
        inputs = getattr(self, "_loss_inputs", None)
        if inputs is not None and entropies is not None:
            self.monitor.on_loss_pass(inputs, logps.detach(), entropies.detach())
        return (logps, entropies, *rest)


@dataclass
class TrainResult:
    run_dir: Path
    steps: int
    alarm_step: int | None
    marked_step: int | None
    final_step: int
    seconds: float


def _bits(outcomes: Sequence[bool]) -> str:
    return "".join("1" if o else "0" for o in outcomes)


def outcomes(evaluation: dict) -> list[bool]:
    """The per-problem outcomes of a held-out evaluation row (``RunDirectory.evals``)."""
    return [c == "1" for c in evaluation.get("outcomes", "")]


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
        show_progress: bool,
    ) -> None:
        self.config = config
        self.run = run
        self.family = family
        self.monitor = monitor
        self.heldout = heldout
        self.tokenizer = tokenizer
        self.alarm = alarm
        self.show_progress = show_progress
        self._progress = None
        self._task = None
        self.model = None
        self.last = {}

    # -- lifecycle ----------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, **kwargs):
        self.model = model
        if not self.run.evals(HELDOUT):
            self._evaluate(0)
        self._progress = make_progress(not self.show_progress)
        self._progress.start()
        self._task = self._progress.add_task(
            "GRPO", total=state.max_steps, completed=state.global_step, status=""
        )

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
        self._progress.update(self._task, completed=step, status=self._status())

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
        if self._progress is not None:
            self._progress.stop()
        self.run.write_checkpoints(self._mark(self.run.checkpoints()))

    # -- pieces -------------------------------------------------------------------------
    def _status(self) -> str:
        m = self.last
        heldout = self.run.evals(HELDOUT)
        text = (
            f"proxy {m.get('proxy', float('nan')):.2f} gold {m.get('gold', float('nan')):.2f} "
            f"hack {m.get('hack_rate', 0):.0%} d {m.get('d', 0):.2f}"
        )
        if heldout:
            text += f" held-out {heldout[-1]['rate']:.0%}"
        if self.alarm.fired_at:
            text += f" [red]ALARM@{self.alarm.fired_at.step}[/]"
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
        for name, outcomes_ in ((HELDOUT, correct), (HELDOUT_PROXY, paid)):
            rate = Rate(sum(outcomes_), len(outcomes_))
            self.run.record_eval(step, name, rate, {**extra, "outcomes": _bits(outcomes_)})
        if assessment_matches_training(self.config):  # checkpoint assessment reads it there
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
        evals = self.run.evals(HELDOUT)
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


def resolve_model(config: TrainConfig, run: RunDirectory, show_progress: bool) -> Path:
    """The starting model: a local folder, or the embedded model built once into the run."""
    if config.model.path != "embedded":
        return require_model_dir(Path(config.model.path))
    path = run.path / "base_model"
    if not (path / "config.json").is_file():
        from ripeness.models.embedded import init_embedded_model

        init_embedded_model(path, show_progress=show_progress)
    return path


def problems(config: TrainConfig, family: TaskFamily) -> tuple[list[TaskItem], list[TaskItem]]:
    """Training prompts and held-out problems, disjoint by construction (split by hash)."""
    task = config.task
    if task.problems_file:
        path = Path(task.problems_file)
        if not path.is_file():
            raise RipenessError(f"task.problems_file {path} does not exist")
        train = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            try:
                train.append(TaskItem.from_columns(json.loads(line)))
            except (json.JSONDecodeError, RipenessError, KeyError, TypeError) as exc:
                raise RipenessError(f"{path}:{number}: not a task row ({exc})") from None
    else:
        train = family.generate(task.train_problems, config.run.seed, task.difficulties, "train")
    heldout = family.generate(
        task.heldout_problems, config.run.seed + 1, task.difficulties, "heldout"
    )
    return train, heldout


def grpo_args(config: TrainConfig, run: RunDirectory) -> GRPOConfig:
    g = config.grpo
    cuda = torch.cuda.is_available()
    return GRPOConfig(
        output_dir=str(run.checkpoints_dir),
        per_device_train_batch_size=g.prompts_per_step * g.num_generations,
        gradient_accumulation_steps=1,
        num_generations=g.num_generations,
        max_completion_length=g.max_completion_length,
        temperature=g.temperature,
        beta=g.beta,
        learning_rate=g.learning_rate,
        lr_scheduler_type="constant",
        max_steps=g.steps,
        scale_rewards=g.scale_rewards,
        reward_weights=[c.weight for c in config.reward.mix()],
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.checkpoints.every,
        report_to=config.logging.report_to or "none",
        use_cpu=not cuda,
        bf16=cuda,
        activation_checkpointing=False,
        use_vllm=g.use_vllm,
        seed=config.run.seed,
        disable_tqdm=True,
        log_completions=False,
    )


def train(
    config: TrainConfig,
    resume: bool = False,
    show_progress: bool = True,
    callbacks: Sequence[TrainerCallback] = (),
) -> TrainResult:
    """Run (or resume) GRPO with monitors; everything lands in ``config.run_dir()``.

    ``callbacks`` run before Ripeness's own (the monitor benchmark times steps with one).
    """
    from ripeness.progress import quiet_libraries

    quiet_libraries()
    family = get_family(config.task.name)  # bad task or reward names fail before any writing
    mix = config.reward.mix()
    recorders = [RecordingReward(reward_by_name(family, c.name)) for c in mix]
    if config.model.path != "embedded":
        require_model_dir(Path(config.model.path))
    run_dir = config.run_dir()
    run = RunDirectory(writable_dir(run_dir, "run folder"))
    if not resume:
        if run.latest_checkpoint() is not None or run.config_path.is_file():
            raise RipenessError(
                f"{run_dir} already holds a run; resume it with `ripeness train --resume "
                f"{run_dir}` or choose another run.name"
            )
        run.config_path.write_text(dump_config(config))
    model_path = resolve_model(config, run, show_progress)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path)
    reference = None
    if config.grpo.beta == 0:
        reference = AutoModelForCausalLM.from_pretrained(model_path).eval()
        reference.requires_grad_(False)
    train_items, heldout = problems(config, family)
    monitor = RolloutMonitor(
        family, recorders, [c.weight for c in mix], reference, config.monitor.kl_samples
    )
    alarm = OverOptimizationAlarm(
        window=config.monitor.window,
        min_drop=config.monitor.min_drop,
        alpha=config.monitor.alpha,
        warmup_steps=config.monitor.warmup_steps,
    )
    checkpoint = run.latest_checkpoint() if resume else None
    resumed_from = int(checkpoint.name.split("-")[-1]) if checkpoint else 0
    run.forget_after(resumed_from)
    run.write_checkpoints([c for c in run.checkpoints() if c["step"] <= resumed_from])
    for row in run.steps():  # replay the recorded steps so the alarm continues where it was
        alarm.update(row["step"], row["gold"], row["proxy"], row["d"], row["prompts"])
    paid = {e["step"]: outcomes(e) for e in run.evals(HELDOUT_PROXY)}
    for gold in run.evals(HELDOUT):
        if gold["step"] in paid:
            alarm.update_heldout(gold["step"], outcomes(gold), paid[gold["step"]])
    callback = MonitorCallback(
        config, run, family, monitor, heldout, tokenizer, alarm, show_progress
    )
    trainer = MonitoredGRPOTrainer(
        model=model,
        reward_funcs=recorders,
        args=grpo_args(config, run),
        train_dataset=to_dataset(train_items),
        processing_class=tokenizer,
        callbacks=[*callbacks, callback],
        monitor=monitor,
    )
    trainer.remove_callback(PrinterCallback)
    start = time.perf_counter()
    if resume:
        run.record_event(resumed_from, "resume", f"resumed from step {resumed_from}")
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    index = run.checkpoints()
    marked = next((c["step"] for c in index if c.get("marked")), None)
    result = TrainResult(
        run_dir=run.path,
        steps=trainer.state.global_step,
        alarm_step=alarm.fired_at.step if alarm.fired_at else None,
        marked_step=marked,
        final_step=trainer.state.global_step,
        seconds=time.perf_counter() - start,
    )
    run.close()
    return result


def resume_run(run_dir: Path, show_progress: bool = True) -> TrainResult:
    run = RunDirectory.open_existing(run_dir)
    config = load_config(run.config_path)
    if Path(config.run_dir()).resolve() != Path(run_dir).resolve():
        # the folder was moved or renamed since: follow it
        config.run.out, config.run.name = str(Path(run_dir).parent), Path(run_dir).name
    return train(config, resume=True, show_progress=show_progress)
