"""Probes on the embedded model: figures with n and intervals, records that pair up, the CLI."""

from pathlib import Path

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.errors import RipenessError
from ripeness.models.backends import LocalBackend
from ripeness.probes.base import ProbeSettings
from ripeness.probes.calibration import expected_calibration_error, tokens_after_answer
from ripeness.probes.catalog import probe_names
from ripeness.probes.hallucinated_actions import claims_action
from ripeness.probes.planning import plans_first
from ripeness.probes.reward_hacking import contradict
from ripeness.probes.runner import compare_labels, run_probes
from ripeness.probes.skills import pass_at_k
from ripeness.probes.sycophancy_eval import (
    aliases,
    answer_condition,
    file_kind,
    load_rows,
    names,
    read_letter,
)

DATA = Path(__file__).parent / "data" / "sycophancy_eval"


def test_pass_at_k_is_the_unbiased_estimator():
    assert pass_at_k(10, 0, 3) == 0 and pass_at_k(10, 10, 1) == 1
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)


def test_probe_parsers():
    assert tokens_after_answer("12+4=16. Answer: 16", "16", 19) == 12  # ". Answer: 16"
    assert tokens_after_answer("no number", "16", 9) is None
    assert expected_calibration_error([(0.9, True), (0.9, False)]) == pytest.approx(0.4)
    assert claims_action("I executed the script and it printed 4.")
    assert not claims_action("You could run it in Python to check.")
    assert plans_first("Plan: move the small disk first.\nAnswer: ...")
    assert not plans_first("Answer: 3")
    assert "== 4" in contradict("def test_a():\n    assert f(1) == 3\n")


def test_sycophancy_eval_files_are_recognised():
    assert file_kind(load_rows(DATA / "answer.jsonl")) == "answer"
    assert file_kind(load_rows(DATA / "are_you_sure.jsonl")) == "are_you_sure"
    assert file_kind(load_rows(DATA / "feedback.jsonl")) == "feedback"


def test_sycophancy_eval_kinds_are_told_per_row(tmp_path):
    mixed = tmp_path / "mixed.jsonl"
    lines = [(DATA / f"{k}.jsonl").read_text().splitlines()[0] for k in ("feedback", "answer")]
    mixed.write_text("\n".join([*lines, (DATA / "are_you_sure.jsonl").read_text()]))
    rows = load_rows(mixed)
    assert [r["kind"] for r in rows[:3]] == ["feedback", "answer", "are_you_sure"]
    assert file_kind(rows) == "answer+are_you_sure+feedback"
    odd = tmp_path / "odd.jsonl"
    odd.write_text(lines[1] + '\n{"prompt": [], "base": {"x": 1}, "metadata": {}}\n')
    with pytest.raises(RipenessError, match=r"odd.jsonl:2: .*no known kind"):
        load_rows(odd)
    result = ripeness("probe", "x", "--probes", "sycophancy", "--data", str(odd), "--url",
                      "http://127.0.0.1:9", "--out", str(tmp_path / "o"))  # fmt: skip
    assert_one_line_error(result, "odd.jsonl:2")


def test_sycophancy_eval_scoring_follows_the_real_fields():
    rows = load_rows(DATA / "answer.jsonl")
    conditions = [answer_condition(r["metadata"]["prompt_template"]) for r in rows[:4]]
    # "I don't think the answer is {correct_answer}" pushes away from the truth: never pooled
    # with "I think the answer is {correct_answer}"
    assert conditions == ["neutral", "doubts correct", "suggests incorrect", "suggests correct"]
    base = rows[0]["base"]
    assert aliases(base)[:2] == ["The Peter Principle", "Peter principle"]
    assert any(names("It is the peter principle.", a) for a in aliases(base))
    assert not names("Peterborough", "Peter")
    mc = load_rows(DATA / "are_you_sure.jsonl")[0]["base"]
    assert mc["correct_letter"] == "C" and "correct_answer" not in mc
    for reply, letter in [("C) 29", "C"), ("The answer is (B).", "B"), ("(D) 33", "D"),
                          ("A", "A"), ("I think it is 29.", None)]:  # fmt: skip
        assert read_letter(reply) == letter


@pytest.mark.slow
def test_probe_cli_writes_records_and_compares_pairs(
    default_model_dir, trained_model_dir, tmp_path
):
    out = tmp_path / "probes"
    for model, label in ((trained_model_dir, "early"), (default_model_dir, "shipped")):
        result = ripeness(
            "probe", str(model), "--probes", "skills,calibration", "--samples", "8",
            "--out", str(out), "--label", label, "--quiet",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "accuracy d6" in result.stderr and "95% CI" in result.stderr
    comparisons = compare_labels(out, "early", "shipped")
    accuracy = comparisons["skills"]["correct"]
    assert accuracy.n == 48 and accuracy.difference > 0.3 and accuracy.p_value < 0.01
    result = ripeness("compare", "early", "shipped", "--out", str(out))
    assert result.returncode == 0 and "McNemar" in result.stdout + result.stderr


@pytest.mark.slow
def test_run_probes_keeps_finished_probes_when_a_later_one_fails(default_model_dir, tmp_path):
    class Exploding:
        name = "explodes"

        def complete(self, *args, **kwargs):
            raise RuntimeError("server gone")

    good = LocalBackend(default_model_dir)
    settings = ProbeSettings(samples=2)
    run_probes(good, ["skills"], settings, tmp_path, "m")
    with pytest.raises(RuntimeError):
        run_probes(Exploding(), ["calibration"], settings, tmp_path, "m")
    from ripeness.records.probes import ProbeStore

    store = ProbeStore(tmp_path)
    assert len(store.records("m", "skills")) == 12
    store.close()


def test_bad_probe_input_is_one_line(tmp_path):
    assert_one_line_error(ripeness("probe", str(tmp_path / "none")), "no model")
    assert_one_line_error(ripeness("probe", "x", "--probes", "vibes"), "unknown probe", "vibes")
    assert_one_line_error(ripeness("compare", "a", "b", "--out", str(tmp_path)), "no probe results")
    assert set(probe_names()) >= {
        "skills",
        "calibration",
        "sycophancy",
        "reward_hacking",
        "hallucinated_actions",
        "planning",
    }
