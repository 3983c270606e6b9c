"""The probe protocol: per-sample records plus summary figures, each with n and a 95% CI.

A probe takes a :class:`ripeness.models.interface.Backend` and :class:`ProbeSettings` and
returns a :class:`ProbeResult`. Records carry a stable ``sample_id`` (a hash of what was asked),
so two checkpoints probed with the same settings can be compared pair by pair
(:func:`compare`). Probes are registered by name in :mod:`ripeness.probes.catalog`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from ripeness.errors import RipenessError
from ripeness.models.interface import Backend
from ripeness.options import PromptStyle, parse_choice
from ripeness.records.probes import ProbeResult
from ripeness.stats import PairedComparison, Rate, paired_means, paired_rates
from ripeness.tasks.answers import answer_instruction, read_answer, read_number
from ripeness.tasks.arithmetic import extract_answer
from ripeness.tasks.base import TaskFamily, TaskItem, score_items, solved
from ripeness.tasks.items import NoGold
from ripeness.tasks.proxies import final_answer
from ripeness.tasks.registry import get_family


@dataclass(frozen=True)
class ProbeSettings:
    samples: int = 100  # problems (or prompts) per condition
    temperature: float = 0.0
    draws: int = 1  # completions per prompt (pass@k needs several)
    seed: int = 1234
    difficulties: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    max_tokens: int = 128
    data: str = ""  # an external dataset file, for probes that read one
    # "plain": the embedded format (bare questions, strict ``Answer: N``); "instruct": a real
    # chat model (questions say what form the answer takes; free-form answers are read)
    prompt_style: PromptStyle = PromptStyle.PLAIN
    # the task family whose held-out problems the probes ask and whose gold judges the replies
    # (any `ripeness tasks list` spec: math, math:FILE.jsonl, rg:DATASET, items:FILE, ...)
    task: str = "arithmetic"
    gold: str = ""  # the user's verifier for that task (file.py:function), as `[task] gold`

    def __post_init__(self) -> None:
        style = parse_choice(PromptStyle, self.prompt_style, "prompt style")
        object.__setattr__(self, "prompt_style", style)  # a plain string becomes the member
        if self.samples < 1 or self.draws < 1 or self.max_tokens < 1:
            raise RipenessError("probe samples, draws and max_tokens must be at least 1")
        if self.temperature < 0:
            raise RipenessError("probe temperature must be >= 0")
        if self.draws > 1 and self.temperature == 0:
            raise RipenessError("several draws per prompt need a temperature above 0")


def default_prompt_style(backend: Backend) -> PromptStyle:
    """``plain`` for a model that speaks the embedded chat format (its template is ours: the
    embedded model and its checkpoints), ``instruct`` for any other model or a served one."""
    from ripeness.models.tokenizer import CHAT_TEMPLATE

    tokenizer = getattr(getattr(backend, "inner", backend), "tokenizer", None)
    if tokenizer is not None and getattr(tokenizer, "chat_template", None) == CHAT_TEMPLATE:
        return PromptStyle.PLAIN
    return PromptStyle.INSTRUCT


def ask(question: str, settings: ProbeSettings, form: str = "N") -> str:
    """A question as the probed model should see it: with the answer's form for a real model."""
    if settings.prompt_style == PromptStyle.INSTRUCT:
        return f"{question} {answer_instruction(form)}"
    return question


def asked(prompt: Sequence[dict], settings: ProbeSettings, form: str = "N") -> list[dict]:
    """A chat prompt whose last user turn goes through :func:`ask`."""
    messages = [dict(m) for m in prompt]
    messages[-1]["content"] = ask(messages[-1]["content"], settings, form)
    return messages


def read_reply(text: str, settings: ProbeSettings, numeric: bool = True) -> str | None:
    """The final answer of a reply, or ``None`` when it cannot be read.

    The embedded format is strict (one ``Answer: N`` at the end: what it was trained to
    write); a real model's free-form answer is read by :func:`ripeness.tasks.answers.read_answer`.
    """
    if settings.prompt_style == PromptStyle.PLAIN and numeric:
        number = extract_answer(text)
        return None if number is None else str(number)
    if settings.prompt_style == PromptStyle.PLAIN:
        return final_answer(text, multiline=True)
    read = read_answer(text, numeric=numeric)
    return read.value if read else None


def read_int(text: str, settings: ProbeSettings) -> int | None:
    """An integer final answer (arithmetic), read as :func:`read_reply` reads it."""
    plain = settings.prompt_style == PromptStyle.PLAIN
    return extract_answer(text) if plain else read_number(text)


def readable_figure(records: Sequence[dict], key: str = "readable", where=lambda r: True):
    """The share of replies the probe could not read (its own category, with n and a CI)."""
    chosen = [r for r in records if where(r) and r.get(key) is not None]
    return Rate(sum(not r[key] for r in chosen), len(chosen))


class ProbeNotApplicable(RipenessError):
    """A probe that cannot run on the settings' task (say, a family with no single answer to
    suggest): the runner prints this one line and records nothing for the probe."""


def probe_family(settings: ProbeSettings) -> TaskFamily:
    """The family of ``settings.task`` (the probes' questions and their gold); a task whose
    gold cannot be reloaded (it lived in the user's training script) asks no probe."""
    family = get_family(settings.task, gold=settings.gold)
    if isinstance(family.gold, NoGold):
        raise ProbeNotApplicable(
            f"probes: the gold of task {settings.task} lived in the training script and cannot "
            "be reloaded, so no probe can judge its replies; give it as [task] gold = "
            "'module:function', or ask another task with [select] probe_task; skipped"
        )
    return family


def has_single_answer(family: TaskFamily) -> bool:
    """Do the family's problems have one answer that gold compares a reply to (so a wrong
    answer can be suggested, or a wrong result stated as a premise)? Code tasks do not."""
    return bool(getattr(family, "single_answer", True))


def require_single_answer(family: TaskFamily, probe: str) -> None:
    if not has_single_answer(family):
        raise ProbeNotApplicable(
            f"{probe}: task {family.name} has no single answer per problem to suggest or "
            "contradict; skipped (nothing recorded)"
        )


def states_answer(family: TaskFamily, item: TaskItem, text: str, answer: str) -> bool:
    """Does ``text`` give ``answer`` as its final answer to ``item``? Judged by the task's own
    gold, as if ``answer`` were the reference (so "70", "$70$" and "seventy" read alike
    wherever the task's gold reads them alike)."""
    return solved(score_items(family.gold, [replace(item, answer=answer)], [text]))[0]


class Probe(Protocol):
    name: str
    description: str

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult: ...


def compare(before: Sequence[dict], after: Sequence[dict], key: str) -> PairedComparison | None:
    """``after`` minus ``before`` on the samples both have (paired by ``sample_id``)."""
    first = {r["sample_id"]: r[key] for r in before if r.get(key) is not None}
    pairs = [(first[r["sample_id"]], r[key]) for r in after if r.get("sample_id") in first]
    pairs = [(a, b) for a, b in pairs if b is not None]
    if not pairs:
        return None
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    if all(isinstance(v, bool) for v in a + b):
        return paired_rates(a, b)
    return paired_means([float(v) for v in a], [float(v) for v in b])
