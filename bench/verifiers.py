"""Benchmark: verifications per second of each gold verifier, and the sandbox's overhead.

Each gold verifier scores the reference completions of a task (so every check does the full
work of a passing answer). References measured in the same run:

- math: math-verify called directly on this (main) thread, against our worker-process wrapper;
- code: the same solution and tests run by a bare ``python -I`` subprocess, against the
  sandbox (fresh folder, limits, network namespace, privilege drop, audit hook).

    .venv/bin/python bench/verifiers.py            # about a minute on 2 cores

Writes bench/results/verifiers.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ripeness.sandbox.runner import run_tests
from ripeness.tasks.registry import get_family

TASKS = ("arithmetic", "rg:chain_sum", "rg:word_sorting", "math", "code")


def verifications_per_second(task: str, n: int) -> dict:
    family = get_family(task)
    items = family.generate(n, seed=0, difficulties=[1, 2])
    columns = [item.columns() for item in items]
    completions = [family.reference_completion(item) for item in items]
    gold = family.gold
    gold(
        [columns[0]["prompt"]],
        [completions[0]],
        answer=[items[0].answer],
        metadata=[columns[0]["metadata"]],
    )  # warm-up: worker start, dataset cache
    start = time.perf_counter()
    scores = gold(
        [c["prompt"] for c in columns],
        completions,
        answer=[i.answer for i in items],
        metadata=[c["metadata"] for c in columns],
    )
    seconds = time.perf_counter() - start
    return {
        "task": task,
        "n": n,
        "seconds": seconds,
        "per_second": n / seconds,
        "all_correct": all(s == 1.0 for s in scores),
    }


def math_verify_direct(n: int) -> dict:
    from math_verify import parse, verify

    items = get_family("math").generate(n, seed=0, difficulties=[1, 2])
    parse("$1$"), verify(parse("$1$"), parse("1"))  # warm-up
    start = time.perf_counter()
    for item in items:
        verify(parse(f"${item.answer}$"), parse(item.answer))
    seconds = time.perf_counter() - start
    return {"n": n, "seconds": seconds, "per_second": n / seconds}


def sandbox_overhead(runs: int) -> dict:
    family = get_family("code")
    item = family.generate(1, seed=0, difficulties=[1])[0]
    files = {"solution.py": item.answer, "test_solution.py": item.metadata["visible_tests"]}
    sandboxed, bare = [], []
    runner = (
        "import sys; sys.path.insert(0, '.'); ns = {}; "
        "exec(open('test_solution.py').read(), ns); "
        "[f() for k, f in ns.items() if k.startswith('test')]"
    )
    for _ in range(runs):
        start = time.perf_counter()
        result = run_tests(files)
        sandboxed.append(time.perf_counter() - start)
        assert result.passed, result.reason
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in files.items():
                Path(tmp, name).write_text(text)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-I", "-B", "-c", runner], cwd=tmp, check=True)
            bare.append(time.perf_counter() - start)
    return {
        "runs": runs,
        "sandbox_median_s": statistics.median(sandboxed),
        "bare_python_median_s": statistics.median(bare),
        "overhead_s": statistics.median(sandboxed) - statistics.median(bare),
        "isolation": result.isolation,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="verifications per text task")
    parser.add_argument("--code-n", type=int, default=40, help="verifications for code")
    parser.add_argument("--runs", type=int, default=20, help="sandbox runs for the overhead")
    parser.add_argument("--out", type=Path, default=Path("bench/results/verifiers.json"))
    args = parser.parse_args()
    console = Console()

    rows = [verifications_per_second(t, args.code_n if t == "code" else args.n) for t in TASKS]
    direct = math_verify_direct(args.n)
    overhead = sandbox_overhead(args.runs)

    table = Table(title="Gold verifiers (reference completions)")
    for column in ("task", "n", "verifications/s", "all correct"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["task"],
            str(row["n"]),
            f"{row['per_second']:,.1f}",
            "yes" if row["all_correct"] else "NO",
        )
    console.print(table)
    math_row = next(r for r in rows if r["task"] == "math")
    console.print(
        f"math-verify direct on the main thread: {direct['per_second']:,.1f}/s; "
        f"safe worker: {math_row['per_second']:,.1f}/s "
        f"({math_row['per_second'] / direct['per_second']:.2f}x of direct)"
    )
    console.print(
        f"sandbox run: {overhead['sandbox_median_s'] * 1000:.0f} ms median vs bare python "
        f"{overhead['bare_python_median_s'] * 1000:.0f} ms "
        f"(overhead {overhead['overhead_s'] * 1000:.0f} ms per run, {overhead['runs']} runs); "
        f"isolation {overhead['isolation']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"verifiers": rows, "math_verify_direct": direct, "sandbox": overhead}, indent=2)
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
