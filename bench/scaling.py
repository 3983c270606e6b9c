"""Benchmark: one training process vs two (`accelerate launch`), serial assessment vs Ray.

Same config, same seed, arms alternating (one, two, one, two, ...) so machine drift hits
both. Training: `ripeness train` in one process and under `accelerate launch` with 2
processes (examples/accelerate/ddp.yaml: torchrun, gloo on CPU); wall time of the command and
the span from the first recorded step to the last. Assessment: the one-process run's
checkpoints assessed (held-out answers from training, the probes of [select]) serially and on a
fresh local Ray, each in its own process so Ray's start-up is counted.

    .venv/bin/python bench/scaling.py                  # ~6 minutes on 2 cores
    .venv/bin/python bench/scaling.py --model /path/to/built/model --rounds 3

On a 2-core machine neither gains; the point of both is more cores, GPUs and nodes. Writes
bench/results/scaling.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CONFIG = """
[run]
name = "{name}"
out = "{out}"
seed = 3
[model]
path = "{model}"
[task]
difficulties = [1, 2, 3]
train_problems = 400
heldout_problems = 50
[grpo]
steps = {steps}
prompts_per_step = 4
num_generations = 4
max_completion_length = 48
[monitor]
eval_every = {steps}
[checkpoints]
every = {every}
[select]
every = {every}
probe_samples = 5
heldout_problems = 50
"""


def timed(command: list[str]) -> float:
    """Wall seconds of a command (`ripeness select` exits 3 when no checkpoint passes)."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def step_span(run_dir: Path) -> float:
    with sqlite3.connect(run_dir / "metrics.sqlite") as db:
        first, last = db.execute("SELECT min(time), max(time) FROM steps").fetchone()
    return last - first


def train_arm(work: Path, model: Path, name: str, processes: int, steps: int) -> dict:
    config = work / f"{name}.toml"
    config.write_text(
        CONFIG.format(name=name, out=work, model=model, steps=steps, every=max(1, steps // 3))
    )
    train = ["-m", "ripeness", "train", str(config), "--quiet"]
    if processes == 1:
        command = [sys.executable, *train]
    else:
        launch = [str(BIN / "accelerate"), "launch", "--config_file"]
        ddp = str(ROOT / "examples" / "accelerate" / "ddp.yaml")
        command = [*launch, ddp, "--num_processes", str(processes), *train]
    wall = timed(command)
    return {"wall": wall, "steps_span": step_span(work / name)}


def strip_assessment(run: Path) -> None:
    """Keep only the held-out answers training stored: what assessment starts from."""
    db = sqlite3.connect(run / "probes.sqlite")
    with db:
        runs = db.execute("SELECT label, probe, settings FROM probe_runs").fetchall()
        kept = {(label, p) for label, p, s in runs if json.loads(s).get("from") == "training"}
        for table in ("probe_runs", "probe_records", "probe_summaries"):
            for label, probe in set(db.execute(f"SELECT label, probe FROM {table}")) - kept:
                db.execute(f"DELETE FROM {table} WHERE label = ? AND probe = ?", (label, probe))
    db.close()


def assess_arm(source: Path, work: Path, name: str, ray: bool) -> float:
    run = work / name
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(source, run)
    strip_assessment(run)
    command = [sys.executable, "-m", "ripeness", "select", str(run), "--json", "--quiet"]
    return timed([*command, "--ray"] if ray else command)


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "mean": statistics.mean(values),
        "min": min(values),
        "max": max(values),
        "values": values,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a built model (default: build a small one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ripeness-scaling-"))
    model = args.model
    if model is None:
        model = work / "model"
        subprocess.run(
            [str(BIN / "ripeness"), "model", "init", "--out", str(model), "--quiet"], check=True
        )
    arms: dict[str, list[dict]] = {"one process": [], "two processes": []}
    assess: dict[str, list[float]] = {"serial": [], "ray": []}
    for round_ in range(args.rounds):
        for label, processes in (("one process", 1), ("two processes", 2)):
            name = f"{processes}p-{round_}"
            arms[label].append(train_arm(work, model, name, processes, args.steps))
        source = work / f"1p-{round_}"
        for label in ("serial", "ray"):
            assess[label].append(assess_arm(source, work, f"assess-{label}", label == "ray"))
    result = {
        "rounds": args.rounds,
        "steps": args.steps,
        "train_wall": {k: summary([r["wall"] for r in v]) for k, v in arms.items()},
        "train_steps_span": {k: summary([r["steps_span"] for r in v]) for k, v in arms.items()},
        "assess_wall": {k: summary(v) for k, v in assess.items()},
    }

    def ratio(figures: dict, arm: str, reference: str) -> float:
        return figures[arm]["mean"] / figures[reference]["mean"]

    result["ratios"] = {
        "two_over_one_wall": ratio(result["train_wall"], "two processes", "one process"),
        "two_over_one_steps": ratio(result["train_steps_span"], "two processes", "one process"),
        "ray_over_serial": ratio(result["assess_wall"], "ray", "serial"),
    }
    table = Table(title=f"scaling on this machine ({args.rounds} rounds, arms alternating)")
    for column in ("what", "arm", "mean s", "min-max s", "ratio"):
        table.add_column(column)
    rows = [
        ("training, whole command", "train_wall", "two_over_one_wall", arms),
        ("training, first to last step", "train_steps_span", "two_over_one_steps", arms),
        ("assessing the checkpoints", "assess_wall", "ray_over_serial", assess),
    ]
    for what, key, ratio_key, labels in rows:
        for i, label in enumerate(labels):
            s = result[key][label]
            shown = f"{result['ratios'][ratio_key]:.2f}" if i == 1 else "1 (reference)"
            table.add_row(what, label, f"{s['mean']:.1f}", f"{s['min']:.1f}-{s['max']:.1f}", shown)
    Console().print(table)
    out = ROOT / "bench" / "results" / "scaling.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
