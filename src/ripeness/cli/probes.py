"""``ripeness probe``, ``ripeness probe compare`` and ``ripeness serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ripeness.errors import RipenessError, positive
from ripeness.models.sources import resolve_model
from ripeness.options import Engine, PromptChoice

DEFAULT_PROBES = "skills,calibration,sycophancy,reward_hacking,hallucinated_actions,planning"


def probe_command(
    model: Annotated[
        str,
        typer.Argument(
            help="An HF model folder, a .gguf file, a hub id, or the model name at --url."
        ),
    ],
    probes: Annotated[str, typer.Option(help="Comma-separated probe names.")] = DEFAULT_PROBES,
    url: Annotated[str, typer.Option(help="An OpenAI-compatible server's base URL.")] = "",
    api_key: Annotated[str, typer.Option(envvar="OPENAI_API_KEY", help="Key for --url.")] = "",
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once (--url).")] = 8,
    timeout: Annotated[float, typer.Option(help="Seconds to wait per request (--url).")] = 60.0,
    samples: Annotated[int, typer.Option(help="Problems per difficulty or condition.")] = 50,
    temperature: float = 0.0,
    draws: Annotated[int, typer.Option(help="Completions per prompt (pass@k, maj@k).")] = 1,
    max_tokens: int = 128,
    seed: int = 1234,
    data: Annotated[str, typer.Option(help="A dataset file for probes that read one.")] = "",
    task: Annotated[
        str,
        typer.Option(
            help="The task whose held-out problems the probes ask, judged by its gold: any "
            "`ripeness tasks list` spec (math, math:FILE.jsonl, rg:DATASET, code, items:FILE)."
        ),
    ] = "arithmetic",
    difficulty: Annotated[
        str,
        typer.Option(
            help="Levels to ask, e.g. 1-3 or 1,4 (default: 1-6, or the task's own levels)."
        ),
    ] = "",
    out: Annotated[Path, typer.Option(help="Folder for probes.sqlite and the cache.")] = Path(
        "runs/probes"
    ),
    label: Annotated[str, typer.Option(help="Name to file the results under.")] = "",
    prompt_style: Annotated[
        PromptChoice,
        typer.Option(
            help="plain: the embedded format (bare questions, strict 'Answer: N'); instruct: "
            "a real chat model (the answer's form is asked for, free-form answers are read); "
            "auto: plain for models with the embedded chat template, else instruct."
        ),
    ] = PromptChoice.AUTO,
    engine: Annotated[Engine, typer.Option(help="What answers a local model.")] = Engine.AUTO,
    quiet: bool = False,
) -> None:
    """Run behavior probes and print every figure with n and a 95% interval."""
    from ripeness.display import probe_table
    from ripeness.errors import writable_dir
    from ripeness.probes.base import ProbeSettings, default_prompt_style
    from ripeness.probes.catalog import get_probe

    names = [n.strip() for n in probes.split(",") if n.strip()]
    for name in names:
        get_probe(name)
    positive(samples, "--samples")
    positive(concurrency, "--concurrency")
    levels, notices = task_levels_for(task, difficulty)  # a bad task fails before the model
    if data and "sycophancy" in names:  # a bad file fails before any model is loaded
        from ripeness.probes.sycophancy_eval import load_rows

        load_rows(Path(data))
    out = writable_dir(out, "probe output folder")
    from ripeness.progress import quiet_libraries

    quiet_libraries()  # before the model loads: its loading bars are not ours
    backend = make_backend(model, url, api_key, concurrency, timeout, out, engine)
    settings = ProbeSettings(
        samples=samples,
        temperature=temperature,
        draws=positive(draws, "--draws"),
        seed=seed,
        max_tokens=positive(max_tokens, "--max-tokens"),
        data=data,
        task=task,
        difficulties=levels,
        prompt_style=(
            default_prompt_style(backend) if prompt_style == PromptChoice.AUTO else prompt_style
        ),
    )
    label = label or (f"{url}#{model}" if url else str(model))
    from ripeness.models.backends import TrackedBackend
    from ripeness.probes.runner import run_probes
    from ripeness.progress import console, sample_progress
    from ripeness.records.probes import ProbeStore

    skipped: list[str] = []
    with sample_progress("probing (samples)", disable=quiet) as bar:
        tracked = TrackedBackend(backend, bar.asked, bar.done)
        ran = run_probes(
            tracked,
            names,
            settings,
            out,
            label,
            on_start=bar.status,
            on_skip=lambda name, line: skipped.append(line),
        )
    store = ProbeStore(out)
    summaries = {k: v for k, v in store.summary(label).items() if k in ran}
    store.close()
    for line in notices + skipped:
        typer.echo(line, err=True)
    if summaries:
        console.print(probe_table(label, summaries), soft_wrap=True)
    console.print(f"records in {out / ProbeStore.FILE} under label {label!r}")


def task_levels_for(task: str, difficulty: str) -> tuple[tuple[int, ...], list[str]]:
    """The levels ``--task`` is asked on (``--difficulty``'s that it has, else 1-6 kept to
    its own) and the notices to print; an unknown task or bad levels are one-line errors."""
    from ripeness.probes.skills import DEFAULT_LEVELS, probe_levels
    from ripeness.tasks.levels import parse_difficulties
    from ripeness.tasks.registry import get_family

    family = get_family(task)
    wanted = tuple(parse_difficulties(difficulty)) if difficulty else DEFAULT_LEVELS
    levels, notice = probe_levels(family, wanted, given=bool(difficulty))
    return levels, [notice] if notice else []


def make_backend(
    model: str,
    url: str,
    api_key: str,
    concurrency: int,
    timeout: float,
    out: Path,
    engine: Engine = Engine.AUTO,
):
    """The backend a probe asks: the server at ``url``, else the local model by ``engine``."""
    if url:
        from ripeness.models.backends import OpenAIBackend

        return OpenAIBackend(
            url, model, api_key or None, concurrency, timeout, cache=out / "http_cache.sqlite"
        )
    from ripeness.models.backends import local_backend

    return local_backend(resolve_model(model), engine)


def compare_command(
    before: Annotated[str, typer.Argument(help="Label of the earlier model.")],
    after: Annotated[str, typer.Argument(help="Label of the later model.")],
    out: Annotated[Path, typer.Option(help="Folder holding probes.sqlite.")] = Path("runs/probes"),
) -> None:
    """Paired differences (after minus before) on the samples both models answered."""
    from ripeness.display import comparison_table
    from ripeness.probes.runner import compare_labels
    from ripeness.progress import console
    from ripeness.records.probes import ProbeStore

    if not (out / ProbeStore.FILE).is_file():
        raise RipenessError(f"no probe results in {out}; run `ripeness probe MODEL` first")
    store = ProbeStore(out)
    labels = store.labels()
    store.close()
    for label in (before, after):
        if label not in labels:
            raise RipenessError(f"no probe results labelled {label!r} in {out}; have {labels}")
    console.print(comparison_table(before, after, compare_labels(out, before, after)))


def serve_command(
    model: Annotated[str, typer.Argument(help="An HF model folder, a .gguf file or a hub id.")],
    host: str = "127.0.0.1",
    port: int = 8000,
    max_batch: Annotated[int, typer.Option(help="Most conversations per generate call.")] = 64,
) -> None:
    """Serve a local model over an OpenAI-compatible chat API (for probes and other tools)."""
    model = resolve_model(model)
    from ripeness.models.server import serve
    from ripeness.progress import quiet_libraries

    quiet_libraries()
    typer.echo(f"serving {model} at http://{host}:{port}/v1", err=True)
    serve(model, host, port, positive(max_batch, "--max-batch"))
