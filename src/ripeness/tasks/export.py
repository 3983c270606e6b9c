"""The problems ``ripeness tasks export`` writes, for TRL or veRL.

A family that can give fewer problems than asked (``generate_up_to``: reasoning-gym, whose
easy levels can have a small problem space) is asked that way, and the export says in one line
what it took instead of an even spread, or that it wrote every distinct problem there is.
Problems are distinct, and the split is by question hash: none is in both train and held-out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ripeness.tasks.base import TaskFamily, TaskItem


def export_items(
    family: TaskFamily, n: int, seed: int, difficulties: Sequence[int], split: str
) -> tuple[list[TaskItem], str | None]:
    """Up to ``n`` problems over ``difficulties``, and a one-line notice when they are not
    ``n`` spread evenly (None when they are)."""
    difficulties = list(difficulties)
    up_to = getattr(family, "generate_up_to", None)
    if up_to is None:
        return family.generate(n, seed, difficulties, split), None
    items, shortfalls = up_to(n, seed, difficulties, split)
    if not shortfalls:
        return items, None
    counts = Counter(item.difficulty for item in items)
    small = [d for d in difficulties if d in shortfalls and not shortfalls[d]]
    parts = []
    if small:
        parts.append(
            f"only {_and([str(counts[d]) for d in small])} distinct {split} problems at "
            f"{'difficulty' if len(small) == 1 else 'difficulties'} {_and(map(str, small))}"
        )
    parts += [
        f"reasoning-gym cannot make problems at difficulty {d} ({why})"
        for d, why in shortfalls.items()
        if why
    ]
    spread = ", ".join(f"{counts[d]} at difficulty {d}" for d in difficulties)
    done = (
        f"wrote all {len(items)}, not {n}"
        if len(items) < n
        else "took the rest from the other difficulties"
    )
    return items, f"{family.name}: {'; '.join(parts)}; {done} ({spread})"


def _and(words) -> str:
    """``["8", "9", "8"]`` as ``8, 9 and 8``."""
    words = list(words)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
