"""``ripeness demo``: the whole story on the embedded tiny model (:mod:`ripeness.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ripeness.defaults import DEMO_LEARNING_RATE, WARM_START_EXAMPLES


def demo_command(
    out: Annotated[Path, typer.Option(help="Folder for the demo run.")] = Path("runs/demo"),
    examples: Annotated[int, typer.Option(help="Warm-start conversations.")] = WARM_START_EXAMPLES,
    steps: Annotated[int, typer.Option(help="Most GRPO steps (the alarm stops it sooner).")] = 100,
    learning_rate: Annotated[
        float, typer.Option(help="GRPO learning rate (training's default is 1e-4).")
    ] = DEMO_LEARNING_RATE,
    seed: Annotated[int, typer.Option(help="Seed for the model, the data and GRPO.")] = 0,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """The whole story on the embedded tiny model, in a few minutes on a laptop CPU.

    Build the model, stress-test the rewards, train GRPO against a hackable proxy while
    monitoring, probe the checkpoints, select one, and write the report.
    """
    from ripeness.demo import run_demo  # checks the settings before the engine loads

    result = run_demo(out, examples, steps, learning_rate, seed, show_progress=not quiet)
    from ripeness.display import print_selection
    from ripeness.progress import console

    print_selection(result.selection, console)
    console.print(f"report: {result.report}")
    typer.echo(f"demo finished in {result.minutes:.1f} min; results in {result.out}")
