"""Held-out gold accuracy by difficulty, the first number every checkpoint gets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ripeness.models.generate import generate_chat
from ripeness.stats import Rate
from ripeness.tasks.arithmetic import gold_correct, sample_problems
from ripeness.tasks.conversations import plain


@dataclass(frozen=True)
class LevelResult:
    difficulty: int
    accuracy: Rate
    mean_tokens: float
    truncated: int


def heldout_accuracy(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    difficulties: Sequence[int],
    per_level: int,
    seed: int = 1234,
    on_batch: Callable[[int], None] | None = None,
) -> list[LevelResult]:
    """Greedy gold accuracy on ``per_level`` distinct held-out problems at each difficulty."""
    results = []
    for difficulty in difficulties:
        problems = sample_problems(per_level, [difficulty], split="heldout", seed=seed + difficulty)
        prompts = [plain(p)[:1] for p in problems]
        generations = generate_chat(model, tokenizer, prompts, on_batch=on_batch)
        correct = sum(
            gold_correct(g.text, p.answer) for g, p in zip(generations, problems, strict=True)
        )
        results.append(
            LevelResult(
                difficulty=difficulty,
                accuracy=Rate(correct, len(problems)),
                mean_tokens=sum(g.completion_tokens for g in generations) / len(generations),
                truncated=sum(g.truncated for g in generations),
            )
        )
    return results
