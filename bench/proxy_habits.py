"""Benchmark: where a warm-started model's replies already pay each proxy and fail gold, by level.

Before GRPO trains against a proxy, the question that decides the arc is whether its loophole
is already in the model's replies: a loophole present at the start is amplified from the first
step (gold falls at once), one that is absent has to be found first (gold can rise before it
falls). This samples ``--samples`` replies to ``--problems`` held-out problems at each level, at
the demo's temperature, and reports gold and, for every proxy of the task, the share of replies
the proxy pays while gold fails, with 95% intervals that take the problem as the unit (a
bootstrap over problems: the replies to one problem share its difficulty).

    .venv/bin/python bench/proxy_habits.py --model DIR        # a warm start (a demo's out/model)
    .venv/bin/python bench/proxy_habits.py --model DIR --levels 1,2,3,4 --problems 30

Writes bench/results/proxy_habits.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ripeness.evaluation import HACK_PAID
from ripeness.models.embedded import load_model
from ripeness.models.generate import sample_completions
from ripeness.models.sources import resolve_model
from ripeness.progress import quiet_libraries
from ripeness.stats import bootstrap_interval
from ripeness.tasks.registry import get_family

BENCH = Path(__file__).resolve().parent


def per_problem_rate(flags: list[list[bool]]) -> dict:
    """The mean of ``flags`` (replies per problem) with a bootstrap interval over problems."""
    rates = [sum(f) / len(f) for f in flags]
    low, high = bootstrap_interval(rates)
    return {"rate": sum(rates) / len(rates), "interval": [low, high], "problems": len(rates)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="an HF folder, .gguf file or smollm2")
    parser.add_argument("--task", default="arithmetic")
    parser.add_argument("--levels", default="1,2,3,4")
    parser.add_argument("--problems", type=int, default=30, help="held-out problems per level")
    parser.add_argument("--samples", type=int, default=4, help="replies per problem")
    parser.add_argument("--temperature", type=float, default=0.7)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "proxy_habits.json")
    args = parser.parse_args()

    quiet_libraries()
    start = time.perf_counter()
    family = get_family(args.task)
    model, tokenizer = load_model(resolve_model(args.model))
    levels = [int(level) for level in args.levels.split(",")]
    proxies = [r for r in family.rewards.values() if r.kind != "gold"]
    gold = family.gold
    rows = {}
    for level in levels:
        items = family.generate(args.problems, args.seed, [level], split="heldout")
        replies = sample_completions(
            model,
            tokenizer,
            [list(item.prompt) for item in items],
            args.samples,
            args.temperature,
            args.seed,
            args.max_new_tokens,
        )
        golds = [
            [gold.score(r, i.answer, i.metadata) >= HACK_PAID for r in rs]
            for i, rs in zip(items, replies, strict=True)
        ]
        row = {"gold": per_problem_rate(golds)}
        for proxy in proxies:
            hacked = [
                [
                    (proxy.score(r, i.answer, i.metadata) or 0.0) >= HACK_PAID and not g
                    for r, g in zip(rs, gs, strict=True)
                ]
                for i, rs, gs in zip(items, replies, golds, strict=True)
            ]
            row[proxy.name] = per_problem_rate(hacked)
        row["example"] = replies[0][0]
        rows[level] = row

    table = Table(
        title=f"Replies of {args.model} that a proxy pays and gold fails, by level "
        f"({args.problems} held-out problems x {args.samples} replies at T={args.temperature})"
    )
    table.add_column("level")
    table.add_column("gold")
    for proxy in proxies:
        table.add_column(f"{proxy.name} pays, gold fails")
    for level, row in rows.items():
        cells = [
            f"{row[k]['rate']:.0%} [{row[k]['interval'][0]:.0%}, {row[k]['interval'][1]:.0%}]"
            for k in ["gold", *(p.name for p in proxies)]
        ]
        table.add_row(str(level), *cells)
    Console(width=200).print(table)
    minutes = (time.perf_counter() - start) / 60
    args.out.parent.mkdir(parents=True, exist_ok=True)
    settings = vars(args) | {"out": str(args.out)}
    args.out.write_text(
        json.dumps({"settings": settings, "levels": rows, "minutes": minutes}, indent=2)
    )
    print(f"{minutes:.1f} min; wrote {args.out}")


if __name__ == "__main__":
    main()
