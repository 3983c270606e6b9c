"""Each training batch's rollouts, as the reward functions saw them, turned into statistics.

TRL calls every reward function with the batch's prompts, completions, completion token ids
and dataset columns (its public reward contract). :class:`RolloutBatch` keeps what the
wrapped rewards saw and returned; :func:`rollout_stats` adds gold, lengths, truncation, the
groups without reward variance and each component's share of the advantage; and
:func:`sample_kl` measures KL to the initial policy (and entropy) on a strided sample of the
batch, for when TRL's own per-step figures are not there (``beta = 0`` logs no KL).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import torch

from ripeness.models.tokenizer import chat_ids
from ripeness.tasks.base import completion_text
from ripeness.train.monitors import (
    RolloutStats,
    advantage_attribution,
    completion_logps,
    sequence_kl,
    zero_variance_fraction,
)

# what TRL passes a reward function besides the batch and the dataset's columns
TRL_EXTRAS = ("trainer_state", "log_metric", "log_extra", "environments", "completion_ids")


@dataclass
class RolloutBatch:
    """One generation batch: what every reward function was called with, and what it said."""

    prompts: list
    completions: list[str]
    completion_ids: list[list[int]]
    columns: dict[str, list]
    scores: dict[str, list[float]] = field(default_factory=dict)
    kl: list[float] = field(default_factory=list)  # per sampled sequence, when measured here
    entropy: float = float("nan")

    @classmethod
    def from_call(cls, prompts, completions, kwargs: dict[str, Any]) -> RolloutBatch:
        columns = {
            k: list(v) for k, v in kwargs.items() if k not in TRL_EXTRAS and isinstance(v, list)
        }
        ids = kwargs.get("completion_ids") or [[] for _ in completions]
        return cls(
            list(prompts or []),
            [completion_text(c) for c in completions],
            [list(map(int, i)) for i in ids],
            columns,
        )

    @classmethod
    def merged(cls, shards: list[RolloutBatch]) -> RolloutBatch:
        """One batch from the processes' shards, in rank order (TRL gives each process a
        contiguous slice of the global batch, so the groups stay whole and in order)."""
        if len(shards) == 1:
            return shards[0]
        first = shards[0]
        measured = [s for s in shards if s.kl]
        entropy = (
            sum(s.entropy * len(s.kl) for s in measured) / sum(len(s.kl) for s in measured)
            if measured
            else float("nan")
        )
        return cls(
            [p for s in shards for p in s.prompts],
            [c for s in shards for c in s.completions],
            [i for s in shards for i in s.completion_ids],
            {k: [v for s in shards for v in s.columns[k]] for k in first.columns},
            {k: [v for s in shards for v in s.scores[k]] for k in first.scores},
            [k for s in shards for k in s.kl],
            entropy,
        )


def rollout_stats(
    batch: RolloutBatch,
    gold: Sequence[float],
    weights: Sequence[float],
    group: int,
    eos_ids: set[int],
) -> tuple[RolloutStats, list[dict[str, Any]]]:
    """The step's statistics and its per-completion samples (for ``metrics.sqlite``); KL and
    entropy as the batch measured them (empty / NaN until TRL's log fills them in)."""
    components = batch.scores
    total_weight = sum(weights) or 1.0
    proxy = [
        sum(w * (0.0 if math.isnan(s) else s) for w, s in zip(weights, scores, strict=True))
        / total_weight
        for scores in zip(*components.values(), strict=True)
    ]
    lengths = [len(ids) for ids in batch.completion_ids]
    # a completion without an end-of-sequence token ran into the length limit
    truncated = [not any(t in eos_ids for t in ids) for ids in batch.completion_ids]
    tensors = {name: torch.tensor(v).nan_to_num(0.0) for name, v in components.items()}
    by_name = dict(zip(components, weights, strict=True))
    stats = RolloutStats(
        proxy=proxy,
        gold=list(gold),
        lengths=lengths,
        truncated=truncated,
        kl=list(batch.kl),
        entropy=batch.entropy,
        zero_variance_groups=zero_variance_fraction(torch.tensor(proxy), group),
        prompts=len(proxy) // group,
        components=components if len(components) > 1 else {},
        attribution=advantage_attribution(tensors, by_name, group) if len(tensors) > 1 else {},
    )
    item_ids = batch.columns.get("item_id") or [None] * len(proxy)
    samples = [
        {
            "item_id": item_id,
            "prompt": prompt_text(prompt),
            "completion": text,
            "gold": g,
            "proxy": p,
            "hacked": hacked,
            "tokens": n,
            "rewards": {name: values[i] for name, values in components.items()},
        }
        for i, (item_id, prompt, text, g, p, hacked, n) in enumerate(
            zip(
                item_ids,
                batch.prompts,
                batch.completions,
                gold,
                proxy,
                stats.hacked,
                lengths,
                strict=True,
            )
        )
    ]
    return stats, samples


def prompt_text(prompt: Any) -> str:
    """The asking turn of a prompt (chat messages or text)."""
    if isinstance(prompt, str):
        return prompt
    return str(prompt[-1]["content"]) if prompt else ""


def prompt_ids(tokenizer, prompt: Any) -> list[int]:
    """A prompt's token ids as TRL makes them: the chat template with the generation prompt
    for chat messages, plain tokens for text."""
    if isinstance(prompt, str):
        return tokenizer(prompt, add_special_tokens=False)["input_ids"]
    return chat_ids(tokenizer, prompt)


@torch.no_grad()
def sample_kl(
    policy: torch.nn.Module,
    reference: Callable[[], AbstractContextManager] | torch.nn.Module,
    tokenizer,
    batch: RolloutBatch,
    samples: int,
) -> tuple[list[float], float]:
    """KL(policy || reference) per sequence and the policy's mean token entropy, on every
    ``len / samples``-th completion (each group represented): an unbiased estimate of the
    batch's mean at a fraction of a forward pass over it.

    ``reference`` is a frozen model, or a context in which ``policy`` itself is the reference
    (a LoRA model with its adapters switched off)."""
    n = len(batch.completions)
    stride = max(1, n // samples) if samples else 1
    rows = list(range(0, n, stride))
    prompts = [prompt_ids(tokenizer, batch.prompts[i]) for i in rows]
    completions = [batch.completion_ids[i] for i in rows]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    width_p, width_c = max(map(len, prompts)), max(1, max(map(len, completions)))
    ids, attention, mask = [], [], []
    for p, c in zip(prompts, completions, strict=True):  # prompts left-padded, completions right
        ids.append([pad] * (width_p - len(p)) + p + c + [pad] * (width_c - len(c)))
        attention.append(
            [0] * (width_p - len(p)) + [1] * (len(p) + len(c)) + [0] * (width_c - len(c))
        )
        mask.append([1] * len(c) + [0] * (width_c - len(c)))
    device = next(policy.parameters()).device
    ids_t = torch.tensor(ids, device=device)
    attention_t = torch.tensor(attention, device=device)
    mask_t = torch.tensor(mask, device=device, dtype=torch.float32)
    policy_logps, entropies = completion_logps(policy, ids_t, attention_t, width_c, True)
    if isinstance(reference, torch.nn.Module):
        ref_logps = completion_logps(reference, ids_t, attention_t, width_c)
    else:
        with reference():
            ref_logps = completion_logps(policy, ids_t, attention_t, width_c)
    kl = sequence_kl(policy_logps, ref_logps, mask_t).tolist()
    entropy = float((entropies * mask_t).sum() / mask_t.sum().clamp(min=1))
    return kl, entropy
