"""Helpers shared by the command-line tests."""

import os
import subprocess
import sys


def ripeness(
    *args: str, cwd=None, timeout: float = 120, threads: int | None = None
) -> subprocess.CompletedProcess:
    """Run the CLI; ``threads`` overrides the one torch thread of a test worker (conftest)."""
    env = None
    if threads is not None:
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    return subprocess.run(
        [sys.executable, "-m", "ripeness.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]
