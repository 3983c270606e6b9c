"""Over-optimization monitors, computed on the rollouts the trainer already made.

Per step: gold and proxy reward, the hack rate (the proxy pays at least half, gold less than
half), KL to the initial policy and d = sqrt(KL), entropy, completion length split by solved
and unsolved, truncation rate, the fraction of groups with no reward variance, and, when
several rewards are mixed, how much of the advantage each component moves.

KL is the sequence-level KL(policy || initial) estimated on the sampled completions: the sum
over completion tokens of the k3 estimator exp(r) - r - 1 with r = log p_ref - log p_policy
(unbiased and never negative, as in TRL). Gao et al. plot gold reward against d = sqrt(KL).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from ripeness.evaluation import HACK_PAID, hacked
from ripeness.stats import mean_of_present


def completion_logps(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    keep: int,
    with_entropy: bool = False,
):
    """Log-probabilities of the last ``keep`` tokens under ``model`` (a plain HF causal LM);
    with ``with_entropy``, also the entropy of each of those next-token distributions."""
    position_ids = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)
    logits = model(
        input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
    ).logits[:, -keep - 1 : -1]
    targets = input_ids[:, -keep:]
    logps = torch.log_softmax(logits.float(), dim=-1)
    chosen = logps.gather(2, targets.unsqueeze(-1)).squeeze(-1)
    if not with_entropy:
        return chosen
    return chosen, -(logps.exp() * logps).sum(dim=-1)


def sequence_kl(
    policy_logps: torch.Tensor, ref_logps: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Per-sequence KL(policy || ref) estimate: summed k3 over completion tokens."""
    delta = ref_logps - policy_logps
    per_token = torch.exp(delta) - delta - 1
    return (per_token * mask).sum(dim=1)


def zero_variance_fraction(rewards: torch.Tensor, group_size: int) -> float:
    """Share of prompt groups whose completions all got the same reward (no learning signal)."""
    groups = rewards.view(-1, group_size)
    return float(
        (groups.max(dim=1).values - groups.min(dim=1).values).abs().lt(1e-9).float().mean()
    )


def advantage_attribution(
    components: Mapping[str, torch.Tensor], weights: Mapping[str, float], group_size: int
) -> dict[str, float]:
    """Each reward component's share of the total |advantage| it contributes.

    With group-mean baselines the advantage is linear in the components (before the common
    scaling by the group's std): A_i = sum_k w_k (r_ik - mean_group(r_k)). A component's share is
    the mean |w_k (r_ik - mean_group(r_k))| over the batch, normalised to sum to 1. A small,
    easy-to-move component that takes most of the share is the GPT-4o pattern.
    """
    contributions = {}
    for name, values in components.items():
        groups = values.view(-1, group_size)
        centred = groups - groups.mean(dim=1, keepdim=True)
        contributions[name] = float((weights[name] * centred).abs().mean())
    total = sum(contributions.values())
    return {name: (c / total if total > 0 else 0.0) for name, c in contributions.items()}


@dataclass
class RolloutStats:
    """What one step's rollouts showed; ``as_metrics`` is the row the run directory keeps."""

    proxy: list[float]
    gold: list[float]
    lengths: list[int]
    truncated: list[bool]
    kl: list[float]
    entropy: float
    zero_variance_groups: float
    prompts: int  # distinct prompts behind the completions: the independent samples
    components: dict[str, list[float]] = field(default_factory=dict)
    attribution: dict[str, float] = field(default_factory=dict)

    @property
    def hacked(self) -> list[bool]:
        return [hacked(p, g) for p, g in zip(self.proxy, self.gold, strict=True)]

    def as_metrics(self) -> dict[str, Any]:
        solved = [n for n, g in zip(self.lengths, self.gold, strict=True) if g >= HACK_PAID]
        unsolved = [n for n, g in zip(self.lengths, self.gold, strict=True) if g < HACK_PAID]
        kl = max(0.0, mean_of_present(self.kl))
        metrics = {
            "proxy": mean_of_present(self.proxy),
            "gold": mean_of_present(self.gold),
            "hack_rate": sum(self.hacked) / len(self.hacked),
            "kl": kl,
            "d": math.sqrt(kl),
            "entropy": self.entropy,
            "length": mean_of_present([float(n) for n in self.lengths]),
            "length_solved": mean_of_present([float(n) for n in solved]),
            "length_unsolved": mean_of_present([float(n) for n in unsolved]),
            "truncation_rate": sum(self.truncated) / len(self.truncated),
            "zero_variance_groups": self.zero_variance_groups,
            "n": len(self.gold),
            "prompts": self.prompts,
        }
        for name, values in self.components.items():
            metrics[f"reward/{name}"] = mean_of_present(values)
        for name, share in self.attribution.items():
            metrics[f"attribution/{name}"] = share
        return metrics
