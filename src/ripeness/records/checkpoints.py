"""One entry of a run's checkpoint index (``checkpoints.json``), typed.

The monitor writes an entry when TRL saves a checkpoint (its step, its folder, the rollout
figures at that step) and marks the one nearest the held-out gold peak; ``ripeness assess``
writes one per folder of another trainer. :meth:`Checkpoint.from_record` and
:meth:`Checkpoint.to_record` keep the JSON exactly as it is on disk, keys and order alike,
unknown keys included, so a reader never rewrites what it did not mean to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# the rollout figures the monitor copies into an entry at the step it was saved
FIGURES = ("proxy", "gold", "d")
_KNOWN = {"step", "marked", "path", "external", "gold_peak_step", *FIGURES}


@dataclass(frozen=True)
class Checkpoint:
    """A saved checkpoint as the index lists it."""

    step: int
    path: str  # relative to the run folder; absolute when ``external``
    marked: bool = False  # nearest the held-out gold peak (one per index, once there is a peak)
    external: bool = False  # saved outside the run folder (another trainer's, or output_dir)
    figures: Mapping[str, Any] = field(default_factory=dict)  # proxy, gold, d at that step
    gold_peak_step: int | None = None  # the peak the mark was placed by
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys this version does not know

    def folder(self, run_path: Path) -> Path:
        """The checkpoint's folder (an absolute ``path`` stays as it is)."""
        return Path(run_path) / self.path

    @classmethod
    def from_record(cls, row: Mapping[str, Any]) -> Checkpoint:
        return cls(
            step=row["step"],
            path=row["path"],
            marked=bool(row.get("marked")),
            external=bool(row.get("external")),
            figures={k: row[k] for k in FIGURES if k in row},
            gold_peak_step=row.get("gold_peak_step"),
            extra={k: v for k, v in row.items() if k not in _KNOWN},
        )

    def to_record(self) -> dict[str, Any]:
        """The entry as ``checkpoints.json`` holds it (the monitor's key order)."""
        row: dict[str, Any] = {"step": self.step, "marked": self.marked, "path": self.path}
        if self.external:
            row["external"] = True
        row.update({k: self.figures[k] for k in FIGURES if k in self.figures})
        if self.gold_peak_step is not None:
            row["gold_peak_step"] = self.gold_peak_step
        row.update(self.extra)
        return row
