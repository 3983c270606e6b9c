"""Build, warm-start and save the embedded default model (``ripeness model init``).

A Llama with a character tokenizer, built from a config in code, warm-started with TRL's
``SFTTrainer`` (:mod:`ripeness.train.sft`) and saved with ``save_pretrained`` plus the card
(``ripeness.json``) that :func:`ripeness.models.embedded.is_built` looks for.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ripeness.errors import RipenessError, writable_dir
from ripeness.models.embedded import CARD_FILE
from ripeness.models.tiny import SIZES, build_model, parameter_count
from ripeness.models.tokenizer import build_tokenizer
from ripeness.train.sft import WarmStartConfig, WarmStartResult, warm_start


@dataclass(frozen=True)
class InitReport:
    path: Path
    size: str
    parameters: int
    warm_start: WarmStartResult
    total_seconds: float


def init_embedded_model(
    out_dir: Path,
    size: str = "tiny",
    config: WarmStartConfig | None = None,
    show_progress: bool = True,
) -> InitReport:
    """Build the tokenizer and model, warm-start it with SFT, and save both to ``out_dir``."""
    if size not in SIZES:
        raise RipenessError(f"unknown model size {size!r}; choose one of {', '.join(SIZES)}")
    config = config or WarmStartConfig()
    out_dir = writable_dir(out_dir, "model folder")
    start = time.perf_counter()
    tokenizer = build_tokenizer()
    model = build_model(tokenizer, SIZES[size], seed=config.seed)
    with tempfile.TemporaryDirectory(prefix="ripeness-sft-") as work_dir:
        result = warm_start(model, tokenizer, config, Path(work_dir), show_progress=show_progress)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    total = time.perf_counter() - start
    card = {
        "kind": "ripeness-embedded-model",
        "size": size,
        "spec": asdict(SIZES[size]),
        "parameters": parameter_count(model),
        "warm_start": asdict(config),
        "sft_seconds": result.seconds,
        "sft_tokens": result.trained_tokens,
        "loss_history": result.loss_history,
        "total_seconds": total,
    }
    (out_dir / CARD_FILE).write_text(json.dumps(card, indent=2))
    return InitReport(out_dir, size, parameter_count(model), result, total)
