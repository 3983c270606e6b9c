"""The training processes of one run, as `accelerate launch` (or torchrun) starts them.

The monitor runs in every process: each sees only its shard of a batch's rollouts, so the
shards are gathered before anything is recorded, and the main process alone writes and
decides (the alarm), then tells the others. These are thin names over torch.distributed's
object collectives (what accelerate's ``gather_object`` uses), so one process costs nothing.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")


def processes():
    """accelerate's process state, started from the launcher's environment (gloo on CPU)."""
    from accelerate import PartialState

    die_with_launcher()
    return PartialState(cpu=not torch.cuda.is_available())


def die_with_launcher() -> None:
    """Under torchrun (what `accelerate launch` runs), end this worker when its launcher dies,
    even by ``kill -9``: a worker left behind would go on training and writing into the run
    that ``--resume`` is continuing."""
    if sys.platform != "linux" or not os.environ.get("TORCHELASTIC_RUN_ID"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the launcher was already gone before the call
        os.kill(os.getpid(), signal.SIGKILL)


def distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if distributed() else 0


def world_size() -> int:
    return dist.get_world_size() if distributed() else 1


def gathered(items: Sequence[T]) -> list[T]:
    """Every process's items, concatenated in rank order (the global batch order)."""
    if not distributed():
        return list(items)
    shards: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(shards, list(items))
    return [item for shard in shards for item in shard]


def from_main(value: T) -> T:
    """The main process's value, in every process (a decision only it can make)."""
    if not distributed():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def my_share(items: Sequence[T]) -> list[T]:
    """This process's contiguous share of ``items``: gathering the shares restores the order."""
    size = -(-len(items) // world_size())
    start = rank() * size
    return list(items[start : start + size])
