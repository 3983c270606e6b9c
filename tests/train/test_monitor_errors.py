"""The public monitor's bad input: one line each, before any training starts."""

import pytest
import torch

from ripeness import OverOptimizationMonitor, get_family
from ripeness.errors import RipenessError
from ripeness.tasks.items import ItemsFamily, as_items, write_items

ROWS = [{"prompt": [{"role": "user", "content": "What is 2 + 3?"}], "answer": "5"}]


def gold(completions, answer, **kwargs):
    return [
        float(c[0]["content"].strip().endswith(a)) for c, a in zip(completions, answer, strict=True)
    ]


def test_unknown_settings_and_non_functions_are_one_line(tmp_path):
    with pytest.raises(RipenessError, match="no setting eval_evry; choose from .*eval_every"):
        OverOptimizationMonitor(tmp_path, gold=gold, heldout=ROWS, eval_evry=5)
    monitor = OverOptimizationMonitor(tmp_path, gold=gold, heldout=ROWS)
    with pytest.raises(RipenessError, match="not a reward function; wrap a reward model"):
        monitor.wrap([torch.nn.Linear(2, 1)])
    with pytest.raises(RipenessError, match=r"two rewards share a name \(gold, gold\)"):
        monitor.wrap([gold, gold])
    with pytest.raises(RipenessError, match="held-out row 1: a held-out row needs a 'prompt'"):
        OverOptimizationMonitor(tmp_path, gold=gold, heldout=[{"question": "2+3"}])
    with pytest.raises(RipenessError, match="the held-out set is empty"):
        OverOptimizationMonitor(tmp_path, gold=gold, heldout=[])


def test_wrapped_rewards_return_what_the_function_returns_and_keep_its_name(tmp_path):
    monitor = OverOptimizationMonitor(tmp_path, gold=gold, heldout=ROWS)
    (wrapped,) = monitor.wrap([gold])
    completions = [[{"role": "assistant", "content": "It is 5"}]]
    prompts = [ROWS[0]["prompt"]]
    assert wrapped.__name__ == "gold"  # TRL names its reward columns after it
    assert wrapped(prompts=prompts, completions=completions, answer=["5"]) == [1.0]
    batch = monitor._batch
    assert batch.completions == ["It is 5"] and batch.scores == {"gold": [1.0]}
    assert batch.columns["answer"] == ["5"]


def test_held_out_rows_round_trip_through_the_run_folder(tmp_path):
    family = get_family("arithmetic")
    items = family.generate(5, seed=0, difficulties=[2])
    rows = [{"prompt": list(i.prompt), "answer": i.answer, "solution_steps": "x"} for i in items]
    path = tmp_path / "heldout.jsonl"
    write_items(path, as_items(rows))
    again = get_family(f"items:{path}").generate(5, seed=99, split="heldout")
    assert [i.prompt for i in again] == [i.prompt for i in items]  # same problems, same order
    assert again[0].metadata["solution_steps"] == "x"  # other columns travel in metadata
    with pytest.raises(RipenessError, match="holds 5 problems; ask for fewer"):
        ItemsFamily(path).generate(6)
    # rows with no known task and no gold reference: using the gold says why it is missing
    with pytest.raises(RipenessError, match="cannot be reloaded"):
        ItemsFamily(path).gold.score("Answer: 1", "1", {})
