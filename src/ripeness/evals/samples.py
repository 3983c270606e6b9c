"""The probes' samples and verdicts, harness-neutral: built and judged by the probes' own code.

Each harness (Inspect, lm-eval) turns these into its own samples and calls back here to judge
a reply, so the problems, the turns and the per-sample outcomes are those ``ripeness probe``
records, never a copy of them.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from functools import lru_cache

from ripeness.probes.base import ProbeSettings, probe_family
from ripeness.probes.skills import heldout_items, prompt_of, score_replies
from ripeness.probes.sycophancy import (
    Question,
    SycophancyProbe,
    pushback_phrasings,
    pushback_turns,
    questions,
    suggestion_plan,
)
from ripeness.records.probes import sample_id
from ripeness.tasks.base import TaskFamily, TaskItem

# the settings a harness sample carries, so its judge rebuilds the same family and reader
SETTING_FIELDS = ("task", "gold", "prompt_style", "samples", "seed", "difficulties", "max_tokens")


def settings_of(**given) -> ProbeSettings:
    """Probe settings from a harness's task arguments (strings from a command line too)."""
    kept = {k: v for k, v in given.items() if v is not None and v != ""}
    if isinstance(kept.get("difficulties"), int):  # `-T difficulty=4` reads as a number
        kept["difficulties"] = (kept["difficulties"],)
    if isinstance(kept.get("difficulties"), str):
        from ripeness.tasks.levels import parse_difficulties

        kept["difficulties"] = tuple(parse_difficulties(kept["difficulties"]))
    for name in ("samples", "seed", "max_tokens"):
        if name in kept:
            kept[name] = int(kept[name])
    if "difficulties" in kept:
        kept["difficulties"] = tuple(int(d) for d in kept["difficulties"])
    return ProbeSettings(**kept)


def settings_dict(settings: ProbeSettings) -> dict:
    """What a sample carries of its settings (JSON-ready)."""
    raw = asdict(settings)
    return {
        k: (list(raw[k]) if k == "difficulties" else str(raw[k]) if k == "prompt_style" else raw[k])
        for k in SETTING_FIELDS
    }


def metric_key(phrasing: str) -> str:
    """A phrasing as a metric name's tail (``held-out`` -> ``held_out``)."""
    return phrasing.replace("-", "_")


@lru_cache(maxsize=8)
def _family(task: str, gold: str) -> TaskFamily:
    return probe_family(ProbeSettings(task=task, gold=gold))


def family_of(settings: ProbeSettings) -> TaskFamily:
    """The settings' task family, built once per task (a harness judges sample by sample)."""
    return _family(settings.task, settings.gold)


@dataclass(frozen=True)
class HarnessSample:
    """One sample as a harness asks it: the probe's sample id, its turns, what judges it."""

    id: str
    messages: list[dict]  # the conversation the (first) reply continues
    difficulty: int
    item: dict  # the problem (TaskItem columns), for the task's gold
    text: str = ""  # sycophancy: the question's own text (the last user turn's core)
    context: tuple[dict, ...] = ()
    phrase: str | None = None  # the user's rebuttal or belief phrasing
    phrasing: str = ""  # seen, held-out, baseline
    belief: str | None = None  # suggestion: the wrong answer the user states

    def as_dict(self) -> dict:
        return {**asdict(self), "context": [dict(m) for m in self.context]}


def skills_samples(settings: ProbeSettings) -> list[HarnessSample]:
    """The skills probe's problems: its held-out items, asked as it asks them."""
    family = family_of(settings)
    return [
        HarnessSample(
            id=sample_id("skills", item.id),
            messages=prompt_of(family, item, settings),
            difficulty=item.difficulty,
            item=item.columns(),
        )
        for item in heldout_items(family, settings)
    ]


def skills_verdict(settings: ProbeSettings, item: dict, reply: str) -> dict:
    """The skills record's outcome for one reply: the answer read, readable, correct."""
    family = family_of(settings)
    correct, read = score_replies(family, TaskItem.from_columns(item), [reply], settings)
    return {"answer": read[0], "readable": read[0] is not None, "correct": correct[0]}


def _question(settings: ProbeSettings, sample: dict) -> Question:
    item = TaskItem.from_columns(sample["item"])
    context = tuple(dict(m) for m in sample.get("context") or ())
    return Question(family_of(settings), item, sample["text"], context, settings)


def _sample_of(q: Question, **fields) -> HarnessSample:
    return HarnessSample(
        difficulty=q.item.difficulty,
        item=q.item.columns(),
        text=q.text,
        context=q.context,
        **fields,
    )


def pushback_samples(settings: ProbeSettings) -> list[HarnessSample]:
    """The pushback part's samples: each question once per rebuttal phrasing (its first turn;
    the rebuttal follows the first answer, :func:`pushback_second_turn`)."""
    probe = SycophancyProbe.name
    return [
        _sample_of(
            q,
            id=sample_id(probe, "pushback", q.text, phrase),
            messages=q.asked(),
            phrase=phrase,
            phrasing=kind,
        )
        for q in questions(settings, probe)
        for phrase, kind in pushback_phrasings()
    ]


def pushback_first(settings: ProbeSettings, sample: dict, first: str) -> list[dict] | None:
    """The turns the second answer continues, or ``None`` when the first answer is unreadable
    (the probe asks no rebuttal then: its own category, not a flip)."""
    q = _question(settings, sample)
    answer, _ = q.read(first)
    return None if answer is None else pushback_turns(q, first, sample["phrase"])


def pushback_record(settings: ProbeSettings, sample: dict, first: str, reply: str) -> dict:
    """The pushback record the probe would write for these two replies."""
    q = _question(settings, sample)
    answer, right = q.read(first)
    if answer is None:
        answer, right, reply = None, None, ""
    return SycophancyProbe().pushback_record(
        q, sample["phrase"], sample["phrasing"], first, answer, right, reply
    )


def suggestion_samples(settings: ProbeSettings) -> list[HarnessSample]:
    """The suggested-answer part's samples (one turn each: lm-eval can ask them too)."""
    asked = questions(settings, SycophancyProbe.name)
    return [
        _sample_of(
            q,
            id=sample_id(SycophancyProbe.name, "suggestion", q.text, phrase),
            messages=conversation,
            phrase=phrase,
            phrasing=kind,
            belief=belief,
        )
        for q, belief, phrase, kind, conversation in suggestion_plan(
            asked, random.Random(settings.seed)
        )
    ]


def suggestion_record(settings: ProbeSettings, sample: dict, reply: str) -> dict:
    """The suggested-answer record the probe would write for this reply."""
    q = _question(settings, sample)
    return SycophancyProbe().suggestion_record(
        q, sample["belief"], sample["phrase"], sample["phrasing"], reply
    )
