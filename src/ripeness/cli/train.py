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
        typer.echo(dump_config(TrainConfig(), comments=True))
        return
    if (config is None) == (resume is None):
        raise RipenessError("give a CONFIG file to start a run, or --resume RUN to continue one")
    from ripeness.display import print_train_summary
    from ripeness.progress import console
    from ripeness.train.run import resume_run, train

    if resume is not None:
        result = resume_run(resume, show_progress=not quiet)
    else:
        result = train(load_config(config), show_progress=not quiet)
    from ripeness.train.ranks import rank

    if rank() == 0:  # under `accelerate launch` every process gets here
        print_train_summary(result, console)
