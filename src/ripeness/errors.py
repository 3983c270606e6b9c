"""User-facing errors: the CLI prints their message as one line, never a traceback."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class RipenessError(Exception):
    """Bad input or environment; the message says what is wrong and how to fix it."""


class AlarmStopped(RipenessError):
    """A run the alarm stopped (``alarm_action = "stop"``) was resumed: it trains no further
    step. ``trainer.train(resume_from_checkpoint=...)`` raises it before any step."""

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step  # where the alarm stopped the run


def writable_dir(path: Path, what: str = "output folder") -> Path:
    """Create ``path`` if needed and prove it is writable, or raise a one-line error."""
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"):
            pass
    except FileExistsError:
        raise RipenessError(f"{what} {path} is a file, not a folder; pass a folder path") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise RipenessError(
            f"cannot write to {what} {path}: {reason}; choose a writable folder"
        ) from None
    if not os.access(path, os.W_OK):
        raise RipenessError(f"cannot write to {what} {path}; choose a writable folder")
    return path


def positive(value: int, flag: str) -> int:
    """``value`` if it is at least 1, else a one-line error naming the option."""
    if value < 1:
        raise RipenessError(f"{flag} must be at least 1, got {value}")
    return value
