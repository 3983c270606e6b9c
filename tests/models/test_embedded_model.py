"""End to end: the embedded model is built by the real CLI and used with plain transformers."""

import json
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PLAIN_TRANSFORMERS = """
import sys, torch
from transformers import AutoModelForCausalLM, AutoTokenizer
path = sys.argv[1]
tok = AutoTokenizer.from_pretrained(path)
model = AutoModelForCausalLM.from_pretrained(path)
ids = tok.apply_chat_template([{"role": "user", "content": "What is 23+4?"}],
                              add_generation_prompt=True, return_tensors="pt", return_dict=True)
out = model.generate(**ids, max_new_tokens=40, do_sample=False)
print(tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True))
print("ripeness" in sys.modules)
"""


def test_saved_model_loads_and_answers_with_plain_transformers(trained_model_dir):
    files = {p.name for p in trained_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "ripeness.json"} <= files
    result = subprocess.run(
        [sys.executable, "-c", PLAIN_TRANSFORMERS, str(trained_model_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer, imported_ripeness = result.stdout.strip().splitlines()[-2:]
    assert re.fullmatch(r"(\d+[+-]\d+=\d+\. )+Answer: \d+", answer), answer
    assert imported_ripeness == "False"


def test_model_card_records_how_it_was_made(trained_model_dir):
    card = json.loads((trained_model_dir / "ripeness.json").read_text())
    assert card["warm_start"]["examples"] == 4000
    assert card["parameters"] > 100_000
    first, last = card["loss_history"][0][1], card["loss_history"][-1][1]
    assert last < first / 3


def test_eval_command_reports_accuracy_with_intervals(trained_model_dir, tmp_path):
    from ripeness.cli import main

    out = tmp_path / "eval.json"
    code = main(
        [
            "model",
            "eval",
            str(trained_model_dir),
            "--per-level",
            "20",
            "--max-difficulty",
            "2",
            "--json",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    levels = json.loads(out.read_text())["levels"]
    assert [lv["difficulty"] for lv in levels] == [1, 2]
    for lv in levels:
        assert lv["n"] == 20 and lv["low"] <= lv["rate"] <= lv["high"]
    # even a briefly trained model writes one step per sentence: longer answers for more steps
    assert levels[1]["mean_tokens"] > levels[0]["mean_tokens"] + 4


def test_demo_runs_end_to_end_from_nothing(tmp_path):
    """The demo's own path with a small model and a few GRPO steps (the full story, with the
    alarm and the selection, is tests/test_report.py)."""
    out = tmp_path / "demo"
    command = [sys.executable, "-m", "ripeness.cli", "demo", "--out", str(out), "--quiet"]
    result = subprocess.run(
        [*command, "--examples", "2000", "--steps", "4"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout + result.stderr  # tables and progress go to stderr
    assert "verdict:" in printed and "report:" in printed
    stress = json.loads((out / "stress.json").read_text())
    assert stress["cells"]["several candidates at once"]["gold"]["mean_reward"] == 0
    page = (out / "grpo" / "report.html").read_text()
    assert "Verdict" in page and "step-4" in page
    checkpoints = json.loads((out / "grpo" / "checkpoints.json").read_text())
    assert [c["step"] for c in checkpoints] == [4]
    # run again: the model is reused and the finished run is not trained twice
    again = subprocess.run([*command, "--steps", "4"], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert "reusing" in again.stderr and "resuming" in again.stderr
