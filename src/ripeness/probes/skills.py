"""Skills: gold accuracy, pass@k (unbiased) and maj@k, by difficulty, on held-out problems.

The problems are ``settings.task``'s (any family: arithmetic, math, math:FILE.jsonl,
rg:DATASET, code, items:FILE, an entry-point family), asked on the levels of
``settings.difficulties`` the family has (:func:`probe_levels`), and judged by the family's
own gold. A reply's answer is read by the task's own reader (:func:`score_replies`): the
final answer for a task with one answer per problem, the solution for a code task.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from math import comb

from ripeness.errors import RipenessError
from ripeness.models.interface import Backend, Completion
from ripeness.options import PromptStyle
from ripeness.probes.base import (
    ProbeSettings,
    asked,
    has_single_answer,
    probe_family,
    read_reply,
    readable_figure,
)
from ripeness.records.probes import ProbeResult, mean_of, rate_of, sample_id
from ripeness.stats import Mean
from ripeness.tasks.answers import is_number
from ripeness.tasks.base import TaskFamily, TaskItem, score_items, solved, split_of
from ripeness.tasks.registry import get_family

OPEN = None  # a family whose every level >= 1 makes problems (arithmetic's steps, math's ops)
DEFAULT_LEVELS = (1, 2, 3, 4, 5, 6)  # ProbeSettings' own default: what "no levels given" is


def pass_at_k(n: int, correct: int, k: int) -> float:
    """Chen et al. (2021): P(at least one of k draws correct) from n draws with c correct."""
    if n - correct < k:
        return 1.0
    return 1.0 - comb(n - correct, k) / comb(n, k)


def score(family: TaskFamily, item: TaskItem, texts: list[str]) -> list[bool]:
    return solved(score_items(family.gold, [item] * len(texts), texts))


def _inner(family: TaskFamily) -> TaskFamily:
    """The family under a user's gold (``[task] gold``): its problems are the inner one's."""
    return getattr(family, "family", family)


def task_levels(family: TaskFamily) -> tuple[int, ...] | None:
    """The difficulty levels ``family`` makes problems at; ``None`` when every level >= 1 does.

    A family may say so itself (a ``levels`` attribute); the built-in ones are known here:
    arithmetic and procedural math are open (steps, operations), code has its bank's tiers,
    a reasoning-gym dataset its curriculum's levels (one, without a curriculum), and a fixed
    list of problems (math:FILE, items:FILE) the levels its rows carry."""
    inner = _inner(family)
    declared = getattr(inner, "levels", None)
    if declared is not None:
        return tuple(declared)
    kind = type(inner).__name__
    if kind == "CodeFamily":
        from ripeness.tasks.code import SPECS

        return tuple(sorted({s.difficulty for s in SPECS}))
    if kind == "ReasoningGymFamily":
        from reasoning_gym.factory import CURRICULA, create_curriculum

        if inner.dataset not in CURRICULA:
            return (1,)
        curriculum = create_curriculum(inner.dataset)
        return tuple(range(1, 1 + max(len(a.levels) for a in curriculum.attributes.values())))
    fixed = fixed_list(inner)
    if fixed is not None:
        return tuple(sorted({i.difficulty for i in fixed}))
    return OPEN


def fixed_list(family: TaskFamily, seed: int = 0) -> list[TaskItem] | None:
    """The held-out problems of a family that is one fixed list (its ``generate`` ignores the
    levels asked for: math:FILE, items:FILE), or ``None`` for a family that makes problems."""
    inner = _inner(family)
    kind = type(inner).__name__
    if kind == "ItemsFamily":
        return list(inner.items)
    if kind == "MathFamily" and getattr(inner, "_rows", None) is not None:
        # every held-out row of the file (the family keeps its rows; it asks for no levels)
        held = sum(split_of(r["question"]) == "heldout" for r in inner._rows)
        return family.generate(held, seed, (1,), "heldout") if held else []
    return None


def probe_levels(
    family: TaskFamily, wanted: Sequence[int] = DEFAULT_LEVELS, given: bool = True
) -> tuple[tuple[int, ...], str]:
    """(the levels to ask, a one-line notice or "").

    The levels of ``wanted`` the family has. Levels the user gave (``given``) and the family
    lacks are dropped with a notice; levels nobody gave (the default 1-6) are just kept to
    the family's own. When none of ``wanted`` is the family's, its own first six, with a
    notice. An open family (arithmetic, procedural math) takes every level as asked."""
    own = task_levels(family)
    wanted = tuple(dict.fromkeys(wanted))
    if own is OPEN:
        return wanted, ""
    kept = tuple(d for d in wanted if d in own)
    dropped = [d for d in wanted if d not in own]
    if kept and (not dropped or not given):
        return kept, ""
    levels = kept or own[: len(DEFAULT_LEVELS)]
    lacks = ", ".join(map(str, dropped))
    own_text = "" if kept else " (its own)"
    return (
        levels,
        f"task {family.name} has no difficulty {lacks}; asking {_levels_text(levels)}{own_text}",
    )


def _levels_text(levels: Sequence[int]) -> str:
    return ("difficulty " if len(levels) == 1 else "difficulties ") + ", ".join(map(str, levels))


def read_solution(family: TaskFamily, text: str) -> str | None:
    """A code task's answer: the solution its gold would run (``None`` when there is none)."""
    if type(_inner(family)).__name__ == "CodeFamily":
        from ripeness.tasks.code import parse_completion

        solution = parse_completion(text)[0]
    else:
        solution = text
    return solution if solution.strip() else None


