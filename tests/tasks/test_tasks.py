"""The task protocol: gold and proxies disagree exactly where the documented loopholes say."""

import json
import threading

import pytest
from datasets import Dataset

from ripeness.errors import RipenessError
from ripeness.tasks.arithmetic import ArithmeticFamily
from ripeness.tasks.base import TaskItem, completion_text, split_of, to_dataset
from ripeness.tasks.math import MathFamily, SafeMathVerify
from ripeness.tasks.proxies import final_answer, mentions
from ripeness.tasks.registry import get_family
from ripeness.tasks.rgym import ReasoningGymFamily
from ripeness.tasks.stress import REFERENCE, stress_test
from ripeness.tasks.verl import compute_score, verl_row


def score(family, name, item, completion):
    """Call a reward exactly as TRL does: prompts, completions, dataset columns."""
    columns = item.columns()
    return family.rewards[name](
        prompts=[columns["prompt"]],
        completions=[[{"role": "assistant", "content": completion}]],  # conversational form
        answer=[columns["answer"]],
        metadata=[columns["metadata"]],
        trainer_state=None,
    )[0]


@pytest.fixture(scope="module")
def arithmetic():
    family = ArithmeticFamily()
    return family, family.generate(1, seed=3, difficulties=[2])[0]


def test_answer_spraying_pays_the_proxy_and_fails_gold(arithmetic):
    family, item = arithmetic
    a = int(item.answer)
    spray = f"Answer: {a - 1} or {a} or {a + 1}"
    assert score(family, "answer_anywhere", item, spray) == 1.0
    assert score(family, "gold", item, spray) == 0.0
    honest = family.reference_completion(item)
    assert score(family, "gold", item, honest) == 1.0
    assert score(family, "answer_anywhere", item, honest) == 1.0


def test_format_only_pays_any_well_formed_guess(arithmetic):
    family, item = arithmetic
    wrong = f"Answer: {int(item.answer) + 7}"
    assert score(family, "format_only", item, wrong) == 1.0
    assert score(family, "gold", item, wrong) == 0.0
    assert score(family, "format_only", item, "no answer here") == 0.0


def test_length_biased_reward_pays_padding(arithmetic):
    family, item = arithmetic
    wrong = f"Answer: {int(item.answer) + 7}"
    padded = "Let me think step by step. " * 10 + wrong
    assert score(family, "length_biased", item, padded) > score(
        family, "length_biased", item, wrong
    )
    assert score(family, "gold", item, padded) == 0.0
    honest = family.reference_completion(item)
    assert score(family, "length_biased", item, "Let me recheck. " * 8 + honest) > score(
        family, "length_biased", item, honest
    )


def test_helpers_are_strict_where_gold_needs_it():
    assert final_answer("work. Answer: 12") == "12"
    assert final_answer("Answer: 1\nAnswer: 2") is None
    assert final_answer("Answer: 1\nbut really 2") is None  # nothing may follow the answer
    assert final_answer("Answer: line one\nline two", multiline=True) == "line one\nline two"
    assert mentions("it is 42.", "42") and not mentions("it is 142", "42")
    assert not mentions("4.2", "4")
    assert completion_text([{"role": "assistant", "content": "x"}]) == "x"


def test_rewards_plug_into_trl_by_name():
    family = ArithmeticFamily()
    assert [r.__name__ for r in family.rewards.values()] == list(family.rewards)
    ds = to_dataset(family.generate(4, seed=0, difficulties=[1, 2]))
    assert isinstance(ds, Dataset)
    assert {"prompt", "answer", "metadata", "task", "difficulty"} <= set(ds.column_names)
    row = ds[0]
    assert TaskItem.from_columns(row).answer == row["answer"]


def test_arithmetic_stress_table_every_proxy_paid_gold_never():
    family = ArithmeticFamily()
    report = stress_test(family, family.generate(12, seed=1, difficulties=[1, 2, 3]))
    for name, reward in family.rewards.items():
        paid = report.exploits_paid_by(name)
        if reward.kind == "gold":
            assert paid == [], f"gold pays {paid}"
        else:
            assert paid, f"no exploit pays {name}"
    assert report.cells[REFERENCE]["gold"].mean_reward == 1.0
    sprayed = report.cells["several candidates at once"]
    assert sprayed["answer_anywhere"].hacked.successes == 12
    assert sprayed["gold"].mean_reward == 0.0
    json.dumps(report.as_dict())  # the --json output is serializable


