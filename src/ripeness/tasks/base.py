"""The task protocol: problems as plain records, and rewards that plug into TRL unchanged.

A task family makes :class:`TaskItem` records from a seed and a difficulty, and names its
rewards: one *gold* verifier (the truth) and *proxies* a trainer might really use, each with a
documented loophole. The gap between gold and proxy is the over-optimization signal.

Rewards follow TRL's reward-function contract, ``reward(prompts, completions, **columns)``,
where the columns are the dataset's (``answer``, ``metadata``, ...): pass
``to_dataset(family.generate(...))`` and ``family.rewards[name]`` to ``GRPOTrainer`` as they
are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from ripeness.errors import RipenessError
from ripeness.messages import Message

RewardKind = Literal["gold", "proxy"]


@dataclass(frozen=True)
class TaskItem:
    """One problem: the chat prompt, the reference answer, and what the verifiers need."""

    task: str
    prompt: tuple[Message, ...]
    answer: str
    difficulty: int
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable across runs: a hash of the task name and the prompt text."""
        text = self.task + "\x00" + json.dumps(list(self.prompt), sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()

    def columns(self) -> dict[str, Any]:
        """The row this item becomes in a TRL/`datasets` dataset (metadata as JSON text)."""
        return {
            "prompt": [dict(m) for m in self.prompt],
            "answer": self.answer,
            "task": self.task,
            "difficulty": self.difficulty,
            "metadata": json.dumps(dict(self.metadata), sort_keys=True),
            "item_id": self.id,
        }

    @classmethod
    def from_columns(cls, row: Mapping[str, Any]) -> TaskItem:
        missing = {"prompt", "answer", "task"} - set(row)
        if missing:
            raise RipenessError(f"task row lacks {', '.join(sorted(missing))}: {dict(row)!r:.120}")
        return cls(
            task=row["task"],
            prompt=tuple(dict(m) for m in row["prompt"]),
            answer=str(row["answer"]),
            difficulty=int(row.get("difficulty", 1)),
            metadata=parse_metadata(row.get("metadata")),
        )


HELDOUT_FRACTION = 0.15
SPLITS = ("train", "heldout")


def split_of(question: str) -> str:
    """``"heldout"`` for a fixed ~15% of all questions, ``"train"`` for the rest.

    Decided by a hash of the text, so a held-out problem never appears in training data,
    whatever the seed or the family.
    """
    digest = hashlib.blake2b(question.encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "big") / 2**64
    return "heldout" if bucket < HELDOUT_FRACTION else "train"


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'heldout', got {split!r}")


def parse_metadata(value: Any) -> dict[str, Any]:
    """Metadata arrives as JSON text from a dataset column, or as a dict when called directly."""
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    return json.loads(value)


def completion_text(completion: Any) -> str:
    """TRL hands completions as strings (standard) or message lists (conversational)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Sequence) and completion and isinstance(completion[-1], Mapping):
        return "".join(str(m.get("content") or "") for m in completion)
    if isinstance(completion, Mapping):
        return str(completion.get("content") or "")
    raise TypeError(f"cannot read a completion of type {type(completion).__name__}")


class Reward:
    """A verifier or proxy reward; call it like a TRL reward function.

    Subclasses set ``name``, ``kind`` and (proxies) ``loophole`` — one sentence saying how the
    reward can be earned without solving the problem — and implement :meth:`score`.
    """

    name: ClassVar[str] = "reward"
    kind: ClassVar[RewardKind] = "proxy"
    loophole: ClassVar[str] = ""
    # scores that depend on the other completions of the prompt's group (a majority vote): a
    # held-out evaluation, one answer per problem, cannot score them
    group_relative: ClassVar[bool] = False

    @property
    def __name__(self) -> str:  # TRL names its reward columns after ``__name__``
        return self.name

    def score(self, completion: str, answer: str, metadata: Mapping[str, Any]) -> float | None:
        raise NotImplementedError

    def score_batch(
        self, completions: Sequence[str], answers: Sequence[str], metadatas: Sequence[Mapping]
    ) -> list[float | None]:
        """Score many at once; rewards that run processes override this to run them in parallel."""
        return [
            self.score(c, a, m) for c, a, m in zip(completions, answers, metadatas, strict=True)
        ]

    def __call__(self, prompts, completions, answer=None, metadata=None, **_columns):
        if answer is None:
            raise RipenessError(
                f"reward {self.name} needs an 'answer' column; build the dataset with "
                "ripeness.tasks.base.to_dataset(family.generate(...))"
            )
        metadatas = [parse_metadata(m) for m in (metadata or [None] * len(completions))]
        for meta, prompt in zip(metadatas, prompts or [], strict=False):
            meta.setdefault("prompt", prompt)  # a reward model scores prompt and completion
        texts = [completion_text(c) for c in completions]
        return self.score_batch(texts, [str(a) for a in answer], metadatas)

    def __repr__(self) -> str:
        return f"<{self.kind} reward {self.name}>"


@runtime_checkable
class TaskFamily(Protocol):
    """What every task family provides (see ``tasks.registry`` for how to add one)."""

    name: str
    description: str

    def generate(
        self, n: int, seed: int = 0, difficulties: Sequence[int] = (1,), split: str = "train"
    ) -> list[TaskItem]:
        """``n`` items, difficulties cycled evenly, reproducible from ``seed``."""
        ...

    @property
    def gold(self) -> Reward: ...

    @property
    def rewards(self) -> dict[str, Reward]:
        """Every reward by name, gold first; proxies carry their loophole."""
        ...

    def reference_completion(self, item: TaskItem) -> str:
        """What an honest, correct model would answer (the stress test's control row)."""
        ...

    def exploits(self, item: TaskItem) -> dict[str, str]:
        """Canned exploit completions for ``item``, by name, for the reward stress test."""
        ...


def to_dataset(items: Sequence[TaskItem]):
    """A `datasets.Dataset` with one row per item, ready for TRL trainers."""
    from datasets import Dataset

    return Dataset.from_list([item.columns() for item in items])
