"""Evaluate a model directory on held-out problems and keep the result as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ripeness.models.embedded import load_model
from ripeness.models.generate import Generation, generate_chat
from ripeness.probes.accuracy import LevelResult, heldout_accuracy
from ripeness.progress import progress_task
from ripeness.stats import Rate
from ripeness.tasks.base import TaskFamily, TaskItem


def evaluate_model_dir(
    model_dir: Path,
    difficulties: Sequence[int],
    per_level: int,
    seed: int = 1234,
    show_progress: bool = True,
) -> list[LevelResult]:
    """Greedy held-out accuracy by difficulty, with a progress bar over all prompts."""
    model, tokenizer = load_model(model_dir)
    total = per_level * len(difficulties)
    with progress_task("held-out evaluation", total, disable=not show_progress) as advance:
        return heldout_accuracy(
            model, tokenizer, difficulties, per_level, seed=seed, on_batch=advance
        )


def save_results(results: Sequence[LevelResult], path: Path, **context) -> None:
    payload = {
        **context,
        "levels": [
            {
                "difficulty": r.difficulty,
                "mean_tokens": r.mean_tokens,
                "truncated": r.truncated,
                **r.accuracy.as_dict(),
            }
            for r in results
        ],
    }
    path.write_text(json.dumps(payload, indent=2))


class GoldEvaluation(NamedTuple):
    rate: Rate
    generations: list[Generation]
    correct: list[bool]  # per item, in order: what paired comparisons between checkpoints need


def gold_accuracy(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    family: TaskFamily,
    items: Sequence[TaskItem],
    max_new_tokens: int = 128,
    temperature: float = 0.0,
    seed: int = 0,
) -> GoldEvaluation:
    """Gold accuracy of ``model`` on ``items`` of any task family, with the generations.

    Greedy by default; with a ``temperature`` the same ``seed`` gives the same random stream,
    so evaluations of successive checkpoints differ by the policy, not by the draw."""
    generations = generate_chat(
        model,
        tokenizer,
        [list(item.prompt) for item in items],
        max_new_tokens,
        temperature=temperature,
        seed=seed,
    )
    columns = [item.columns() for item in items]
    scores = family.gold(
        [c["prompt"] for c in columns],
        [g.text for g in generations],
        answer=[item.answer for item in items],
        metadata=[c["metadata"] for c in columns],
    )
    correct = [(s or 0) >= 1.0 for s in scores]
    return GoldEvaluation(Rate(sum(correct), len(items)), generations, correct)
