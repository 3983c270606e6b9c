"""Shared fixtures: one small warm-started model per test session (about half a minute)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory) -> Path:
    """A tiny model warm-started briefly through the real CLI: enough to learn the format."""
    from ripeness.cli import main

    out = tmp_path_factory.mktemp("model")
    code = main(
        [
            "model",
            "init",
            "--out",
            str(out),
            "--examples",
            "4000",
            "--max-difficulty",
            "3",
            "--quiet",
        ]
    )
    assert code == 0
    return out
