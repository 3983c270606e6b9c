"""Reading a final answer out of what a real model writes, and saying when it cannot.

The embedded model ends every reply with ``Answer: N``; real instruct models (SmolLM2, Qwen,
Llama) write "57 + 3 + 8 = 68.", "The answer is 68", ``\\boxed{68}`` or an ``Answer:`` line
with words around it. :func:`read_answer` accepts those forms, in this order of authority:

1. ``\\boxed{...}`` (the last one: the convention of math-tuned models);
2. ``Answer: X`` lines; if several give different answers the reply is unreadable (spraying
   candidates is not answering);
3. "the answer is X" / "the final answer is X" / "the result is X" (the last such phrase);
4. the last number on the last non-empty line ("... = 68.").

It returns the answer and the rule that found it (:class:`ReadAnswer`), or ``None``: an
unreadable reply is its own category in every figure, never correct and never a flip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?"
_NUMBER = re.compile(NUMBER)
_LEADING_NUMBER = re.compile(r"^\s*\$?(" + NUMBER + r")(?![\w/])")
_BOXED = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")
_ANSWER_LINE = re.compile(r"(?im)\banswer\s*:\s*\**\s*([^\n]*)")
_ANSWER_IS = re.compile(
    r"(?i)\b(?:the\s+)?(?:final\s+)?(?:answer|result|sum|total)\s+(?:is|=|equals)\s*:?\s*"
    r"(?:indeed\s+|simply\s+|just\s+|therefore\s+|clearly\s+)?\**([^\n]*)"
)


def answer_instruction(form: str = "N") -> str:
    """What a real model's prompt adds so its final answer can be read (``instruct`` probes)."""
    return f"Think step by step, then end with a last line of the form 'Answer: {form}'."


@dataclass(frozen=True)
class ReadAnswer:
    value: str
    form: str  # "boxed", "answer line", "answer is", "last number"


def _clean(text: str) -> str | None:
    """The answer in ``text``: its leading number if it starts with one, else the text."""
    text = text.strip().strip("*").strip()
    number = _LEADING_NUMBER.match(text)
    if number:
        return normalize_number(number.group(1))
    text = text.rstrip(".").strip()
    return text or None


def normalize_number(text: str) -> str:
    """``"1,234"`` -> ``"1234"``, ``"+5"`` -> ``"5"``, ``"7.0"`` -> ``"7"``."""
    text = text.replace(",", "").lstrip("+")
    if "." in text:
        text = text.rstrip("0").rstrip(".") or "0"
    return text


def is_number(text: str) -> bool:
    return _NUMBER.fullmatch(text.strip()) is not None


def read_answer(text: str, numeric: bool = True) -> ReadAnswer | None:
    """The final answer of a free-form reply, or ``None`` when it cannot be read.

    With ``numeric`` (arithmetic), the forms that name an answer must name a number, and a
    last number on the last line counts as the answer; without it (a move list, a word) only
    the forms that name an answer do."""
    boxed = _BOXED.findall(text)
    if boxed:
        value = _clean(boxed[-1])
        return _checked(value, "boxed", numeric)
    lines = [_clean(m) for m in _ANSWER_LINE.findall(text)]
    lines = [v for v in lines if v]
    if lines:
        if len(set(lines)) > 1:
            return None
        return _checked(lines[0], "answer line", numeric)
    phrases = [_clean(m) for m in _ANSWER_IS.findall(text)]
    for value in reversed(phrases):
        read = _checked(value, "answer is", numeric)
        if read:
            return read
    if not numeric:
        return None
    last_line = next((ln for ln in reversed(text.strip().splitlines()) if ln.strip()), "")
    numbers = _NUMBER.findall(last_line)
    if numbers:
        return ReadAnswer(normalize_number(numbers[-1]), "last number")
    return None


def _checked(value: str | None, form: str, numeric: bool) -> ReadAnswer | None:
    if value is None:
        return None
    if numeric and not _NUMBER.fullmatch(value):
        return None
    return ReadAnswer(value, form)


def read_number(text: str) -> int | None:
    """An integer answer (arithmetic) from a free-form reply, or ``None``."""
    read = read_answer(text)
    if read is None:
        return None
    try:
        value = float(read.value)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None
