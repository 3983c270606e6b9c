"""The ``ripeness`` command: option parsing only; every pipeline lives in the library.

One module per command group, each a thin layer of typer functions over the library:

- ``model``: ``ripeness model init | import | eval`` (build, import, held-out accuracy);
- ``demo``: ``ripeness demo``, the whole story on the embedded model (:mod:`ripeness.demo`);
- ``tasks``: ``ripeness tasks list | show | stress | filter | export``;
- ``probes``: ``ripeness probe``, ``compare`` and ``serve``;
- ``train``: ``ripeness train`` from a TOML config;
- ``report``: ``ripeness report``, ``select`` and ``assess`` (another trainer's checkpoints);
- ``experiment``: ``ripeness experiment sycophancy``.

Options with a fixed set of values take a ``StrEnum`` of :mod:`ripeness.options`, the list the
config loader checks too. Every user-facing failure is one line on stderr (``error: ...``) and
exit code 2; tracebacks are for bugs only.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated

import typer

from ripeness import __version__
from ripeness.cli.demo import demo_command
from ripeness.cli.experiment import app as experiment_app
from ripeness.cli.model import app as model_app
from ripeness.cli.probes import compare_command, probe_command, serve_command
from ripeness.cli.report import assess_command, report_command, select_command
from ripeness.cli.tasks import app as tasks_app
from ripeness.cli.train import train_command
from ripeness.errors import RipenessError

app = typer.Typer(
    help="Craft reasoning models that are good in use, not only on benchmarks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
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
app.command("demo")(demo_command)


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


# typer's words for a value outside an enum option's choices
_NOT_A_CHOICE = re.compile(r"(?P<value>'[^']*') is not one of (?P<choices>'.*')\.?$")


def _usage_line(exc: typer.TyperException) -> str:
    """A usage error as one line: ``--engine must be one of auto, transformers, vllm, got
    'tgi'`` for a value outside an option's choices (the config loader's wording), else
    click's own message with where to look."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    param = getattr(exc, "param", None)
    found = _NOT_A_CHOICE.search(getattr(exc, "message", "") or "")
    if found is None or param is None or not getattr(param, "opts", None):
        return f"{message} (see `ripeness --help`)"
    option = max(param.opts, key=len)
    choices = ", ".join(c.strip("'") for c in found["choices"].split(", "))
    return f"{option} must be one of {choices}, got {found['value']}"


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
        typer.echo(f"error: {_usage_line(exc)}", err=True)
        return 2
    return result if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry: exit with :func:`main`'s status."""
    sys.exit(main())
