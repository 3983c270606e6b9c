"""The statistics of one training step's batch: what ``metrics.sqlite`` keeps per step.

Per step: gold and proxy reward, the hack rate (the proxy pays at least half, gold less than
half), KL to the initial policy and d = sqrt(KL), entropy, completion length split by solved
and unsolved, truncation rate, the fraction of groups with no reward variance, and, when
several rewards are mixed, how much of the advantage each component moves.
:func:`rollout_stats` builds them from a :class:`~ripeness.train.rollouts.RolloutBatch`; KL
and entropy come from :mod:`ripeness.train.kl` or TRL's log (:meth:`RolloutStats.read_trl_log`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ripeness.evaluation import HACK_PAID, hacked
from ripeness.records.run import ALL_TRUNCATED, RunDirectory
from ripeness.stats import mean_of_present
from ripeness.train.rollouts import RolloutBatch, prompt_text


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

    @property
    def all_truncated(self) -> bool:
        return bool(self.truncated) and all(self.truncated)

    def read_trl_log(self, logs: Mapping[str, Any]) -> None:
        """Entropy, and KL when TRL measured it (beta > 0), from TRL's log of the step."""
        if isinstance(logs.get("entropy"), int | float):
            self.entropy = float(logs["entropy"])
        if not self.kl and isinstance(logs.get("kl"), int | float):
            # TRL's kl is the token-weighted mean of the same k3 estimate; per sequence it is
            # that times the batch's tokens per completion
            self.kl = [float(logs["kl"]) * sum(self.lengths) / max(1, len(self.lengths))]

    def truncation_event(self, step: int, max_length: int, masked: bool) -> tuple[str, dict]:
        """The message and data of the event a step records when every completion hit
        ``max_completion_length`` (``masked``: TRL masks truncated completions out of the loss)."""
        if masked:
            effect = "mask_truncated_completions masks them all, so the step trained on nothing"
            fix = "raise max_completion_length or set mask_truncated_completions=False"
        else:
            effect = "their rewards scored unfinished replies"
            if self.zero_variance_groups == 1:
                effect += " and no group's rewards differ, so its policy gradient is zero"
            fix = "raise max_completion_length"
        n = len(self.truncated)
        message = (
            f"all {n} completions of step {step} hit max_completion_length={max_length} "
            f"without ending: {effect}; {fix}"
        )
        return message, {"completions": n, "max_completion_length": max_length, "masked": masked}

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


def record_all_truncated(
    run: RunDirectory, step: int, stats: RolloutStats, length: int, masked: bool, warned: bool
) -> bool:
    """Every completion of the step ran into ``max_completion_length`` (TRL logs
    ``completions/clipped_ratio`` = 1): record it, and say so on the console unless it was
    ``warned`` already (one line, above TRL's progress bar if it shows). True: warned now."""
    message, data = stats.truncation_event(step, length, masked)
    run.record_event(step, ALL_TRUNCATED, message, data)
    if not warned:
        from tqdm.auto import tqdm

        tqdm.write(f"warning: {message} (each such step is in the records)", file=sys.stderr)
    return True


def status_line(latest: Mapping[str, Any], heldout: list[dict], alarm) -> str:
    """The progress bar's line: the latest step's figures, the latest ``heldout`` gold
    evaluation, the alarm fired (an :class:`~ripeness.train.alarm.AlarmStatus`, or None)."""
    text = (
        f"proxy {latest.get('proxy', float('nan')):.2f} "
        f"gold {latest.get('gold', float('nan')):.2f} "
        f"hack {latest.get('hack_rate', 0):.0%} d {latest.get('d', 0):.2f}"
    )
    if heldout:
        text += f" held-out {heldout[-1]['rate']:.0%}"
    if alarm:
        text += f" [red]{alarm.alarm_kind.upper()} ALARM@{alarm.step}[/]"
    return text
