"""Task families by name: ``arithmetic``, ``arithmetic:beliefs``, ``math``, ``math:FILE.jsonl``,
``code``, ``code:editable``, and ``rg:<dataset>`` for any reasoning-gym dataset.

Add a family with :func:`register`: a name and a factory that takes the text after the colon
(or ``None``) and returns an object following :class:`ripeness.tasks.base.TaskFamily`.
"""

from __future__ import annotations

from collections.abc import Callable

from ripeness.errors import RipenessError
from ripeness.tasks.base import TaskFamily

Factory = Callable[[str | None], TaskFamily]
_FACTORIES: dict[str, tuple[Factory, str]] = {}


def register(name: str, factory: Factory, usage: str = "") -> None:
    """Make ``get_family(name)`` and ``get_family(f"{name}:ARG")`` build with ``factory``."""
    _FACTORIES[name] = (factory, usage or name)


def _arithmetic(arg: str | None) -> TaskFamily:
    from ripeness.tasks.arithmetic import ArithmeticFamily

    if arg not in (None, "beliefs"):
        raise RipenessError(
            f"unknown arithmetic variant {arg!r}; use `arithmetic` or `arithmetic:beliefs`"
        )
    return ArithmeticFamily(beliefs=arg == "beliefs")


def _math(arg: str | None) -> TaskFamily:
    from ripeness.tasks.math import MathFamily

    return MathFamily(arg)


def _code(arg: str | None) -> TaskFamily:
    from ripeness.tasks.code import CodeFamily

    if arg not in (None, "editable"):
        raise RipenessError(f"unknown code variant {arg!r}; use `code` or `code:editable`")
    return CodeFamily(editable=arg == "editable")


def _reasoning_gym(arg: str | None) -> TaskFamily:
    from ripeness.tasks.rgym import ReasoningGymFamily

    if not arg:
        raise RipenessError("name a reasoning-gym dataset, e.g. `rg:chain_sum`")
    return ReasoningGymFamily(arg)


register("arithmetic", _arithmetic, "arithmetic | arithmetic:beliefs")
register("math", _math, "math | math:FILE.jsonl")
register("code", _code, "code | code:editable")
register("rg", _reasoning_gym, "rg:DATASET (any reasoning-gym dataset)")


def family_names() -> list[str]:
    """How each registered family is written on the command line."""
    return [usage for _, usage in _FACTORIES.values()]


def get_family(spec: str) -> TaskFamily:
    """The family a task name stands for, or a one-line error listing the choices."""
    name, _, arg = spec.partition(":")
    if name not in _FACTORIES:
        raise RipenessError(f"unknown task {spec!r}; choose one of: {'; '.join(family_names())}")
    return _FACTORIES[name][0](arg or None)
