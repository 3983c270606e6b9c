"""`ripeness tasks ...` through the real command line."""

import json

import pytest
from datasets import Dataset

from helpers import assert_one_line_error, ripeness
from ripeness.tasks.base import TaskItem


def test_stress_prints_who_pays_what(tmp_path):
    out = tmp_path / "stress.json"
    result = ripeness("tasks", "stress", "arithmetic", "--problems", "8", "--json", str(out))
    assert result.returncode == 0, result.stderr
    text = result.stderr + result.stdout
    assert "gold (gold): pays no exploit" in text
    report = json.loads(out.read_text())
    spray = report["cells"]["several candidates at once"]
    assert spray["answer_anywhere"]["hacked"]["successes"] == 8
    assert spray["gold"]["mean_reward"] == 0


def test_list_names_every_family_and_loophole():
    result = ripeness("tasks", "list")
    assert result.returncode == 0, result.stderr
    for word in ("arithmetic", "code:editable", "rg:", "math", "answer_anywhere", "loophole"):
        assert word in result.stderr + result.stdout


@pytest.mark.slow
def test_filter_keeps_problems_inside_the_band(trained_model_dir, tmp_path):
    out = tmp_path / "kept.jsonl"
    result = ripeness(
        "tasks", "filter", str(trained_model_dir), "--problems", "24", "--samples", "4",
        "--difficulty", "2-5", "--low", "0.25", "--high", "0.75", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Pass-rate histogram (24 problems)" in result.stderr
    kept = [TaskItem.from_columns(json.loads(line)) for line in out.read_text().splitlines()]
    assert f"kept {len(kept)} of 24 problems" in result.stderr
    assert all(2 <= item.difficulty <= 5 for item in kept)


def test_export_writes_verl_and_trl_datasets(tmp_path):
    verl = tmp_path / "train.parquet"
    result = ripeness(
        "tasks", "export", "arithmetic", "--n", "10", "--format", "verl",
        "--reward", "answer_anywhere", "--out", str(verl),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = Dataset.from_parquet(str(verl))
    assert len(rows) == 10
    assert rows[0]["data_source"] == "arithmetic"
    assert rows[0]["extra_info"]["reward"] == "answer_anywhere"
    trl = tmp_path / "train.jsonl"
    assert ripeness("tasks", "export", "code", "--n", "3", "--out", str(trl)).returncode == 0
    first = json.loads(trl.read_text().splitlines()[0])
    assert first["prompt"][0]["role"] == "user" and "hidden_tests" in first["metadata"]


def test_the_default_verl_export_of_a_reasoning_gym_task_works(tmp_path):
    # 1000 problems over difficulties 1-3; difficulty 1 of chain_sum holds fewer than 334
    out = tmp_path / "train.parquet"
    result = ripeness("tasks", "export", "rg:chain_sum", "--format", "verl", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "wrote 1000 train problems of rg:chain_sum" in result.stdout
    notice = [line for line in result.stderr.splitlines() if line.startswith("notice: ")]
    assert len(notice) == 1 and "took the rest from the other difficulties" in notice[0]
    rows = Dataset.from_parquet(str(out))
    assert len(rows) == 1000 and len(set(json.dumps(r) for r in rows["prompt"])) == 1000
    assert set(rows["data_source"]) == {"rg:chain_sum"}
    assert {r["difficulty"] for r in rows["extra_info"]} == {1, 2, 3}


def test_bad_task_input_is_one_line():
    assert_one_line_error(ripeness("tasks", "stress", "chess"), "unknown task", "chess")
    assert_one_line_error(ripeness("tasks", "show", "arithmetic", "--difficulty", "x"), "1-3")
    assert_one_line_error(ripeness("tasks", "stress", "rg:nope"), "no dataset")
    assert_one_line_error(
        ripeness("tasks", "export", "arithmetic", "--out", "x.csv"), ".jsonl or .parquet"
    )
    assert_one_line_error(
        ripeness("tasks", "export", "arithmetic", "--out", "x.jsonl", "--reward", "nope"),
        "no reward",
    )
    assert_one_line_error(ripeness("tasks", "filter", "/nonexistent"), "no model")
