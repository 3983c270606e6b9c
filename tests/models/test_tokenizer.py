import string

from hypothesis import assume, given
from hypothesis import strategies as st
from transformers import AutoTokenizer

from ripeness.models.tokenizer import build_tokenizer
from ripeness.tasks.arithmetic import Problem
from ripeness.tasks.conversations import with_pushback

ASCII_TEXT = st.text(
    alphabet=string.printable.replace("\r", "")
    .replace("\x0b", "")
    .replace("\x0c", "")
    .replace("\t", ""),
    max_size=200,
)


@given(ASCII_TEXT)
def test_round_trip_of_any_printable_text(text):
    tok = build_tokenizer()
    # an added token's own text ("<unk>", "<|end|>", the role marker "<|assistant|>") is that
    # one token, as in every HF tokenizer; hypothesis found "<unk>" and "<|assistant|>"
    assume(not any(added in text for added in tok.get_added_vocab()))
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert len(ids) == len(text)  # one token per character
    assert tok.decode(ids) == text


def test_special_token_text_is_one_token():
    tok = build_tokenizer()
    ids = tok("a<unk>b", add_special_tokens=False)["input_ids"]
    assert ids == [tok.convert_tokens_to_ids("a"), tok.unk_token_id, tok.convert_tokens_to_ids("b")]
    role = tok("<|assistant|>", add_special_tokens=False)["input_ids"]
    assert role == [tok.convert_tokens_to_ids("<|assistant|>")]


def test_unknown_characters_map_to_unk():
    tok = build_tokenizer()
    ids = tok("a\u00e9b", add_special_tokens=False)["input_ids"]
    assert ids[1] == tok.unk_token_id and len(ids) == 3


def test_saved_tokenizer_loads_with_plain_transformers(tmp_path):
    tok = build_tokenizer()
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "What is 12+3? I think it is 16."
    assert loaded(text)["input_ids"] == tok(text)["input_ids"]
    assert loaded.eos_token == "<|end|>" and loaded.pad_token == "<pad>"


def test_chat_template_marks_every_assistant_turn_and_its_end_token():
    tok = build_tokenizer()
    messages = with_pushback(Problem(5, (("+", 3),)), belief=9)
    out = tok.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    trained = tok.decode(
        [i for i, m in zip(ids, mask, strict=True) if m], skip_special_tokens=False
    )
    assert trained == "5+3=8. Answer: 8<|end|>Yes, I am sure. Answer: 8<|end|>"
    prompt = tok.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
    assert prompt == "<|bos|><|user|>What is 5+3?<|end|><|assistant|>"
