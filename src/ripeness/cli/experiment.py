"""``ripeness experiment sycophancy``: the GPT-4o pathway in miniature, and whether we catch it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ripeness.errors import RipenessError, positive, writable_dir

app = typer.Typer(help="Experiments that reproduce a failure on purpose.", no_args_is_help=True)


@app.command("sycophancy")
def sycophancy_command(
    out: Annotated[Path, typer.Option(help="Folder for the experiment.")] = Path("runs/sycophancy"),
    model: Annotated[
        Path | None, typer.Option(help="Starting model (default: build the embedded one).")
    ] = None,
    weights: Annotated[str, typer.Option(help="Feedback-reward weights to sweep.")] = "0,3,20",
    steps: Annotated[int, typer.Option(help="GRPO steps per arm.")] = 40,
    users: Annotated[int, typer.Option(help="Simulated users giving feedback.")] = 3000,
    mitigation: Annotated[
        bool, typer.Option(help="Add an arm with the learned reward gated by gold.")
    ] = True,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Simulated thumbs-up feedback -> reward model -> GRPO with a reward mix; probe sycophancy."""
    from ripeness.feedback.experiment import SycophancyExperiment, run_experiment
    from ripeness.progress import console, quiet_libraries

    try:
        sweep = [float(w) for w in weights.split(",") if w.strip()]
    except ValueError:
        raise RipenessError(
            f"--weights must be numbers separated by commas, got {weights!r}"
        ) from None
    if not sweep or min(sweep) < 0:
        raise RipenessError("--weights needs at least one weight, none negative")
    positive(steps, "--steps")
    positive(users, "--users")
    out = writable_dir(out, "experiment folder")
    quiet_libraries()
    exp = SycophancyExperiment.sweep(out, model, sweep, steps, users, mitigation, not quiet)
    result = run_experiment(exp, show_progress=not quiet)
    console.print(f"report: {result['report']}")