def score_replies(
    family: TaskFamily, item: TaskItem, texts: list[str], settings: ProbeSettings
) -> tuple[list[bool], list[str | None]]:
    """Gold verdicts and the answers read, per reply; an unreadable reply is never correct.

    A task with one answer per problem: the embedded format goes to the family's gold as
    written; a real model's free-form answer is read first (:func:`read_reply`) and gold
    judges what was read. A task without one (code): gold judges the whole reply, and the
    answer read is the solution in it."""
    if not has_single_answer(family):
        answers = [read_solution(family, t) for t in texts]
        judged = score(family, item, texts)
        return [bool(a is not None and ok) for a, ok in zip(answers, judged, strict=True)], answers
    numeric = is_number(item.answer)  # the last-number rule only where a number is asked for
    answers = [read_reply(t, settings, numeric=numeric) for t in texts]
    if settings.prompt_style == PromptStyle.PLAIN:
        return score(family, item, texts), answers
    judged = score(family, item, [f"Answer: {a}" for a in answers])
    return [bool(a is not None and ok) for a, ok in zip(answers, judged, strict=True)], answers


def judge_answer(family: TaskFamily, item: TaskItem, answer: str) -> bool:
    """Is an answer read from a reply right (a majority vote's, say)? By the task's gold."""
    if not has_single_answer(family):
        return score(family, item, [answer])[0]
    return score(family, item, [f"Answer: {answer}"])[0]


def prompt_of(family: TaskFamily, item: TaskItem, settings: ProbeSettings) -> list[dict]:
    """The item's prompt as the probe asks it: with the answer's form for a real model (a
    number, or any text), unchanged for a code task (its prompt asks for a code block)."""
    if not has_single_answer(family):
        return [dict(m) for m in item.prompt]
    return asked(item.prompt, settings, "N" if is_number(item.answer) else "<your answer>")


def heldout_items(family: TaskFamily, settings: ProbeSettings) -> list[TaskItem]:
    """``settings.samples`` held-out problems per level the family has (see
    :func:`probe_levels`; levels asked for that it lacks are dropped with one warning; the
    default 1-6 is kept to its own levels quietly). A fixed list gives what it holds at each
    level, up to ``samples``; a small reasoning-gym level what it has."""
    given = tuple(settings.difficulties) != DEFAULT_LEVELS  # the settings' default: none given
    levels, notice = probe_levels(family, settings.difficulties, given)
    if notice:
        warnings.warn(notice, stacklevel=2)
    fixed = fixed_list(family, settings.seed)
    if fixed is not None:
        by_level = {d: [i for i in fixed if i.difficulty == d] for d in levels}
        return [item for d in levels for item in by_level[d][: settings.samples]]
    items = []
    up_to = getattr(family, "generate_up_to", None)  # a small level gives what it has
    for d in levels:
        if up_to is not None:
            try:
                items += up_to(settings.samples, settings.seed + d, [d], "heldout")[0]
            except RipenessError as exc:  # the dataset cannot make this level's problems
                warnings.warn(str(exc), stacklevel=2)
        else:
            items += family.generate(settings.samples, settings.seed + d, [d], "heldout")
    return items


class HeldoutProbe:
    """A probe that asks a task's held-out problems (skills, calibration): ``settings.task``'s,
    or the task given here (a fixed one, whatever the settings say)."""

    name = "heldout"
    description = ""

    def __init__(self, task: str | None = None) -> None:
        self.task = task

    def family(self, settings: ProbeSettings) -> TaskFamily:
        return get_family(self.task) if self.task else probe_family(settings)

    def answer_heldout(
        self, backend: Backend, settings: ProbeSettings, draws: int
    ) -> tuple[TaskFamily, list[TaskItem], list[list[Completion]]]:
        """The task's held-out problems and ``draws`` answers to each, as the probe asks."""
        family = self.family(settings)
        items = heldout_items(family, settings)
        outputs = backend.complete(
            [prompt_of(family, i, settings) for i in items],
            settings.max_tokens,
            settings.temperature,
            draws,
            settings.seed,
        )
        return family, items, outputs


def asked_levels(records: Sequence[dict]) -> list[int]:
    """The levels the records were asked at, in order."""
    return sorted({r["difficulty"] for r in records})


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
            maj_correct = bool(majority) and judge_answer(family, item, majority)
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
        for d in asked_levels(records):

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
