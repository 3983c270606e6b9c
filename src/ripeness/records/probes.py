"""Probe results on disk: every per-sample record and every summary figure, in SQLite.

One file (``probes.sqlite``) holds many models' results, keyed by a label (a checkpoint name,
a URL): the report reads trends from it, and ``ripeness probe compare`` pairs two labels'
records sample by sample. Records are written per probe in one transaction.

A :class:`ProbeResult` is what a probe (or training's held-out evaluation) returns: records
that carry a stable ``sample_id`` (:func:`sample_id`) and summary figures built with
:func:`rate_of` and :func:`mean_of`, each with n and a 95% interval.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ripeness.records.run import PROBES, finite
from ripeness.stats import Mean, PairedComparison, Rate, Statistic

Estimate = Rate | Mean | Statistic


@dataclass
class ProbeResult:
    probe: str
    records: list[dict[str, Any]]
    summary: dict[str, Estimate] = field(default_factory=dict)
    effects: dict[str, PairedComparison | None] = field(default_factory=dict)  # within-sample

    def summary_dict(self) -> dict[str, dict]:
        figures = {
            name: {"kind": type(est).__name__.lower(), **est.as_dict()}
            for name, est in self.summary.items()
        }
        for name, effect in self.effects.items():
            if effect is not None:
                figures[name] = {"kind": "paired", **effect.as_dict()}
        return figures


def sample_id(*parts: Any) -> str:
    """Stable id of a probe sample, from what was asked (so runs pair up sample by sample)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def rate_of(
    records: Sequence[dict], key: str, where: Callable[[dict], bool] = lambda r: True
) -> Rate:
    """Share of ``records`` (passing ``where``, having ``key``) where ``key`` is true."""
    chosen = [r[key] for r in records if where(r) and r.get(key) is not None]
    return Rate(sum(bool(v) for v in chosen), len(chosen))


def mean_of(
    records: Sequence[dict], key: str, where: Callable[[dict], bool] = lambda r: True
) -> Mean:
    """Mean of ``key`` over ``records`` (passing ``where``, having ``key``)."""
    return Mean.of(r[key] for r in records if where(r) and r.get(key) is not None)


SCHEMA = """
CREATE TABLE IF NOT EXISTS probe_runs (
    label TEXT, probe TEXT, time REAL, settings TEXT, PRIMARY KEY (label, probe)
);
CREATE TABLE IF NOT EXISTS probe_records (
    label TEXT, probe TEXT, idx INTEGER, sample_id TEXT, data TEXT,
    PRIMARY KEY (label, probe, idx)
);
CREATE TABLE IF NOT EXISTS probe_summaries (
    label TEXT, probe TEXT, name TEXT, data TEXT, PRIMARY KEY (label, probe, name)
);
"""


class ProbeStore:
    FILE = PROBES

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / self.FILE
        self.db = sqlite3.connect(self.path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def save(self, label: str, result, settings: dict[str, Any]) -> None:
        with self.db:
            for table in ("probe_runs", "probe_records", "probe_summaries"):
                self.db.execute(
                    f"DELETE FROM {table} WHERE label = ? AND probe = ?", (label, result.probe)
                )
            self.db.execute(
                "INSERT INTO probe_runs VALUES (?, ?, ?, ?)",
                (label, result.probe, time.time(), json.dumps(settings)),
            )
            self.db.executemany(
                "INSERT INTO probe_records VALUES (?, ?, ?, ?, ?)",
                [
                    (label, result.probe, i, r.get("sample_id"), json.dumps(finite(r)))
                    for i, r in enumerate(result.records)
                ],
            )
            self.db.executemany(
                "INSERT INTO probe_summaries VALUES (?, ?, ?, ?)",
                [
                    (label, result.probe, name, json.dumps(finite(data)))
                    for name, data in result.summary_dict().items()
                ],
            )

    def labels(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT label FROM probe_runs ORDER BY time").fetchall()
        return [r[0] for r in rows]

    def settings(self, label: str, probe: str) -> dict[str, Any] | None:
        """What a stored result was made with (as saved), or None when there is none."""
        row = self.db.execute(
            "SELECT settings FROM probe_runs WHERE label = ? AND probe = ?", (label, probe)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def records(self, label: str, probe: str) -> list[dict]:
        rows = self.db.execute(
            "SELECT data FROM probe_records WHERE label = ? AND probe = ? ORDER BY idx",
            (label, probe),
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def summary(self, label: str, probe: str | None = None) -> dict[str, dict[str, dict]]:
        """``{probe: {figure: {...}}}`` for one label."""
        query = "SELECT probe, name, data FROM probe_summaries WHERE label = ?"
        args: tuple = (label,)
        if probe:
            query, args = query + " AND probe = ?", (label, probe)
        out: dict[str, dict[str, dict]] = {}
        for p, name, data in self.db.execute(query, args).fetchall():
            out.setdefault(p, {})[name] = json.loads(data)
        return out

    def close(self) -> None:
        self.db.close()
