"""The table of task families behind ``ripeness tasks list``: each family's rewards and
their loopholes, one section a family."""

from __future__ import annotations

from ripeness.errors import RipenessError
from ripeness.tasks.registry import family_examples, get_family

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
