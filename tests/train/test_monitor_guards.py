"""The public monitor in a user's TRL script where a run goes wrong: steps whose completions
were all cut off (their gradient silently zero), and a resume after the alarm's stop.

The script is the quick-start shape of ``test_monitor_in_trl_script.py``; its gold and proxy
are chosen so that a tiny model shows each case within a few steps.
"""

import json
import re
import subprocess
import sys

import pytest

from helpers import ripeness
from ripeness.records.run import ALL_TRUNCATED, RunDirectory

pytestmark = pytest.mark.slow

TRL_SCRIPT = """
import re
import sys

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from ripeness import OverOptimizationMonitor, get_family

model, out, run_dir = sys.argv[1:4]
length, mask, lr, steps, resume = int(sys.argv[4]), sys.argv[5] == "1", float(sys.argv[6]), \\
    int(sys.argv[7]), sys.argv[8] == "1"

family = get_family("arithmetic")
rows = [
    {"prompt": list(item.prompt), "answer": item.answer}
    for item in family.generate(80, seed=0, difficulties=[1, 2])
]
train_dataset, heldout = Dataset.from_list(rows[:64]), Dataset.from_list(rows[64:])


def longer(completions, **kwargs):
    # the proxy: longer replies pay more
    return [min(1.0, len(c[0]["content"]) / 60) for c in completions]


def one_answer_line(completions, **kwargs):
    # gold: the reply ends with its one 'Answer: N' line
    pattern = r"[^\\n]*Answer: -?\\d+"
    return [float(re.fullmatch(pattern, c[0]["content"].strip()) is not None) for c in completions]


monitor = OverOptimizationMonitor(
    run_dir, gold=one_answer_line, heldout=heldout, eval_every=1, alarm_action="stop",
    alpha=0.05,
)
training_args = GRPOConfig(
    output_dir=out,
    per_device_train_batch_size=8,
    num_generations=4,
    max_completion_length=length,
    mask_truncated_completions=mask,
    max_steps=steps,
    save_steps=50,
    logging_steps=1,
    learning_rate=lr,
    use_cpu=True,
    bf16=False,
    report_to="none",
)
trainer = GRPOTrainer(
    model=model,
    reward_funcs=monitor.wrap([longer]),
    args=training_args,
    train_dataset=train_dataset,
    callbacks=[monitor],
)
trainer.train(resume_from_checkpoint=True if resume else None)
"""


def run_script(tmp_path, model_dir, length, mask, lr, steps, resume=False):
    script = tmp_path / "train_grpo.py"
    script.write_text(TRL_SCRIPT)
    arguments = [str(model_dir), str(tmp_path / "out"), str(tmp_path / "run")]
    arguments += [str(length), str(int(mask)), str(lr), str(steps), str(int(resume))]
    return subprocess.run(
        [sys.executable, str(script), *arguments], capture_output=True, text=True, timeout=600
    )


def trl_log(checkpoint) -> dict[int, dict]:
    history = json.loads((checkpoint / "trainer_state.json").read_text())["log_history"]
    return {row["step"]: row for row in history if "reward" in row}


def test_steps_whose_completions_were_all_cut_off_are_recorded_warned_and_reported(
    trained_model_dir, tmp_path
):
    # 8 tokens (the least the monitor takes): no reply ends, and TRL's
    # mask_truncated_completions masks every one (TRL issue 6220)
    done = run_script(tmp_path, trained_model_dir, length=8, mask=True, lr=1e-4, steps=3)
    assert done.returncode == 0, done.stderr[-3000:]
    logged = trl_log(tmp_path / "out" / "checkpoint-3")
    assert [logged[s]["completions/clipped_ratio"] for s in (1, 2, 3)] == [1.0, 1.0, 1.0]
    run_dir = tmp_path / "run"
    run = RunDirectory.open_existing(run_dir)
    try:
        events = run.events(ALL_TRUNCATED)
        assert [e["step"] for e in events] == [1, 2, 3]
        assert all(e["completions"] == 8 and e["max_completion_length"] == 8 for e in events)
        assert all(e["masked"] for e in events)
        assert [row["truncation_rate"] for row in run.steps()] == [1.0, 1.0, 1.0]
    finally:
        run.close()
    # once, on one line (above TRL's progress bar, which shares the line's start), with the fix
    lines = [line.rsplit("\r", 1)[-1] for line in done.stderr.splitlines()]
    warnings = [line for line in lines if "max_completion_length=8" in line]
    assert len(warnings) == 1, done.stderr[-3000:]
    assert warnings[0].startswith("warning: all 8 completions of step 1 hit")
    assert "raise max_completion_length or set mask_truncated_completions=False" in warnings[0]

    # the report, with no probes to run (the held-out answers come from training)
    config = run_dir / "config.toml"
    text = config.read_text()
    assert re.search(r"(?m)^probes = \[.*\]$", text)
    config.write_text(re.sub(r"(?m)^probes = \[.*\]$", "probes = []", text))
    result = ripeness("report", str(run_dir), "--quiet", timeout=600)
    assert result.returncode == 0, result.stderr
    page = (run_dir / "report.html").read_text()
    notice = re.search(r"<p class=notice id=truncated>(.*?)</p>", page)
    assert notice, "the report names the steps whose completions were all cut off"
    assert "at 3 of 3 steps (steps 1-3)" in notice.group(1)
    assert "max_completion_length=8" in notice.group(1)


def test_a_script_resumed_after_the_alarms_stop_trains_no_step(trained_model_dir, tmp_path):
    # a high learning rate wrecks the format the gold checks: the held-out check fires, and
    # the alarm stops the run where it fired, saving a checkpoint there
    done = run_script(tmp_path, trained_model_dir, length=48, mask=False, lr=3e-2, steps=4)
    assert done.returncode == 0, done.stderr[-3000:]
    out, run_dir = tmp_path / "out", tmp_path / "run"
    run = RunDirectory.open_existing(run_dir)
    try:
        alarms = run.events("alarm")
        assert len(alarms) == 1 and alarms[0]["action"] == "stop"
        stop = alarms[0]["step"]
        assert stop < 4
        before = (run.steps(), run.evals(), run.events(), run.checkpoints())
    finally:
        run.close()
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [f"checkpoint-{stop}"]

    again = run_script(tmp_path, trained_model_dir, 48, False, 3e-2, 4, resume=True)
    assert again.returncode != 0
    last = again.stderr.strip().splitlines()[-1]
    assert last.startswith("ripeness.errors.AlarmStopped: ")
    assert f"the alarm stopped this run at step {stop}" in last
    assert "trains no further step" in last
    # no step trained: no new checkpoint, the trainer's state and the records as they were
    assert sorted(p.name for p in out.glob("checkpoint-*")) == [f"checkpoint-{stop}"]
    state = json.loads((out / f"checkpoint-{stop}" / "trainer_state.json").read_text())
    assert state["global_step"] == stop
    run = RunDirectory.open_existing(run_dir)
    try:
        assert (run.steps(), run.evals(), run.events(), run.checkpoints()) == before
    finally:
        run.close()
