"""TrainConfig <-> TRL's GRPOConfig, both directions in one place.

:func:`grpo_args` is what `ripeness train` hands TRL; :func:`config_from_grpo` is the config a
user's own TRL script is recorded under (what `ripeness report` reads back), rebuilt from its
``GRPOConfig`` (:func:`script_config` adds the script's held-out problems and rewards);
:class:`TrainerFacts` is what the monitor reads off it at train begin. TRL is imported only
when the arguments are built, so the config stays light for the commands that only read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError
from ripeness.records.run import RunDirectory
from ripeness.tasks.base import Reward, TaskItem
from ripeness.train.config import MonitorSection, RewardComponent, TrainConfig
from ripeness.train.heldout import heldout_task
from ripeness.train.recorded_rewards import reward_name


def grpo_args(config: TrainConfig, run: RunDirectory, processes: int = 1):
    """TRL's settings for the run; a step's prompts are split over the training processes."""
    import torch
    from trl import GRPOConfig

    grpo = config.grpo
    cuda = torch.cuda.is_available()
    batch = grpo.prompts_per_step * grpo.num_generations
    if batch % processes:
        raise RipenessError(
            f"grpo.prompts_per_step x num_generations = {batch} completions per step do not "
            f"split over {processes} processes; make it a multiple of {processes}"
        )
    return GRPOConfig(
        output_dir=str(run.checkpoints_dir),
        per_device_train_batch_size=batch // processes,
        gradient_accumulation_steps=1,
        num_generations=grpo.num_generations,
        max_completion_length=grpo.max_completion_length,
        temperature=grpo.temperature,
        beta=grpo.beta,
        learning_rate=grpo.learning_rate,
        # a warmup keeps the first steps, where the policy is furthest from its reference, small
        lr_scheduler_type="constant_with_warmup" if grpo.lr_warmup_steps else "constant",
        warmup_steps=grpo.lr_warmup_steps,
        max_steps=grpo.steps,
        scale_rewards=grpo.scale_rewards,
        reward_weights=[c.weight for c in config.reward.mix()],
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.checkpoints.every,
        report_to=config.logging.report_to or "none",
        use_cpu=not cuda,
        bf16=cuda,
        activation_checkpointing=False,
        use_vllm=grpo.use_vllm,
        **({"vllm_mode": grpo.vllm_mode} if grpo.use_vllm else {}),
        seed=config.run.seed,
        disable_tqdm=True,
        log_completions=False,
    )


def script_config(
    args: Any,
    run_dir: Path,
    model_path: str,
    heldout: list[TaskItem],
    gold: tuple[Reward, Any],
    rewards: Iterable[tuple[Reward, Any, float]],
    monitor: MonitorSection,
    write: bool,
) -> TrainConfig:
    """The config a user's TRL script is recorded under: its held-out problems written into
    the run folder (by the main process: ``write``) as the task, ``gold`` (the reward and what
    the script passed) as its verifier, ``rewards`` (each reward, what the script passed, its
    weight) as the mix."""
    name, reference, items = heldout_task(run_dir, heldout, *gold, write=write)
    components = [RewardComponent(reward_name(r, o), w) for r, o, w in rewards]
    task = (name, reference)
    return config_from_grpo(args, run_dir, model_path, task, items, components, monitor)


def config_from_grpo(
    args: Any,
    run_dir: Path,
    model_path: str,
    task: tuple[str, str],
    heldout: Sequence[TaskItem],
    components: list[RewardComponent],
    monitor: MonitorSection,
) -> TrainConfig:
    """The config of a run a script trained with ``args`` (a ``GRPOConfig``): ``task`` is
    (``task.name``, ``task.gold``) of its ``heldout`` problems, ``components`` its rewards."""
    config = TrainConfig()
    config.run.name, config.run.out = run_dir.name, str(run_dir.parent)
    config.run.seed = int(args.seed)
    config.model.path = model_path
    config.task.name, config.task.gold = task
    config.task.heldout_problems = config.select.heldout_problems = len(heldout)
    config.task.difficulties = sorted({i.difficulty for i in heldout})
    config.reward.components = components
    grpo = config.grpo
    grpo.steps = int(args.max_steps) if args.max_steps and args.max_steps > 0 else grpo.steps
    grpo.num_generations = int(args.num_generations)
    batch = args.per_device_train_batch_size * args.gradient_accumulation_steps
    grpo.prompts_per_step = max(1, batch * max(1, args.world_size) // grpo.num_generations)
    grpo.max_completion_length = int(args.max_completion_length)
    grpo.temperature = float(args.temperature)
    grpo.beta = float(args.beta)
    grpo.learning_rate = float(args.learning_rate)
    grpo.lr_warmup_steps = args.get_warmup_steps(grpo.steps)  # a ratio below 1, as TRL reads it
    config.monitor = monitor
    every = args.save_steps if args.save_strategy == "steps" else 0
    config.checkpoints.every = int(every) if every and every >= 1 else 10
    config.select.every = 1  # assess every checkpoint the script saved
    config.select.temperature = monitor.eval_temperature
    return config.validate()


@dataclass(frozen=True)
class TrainerFacts:
    """What the monitor reads off a trainer's ``GRPOConfig`` (and model) at train begin."""

    group: int  # completions per prompt
    weights: list[float]  # one per reward
    eos_ids: set[int]  # a completion without one of these ran into the length limit
    logs_per_step: bool  # TRL logs entropy (and KL when beta > 0) per step only at 1
    measure_kl: bool  # TRL's log has no per-step KL: the monitor measures it
    max_completion_length: int
    mask_truncated: bool  # TRL masks truncated completions out of the loss

    @classmethod
    def read(cls, args: Any, state: Any, model: Any, tokenizer: Any, rewards: int) -> TrainerFacts:
        if not rewards:
            raise RipenessError(
                "OverOptimizationMonitor: pass reward_funcs=monitor.wrap([...]) to the trainer"
            )
        weights = args.reward_weights or [1.0] * rewards
        if len(weights) != rewards:
            raise RipenessError(f"reward_weights has {len(weights)} weights for {rewards} rewards")
        eos = getattr(tokenizer, "eos_token_id", None)
        generation_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
        logs_per_step = state.logging_steps == 1 and args.logging_strategy == "steps"
        return cls(
            group=args.num_generations,
            weights=[float(w) for w in weights],
            eos_ids={e for e in _as_list(eos) + _as_list(generation_eos) if e is not None},
            logs_per_step=logs_per_step,
            measure_kl=args.beta == 0 or not logs_per_step,
            max_completion_length=int(args.max_completion_length),
            mask_truncated=bool(getattr(args, "mask_truncated_completions", False)),
        )


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, Sequence) else [value]
