"""Skills: gold accuracy, pass@k (unbiased) and maj@k, by difficulty, on held-out problems."""

from __future__ import annotations

from collections import Counter
from math import comb

from ripeness.models.interface import Backend, Completion
from ripeness.options import PromptStyle
from ripeness.probes.base import ProbeSettings, asked, read_reply, readable_figure
from ripeness.records.probes import ProbeResult, mean_of, rate_of, sample_id
from ripeness.stats import Mean
from ripeness.tasks.answers import is_number
from ripeness.tasks.base import TaskFamily, TaskItem, score_items, solved
from ripeness.tasks.registry import get_family


def pass_at_k(n: int, correct: int, k: int) -> float:
    """Chen et al. (2021): P(at least one of k draws correct) from n draws with c correct."""
    if n - correct < k:
        return 1.0
    return 1.0 - comb(n - correct, k) / comb(n, k)


def score(family: TaskFamily, item: TaskItem, texts: list[str]) -> list[bool]:
    return solved(score_items(family.gold, [item] * len(texts), texts))


def score_replies(
    family: TaskFamily, item: TaskItem, texts: list[str], settings: ProbeSettings
) -> tuple[list[bool], list[str | None]]:
    """Gold verdicts and the answers read, per reply; an unreadable reply is never correct.

    The embedded format goes to the family's gold as written; a real model's free-form answer
    is read first (:func:`read_reply`) and gold judges what was read."""
    numeric = is_number(item.answer)  # the last-number rule only where a number is asked for
    answers = [read_reply(t, settings, numeric=numeric) for t in texts]
    if settings.prompt_style == PromptStyle.PLAIN:
        return score(family, item, texts), answers
    judged = score(family, item, [f"Answer: {a}" for a in answers])
    return [bool(a is not None and ok) for a, ok in zip(answers, judged, strict=True)], answers


def heldout_items(family: TaskFamily, settings: ProbeSettings) -> list[TaskItem]:
    items = []
    for d in settings.difficulties:
        items += family.generate(settings.samples, settings.seed + d, [d], "heldout")
    return items


class HeldoutProbe:
    """A probe that asks a task's held-out problems (skills, calibration)."""

    name = "heldout"
    description = ""

    def __init__(self, task: str = "arithmetic") -> None:
        self.task = task

    def answer_heldout(
        self, backend: Backend, settings: ProbeSettings, draws: int
    ) -> tuple[TaskFamily, list[TaskItem], list[list[Completion]]]:
        """The task's held-out problems and ``draws`` answers to each, as the probe asks."""
        family = get_family(self.task)
        items = heldout_items(family, settings)
        outputs = backend.complete(
            [asked(i.prompt, settings) for i in items],
            settings.max_tokens,
            settings.temperature,
            draws,
            settings.seed,
        )
        return family, items, outputs


class SkillsProbe(HeldoutProbe):
    name = "skills"
    description = "gold accuracy, pass@k and maj@k by difficulty on held-out problems"

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult:
        family, items, outputs = self.answer_heldout(backend, settings, settings.draws)
        records = []
        for item, completions in zip(items, outputs, strict=True):
            texts = [c.text for c in completions]
            correct, read = score_replies(family, item, texts, settings)
            answers = [a for a in read if a]
            majority = Counter(answers).most_common(1)[0][0] if answers else None
            maj_correct = bool(majority) and score(family, item, [f"Answer: {majority}"])[0]
            records.append(
                {
                    "sample_id": sample_id(self.name, item.id),
                    "difficulty": item.difficulty,
                    "prompt": item.prompt[-1]["content"],
                    "completion": texts[0],
                    "answer": read[0],
                    "readable": read[0] is not None,
                    "correct": correct[0],
                    "correct_draws": sum(correct),
                    "draws": len(correct),
                    "pass_at_k": pass_at_k(len(correct), sum(correct), len(correct)),
                    "majority_correct": maj_correct,
                    "tokens": completions[0].tokens,
                }
            )
        k = settings.draws
        summary = {
            "accuracy": rate_of(records, "correct"),
            "unreadable answers": readable_figure(records),
        }
        for d in settings.difficulties:

            def level(r, d=d):
                return r["difficulty"] == d

            summary[f"accuracy d{d}"] = rate_of(records, "correct", level)
            if k > 1:
                summary[f"pass@{k} d{d}"] = mean_of(records, "pass_at_k", level)
                summary[f"maj@{k} d{d}"] = rate_of(records, "majority_correct", level)
        if k > 1:
            summary[f"pass@{k}"] = mean_of(records, "pass_at_k")
            summary[f"maj@{k}"] = rate_of(records, "majority_correct")
            summary["pass@1"] = Mean.of(r["correct_draws"] / r["draws"] for r in records)
        return ProbeResult(self.name, records, summary)
