"""The rewards a monitor watches: a script's reward functions as Ripeness rewards, and the
wrapper TRL calls, which hands each batch it scores to the monitor."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import torch

from ripeness.errors import RipenessError
from ripeness.tasks.base import Reward
from ripeness.tasks.external import ExternalReward, reference_of
from ripeness.train.rollouts import RolloutBatch

# (reward index, prompts, completions, TRL's other keyword arguments, scores)
Observer = Callable[[int, Any, Any, dict, Any], None]


def as_reward(function: Any, kind: str) -> Reward:
    """Ripeness's reward interface around a reward: ours as is, a reference loaded, a TRL
    reward function wrapped (a reward model given as a module is not a function: say so)."""
    if isinstance(function, Reward):
        return function
    if isinstance(function, str):
        return ExternalReward(function, kind)
    if isinstance(function, torch.nn.Module) or not callable(function):
        raise RipenessError(
            f"{kind} {function!r:.60} is not a reward function; wrap a reward model in a "
            "function def f(prompts, completions, **kwargs) that returns one float each"
        )
    if inspect.iscoroutinefunction(function):
        raise RipenessError(f"{kind} {function.__name__}: async rewards are not monitored yet")
    name = getattr(function, "__name__", kind)
    return ExternalReward(reference_of(function) or name, kind, function=function)


def as_rewards(rewards: Any) -> tuple[list[Any], list[Reward]]:
    """A script's rewards (one or a list) as given and as Ripeness rewards, each with its own
    name (each batch's scores are kept by reward name)."""
    originals = list(rewards) if isinstance(rewards, list | tuple) else [rewards]
    if not originals:
        raise RipenessError("OverOptimizationMonitor.wrap: give at least one reward")
    wrapped = [as_reward(r, "proxy") for r in originals]
    names = [r.name for r in wrapped]
    if len(set(names)) != len(names):
        raise RipenessError(
            f"OverOptimizationMonitor.wrap: two rewards share a name ({', '.join(names)}); "
            "give each function its own name"
        )
    return originals, wrapped


def is_builtin(reward: Any) -> bool:
    """A reward of Ripeness's own task families (reloadable by its name)."""
    return isinstance(reward, Reward) and not isinstance(reward, ExternalReward)


def reward_name(reward: Reward, original: Any) -> str:
    """The name a config can load the reward by again (a built-in's name, a reference)."""
    if is_builtin(original):
        return reward.name
    return getattr(reward, "reference", reward.name)


def gold_scores(
    gold: Reward, gold_original: Any, rewards: list[Reward], originals: list, batch: RolloutBatch
) -> list[float]:
    """Gold's score of each completion of ``batch``: the scores it already has when gold is
    one of the rewards trained on, else gold asked now."""
    for reward, original in zip(rewards, originals, strict=True):
        if reward is gold or original is gold_original:
            return [0.0 if math.isnan(s) else s for s in batch.scores[reward.name]]
    scores = gold(batch.prompts, batch.completions, **batch.columns)
    return [0.0 if s is None else float(s) for s in scores]


class RecordedReward:
    """A reward function as TRL calls it, which hands each batch it scores to the monitor."""

    def __init__(self, function: Callable, index: int, observe: Observer):
        self.function = function
        self.index = index
        self.observe = observe
        self.__name__ = getattr(function, "__name__", None) or function.name

    def __call__(self, prompts=None, completions=None, **kwargs):
        scores = self.function(prompts=prompts, completions=completions, **kwargs)
        self.observe(self.index, prompts, completions, kwargs, scores)
        return scores
