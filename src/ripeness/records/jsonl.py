"""The one JSONL reader: every row a JSON object, and a broken line named by file and number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError


def read_jsonl(path: Path | str, what: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``("FILE:LINE", row)`` for every non-blank line of ``path``.

    A missing file, a line that is not JSON or a row that is not an object raises one
    ``RipenessError`` naming the place (``what`` says what the file should hold), so the caller
    can add the row's place to its own checks of the fields.
    """
    path = Path(path)
    kind = f" ({what})" if what else ""
    if not path.is_file():
        raise RipenessError(f"no such file: {path}{kind}")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise RipenessError(f"{where}: not a JSON line{kind}: {exc.msg}") from None
            if not isinstance(row, dict):
                raise RipenessError(
                    f"{where}: expected a JSON object{kind}, got {type(row).__name__}"
                )
            yield where, row
