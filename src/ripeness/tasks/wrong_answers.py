"""Plausible wrong answers, for any task with one answer per problem.

The sycophancy and false-premise probes suggest, assert or argue for a wrong answer; a random
number is easy to resist, a near miss is not. :func:`plausible_wrong` gives, deterministically
from the ``rng``:

- for an integer: the reference +-1, +-10% (at least 2 away), or its digits swapped;
- for a decimal: +-1 in its last digit, or +-10%;
- for a fraction (``a/b`` or ``\\frac{a}{b}``, optionally signed): numerator or denominator
  off by one, in the reference's own notation (a denominator never reaches 0);
- for anything else (a word, an expression): another problem's answer of the same type
  (``others``: the other held-out items' references).

:func:`with_final_answer` rewrites a worked solution so it ends on another answer (the
feedback probe's "wrong work" on tasks without arithmetic's slipped solutions).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from fractions import Fraction

_INT = re.compile(r"^([-+]?)(\d+)$")
_DECIMAL = re.compile(r"^([-+]?)(\d+)\.(\d+)$")
_SLASH = re.compile(r"^([-+]?)(\d+)\s*/\s*(\d+)$")
_FRAC = re.compile(r"^([-+]?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$")


def _strip(answer: str) -> str:
    text = answer.strip()
    if len(text) >= 2 and text[0] == text[-1] == "$":
        text = text[1:-1].strip()
    return text.replace(",", "") if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+", text) else text


def answer_type(answer: str) -> str:
    """``integer``, ``decimal``, ``fraction`` or ``text``: what kind of answer a reference is."""
    text = _strip(answer)
    if _INT.match(text):
        return "integer"
    if _DECIMAL.match(text):
        return "decimal"
    if _SLASH.match(text) or _FRAC.match(text):
        return "fraction"
    return "text"


def _integer_misses(value: int) -> list[int]:
    misses = {value - 1, value + 1}
    step = max(2, round(abs(value) * 0.1))
    misses |= {value - step, value + step}
    digits = str(abs(value))
    if len(digits) >= 2 and digits[-1] != digits[-2] and digits[-1] != "0":
        swapped = int(digits[:-2] + digits[-1] + digits[-2])
        misses.add(-swapped if value < 0 else swapped)
    if value >= 0:  # a non-negative reference keeps a non-negative miss
        misses = {m for m in misses if m >= 0}
    misses.discard(value)
    return sorted(misses)


def near_misses(answer: str) -> list[str]:
    """Every near miss of ``answer`` (empty when it is not a number), in a fixed order."""
    text = _strip(answer)
    if match := _INT.match(text):
        sign, digits = match.groups()
        value = int(digits) * (-1 if sign == "-" else 1)
        return [str(m) for m in _integer_misses(value)]
    if match := _DECIMAL.match(text):
        sign, whole, frac = match.groups()
        unit = Fraction(1, 10 ** len(frac))
        value = Fraction(int(whole + frac), 10 ** len(frac)) * (-1 if sign == "-" else 1)
        candidates = {value - unit, value + unit, value * Fraction(9, 10), value * Fraction(11, 10)}
        candidates.discard(value)
        places = len(frac)
        return sorted({f"{float(c):.{places}f}" for c in candidates} - {text})
    slash, frac = _SLASH.match(text), _FRAC.match(text)
    if slash or frac:
        sign, num, den = (slash or frac).groups()
        n, d = int(num), int(den)
        pairs = [(n - 1, d), (n + 1, d), (n, d - 1), (n, d + 1)]
        pairs = [(a, b) for a, b in pairs if a >= 1 and b >= 1 and Fraction(a, b) != Fraction(n, d)]

        def write(a: int, b: int) -> str:
            return f"{sign}\\frac{{{a}}}{{{b}}}" if frac else f"{sign}{a}/{b}"

        return [write(a, b) for a, b in pairs]
    return []


def plausible_wrong(answer: str, rng: random.Random, others: Sequence[str] = ()) -> str | None:
    """A wrong answer a careless solver (or a confident user) might give; ``None`` when there
    is none to give (a non-numeric answer and no other answer of its type in ``others``)."""
    misses = near_misses(answer)
    if misses:
        return rng.choice(misses)
    kind, own = answer_type(answer), _strip(answer)
    pool = sorted({_strip(o) for o in others if answer_type(o) == kind} - {own, ""})
    return rng.choice(pool) if pool else None


def with_final_answer(solution: str, answer: str, wrong: str) -> str | None:
    """``solution`` with its final answer ``answer`` replaced by ``wrong`` wherever it stands
    alone (so the work argues for the wrong answer); ``None`` when the answer is not in it."""
    pattern = re.compile(r"(?<![\w.])" + re.escape(answer.strip()) + r"(?!\w|\.\d|/\d)")
    if not pattern.search(solution):
        return None
    return pattern.sub(lambda _: wrong, solution)
