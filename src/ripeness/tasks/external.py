"""Rewards from the user's own code, named by reference: ``path/to/file.py:function`` or
``package.module:function``.

Any callable with TRL's reward contract works, ``fn(prompts=..., completions=..., **columns)``
returning one float (or ``None``) per completion, as TRL's GRPO quick-start writes them
(``def reward_len(completions, **kwargs)``). It becomes a :class:`ripeness.tasks.base.Reward`,
so the stress test, the monitors, assessment and the report treat it like a built-in one. A
``loophole`` attribute on the function (one sentence) is shown where built-in proxies show
theirs. Every bad reference (no such file, no such function, not callable, wrong signature,
a wrong return) is one clear line.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError
from ripeness.tasks.base import Family, Reward, RewardKind, completion_text, parse_metadata


def is_reference(name: str) -> bool:
    """``file.py:function`` or ``module:function`` (the part after the last colon a name)."""
    target, _, attribute = name.rpartition(":")
    return bool(target) and attribute.isidentifier() and not target.startswith("reward_model")


def load_callable(reference: str) -> Callable:
    """The function a reference names, or a one-line error saying what is wrong."""
    target, _, attribute = reference.rpartition(":")
    if target.endswith(".py"):
        path = Path(target).expanduser()
        if not path.is_file():
            raise RipenessError(f"reward {reference}: no file {path}")
        module_name = f"ripeness_user_{abs(hash(str(path.resolve())))}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - the user's file: any failure is one line
            sys.modules.pop(module_name, None)
            raise RipenessError(
                f"reward {reference}: importing {path} failed: {type(exc).__name__}: {exc}"
            ) from None
    else:
        try:
            module = importlib.import_module(target)
        except Exception as exc:  # noqa: BLE001
            raise RipenessError(
                f"reward {reference}: cannot import module {target!r} ({type(exc).__name__}: "
                f"{exc}); give package.module:function or path/to/file.py:function"
            ) from None
    if not hasattr(module, attribute):
        raise RipenessError(f"reward {reference}: {target} has no {attribute!r}")
    function = getattr(module, attribute)
    if not callable(function):
        raise RipenessError(f"reward {reference}: {attribute} is not callable")
    _check_signature(reference, function)
    return function


def reference_of(function: Callable) -> str | None:
    """How a config can name ``function`` again (``module:name`` or ``file.py:name``), or
    None when reloading it would re-run a training script (a top-level ``__main__`` without
    an ``if __name__ == "__main__"`` guard) or it has no importable name (a lambda, a method)."""
    if isinstance(function, ExternalReward):
        return function.reference
    name = getattr(function, "__qualname__", "")
    if not name.isidentifier():
        return None
    module = getattr(function, "__module__", None)
    if module and module != "__main__":
        return f"{module}:{name}"
    try:
        path = Path(inspect.getfile(function)).resolve()
        guarded = "__main__" in path.read_text()
    except (OSError, TypeError):
        return None
    return f"{path}:{name}" if guarded else None


def _check_signature(reference: str, function: Callable) -> None:
    """TRL calls ``fn(prompts=..., completions=..., completion_ids=..., **columns)``."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return  # a builtin or C callable: trust it
    kinds = {p.kind for p in parameters.values()}
    if "completions" not in parameters or inspect.Parameter.VAR_KEYWORD not in kinds:
        raise RipenessError(
            f"reward {reference}: its signature {inspect.signature(function)} does not take "
            "TRL's reward arguments; write it as def f(completions, **kwargs) (prompts and "
            "the dataset's columns arrive as keywords)"
        )


def as_trl_completions(prompts: Sequence | None, completions: Sequence) -> list:
    """Completions in the shape TRL hands them: message lists for chat prompts (every Ripeness
    task's; ``completion[0]["content"]``, as TRL's quick-start reads them), strings for
    plain-text prompts."""
    if prompts and isinstance(prompts[0], str):
        return [completion_text(c) for c in completions]
    return [
        c if isinstance(c, list) else [{"role": "assistant", "content": completion_text(c)}]
        for c in completions
    ]


class ExternalReward(Reward):
    """A user's TRL reward function, with Ripeness's reward interface around it."""

    def __init__(
        self, reference: str, kind: RewardKind = "proxy", function: Callable | None = None
    ) -> None:
        self.reference = reference
        self.function = function if function is not None else load_callable(reference)
        self._name = getattr(self.function, "__name__", reference.rpartition(":")[2])
        self._kind = kind
        self._loophole = str(getattr(self.function, "loophole", "") or "")
        self.group_relative = bool(getattr(self.function, "group_relative", False))

    # the class-level attributes of built-in rewards, per instance here
    @property
    def name(self) -> str:  # type: ignore[override]
        return self._name

    @property
    def kind(self) -> RewardKind:  # type: ignore[override]
        return self._kind

    @property
    def loophole(self) -> str:  # type: ignore[override]
        return self._loophole

    def __call__(self, prompts, completions, **columns) -> list[float | None]:
        if columns.get("metadata"):  # a row's own columns, kept in metadata, as TRL passes them
            metas = [parse_metadata(m) for m in columns["metadata"]]
            for key in {k for m in metas for k in m} - set(columns) - {"prompt"}:
                columns[key] = [m.get(key) for m in metas]
        scores = self.function(
            prompts=prompts, completions=as_trl_completions(prompts, completions), **columns
        )
        return self._checked(scores, len(completions))

    def _checked(self, scores: Any, expected: int) -> list[float | None]:
        if not isinstance(scores, Sequence) or isinstance(scores, str | bytes):
            raise RipenessError(
                f"reward {self.reference} returned {type(scores).__name__}; a TRL reward "
                "returns a list with one float (or None) per completion"
            )
        if len(scores) != expected:
            raise RipenessError(
                f"reward {self.reference} returned {len(scores)} scores for {expected} completions"
            )
        out: list[float | None] = []
        for value in scores:
            if value is None:
                out.append(None)
                continue
            try:
                out.append(float(value))
            except (TypeError, ValueError):
                raise RipenessError(
                    f"reward {self.reference} returned {value!r}, not a number"
                ) from None
        return out

    def score(self, completion: str, answer: str, metadata: Mapping[str, Any]) -> float | None:
        prompt = metadata.get("prompt")
        meta = {k: v for k, v in metadata.items() if k != "prompt"}
        return self(
            [prompt],
            [completion_text(completion)],
            answer=[answer],
            metadata=[json.dumps(meta, sort_keys=True)],
        )[0]


class WithGold(Family):
    """A task family whose gold verifier is the user's (``[task] gold = "file.py:fn"``).

    Problems, proxies and exploits stay the family's; ``gold`` (and ``rewards["gold"]``, the
    one reward not keyed by its own name) is the user's function, so the monitors, the stress
    test and assessment judge by it."""

    def __init__(self, family, gold: ExternalReward) -> None:
        self.family = family
        self.name = family.name
        self.description = f"{family.description} (gold: {gold.reference})"
        self._rewards = {"gold": gold, **{k: v for k, v in family.rewards.items() if k != "gold"}}

    def generate(self, *args, **kwargs):
        return self.family.generate(*args, **kwargs)

    def reference_completion(self, item):
        return self.family.reference_completion(item)

    def exploits(self, item):
        return self.family.exploits(item)
