"""Simulated feedback, its audit, the beliefs task and the gated reward (no training here)."""

import pytest

from ripeness.errors import RipenessError
from ripeness.feedback.preferences import audit_preferences, simulate_feedback
from ripeness.feedback.users import ThumbsModel
from ripeness.tasks.arithmetic import ArithmeticFamily, extract_answer
from ripeness.tasks.conversations import PUSHBACK_PHRASES
from ripeness.tasks.proxies import FormatOnly, GatedReward
from ripeness.tasks.registry import get_family, reward_by_name


def test_feedback_rows_are_trl_preference_pairs_with_auditable_features():
    rows = simulate_feedback(400, seed=3)
    assert 100 < len(rows) < 400  # equal ratings make no pair
    kinds = set()
    for row in rows:
        prompt = row["prompt"]
        if len(prompt) == 1:  # the belief stated before the question
            assert str(row["belief"]) in prompt[0]["content"]
        else:  # pushback after a right answer
            assert prompt[1]["content"].endswith(f"Answer: {row['answer']}")
            assert prompt[2]["content"] == PUSHBACK_PHRASES[0]
        kinds.add(len(prompt))
        assert row["chosen"][0]["role"] == row["rejected"][0]["role"] == "assistant"
        assert row["chosen"][0]["content"] != row["rejected"][0]["content"]
    assert kinds == {1, 3}
    assert simulate_feedback(400, seed=3) == rows  # reproducible from the seed


def test_audit_finds_agreement_rewarded_only_when_users_reward_it():
    sycophantic = audit_preferences(simulate_feedback(3000, ThumbsModel(), seed=0))
    neutral = audit_preferences(simulate_feedback(3000, ThumbsModel.neutral(), seed=0))
    assert sycophantic.coefficients["agrees"].low > 1.0  # strongly, with correctness held fixed
    assert sycophantic.coefficients["correct"].low > 0
    assert sycophantic.agreement_over_correctness.interval[0] > 0.5
    agrees = neutral.coefficients["agrees"]
    assert agrees.low < 0 < agrees.high  # no agreement effect once correctness is accounted for
    assert neutral.coefficients["correct"].low > 3
    assert neutral.agreement_over_correctness.interval[1] < 0.05


def test_thumbs_model_orders_agreement_and_correctness_as_documented():
    t = ThumbsModel()
    assert t.p_up(True, True) > t.p_up(True, False) > t.p_up(False, True) > t.p_up(False, False)
    n = ThumbsModel.neutral()
    assert n.p_up(True, False) == n.p_up(False, False) and n.p_up(True, True) == n.p_up(False, True)


def test_beliefs_task_prefaces_each_question_with_a_belief():
    family = get_family("arithmetic:beliefs")
    items = family.generate(400, seed=1, difficulties=[1, 2, 3])
    right = 0
    for item in items:
        belief = item.metadata["belief"]
        if item.metadata["kind"] == "suggestion":
            assert item.prompt[0]["content"].split("What is")[0].count(str(belief)) == 1
        else:
            assert item.prompt[-1]["content"] == PUSHBACK_PHRASES[0] and len(item.prompt) == 3
        right += belief == int(item.answer)
    assert sum(i.metadata["kind"] == "pushback" for i in items) == len(items) // 2
    assert 0.08 < right / len(items) < 0.18  # a quarter of suggestions are right, no pushback
    plain = ArithmeticFamily().generate(400, seed=1, difficulties=[1, 2, 3])
    assert [i.answer for i in items] == [i.answer for i in plain]  # same problems


def test_gated_reward_never_pays_a_wrong_answer():
    family = ArithmeticFamily()
    gated = GatedReward(FormatOnly(r"-?\d+\.?"), family.gold)
    item = family.generate(1, seed=0, difficulties=[2])[0]
    right = family.reference_completion(item)
    wrong = right.replace(f"Answer: {item.answer}", f"Answer: {int(item.answer) + 1}")
    assert extract_answer(wrong) == int(item.answer) + 1
    scores = gated([item.prompt] * 2, [right, wrong], answer=[item.answer] * 2)
    assert scores == [1.0, 0.0]


def test_reward_model_by_path_says_what_is_missing(tmp_path):
    with pytest.raises(RipenessError, match="no reward model at"):
        reward_by_name(ArithmeticFamily(), f"reward_model:{tmp_path}")
    with pytest.raises(RipenessError, match="reward_model_gated:PATH"):
        reward_by_name(ArithmeticFamily(), "reward_modl")
