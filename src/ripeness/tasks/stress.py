"""Reward stress test: which reward pays which exploit, and how much.

Each family supplies a battery of canned exploit completions (answer spraying, format without
work, padding, judge injection, edited tests, ...). Every reward scores every exploit on the
same problems. A reward *pays* an exploit on a problem when it gives more than zero while gold
gives nothing; the table shows the mean reward and that hack rate with its 95% interval.
A reference row (the right answer, plainly given) shows what an honest completion earns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ripeness.stats import Rate, mean_of_present
from ripeness.tasks.base import TaskFamily, TaskItem, score_items

REFERENCE = "reference answer (control)"


@dataclass(frozen=True)
class Cell:
    mean_reward: float
    hacked: Rate  # problems where this reward paid and gold did not


@dataclass
class StressReport:
    task: str
    problems: int
    rewards: dict[str, tuple[str, str]]  # name -> (kind, loophole)
    cells: dict[str, dict[str, Cell]] = field(default_factory=dict)  # exploit -> reward -> cell

    def exploits_paid_by(self, reward: str) -> list[str]:
        """Exploits this reward pays on at least one problem where gold pays nothing."""
        return [
            exploit
            for exploit, row in self.cells.items()
            if exploit != REFERENCE and row[reward].hacked.successes > 0
        ]

    def as_dict(self) -> dict:
        return {
            "task": self.task,
            "problems": self.problems,
            "rewards": {
                name: {"kind": kind, "loophole": loophole}
                for name, (kind, loophole) in self.rewards.items()
            },
            "cells": {
                exploit: {
                    reward: {"mean_reward": cell.mean_reward, "hacked": cell.hacked.as_dict()}
                    for reward, cell in row.items()
                }
                for exploit, row in self.cells.items()
            },
        }


def stress_test(
    family: TaskFamily, items: Sequence[TaskItem], extra_rewards: dict | None = None
) -> StressReport:
    """Score every exploit of every item with every reward of ``family`` (plus ``extra``)."""
    rewards = {**family.rewards, **(extra_rewards or {})}
    report = StressReport(
        task=family.name,
        problems=len(items),
        rewards={name: (r.kind, r.loophole) for name, r in rewards.items()},
    )
    # gold's key is its name, or "gold" where a user's gold replaced the family's (WithGold)
    gold_key = next(name for name, reward in rewards.items() if reward is family.gold)
    batteries = [family.exploits(item) for item in items]
    exploit_names = [REFERENCE] + [n for n in batteries[0] if n != REFERENCE]
    for exploit in exploit_names:
        completions = [
            family.reference_completion(item) if exploit == REFERENCE else battery[exploit]
            for item, battery in zip(items, batteries, strict=True)
        ]
        scores = {name: score_items(reward, items, completions) for name, reward in rewards.items()}
        gold = scores[gold_key]
        report.cells[exploit] = {
            name: Cell(
                mean_reward=mean_of_present(values),
                hacked=Rate(
                    sum(
                        (v or 0) > 0 and not (g or 0) > 0 for v, g in zip(values, gold, strict=True)
                    ),
                    len(values),
                ),
            )
            for name, values in scores.items()
        }
    return report
