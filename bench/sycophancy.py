"""Benchmark: the sycophancy pathway at full size (``ripeness experiment sycophancy``).

Simulated thumbs-up feedback -> Bradley-Terry reward model -> GRPO with gold + w x learned
reward for each weight of the sweep, plus the gated mitigation; the sycophancy probes at each
arm's start and checkpoints. The CI test runs a reduced size of the same code.

    .venv/bin/python bench/sycophancy.py --model runs/demo/model     # ~15 minutes on 2 cores

Prints the table and writes bench/results/sycophancy.json (the experiment's own JSON and HTML
stay in --out).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ripeness.feedback.experiment import SycophancyExperiment, run_experiment
from ripeness.feedback.figures import FIGURES, change_text
from ripeness.models.embedded import is_built
from ripeness.progress import quiet_libraries
from ripeness.train.embedded import init_embedded_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="default: build into --out")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-sycophancy"))
    parser.add_argument("--weights", default="0,1,3,10,20")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--json", type=Path, default=Path("bench/results/sycophancy.json"))
    args = parser.parse_args()
    quiet_libraries()
    start = time.perf_counter()
    model = args.model or args.out / "model"
    if not is_built(model) and args.model is None:
        init_embedded_model(model, show_progress=False)
    exp = SycophancyExperiment(
        args.out,
        model,
        users=args.users,
        weights=[float(w) for w in args.weights.split(",")],
        steps=args.steps,
        checkpoint_every=args.steps // 3,
        probe_samples=20,
    )
    result = run_experiment(exp, show_progress=False)
    table = Table(title=f"sycophancy pathway, {args.steps} GRPO steps per arm")
    table.add_column("arm")
    for figure in FIGURES:
        table.add_column(f"{figure}: end - start (paired)")
    table.add_column("learned reward drives the advantage from")
    table.add_column("alarm")
    for name, arm in result["arms"].items():
        cells = [change_text(arm["change"][figure]) for figure in FIGURES]
        table.add_row(
            name,
            *cells,
            str(arm["feedback_drives_advantage_from"] or "never"),
            str(arm["alarm_step"] or "no"),
        )
    console = Console()
    console.print(table)
    result["seconds"] = time.perf_counter() - start
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str))
    console.print(f"wrote {args.json}; report {result['report']}; {result['seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
