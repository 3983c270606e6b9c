"""veRL adapter: Ripeness rewards as veRL's ``compute_score``, and rows in veRL's format.

Point veRL's custom reward at this file::

    REWARD=$(python -c "import ripeness.tasks.verl as m; print(m.__file__)")
    python -m verl.trainer.main_ppo ... reward.custom_reward_function.path=$REWARD \
        reward.custom_reward_function.name=compute_score

and write its data with ``ripeness tasks export TASK --format verl``. The row's
``data_source`` is the Ripeness task name; ``extra_info`` carries the metadata the verifiers
need and, optionally, which reward to use (gold by default). ``examples/verl/`` has a whole GRPO
config; ``make verl-check`` checks it in veRL's own environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from ripeness.tasks.base import TaskFamily, TaskItem, parse_metadata
from ripeness.tasks.registry import get_family, reward_by_name


@lru_cache(maxsize=32)
def _family(task: str) -> TaskFamily:
    return get_family(task)


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str,
    extra_info: Mapping[str, Any] | None = None,
) -> float:
    """veRL's reward-function signature; the reward is ``extra_info['reward']`` or gold."""
    extra_info = extra_info or {}
    family = _family(data_source)
    reward = reward_by_name(family, extra_info.get("reward") or family.gold.name)
    metadata = parse_metadata(extra_info.get("metadata"))
    return float(reward.score(solution_str, str(ground_truth), metadata) or 0.0)


def verl_row(item: TaskItem, reward: str | None = None, split: str = "train") -> dict[str, Any]:
    """One row of a veRL RL dataset (the layout of veRL's own data preprocessing scripts)."""
    columns = item.columns()
    return {
        "data_source": item.task,
        "prompt": columns["prompt"],
        "ability": item.task.partition(":")[0],
        "reward_model": {"style": "rule", "ground_truth": item.answer},
        "extra_info": {
            "split": split,
            "index": item.id,
            "difficulty": item.difficulty,
            "metadata": columns["metadata"],
            "reward": reward or "",
        },
    }


def verl_rows(items: Sequence[TaskItem], reward: str | None = None, split: str = "train"):
    return [verl_row(item, reward, split) for item in items]
