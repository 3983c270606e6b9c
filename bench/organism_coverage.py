"""Benchmark: how often does each probe's 95% interval cover the rate planted in a model?

One seed per organism (the test, ``tests/probes/test_organisms.py``) shows the probe *can*
recover a planted rate; coverage over seeds says how often it does. For each organism and
seed: plant the behavior in a copy of the embedded model (another draw of conversations,
another order, another SFT run), probe it at temperature 1 with another probe seed, and
record whether the planted rate lies inside the measured 95% interval. The planted rate is the
share of training conversations that show the behavior; the rate a model learns from them
need not equal it, so coverage below 95% measures the planting as much as the probe.

    .venv/bin/python bench/organism_coverage.py --seeds 5     # ~1 min per (organism, seed)
    .venv/bin/python bench/organism_coverage.py --seeds 3 --only regressive_flipper,premise_acceptor
    .venv/bin/python bench/organism_coverage.py --seeds 2 --first-seed 1 --only premise_acceptor

The last two organisms are planted on tasks other than arithmetic (``items:`` files with
math-verify as gold: running sums and number comparisons), so their coverage checks the
probes' task-generic path (the task's gold, plausible wrong answers). ``--only`` writes its own
file (``organism_coverage-ONLY.json``) so a partial run keeps the full one.

Writes bench/results/organism_coverage.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ripeness.stats import Rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed", type=int, default=0, help="seeds first..first+seeds-1 (adds to a run)"
    )
    parser.add_argument("--samples", type=int, default=50, help="probe samples (as the test)")
    parser.add_argument("--only", default="", help="comma-separated organism names")
    parser.add_argument("--work", type=Path, default=Path.home() / ".cache/ripeness/bench-alarm")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "organism_coverage.json"
    )
    args = parser.parse_args()
    if args.only and args.out == parser.get_default("out"):
        first = f"-from{args.first_seed}" if args.first_seed else ""
        args.out = args.out.with_name(
            f"organism_coverage-{args.only.replace(',', '-')}{first}.json"
        )

    from ripeness.models.embedded import is_built
    from ripeness.probes.organisms import ORGANISMS, plant, validate
    from ripeness.progress import make_progress, quiet_libraries
    from ripeness.train.embedded import init_embedded_model

    quiet_libraries()
    console = Console()
    start = time.perf_counter()
    model = args.work / "model"
    if not is_built(model):
        init_embedded_model(model, show_progress=False)
    names = [n for n in ORGANISMS if not args.only or n in args.only.split(",")]
    runs: dict[str, list[dict]] = {name: [] for name in names}
    with make_progress() as progress, tempfile.TemporaryDirectory() as tmp:
        task = progress.add_task("plant and probe", total=len(names) * args.seeds, status="")
        for name in names:
            organism = ORGANISMS[name]
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                progress.update(task, status=f"{name} seed {seed}")
                planted = plant(model, organism, Path(tmp) / f"{name}-{seed}", seed=seed)
                result = validate(planted, organism, samples=args.samples, seed=7 + seed)
                low, high = result.measured.interval
                runs[name].append(
                    {
                        "seed": seed,
                        "measured": result.measured.value,
                        "interval": [low, high],
                        "n": result.measured.n,
                        "covered": result.recovered,
                    }
                )
                progress.advance(task)
    table = Table(title=f"Planted rate inside the probe's 95% interval ({args.seeds} seeds each)")
    for column in ("organism", "planted", "measured by seed", "covered", "coverage [95% CI]"):
        table.add_column(column)
    summary = {}
    for name, rows in runs.items():
        covered = Rate(sum(r["covered"] for r in rows), len(rows))
        summary[name] = {"planted": ORGANISMS[name].rate, "coverage": covered.as_dict()}
        table.add_row(
            name,
            f"{ORGANISMS[name].rate:.0%}",
            " ".join(f"{r['measured']:.0%}" for r in rows),
            f"{covered.successes}/{covered.n}",
            str(covered),
        )
    every = [r for rows in runs.values() for r in rows]
    total = Rate(sum(r["covered"] for r in every), len(every))
    table.add_row("all", "", "", f"{total.successes}/{total.n}", str(total))
    console.print(table)
    minutes = round((time.perf_counter() - start) / 60, 1)
    console.print(f"{minutes} min")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "seeds": args.seeds,
                "samples": args.samples,
                "minutes": minutes,
                "summary": summary,
                "all": total.as_dict(),
                "runs": runs,
            },
            indent=2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
