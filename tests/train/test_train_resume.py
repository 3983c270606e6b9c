"""A GRPO run killed with SIGKILL at any moment resumes and loses no recorded step."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.records.run import RunDirectory

pytestmark = pytest.mark.slow

CONFIG = """
[run]
name = "{name}"
out = "{out}"
seed = 3
[model]
path = "{model}"
[task]
difficulties = [2, 3]
train_problems = 200
heldout_problems = 20
[grpo]
steps = {steps}
prompts_per_step = 4
num_generations = 4
max_completion_length = 48
[monitor]
eval_every = 4
samples_per_step = 4
[checkpoints]
every = 3
"""


def write_config(tmp_path, model, name="run", steps=10):
    path = tmp_path / f"{name}.toml"
    path.write_text(CONFIG.format(name=name, out=tmp_path / "runs", model=model, steps=steps))
    return path


def recorded_steps(run_dir):
    """Steps in the run's metrics file; none while the trainer has created it but no tables."""
    with sqlite3.connect(run_dir / "metrics.sqlite") as db:
        try:
            return [row[0] for row in db.execute("SELECT step FROM steps ORDER BY step")]
        except sqlite3.OperationalError:  # polled between the file's creation and its schema
            return []


def test_resume_after_kill_9_loses_no_step(trained_model_dir, tmp_path):
    config = write_config(tmp_path, trained_model_dir)
    run_dir = tmp_path / "runs" / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "ripeness.cli", "train", str(config), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        done = (run_dir / "metrics.sqlite").exists() and recorded_steps(run_dir)
        if done and max(done) >= 5:  # past the checkpoint at step 3, mid-way to the next
            break
        time.sleep(0.2)
    assert process.poll() is None, process.stderr.read()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = recorded_steps(run_dir)
    assert before[:5] == [1, 2, 3, 4, 5]

    result = ripeness("train", "--resume", str(run_dir), "--quiet")
    assert result.returncode == 0, result.stderr
    assert recorded_steps(run_dir) == list(range(1, 11))  # every step once, none lost
    run = RunDirectory(run_dir)
    resumes = run.events("resume")
    assert len(resumes) == 1 and resumes[0]["step"] in (3, 6)
    steps_in_index = [c["step"] for c in run.checkpoints()]
    assert steps_in_index == sorted(set(steps_in_index)) and steps_in_index[-1] == 10
    assert sum(c["marked"] for c in run.checkpoints()) == 1
    evals = [e["step"] for e in run.evals("heldout_gold")]
    assert evals == sorted(set(evals)) and evals[0] == 0 and evals[-1] == 10
    first = run.steps()[0]
    assert first["kl"] == pytest.approx(0.0, abs=1e-4)  # the first rollouts come from the start
    samples = run.samples(10)
    assert len(samples) == 4 and all(s["completion"] is not None for s in samples)
    run.close()


def test_starting_over_an_existing_run_is_refused(trained_model_dir, tmp_path):
    config = write_config(tmp_path, trained_model_dir, name="again", steps=2)
    assert ripeness("train", str(config), "--quiet").returncode == 0
    assert_one_line_error(ripeness("train", str(config), "--quiet"), "already holds a run")
    index = json.loads((tmp_path / "runs" / "again" / "checkpoints.json").read_text())
    assert [c["step"] for c in index] == [2]


def test_bad_train_input_is_one_line(tmp_path):
    assert_one_line_error(ripeness("train"), "CONFIG")
    assert_one_line_error(ripeness("train", str(tmp_path / "none.toml")), "no config")
    assert_one_line_error(ripeness("train", "--resume", str(tmp_path)), "not a Ripeness run")
    bad = tmp_path / "bad.toml"
    bad.write_text('[model]\npath = "/nonexistent"\n')
    assert_one_line_error(ripeness("train", str(bad)), "no model at /nonexistent")
