"""``ripeness demo``: the talk's whole story on the embedded tiny model, in a few minutes.

1. build (or reuse) the embedded model, warm-started with SFT;
2. stress-test the rewards a trainer could use on its task;
3. train GRPO against the hackable answer-anywhere proxy while the monitors watch gold along
   sqrt(KL), until the alarm stops it;
4. probe the checkpoints, select one, write the report.

Every stage keeps what it made in ``out``, so a killed demo picks up where it stopped.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from ripeness.defaults import DEMO_LEARNING_RATE, MAX_TRAINED_DIFFICULTY, WARM_START_EXAMPLES
from ripeness.display import print_train_summary, stress_table
from ripeness.errors import RipenessError, positive, writable_dir
from ripeness.models.embedded import is_built
from ripeness.progress import console, quiet_libraries
from ripeness.records.run import RunDirectory
from ripeness.report.html import write_report
from ripeness.report.select import Selection
from ripeness.tasks.arithmetic import ArithmeticFamily
from ripeness.tasks.stress import stress_test
from ripeness.train.config import TrainConfig, dump_config
from ripeness.train.embedded import init_embedded_model
from ripeness.train.run import TrainResult, resume_run, train
from ripeness.train.sft import WarmStartConfig


@dataclass(frozen=True)
class DemoResult:
    out: Path
    training: TrainResult
    report: Path
    selection: Selection
    minutes: float


def warm_start_config(examples: int, max_difficulty: int, seed: int) -> WarmStartConfig:
    """The warm start's settings, with a one-line error for values it cannot take."""
    if max_difficulty < 1:
        raise RipenessError(f"--max-difficulty must be at least 1, got {max_difficulty}")
    try:
        return WarmStartConfig(
            examples=examples, difficulties=tuple(range(1, max_difficulty + 1)), seed=seed
        )
    except ValueError as exc:
        raise RipenessError(str(exc)) from None


def run_demo(
    out: Path = Path("runs/demo"),
    examples: int = WARM_START_EXAMPLES,
    steps: int = 100,
    learning_rate: float = DEMO_LEARNING_RATE,
    seed: int = 0,
    show_progress: bool = True,
) -> DemoResult:
    """Run (or resume) the demo in ``out``, narrating each stage on the console."""
    positive(steps, "--steps")
    if not learning_rate > 0:  # before the model is built, not minutes later
        raise RipenessError(f"--learning-rate must be positive, got {learning_rate}")
    out = writable_dir(out, "demo folder")
    quiet_libraries()
    start = time.perf_counter()
    console.rule("1. build the embedded model")
    model_dir = out / "model"
    if is_built(model_dir):
        console.print(f"reusing {model_dir}")
    else:
        config = warm_start_config(examples, MAX_TRAINED_DIFFICULTY, seed)
        built = init_embedded_model(model_dir, "tiny", config, show_progress=show_progress)
        sft = built.warm_start
        console.print(
            f"{built.parameters:,} parameters, SFT {sft.steps} steps at "
            f"{sft.tokens_per_second:,.0f} tokens/s in {built.total_seconds / 60:.1f} min"
        )
    console.rule("2. stress-test the rewards the trainer could use")
    family = ArithmeticFamily()
    stress = stress_test(family, family.generate(20, seed, [1, 2, 3]))
    console.print(stress_table(stress), soft_wrap=True)
    (out / "stress.json").write_text(json.dumps(stress.as_dict(), indent=2))
    console.rule("3. GRPO against the answer-anywhere proxy, watching gold along sqrt(KL)")
    config = TrainConfig()
    config.run.name, config.run.out, config.run.seed = "grpo", str(out), seed
    config.model.path = str(model_dir)
    config.grpo.steps = steps
    config.grpo.learning_rate = learning_rate
    config.monitor.alarm_action = "stop"
    run_dir = config.run_dir()
    if (run_dir / RunDirectory.CONFIG).is_file():
        console.print(f"resuming {run_dir}")
        result = resume_run(run_dir, show_progress=show_progress)
    else:
        (out / "grpo.toml").write_text(dump_config(config))
        result = train(config, show_progress=show_progress)
    print_train_summary(result, console)
    console.rule("4. probe the checkpoints, select one, write the report")
    report, selection = write_report(run_dir, show_progress=show_progress)
    minutes = (time.perf_counter() - start) / 60
    return DemoResult(out, result, report, selection, minutes)
