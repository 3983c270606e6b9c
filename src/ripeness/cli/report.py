"""``ripeness report RUN`` and ``ripeness select RUN``: which checkpoint to ship, and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ripeness.errors import RipenessError
from ripeness.records.run import RunDirectory


def _run_dir(run: Path) -> Path:
    if not (run / RunDirectory.METRICS).is_file():
        raise RipenessError(
            f"{run} is not a run folder (no metrics.sqlite); give `ripeness train`'s run"
        )
    return run


def report_command(
    run: Annotated[Path, typer.Argument(help="A run folder written by `ripeness train`.")],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the HTML (default RUN/report.html).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Probe the run's checkpoints, select one, and write a self-contained HTML report."""
    from ripeness.display import print_selection
    from ripeness.progress import console, quiet_libraries
    from ripeness.report.html import write_report

    quiet_libraries()
    path, selection = write_report(_run_dir(run), out, show_progress=not quiet)
    print_selection(selection, console)
    console.print(f"report: {path}")


def select_command(
    run: Annotated[Path, typer.Argument(help="A run folder written by `ripeness train`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Pick the checkpoint to ship under the limits in the run's [select] section."""
    from ripeness.display import print_selection
    from ripeness.progress import console, quiet_libraries
    from ripeness.report.assess import assess_run
    from ripeness.report.select import select_checkpoint

    quiet_libraries()
    assess_run(_run_dir(run), show_progress=not quiet and not as_json)
    selection = select_checkpoint(run)
    (run / "selection.json").write_text(json.dumps(selection.as_dict(), indent=2))
    if as_json:
        typer.echo(json.dumps(selection.as_dict(), indent=2))
    else:
        print_selection(selection, console)
    if selection.chosen is None:
        raise typer.Exit(3)
