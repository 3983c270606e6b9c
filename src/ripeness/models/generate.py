"""Batched chat generation with a local HF model.

Prompts are sorted by length before batching (less left padding, so faster on CPU) and the
results are returned in the caller's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

Message = dict[str, str]


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
    """The assistant's next turn for each conversation; greedy when ``temperature`` is 0."""
    prompts = [
        tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
        for c in conversations
    ]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    results: list[Generation | None] = [None] * len(prompts)
    eos = tokenizer.eos_token_id
    torch.manual_seed(seed)
    model.eval()
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        encoded = tokenizer(
            [prompts[i] for i in batch],
            return_tensors="pt",
            padding=True,
            padding_side="left",
            add_special_tokens=False,
        ).to(model.device)
        sampling = (
            {"do_sample": True, "temperature": temperature}
            if temperature > 0
            else {"do_sample": False}
        )
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                max_new_tokens=max_new_tokens,
                eos_token_id=eos,
                pad_token_id=tokenizer.pad_token_id,
                **sampling,
            )
        new_tokens = output[:, encoded["input_ids"].shape[1] :]
        for row, i in enumerate(batch):
            ids = new_tokens[row].tolist()
            ended = eos in ids
            ids = ids[: ids.index(eos)] if ended else ids
            ids = [t for t in ids if t != tokenizer.pad_token_id]
            results[i] = Generation(
                text=tokenizer.decode(ids, skip_special_tokens=True),
                completion_tokens=len(ids) + int(ended),
                truncated=not ended,
            )
        if on_batch:
            on_batch(len(batch))
    return results  # type: ignore[return-value]


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
