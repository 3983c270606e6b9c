"""Rewards from the user's own code, as TRL's GRPO quick-start writes them."""

import json

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.errors import RipenessError
from ripeness.evaluation import mixed_reward
from ripeness.tasks.external import ExternalReward
from ripeness.tasks.registry import get_family, reward_by_name

# TRL's quick-start reward, reading conversational completions, plus a loophole sentence
USER_REWARDS = '''
def reward_num_unique_letters(completions, **kwargs):
    """Reward function that rewards completions with more unique letters."""
    completion_contents = [completion[0]["content"] for completion in completions]
    return [float(len(set(content))) / 30 for content in completion_contents]


reward_num_unique_letters.loophole = "pays for variety of characters, not for being right"


def says_answer(prompts, completions, answer, **kwargs):
    return [1.0 if "Answer:" in c[0]["content"] else 0.0 for c in completions]


def no_kwargs(completions):
    return [0.0 for _ in completions]


def wrong_length(completions, **kwargs):
    return [1.0]


def not_numbers(completions, **kwargs):
    return ["high" for _ in completions]


NOT_CALLABLE = 3
'''


@pytest.fixture
def rewards_file(tmp_path):
    path = tmp_path / "my_rewards.py"
    path.write_text(USER_REWARDS)
    return path


def test_a_file_reward_is_a_reward_like_the_built_in_ones(rewards_file):
    family = get_family("arithmetic")
    reward = reward_by_name(family, f"{rewards_file}:reward_num_unique_letters")
    assert isinstance(reward, ExternalReward) and reward.__name__ == "reward_num_unique_letters"
    assert reward.kind == "proxy" and "variety" in reward.loophole
    items = family.generate(4, 0, [2], "heldout")
    texts = [family.reference_completion(i) for i in items]
    gold = family.gold
    mix = mixed_reward([(gold, 1.0), (reward, 1.0)], items, texts)
    own = reward([list(i.prompt) for i in items], texts)
    assert mix == pytest.approx([(1.0 + o) / 2 for o in own])
    # the dataset's columns arrive as keywords, as TRL passes them
    says = reward_by_name(family, f"{rewards_file}:says_answer")
    assert (
        says([list(i.prompt) for i in items], texts, answer=[i.answer for i in items]) == [1.0] * 4
    )
    assert says.score(texts[0], items[0].answer, {}) == 1.0


def test_a_module_reward_by_dotted_name(rewards_file, monkeypatch):
    monkeypatch.syspath_prepend(str(rewards_file.parent))
    reward = reward_by_name(get_family("arithmetic"), "my_rewards:says_answer")
    assert reward(None, ["Answer: 3", "3"], answer=["3", "3"]) == [1.0, 0.0]


def test_the_stress_test_takes_a_users_reward(rewards_file, tmp_path):
    out = tmp_path / "stress.json"
    result = ripeness(
        "tasks", "stress", "arithmetic", "--problems", "4", "--json", str(out),
        "--reward", f"{rewards_file}:reward_num_unique_letters",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["rewards"]["reward_num_unique_letters"]["loophole"].startswith("pays for variety")
    spray = report["cells"]["every number from 0 to 200"]["reward_num_unique_letters"]
    assert spray["hacked"]["successes"] == 4  # it pays the spray, which gold never does


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        ("{dir}/missing.py:f", ["no file"]),
        ("{file}:absent", ["has no 'absent'"]),
        ("{file}:NOT_CALLABLE", ["not callable"]),
        ("{file}:no_kwargs", ["signature", "**kwargs"]),
        ("no_such_module_xyz:f", ["cannot import module"]),
    ],
)
def test_bad_references_are_one_line(rewards_file, reference, words):
    reference = reference.format(dir=rewards_file.parent, file=rewards_file)
    result = ripeness("tasks", "stress", "arithmetic", "--problems", "2", "--reward", reference)
    assert_one_line_error(result, *words)


def test_a_wrong_return_is_one_line(rewards_file):
    for name, words in (("wrong_length", "1 scores for 2"), ("not_numbers", "not a number")):
        reward = ExternalReward(f"{rewards_file}:{name}")
        with pytest.raises(RipenessError, match=words):
            reward(None, ["a", "b"])


