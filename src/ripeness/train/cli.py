"""``ripeness train``: GRPO with over-optimization monitors, from one TOML config."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ripeness.errors import RipenessError


def train_command(
    config: Annotated[
        Path | None, typer.Argument(help="A TOML config (see --print-config).")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Resume the run in this folder after a crash or kill.")
    ] = None,
    print_config: Annotated[
        bool, typer.Option("--print-config", help="Print the default config and exit.")
    ] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Train with GRPO against a task's reward while watching gold vs proxy along sqrt(KL)."""
    from ripeness.train.config import TrainConfig, dump_config, load_config

    if print_config:
        typer.echo(dump_config(TrainConfig()))
        return
    if (config is None) == (resume is None):
        raise RipenessError("give a CONFIG file to start a run, or --resume RUN to continue one")
    from ripeness.progress import console
    from ripeness.train.run import resume_run, train

    if resume is not None:
        result = resume_run(resume, show_progress=not quiet)
    else:
        result = train(load_config(config), show_progress=not quiet)
    print_summary(result, console)


def print_summary(result, console) -> None:
    from ripeness.records.run import HELDOUT_GOLD, HELDOUT_PROXY, RunDirectory

    run = RunDirectory(result.run_dir)
    evals = {e["step"]: e for e in run.evals(HELDOUT_GOLD)}
    paid = {e["step"]: e for e in run.evals(HELDOUT_PROXY)}
    console.print(
        f"trained {result.steps} steps in {result.seconds / 60:.1f} min; run in {run.path}"
    )
    alarms = run.events("alarm")
    if alarms:
        console.print(
            f"[bold red]over-optimization alarm at step {alarms[0]['step']}:[/] "
            f"{alarms[0]['message']}"
        )
    else:
        console.print("no over-optimization alarm")
    for checkpoint in run.checkpoints():
        if checkpoint.get("marked"):
            console.print(
                f"marked checkpoint: step {checkpoint['step']} (nearest the gold peak at step "
                f"{checkpoint['gold_peak_step']}): {run.path / checkpoint['path']}"
            )
    steps = sorted(evals)
    best = max(steps, key=lambda step: evals[step]["rate"], default=None)
    for step in sorted({steps[0], best, steps[-1]}) if steps else []:
        e, p = evals[step], paid.get(step)
        proxy = f"; the proxy pays {p['rate']:.1%} [{p['low']:.1%}, {p['high']:.1%}]" if p else ""
        console.print(
            f"held-out gold at step {step}: {e['rate']:.1%} [{e['low']:.1%}, {e['high']:.1%}] "
            f"(n={e['n']}){proxy}"
        )
    run.close()
