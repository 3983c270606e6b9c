"""``ripeness report RUN`` and ``ripeness select RUN``: which checkpoint to ship, and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ripeness.errors import RipenessError, positive

RAY_OPTION = typer.Option(
    "--ray", help="Assess one checkpoint per Ray task (a local Ray unless --ray-address)."
)
BENCHMARKS_OPTION = typer.Option(
    "--benchmarks",
    help="A folder of lm-eval results (results_*.json, samples_*.jsonl) or Inspect logs "
    "(.eval, .json) run on the run's checkpoints: shown beside use, kept in the run.",
)
MAP_OPTION = typer.Option(
    "--map", help="NAME=STEP,... for benchmark files whose model path names no checkpoint."
)
RAY_ADDRESS_OPTION = typer.Option(
    "--ray-address",
    help="A Ray cluster to assess on (auto, ray://HOST:10001); implies --ray.",
)


def ray_address(ray: bool, address: str | None) -> str | None:
    """Where to assess: None in this process, "local" for a fresh local Ray, or a cluster."""
    return address or ("local" if ray else None)


def report_command(
    run: Annotated[Path, typer.Argument(help="A run folder written by `ripeness train`.")],
    out: Annotated[
        Path | None, typer.Option(help="Where to write the HTML (default RUN/report.html).")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    ray: Annotated[bool, RAY_OPTION] = False,
    ray_at: Annotated[str | None, RAY_ADDRESS_OPTION] = None,
    benchmarks: Annotated[Path | None, BENCHMARKS_OPTION] = None,
    mapping: Annotated[str, MAP_OPTION] = "",
) -> None:
    """Probe the run's checkpoints, select one, and write a self-contained HTML report."""
    from ripeness.display import print_selection
    from ripeness.progress import console, quiet_libraries
    from ripeness.report.decision import recorded_run
    from ripeness.report.html import write_report
    from ripeness.report.imported import parse_steps

    quiet_libraries()
    path, selection = write_report(
        recorded_run(run),
        out,
        show_progress=not quiet,
        ray_address=ray_address(ray, ray_at),
        benchmarks=benchmarks,
        mapping=parse_steps(mapping, "--map"),
    )
    print_selection(selection, console)
    console.print(f"report: {path}")


def select_command(
    run: Annotated[Path, typer.Argument(help="A run folder written by `ripeness train`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    ray: Annotated[bool, RAY_OPTION] = False,
    ray_at: Annotated[str | None, RAY_ADDRESS_OPTION] = None,
) -> None:
    """Pick the checkpoint to ship under the limits in the run's [select] section."""
    from ripeness.display import print_selection
    from ripeness.progress import console, quiet_libraries
    from ripeness.report.decision import choose, recorded_run

    quiet_libraries()
    show_progress = not quiet and not as_json
    selection = choose(recorded_run(run), show_progress, ray_address(ray, ray_at))
    if as_json:
        typer.echo(json.dumps(selection.as_dict(), indent=2))
    else:
        print_selection(selection, console)
    if selection.chosen is None:
        raise typer.Exit(3)


def assess_command(
    checkpoints: Annotated[
        Path, typer.Argument(help="A folder of HF-format checkpoints from any trainer.")
    ],
    task: Annotated[str, typer.Option(help="The task the run trained on (`ripeness tasks list`).")],
    proxy: Annotated[
        str, typer.Option(help="The reward it optimized: a task reward's name or file.py:fn.")
    ],
    base: Annotated[str, typer.Option(help="The starting model (folder, .gguf or hub id).")],
    out: Annotated[
        Path | None, typer.Option(help="Run folder to write (default CHECKPOINTS/ripeness).")
    ] = None,
    steps: Annotated[
        str, typer.Option(help="NAME=STEP,... for folders whose names carry no step.")
    ] = "",
    metrics: Annotated[
        Path | None,
        typer.Option(
            help="The trainer's per-step metrics: a TensorBoard log folder, or a JSONL "
            "(veRL, OpenRLHF)."
        ),
    ] = None,
    gold: Annotated[str, typer.Option(help="Your gold verifier, file.py:function.")] = "",
    difficulties: Annotated[str, typer.Option(help="Task difficulty levels, e.g. 2,3.")] = "",
    heldout_problems: Annotated[int, typer.Option(help="Held-out problems per model.")] = 300,
    probes: Annotated[
        str, typer.Option(help="Probes per checkpoint, comma-separated ('' for none).")
    ] = "sycophancy,calibration",
    probe_samples: Annotated[int, typer.Option(help="Problems per probe condition.")] = 10,
    probe_task: Annotated[
        str, typer.Option(help="The task the probes ask (default: --task, judged by its gold).")
    ] = "",
    max_tokens: Annotated[int, typer.Option(help="Tokens per answer at most.")] = 96,
    every: Annotated[
        int, typer.Option(help="Assess checkpoints every this many steps (plus the last).")
    ] = 1,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
    benchmarks: Annotated[Path | None, BENCHMARKS_OPTION] = None,
    mapping: Annotated[str, MAP_OPTION] = "",
) -> None:
    """Assess another trainer's checkpoints: held-out gold vs proxy, probes, selection, report."""
    from ripeness.display import print_selection
    from ripeness.progress import console, quiet_libraries
    from ripeness.report.imported import import_checkpoints, parse_steps, report_imported

    quiet_libraries()
    out = out or Path(checkpoints) / "ripeness"
    try:
        levels = [int(d) for d in difficulties.split(",") if d.strip()] or None
    except ValueError:
        raise RipenessError(
            f"--difficulties takes numbers like 2,3; got {difficulties!r}"
        ) from None
    run = import_checkpoints(
        checkpoints,
        task,
        proxy,
        base,
        out,
        parse_steps(steps),
        metrics,
        gold,
        difficulties=levels,
        heldout_problems=positive(heldout_problems, "--heldout-problems"),
        probes=[p.strip() for p in probes.split(",") if p.strip()],
        probe_samples=positive(probe_samples, "--probe-samples"),
        max_tokens=positive(max_tokens, "--max-tokens"),
        every=positive(every, "--every"),
        probe_task=probe_task,
    )
    run.close()
    path, selection = report_imported(
        run.path, not quiet, benchmarks, parse_steps(mapping, "--map")
    )
    print_selection(selection, console)
    console.print(f"report: {path}")
