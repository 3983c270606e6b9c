"""Benchmark: is the verdict's figure honest? Today's procedure beside the confirmation split.

Simulated runs through the real selection code (``decide`` and ``report_figures`` of
``ripeness.report.select``, on held-out records shaped as ``probes.sqlite`` holds them): a
starting model and k checkpoints answer the same 300 selection problems and, for the new
procedure, 300 confirmation problems. Each problem has its own difficulty, so the outcomes of
two checkpoints on one problem correlate as a real run's do. Two worlds:

- **flat**: every checkpoint's true gold equals the start's (35%): any gain is noise;
- **one better**: one checkpoint in the middle is truly ``--gain`` points better.

Per procedure: the bias of the shipped checkpoint's reported gold (reported minus true), the
share of runs whose verdict claims "significantly better than the last" on a flat run (false
claims), and in the other world how often the truly better checkpoint is shipped and how often
its gain over the last is then confirmed (power).

- *selection* (the old one): report the pick's gold, and its paired test against the last, on
  the problems it was picked by;
- *confirmation* (now): pick on the selection split, report on the confirmation split.

    .venv/bin/python bench/selection.py --runs 1000     # ~2 min on 2 cores

Writes bench/results/selection.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from statistics import NormalDist

from rich.console import Console
from rich.table import Table

from ripeness.report.assess import Candidate
from ripeness.report.select import Assessment, decide, report_figures
from ripeness.stats import Rate
from ripeness.train.config import SelectSection

TRUE_GOLD = 0.35
NOISE = 0.7  # a checkpoint's own noise on a problem, beside the problem's ease
SPREAD = NormalDist(0, math.sqrt(1 + NOISE**2))


def answers(rng: random.Random, ease: list[float], rate: float) -> list[bool]:
    """One model's outcomes on problems of the given ease, at true rate ``rate``."""
    bar = SPREAD.inv_cdf(1 - rate)
    return [e + rng.gauss(0, NOISE) > bar for e in ease]


def records(outcomes: list[bool], split: str) -> list[dict]:
    return [
        {"sample_id": f"{split}-{i}", "correct": c, "hacked": False, "proxy_paid": c}
        for i, c in enumerate(outcomes)
    ]


def one_run(rng: random.Random, k: int, better: int | None, gain: float, n: int) -> dict:
    """One simulated run: returns what each procedure reports."""
    rates = [TRUE_GOLD] * (k + 1)  # index 0 is the start
    if better is not None:
        rates[better] = TRUE_GOLD + gain
    ease_sel = [rng.gauss(0, 1) for _ in range(n)]
    ease_conf = [rng.gauss(0, 1) for _ in range(n)]
    labels = ["base"] + [f"step-{10 * i}" for i in range(1, k + 1)]
    selection, confirmation, assessments = {}, {}, []
    for i, (label, rate) in enumerate(zip(labels, rates, strict=True)):
        sel = answers(rng, ease_sel, rate)
        selection[label] = records(sel, "heldout")
        confirmation[label] = records(answers(rng, ease_conf, rate), "confirmation")
        candidate = Candidate(label, 10 * i, Path(label), last=i == k)
        summary_gold = Rate(sum(sel), n)
        assessments.append(Assessment(candidate, summary_gold, hack=Rate(0, n)))
    out = {}
    for procedure, second in (("selection", {}), ("confirmation", confirmation)):
        fresh = [Assessment(a.candidate, a.gold, hack=a.hack) for a in assessments]
        chosen = decide(fresh, SelectSection(), selection)
        report_figures(chosen, selection, second)
        if chosen.chosen is None:
            out[procedure] = None
            continue
        index = labels.index(chosen.chosen.candidate.label)
        reported = chosen.confirmed_gold or chosen.chosen.gold
        cmp = chosen.versus_last
        out[procedure] = {
            "bias": reported.value - rates[index],
            "claims_better": bool(cmp and cmp.difference > 0 and cmp.p_value < 0.05),
            "shipped_better": better is not None and index == better,
        }
    return out


def summarize(results: list[dict], procedure: str) -> dict:
    rows = [r[procedure] for r in results if r[procedure] is not None]
    n = len(rows)
    bias = [r["bias"] for r in rows]
    mean = sum(bias) / n
    se = math.sqrt(sum((b - mean) ** 2 for b in bias) / (n - 1) / n)
    claims = Rate(sum(r["claims_better"] for r in rows), n)
    shipped = Rate(sum(r["shipped_better"] for r in rows), n)
    confirmed = [r["claims_better"] for r in rows if r["shipped_better"]]
    return {
        "runs": n,
        "bias_points": 100 * mean,
        "bias_ci_points": [100 * (mean - 1.96 * se), 100 * (mean + 1.96 * se)],
        "claims_better_than_last": claims.as_dict(),
        "shipped_truly_better": shipped.as_dict(),
        "power_given_shipped": Rate(sum(confirmed), len(confirmed)).as_dict()
        if confirmed
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--problems", type=int, default=300)
    parser.add_argument("--gain", type=float, default=0.08, help="the better checkpoint's gain")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "selection.json"
    )
    args = parser.parse_args()
    from ripeness.progress import make_progress

    console = Console()
    start = time.perf_counter()
    table = Table(title=f"Selection honesty ({args.runs} simulated runs each, n={args.problems})")
    for column in ("world", "k", "procedure", "bias of reported gold (points)",
                   "'better than last' claims", "ships the better one", "power"):  # fmt: skip
        table.add_column(column)
    payload: dict = {"runs": args.runs, "problems": args.problems, "gain": args.gain, "rows": []}
    worlds = [(world, k) for world in ("flat", "one better") for k in (4, 10, 20)]
    with make_progress() as progress:
        task = progress.add_task("simulated runs", total=len(worlds) * args.runs, status="")
        for world, k in worlds:
            rng = random.Random(args.seed + k + (1000 if world != "flat" else 0))
            better = k // 2 if world == "one better" else None
            results = []
            for _ in range(args.runs):
                results.append(one_run(rng, k, better, args.gain, args.problems))
                progress.advance(task)
            progress.update(task, status=f"{world} k={k}")
            for procedure in ("selection", "confirmation"):
                row = summarize(results, procedure)
                payload["rows"].append({"world": world, "k": k, "procedure": procedure, **row})
                claims, shipped = row["claims_better_than_last"], row["shipped_truly_better"]
                power = row["power_given_shipped"]
                low, high = row["bias_ci_points"]
                table.add_row(
                    world,
                    str(k),
                    procedure,
                    f"{row['bias_points']:+.2f} [{low:+.2f}, {high:+.2f}]",
                    f"{claims['rate']:.1%} [{claims['low']:.1%}, {claims['high']:.1%}]",
                    "-" if world == "flat" else f"{shipped['rate']:.1%}",
                    "-" if power is None or world == "flat" else f"{power['rate']:.1%}",
                )
    payload["seconds"] = time.perf_counter() - start
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2))
    console.print(f"{payload['seconds']:.0f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
