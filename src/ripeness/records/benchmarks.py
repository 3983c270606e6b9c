"""The users' own benchmark figures, kept in the run folder (``RUN/benchmarks.jsonl``).

One line per benchmark and checkpoint: what lm-eval or Inspect measured on it, with the
interval recomputed from its samples and the per-sample values by sample id (so two
checkpoints pair sample by sample). ``ripeness report RUN --benchmarks DIR`` writes them once;
every later report of the run reads them back. A new import replaces the figures of the same
benchmark at the same step and keeps every other; the file is replaced atomically, so a failed
import loses nothing already there.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ripeness.records.jsonl import read_jsonl
from ripeness.stats import Mean


@dataclass
class BenchmarkFigure:
    """One benchmark's figure for one checkpoint, as imported."""

    benchmark: str  # "lm-eval:TASK/METRIC,FILTER" or "inspect:TASK/SCORER"
    tool: str  # "lm-eval" or "inspect"
    step: int
    label: str
    model: str  # the model path or name the file names
    file: str  # the file it was read from
    value: float
    low: float
    high: float
    n: int
    interval: str  # "Wilson", "bootstrap", "stderr" (no samples) or "none"
    samples: dict[str, float] | None = None  # sample id -> value, where the tool wrote them
    reported: dict = field(default_factory=dict)  # the tool's own value and stderr
    higher_is_better: bool = True

    @classmethod
    def from_samples(cls, samples: dict[str, float], reported: dict, **where) -> BenchmarkFigure:
        """The figure recomputed from per-sample values (the tool's stderr is not used)."""
        mean = Mean.of(samples.values())
        low, high = mean.interval
        return cls(
            value=mean.value, low=low, high=high, n=mean.n, interval=mean.interval_name,
            samples=samples, reported=reported, **where,
        )  # fmt: skip

    @classmethod
    def from_reported(cls, value: float, stderr, n: int, **where) -> BenchmarkFigure:
        """Without samples: the tool's value, with a normal interval only where its stderr is
        a positive number (a stderr of 0 or "N/A" says nothing about the spread)."""
        reported = {"value": value, "stderr": stderr}
        if isinstance(stderr, int | float) and stderr > 0 and math.isfinite(stderr):
            low, high, kind = value - 1.96 * stderr, value + 1.96 * stderr, "stderr"
        else:
            low, high, kind = math.nan, math.nan, "none"
        return cls(value=value, low=low, high=high, n=n, interval=kind, reported=reported,
                   **where)  # fmt: skip

    @property
    def se(self) -> float:
        """The standard error its interval implies (NaN where it has none)."""
        return (self.high - self.low) / (2 * 1.96)

    def percent(self) -> str:
        """``40% (95% CI 33%-47%, n=300)``, or the value alone where there is no interval."""
        if self.interval == "none":
            return f"{self.value:.3g} (no interval: the tool gave no samples or stderr, n={self.n})"
        return f"{self.value:.0%} (95% CI {self.low:.0%}-{self.high:.0%}, n={self.n})"

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in asdict(self).items()}  # fmt: skip

    @classmethod
    def from_dict(cls, row: dict) -> BenchmarkFigure:
        row = {k: (math.nan if v is None and k in ("low", "high", "value") else v)
               for k, v in row.items()}  # fmt: skip
        return cls(**row)


def read_benchmarks(path: Path) -> list[BenchmarkFigure]:
    """The figures kept at ``path`` (none when the run has imported none)."""
    if not Path(path).is_file():
        return []
    return [BenchmarkFigure.from_dict(row) for _, row in read_jsonl(path, "benchmark figures")]


def save_benchmarks(path: Path, figures: list[BenchmarkFigure]) -> list[BenchmarkFigure]:
    """Add ``figures`` to those at ``path`` (replacing the same benchmark at the same step);
    return them all. Written to a temporary file and renamed: all or nothing."""
    path = Path(path)
    kept = {(f.benchmark, f.step): f for f in read_benchmarks(path)}
    kept.update({(f.benchmark, f.step): f for f in figures})
    rows = sorted(kept.values(), key=lambda f: (f.benchmark, f.step))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(f.as_dict()) + "\n" for f in rows))
    os.replace(tmp, path)
    return rows
