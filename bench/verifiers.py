"""Benchmark: verifications per second of each gold verifier, and the sandbox's overhead.

Each gold verifier scores the reference completions of a task (so every check does the full
work of a passing answer). References measured in the same run:

- math: math-verify called directly on this (main) thread, against our worker-process wrapper;
- code: the same solution and tests run by a bare ``python -I`` subprocess, against the
  sandbox (bubblewrap, fresh folder, limits, privilege drop, audit hook) in gold's call mode
  and the proxy's test-file mode, and with bubblewrap switched off.

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
    """Milliseconds per sandbox run, gold's call mode and the proxy's test-file mode, with
    bubblewrap and with it switched off, against a bare ``python -I`` on the same work."""
    import os

    from ripeness.sandbox.runner import BWRAP_SWITCH, describe_isolation, run_calls

    family = get_family("code")
    item = family.generate(1, seed=0, difficulties=[1])[0]
    files = {"solution.py": item.answer, "test_solution.py": item.metadata["visible_tests"]}
    cases = [tuple(c) for c in item.metadata["gold_cases"]]
    bare_runner = (
        "import sys; sys.path.insert(0, '.'); ns = {}; "
        "exec(open('test_solution.py').read(), ns); "
        "[f() for k, f in ns.items() if k.startswith('test')]"
    )
    timings: dict[str, list[float]] = {}
    lines = {}

    def timed(name, run):
        start = time.perf_counter()
        result = run()
        timings.setdefault(name, []).append(time.perf_counter() - start)
        return result

    for switch in ("1", "0"):
        os.environ[BWRAP_SWITCH] = switch
        lines[switch] = describe_isolation()
        for _ in range(runs):
            gold = timed(
                f"gold calls, bwrap={switch}",
                lambda: run_calls(files, item.metadata["function"], cases),
            )
            proxy = timed(f"test file, bwrap={switch}", lambda: run_tests(files))
            assert gold.passed and proxy.passed, (gold.reason, proxy.reason)
    os.environ.pop(BWRAP_SWITCH)
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in files.items():
                Path(tmp, name).write_text(text)
            timed(
                "bare python",
                lambda tmp=tmp: subprocess.run(
                    [sys.executable, "-I", "-B", "-c", bare_runner], cwd=tmp, check=True
                ),
            )
    medians = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "runs": runs,
        "median_s": medians,
        "bare_python_median_s": medians["bare python"],
        "gold_median_s": medians["gold calls, bwrap=1"],
        "isolation": {"bwrap on": lines["1"], "bwrap off": lines["0"]},
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
    sandbox = Table(title=f"Sandbox: median ms per run ({overhead['runs']} runs each)")
    for column in ("run", "ms", "x bare python"):
        sandbox.add_column(column, justify="right")
    bare = overhead["bare_python_median_s"]
    for name, median in overhead["median_s"].items():
        sandbox.add_row(name, f"{median * 1000:.0f}", f"{median / bare:.2f}")
    console.print(sandbox)
    for switch, line in overhead["isolation"].items():
        console.print(f"{switch}: {line}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"verifiers": rows, "math_verify_direct": direct, "sandbox": overhead}, indent=2)
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