@pytest.mark.slow
def test_ripeness_train_mixes_in_a_users_reward(rewards_file, trained_model_dir, tmp_path):
    from ripeness.records.run import RunDirectory

    config = tmp_path / "mine.toml"
    config.write_text(
        f"""
[run]
name = "mine"
out = "{tmp_path / "runs"}"
[model]
path = "{trained_model_dir}"
[task]
difficulties = [2]
train_problems = 40
heldout_problems = 8
[reward]
components = [{{name = "gold", weight = 1.0}},
              {{name = "{rewards_file}:reward_num_unique_letters", weight = 0.5}}]
[grpo]
steps = 2
prompts_per_step = 2
num_generations = 4
max_completion_length = 32
[monitor]
eval_every = 2
samples_per_step = 4
[checkpoints]
every = 2
"""
    )
    result = ripeness("train", str(config), "--quiet", timeout=300)
    assert result.returncode == 0, result.stderr
    run = RunDirectory(tmp_path / "runs" / "mine")
    try:
        samples = run.samples(2)
        assert samples and all("reward_num_unique_letters" in s["rewards"] for s in samples)
        first = run.steps()[0]
        assert 0 <= first["reward/reward_num_unique_letters"] <= 1
        assert "attribution/reward_num_unique_letters" in first
    finally:
        run.close()


USER_GOLD = '''
def exact_final_line(completions, answer, **kwargs):
    """Gold: the last line is exactly the answer."""
    lines = [c[0]["content"].strip().splitlines() or [""] for c in completions]
    return [float(ls[-1].strip() == a) for ls, a in zip(lines, answer)]
'''


def test_a_users_jsonl_task_with_a_users_gold(tmp_path):
    rows = tmp_path / "mine.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"prompt": f"What is {i} times 3?", "answer": str(3 * i), "difficulty": 1 + i % 2}
                for i in range(200)
            ]
            + [{"question": "Name the capital of France.", "answer": "Paris"}]
        )
    )
    gold_file = tmp_path / "my_gold.py"
    gold_file.write_text(USER_GOLD)
    family = get_family(f"math:{rows}", gold=f"{gold_file}:exact_final_line")
    assert family.gold.kind == "gold" and family.rewards["gold"] is family.gold
    heldout = family.generate(3, 0, [1], "heldout")
    train = family.generate(20, 0, [1], "train")
    assert not {i.id for i in heldout} & {i.id for i in train}  # split by hash, as built-ins
    item = heldout[0]
    right, wrong = f"Let me see.\n{item.answer}", f"{item.answer}\nor maybe not"
    prompts = [list(item.prompt)] * 2
    assert family.gold(prompts, [right, wrong], answer=[item.answer] * 2) == [1.0, 0.0]
    # the stress test judges every proxy against the user's gold
    result = ripeness(
        "tasks", "stress", f"math:{rows}", "--problems", "3", "--difficulty", "1-2"
    )  # the CLI takes no gold; the library does:
    assert result.returncode == 0, result.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x", "answer": 1}\n{"answer": 2}\n')
    with pytest.raises(RipenessError, match=r"bad.jsonl:2: .*'question'"):
        get_family(f"math:{bad}")


def test_third_party_task_families_register_by_entry_point(tmp_path):
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "my_tasks-0.1.dist-info").mkdir(parents=True)
    (site / "my_tasks-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: my-tasks\nVersion: 0.1\n"
    )
    (site / "my_tasks-0.1.dist-info" / "entry_points.txt").write_text(
        "[ripeness.tasks]\nsquares = my_tasks:make\nbroken = my_tasks:missing\n"
    )
    (site / "my_tasks.py").write_text(
        "from ripeness.tasks.arithmetic import ArithmeticFamily\n\n"
        "class Squares(ArithmeticFamily):\n"
        "    name = 'squares'\n"
        "    description = 'squares of running sums (a third-party family)'\n\n"
        "def make(arg):\n    return Squares()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "ripeness.cli", *args],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip

    listed = cli("tasks", "list")
    assert listed.returncode == 0, listed.stderr
    assert "squares" in listed.stdout + listed.stderr
    shown = cli("tasks", "show", "squares")
    assert shown.returncode == 0 and "What is" in shown.stdout + shown.stderr
    assert_one_line_error(cli("tasks", "show", "broken"), "broken", "cannot load")
