"""Difficulty levels as a command line writes them: ``1-3``, ``1,4,6`` or "up to N".

One parser for every command that takes levels, so each says the same one line when a level
cannot be read.
"""

from __future__ import annotations

from ripeness.errors import RipenessError


def parse_difficulties(text: str, option: str = "--difficulty") -> list[int]:
    """``"1-3"`` -> [1, 2, 3]; ``"1,4"`` -> [1, 4]; every level must be at least 1."""
    levels: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            levels.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise RipenessError(f"{option} must look like 1-3 or 1,4,6, got {text!r}") from None
    if not levels or min(levels) < 1:
        raise RipenessError(f"difficulties must be at least 1, got {text!r}")
    return levels


def levels_up_to(highest: int, option: str = "--max-difficulty") -> tuple[int, ...]:
    """Levels 1 to ``highest``; ``highest`` must be at least 1."""
    if highest < 1:
        raise RipenessError(f"{option} must be at least 1, got {highest}")
    return tuple(range(1, highest + 1))
