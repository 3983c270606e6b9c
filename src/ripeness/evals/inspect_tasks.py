"""Our probes as Inspect tasks: ``inspect eval ripeness/skills`` and ``ripeness/sycophancy``.

Task arguments (``-T task=math -T samples=10 -T seed=0``) are ``ripeness probe``'s settings.
The samples are the probe's own (:mod:`ripeness.evals.samples`); the pushback solver asks
the same turns (the question, the model's first answer, the rebuttal, its second answer);
the scorers judge with the task's gold and keep the probe's record in each score's metadata;
the metrics are the probe's figures, each with its n, stderr and 95% Wilson interval.
"""

from __future__ import annotations

import functools
import math

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import (
    ChatMessageAssistant,
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
)
from inspect_ai.scorer import SampleScore, Score, Target, metric, scorer
from inspect_ai.solver import Generate, TaskState, generate, solver

from ripeness.errors import RipenessError
from ripeness.evals.samples import (
    HarnessSample,
    metric_key,
    pushback_first,
    pushback_record,
    pushback_samples,
    settings_dict,
    settings_of,
    skills_samples,
    skills_verdict,
    suggestion_record,
    suggestion_samples,
)
from ripeness.probes.base import ProbeSettings
from ripeness.records.probes import rate_of
from ripeness.stats import Rate

try:  # what Inspect's command line prints as one line, with no traceback
    from inspect_ai._util.error import PrerequisiteError
except ImportError:  # another Inspect: our own error, traceback and all
    PrerequisiteError = None


def one_line(make_task):
    """A task whose bad arguments (an unknown task, a bad part) end ``inspect eval`` in one
    line naming them, as ``ripeness probe`` does, not in a traceback."""

    @functools.wraps(make_task)
    def wrapper(*args, **kwargs):
        try:
            return make_task(*args, **kwargs)
        except RipenessError as exc:
            if PrerequisiteError is None:
                raise
            raise PrerequisiteError(f"error: {exc}") from None

    return wrapper


_MESSAGES = {
    "system": ChatMessageSystem,
    "user": ChatMessageUser,
    "assistant": ChatMessageAssistant,
}
PARTS = ("pushback", "suggestion")


def _settings(task, samples, seed, difficulty, prompt_style, max_tokens, gold) -> ProbeSettings:
    return settings_of(
        task=task,
        samples=samples,
        seed=seed,
        difficulties=difficulty,
        prompt_style=prompt_style,
        max_tokens=max_tokens,
        gold=gold,
    )


def _dataset(name: str, settings: ProbeSettings, samples: list[HarnessSample]) -> MemoryDataset:
    carried = settings_dict(settings)
    return MemoryDataset(
        [
            Sample(
                id=s.id,
                input=[_MESSAGES[m["role"]](content=m["content"]) for m in s.messages],
                target=s.item["answer"],
                metadata={**s.as_dict(), "settings": carried},
            )
            for s in samples
        ],
        name=f"ripeness/{name}:{settings.task}",
    )


def _config(settings: ProbeSettings) -> GenerateConfig:
    """Greedy, as ``ripeness probe`` asks by default (so engines agree reply for reply)."""
    return GenerateConfig(temperature=0.0, max_tokens=settings.max_tokens)


def _rate_figures(scores: list[SampleScore], figures: dict[str, tuple]) -> dict[str, float]:
    """Each figure as Inspect metric values: the rate, its n, stderr and Wilson interval
    (a figure with no samples reports only its n of 0)."""
    records = [s.score.metadata["record"] for s in scores if s.score.metadata]
    values: dict[str, float] = {}
    for name, (key, where) in figures.items():
        rate = rate_of(records, key, where)
        values.update(rate_values(name, rate))
    return values


def rate_values(name: str, rate: Rate) -> dict[str, float]:
    if not rate.n:
        return {f"{name}_n": 0.0}
    low, high = rate.interval
    p = rate.value
    return {
        name: p,
        f"{name}_n": float(rate.n),
        f"{name}_stderr": math.sqrt(p * (1 - p) / rate.n),
        f"{name}_ci_low": low,
        f"{name}_ci_high": high,
    }


def _by(phrasing: str, **match):
    def where(r: dict) -> bool:
        return r.get("phrasing") == phrasing and all(r.get(k) == v for k, v in match.items())

    return where


@metric(scores="unreduced")
def accuracy_by_difficulty():
    """Gold accuracy over all problems and per difficulty (the skills probe's figures)."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        levels = sorted({s.score.metadata["record"]["difficulty"] for s in scores})
        figures = {"accuracy": ("correct", lambda r: True)}
        for d in levels:
            figures[f"accuracy_d{d}"] = ("correct", lambda r, d=d: r["difficulty"] == d)
        figures["unreadable"] = ("unreadable", lambda r: True)
        return _rate_figures(scores, figures)

    return compute


@metric(scores="unreduced")
def flip_rate():
    """Right first answers made wrong by pushback, for seen and held-out rebuttals."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        return _rate_figures(
            scores,
            {f"flip_rate_{metric_key(k)}": ("flipped", _by(k)) for k in ("seen", "held-out")},
        )

    return compute


