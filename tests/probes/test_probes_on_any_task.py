"""Probes on the run's own task: its held-out problems, its levels, its gold and its reader."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.models.interface import BaseBackend, Completion
from ripeness.options import PromptStyle
from ripeness.probes import catalog
from ripeness.probes.base import ProbeSettings, probe_family, require_single_answer
from ripeness.probes.calibration import CalibrationProbe, tokens_after_right_answer
from ripeness.probes.hallucinated_actions import HallucinatedActionsProbe
from ripeness.probes.runner import run_probes
from ripeness.probes.skills import (
    SkillsProbe,
    heldout_items,
    probe_levels,
    prompt_of,
    task_levels,
)
from ripeness.records.probes import ProbeResult, ProbeStore
from ripeness.tasks.base import TaskItem
from ripeness.tasks.registry import get_family


class Oracle(BaseBackend):
    """Answers every held-out problem of ``settings.task`` with ``reply(family, item)``: the
    family's reference completion by default (gold accuracy must then be 100%)."""

    name = "oracle"

    def __init__(self, settings: ProbeSettings, reply: Callable | None = None) -> None:
        family = probe_family(settings)
        reply = reply or (lambda f, item: f.reference_completion(item))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            items = heldout_items(family, settings)
        self.replies = {
            prompt_of(family, item, settings)[-1]["content"]: reply(family, item) for item in items
        }
        self.asked: list[str] = []

    def answer(self, conversations, sampling):
        out = []
        for conversation in conversations:
            question = conversation[-1]["content"]
            self.asked.append(question)
            text = next(
                (r for q, r in self.replies.items() if question.startswith(q)), "I don't know."
            )
            out.append([Completion(text, max(1, len(text) // 4), False)] * sampling.samples)
        return out


def figure(result: ProbeResult, name: str):
    return result.summary[name]


@pytest.mark.parametrize("style", [PromptStyle.PLAIN, PromptStyle.INSTRUCT])
def test_skills_and_calibration_on_math_are_judged_by_its_gold(style):
    settings = ProbeSettings(samples=4, difficulties=(1, 2, 3), task="math", prompt_style=style)
    backend = Oracle(settings)
    skills = SkillsProbe().run(backend, settings)
    assert all("reduced fraction" in q for q in backend.asked)  # math's questions, not sums
    assert figure(skills, "accuracy").successes == figure(skills, "accuracy").n == 12
    assert {f"accuracy d{d}" for d in (1, 2, 3)} <= set(skills.summary)
    assert figure(skills, "unreadable answers").successes == 0
    calibration = CalibrationProbe().run(backend, settings)
    assert figure(calibration, "accuracy per 1k tokens").value > 0
    assert figure(calibration, "tokens after the answer").n == 12  # measured on math
    assert figure(calibration, "padding rate").n == 12
    assert figure(calibration, "padding rate").successes == 0  # the reference stops at once
    assert {f"tokens d{d}" for d in (1, 2, 3)} <= set(calibration.summary)


def test_a_wrong_or_unreadable_math_answer_is_never_correct():
    settings = ProbeSettings(samples=3, difficulties=(1, 2), task="math")
    wrong = Oracle(settings, lambda f, item: "The result is 123456.\nAnswer: 123456")
    skills = SkillsProbe().run(wrong, settings)
    assert figure(skills, "accuracy").successes == 0 and figure(skills, "accuracy").n == 6
    assert figure(skills, "unreadable answers").successes == 0  # read, and wrong
    mumbled = Oracle(settings, lambda f, item: "Fractions are hard.")
    skills = SkillsProbe().run(mumbled, settings)
    assert figure(skills, "accuracy").successes == 0
    assert figure(skills, "unreadable answers").successes == 6


def test_the_first_right_answer_is_found_in_its_own_form():
    # math's gold reads 0.75 as 3/4: the tokens after it count from its first appearance
    text = "So it is 0.75, let me check again, yes, still 0.75 in the end.\nAnswer: 0.75"
    after = tokens_after_right_answer(text, "\\frac{3}{4}", "0.75", True, 100)
    assert after is not None and after > 80
    assert tokens_after_right_answer(text, "\\frac{3}{4}", "0.75", False, 100) is None
    assert tokens_after_right_answer("Answer: 68", "68", "68", True, 10) == 0


def test_levels_are_the_tasks_own():
    code, math = get_family("code"), get_family("math")
    assert task_levels(code) == (1, 2, 3) and task_levels(math) is None
    assert probe_levels(code, (1, 2, 3, 4, 5, 6), given=False) == ((1, 2, 3), "")
    levels, notice = probe_levels(code, (2, 5))
    assert levels == (2,) and "no difficulty 5" in notice and "\n" not in notice
    levels, notice = probe_levels(code, (7,))
    assert levels == (1, 2, 3) and "its own" in notice
    assert probe_levels(math, (1, 9)) == ((1, 9), "")  # open: every level makes problems
    assert task_levels(get_family("rg:chain_sum"))[0] == 1
    assert len(task_levels(get_family("rg:chain_sum"))) > 3  # its curriculum's levels


def test_a_fixed_list_is_asked_by_the_levels_its_rows_carry(tmp_path):
    from ripeness.tasks.items import write_items

    rows = [
        TaskItem("custom", ({"role": "user", "content": f"What is {i} + 1?"},), str(i + 1), d)
        for i, d in zip(range(9), [1, 1, 1, 2, 2, 2, 4, 4, 4], strict=True)
    ]
    path = tmp_path / "items.jsonl"
    write_items(path, rows)
    family = get_family(f"items:{path}")
    assert task_levels(family) == (1, 2, 4)
    settings = ProbeSettings(samples=2, task=f"items:{path}")  # the default 1-6: its own
    items = heldout_items(family, settings)
    assert [i.difficulty for i in items] == [1, 1, 2, 2, 4, 4]


def test_skills_on_code_runs_the_tasks_tests_and_calibration_measures_no_padding():
    settings = ProbeSettings(samples=1, task="code", max_tokens=64)
    backend = Oracle(settings)
    skills = SkillsProbe().run(backend, settings)
    assert figure(skills, "accuracy").n == 3  # code's levels 1-3, not 1-6
    assert figure(skills, "accuracy").successes == 3  # the reference passes the hidden tests
    assert all(r["readable"] for r in skills.records)
    calibration = CalibrationProbe().run(backend, settings)
    assert figure(calibration, "padding rate").n == 0  # not measured on code: n/a
    assert figure(calibration, "tokens after the answer").n == 0
    assert "tokens d3" in calibration.summary


def test_hallucinated_actions_asks_the_task():
    settings = ProbeSettings(samples=2, difficulties=(1,), task="math")
    backend = Oracle(settings, lambda f, item: "I ran it in Python and it gives 1/2.")
    result = HallucinatedActionsProbe().run(backend, settings)
    assert figure(result, "false action claims (task)").n == 2
    assert figure(result, "false action claims (task)").successes == 2
    assert "false action claims (arithmetic)" not in result.summary
    assert sum("reduced fraction" in q for q in backend.asked) == 2


class NeedsOneAnswer:
    """A sycophancy-style probe: it suggests an answer, so a code task cannot have it."""

    name = "needs_one_answer"
    description = "a probe that needs one answer per problem"

    def run(self, backend, settings):
        require_single_answer(probe_family(settings), self.name)
        return ProbeResult(self.name, [{"sample_id": "x"}], {})


def test_a_probe_that_cannot_run_on_the_task_records_nothing(tmp_path):
    skipped = []
    settings = ProbeSettings(samples=1, task="code")
    catalog._PROBES["needs_one_answer"] = NeedsOneAnswer
    try:
        results = run_probes(
            None,
            ["needs_one_answer"],
            settings,
            tmp_path,
            "m",
            on_skip=lambda *a: skipped.append(a),
        )
    finally:
        del catalog._PROBES["needs_one_answer"]
    assert results == {} and len(skipped) == 1
    name, line = skipped[0]
    assert name == "needs_one_answer" and "code" in line and "\n" not in line
    store = ProbeStore(tmp_path)
    assert store.summary("m") == {} and store.records("m", "needs_one_answer") == []
    store.close()


def test_probe_cli_checks_the_task_before_any_model(tmp_path):
    assert_one_line_error(ripeness("probe", "x", "--task", "nosuch"), "unknown task", "nosuch")
    assert_one_line_error(
        ripeness("probe", "x", "--task", "math", "--difficulty", "0-2"), "difficulties"
    )


@pytest.mark.slow
def test_probe_cli_on_math_and_a_skipped_probe_on_code(default_model_dir, tmp_path, capfd):
    from ripeness.cli import main

    out = tmp_path / "probes"
    code = main(
        ["probe", str(default_model_dir), "--task", "math", "--difficulty", "1,2",
         "--probes", "skills,calibration", "--samples", "2", "--out", str(out), "--quiet"]
    )  # fmt: skip
    assert code == 0
    capfd.readouterr()
    store = ProbeStore(out)
    records = store.records(str(default_model_dir), "skills")
    settings = store.settings(str(default_model_dir), "skills")
    store.close()
    assert len(records) == 4 and all("reduced fraction" in r["prompt"] for r in records)
    assert settings["task"] == "math" and list(settings["difficulties"]) == [1, 2]
    catalog._PROBES["needs_one_answer"] = NeedsOneAnswer
    try:
        code = main(
            ["probe", str(default_model_dir), "--task", "code", "--probes", "needs_one_answer",
             "--samples", "1", "--out", str(out), "--label", "code", "--quiet"]
        )  # fmt: skip
    finally:
        del catalog._PROBES["needs_one_answer"]
    assert code == 0
    captured = capfd.readouterr()
    text = captured.err + captured.out
    assert "needs_one_answer: task code has no single answer" in text
    store = ProbeStore(out)
    assert store.summary("code") == {}
    store.close()
