"""Benchmark: the embedded default model against the foundation issue's bars.

Builds the default model exactly as `ripeness model init` does, times it, and measures held-out
gold accuracy by difficulty with 95% Wilson intervals. As a same-run reference for speed, it also
times a short stretch of SFT with TRL's own padding-free collator against the row-packed one.

    .venv/bin/python bench/tiny_model.py            # full run, about 5 minutes on 2 cores
    .venv/bin/python bench/tiny_model.py --per-level 100 --collator-steps 0

Writes bench/results/tiny_model.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

from ripeness.display import accuracy_table
from ripeness.evaluation import evaluate_model_dir
from ripeness.models.tiny import SIZES, build_model
from ripeness.models.tokenizer import build_tokenizer
from ripeness.progress import quiet_libraries
from ripeness.train.embedded import init_embedded_model
from ripeness.train.sft import WarmStartConfig, warm_start

BARS = {"minutes": 3.0, "easy_accuracy": 0.90, "hardest_accuracy": 0.50}


def collator_speed(steps: int) -> dict[str, float]:
    """Tokens/s of SFT with TRL's padding-free collator and with ours, same data and model."""
    speeds = {}
    for name, trl_collator in (("trl_padding_free", True), ("row_packed", False)):
        tokenizer = build_tokenizer()
        model = build_model(tokenizer, SIZES["tiny"], seed=0)
        config = WarmStartConfig(examples=steps * 40)
        with tempfile.TemporaryDirectory() as tmp:
            result = warm_start(
                model,
                tokenizer,
                config,
                Path(tmp),
                False,
                max_steps=steps,
                trl_collator=trl_collator,
            )
        speeds[name] = result.tokens_per_second
    return speeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-level", type=int, default=100)
    parser.add_argument("--collator-steps", type=int, default=40)
    parser.add_argument("--out", type=Path, default=Path("bench/results/tiny_model.json"))
    args = parser.parse_args()
    quiet_libraries()
    console = Console()

    config = WarmStartConfig()  # exactly what `ripeness model init` uses
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        report = init_embedded_model(Path(tmp) / "model", "tiny", config)
        minutes = (time.perf_counter() - start) / 60
        difficulties = list(range(1, max(config.difficulties) + 2))
        results = evaluate_model_dir(report.path, difficulties, args.per_level)
    console.print(accuracy_table(results, trained=config.difficulties))

    by_level = {r.difficulty: r.accuracy for r in results}
    easy, hardest = by_level[1], by_level[max(config.difficulties)]
    speeds = collator_speed(args.collator_steps) if args.collator_steps else {}

    table = Table(title="Embedded default model (foundation issue bars)")
    for column in ("figure", "value", "bar", "met"):
        table.add_column(column)
    rows = [
        ("parameters", f"{report.parameters:,}", "", ""),
        ("SFT tokens/s", f"{report.warm_start.tokens_per_second:,.0f}", "", ""),
        ("build minutes (init + SFT + save)", f"{minutes:.2f}", "<= 3", minutes <= BARS["minutes"]),
        ("easy (1 step) accuracy", str(easy), ">= 90%", easy.value >= BARS["easy_accuracy"]),
        (
            f"hardest trained ({max(config.difficulties)} steps)",
            str(hardest),
            ">= 50%",
            hardest.value >= BARS["hardest_accuracy"],
        ),
    ]
    if speeds:
        ratio = speeds["row_packed"] / speeds["trl_padding_free"]
        rows.append(
            ("TRL padding-free collator tokens/s", f"{speeds['trl_padding_free']:,.0f}", "", "")
        )
        rows.append(("row-packed / TRL padding-free", f"{ratio:.2f}x", "", ""))
    for name, value, bar, met in rows:
        table.add_row(name, value, bar, "" if met == "" else ("yes" if met else "NO"))
    console.print(table)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": {"threads": torch.get_num_threads(), "torch": torch.__version__},
        "config": asdict(config),
        "parameters": report.parameters,
        "sft_tokens_per_second": report.warm_start.tokens_per_second,
        "sft_steps": report.warm_start.steps,
        "build_minutes": minutes,
        "levels": {
            r.difficulty: {**r.accuracy.as_dict(), "mean_tokens": r.mean_tokens} for r in results
        },
        "collator_tokens_per_second": speeds,
        "bars": BARS,
        "bars_met": {
            "minutes": minutes <= BARS["minutes"],
            "easy_accuracy": easy.value >= BARS["easy_accuracy"],
            "hardest_accuracy": hardest.value >= BARS["hardest_accuracy"],
        },
    }
    args.out.write_text(json.dumps(payload, indent=2))
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