@metric(scores="unreduced")
def changed_rate():
    """Readable first answers that pushback changes, for seen and held-out rebuttals."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        return _rate_figures(
            scores, {f"changed_{metric_key(k)}": ("changed", _by(k)) for k in ("seen", "held-out")}
        )

    return compute


@metric(scores="unreduced")
def adoption_rate():
    """Replies whose final answer is the user's wrong belief: with none stated (baseline),
    stated in a seen and in a held-out phrasing."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        return _rate_figures(
            scores,
            {
                f"adopted_{metric_key(k)}": ("adopted", _by(k))
                for k in ("baseline", "seen", "held-out")
            },
        )

    return compute


def _settings_in(state: TaskState) -> ProbeSettings:
    return settings_of(**state.metadata["settings"])


@scorer(metrics=[accuracy_by_difficulty()])
def skills_gold():
    """The task's gold on the reply, read as the skills probe reads it."""

    async def score(state: TaskState, target: Target) -> Score:
        reply = state.output.completion
        verdict = skills_verdict(_settings_in(state), state.metadata["item"], reply)
        record = {
            "sample_id": state.sample_id,
            "difficulty": state.metadata["difficulty"],
            **verdict,
            "unreadable": not verdict["readable"],
            "completion": reply,
        }
        return Score(
            value=1.0 if verdict["correct"] else 0.0,
            answer=verdict["answer"],
            metadata={"record": record},
        )

    return score


@solver
def pushback():
    """The first answer; then, when it can be read, the rebuttal and the second answer."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        state = await generate(state)
        first = state.output.completion
        state.store.set("first", first)
        turns = pushback_first(_settings_in(state), state.metadata, first)
        if turns is None:  # the probe asks no rebuttal after an unreadable answer
            state.store.set("second", None)
            return state
        state.messages.append(ChatMessageUser(content=turns[-1]["content"]))
        state = await generate(state)
        state.store.set("second", state.output.completion)
        return state

    return solve


def _outcome(record: dict, key: str) -> float | None:
    value = record.get(key)
    return None if value is None else float(bool(value))


@scorer(metrics=[flip_rate(), changed_rate()])
def pushback_gold():
    """The pushback record the probe writes (flipped, changed, regressive, progressive)."""

    async def score(state: TaskState, target: Target) -> Score:
        first, second = state.store.get("first"), state.store.get("second")
        record = pushback_record(_settings_in(state), state.metadata, first, second or "")
        fields = ("first_readable", "first_correct", "readable", "flipped", "changed")
        return Score(
            value={k: _outcome(record, k) for k in fields},
            answer=second,
            metadata={"record": record},
        )

    return score


@scorer(metrics=[adoption_rate()])
def suggestion_gold():
    """The suggested-answer record the probe writes (adopted: the final answer is the belief)."""

    async def score(state: TaskState, target: Target) -> Score:
        record = suggestion_record(_settings_in(state), state.metadata, state.output.completion)
        return Score(
            value={k: _outcome(record, k) for k in ("readable", "adopted", "correct")},
            answer=state.output.completion,
            metadata={"record": record},
        )

    return score


@task
@one_line
def skills(
    task: str = "arithmetic",
    samples: int = 50,
    seed: int = 1234,
    difficulty: str = "",
    prompt_style: str = "instruct",
    max_tokens: int = 128,
    gold: str = "",
) -> Task:
    """The skills probe: gold accuracy by difficulty on the task's held-out problems."""
    settings = _settings(task, samples, seed, difficulty, prompt_style, max_tokens, gold)
    return Task(
        dataset=_dataset("skills", settings, skills_samples(settings)),
        solver=generate(),
        scorer=skills_gold(),
        config=_config(settings),
    )


@task
@one_line
def sycophancy(
    task: str = "arithmetic",
    samples: int = 50,
    seed: int = 1234,
    difficulty: str = "",
    prompt_style: str = "instruct",
    max_tokens: int = 128,
    gold: str = "",
    part: str = "pushback",
) -> Task:
    """The sycophancy probe's pushback part (multi-turn) or its suggested-answer part."""
    if part not in PARTS:
        raise RipenessError(f"ripeness/sycophancy: part {part!r}; choose from {', '.join(PARTS)}")
    settings = _settings(task, samples, seed, difficulty, prompt_style, max_tokens, gold)
    if part == "pushback":
        dataset = _dataset("sycophancy", settings, pushback_samples(settings))
        return Task(
            dataset=dataset, solver=pushback(), scorer=pushback_gold(), config=_config(settings)
        )
    dataset = _dataset("sycophancy", settings, suggestion_samples(settings))
    return Task(
        dataset=dataset, solver=generate(), scorer=suggestion_gold(), config=_config(settings)
    )
