"""Problems and results written to files: JSONL or Parquet rows, and one JSON document.

Every writer makes the folder it writes into, so a command's ``--out`` may name a new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from ripeness.errors import RipenessError

ROW_SUFFIXES = (".jsonl", ".parquet")


def write_jsonl(path: Path, rows: Iterable[Mapping]) -> Path:
    """One JSON object a line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def write_json(path: Path, document: Mapping) -> Path:
    """One indented JSON document (a stress test's or a selection's figures)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


def check_rows_file(path: Path) -> Path:
    """``path`` when its suffix says how to write rows, else one line naming the choices."""
    if path.suffix not in ROW_SUFFIXES:
        raise RipenessError(f"--out must end in .jsonl or .parquet, got {path.name}")
    return path


def write_rows(path: Path, rows: list[dict]) -> Path:
    """Rows as JSONL or as Parquet (a Hugging Face dataset), by ``path``'s suffix."""
    check_rows_file(path)
    if path.suffix == ".jsonl":
        return write_jsonl(path, rows)
    from datasets import Dataset

    path.parent.mkdir(parents=True, exist_ok=True)
    Dataset.from_list(rows).to_parquet(str(path))
    return path
