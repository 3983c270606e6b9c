"""``ripeness demo``: the talk's whole story on the embedded tiny model, in a few minutes.

1. build (or reuse) the embedded model, warm-started with SFT;
2. stress-test the rewards a trainer could use on its task;
3. train GRPO against the hackable answer-anywhere proxy while the monitors watch gold along
   sqrt(KL), until the alarm stops it;
4. probe the checkpoints, select one, write the report.

Every stage keeps what it made in ``out``, so a killed demo picks up where it stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ripeness.defaults import DEMO_LEARNING_RATE, MAX_TRAINED_DIFFICULTY, WARM_START_EXAMPLES
from ripeness.errors import RipenessError, positive, writable_dir
from ripeness.options import AlarmAction, ModelSize
from ripeness.tasks.levels import levels_up_to

if TYPE_CHECKING:  # the engine loads only once the settings are checked
    from ripeness.report.select import Selection
    from ripeness.train.embedded import InitReport
    from ripeness.train.run import TrainResult
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
    levels = levels_up_to(max_difficulty)
    from ripeness.train.sft import WarmStartConfig

    try:
        return WarmStartConfig(examples=examples, difficulties=levels, seed=seed)
    except ValueError as exc:
        raise RipenessError(str(exc)) from None


def build_embedded(
    out: Path,
    size: ModelSize = ModelSize.TINY,
    examples: int = WARM_START_EXAMPLES,
    max_difficulty: int = MAX_TRAINED_DIFFICULTY,
    seed: int = 0,
    show_progress: bool = True,
) -> InitReport:
    """``ripeness model init``: check the settings (one line each, before the engine loads),
    then build the embedded model and warm-start it in ``out``."""
    positive(examples, "--examples")
    levels_up_to(max_difficulty)
    writable_dir(out, "model folder")
    from ripeness.progress import quiet_libraries
    from ripeness.train.embedded import init_embedded_model

    config = warm_start_config(examples, max_difficulty, seed)
    quiet_libraries()
    return init_embedded_model(out, size, config, show_progress=show_progress)


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
    from ripeness.display import print_train_summary, stress_table
    from ripeness.models.embedded import is_built
    from ripeness.progress import console, quiet_libraries
    from ripeness.records.run import RunDirectory
    from ripeness.report.html import write_report
    from ripeness.tasks.arithmetic import ArithmeticFamily
    from ripeness.tasks.files import write_json
    from ripeness.tasks.stress import stress_test
    from ripeness.train.config import TrainConfig, dump_config
    from ripeness.train.run import resume_run, train

    quiet_libraries()
    start = time.perf_counter()
    console.rule("1. build the embedded model")
    model_dir = out / "model"
    if is_built(model_dir):
        console.print(f"reusing {model_dir}")
    else:
        built = build_embedded(
            model_dir, ModelSize.TINY, examples, MAX_TRAINED_DIFFICULTY, seed, show_progress
        )
        sft = built.warm_start
        console.print(
            f"{built.parameters:,} parameters, SFT {sft.steps} steps at "
            f"{sft.tokens_per_second:,.0f} tokens/s in {built.total_seconds / 60:.1f} min"
        )
    console.rule("2. stress-test the rewards the trainer could use")
    family = ArithmeticFamily()
    stress = stress_test(family, family.generate(20, seed, [1, 2, 3]))
    console.print(stress_table(stress), soft_wrap=True)
    write_json(out / "stress.json", stress.as_dict())
    console.rule("3. GRPO against the answer-anywhere proxy, watching gold along sqrt(KL)")
    config = TrainConfig()
    config.run.name, config.run.out, config.run.seed = "grpo", str(out), seed
    config.model.path = str(model_dir)
    config.grpo.steps = steps
    config.grpo.learning_rate = learning_rate
    config.monitor.alarm_action = AlarmAction.STOP
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