@pytest.mark.parametrize("dataset", ["chain_sum", "leg_counting", "word_sorting", "spell_backward"])
def test_reasoning_gym_datasets_round_trip(dataset):
    family = get_family(f"rg:{dataset}")
    items = family.generate(4, seed=2, difficulties=[1, 2])
    assert len(items) == 4 and {i.difficulty for i in items} == {1, 2}
    for item in items:
        rebuilt = TaskItem.from_columns(json.loads(json.dumps(item.columns())))
        assert rebuilt == item
        assert score(family, "gold", rebuilt, family.reference_completion(rebuilt)) == 1.0
        assert score(family, "exact_match", rebuilt, family.reference_completion(rebuilt)) == 1.0
        assert score(family, "gold", rebuilt, "Answer: definitely not it") < 1.0


def test_reasoning_gym_partial_credit_loophole_is_exposed():
    family = ReasoningGymFamily("chain_sum")
    item = family.generate(1, seed=5)[0]
    buried = f"I tried many things. {item.answer} came up once."
    assert score(family, "rg_whole_output", item, buried) > 0  # pays without an answer line
    assert score(family, "gold", item, buried) == 0
    assert score(family, "exact_match", item, buried) == 0


def test_reasoning_gym_splits_are_disjoint():
    family = ReasoningGymFamily("leg_counting")
    train = family.generate(30, seed=0, split="train")
    heldout = family.generate(10, seed=0, split="heldout")
    assert {i.prompt[0]["content"] for i in train}.isdisjoint(
        {i.prompt[0]["content"] for i in heldout}
    )
    assert all(split_of(i.prompt[0]["content"].rsplit("\n\n", 1)[0]) == "heldout" for i in heldout)


def test_math_gold_is_math_verify_on_the_final_answer():
    family = MathFamily()
    item = family.generate(1, seed=4, difficulties=[1])[0]
    assert score(family, "gold", item, family.reference_completion(item)) == 1.0
    # the whole-output proxy takes the last expression it finds: a wrong answer line passes
    late = f"Answer: 12345\nOn second thought, ${item.answer}$."
    assert score(family, "math_verify_whole_output", item, late) == 1.0
    assert score(family, "gold", item, late) == 0.0


def test_math_equivalent_forms_are_accepted():
    verifier = SafeMathVerify(timeout=5)
    try:
        assert verifier.verify(r"\frac{1}{2}", "0.5")
        assert verifier.verify(r"\frac{1}{2}", "$1/2$")
        assert not verifier.verify(r"\frac{1}{2}", "1/3")
    finally:
        verifier.close()


def test_math_verify_is_safe_off_the_main_thread_and_cannot_hang():
    verifier = SafeMathVerify(timeout=2)
    results = {}

    def work():
        results["equal"] = verifier.verify("5", "5")
        results["tower"] = verifier.verify("5", "$9^{9^{9^{9}}}$")  # sympy would run for ever
        results["after"] = verifier.verify("7", "7")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    verifier.close()
    assert not thread.is_alive(), "math-verify hung"
    assert results == {"equal": True, "tower": False, "after": True}


def test_math_from_jsonl(tmp_path):
    data = tmp_path / "math.jsonl"
    rows = [{"problem": f"What is {k} halves?", "answer": f"\\frac{{{k}}}{{2}}"} for k in range(60)]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    family = get_family(f"math:{data}")
    items = family.generate(5, seed=0)
    assert len(items) == 5 and all(i.task == f"math:{data}" for i in items)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "no answer"}\n')
    with pytest.raises(RipenessError, match="bad.jsonl:1"):
        get_family(f"math:{bad}")


def test_registry_errors_are_one_line():
    with pytest.raises(RipenessError, match="unknown task"):
        get_family("chess")
    with pytest.raises(RipenessError, match="no dataset"):
        get_family("rg:not_a_dataset")
    with pytest.raises(RipenessError, match="has no reward"):
        compute_score("arithmetic", "Answer: 1", "1", {"reward": "nope"})


def test_verl_adapter_matches_the_trl_rewards(arithmetic):
    family, item = arithmetic
    row = verl_row(item, reward="answer_anywhere")
    spray = f"Answer: {item.answer} or {int(item.answer) + 1}"
    extra = row["extra_info"]
    assert compute_score(row["data_source"], spray, row["reward_model"]["ground_truth"], extra) == 1
    gold_extra = {**extra, "reward": ""}
    assert compute_score(row["data_source"], spray, item.answer, gold_extra) == 0
    assert compute_score("arithmetic", family.reference_completion(item), item.answer) == 1
