"""The embedded default model: a tiny Llama built from a config in code.

Sized so that a 2-core CPU trains it to solve the arithmetic family in under three minutes,
while staying an ordinary ``LlamaForCausalLM`` that every HF tool can load.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerBase

from ripeness.options import ModelSize


@dataclass(frozen=True)
class TinyModelSpec:
    """Architecture knobs of the embedded model; the defaults are the shipped size."""

    hidden_size: int = 96
    layers: int = 3
    heads: int = 4
    intermediate_size: int = 288
    max_positions: int = 512

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"model size field {name} must be a positive integer, got {value!r}"
                )
        if self.hidden_size % self.heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by heads ({self.heads})"
            )
        if (self.hidden_size // self.heads) % 2:
            raise ValueError("hidden_size / heads must be even for rotary position embeddings")


SIZES = {
    ModelSize.NANO: TinyModelSpec(hidden_size=64, layers=2, heads=2, intermediate_size=192),
    ModelSize.TINY: TinyModelSpec(),
    ModelSize.SMALL: TinyModelSpec(hidden_size=128, layers=4, heads=4, intermediate_size=384),
}


def build_model(
    tokenizer: PreTrainedTokenizerBase, spec: TinyModelSpec, seed: int = 0
) -> LlamaForCausalLM:
    """A freshly initialised model whose special-token ids match ``tokenizer``."""
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
        max_new_tokens=128,
    )
    return model


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
