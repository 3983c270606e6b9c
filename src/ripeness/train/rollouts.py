"""One training batch's rollouts as the reward functions saw them (:class:`RolloutBatch`).

TRL calls every reward function with the batch's prompts, completions, completion token ids
and dataset columns (its public reward contract); the wrapped rewards keep what they saw and
what they returned here. Its statistics are :mod:`ripeness.train.batch_stats`; its KL to the
initial policy is :mod:`ripeness.train.kl`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ripeness.tasks.base import completion_text

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

    def add_scores(self, name: str, scores) -> None:
        """One reward's scores of the batch (``None``, TRL's "not applicable", kept as NaN)."""
        self.scores[name] = [float("nan") if s is None else float(s) for s in scores]

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


def prompt_text(prompt: Any) -> str:
    """The asking turn of a prompt (chat messages or text)."""
    if isinstance(prompt, str):
        return prompt
    return str(prompt[-1]["content"]) if prompt else ""
