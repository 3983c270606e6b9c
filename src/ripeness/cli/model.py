"""``ripeness model ...``: build the embedded tiny model, import a real one, evaluate either."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ripeness.defaults import MAX_TRAINED_DIFFICULTY, WARM_START_EXAMPLES
from ripeness.errors import positive, writable_dir
from ripeness.models.sources import resolve_model
from ripeness.options import ModelSize
from ripeness.tasks.levels import levels_up_to

app = typer.Typer(
    help="Build the embedded tiny model, import a real one, evaluate either.", no_args_is_help=True
)

QuietOpt = Annotated[bool, typer.Option(help="No progress bars.")]


@app.command("init")
def model_init(
    out: Annotated[Path, typer.Option(help="Folder to save the model in.")] = Path(
        "runs/models/tiny"
    ),
    size: Annotated[ModelSize, typer.Option(help="Architecture size.")] = ModelSize.TINY,
    examples: Annotated[int, typer.Option(help="Warm-start conversations.")] = WARM_START_EXAMPLES,
    max_difficulty: Annotated[
        int, typer.Option(help="Hardest level (steps) trained on.")
    ] = MAX_TRAINED_DIFFICULTY,
    seed: Annotated[int, typer.Option(help="Seed for data and initialisation.")] = 0,
    quiet: QuietOpt = False,
) -> None:
    """Build the tiny Llama and its tokenizer, warm-start it with SFT, and save it."""
    from ripeness.demo import build_embedded

    report = build_embedded(out, size, examples, max_difficulty, seed, show_progress=not quiet)
    sft = report.warm_start
    typer.echo(
        f"saved {report.path} ({report.parameters:,} parameters; SFT {sft.steps} steps, "
        f"{sft.tokens_per_second:,.0f} tokens/s, {report.total_seconds / 60:.1f} min)"
    )


@app.command("import")
def model_import(
    source: Annotated[str, typer.Argument(help="A .gguf file (or a hub id) to import.")],
    out: Annotated[Path, typer.Option(help="Folder to write the plain HF model to.")] = Path(
        "runs/models/imported"
    ),
) -> None:
    """Write a plain HF folder (float32 safetensors, tokenizer, chat template) from a GGUF file.

    `AutoModelForCausalLM.from_pretrained(OUT)` loads it with no Ripeness code."""
    from ripeness.models.sources import import_model
    from ripeness.progress import console, quiet_libraries

    writable_dir(out.parent, "output folder")
    quiet_libraries()
    started = time.monotonic()
    with console.status(f"importing {source}"):
        import_model(source, out)
    typer.echo(f"saved {out} ({time.monotonic() - started:.0f} s)")


@app.command("eval")
def model_eval(
    model: Annotated[str, typer.Argument(help="An HF model folder, a .gguf file or a hub id.")],
    per_level: Annotated[int, typer.Option(help="Held-out problems per difficulty.")] = 100,
    max_difficulty: Annotated[int, typer.Option(help="Hardest level to test.")] = 7,
    seed: Annotated[int, typer.Option(help="Seed for drawing held-out problems.")] = 1234,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write results here.")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Greedy gold accuracy on held-out problems, by difficulty, with 95% intervals."""
    positive(per_level, "--per-level")
    difficulties = levels_up_to(max_difficulty)
    model = resolve_model(model)
    from ripeness.display import accuracy_table
    from ripeness.evaluation import evaluate_model_dir, save_results
    from ripeness.progress import console, quiet_libraries

    quiet_libraries()
    results = evaluate_model_dir(model, difficulties, per_level, seed, show_progress=not quiet)
    console.print(accuracy_table(results), soft_wrap=True)
    if json_out:
        save_results(results, json_out, model=str(model), seed=seed)
