"""Checkpoints from a plain TRL script (no Ripeness training code) get a report and a selection."""

import json
import subprocess
import sys

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.records.probes import ProbeStore
from ripeness.records.run import RunDirectory
from ripeness.report.imported import find_checkpoints, parse_steps, trainer_log

pytestmark = pytest.mark.slow

# the way TRL's GRPO quick-start writes it, on a local model and Ripeness's task rows
TRL_SCRIPT = """
import sys
from trl import GRPOConfig, GRPOTrainer
from ripeness import get_family, to_dataset

model, out = sys.argv[1], sys.argv[2]
family = get_family("arithmetic")
dataset = to_dataset(family.generate(64, seed=0, difficulties=[2, 3]))

training_args = GRPOConfig(
    output_dir=out,
    per_device_train_batch_size=8,
    num_generations=4,
    max_completion_length=48,
    max_steps=4,
    save_steps=2,
    logging_steps=1,
    learning_rate=1e-4,
    use_cpu=True,
    bf16=False,
    report_to="tensorboard",  # event files under out/runs/, as TRL writes them
)
trainer = GRPOTrainer(
    model=model,
    reward_funcs=family.rewards["answer_anywhere"],
    args=training_args,
    train_dataset=dataset,
)
trainer.train()
"""


@pytest.fixture(scope="module")
def trl_run(trained_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("trl")
    script = root / "train_grpo.py"
    script.write_text(TRL_SCRIPT)
    out = root / "out"
    done = subprocess.run(
        [sys.executable, str(script), str(trained_model_dir), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def test_trl_checkpoints_and_log_history_are_read(trl_run):
    found = find_checkpoints(trl_run)
    assert sorted(found) == [2, 4]
    log = trainer_log(found, None)
    assert [row["step"] for row in log] == [1, 2, 3, 4]
    assert all(0 <= row["proxy"] <= 1 for row in log)
    assert all("reward/answer_anywhere" in row for row in log)
    assert parse_steps("merged=100, other=200") == {"merged": 100, "other": 200}


def test_trls_tensorboard_events_give_the_same_steps_as_its_log_history(trl_run):
    found = find_checkpoints(trl_run)
    from_state = trainer_log(found, None)
    from_events = trainer_log(found, trl_run / "runs")  # read by tensorboard's own reader
    assert [r["step"] for r in from_events] == [1, 2, 3, 4]
    for a, b in zip(from_state, from_events, strict=True):
        for key in ("proxy", "entropy", "length", "reward/answer_anywhere"):
            assert b[key] == pytest.approx(a[key], rel=1e-5), key  # events hold float32


def test_assess_writes_a_report_and_a_selection(trl_run, trained_model_dir, tmp_path):
    run_dir = tmp_path / "assessed"
    result = ripeness(
        "assess", str(trl_run), "--task", "arithmetic", "--proxy", "answer_anywhere",
        "--base", str(trained_model_dir), "--out", str(run_dir), "--difficulties", "2,3",
        "--heldout-problems", "40", "--probes", "calibration", "--probe-samples", "3",
        "--probe-task", "math", "--quiet", timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    selection = json.loads((run_dir / "selection.json").read_text())
    labels = [a["label"] for a in selection["candidates"]]
    assert labels == ["base", "step-2", "step-4"]
    page = (run_dir / "report.html").read_text()
    assert "step-4" in page and "<svg" in page and "n=40" in page
    run = RunDirectory(run_dir)
    try:
        assert [row["step"] for row in run.steps()] == [1, 2, 3, 4]  # the trainer's own log
        assert [e["step"] for e in run.evals("heldout_gold")] == [0, 2, 4]
    finally:
        run.close()
    store = ProbeStore(run_dir)
    try:  # --probe-task: the probes asked math, the held-out gold stayed on arithmetic
        assert store.settings("step-4", "calibration")["task"] == "math"
        assert store.settings("base", "calibration")["task"] == "math"
        assert {r["difficulty"] for r in store.records("step-4", "calibration")} == {1, 2, 3}
    finally:
        store.close()


def test_bad_assess_input_is_one_line(trl_run, trained_model_dir, tmp_path):
    common = ["--task", "arithmetic", "--base", str(trained_model_dir)]
    assert_one_line_error(
        ripeness("assess", str(tmp_path / "none"), "--proxy", "answer_anywhere", *common),
        "no checkpoint folder",
    )
    assert_one_line_error(
        ripeness("assess", str(trl_run), "--proxy", "vibes", *common), "no reward 'vibes'"
    )
    assert_one_line_error(
        ripeness(
            "assess", str(trl_run), "--proxy", "answer_anywhere", "--probe-task", "nosuch", *common
        ),
        "unknown task",
    )
    odd = tmp_path / "odd"
    (odd / "merged").mkdir(parents=True)
    (odd / "merged" / "config.json").write_text("{}")
    assert_one_line_error(
        ripeness("assess", str(odd), "--proxy", "answer_anywhere", *common), "--steps merged="
    )
