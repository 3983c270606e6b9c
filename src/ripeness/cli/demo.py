"""``ripeness demo``: the whole story on the embedded model or a real one (:mod:`ripeness.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ripeness.defaults import (
    DEMO_LEARNING_RATE,
    DEMO_STEPS,
    REAL_LEARNING_RATE,
    REAL_STEPS,
    REAL_WARM_START_EXAMPLES,
    WARM_START_EXAMPLES,
)


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the demo run.")] = Path("runs/demo"),
    examples: Annotated[
        int | None,
        typer.Option(
            help=f"Warm-start conversations (embedded: {WARM_START_EXAMPLES}; "
            f"--model: {REAL_WARM_START_EXAMPLES} per round)."
        ),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(
            help=f"Most GRPO steps; the alarm stops sooner (embedded: {DEMO_STEPS}; "
            f"--model: {REAL_STEPS})."
        ),
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(
            help=f"GRPO learning rate (embedded: {DEMO_LEARNING_RATE}; "
            f"--model: {REAL_LEARNING_RATE:g})."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the model, the data and GRPO.")] = 0,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
    model: Annotated[
        str | None,
        typer.Option(
            help="A real chat model instead of the embedded one: smollm2 (the packaged "
            "SmolLM2-135M-Instruct), an HF folder, a .gguf file or a hub id."
        ),
    ] = None,
) -> None:
    """The whole story on the embedded tiny model, in a few minutes on a laptop CPU.

    Build the model, stress-test the rewards, train GRPO against a hackable proxy while
    monitoring, probe the checkpoints, select one, and write the report. With --model, a real
    chat model is first brought into the zone: its held-out pass-rate histogram, then rounds
    of LoRA SFT until held-out gold is 20-80%; GRPO then trains a LoRA adapter on it.
    """
    from ripeness.demo import demo_settings, run_demo  # checks settings before the engine loads

    examples, steps, learning_rate = demo_settings(model, examples, steps, learning_rate)
    result = run_demo(
        out, examples, steps, learning_rate, seed, show_progress=not quiet, model=model
    )
    from ripeness.display import print_selection
    from ripeness.progress import console

    print_selection(result.selection, console)
    console.print(f"report: {result.report}")
    typer.echo(f"demo finished in {result.minutes:.1f} min; results in {result.out}")
