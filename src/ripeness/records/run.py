"""A run directory: the config, metrics in SQLite, sampled completions, the checkpoint index.

Layout::

    RUN/
      config.toml        the config the run was started with (resumes read it back)
      metrics.sqlite     tables steps, evals, samples, events (one row per step in steps)
      checkpoints/       TRL/transformers checkpoints (HF format + optimizer state)
      checkpoints.json   index: step, path, figures at that step, which one is marked
      heldout.jsonl      the held-out problems training evaluated on (when it wrote them)
      base_model/        the embedded starting model, saved beside its checkpoints
      probes.sqlite      probe and assessment records by label (``ripeness report``)
      selection.json     the checkpoint to ship and why (``ripeness select``, ``report``)
      benchmarks.jsonl   the users' lm-eval / Inspect figures per checkpoint (``--benchmarks``)
      report.html        the report page

SQLite because every tool opens it (pandas, DuckDB, Datasette, the sqlite3 shell), it survives
``kill -9`` (each step is one committed transaction), and it needs no server. Wide metric rows
are stored as JSON beside the key columns, so a new monitor needs no schema change.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError
from ripeness.records.checkpoints import Checkpoint

# the event kinds are read from here too (``RunDirectory.events(kind)``)
from ripeness.records.events import ALARM, ALL_TRUNCATED, RESUME, Alarm  # noqa: F401

# the held-out evaluation series in metrics.sqlite (``RunDirectory.evals(name)``)
HELDOUT_GOLD = "heldout_gold"  # held-out answers gold accepts
HELDOUT_PROXY = "heldout_proxy"  # held-out answers the training reward pays
PROBES = "probes.sqlite"  # the probe store's file (``ripeness.records.probes.ProbeStore``)


def outcomes(evaluation: dict) -> list[bool]:
    """The per-problem outcomes of a held-out evaluation row (``RunDirectory.evals``)."""
    return [c == "1" for c in evaluation.get("outcomes", "")]


def proxy_outcomes(evaluation: dict) -> tuple[list[bool], list[float], list[bool] | None]:
    """(paid, score, hacked) per problem of a held-out proxy row; runs recorded before the
    scores were kept give the paid outcomes as the score and no hack outcomes."""
    paid = outcomes(evaluation)
    scores = evaluation.get("scores")
    hacked = evaluation.get("hacked")
    return (
        paid,
        [float(x) for x in scores] if scores is not None else [float(x) for x in paid],
        [c == "1" for c in hacked] if hacked is not None else None,
    )


def outcome_bits(values: Sequence[bool]) -> str:
    """Per-problem outcomes as stored: "0110..." (so two evaluations pair up problem by problem)."""
    return "".join("1" if v else "0" for v in values)


SCHEMA = """
CREATE TABLE IF NOT EXISTS steps (
    step INTEGER PRIMARY KEY,
    time REAL,
    proxy REAL,
    gold REAL,
    kl REAL,
    d REAL,
    hack_rate REAL,
    n INTEGER,
    metrics TEXT
);
CREATE TABLE IF NOT EXISTS evals (
    step INTEGER,
    name TEXT,
    successes INTEGER,
    n INTEGER,
    rate REAL,
    low REAL,
    high REAL,
    extra TEXT,
    PRIMARY KEY (step, name)
);
CREATE TABLE IF NOT EXISTS samples (
    step INTEGER,
    idx INTEGER,
    item_id TEXT,
    prompt TEXT,
    completion TEXT,
    gold REAL,
    proxy REAL,
    hacked INTEGER,
    tokens INTEGER,
    rewards TEXT,
    PRIMARY KEY (step, idx)
);
CREATE TABLE IF NOT EXISTS events (
    step INTEGER,
    time REAL,
    kind TEXT,
    message TEXT,
    data TEXT
);
"""


def finite(value: Any) -> Any:
    """NaN and infinities become None, so every JSON reader (and SQLite's json1) accepts it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


class _File:
    """A file (or folder) of the run, read as a property: ``run.metrics_path``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, run: RunDirectory, owner: type | None = None) -> Path:
        return run.path / self.name


class RunDirectory:
    """Everything one training run records; safe to reopen after a crash."""

    CONFIG = "config.toml"
    METRICS = "metrics.sqlite"
    CHECKPOINTS = "checkpoints"
    INDEX = "checkpoints.json"
    HELDOUT = "heldout.jsonl"
    BASE_MODEL = "base_model"  # the embedded starting model (a real one stays where it is)
    PROBES = PROBES
    SELECTION = "selection.json"
    BENCHMARKS = "benchmarks.jsonl"
    REPORT = "report.html"

    # -- files --------------------------------------------------------------------------
    config_path = _File(CONFIG)
    metrics_path = _File(METRICS)
    checkpoints_dir = _File(CHECKPOINTS)
    index_path = _File(INDEX)
    heldout_path = _File(HELDOUT)
    base_model_path = _File(BASE_MODEL)
    probes_path = _File(PROBES)
    selection_path = _File(SELECTION)
    benchmarks_path = _File(BENCHMARKS)
    report_path = _File(REPORT)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def is_run(self) -> bool:
        """Training (or ``ripeness assess``) has recorded here: metrics.sqlite exists."""
        return self.metrics_path.is_file()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = sqlite3.connect(self.metrics_path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @classmethod
    def open_existing(cls, path: Path) -> RunDirectory:
        run = cls(path)
        if not run.config_path.is_file():
            raise RipenessError(
                f"{path} is not a Ripeness run ({cls.CONFIG} missing); "
                "pass the folder `ripeness train` created"
            )
        return run

    # -- writing --------------------------------------------------------------------------
    def record_step(
        self,
        step: int,
        metrics: Mapping[str, Any],
        samples: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """One step's figures and samples, in one transaction (all or nothing on a crash)."""
        metrics = finite(dict(metrics))
        samples = [finite(dict(s)) for s in samples]
        with self.db:
            self.db.execute("DELETE FROM samples WHERE step = ?", (step,))
            self.db.execute(
                "INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    step,
                    time.time(),
                    metrics.get("proxy"),
                    metrics.get("gold"),
                    metrics.get("kl"),
                    metrics.get("d"),
                    metrics.get("hack_rate"),
                    metrics.get("n"),
                    json.dumps(metrics),
                ),
            )
            self.db.executemany(
                "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        step,
                        i,
                        s.get("item_id"),
                        s.get("prompt"),
                        s.get("completion"),
                        s.get("gold"),
                        s.get("proxy"),
                        int(bool(s.get("hacked"))),
                        s.get("tokens"),
                        json.dumps(s.get("rewards", {})),
                    )
                    for i, s in enumerate(samples)
                ],
            )

    def record_eval(self, step: int, name: str, rate, extra: Mapping | None = None) -> None:
        """A held-out evaluation (a :class:`ripeness.stats.Rate`) at ``step``."""
        low, high = rate.interval
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO evals VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    step,
                    name,
                    rate.successes,
                    rate.n,
                    rate.value,
                    low,
                    high,
                    json.dumps(extra or {}),
                ),
            )

    def record_event(self, step: int, kind: str, message: str, data: Mapping | None = None) -> None:
        """One event at ``step`` (its ``kind``: ALARM, RESUME, ALL_TRUNCATED, ...)."""
        with self.db:
            self.db.execute(
                "INSERT INTO events VALUES (?, ?, ?, ?, ?)",
                (step, time.time(), kind, message, json.dumps(data or {})),
            )

    def forget_after(self, step: int) -> None:
        """Drop what was recorded after ``step`` (a resume recomputes those steps)."""
        with self.db:
            for table in ("steps", "samples", "evals", "events"):
                self.db.execute(f"DELETE FROM {table} WHERE step > ?", (step,))

    # -- reading --------------------------------------------------------------------------
    def steps(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT step, metrics FROM steps ORDER BY step").fetchall()
        return [{"step": step, **json.loads(metrics)} for step, metrics in rows]

    def evals(self, name: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT step, name, successes, n, rate, low, high, extra FROM evals"
        args: tuple = ()
        if name:
            query, args = query + " WHERE name = ?", (name,)
        rows = self.db.execute(query + " ORDER BY step", args).fetchall()
        keys = ("step", "name", "successes", "n", "rate", "low", "high")
        return [{**dict(zip(keys, r[:7], strict=True)), **json.loads(r[7])} for r in rows]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        query, args = "SELECT step, time, kind, message, data FROM events", ()
        if kind:
            query, args = query + " WHERE kind = ?", (kind,)
        rows = self.db.execute(query + " ORDER BY rowid", args).fetchall()
        return [
            {"step": s, "time": t, "kind": k, "message": m, **json.loads(d)}
            for s, t, k, m, d in rows
        ]

    def first_alarm(self) -> Alarm | None:
        """The alarm, where it fired (it fires once a run; a resume forgets a later one)."""
        alarms = self.events(ALARM)
        return Alarm.from_record(alarms[0]) if alarms else None

    def samples(self, step: int) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT item_id, prompt, completion, gold, proxy, hacked, tokens, rewards "
            "FROM samples WHERE step = ? ORDER BY idx",
            (step,),
        ).fetchall()
        keys = ("item_id", "prompt", "completion", "gold", "proxy", "hacked", "tokens")
        return [{**dict(zip(keys, r[:7], strict=True)), "rewards": json.loads(r[7])} for r in rows]

    # -- checkpoints ----------------------------------------------------------------------
    def checkpoints(self) -> list[dict[str, Any]]:
        """The checkpoint index, oldest first, listing only checkpoints that were fully saved
        (another trainer's, ``external``, only need to exist: their format is theirs)."""
        index = json.loads(self.index_path.read_text()) if self.index_path.is_file() else []
        return [
            c
            for c in index
            if (c.get("external") and (self.path / c["path"]).is_dir())
            or _complete(self.path / c["path"])
        ]

    def checkpoint_index(self) -> list[Checkpoint]:
        """:meth:`checkpoints`, typed."""
        return [Checkpoint.from_record(c) for c in self.checkpoints()]

    def marked(self) -> Checkpoint | None:
        """The checkpoint the monitor marked nearest the held-out gold peak, if any."""
        return next((c for c in self.checkpoint_index() if c.marked), None)

    def write_checkpoints(self, index: Sequence[Mapping[str, Any] | Checkpoint]) -> None:
        """Replace the index atomically (write, then rename), so a crash never leaves half.
        Entries are the index's dicts or :class:`Checkpoint` objects."""
        rows = [c.to_record() if isinstance(c, Checkpoint) else c for c in index]
        tmp = self.path / (self.INDEX + ".tmp")
        tmp.write_text(json.dumps(rows, indent=2))
        os.replace(tmp, self.index_path)

    def latest_checkpoint(self) -> Path | None:
        """The newest complete checkpoint on disk (``trainer_state.json`` is written last)."""
        done = [p for p in self.checkpoints_dir.glob("checkpoint-*") if _complete(p)]
        return max(done, key=checkpoint_step, default=None)


def checkpoint_step(checkpoint: Path) -> int:
    """The step a ``checkpoint-N`` folder was saved at."""
    return int(checkpoint.name.split("-")[-1])


def _complete(checkpoint: Path) -> bool:
    """Saved to the end: its trainer state exists and parses (a kill can cut it mid-write)."""
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return True
