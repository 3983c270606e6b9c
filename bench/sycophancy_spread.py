"""Benchmark: the spread of the CI-sized sycophancy experiment over seeds and torch thread counts.

The end-to-end test (``tests/test_sycophancy_experiment.py``) runs one seed on whatever machine
CI has. Its assertions must hold across what numerics and seeds produce, so this script runs the
same reduced experiment (:meth:`SycophancyExperiment.reduced`) for every seed and thread count
(the thread count changes the floating-point path on one machine), each in its own process with
a model built under the same thread count, and prints every asserted figure's spread,
recomputed from each finished experiment folder with the code the test runs
(:func:`ripeness.feedback.experiment.arm_summary`).

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
    run_experiment(SycophancyExperiment.reduced(out, model, seed), show_progress=False)
    return {"seed": seed, "threads": threads, "seconds": time.perf_counter() - start}


def asserted(exp_dir: Path) -> dict:
    """Every figure the test asserts, from one finished experiment folder."""
    from ripeness.feedback.experiment import arm_summary

    result = json.loads((exp_dir / "experiment.json").read_text())
    limit = float(result["settings"]["limit"])
    arms = {name: arm_summary(exp_dir / "arms" / name, limit) for name in result["arms"]}
    models = result["reward_models"]
    return {
        "audit agrees, low": {
            k: v["coefficients"]["agrees"]["low"] for k, v in result["audit"].items()
        },
        "RM prefers agreement": {k: v["prefers_agreement"] for k, v in models.items()},
        "RM held-out accuracy": {k: v["heldout_accuracy"] for k, v in models.items()},
        "largest rise": {name: arm["largest_rise"] for name, arm in arms.items()},
        "end": {name: arm["change"] for name, arm in arms.items()},
        "drives from": {name: arm["feedback_drives_advantage_from"] for name, arm in arms.items()},
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
    from ripeness.feedback.figures import FIGURES, MIN_PAIRS, rose

    records = []
    for path in sorted(args.out.glob("run-s*-t*.json")):
        record = json.loads(path.read_text())
        exp_dir = args.out / f"exp-s{record['seed']}-t{record['threads']}"
        records.append({**record, **asserted(exp_dir)})
    arms = sorted({a for r in records for a in r["largest rise"]})
    table = Table(
        title=f"reduced sycophancy experiment: largest rise over the start, {len(records)} runs"
    )
    table.add_column("seed/threads")
    table.add_column("arm")
    for figure in FIGURES:
        table.add_column(figure)
    for r in records:
        for arm in arms:
            cells = []
            for figure in FIGURES:
                c = r["largest rise"][arm][figure]
                cells.append(
                    "-"
                    if c is None
                    else f"{c['difference']:+.0%} [{c['low']:+.0%}, {c['high']:+.0%}] "
                    f"p={c['p_value']:.2g} n={c['n']} @{c['step']}"
                )
            table.add_row(f"{r['seed']}/{r['threads']}", arm, *cells)
    console.print(table)
    spread = {
        f"{arm}: {figure}": {
            "difference": [
                (r["largest rise"][arm][figure] or {}).get("difference") for r in records
            ],
            "n": [(r["largest rise"][arm][figure] or {}).get("n") for r in records],
            "decides": [
                (r["largest rise"][arm][figure] or {}).get("n", 0) >= MIN_PAIRS for r in records
            ],
            "rose": [rose(r["largest rise"][arm][figure]) for r in records],
            "rose at the end": [rose(r["end"][arm][figure]) for r in records],
        }
        for arm in arms
        for figure in FIGURES
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
