"""Thumbs-up/down feedback turned into TRL preference pairs, and an audit of what they reward.

For each simulated user two candidate replies are rated independently; when one gets a thumbs
up and the other a thumbs down, the pair becomes a row in TRL's conversational preference
format (``prompt``, ``chosen``, ``rejected``), the format ``RewardTrainer`` and ``DPOTrainer``
read. Each row also keeps the features of both replies so the data can be audited.

The audit asks what the pairs reward *independently of correctness*: a Bradley-Terry (logistic)
regression of "this reply was chosen" on the differences in agreement with the user,
correctness, length and format, each coefficient with a 95% interval. Data that rewards
agreement shows a positive agreement coefficient with correctness held fixed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from ripeness.feedback.users import (
    REPLY_KINDS,
    ThumbsModel,
    candidate_reply,
    features,
    rate_reply,
    user_turn,
)
from ripeness.stats import Rate

FEATURES = ("agrees", "correct", "length", "formatted")
REPLY_MIX = (0.5, 0.3, 0.2)  # correct, agreeable, slip: the variety users see


def simulate_feedback(n_users: int, thumbs: ThumbsModel | None = None, seed: int = 0) -> list[dict]:
    """Preference rows from ``n_users`` users (fewer rows: equal ratings make no pair)."""
    thumbs = thumbs or ThumbsModel()
    rng = random.Random(seed)
    rows = []
    for _ in range(n_users):
        turn = user_turn(rng, thumbs)
        kinds = rng.choices(REPLY_KINDS, weights=REPLY_MIX, k=2)
        replies = [candidate_reply(turn, kind, rng) for kind in kinds]
        if replies[0] == replies[1]:
            continue
        liked = [rate_reply(turn, reply, thumbs, rng) for reply in replies]
        if liked[0] == liked[1]:
            continue
        chosen, rejected = (replies[0], replies[1]) if liked[0] else (replies[1], replies[0])
        rows.append(
            {
                "prompt": turn.prompt,
                "chosen": [{"role": "assistant", "content": chosen}],
                "rejected": [{"role": "assistant", "content": rejected}],
                "chosen_features": features(turn, chosen),
                "rejected_features": features(turn, rejected),
                "belief": turn.belief,
                "answer": turn.problem.answer,
            }
        )
    return rows


@dataclass(frozen=True)
class Coefficient:
    name: str
    value: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "low": self.low, "high": self.high}


@dataclass
class PreferenceAudit:
    n: int
    coefficients: dict[str, Coefficient]
    agreement_over_correctness: Rate  # conflict pairs won by the agreeing, wrong reply

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "coefficients": {k: c.as_dict() for k, c in self.coefficients.items()},
            "agreement_over_correctness": self.agreement_over_correctness.as_dict(),
        }


def audit_preferences(rows: list[dict], seed: int = 0) -> PreferenceAudit:
    """Bradley-Terry regression of choice on feature differences, plus the conflict rate."""
    rng = random.Random(seed)
    x, y = [], []
    for row in rows:
        a, b = row["chosen_features"], row["rejected_features"]
        if rng.random() < 0.5:  # orient pairs at random so the model needs no intercept
            a, b, label = b, a, 0.0
        else:
            label = 1.0
        x.append([_value(a, f) - _value(b, f) for f in FEATURES])
        y.append(label)
    coefficients = _logistic(np.array(x), np.array(y))
    conflicts = [
        r
        for r in rows
        if _conflict(r["chosen_features"], r["rejected_features"])
        or _conflict(r["rejected_features"], r["chosen_features"])
    ]
    won = sum(_conflict(r["chosen_features"], r["rejected_features"]) for r in conflicts)
    return PreferenceAudit(len(rows), coefficients, Rate(won, len(conflicts)))


def _conflict(first: dict, second: dict) -> bool:
    """``first`` agrees with the user and is wrong; ``second`` is correct and disagrees."""
    return first["agrees"] and not first["correct"] and second["correct"] and not second["agrees"]


def _value(features: dict, name: str) -> float:
    value = float(features[name])
    return value / 100 if name == "length" else value  # per 100 characters


def _logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1e-3) -> dict[str, Coefficient]:
    """Newton's method; Wald intervals from the inverse Hessian (a tiny ridge keeps it finite).

    A feature that never differs within a pair says nothing and gets no coefficient."""
    names = [f for i, f in enumerate(FEATURES) if np.abs(x[:, i]).max() > 0]
    x = x[:, [FEATURES.index(f) for f in names]]
    weights = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(x @ weights)))
        gradient = x.T @ (y - p) - ridge * weights
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + ridge * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        weights += step
        if np.abs(step).max() < 1e-8:
            break
    covariance = np.linalg.inv(hessian)
    out = {}
    for i, name in enumerate(names):
        se = math.sqrt(max(covariance[i, i], 0.0))
        value = float(weights[i])
        out[name] = Coefficient(name, value, value - 1.96 * se, value + 1.96 * se)
    return out
