"""The ``ripeness`` command: option parsing only; every pipeline lives in the library.

One module per command group (``tasks``, ``probes``, ``train``, ``report``, ``experiment``).
Every user-facing failure is one line on stderr (``error: ...``) and exit code 2; tracebacks are
for bugs only.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ripeness import __version__
from ripeness.cli.experiment import app as experiment_app
from ripeness.cli.probes import compare_command, probe_command, serve_command
from ripeness.cli.report import assess_command, report_command, select_command
from ripeness.cli.tasks import app as tasks_app
from ripeness.cli.train import train_command
from ripeness.defaults import DEMO_LEARNING_RATE, MAX_TRAINED_DIFFICULTY, WARM_START_EXAMPLES
from ripeness.errors import RipenessError, positive, writable_dir
from ripeness.models.sources import resolve_model

app = typer.Typer(
    help="Craft reasoning models that are good in use, not only on benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
model_app = typer.Typer(
    help="Build the embedded tiny model, import a real one, evaluate either.", no_args_is_help=True
)
app.add_typer(model_app, name="model")
app.add_typer(tasks_app, name="tasks")
app.add_typer(experiment_app, name="experiment")
app.command("train")(train_command)
app.command("probe")(probe_command)
app.command("compare")(compare_command)
app.command("serve")(serve_command)
app.command("report")(report_command)
app.command("select")(select_command)
app.command("assess")(assess_command)


class Size(StrEnum):
    nano = "nano"
    tiny = "tiny"
    small = "small"


def _difficulties(max_difficulty: int) -> tuple[int, ...]:
    if max_difficulty < 1:
        raise RipenessError(f"--max-difficulty must be at least 1, got {max_difficulty}")
    return tuple(range(1, max_difficulty + 1))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ripeness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Craft reasoning models that are good in use, not only on benchmarks."""


@model_app.command("init")
def model_init(
    out: Annotated[Path, typer.Option(help="Folder to save the model in.")] = Path(
        "runs/models/tiny"
    ),
    size: Annotated[Size, typer.Option(help="Architecture size.")] = Size.tiny,
    examples: Annotated[int, typer.Option(help="Warm-start conversations.")] = WARM_START_EXAMPLES,
    max_difficulty: Annotated[
        int, typer.Option(help="Hardest level (steps) trained on.")
    ] = MAX_TRAINED_DIFFICULTY,
    seed: Annotated[int, typer.Option(help="Seed for data and initialisation.")] = 0,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Build the tiny Llama and its tokenizer, warm-start it with SFT, and save it."""
    positive(examples, "--examples")
    _difficulties(max_difficulty)
    writable_dir(out, "model folder")
    from ripeness.demo import warm_start_config
    from ripeness.progress import quiet_libraries
    from ripeness.train.embedded import init_embedded_model

    config = warm_start_config(examples, max_difficulty, seed)
    quiet_libraries()
    report = init_embedded_model(out, size.value, config, show_progress=not quiet)
    sft = report.warm_start
    typer.echo(
        f"saved {report.path} ({report.parameters:,} parameters; SFT {sft.steps} steps, "
        f"{sft.tokens_per_second:,.0f} tokens/s, {report.total_seconds / 60:.1f} min)"
    )


@model_app.command("import")
def model_import(
    source: Annotated[str, typer.Argument(help="A .gguf file (or a hub id) to import.")],
    out: Annotated[Path, typer.Option(help="Folder to write the plain HF model to.")] = Path(
        "runs/models/imported"
    ),
) -> None:
    """Write a plain HF folder (float32 safetensors, tokenizer, chat template) from a GGUF file.

    `AutoModelForCausalLM.from_pretrained(OUT)` loads it with no Ripeness code."""
    import time

    from ripeness.models.sources import import_gguf
    from ripeness.progress import console, quiet_libraries

    writable_dir(out.parent, "output folder")
    quiet_libraries()
    started = time.monotonic()
    if source.endswith(".gguf"):
        with console.status(f"dequantizing {source}"):
            import_gguf(Path(source), out)
    else:
        import shutil

        shutil.copytree(resolve_model(source), out, dirs_exist_ok=True)
    typer.echo(f"saved {out} ({time.monotonic() - started:.0f} s)")


@model_app.command("eval")
def model_eval(
    model: Annotated[str, typer.Argument(help="An HF model folder, a .gguf file or a hub id.")],
    per_level: Annotated[int, typer.Option(help="Held-out problems per difficulty.")] = 100,
    max_difficulty: Annotated[int, typer.Option(help="Hardest level to test.")] = 7,
    seed: Annotated[int, typer.Option(help="Seed for drawing held-out problems.")] = 1234,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write results here.")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="No progress bars.")] = False,
) -> None:
    """Greedy gold accuracy on held-out problems, by difficulty, with 95% intervals."""
    positive(per_level, "--per-level")
    difficulties = _difficulties(max_difficulty)
    model = resolve_model(model)
    from ripeness.display import accuracy_table
    from ripeness.evaluation import evaluate_model_dir, save_results
    from ripeness.progress import console, quiet_libraries

    quiet_libraries()
    results = evaluate_model_dir(model, difficulties, per_level, seed, show_progress=not quiet)
    console.print(accuracy_table(results), soft_wrap=True)
    if json_out:
        save_results(results, json_out, model=str(model), seed=seed)


@app.command()
def demo(
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
    positive(steps, "--steps")
    if not learning_rate > 0:  # before the heavy imports, not seconds later
        raise RipenessError(f"--learning-rate must be positive, got {learning_rate}")
    from ripeness.demo import run_demo
    from ripeness.display import print_selection
    from ripeness.progress import console

    result = run_demo(out, examples, steps, learning_rate, seed, show_progress=not quiet)
    print_selection(result.selection, console)
    console.print(f"report: {result.report}")
    typer.echo(f"demo finished in {result.minutes:.1f} min; results in {result.out}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns expected failures into one line."""
    try:
        result = app(args=argv, prog_name="ripeness", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("error: interrupted", err=True)
        return 130
    except RipenessError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.TyperException as exc:  # click's usage errors, re-exported by typer
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"error: {message} (see `ripeness --help`)", err=True)
        return 2
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry: exit with :func:`main`'s status."""
    sys.exit(main())
