"""Difficulty filtering: keep the problems a model solves sometimes, not never or always.

GRPO learns nothing from a group whose completions all score the same (zero advantage), so
problems solved 0/N or N/N waste rollouts. Sample N completions per problem, score them with
gold, and keep the problems whose pass rate lies in a band (default 20-80%).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ripeness.tasks.base import Message, TaskFamily, TaskItem, score_items, solved

# (conversations, samples per conversation) -> that many completions for each conversation
Sampler = Callable[[Sequence[list[Message]], int], list[list[str]]]


@dataclass(frozen=True)
class FilterResult:
    items: list[TaskItem]
    pass_rates: list[float]
    samples: int
    band: tuple[float, float]

    @property
    def kept(self) -> list[TaskItem]:
        low, high = self.band
        return [
            item
            for item, rate in zip(self.items, self.pass_rates, strict=True)
            if low <= rate <= high
        ]

    def histogram(self) -> dict[int, int]:
        """How many problems were solved k times out of ``samples``, for k = 0..samples."""
        counts = dict.fromkeys(range(self.samples + 1), 0)
        for rate in self.pass_rates:
            counts[round(rate * self.samples)] += 1
        return counts


def pass_rates(
    family: TaskFamily, items: Sequence[TaskItem], sample: Sampler, samples: int
) -> list[float]:
    """Gold pass rate of each item over ``samples`` sampled completions."""
    completions = sample([list(item.prompt) for item in items], samples)
    return [
        sum(solved(score_items(family.gold, [item] * len(outs), outs))) / len(outs)
        for item, outs in zip(items, completions, strict=True)
    ]


def filter_by_pass_rate(
    family: TaskFamily,
    items: Sequence[TaskItem],
    sample: Sampler,
    samples: int = 8,
    band: tuple[float, float] = (0.2, 0.8),
) -> FilterResult:
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}")
    low, high = band
    if not 0 <= low <= high <= 1:
        raise ValueError(f"the band must satisfy 0 <= low <= high <= 1, got {band}")
    rates = pass_rates(family, items, sample, samples)
    return FilterResult(list(items), rates, samples, (low, high))
