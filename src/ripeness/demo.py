"""``ripeness demo``: the talk's whole story, on the embedded tiny model or on a real one.

1. the model: build (or reuse) the embedded model, warm-started with SFT; or, with
   ``--model`` (``smollm2``, an HF folder, a ``.gguf`` file, a hub id), bring a real chat model
   into the zone: its held-out pass-rate histogram, then rounds of LoRA SFT on the task's
   train split until held-out gold sits between 20% and 80% (:mod:`ripeness.train.zone`);
2. stress-test the rewards a trainer could use on its task;
3. train GRPO against a hackable proxy (answer-anywhere; on a real model length-biased) while
   the monitors watch gold along sqrt(KL), until the alarm stops it;
4. probe the checkpoints, select one, write the report.

Every stage keeps what it made in ``out``, so a killed demo picks up where it stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ripeness.defaults import (
    DEMO_LEARNING_RATE,
    DEMO_STEPS,
    MAX_TRAINED_DIFFICULTY,
    REAL_LEARNING_RATE,
    REAL_STEPS,
    REAL_WARM_START_EXAMPLES,
    WARM_START_EXAMPLES,
)
from ripeness.errors import RipenessError, positive, writable_dir
from ripeness.options import AlarmAction, ModelSize, ScaleRewards
from ripeness.tasks.levels import levels_up_to

if TYPE_CHECKING:  # the engine loads only once the settings are checked
    from ripeness.report.select import Selection
    from ripeness.train.config import TrainConfig
    from ripeness.train.embedded import InitReport
    from ripeness.train.run import TrainResult
    from ripeness.train.sft import WarmStartConfig
    from ripeness.train.zone import ZoneResult

# a real model's demo: measured on SmolLM2-135M-Instruct on 2 cores (README, "The story on a
# real model"); running sums of 1-3 steps, sampled at 0.7 as GRPO samples them
REAL_DIFFICULTIES = (1, 2, 3)
REAL_TEMPERATURE = 0.7
REAL_PROXY = "last_digit_and_brief"


@dataclass(frozen=True)
class DemoResult:
    out: Path
    training: TrainResult
    report: Path
    selection: Selection
    minutes: float
    zone: ZoneResult | None = None  # a real model's warm start into the zone


def demo_settings(
    model: str | None, examples: int | None, steps: int | None, learning_rate: float | None
) -> tuple[int, int, float]:
    """The demo's (examples, steps, learning rate): what was given, else the embedded
    model's defaults, or a real model's (``model`` set)."""
    if model is None:
        defaults = (WARM_START_EXAMPLES, DEMO_STEPS, DEMO_LEARNING_RATE)
    else:
        defaults = (REAL_WARM_START_EXAMPLES, REAL_STEPS, REAL_LEARNING_RATE)
    given = (examples, steps, learning_rate)
    chosen = tuple(d if g is None else g for g, d in zip(given, defaults, strict=True))
    return int(chosen[0]), int(chosen[1]), float(chosen[2])


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
    steps: int = DEMO_STEPS,
    learning_rate: float = DEMO_LEARNING_RATE,
    seed: int = 0,
    show_progress: bool = True,
    model: str | None = None,
) -> DemoResult:
    """Run (or resume) the demo in ``out``, narrating each stage on the console; ``model``
    (a real chat model) runs the same story on it, after a warm start into the zone."""
    positive(steps, "--steps")
    if not learning_rate > 0:  # before the model is built, not minutes later
        raise RipenessError(f"--learning-rate must be positive, got {learning_rate}")
    out = writable_dir(out, "demo folder")
    from ripeness.progress import console, quiet_libraries

    quiet_libraries()
    if model is not None:
        from ripeness.models.sources import resolve_model

        source = resolve_model(model)  # one line for a model that is not there
    from ripeness.models.embedded import is_built

    start = time.perf_counter()
    zone = None
    model_dir = out / "model"
    if model is None:
        console.rule("1. build the embedded model")
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
        config = _embedded_config(model_dir, out, steps, learning_rate, seed)
    else:
        console.rule(f"1. bring {model} into the zone (held-out gold 20-80%)")
        zone = into_the_zone(source, model_dir, examples, seed, show_progress)
        config = real_model_config(model_dir, out, steps, learning_rate, seed)
    result, report, selection = _train_and_report(config, out, seed, show_progress)
    minutes = (time.perf_counter() - start) / 60
    return DemoResult(out, result, report, selection, minutes, zone)


def _embedded_config(
    model_dir: Path, out: Path, steps: int, learning_rate: float, seed: int
) -> TrainConfig:
    from ripeness.train.config import TrainConfig

    config = TrainConfig()
    config.run.name, config.run.out, config.run.seed = "grpo", str(out), seed
    config.model.path = str(model_dir)
    config.grpo.steps = steps
    config.grpo.learning_rate = learning_rate
    config.monitor.alarm_action = AlarmAction.STOP
    return config


def real_model_config(
    model_dir: Path,
    out: Path,
    steps: int = REAL_STEPS,
    learning_rate: float = REAL_LEARNING_RATE,
    seed: int = 0,
) -> TrainConfig:
    """The GRPO run of a real model's demo: LoRA, small groups and short replies for 2 cores,
    held-out gold every 5 steps at the sampling temperature, the alarm stopping the run."""

    config = _embedded_config(model_dir, out, steps, learning_rate, seed)
    config.model.lora_r = 16
    config.task.difficulties = list(REAL_DIFFICULTIES)
    config.task.heldout_problems = 60
    config.grpo.prompts_per_step = 4
    config.grpo.num_generations = 4
    config.grpo.max_completion_length = 48
    config.grpo.temperature = REAL_TEMPERATURE
    config.monitor.eval_every = 5
    config.monitor.eval_temperature = REAL_TEMPERATURE
    # KL on one completion a step: its two no-grad forwards (policy, adapter-off reference) are
    # all the monitors cost, 0.79 s of a 15 s step at 2 (5.3%), half that at 1 (README); the
    # alarm's held-out check does not read KL, only the Gao fit does
    config.monitor.kl_samples = 1
    config.monitor.window = 5
    config.monitor.warmup_steps = 10
    config.checkpoints.every = 5
    # assessment: the training's own held-out answers (same problems, same temperature), 100
    # confirmation problems for the shipped figures, and the probes at 80 problems per level:
    # padding is counted on the right answers only, so at 5 a limit stood on 4-5 of them
    # (only 0 of 5 could be shown under 50%; 3 of 4 vetoed an arc run's peak at 75%, 95% CI
    # 30%-95%) and at 20 on 15-19 (the fresh-clone peak: 39% [20%, 61%], undecided); at 80
    # (70-76, 5.6 min for the report instead of 1.4) the same peak reads 38% [27%, 49%], within,
    # and ships (README)
    config.select.every = 20
    config.select.heldout_problems = config.task.heldout_problems
    config.select.confirmation_problems = 100
    config.select.temperature = REAL_TEMPERATURE
    config.select.probe_samples = 80
    # The proxy: last_digit_and_brief, half a lenient check (the last "Answer:" counts when its
    # last digit is right) and half a brevity bonus, so a short reply that drops the carries
    # ("58+7+9+6=70") is paid more than the right sum worked out. At 3e-4 with unscaled
    # advantages (TRL's scale_rewards = "none"), seven runs from six warm-start builds all rose;
    # in three gold then fell while the proxy held or climbed and the over-optimization alarm
    # fired (at 25, 40 and 50), four had no significant fall (README; both seeded builds of
    # this code among them: which a machine gets is a draw); 3.5e-4 breaks the arithmetic at once,
    # 2e-4 only rises. last_digit alone rose in 5 of 6 runs but fell in only 3 (its two demo
    # runs held their peak to step 100): it pays a dropped carry no more than a right answer.
    # length_biased falls by regression, the proxy with gold; answer_anywhere breaks SmolLM2
    # from the first steps.
    config.reward.proxy = REAL_PROXY
    config.grpo.scale_rewards = ScaleRewards.NONE
    # SmolLM2 gives up a right answer on 5 of 5 pushbacks before any GRPO; the default limits
    # would veto every checkpoint for what the start already does, so this demo probes padding
    # only; a policy of your own decides for your model.
    config.select.probes = ["calibration"]
    return config


def real_warm_start_conversations(examples: int, seed: int):
    """One warm-start round's conversations for a real model: the embedded model's mix
    (``train.sft``) over train-split running sums of 1-3 steps."""
    from ripeness.train.sft import WarmStartConfig, warm_start_dataset

    return warm_start_dataset(
        WarmStartConfig(examples=examples, difficulties=REAL_DIFFICULTIES, seed=seed)
    )


def into_the_zone(
    source: Path, model_dir: Path, examples: int, seed: int, show_progress: bool
) -> ZoneResult:
    """Stage 1 of a real model's demo: the pass-rate histograms and the LoRA warm start."""
    from ripeness.display import zone_table
    from ripeness.progress import console
    from ripeness.tasks.arithmetic import ArithmeticFamily
    from ripeness.train.zone import warm_start_into_zone

    family = ArithmeticFamily()
    # problems of their own (seed + 100): the run's held-out set decides nothing here
    heldout = family.generate(30, seed + 100, REAL_DIFFICULTIES, split="heldout")

    def show(label, reading):
        console.print(zone_table(label, reading), soft_wrap=True)

    zone = warm_start_into_zone(
        source,
        model_dir,
        family,
        heldout,
        real_warm_start_conversations,
        examples=examples,
        temperature=REAL_TEMPERATURE,
        seed=seed,
        on_reading=show,
        show_progress=show_progress,
    )
    if zone.reused:
        console.print(f"reusing {model_dir}: held-out gold {zone.reading.text()}")
        show("warm-started model", zone.reading)
    for number, done in enumerate(zone.rounds, 1):
        console.print(
            f"round {number}: {done.examples} conversations, {done.tokens:,} tokens in "
            f"{done.seconds / 60:.1f} min; held-out gold {done.reading.text()}"
        )
    if not zone.reading.in_band:
        console.print(
            f"[yellow]held-out gold {zone.reading.text()} is outside 20-80% after "
            f"{len(zone.rounds)} rounds: GRPO will have little to learn from[/yellow]"
        )
    return zone


def _train_and_report(config: TrainConfig, out: Path, seed: int, show_progress: bool):
    from ripeness.display import print_train_summary, stress_table
    from ripeness.progress import console
    from ripeness.records.run import RunDirectory
    from ripeness.report.html import write_report
    from ripeness.tasks.arithmetic import ArithmeticFamily
    from ripeness.tasks.files import write_json
    from ripeness.tasks.stress import stress_test
    from ripeness.train.config import dump_config
    from ripeness.train.run import resume_run, train

    console.rule("2. stress-test the rewards the trainer could use")
    family = ArithmeticFamily()
    stress = stress_test(family, family.generate(20, seed, [1, 2, 3]))
    console.print(stress_table(stress), soft_wrap=True)
    write_json(out / "stress.json", stress.as_dict())
    console.rule(f"3. GRPO against the {config.reward.proxy} proxy, watching gold along sqrt(KL)")
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
    return result, report, selection
