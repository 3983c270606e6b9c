"""The public monitor in a user's own TRL script (no Ripeness training code), then the report.

The script is written the way TRL's GRPO quick-start writes one: reward functions defined at
the top of the script (not importable: no ``__main__`` guard), a dataset of chat prompts with
an ``answer`` column, ``GRPOTrainer(...).train()``. The monitor is the only addition.
"""

import json
import subprocess
import sys

import pytest

from helpers import ripeness
from ripeness.records.run import RunDirectory

pytestmark = pytest.mark.slow

TRL_SCRIPT = """
import re
import sys

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

from ripeness import OverOptimizationMonitor, get_family

model, out, run_dir, beta = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])

# a dataset in TRL's conversational shape: prompt messages and an answer column
family = get_family("arithmetic")
rows = [
    {"prompt": list(item.prompt), "answer": item.answer}
    for item in family.generate(80, seed=0, difficulties=[1, 2])
]
train_dataset, heldout = Dataset.from_list(rows[:64]), Dataset.from_list(rows[64:])


def answer_anywhere(completions, answer, **kwargs):
    # the proxy: pays when the right number appears anywhere in the reply
    return [float(str(a) in c[0]["content"]) for c, a in zip(completions, answer)]


def exact_answer(completions, answer, **kwargs):
    # gold: the reply ends with exactly one 'Answer: N' line, and N is right
    out = []
    for c, a in zip(completions, answer):
        found = re.findall(r"Answer:\\s*(-?\\d+)", c[0]["content"])
        out.append(float(len(found) == 1 and found[0] == str(a)))
    return out


monitor = OverOptimizationMonitor(run_dir, gold=exact_answer, heldout=heldout, eval_every=2)
training_args = GRPOConfig(
    output_dir=out,
    per_device_train_batch_size=8,
    num_generations=4,
    max_completion_length=48,
    max_steps=4,
    save_steps=2,
    logging_steps=1,
    learning_rate=5e-4,
    warmup_steps=1,  # recorded as grpo.lr_warmup_steps
    beta=beta,
    use_cpu=True,
    bf16=False,
    report_to="none",
)
trainer = GRPOTrainer(
    model=model,
    reward_funcs=monitor.wrap([answer_anywhere]),
    args=training_args,
    train_dataset=train_dataset,
    callbacks=[monitor],
)
trainer.train()
"""


def run_script(tmp_path, model_dir, beta: float):
    script = tmp_path / "train_grpo.py"
    script.write_text(TRL_SCRIPT)
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            str(script),
            str(model_dir),
            str(tmp_path / "out"),
            str(run_dir),
            str(beta),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return run_dir


@pytest.fixture(scope="module")
def script_run(trained_model_dir, tmp_path_factory):
    return run_script(tmp_path_factory.mktemp("script"), trained_model_dir, 0.0)


def test_the_monitor_records_what_ripeness_train_records(script_run):
    run = RunDirectory.open_existing(script_run)
    try:
        steps = run.steps()
        assert [row["step"] for row in steps] == [1, 2, 3, 4]
        for row in steps:
            assert 0 <= row["gold"] <= 1 and 0 <= row["proxy"] <= 1
            assert 0 <= row["hack_rate"] <= 1
            assert row["prompts"] == 2 and row["n"] == 8  # 8 completions of 2 prompts
            assert row["kl"] >= 0 and row["d"] == pytest.approx(row["kl"] ** 0.5)
            assert row["entropy"] > 0  # TRL's logged entropy
            assert 1 <= row["length"] <= 48
        assert steps[0]["kl"] < 1e-3 <= max(r["kl"] for r in steps[1:])  # policy moves away
        # held-out: at the start, every eval_every steps and at every save, 16 problems each
        evals = run.evals("heldout_gold")
        assert [e["step"] for e in evals] == [0, 2, 4]
        assert all(e["n"] == 16 and len(e["outcomes"]) == 16 for e in evals)
        index = run.checkpoints()
        assert [c["step"] for c in index] == [2, 4] and all(c["external"] for c in index)
        assert sum(c["marked"] for c in index) == 1
        samples = run.samples(1)
        assert samples and {"prompt", "completion", "gold", "proxy"} <= set(samples[0])
    finally:
        run.close()


def test_ripeness_report_reads_the_scripts_run(script_run):
    # the gold lived in the script and cannot be reloaded: the held-out evaluations made in
    # training are the assessment's; the probes run on each checkpoint
    config = (script_run / "config.toml").read_text()
    assert 'gold = ""' in config and "items:" in config
    assert "lr_warmup_steps = 1" in config
    result = ripeness("report", str(script_run), "--quiet", timeout=900)
    assert result.returncode == 0, result.stderr
    selection = json.loads((script_run / "selection.json").read_text())
    assert [c["label"] for c in selection["candidates"]] == ["base", "step-2", "step-4"]
    page = (script_run / "report.html").read_text()
    assert "n=16" in page and "<svg" in page


def test_kl_comes_from_trls_log_when_beta_is_positive(trained_model_dir, tmp_path):
    run = RunDirectory.open_existing(run_script(tmp_path, trained_model_dir, 0.04))
    try:
        state = json.loads((tmp_path / "out" / "checkpoint-4" / "trainer_state.json").read_text())
        logged = {row["step"]: row["kl"] for row in state["log_history"] if "kl" in row}
        for row in run.steps():  # per sequence: TRL's per-token mean times tokens per reply
            assert row["kl"] == pytest.approx(logged[row["step"]] * row["length"], rel=1e-6)
    finally:
        run.close()


def test_the_same_script_under_accelerate_launch_records_whole_steps(trained_model_dir, tmp_path):
    """Two processes (torchrun on CPU, gloo): each scores its shard; the monitor gathers them,
    so a step holds both processes' prompts and agrees with TRL's own gathered log."""
    from pathlib import Path

    script = tmp_path / "train_grpo.py"
    script.write_text(TRL_SCRIPT)
    run_dir, out = tmp_path / "run", tmp_path / "out"
    accelerate = Path(sys.executable).parent / "accelerate"
    ddp = Path(__file__).resolve().parents[2] / "examples" / "accelerate" / "ddp.yaml"
    command = [str(accelerate), "launch", "--config_file", str(ddp), "--num_processes", "2"]
    arguments = [str(script), str(trained_model_dir), str(out), str(run_dir), "0.0"]
    done = subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    history = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    logged = {row["step"]: row for row in history["log_history"] if "reward" in row}
    run = RunDirectory.open_existing(run_dir)
    try:
        steps = run.steps()
        assert [row["step"] for row in steps] == [1, 2, 3, 4]
        for row in steps:  # 8 completions per process x 2 processes = 4 prompts x 4
            assert row["prompts"] == 4 and row["n"] == 16
            assert row["proxy"] == pytest.approx(logged[row["step"]]["reward"])
            assert row["length"] == pytest.approx(logged[row["step"]]["completions/mean_length"])
        assert steps[0]["kl"] < 1e-3 <= max(r["kl"] for r in steps[1:])  # sampled on both
        evals = run.evals("heldout_gold")
        assert [e["step"] for e in evals] == [0, 2, 4] and {e["n"] for e in evals} == {16}
        assert "prompts_per_step = 4" in (run_dir / "config.toml").read_text()
        assert [c["step"] for c in run.checkpoints()] == [2, 4]
    finally:
        run.close()
