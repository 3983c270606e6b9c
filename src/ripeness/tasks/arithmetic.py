"""Arithmetic reasoning problems in the embedded model's format.

A problem is a running sum: a start number and ``difficulty`` steps of ``+d`` or ``-d``
(single digits), e.g. "What is 57+3-8?". The chain of thought does one step per sentence
("57+3=60. 60-8=52.") and ends with ``Answer: 52``, so token use grows with difficulty and
the answer is machine-parseable. Each problem belongs to exactly one split, decided by a hash
of its question, so a held-out problem can never appear in training data whatever the seed.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

HELDOUT_FRACTION = 0.15
MAX_START = 99

_ANSWER_AT_END = re.compile(r"Answer:\s*(-?\d+)\s*\.?\s*$")
_ANY_ANSWER = re.compile(r"Answer:")


@dataclass(frozen=True)
class Problem:
    """One running-sum problem; immutable so it can key sets and caches."""

    start: int
    steps: tuple[tuple[str, int], ...]

    @property
    def difficulty(self) -> int:
        return len(self.steps)

    @property
    def expression(self) -> str:
        return str(self.start) + "".join(f"{op}{n}" for op, n in self.steps)

    @property
    def question(self) -> str:
        return f"What is {self.expression}?"

    @property
    def answer(self) -> int:
        return self.partial_sums()[-1]

    def partial_sums(self) -> list[int]:
        totals = [self.start]
        for op, n in self.steps:
            totals.append(totals[-1] + n if op == "+" else totals[-1] - n)
        return totals

    def chain_of_thought(self) -> str:
        """One sentence per step, e.g. ``57+3=60. 60-8=52.``."""
        totals = self.partial_sums()
        sentences = [f"{totals[i]}{op}{n}={totals[i + 1]}." for i, (op, n) in enumerate(self.steps)]
        return " ".join(sentences)

    def solution(self) -> str:
        return f"{self.chain_of_thought()} {format_answer(self.answer)}"

    @property
    def split(self) -> str:
        return split_of(self.question)


def format_answer(value: int) -> str:
    return f"Answer: {value}"


def split_of(question: str) -> str:
    """``"heldout"`` for a fixed ~15% of all questions, ``"train"`` for the rest."""
    digest = hashlib.blake2b(question.encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "big") / 2**64
    return "heldout" if bucket < HELDOUT_FRACTION else "train"


def random_problem(rng: random.Random, difficulty: int) -> Problem:
    """A problem with ``difficulty`` steps whose running total never goes below zero."""
    if difficulty < 1:
        raise ValueError(f"difficulty must be at least 1, got {difficulty}")
    total = start = rng.randint(0, MAX_START)
    steps = []
    for _ in range(difficulty):
        n = rng.randint(1, 9)
        op = rng.choice("+-")
        if op == "-" and total - n < 0:
            op = "+"
        total = total + n if op == "+" else total - n
        steps.append((op, n))
    return Problem(start, tuple(steps))


def sample_problems(
    n: int, difficulties: list[int] | range, split: str, seed: int, unique: bool = True
) -> list[Problem]:
    """``n`` problems from one split, difficulties cycled evenly, reproducible from ``seed``.

    ``unique`` drops repeats, so an evaluation set counts each question once.
    """
    if split not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', got {split!r}")
    difficulties = list(difficulties)
    rng = random.Random(seed)
    problems: list[Problem] = []
    seen: set[str] = set()
    attempts = 0
    while len(problems) < n:
        attempts += 1
        if attempts > 200 * n + 1000:
            raise RuntimeError(f"could not draw {n} distinct {split} problems from {difficulties}")
        problem = random_problem(rng, difficulties[len(problems) % len(difficulties)])
        if problem.split != split or (unique and problem.question in seen):
            continue
        seen.add(problem.question)
        problems.append(problem)
    return problems


def extract_answer(completion: str) -> int | None:
    """The integer after the single ``Answer:`` that ends the completion, else ``None``.

    Strict on purpose: several ``Answer:`` lines, or anything after the number, is no answer.
    """
    text = completion.strip()
    if len(_ANY_ANSWER.findall(text)) != 1:
        return None
    match = _ANSWER_AT_END.search(text)
    return int(match.group(1)) if match else None


def gold_correct(completion: str, reference: int) -> bool:
    """The gold verifier: exactly one final answer, and it is the right one."""
    return extract_answer(completion) == reference
