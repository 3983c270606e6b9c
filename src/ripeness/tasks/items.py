"""A fixed list of problems as a task family: the held-out set a user's own script passes to
:class:`ripeness.train.monitor.OverOptimizationMonitor`, kept in the run folder
(``items:RUN/heldout.jsonl``) so `ripeness report` asks each checkpoint the same problems.

Rows come as TRL datasets hold them: ``prompt`` (text or chat messages), ``answer`` (or
``solution``), optional ``difficulty``; every other column travels in the item's metadata and
reaches a user's reward as the keyword TRL would pass. Gold and the built-in rewards are those
of the family the rows came from (a Ripeness family's rows name it in ``task``), or the user's
``[task] gold`` reference.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError
from ripeness.records.jsonl import read_jsonl
from ripeness.tasks.base import Family, Reward, TaskFamily, TaskItem, parse_metadata

RESERVED = ("prompt", "answer", "task", "difficulty", "metadata", "item_id")


def as_item(row: TaskItem | Mapping[str, Any], where: str = "row") -> TaskItem:
    """A dataset row (TRL's shape, or Ripeness's own columns) as a :class:`TaskItem`."""
    if isinstance(row, TaskItem):
        return row
    if not isinstance(row, Mapping) or "prompt" not in row:
        raise RipenessError(f"{where}: a held-out row needs a 'prompt' column (text or messages)")
    prompt = row["prompt"]
    if isinstance(prompt, str):
        prompt = [{"role": "user", "content": prompt}]
    if not isinstance(prompt, Sequence) or not all(
        isinstance(m, Mapping) and "content" in m for m in prompt
    ):
        raise RipenessError(f"{where}: 'prompt' must be text or a list of chat messages")
    answer = row.get("answer", row.get("solution", ""))
    metadata = parse_metadata(row.get("metadata"))
    metadata.update({k: v for k, v in row.items() if k not in RESERVED})
    return TaskItem(
        task=str(row.get("task") or "custom"),
        prompt=tuple({"role": m.get("role", "user"), "content": m["content"]} for m in prompt),
        answer="" if answer is None else str(answer),
        difficulty=int(row.get("difficulty") or 1),
        metadata=metadata,
    )


def as_items(rows: Iterable[TaskItem | Mapping[str, Any]]) -> list[TaskItem]:
    items = [as_item(row, f"held-out row {n}") for n, row in enumerate(rows, 1)]
    if not items:
        raise RipenessError("the held-out set is empty; pass the rows to evaluate on")
    return items


def write_items(path: Path, items: Sequence[TaskItem]) -> None:
    """One JSON row per item (its dataset columns), written then renamed."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(item.columns(), sort_keys=True) + "\n" for item in items))
    tmp.replace(path)


class NoGold(Reward):
    """Stands in for a gold verifier that cannot be reloaded: using it says why, in a line."""

    name = "gold"
    kind = "gold"

    def score(self, completion, answer, metadata):
        raise RipenessError(
            "this run's gold verifier lived in the training script and cannot be reloaded; "
            "give it as [task] gold = 'module:function' (or move it into its own file)"
        )


class ItemsFamily(Family):
    """The problems of one file, always the same ones in the same order, for either split.

    ``source`` finds the family a task name stands for (the registry passes its
    ``get_family``), so the rows of a known family keep that family's rewards."""

    def __init__(self, path: str | Path, source: Callable[[str], TaskFamily] | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise RipenessError(f"no held-out problems at {self.path}")
        rows = read_jsonl(self.path, "held-out problems")
        self.items = [as_item(row, where) for where, row in rows]
        self.name = f"items:{self.path}"
        self.description = f"{len(self.items)} problems from {self.path}"
        self._rewards = {"gold": NoGold(), **self._source_rewards(source)}

    def _source_rewards(self, source: Callable[[str], TaskFamily] | None) -> dict[str, Reward]:
        """The rewards (gold first) of the family the rows came from, if it is a known one."""
        task = self.items[0].task if self.items else "custom"
        if source is None or task in ("custom", "") or task.startswith("items:"):
            return {}
        try:
            return dict(source(task).rewards)
        except RipenessError:
            return {}

    def generate(self, n: int, seed: int = 0, difficulties=(1,), split: str = "train"):
        if n > len(self.items):
            raise RipenessError(f"{self.path} holds {len(self.items)} problems; ask for fewer")
        return self.items[:n]
