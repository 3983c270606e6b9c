"""Calibration: are tokens spent where they help, and do stated confidences mean anything?

- tokens used, by difficulty (they should grow with difficulty, not with nothing);
- tokens spent *after* the right answer first appears in the output (overthinking), and the
  share of answers that pad more than ``PADDING_TOKENS`` past it;
- accuracy per 1,000 tokens;
- where the model states a confidence ("Confidence: 80%"), the expected calibration error,
  and the abstention rate ("I don't know").

On any task (``settings.task``), on the levels it has, judged by its gold. "The right answer
first appears" is the reference's first mention, or that of the reply's own final answer
where gold judges it right (math's ``3/4`` for ``\\frac{3}{4}``). A task with no single answer
(code) has no answer to find in the text: its tokens after the answer and padding figures are
not measured there (no samples, shown as n/a), never guessed.
"""

from __future__ import annotations

import re

from ripeness.models.interface import Backend
from ripeness.probes.base import ProbeSettings, has_single_answer, readable_figure
from ripeness.probes.skills import HeldoutProbe, asked_levels, score_replies
from ripeness.records.probes import ProbeResult, mean_of, rate_of, sample_id
from ripeness.stats import Statistic
from ripeness.tasks.proxies import mentions

PADDING_TOKENS = 20
CONFIDENCE = re.compile(r"[Cc]onfidence:?\s*(\d{1,3}(?:\.\d+)?)\s*%")
ABSTAIN = re.compile(r"\b(I don't know|I do not know|I am not sure|cannot answer)\b", re.I)


def tokens_after_answer(text: str, answer: str, tokens: int) -> int | None:
    """Tokens after the answer first appears (by character share); None if it never does."""
    if not mentions(text, answer):
        return None
    pattern = r"(?<![\w.])" + re.escape(answer.strip()) + r"(?![\w]|\.\d)"
    end = re.search(pattern, text).end()
    return round(tokens * (len(text) - end) / max(1, len(text)))


def tokens_after_right_answer(
    text: str, reference: str, read: str | None, correct: bool, tokens: int
) -> int | None:
    """Tokens after the right answer first appears: the reference as written, or the reply's
    own final answer where gold judged it right (the earlier of the two); None if neither
    appears."""
    seen = [tokens_after_answer(text, reference, tokens)]
    if correct and read and read.strip() != reference.strip():
        seen.append(tokens_after_answer(text, read, tokens))
    seen = [s for s in seen if s is not None]
    return max(seen) if seen else None  # the most tokens after: the earliest appearance


def expected_calibration_error(rows: list[tuple[float, bool]], bins: int = 10) -> float:
    total = len(rows)
    error = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        chosen = [(c, ok) for c, ok in rows if low <= c < high or (b == bins - 1 and c == 1.0)]
        if chosen:
            confidence = sum(c for c, _ in chosen) / len(chosen)
            accuracy = sum(ok for _, ok in chosen) / len(chosen)
            error += len(chosen) / total * abs(confidence - accuracy)
    return error


class CalibrationProbe(HeldoutProbe):
    name = "calibration"
    description = "tokens by difficulty, tokens after the answer, accuracy per 1k tokens, ECE"

    def run(self, backend: Backend, settings: ProbeSettings) -> ProbeResult:
        family, items, outputs = self.answer_heldout(backend, settings, draws=1)
        records = []
        single = has_single_answer(family)
        for item, (completion,) in zip(items, outputs, strict=True):
            stated = CONFIDENCE.search(completion.text)
            (correct,), (answer,) = score_replies(family, item, [completion.text], settings)
            after = (
                tokens_after_right_answer(
                    completion.text, item.answer, answer, correct, completion.tokens
                )
                if single
                else None  # no one answer to find in a solution: not measured
            )
            records.append(
                {
                    "sample_id": sample_id(self.name, item.id),
                    "difficulty": item.difficulty,
                    "completion": completion.text,
                    "answer": answer,
                    "readable": answer is not None,
                    "correct": correct,
                    "tokens": completion.tokens,
                    "tokens_after_answer": after,
                    "padded": None if after is None else after > PADDING_TOKENS,
                    "confidence": min(1.0, float(stated.group(1)) / 100) if stated else None,
                    "abstained": bool(ABSTAIN.search(completion.text)),
                }
            )
        summary = {"unreadable answers": readable_figure(records)}
        levels = asked_levels(records)
        for d in levels:
            summary[f"tokens d{d}"] = mean_of(
                records, "tokens", lambda r, d=d: r["difficulty"] == d
            )
        summary["tokens after the answer"] = mean_of(records, "tokens_after_answer")
        summary["padding rate"] = rate_of(records, "padded")
        for d in levels:
            summary[f"padding rate d{d}"] = rate_of(
                records, "padded", lambda r, d=d: r["difficulty"] == d
            )
        summary["accuracy per 1k tokens"] = Statistic.bootstrap(
            records,
            lambda rows: (
                1000 * sum(r["correct"] for r in rows) / max(1, sum(r["tokens"] for r in rows))
            ),
        )
        stated = [(r["confidence"], r["correct"]) for r in records if r["confidence"] is not None]
        summary["expected calibration error"] = Statistic.bootstrap(
            stated, expected_calibration_error
        )
        summary["abstention rate"] = rate_of(records, "abstained")
        return ProbeResult(self.name, records, summary)
