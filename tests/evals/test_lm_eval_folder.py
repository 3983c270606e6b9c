"""The lm-eval task folder as lm-eval itself loads it (no model needed): its docs, the chat it
asks (a task's system turn included), a task a probe cannot run on, a bad probe name."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("lm_eval")

from ripeness.cli import main  # noqa: E402


def _load(folder, names):
    from lm_eval.tasks import TaskManager

    return TaskManager(include_path=str(folder)).load_task_or_group(names)


def test_lm_eval_loads_the_folder_and_asks_the_system_turn(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "".join(
            json.dumps(
                {
                    "prompt": [
                        {"role": "system", "content": "Answer briefly."},
                        {"role": "user", "content": f"What is {a}+3?"},
                    ],
                    "answer": str(a + 3),
                    "task": "math",
                }
            )
            + "\n"
            for a in (2, 4, 7)
        )
    )
    folder = tmp_path / "tasks"
    assert main(["tasks", "lm-eval", str(folder), "--task", f"items:{rows}"]) == 0
    tasks = _load(folder, ["ripeness_skills", "ripeness_sycophancy"])
    docs = list(tasks["ripeness_skills"].test_docs())
    assert [d["answer"] for d in docs] == ["5", "7", "10"]
    # 3 problems x (no belief, seen, held-out phrasing)
    assert len(list(tasks["ripeness_sycophancy"].test_docs())) == 9
    chat = tasks["ripeness_skills"].fewshot_context(
        docs[0], 0, apply_chat_template=True, chat_template=lambda m, **_: json.dumps(m)
    )
    messages = json.loads(chat)
    assert messages[0] == {"role": "system", "content": "Answer briefly."}
    assert messages[1]["role"] == "user" and messages[1]["content"].startswith("What is 2+3?")


def test_a_task_a_probe_cannot_ask_is_skipped_in_one_line(tmp_path, capsys):
    folder = tmp_path / "tasks"
    assert main(["tasks", "lm-eval", str(folder), "--task", "code", "--samples", "1"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "ripeness_skills.jsonl",
        "ripeness_skills.yaml",
        "utils.py",
    ]
    err = capsys.readouterr().err
    assert "sycophancy: task code has no single answer" in err


def test_an_unknown_probe_is_one_line(tmp_path, capsys):
    assert main(["tasks", "lm-eval", str(tmp_path / "t"), "--probes", "calibration"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: lm-eval tasks: unknown calibration; choose from skills, sycophancy"
