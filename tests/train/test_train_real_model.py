"""GRPO with LoRA on a real chat model (SmolLM2-135M-Instruct): the monitors, checkpoints,
held-out evaluations and resume after kill -9 work as on the embedded model, and the report
is drawn from the LoRA checkpoints."""

import os
import signal
import subprocess
import sys
import time

import pytest

from helpers import ripeness
from ripeness.models.embedded import is_adapter, load_model
from ripeness.records.run import RunDirectory

pytestmark = [pytest.mark.slow, pytest.mark.real_model]

CONFIG = """
[run]
name = "smol"
out = "{out}"
[model]
path = "{model}"
lora_r = 8
[task]
name = "math"
difficulties = [1]
train_problems = 40
heldout_problems = 6
[reward]
proxy = "math_verify_whole_output"
[grpo]
steps = 4
prompts_per_step = 2
num_generations = 2
max_completion_length = 24
[monitor]
eval_every = 2
samples_per_step = 4
[checkpoints]
every = 2
[select]
probes = ["skills"]
probe_samples = 1
heldout_problems = 6
"""


def steps_of(run_dir):
    if not (run_dir / "metrics.sqlite").exists():
        return []
    run = RunDirectory(run_dir)
    try:
        return [row["step"] for row in run.steps()]
    except Exception:  # noqa: BLE001 - polled before the schema exists
        return []
    finally:
        run.close()


def test_lora_grpo_on_smollm2_resumes_and_reports(smollm2_dir, tmp_path):
    config = tmp_path / "smol.toml"
    config.write_text(CONFIG.format(out=tmp_path / "runs", model=smollm2_dir))
    run_dir = tmp_path / "runs" / "smol"
    process = subprocess.Popen(
        [sys.executable, "-m", "ripeness.cli", "train", str(config), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and process.poll() is None:
        if (run_dir / "checkpoints" / "checkpoint-2" / "adapter_model.safetensors").exists():
            time.sleep(1.0)  # let the save finish; then the run dies mid-way to the next
            break
        time.sleep(0.5)
    assert process.poll() is None, process.stderr.read()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert steps_of(run_dir)[:2] == [1, 2]

    result = ripeness("train", "--resume", str(run_dir), "--quiet", timeout=900)
    assert result.returncode == 0, result.stderr
    assert steps_of(run_dir) == [1, 2, 3, 4]  # every step once, none lost
    run = RunDirectory(run_dir)
    try:
        first = run.steps()[0]
        for key in ("gold", "proxy", "kl", "d", "entropy", "prompts"):
            assert first[key] is not None, key
        assert first["prompts"] == 2
        evals = [e["step"] for e in run.evals("heldout_gold")]
        assert evals == [0, 2, 4]
        assert [c["step"] for c in run.checkpoints()] == [2, 4]
        assert sum(c["marked"] for c in run.checkpoints()) == 1
    finally:
        run.close()
    last = run_dir / "checkpoints" / "checkpoint-4"
    assert is_adapter(last)  # LoRA: only the adapter is saved, the base is named inside it
    model, _ = load_model(last)  # base + adapter, merged
    assert type(model).__name__ == "LlamaForCausalLM"

    result = ripeness("report", str(run_dir), "--quiet", timeout=900)
    assert result.returncode == 0, result.stderr
    page = (run_dir / "report.html").read_text()
    assert "step-4" in page and "n=6" in page
