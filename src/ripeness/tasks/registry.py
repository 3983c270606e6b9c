"""Task families by name: ``arithmetic``, ``arithmetic:beliefs``, ``math``, ``math:FILE.jsonl``,
``code``, ``code:editable``, and ``rg:<dataset>`` for any reasoning-gym dataset.

Add a family with :func:`register`: a name and a factory that takes the text after the colon
(or ``None``) and returns an object following :class:`ripeness.tasks.base.TaskFamily`
(subclassing :class:`ripeness.tasks.base.Family` gives ``gold`` and ``rewards`` from a
:func:`~ripeness.tasks.base.reward_table`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.tasks.base import Reward, TaskFamily

Factory = Callable[[str | None], TaskFamily]
_FACTORIES: dict[str, tuple[Factory, str, str]] = {}


def register(name: str, factory: Factory, usage: str = "", example: str | None = None) -> None:
    """Make ``get_family(name)`` and ``get_family(f"{name}:ARG")`` build with ``factory``.

    ``usage`` is how `ripeness tasks list` writes it; ``example`` a spec that builds one (""
    when none builds without the user's file: the list then shows the usage alone)."""
    _FACTORIES[name] = (factory, usage or name, name if example is None else example)


def _arithmetic(arg: str | None) -> TaskFamily:
    from ripeness.tasks.arithmetic import ArithmeticFamily
    from ripeness.tasks.conversations import BeliefArithmeticFamily

    if arg not in (None, "beliefs"):
        raise RipenessError(
            f"unknown arithmetic variant {arg!r}; use `arithmetic` or `arithmetic:beliefs`"
        )
    return BeliefArithmeticFamily() if arg == "beliefs" else ArithmeticFamily()


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


def _items(arg: str | None) -> TaskFamily:
    from ripeness.tasks.items import ItemsFamily

    if not arg:
        raise RipenessError("name the file of problems, e.g. `items:runs/my-run/heldout.jsonl`")
    return ItemsFamily(arg, source=get_family)


register("arithmetic", _arithmetic, "arithmetic | arithmetic:beliefs")
register("math", _math, "math | math:FILE.jsonl")
register("code", _code, "code | code:editable")
register("rg", _reasoning_gym, "rg:DATASET (any reasoning-gym dataset)", "rg:chain_sum")
register("items", _items, "items:FILE.jsonl (a fixed problem list, as the monitor keeps it)", "")


def family_names() -> list[str]:
    """How each registered family is written on the command line."""
    _load_entry_points()
    return [usage for _, usage, _ in _FACTORIES.values()]


def family_examples() -> list[tuple[str, str]]:
    """(usage, a spec that builds one) for each registered family, for `ripeness tasks list`."""
    _load_entry_points()
    return [(usage, example) for _, usage, example in _FACTORIES.values()]


def get_family(spec: str, gold: str = "") -> TaskFamily:
    """The family a task name stands for, or a one-line error listing the choices.

    ``gold``, a reference to the user's verifier (``file.py:function``), replaces the family's."""
    _load_entry_points()
    name, _, arg = spec.partition(":")
    if name not in _FACTORIES:
        raise RipenessError(f"unknown task {spec!r}; choose one of: {'; '.join(family_names())}")
    family = _FACTORIES[name][0](arg or None)
    if gold:
        from ripeness.tasks.external import ExternalReward, WithGold

        family = WithGold(family, ExternalReward(gold, kind="gold"))
    return family


ENTRY_POINT_GROUP = "ripeness.tasks"
_entry_points_loaded = False


def _load_entry_points() -> None:
    """Register the families other packages declare in the ``ripeness.tasks`` entry point
    group (``name = "package.module:factory"``; the factory takes the text after the colon),
    so `pip install my-tasks` makes them show in `ripeness tasks list`."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _FACTORIES:
            continue  # the built-in name wins

        def factory(arg, point=point):
            try:
                make = point.load()
            except Exception as exc:  # noqa: BLE001 - another package's import: one line
                raise RipenessError(
                    f"task {point.name!r} from entry point {point.value}: cannot load "
                    f"({type(exc).__name__}: {exc})"
                ) from None
            return make(arg)

        register(point.name, factory, f"{point.name} (from {point.value})")


def reward_by_name(family: TaskFamily, name: str) -> Reward:
    """Look up a reward, or say which ones exist.

    Besides the family's own, every task takes a learned reward model by path:
    ``reward_model:PATH`` (the model's score) and ``reward_model_gated:PATH`` (its score only
    when the gold verifier passes: feedback can break ties among right answers, never pay for a
    wrong one); and any TRL reward function of the user's by reference,
    ``path/to/file.py:function`` or ``package.module:function`` (:mod:`ripeness.tasks.external`).
    """
    from ripeness.tasks.external import ExternalReward, is_reference
    from ripeness.tasks.proxies import GatedReward, RewardModelScore

    kind, _, path = name.partition(":")
    if kind in ("reward_model", "reward_model_gated") and path:
        if not (Path(path) / "config.json").is_file():
            raise RipenessError(f"no reward model at {path} (config.json missing); train one first")
        learned = RewardModelScore(path)
        return learned if kind == "reward_model" else GatedReward(learned, family.gold)
    if is_reference(name):
        return ExternalReward(name)
    try:
        return family.rewards[name]
    except KeyError:
        raise RipenessError(
            f"task {family.name} has no reward {name!r}; choose one of "
            f"{', '.join(family.rewards)}, reward_model:PATH, reward_model_gated:PATH, "
            "or your own as path/to/file.py:function or package.module:function"
        ) from None
