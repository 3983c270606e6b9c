"""What the ``ripeness tasks`` commands print: the families and their rewards (``list``), a
problem as the model sees it (``show``), and each reward's verdict on a stress test.

Each returns rows or lines; the command only prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.tasks.base import TaskItem
from ripeness.tasks.registry import family_examples, get_family
from ripeness.tasks.stress import StressReport

Row = tuple[str, str, str, str]  # task, reward, kind, loophole
OWN_FILE = "the rows' own task's rewards, or yours by reference"


def family_sections() -> list[list[Row]]:
    """One list of rows per registered family; a family that does not load says why."""
    sections = []
    for usage, example in family_examples():
        if not example:  # built from the user's own file: nothing to list without it
            sections.append([(usage, "-", "-", OWN_FILE)])
            continue
        try:
            family = get_family(example)
        except RipenessError as exc:  # a third-party family that does not load
            sections.append([(usage, "-", "-", f"[red]{exc}[/]")])
            continue
        sections.append(
            [
                (usage if i == 0 else "", name, reward.kind, reward.loophole)
                for i, (name, reward) in enumerate(family.rewards.items())
            ]
        )
    return sections


def family_table():
    """:func:`family_sections` as a rich table."""
    from rich.table import Table

    table = Table(title="Task families")
    for column in ("task", "reward", "kind", "loophole"):
        table.add_column(column)
    for section in family_sections():
        for row in section:
            table.add_row(*row)
        table.add_section()
    return table


def problem_lines(items: Iterable[TaskItem]) -> Iterator[str]:
    """Each problem's id and difficulty, its prompt turn by turn, and its reference answer."""
    for item in items:
        yield f"--- {item.id} (difficulty {item.difficulty})"
        for message in item.prompt:
            yield f"[{message['role']}] {message['content']}"
        yield f"[reference] {item.answer}"


def verdict_lines(report: StressReport) -> Iterator[str]:
    """One line a reward: how many exploits it pays, and its loophole (rich markup)."""
    for name, (kind, loophole) in report.rewards.items():
        paid = report.exploits_paid_by(name)
        verdict = f"pays {len(paid)} exploit(s)" if paid else "pays no exploit"
        yield f"[bold]{name}[/] ({kind}): {verdict}" + (f" — {loophole}" if loophole else "")


def extra_rewards(reward_model: Path | None, references: Iterable[str]) -> dict:
    """Rewards a user adds to a stress test by name: a learned reward model (an HF folder)
    and their own rewards (``file.py:function`` or ``module:function``)."""
    extra = {}
    if reward_model is not None:
        if not (reward_model / "config.json").is_file():
            raise RipenessError(f"no reward model at {reward_model} (config.json missing)")
        from ripeness.tasks.proxies import RewardModelScore

        extra["reward_model"] = RewardModelScore(reward_model)
    for reference in references:
        from ripeness.tasks.external import ExternalReward

        external = ExternalReward(reference)
        extra[external.name] = external
    return extra
