"""``ripeness train``: set up and run GRPO with the monitors, or resume a run after a crash.

The pieces, by role: :mod:`ripeness.train.config` the settings (TRL's made of them by
:mod:`ripeness.train.grpo_mapping`), TRL's own ``GRPOTrainer``,
:class:`ripeness.train.monitor.OverOptimizationMonitor` (the public callback a user's own TRL
script adds the same way) for the records, held-out evaluations, alarm and checkpoint index,
and this module the run itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainerCallback
from trl import GRPOTrainer

from ripeness.errors import RipenessError, writable_dir
from ripeness.models.sources import resolve_model as resolve_model_source
from ripeness.options import EMBEDDED, AlarmAction
from ripeness.records.jsonl import read_jsonl
from ripeness.records.run import RunDirectory, checkpoint_step
from ripeness.tasks.base import TaskFamily, TaskItem, to_dataset
from ripeness.tasks.registry import get_family, reward_by_name
from ripeness.train.callbacks import TrainerProgress
from ripeness.train.checkpoint_index import marked_step, stopped_at
from ripeness.train.config import TrainConfig, dump_config, load_config
from ripeness.train.grpo_mapping import grpo_args
from ripeness.train.monitor import OverOptimizationMonitor
from ripeness.train.ranks import processes


@dataclass
class TrainResult:
    """Where the run is and how it ended: the alarm's step, the checkpoint nearest the gold
    peak (``marked_step``), the last step trained."""

    run_dir: Path
    alarm_step: int | None
    marked_step: int | None
    final_step: int
    seconds: float


def resolve_model(config: TrainConfig, run: RunDirectory, show_progress: bool) -> Path:
    """The starting model: a local folder, or the embedded model built once into the run."""
    if config.model.path != EMBEDDED:
        return resolve_model_source(config.model.path)
    path = run.base_model_path
    if not (path / "config.json").is_file():
        from ripeness.train.embedded import init_embedded_model

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
        for where, row in read_jsonl(path, "task rows"):
            try:
                train.append(TaskItem.from_columns(row))
            except (RipenessError, KeyError, TypeError) as exc:
                raise RipenessError(f"{where}: not a task row ({exc})") from None
    else:
        train = family.generate(task.train_problems, config.run.seed, task.difficulties, "train")
    heldout = family.generate(
        task.heldout_problems, config.run.seed + 1, task.difficulties, "heldout"
    )
    return train, heldout


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
    family = get_family(
        config.task.name, config.task.gold
    )  # bad task or reward names fail before any writing
    rewards = [reward_by_name(family, c.name) for c in config.reward.mix()]
    if config.model.path != EMBEDDED:
        resolve_model_source(config.model.path)  # a bad path fails before the run folder exists
    run_dir = config.run_dir()
    run = RunDirectory(writable_dir(run_dir, "run folder"))
    try:  # closed however it ends: what was recorded stays readable
        return _train_in(run, config, resume, show_progress, callbacks, family, rewards)
    finally:
        run.close()


def _train_in(
    run: RunDirectory,
    config: TrainConfig,
    resume: bool,
    show_progress: bool,
    callbacks: Sequence[TrainerCallback],
    family: TaskFamily,
    rewards: list,
) -> TrainResult:
    """:func:`train` on an open run folder (the caller closes it)."""
    run_dir = config.run_dir()
    state = processes()
    if not resume:
        if run.latest_checkpoint() is not None or run.config_path.is_file():
            raise RipenessError(
                f"{run_dir} already holds a run; resume it with `ripeness train --resume "
                f"{run_dir}` or choose another run.name"
            )
        state.wait_for_everyone()  # every process has looked before the main one writes
        if state.is_main_process:
            run.config_path.write_text(dump_config(config))
    if resume and (stopped := _stopped_by_alarm(config, run)) is not None:
        return stopped  # the alarm's decision is part of the run: a rerun trains no further
    with state.main_process_first():  # the embedded model is built once, by the main process
        model_path = resolve_model(config, run, show_progress and state.is_main_process)
    model_path = model_path.resolve()  # LoRA checkpoints name it
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path)
    train_items, heldout = problems(config, family)
    monitor = OverOptimizationMonitor.for_run(config, run, family.gold, heldout)
    show = show_progress and state.is_main_process
    progress = TrainerProgress("GRPO", disable=not show, status=monitor.status)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=monitor.wrap(rewards),
        args=grpo_args(config, run, state.num_processes),
        train_dataset=to_dataset(train_items),
        processing_class=tokenizer,
        callbacks=[*callbacks, monitor, progress],
        peft_config=config.peft_config(),
    )
    trainer.remove_callback(PrinterCallback)
    monitor.attach(trainer)  # with grpo.use_vllm, held-out answers come from TRL's engine
    checkpoint = run.latest_checkpoint() if resume else None
    start = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    return TrainResult(
        run_dir=run.path,
        alarm_step=monitor.alarm.fired_at.step if monitor.alarm.fired_at else None,
        marked_step=marked_step(run),
        final_step=trainer.state.global_step,
        seconds=time.perf_counter() - start,
    )


def _stopped_by_alarm(config: TrainConfig, run: RunDirectory) -> TrainResult | None:
    """The run's result as it ended, if the alarm stopped it at a saved checkpoint; else None.

    A run killed after the alarm's stop (while its checkpoints were being assessed, say) must
    end where the uninterrupted run did, not train on past the alarm.
    """
    checkpoint = run.latest_checkpoint()
    if config.monitor.alarm_action != AlarmAction.STOP or checkpoint is None:
        return None
    last = checkpoint_step(checkpoint)
    if (stopped := stopped_at(run, last)) is None:
        return None
    return TrainResult(run.path, stopped, marked_step(run), last, 0.0)


def resume_run(run_dir: Path, show_progress: bool = True) -> TrainResult:
    run = RunDirectory.open_existing(run_dir)
    config = load_config(run.config_path)
    if Path(config.run_dir()).resolve() != Path(run_dir).resolve():
        # the folder was moved or renamed since: follow it
        config.run.out, config.run.name = str(Path(run_dir).parent), Path(run_dir).name
    return train(config, resume=True, show_progress=show_progress)
