"""The task protocol: problems as plain records, and rewards that plug into TRL unchanged.

A task family makes :class:`TaskItem` records from a seed and a difficulty, and names its
rewards: one *gold* verifier (the truth) and *proxies* a trainer might really use, each with a
documented loophole. The gap between gold and proxy is the over-optimization signal.

Rewards follow TRL's reward-function contract, ``reward(prompts, completions, **columns)``,
where the columns are the dataset's (``answer``, ``metadata``, ...): pass
``to_dataset(family.generate(...))`` and ``family.rewards[name]`` to ``GRPOTrainer`` as they
are. :class:`Family` is the part the built-in families share (a reward table, gold first), so
each declares only its problems and its rewards.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from ripeness.errors import RipenessError
from ripeness.messages import Message
from ripeness.options import Split

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
SPLITS = tuple(Split)


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


def reward_table(*rewards: Reward) -> dict[str, Reward]:
    """Rewards keyed by their own ``name``, in order (gold first), so a name is written once."""
    table: dict[str, Reward] = {}
    for reward in rewards:
        if reward.name in table:
            raise ValueError(f"two rewards share the name {reward.name!r}")
        table[reward.name] = reward
    return table


class Family:
    """What every built-in family shares: its reward table behind ``gold`` and ``rewards``.

    A family sets ``name``, ``description`` and ``_rewards`` (gold first, usually a
    :func:`reward_table`) and writes :meth:`generate`; the plain reference answer and an empty
    exploit battery are defaults it overrides where it knows better."""

    name: str = ""
    description: str = ""
    # each problem has one answer gold compares a reply to (probes may suggest a wrong one)
    single_answer: bool = True
    _rewards: dict[str, Reward]

    @property
    def gold(self) -> Reward:
        """The table's first reward."""
        return next(iter(self._rewards.values()))

    @property
    def rewards(self) -> dict[str, Reward]:
        return self._rewards

    def generate(
        self, n: int, seed: int = 0, difficulties: Sequence[int] = (1,), split: str = "train"
    ) -> list[TaskItem]:
        raise NotImplementedError

    def reference_completion(self, item: TaskItem) -> str:
        return f"Answer: {item.answer}"

    def exploits(self, item: TaskItem) -> dict[str, str]:
        return {}


def draw_distinct(
    n: int,
    difficulties: Sequence[int],
    split: str,
    what: str,
    draw: Callable[[int], tuple[str, Callable[[], TaskItem]]],
) -> list[TaskItem]:
    """``n`` items of ``split``, difficulties cycled evenly, no question twice.

    ``draw(difficulty)`` gives a question and what makes its item; the maker runs only for a
    question kept, so it may go on drawing from the family's random stream. Gives up, in one
    line naming ``what``, when the draws stop finding new questions."""
    difficulties = list(difficulties)
    items: list[TaskItem] = []
    seen: set[str] = set()
    attempts = 0
    while len(items) < n:
        attempts += 1
        if attempts > 200 * n + 1000:
            raise RipenessError(f"could not draw {n} distinct {split} {what} problems")
        question, make = draw(difficulties[len(items) % len(difficulties)])
        if question in seen or split_of(question) != split:
            continue
        seen.add(question)
        items.append(make())
    return items


def solved(scores: Sequence[float | None]) -> list[bool]:
    """Gold's verdicts: a score of 1 solves the problem (``None``, an abstention, does not)."""
    return [(s or 0.0) >= 1.0 for s in scores]


def score_items(
    reward: Callable[..., list], items: Sequence[TaskItem], completions: Sequence[str]
) -> list[float | None]:
    """``reward``'s scores of one completion per item, called as TRL calls it (the items'
    dataset columns as keywords); an item repeated scores several answers to one problem."""
    columns = [item.columns() for item in items]
    return reward(
        [c["prompt"] for c in columns],
        list(completions),
        answer=[c["answer"] for c in columns],
        metadata=[c["metadata"] for c in columns],
    )


def to_dataset(items: Sequence[TaskItem]):
    """A `datasets.Dataset` with one row per item, ready for TRL trainers."""
    from datasets import Dataset

    return Dataset.from_list([item.columns() for item in items])
