"""The one interface every backend offers, and the base that spells it out once.

``backend.complete(conversations, max_tokens=..., temperature=..., samples=..., seed=...)``
returns, for each conversation, ``samples`` completions. :class:`Backend` is the protocol any
object meets (a test's fake, a user's own); :class:`BaseBackend` is what Ripeness's backends
derive from, so the signature and its defaults are written here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ripeness.errors import RipenessError
from ripeness.messages import Message


@dataclass(frozen=True)
class Completion:
    text: str
    tokens: int
    truncated: bool  # stopped by the token limit, not by the end-of-turn


@dataclass(frozen=True)
class Sampling:
    """How to answer one call: the keyword arguments of :meth:`Backend.complete`."""

    max_tokens: int = 128
    temperature: float = 0.0
    samples: int = 1  # completions per conversation
    seed: int = 0


@runtime_checkable
class Backend(Protocol):
    """``on_progress``, when a caller sets it, is called with each batch of finished
    completions, so long commands show progress by sample (``TrackedBackend``)."""

    name: str

    def complete(
        self,
        conversations: Sequence[list[Message]],
        max_tokens: int = 128,
        temperature: float = 0.0,
        samples: int = 1,
        seed: int = 0,
    ) -> list[list[Completion]]: ...


class BackendError(RipenessError):
    """The model could not be reached or answered nonsense; the message says which."""


class BaseBackend:
    """A :class:`Backend` whose subclasses implement :meth:`answer` with a :class:`Sampling`."""

    name: str = "backend"
    on_progress: Callable[[int], None] | None = None

    def complete(
        self,
        conversations: Sequence[list[Message]],
        max_tokens: int = Sampling.max_tokens,
        temperature: float = Sampling.temperature,
        samples: int = Sampling.samples,
        seed: int = Sampling.seed,
    ) -> list[list[Completion]]:
        return self.answer(conversations, Sampling(max_tokens, temperature, samples, seed))

    def answer(
        self, conversations: Sequence[list[Message]], sampling: Sampling
    ) -> list[list[Completion]]:
        raise NotImplementedError
