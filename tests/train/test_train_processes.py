"""`ripeness train` under `accelerate launch` with 2 processes on CPU (torchrun, gloo).

Each process generates and scores only its shard of a step's prompts; the monitor gathers the
shards before recording. TRL logs the gathered batch's reward means, lengths and zero-variance
share itself, so its log is the witness: every recorded figure must equal TRL's for the whole
batch, in one process and in two, and the two must see the same prompts at every step.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers import ripeness
from ripeness.records.run import HELDOUT_GOLD, RunDirectory

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DDP = ROOT / "examples" / "accelerate" / "ddp.yaml"

CONFIG = """
[run]
name = "{name}"
out = "{out}"
seed = 3
[model]
path = "{model}"
[task]
difficulties = {difficulties}
train_problems = 200
heldout_problems = 20
[grpo]
steps = {steps}
prompts_per_step = 4
num_generations = 4
max_completion_length = 40
learning_rate = {lr}
[reward]
components = [{{name = "gold", weight = 1.0}}, {{name = "answer_anywhere", weight = 1.0}}]
[monitor]
eval_every = 2
eval_temperature = {eval_temperature}
samples_per_step = 16
alarm_action = "stop"
[checkpoints]
every = {every}
"""


def write_config(tmp_path, model, name, steps=4, every=2, lr=1e-4, **settings):
    path = tmp_path / f"{name}.toml"
    out = tmp_path / "runs"
    settings = {"difficulties": [1, 2], "eval_temperature": 1.0, **settings}
    path.write_text(
        CONFIG.format(name=name, out=out, model=model, steps=steps, every=every, lr=lr, **settings)
    )
    return path, out / name


def launch(*args: str) -> list[str]:
    accelerate = Path(sys.executable).parent / "accelerate"
    return [str(accelerate), "launch", "--config_file", str(DDP), "--num_processes", "2", *args]


def run_launched(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    command = launch("-m", "ripeness", "train", *args, "--quiet")
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def trl_log(run_dir: Path) -> dict[int, dict]:
    """TRL's own per-step log (gathered over the processes), from the last checkpoint."""
    last = max((run_dir / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name[11:]))
    history = json.loads((last / "trainer_state.json").read_text())["log_history"]
    return {row["step"]: row for row in history if "reward" in row}


def check_against_trl(run_dir: Path) -> dict[int, Counter]:
    """Every recorded step holds the whole batch and agrees with TRL; the prompts per step."""
    run = RunDirectory(run_dir)
    logged = trl_log(run_dir)
    prompts = {}
    try:
        assert [r["step"] for r in run.steps()] == sorted(logged)
        for row in run.steps():
            trl = logged[row["step"]]
            assert row["prompts"] == 4 and row["n"] == 16  # all 4 prompts x 4, not a shard
            assert row["gold"] == pytest.approx(trl["rewards/gold/mean"])
            assert row["proxy"] == pytest.approx(trl["reward"] / 2)  # TRL sums the weights
            assert row["length"] == pytest.approx(trl["completions/mean_length"])
            assert row["zero_variance_groups"] == pytest.approx(trl["frac_reward_zero_std"])
            assert row["entropy"] == pytest.approx(trl["entropy"])
            samples = run.samples(row["step"])
            assert len(samples) == 16
            prompts[row["step"]] = Counter(s["prompt"] for s in samples)
            assert sorted(prompts[row["step"]].values()) == [4, 4, 4, 4]  # whole groups
        evals = run.evals(HELDOUT_GOLD)
        assert [e["step"] for e in evals] == [0, 2, 4] and {e["n"] for e in evals} == {20}
        assert sum(c["marked"] for c in run.checkpoints()) == 1
    finally:
        run.close()
    return prompts


