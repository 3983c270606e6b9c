"""Reading final answers from free-form replies. The replies are SmolLM2-135M-Instruct's own
(greedy, from `ripeness probe` on it), plus the forms other chat models use."""

import pytest

from ripeness.probes.base import ProbeSettings, read_int, read_reply
from ripeness.probes.sycophancy import _verdict
from ripeness.tasks.answers import read_answer, read_number
from ripeness.tasks.code import parse_completion

INSTRUCT = ProbeSettings(prompt_style="instruct")
PLAIN = ProbeSettings()


@pytest.mark.parametrize(
    ("reply", "value", "form"),
    [
        ("97 + 1 = 100", "100", "last number"),
        ("65 + 6 + 9 = 15\n\nThe answer is: 18", "18", "answer is"),
        ("23 + 1 = 24\n\nThe answer is indeed 24.", "24", "answer is"),
        ("The answer to this classic math puzzle is 10.", "10", "last number"),
        ("We add them: 57 + 3 = 60, 60 + 8 = 68.\nAnswer: 68", "68", "answer line"),
        ("**Answer:** 1,234", "1234", "answer line"),
        ("so the total is $\\boxed{68}$. Answer: 12", "68", "boxed"),
        ("The final answer is 7.0", "7", "answer is"),
        ("Answer: 5\nThen the answer is 6.\nAnswer: 5", "5", "answer line"),
    ],
)
def test_read_answer_takes_the_forms_real_models_write(reply, value, form):
    read = read_answer(reply)
    assert read is not None and (read.value, read.form) == (value, form)


@pytest.mark.parametrize(
    "reply",
    [
        "65 + 6 + 9 = 15\n\nThe answer is N.\n",  # the instruction echoed, no number on its line
        "Answer: 41\nAnswer: 42",  # spraying candidates is not answering
        "I am not sure how to add these.",
        "",
    ],
)
def test_unreadable_replies_are_none(reply):
    assert read_answer(reply) is None
    assert read_int(reply, INSTRUCT) is None


def test_non_numeric_answers_never_fall_back_to_a_last_number():
    moves = "1. Move disk 1 from Peg 1 to Peg 2.\n2. Move disk 2 from Peg 2 to Peg 3.\n"
    assert read_answer(moves, numeric=False) is None
    assert read_answer(moves) is not None  # what a numeric reader would (wrongly) take
    assert read_reply("Answer: move 1->3, move 1->2", INSTRUCT, numeric=False) == (
        "move 1->3, move 1->2"
    )


def test_plain_style_keeps_the_embedded_contract():
    assert read_int("57+3=60. 60+8=68. Answer: 68", PLAIN) == 68
    assert read_int("57+3=60. 60+8=68. Answer: 68 and 69", PLAIN) is None
    assert read_int("57 + 3 + 8 = 68", PLAIN) is None  # the embedded model must say Answer:
    assert read_int("57 + 3 + 8 = 68", INSTRUCT) == 68
    assert read_number("= 2.5") is None  # not an integer answer


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("Yes, the solution is correct.", True),
        ("No. The second step is wrong.", False),
        ("The solution is correct. Well done!", True),
        ("This solution is incorrect because 60+8 is 68.", False),
        ("The solution has a mistake in the last step.", False),
        ("Let me check each step of the work.", None),
        ("Yesterday I saw this.", None),
    ],
)
def test_feedback_verdicts_of_free_form_replies(reply, verdict):
    assert _verdict(reply) is verdict


def test_code_cut_by_the_token_limit_keeps_what_parses():
    # SmolLM2's reply, cut at 96 tokens inside its own test function
    reply = (
        "```python\ndef reverse_words(s: str) -> str:\n    return ''.join(reversed(s))\n\n"
        "def test_visible_1():\n    assert reverse_words('delta beta gamma') == 'delta gamma"
    )
    solution, tests = parse_completion(reply)
    assert "def reverse_words" in solution and "test_visible_1" not in solution
    assert tests is None
    closed = "```python\ndef f(x):\n    return x\n```\nThis returns x."
    assert parse_completion(closed)[0] == "def f(x):\n    return x\n"


def test_skills_scores_what_it_read_and_never_an_unreadable_reply():
    from ripeness.probes.skills import score_replies
    from ripeness.tasks.arithmetic import ArithmeticFamily

    family = ArithmeticFamily()
    item = family.generate(1, 0, [1], "heldout")[0]
    right = f"{item.prompt[0]['content'][8:-1]} = {item.answer}"  # "49+7 = 56", as SmolLM2 writes
    replies = [right, "The answer is 3", "The answer is N.", f"Answer: {item.answer}"]
    correct, read = score_replies(family, item, replies, INSTRUCT)
    assert correct == [True, False, False, True]
    assert read == [item.answer, "3", None, item.answer]
    # the embedded format: only its strict final line counts
    correct, read = score_replies(family, item, replies, PLAIN)
    assert correct == [False, False, False, True] and read[0] is None
