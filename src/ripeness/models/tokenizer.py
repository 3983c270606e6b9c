"""A character-level tokenizer built locally with the `tokenizers` library.

One token per printable ASCII character keeps the vocabulary tiny (about 100 entries) and makes
token counts equal character counts, which is what calibration probes measure. Chat turns are
marked by single special tokens, and the chat template wraps assistant text in
``{% generation %}`` so TRL can train on assistant tokens only.
"""

from __future__ import annotations

import string

from tokenizers import Tokenizer, decoders, models
from transformers import PreTrainedTokenizerFast

PAD, UNK, BOS, END = "<pad>", "<unk>", "<|bos|>", "<|end|>"
ROLE_TOKENS = {"system": "<|system|>", "user": "<|user|>", "assistant": "<|assistant|>"}
SPECIAL_TOKENS = [PAD, UNK, BOS, END, *ROLE_TOKENS.values()]
CHARACTERS = sorted(set(string.printable) - set("\t\r\x0b\x0c"))

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{% if message['role'] == 'assistant' %}"
    "{{ '<|assistant|>' }}{% generation %}{{ message['content'] + '<|end|>' }}{% endgeneration %}"
    "{% else %}"
    "{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)


def build_tokenizer() -> PreTrainedTokenizerFast:
    """The embedded model's tokenizer; deterministic, so every build has the same ids."""
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + CHARACTERS)}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=UNK))
    core.decoder = decoders.Fuse()
    core.add_special_tokens(SPECIAL_TOKENS)
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token=BOS,
        eos_token=END,
        pad_token=PAD,
        unk_token=UNK,
        chat_template=CHAT_TEMPLATE,
        padding_side="left",
        model_max_length=512,
    )


def chat_ids(tokenizer, conversation) -> list[int]:
    """A conversation's token ids with the generation prompt, by the tokenizer's chat template
    (as TRL tokenizes a chat prompt)."""
    out = tokenizer.apply_chat_template(
        list(conversation), add_generation_prompt=True, tokenize=True, return_dict=True
    )
    ids = out["input_ids"]
    return list(ids[0] if ids and isinstance(ids[0], list) else ids)
