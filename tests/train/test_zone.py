"""Bringing a real model into the zone: the pass-rate reading, its interval with the problem
as the unit, the card that lets a killed demo reuse its warm start, and the chat template with
generation markers that assistant-only SFT needs on SmolLM2's own template."""

import json

import pytest
from transformers import AutoTokenizer

from ripeness.demo import DEMO_STEPS, REAL_LEARNING_RATE, REAL_STEPS, demo_settings
from ripeness.errors import RipenessError
from ripeness.models.sft import training_chat_template
from ripeness.models.sources import PACKAGED, resolve_model
from ripeness.tasks.arithmetic import ArithmeticFamily
from ripeness.train.zone import ZONE_CARD, ZoneReading, load_zone_card, read_zone


def test_reading_counts_each_problem_and_its_samples():
    family = ArithmeticFamily()
    items = family.generate(4, seed=3, difficulties=[1, 2], split="heldout")
    right = family.reference_completion

    def sample(prompts, n):  # problem i gets i of its n replies right
        out = []
        for i, prompt in enumerate(prompts):
            item = next(it for it in items if list(it.prompt) == prompt)
            out.append([right(item)] * min(i, n) + ["Answer: -1"] * (n - min(i, n)))
        return out

    reading = read_zone(family, items, sample, samples=3)
    assert reading.histogram == {0: 1, 1: 1, 2: 1, 3: 1}
    assert (reading.successes, reading.n, reading.problems) == (6, 12, 4)
    assert reading.rate == 0.5 and reading.in_band
    assert reading.by_difficulty == {1: {0: 1, 1: 0, 2: 1, 3: 0}, 2: {0: 0, 1: 1, 2: 0, 3: 1}}
    assert (reading.at(1).successes, reading.at(2).successes) == (2, 4)  # problems 0, 2; 1, 3


def test_interval_takes_the_problem_as_the_unit():
    # 30 problems, half solved 4 of 4 times and half never: Wilson over the 120 replies would
    # be [41%, 59%]; a bootstrap over the problems is much wider
    spread = ZoneReading(4, {0: 15, 1: 0, 2: 0, 3: 0, 4: 15})
    assert (spread.successes, spread.n, spread.rate) == (60, 120, 0.5)
    low, high = spread.interval
    assert low < 0.35 and high > 0.65
    none = ZoneReading(4, {0: 30, 1: 0, 2: 0, 3: 0, 4: 0})  # all alike: Wilson over problems
    assert none.interval[0] == 0 and 0.1 < none.interval[1] < 0.12  # Wilson 0 of 30
    assert not none.in_band and "30 problems x 4 samples" in none.text()


def test_card_round_trips_and_a_folder_without_one_is_not_reused(tmp_path):
    assert load_zone_card(tmp_path) is None
    base = {"samples": 2, "histogram": {"0": 4, "1": 0, "2": 0}}
    after = {**base, "histogram": {"0": 2, "1": 1, "2": 1},
             "by_difficulty": {"1": {"0": 2, "1": 1, "2": 1}}}  # fmt: skip
    rounds = [{"examples": 10, "seconds": 1.5, "tokens": 700, "final_loss": 0.9,
               "reading": after}]  # fmt: skip
    (tmp_path / ZONE_CARD).write_text(json.dumps({"base": base, "rounds": rounds}))
    zone = load_zone_card(tmp_path)
    assert zone.reused and zone.base.rate == 0 and zone.reading.successes == 3
    assert zone.reading.at(1).successes == 3 and zone.seconds == 1.5


def test_smollm2_template_gains_markers_and_renders_the_same_text(smollm2_dir):
    tokenizer = AutoTokenizer.from_pretrained(smollm2_dir)
    marked = training_chat_template(tokenizer)
    assert marked != tokenizer.chat_template and "{% generation %}" in marked
    chat = [
        {"role": "user", "content": "What is 5+3?"},
        {"role": "assistant", "content": "5+3=8. Answer: 8"},
        {"role": "user", "content": "Are you sure?"},
        {"role": "assistant", "content": "Yes, I am sure. Answer: 8"},
    ]
    assert tokenizer.apply_chat_template(chat, tokenize=False) == tokenizer.apply_chat_template(
        chat, tokenize=False, chat_template=marked
    )
    encoded = tokenizer.apply_chat_template(
        chat, chat_template=marked, return_assistant_tokens_mask=True, return_dict=True
    )
    ids, mask = encoded["input_ids"], encoded["assistant_masks"]
    trained = tokenizer.decode([t for t, m in zip(ids, mask, strict=True) if m])
    assert trained == "5+3=8. Answer: 8<|im_end|>Yes, I am sure. Answer: 8<|im_end|>"
    tokenizer.chat_template = "{{ messages[0]['content'] }}"  # no turns to mark
    with pytest.raises(RipenessError, match="generation"):
        training_chat_template(tokenizer)


def test_smollm2_name_and_real_model_defaults(smollm2_dir):
    assert resolve_model(PACKAGED) == smollm2_dir
    assert demo_settings("smollm2", None, None, None) == (300, REAL_STEPS, REAL_LEARNING_RATE)
    assert demo_settings("smollm2", 50, 7, 1e-3) == (50, 7, 1e-3)
    assert demo_settings(None, None, None, None)[1] == DEMO_STEPS == 100
