"""Batched chat generation with a local HF model.

Prompts are sorted by length before batching (less left padding, so faster on CPU) and the
results are returned in the caller's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ripeness.messages import Message


@dataclass(frozen=True)
class Generation:
    text: str
    completion_tokens: int
    truncated: bool  # stopped by max_new_tokens before the end-of-turn token


def generate_chat(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: Sequence[list[Message]],
    max_new_tokens: int = 128,
    batch_size: int = 64,
    temperature: float = 0.0,
    seed: int = 0,
    on_batch: Callable[[int], None] | None = None,
) -> list[Generation]:
    """The assistant's next turn for each conversation; greedy when ``temperature`` is 0.

    Sampling is seeded without touching the caller's random stream (a trainer's, mid-run)."""
    prompts = [
        tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
        for c in conversations
    ]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    results: list[Generation | None] = [None] * len(prompts)
    model.eval()
    cuda = [model.device.index or 0] if model.device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            texts = [prompts[i] for i in batch]
            for i, generation in zip(
                batch, _generate(model, tokenizer, texts, max_new_tokens, temperature), strict=True
            ):
                results[i] = generation
            if on_batch:
                on_batch(len(batch))
    return results  # type: ignore[return-value]


def _generate(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: list[str],
    max_new_tokens: int,
    temperature: float,
) -> list[Generation]:
    """One left-padded batch through ``model.generate``, cut at the end-of-turn token."""
    eos = tokenizer.eos_token_id
    encoded = tokenizer(
        prompts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
    ).to(model.device)
    sampling = (
        {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
    )
    with torch.inference_mode():
        output = model.generate(
            **encoded,
            max_new_tokens=max_new_tokens,
            eos_token_id=eos,
            pad_token_id=tokenizer.pad_token_id,
            **sampling,
        )
    generations = []
    for ids in output[:, encoded["input_ids"].shape[1] :].tolist():
        ended = eos in ids
        ids = ids[: ids.index(eos)] if ended else ids
        ids = [t for t in ids if t != tokenizer.pad_token_id]
        generations.append(
            Generation(
                text=tokenizer.decode(ids, skip_special_tokens=True),
                completion_tokens=len(ids) + int(ended),
                truncated=not ended,
            )
        )
    return generations


def sample_completions(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    conversations: Sequence[list[Message]],
    samples: int,
    temperature: float = 1.0,
    seed: int = 0,
    max_new_tokens: int = 128,
) -> list[list[str]]:
    """``samples`` sampled replies to each conversation (a ``tasks.filtering.Sampler``)."""
    repeated = [c for c in conversations for _ in range(samples)]
    texts = [
        g.text
        for g in generate_chat(
            model, tokenizer, repeated, max_new_tokens, temperature=temperature, seed=seed
        )
    ]
    return [texts[i * samples : (i + 1) * samples] for i in range(len(conversations))]
