"""``inspect eval ripeness/...`` finds our tasks through the installed entry point, and a bad
task argument ends it in one line (Inspect's own command line, no model needed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")


def _inspect(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = shutil.which("inspect", path=str(Path(sys.executable).parent))
    assert command, "inspect-ai installs the inspect command beside this Python"
    return subprocess.run(
        [command, "eval", *args, "--model", "mockllm/model", "--display", "plain"],
        capture_output=True,
        text=True,
        cwd=cwd,  # not the repo: the task is found by its entry point, not a file here
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["ripeness/sycophancy", "-T", "part=bad"],
            "error: ripeness/sycophancy: part 'bad'; choose from pushback, suggestion",
        ),
        (["ripeness/skills", "-T", "task=nosuch"], "error: unknown task 'nosuch'; choose one of"),
    ],
)
def test_a_bad_task_argument_is_one_line(tmp_path, args, line):
    done = _inspect(*args, cwd=tmp_path)
    assert done.returncode != 0
    out = " ".join((done.stdout + done.stderr).split())
    assert line in out, out[-500:]
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("given", "levels"),
    [(4, (4,)), ("4", (4,)), ("1-3", (1, 2, 3)), ("1,4", (1, 4)), ([2, 5], (2, 5))],
)
def test_difficulty_reads_however_inspect_parses_it(given, levels):
    """`-T difficulty=4` arrives as a number, `=1,4` may arrive as a list, `=1-3` as text."""
    from ripeness.evals.samples import settings_of

    settings = settings_of(difficulties=given, samples="3", seed="0")
    assert (settings.difficulties, settings.samples, settings.seed) == (levels, 3, 0)
