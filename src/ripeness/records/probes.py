"""Probe results on disk: every per-sample record and every summary figure, in SQLite.

One file (``probes.sqlite``) holds many models' results, keyed by a label (a checkpoint name,
a URL): the report reads trends from it, and ``ripeness probe compare`` pairs two labels'
records sample by sample. Records are written per probe in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from ripeness.records.run import finite

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
    FILE = "probes.sqlite"

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
