"""The kinds of events a run records, and the alarm event typed.

Each event row in ``metrics.sqlite`` has a step, a time, a kind, a one-line message and its
figures as JSON (``RunDirectory.events``); a resume forgets those after its step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ALARM = "alarm"  # the alarm fired: its status and the action taken ("action")
RESUME = "resume"  # training resumed from the checkpoint at this step
# every completion of the step ran into max_completion_length (TRL's completions/clipped_ratio
# was 1): its rewards scored unfinished replies, and with mask_truncated_completions the loss
# masked them all, so the step trained on nothing (TRL issue 6220)
ALL_TRUNCATED = "all_truncated"


class AlarmKind(StrEnum):
    """What the alarm saw (``AlarmStatus.alarm_kind``); runs recorded before alarms had kinds
    were over-optimization alarms."""

    OVER_OPTIMIZATION = "over-optimization"  # gold fell from its peak while the proxy held
    REGRESSION = "regression"  # gold fell and the proxy fell with it
    REWARD_HACKING = "reward hacking"  # the proxy outran gold while gold never rose


OVER_OPTIMIZATION = AlarmKind.OVER_OPTIMIZATION
_ROW = ("step", "time", "kind", "message")


@dataclass(frozen=True)
class Alarm:
    """An alarm event: where it fired, what kind, why, and the figures it fired on."""

    step: int
    message: str  # as recorded: "KIND: why, in a sentence"
    figures: Mapping[str, Any] = field(default_factory=dict)  # action, source, p_value, ...
    time: float | None = None

    @property
    def kind(self) -> str:
        """over-optimization, regression or reward hacking."""
        return self.figures.get("alarm_kind") or OVER_OPTIMIZATION

    @property
    def reason(self) -> str:
        """Why it fired, in a sentence (the message without its kind in front)."""
        return self.message.removeprefix(f"{self.kind}: ")

    @property
    def action(self) -> str | None:
        """What the run did about it: warn, checkpoint or stop."""
        return self.figures.get("action")

    @property
    def source(self) -> str | None:
        """Which check fired: on the rollouts or on the held-out evaluations."""
        return self.figures.get("source")

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> Alarm:
        """From a row of ``RunDirectory.events(ALARM)``."""
        return cls(
            step=row["step"],
            message=row["message"],
            figures={k: v for k, v in row.items() if k not in _ROW},
            time=row.get("time"),
        )

    def to_record(self) -> dict[str, Any]:
        """The row ``RunDirectory.events`` reads back for it."""
        return {
            "step": self.step,
            "time": self.time,
            "kind": ALARM,
            "message": self.message,
            **self.figures,
        }
