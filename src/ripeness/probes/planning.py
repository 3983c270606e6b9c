"""Planning: success on tasks that need a plan, by difficulty, and whether a plan comes first.

Tasks are reasoning-gym's planning and puzzle families (default: Tower of Hanoi and mazes).
A reply *plans first* when it lays out steps (a "Plan:" line, a numbered list, or "First, ...
then ...") before its final answer. Success is the dataset's own gold verifier.
"""

from __future__ import annotations

import re

from ripeness.errors import RipenessError
from ripeness.models.interface import Backend
from ripeness.probes.base import ProbeSettings, asked, readable_figure
from ripeness.probes.skills import score_replies
from ripeness.records.probes import ProbeResult, rate_of, sample_id
from ripeness.tasks.registry import get_family

DATASETS = ("tower_of_hanoi", "maze")
PLAN = re.compile(r"(?im)^\s*(?:plan\b|step 1\b|1[.)]\s)|\bfirst\b[^.]*\bthen\b")


def plans_first(text: str) -> bool:
    before_answer = text.split("Answer:")[0]
    return PLAN.search(before_answer) is not None


def _distinct(family, want: int, seed: int, difficulty: int) -> list:
    """Up to ``want`` held-out problems; small puzzle spaces (3-disk Hanoi) have fewer."""
    while want >= 1:
        try:
            return family.generate(want, seed + difficulty, [difficulty], "heldout")
        except RipenessError:
            want //= 2
    return []


class PlanningProbe:
    name = "planning"
    description = "success on planning puzzles by difficulty; does a plan precede the work"

    def __init__(self, datasets: tuple[str, ...] = DATASETS) -> None:
        self.datasets = datasets

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult:
        levels = [d for d in settings.difficulties if d <= 3] or [1]
        records = []
        for dataset in self.datasets:
            family = get_family(f"rg:{dataset}")
            per_level = max(1, settings.samples // len(self.datasets))
            items = [
                item for d in levels for item in _distinct(family, per_level, settings.seed, d)
            ]
            outputs = backend.complete(
                [asked(i.prompt, settings, form="<your answer>") for i in items],
                settings.max_tokens,
                settings.temperature,
                1,
                settings.seed,
            )
            for item, (completion,) in zip(items, outputs, strict=True):
                (solved,), (answer,) = score_replies(family, item, [completion.text], settings)
                records.append(
                    {
                        "sample_id": sample_id(self.name, item.id),
                        "dataset": dataset,
                        "difficulty": item.difficulty,
                        "reply": completion.text,
                        "answer": answer,
                        "readable": answer is not None,
                        "solved": solved,
                        "planned": plans_first(completion.text),
                    }
                )
        summary = {
            "solved": rate_of(records, "solved"),
            "unreadable answers": readable_figure(records),
            "plans first": rate_of(records, "planned"),
        }
        for d in levels:
            summary[f"solved d{d}"] = rate_of(
                records, "solved", lambda r, d=d: r["difficulty"] == d
            )
        summary["solved when planning first"] = rate_of(records, "solved", lambda r: r["planned"])
        summary["solved without a plan"] = rate_of(records, "solved", lambda r: not r["planned"])
        return ProbeResult(self.name, records, summary)
