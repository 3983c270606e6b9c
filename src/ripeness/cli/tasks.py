"""``ripeness tasks ...``: list families, show problems, stress-test rewards, filter, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ripeness.errors import RipenessError, positive
from ripeness.models.sources import resolve_model
from ripeness.options import DatasetFormat, Split
from ripeness.tasks.levels import parse_difficulties

app = typer.Typer(help="Task families, their rewards and loopholes.", no_args_is_help=True)

TaskArg = Annotated[
    str, typer.Argument(help="Task name, e.g. arithmetic, math, code, rg:chain_sum.")
]
DifficultyOpt = Annotated[str, typer.Option(help="Difficulties, e.g. 1-3 or 1,4,6.")]


@app.command("list")
def list_tasks(
    rg: Annotated[bool, typer.Option("--rg", help="Also list reasoning-gym's datasets.")] = False,
) -> None:
    """The task families and, for each, its rewards and their loopholes."""
    from ripeness.progress import console
    from ripeness.tasks.describe import family_table

    console.print(family_table())
    if rg:
        from ripeness.tasks.rgym import dataset_names

        typer.echo(" ".join(f"rg:{name}" for name in dataset_names()))


@app.command()
def show(
    task: TaskArg,
    n: Annotated[int, typer.Option(help="How many problems.")] = 3,
    difficulty: DifficultyOpt = "1",
    seed: int = 0,
) -> None:
    """Print a few problems of a task with their reference answers."""
    from ripeness.tasks.describe import problem_lines
    from ripeness.tasks.registry import get_family

    family = get_family(task)
    items = family.generate(positive(n, "--n"), seed, parse_difficulties(difficulty))
    for line in problem_lines(items):
        typer.echo(line)


@app.command()
def stress(
    task: TaskArg,
    problems: Annotated[int, typer.Option(help="Problems to try each exploit on.")] = 20,
    difficulty: DifficultyOpt = "1-3",
    seed: int = 0,
    reward_model: Annotated[
        Path | None, typer.Option(help="Also stress a learned reward model (an HF folder).")
    ] = None,
    reward: Annotated[
        list[str] | None,
        typer.Option(help="Also stress your own reward: file.py:function or module:function."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write results here.")
    ] = None,
) -> None:
    """Feed every reward a battery of exploits and print who pays what."""
    from ripeness.display import stress_table
    from ripeness.progress import console
    from ripeness.tasks.describe import extra_rewards, verdict_lines
    from ripeness.tasks.registry import get_family
    from ripeness.tasks.stress import stress_test

    family = get_family(task)
    items = family.generate(positive(problems, "--problems"), seed, parse_difficulties(difficulty))
    extra = extra_rewards(reward_model, reward or [])
    with console.status(f"stress-testing {len(family.rewards) + len(extra)} rewards"):
        report = stress_test(family, items, extra)
    console.print(stress_table(report), soft_wrap=True)
    if task.startswith("code"):
        from ripeness.sandbox.runner import describe_isolation

        console.print(describe_isolation())
    for line in verdict_lines(report):
        console.print(line)
    if json_out:
        from ripeness.tasks.files import write_json

        write_json(json_out, report.as_dict())


@app.command("filter")
def filter_problems(
    model: Annotated[
        str, typer.Argument(help="An HF model folder, a .gguf file or a hub id to sample from.")
    ],
    task: Annotated[str, typer.Option(help="Task name.")] = "arithmetic",
    problems: Annotated[int, typer.Option(help="Candidate problems.")] = 200,
    samples: Annotated[int, typer.Option(help="Samples per problem (N).")] = 8,
    low: Annotated[float, typer.Option(help="Lowest pass rate kept.")] = 0.2,
    high: Annotated[float, typer.Option(help="Highest pass rate kept.")] = 0.8,
    difficulty: DifficultyOpt = "1-7",
    temperature: float = 1.0,
    seed: int = 0,
    out: Annotated[Path | None, typer.Option(help="Write the kept problems here (JSONL).")] = None,
) -> None:
    """Keep problems the model solves sometimes (default 20-80% of N samples)."""
    model = resolve_model(model)
    from ripeness.display import histogram_table
    from ripeness.models.embedded import load_model
    from ripeness.models.generate import sample_completions
    from ripeness.progress import console, quiet_libraries
    from ripeness.tasks.filtering import filter_by_pass_rate
    from ripeness.tasks.registry import get_family

    family = get_family(task)
    levels = parse_difficulties(difficulty)
    items = family.generate(positive(problems, "--problems"), seed, levels)
    quiet_libraries()
    net, tokenizer = load_model(model)

    def sample(conversations, n):
        return sample_completions(net, tokenizer, conversations, n, temperature, seed)

    with console.status(f"sampling {samples} answers to each of {len(items)} problems"):
        try:
            result = filter_by_pass_rate(
                family, items, sample, positive(samples, "--samples"), (low, high)
            )
        except ValueError as exc:
            raise RipenessError(str(exc)) from None
    console.print(histogram_table(result.histogram(), samples, result.band))
    console.print(f"kept {len(result.kept)} of {len(items)} problems")
    if out:
        from ripeness.tasks.files import write_jsonl

        write_jsonl(out, (item.columns() for item in result.kept))
        console.print(f"wrote {out}")


@app.command()
def export(
    task: TaskArg,
    out: Annotated[Path, typer.Option(help="Output file (.jsonl or .parquet).")],
    n: Annotated[int, typer.Option(help="How many problems.")] = 1000,
    difficulty: DifficultyOpt = "1-3",
    split: Annotated[Split, typer.Option(help="Which problems.")] = Split.TRAIN,
    format: Annotated[
        DatasetFormat, typer.Option(help="trl (prompt/answer/metadata) or verl.")
    ] = DatasetFormat.TRL,
    reward: Annotated[str, typer.Option(help="verl only: the reward veRL should use.")] = "",
    seed: int = 0,
) -> None:
    """Write problems as a dataset for TRL or veRL."""
    from ripeness.tasks.export import export_items
    from ripeness.tasks.files import check_rows_file, write_rows
    from ripeness.tasks.registry import get_family, reward_by_name
    from ripeness.tasks.verl import verl_rows

    check_rows_file(out)
    family = get_family(task)
    if reward:
        reward_by_name(family, reward)
    levels = parse_difficulties(difficulty)
    items, notice = export_items(family, positive(n, "--n"), seed, levels, split)
    if notice:
        typer.echo(f"notice: {notice}", err=True)
    if format == DatasetFormat.VERL:
        rows = verl_rows(items, reward, split)
    else:
        rows = [item.columns() for item in items]
    write_rows(out, rows)
    typer.echo(f"wrote {len(rows)} {split} problems of {family.name} to {out}")


@app.command("lm-eval")
def lm_eval_folder(
    folder: Annotated[
        Path, typer.Argument(help="The task folder to write (lm_eval --include_path).")
    ],
    task: Annotated[
        str,
        typer.Option(help="The task whose held-out problems the probes ask (as `ripeness probe`)."),
    ] = "arithmetic",
    probes: Annotated[
        str, typer.Option(help="Which probes: skills, sycophancy.")
    ] = "skills,sycophancy",
    samples: Annotated[int, typer.Option(help="Problems per difficulty.")] = 50,
    seed: int = 1234,
    difficulty: Annotated[
        str, typer.Option(help="Levels to ask, e.g. 1-3 (default: 1-6, or the task's own).")
    ] = "",
    max_tokens: int = 128,
    prompt_style: Annotated[
        str, typer.Option(help="instruct (a chat model) or plain (the embedded format).")
    ] = "instruct",
    gold: Annotated[str, typer.Option(help="The task's verifier (file.py:function), if any.")] = "",
) -> None:
    """Write the probes as an lm-eval task folder (YAML, the samples as JSONL, utils.py)."""
    from ripeness.cli.probes import task_levels_for
    from ripeness.errors import writable_dir
    from ripeness.evals.lm_eval_tasks import write_lm_eval_tasks
    from ripeness.probes.base import ProbeSettings

    levels, notices = task_levels_for(task, difficulty)
    for line in notices:
        typer.echo(f"notice: {line}", err=True)
    settings = ProbeSettings(
        samples=positive(samples, "--samples"),
        seed=seed,
        difficulties=levels,
        max_tokens=positive(max_tokens, "--max-tokens"),
        task=task,
        gold=gold,
        prompt_style=prompt_style,
    )
    names = [n.strip() for n in probes.split(",") if n.strip()]
    written, skipped = write_lm_eval_tasks(
        writable_dir(folder, "lm-eval task folder"), settings, names
    )
    for line in skipped:
        typer.echo(f"notice: {line}", err=True)
    if not written:
        raise RipenessError(f"no lm-eval task can ask task {task}; nothing written")
    tasks = ",".join(p.stem for p in written if p.suffix == ".yaml")
    typer.echo(
        f"wrote {len(written)} files to {folder}; run: lm_eval --include_path {folder} "
        f"--tasks {tasks} --apply_chat_template --model hf --model_args pretrained=MODEL"
    )
