"""Load the embedded default model (or any local HF causal LM); say whether one is built.

The embedded model is a plain HF directory (``config.json``, weights, tokenizer files) plus
``ripeness.json``, which records how it was made, so any tool can load it and a later run can
say where its starting point came from. Building it trains, so that lives in
:mod:`ripeness.train.embedded`.
"""

from __future__ import annotations

from pathlib import Path

from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel

from ripeness.errors import RipenessError
from ripeness.models.sources import resolve_model

CARD_FILE = "ripeness.json"
ADAPTER_CONFIG = "adapter_config.json"


def is_built(path: Path) -> bool:
    """True once ``init_embedded_model`` finished there (the card is written last)."""
    return (Path(path) / CARD_FILE).is_file()


def is_adapter(path: Path) -> bool:
    """A peft adapter folder (a LoRA run's checkpoint): weights only for the adapter."""
    return (Path(path) / ADAPTER_CONFIG).is_file() and not (Path(path) / "config.json").is_file()


def load_model(path: Path | str) -> tuple[PreTrainedModel, object]:
    """Load an HF causal LM (a folder, a ``.gguf`` file or a hub id, see
    :func:`ripeness.models.sources.resolve_model`) and its tokenizer; one line if it is not one."""
    path = resolve_model(path)
    try:
        if is_adapter(path):  # a LoRA checkpoint: its base with the adapter merged in
            from peft import AutoPeftModelForCausalLM

            model = AutoPeftModelForCausalLM.from_pretrained(path).merge_and_unload()
        else:
            model = AutoModelForCausalLM.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RipenessError(f"cannot load the model at {path}: {first_line}") from None
    return model, tokenizer