def test_two_processes_record_the_whole_batch_as_one_does(default_model_dir, tmp_path):
    # greedy held-out answers on problems the model half solves: the split is visible
    settings = {"difficulties": [1, 4, 5], "eval_temperature": 0.0}
    one, one_dir = write_config(tmp_path, default_model_dir, "one", **settings)
    two, two_dir = write_config(tmp_path, default_model_dir, "two", **settings)
    assert ripeness("train", str(one), "--quiet").returncode == 0
    result = run_launched(str(two))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.count("trained 4 steps") == 1  # the summary from the main process
    # the same prompts at every step: TRL's sampler draws the global batch, then splits it
    assert check_against_trl(two_dir) == check_against_trl(one_dir)
    assert not list(two_dir.glob("*.sqlite-journal"))
    # held-out evaluation split over the processes and gathered in order: at step 0 (the
    # same weights, greedy) problem by problem what one process answered
    start = [RunDirectory(d).evals(HELDOUT_GOLD)[0] for d in (one_dir, two_dir)]
    assert len(start[1]["outcomes"]) == 20 and 0 < start[1]["successes"] < 20
    assert start[1]["outcomes"] == start[0]["outcomes"]


def workers_of(config: Path) -> list[int]:
    """Processes still running `ripeness train CONFIG` (the launcher's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if str(config) in command and "-m ripeness train" in command:
                found.append(int(entry.name))
    return found


def recorded_steps(run_dir: Path) -> list[int]:
    try:
        with sqlite3.connect(run_dir / "metrics.sqlite") as db:
            return [r[0] for r in db.execute("SELECT step FROM steps ORDER BY step")]
    except sqlite3.OperationalError:
        return []


def test_kill_9_of_the_launcher_then_resume_loses_no_step(default_model_dir, tmp_path):
    config, run_dir = write_config(tmp_path, default_model_dir, "killed", steps=8, every=3)
    launcher = subprocess.Popen(
        launch("-m", "ripeness", "train", str(config), "--quiet"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and launcher.poll() is None:
        if max(recorded_steps(run_dir) or [0]) >= 4:  # past the checkpoint at step 3
            break
        time.sleep(0.2)
    assert launcher.poll() is None, launcher.stderr.read()[-3000:]
    os.kill(launcher.pid, signal.SIGKILL)  # the launcher alone, as a scheduler might
    launcher.wait()
    deadline = time.monotonic() + 30
    while workers_of(config) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert workers_of(config) == []  # its workers died with it: none trains on unseen
    before = recorded_steps(run_dir)
    assert before[:4] == [1, 2, 3, 4]

    result = run_launched("--resume", str(run_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    assert recorded_steps(run_dir) == list(range(1, 9))  # every step once, none lost
    run = RunDirectory(run_dir)
    try:
        assert [e["step"] for e in run.events("resume")] in ([3], [6])
        assert [c["step"] for c in run.checkpoints()] == [3, 6, 8]
        evals = [e["step"] for e in run.evals(HELDOUT_GOLD)]
        assert evals == [0, 2, 4, 6, 8]
        assert all(s["n"] == 16 and s["prompts"] == 4 for s in run.steps())
    finally:
        run.close()


def test_the_alarm_stops_every_process_together(default_model_dir, tmp_path):
    """A learning rate 100x too high wrecks the model in a step or two: the held-out check
    alarms on the main process, and every process stops at that step (none is left waiting
    in a collective, which would hang the launcher)."""
    config, run_dir = write_config(tmp_path, default_model_dir, "wrecked", steps=12, lr=1e-2)
    result = run_launched(str(config), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    run = RunDirectory(run_dir)
    try:
        alarms = run.events("alarm")
        assert len(alarms) == 1 and alarms[0]["action"] == "stop"
        stop = alarms[0]["step"]
        assert stop < 12 and max(recorded_steps(run_dir)) == stop
        assert run.checkpoints()[-1]["step"] == stop  # saved where it stopped
        state = json.loads(
            (run_dir / "checkpoints" / f"checkpoint-{stop}" / "trainer_state.json").read_text()
        )
        assert state["global_step"] == stop
    finally:
        run.close()
