"""Benchmark: the spread of the CI-sized sycophancy experiment over seeds and torch thread counts.

The end-to-end test (``tests/test_sycophancy_experiment.py``) runs one seed on whatever machine
CI has. Its assertions must hold across what numerics and seeds produce, so this script runs the
same reduced experiment (:meth:`SycophancyExperiment.reduced`) for every seed and thread count
(the thread count changes the floating-point path on one machine), each in its own process with
a model built under the same thread count, and prints every asserted figure's spread.

    .venv/bin/python bench/sycophancy_spread.py --seeds 0,1,2 --threads 1,2 --jobs 2
    # ~7 min per run alone on 2 cores; jobs run side by side

Writes bench/results/sycophancy_spread.json (one entry per run plus the spread).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

SIZE_FLOOR = 10  # the test's floor on paired n before a figure may decide anything


def build(model: Path, threads: int) -> None:
    import torch

    from ripeness.models.embedded import is_built
    from ripeness.progress import quiet_libraries
    from ripeness.train.embedded import init_embedded_model

    torch.set_num_threads(threads)
    quiet_libraries()
    if not is_built(model):
        init_embedded_model(model, show_progress=False)


def one_run(out: Path, model: Path, seed: int, threads: int) -> dict:
    import torch

    from ripeness.feedback.experiment import SycophancyExperiment, run_experiment
    from ripeness.progress import quiet_libraries

    torch.set_num_threads(threads)
    quiet_libraries()
    start = time.perf_counter()
    result = run_experiment(SycophancyExperiment.reduced(out, model, seed), show_progress=False)
    models = result["reward_models"]
    return {
        "seed": seed,
        "threads": threads,
        "seconds": time.perf_counter() - start,
        "audit_agrees_low": {
            k: v["coefficients"]["agrees"]["low"] for k, v in result["audit"].items()
        },
        "audit_agrees_high": {
            k: v["coefficients"]["agrees"]["high"] for k, v in result["audit"].items()
        },
        "rm_prefers_agreement": {k: v["prefers_agreement"] for k, v in models.items()},
        "rm_heldout_accuracy": {k: v["heldout_accuracy"] for k, v in models.items()},
        "change": {name: arm["change"] for name, arm in result["arms"].items()},
        "largest_rise": {name: arm["largest_rise"] for name, arm in result["arms"].items()},
        "trend": {name: arm["trend"] for name, arm in result["arms"].items()},
        "drives_from": {
            name: arm["feedback_drives_advantage_from"] for name, arm in result["arms"].items()
        },
    }


def _child(args) -> None:
    if args.build:
        build(args.model, args.threads)
        return
    record = one_run(args.out, args.model, args.seed, args.threads)
    args.record.write_text(json.dumps(record, indent=2))


def _spawn(argv: list[str], log: Path) -> int:
    env = {**os.environ, "OMP_NUM_THREADS": argv[argv.index("--threads") + 1]}
    with log.open("w") as handle:
        return subprocess.call(
            [sys.executable, __file__, "--child", *argv],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )


def rose(change: dict | None) -> bool:
    return change is not None and change["difference"] > 0 and change["p_value"] < 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-sycophancy-spread"))
    parser.add_argument("--json", type=Path, default=Path("bench/results/sycophancy_spread.json"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.threads = int(args.threads)
        _child(args)
        return
    console = Console()
    seeds = [int(s) for s in args.seeds.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        builds = {
            t: pool.submit(
                _spawn,
                ["--build", "--model", str(args.out / f"model-t{t}"), "--threads", str(t)],
                args.out / f"build-t{t}.log",
            )
            for t in threads
        }
        for t, job in builds.items():
            if job.result() != 0:
                sys.exit(f"error: building the model with {t} threads failed; see {args.out}")
        runs = {}
        for t in threads:
            for s in seeds:
                record = args.out / f"run-s{s}-t{t}.json"
                if record.is_file():
                    continue
                argv = ["--model", str(args.out / f"model-t{t}"), "--seed", str(s)]
                argv += ["--threads", str(t), "--out", str(args.out / f"exp-s{s}-t{t}")]
                argv += ["--record", str(record)]
                runs[(s, t)] = pool.submit(_spawn, argv, args.out / f"run-s{s}-t{t}.log")
        for (s, t), job in runs.items():
            console.print(f"seed {s}, {t} thread(s): exit {job.result()}")
    records = [json.loads(p.read_text()) for p in sorted(args.out.glob("run-s*-t*.json"))]
    table = Table(title=f"reduced sycophancy experiment over {len(records)} runs")
    table.add_column("seed/threads")
    figures = sorted({f for r in records for arm in r["change"].values() for f in arm})
    arms = sorted({a for r in records for a in r["change"]})
    for arm in arms:
        for figure in figures:
            table.add_column(f"{arm}: {figure}")
    for r in records:
        cells = []
        for arm in arms:
            for figure in figures:
                c = r["change"].get(arm, {}).get(figure)
                cells.append(
                    "-" if c is None else f"{c['difference']:+.2f} p={c['p_value']:.2g} n={c['n']}"
                )
        table.add_row(f"{r['seed']}/{r['threads']}", *cells)
    console.print(table)
    spread = {
        f"{arm}: {figure}": {
            "difference": [(r["change"][arm][figure] or {}).get("difference") for r in records],
            "n": [(r["change"][arm][figure] or {}).get("n") for r in records],
            "rose": [rose(r["change"][arm][figure]) for r in records],
        }
        for arm in arms
        for figure in figures
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"runs": records, "spread": spread, "seconds": time.perf_counter() - start},
            indent=2,
        )
    )
    console.print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
