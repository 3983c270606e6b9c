"""The one statistics helper: every figure with its n and a 95% interval.

- :class:`Rate`: a proportion with its Wilson score interval (well behaved at 0% and 100%).
- :class:`Mean`: a mean with a percentile bootstrap interval (no normality assumed).
- :func:`paired_rates`: two checkpoints on the *same* samples: the difference of their rates
  with a paired interval, and McNemar's exact test on the discordant pairs. Pairing removes
  the between-sample variance that an unpaired comparison would count against the difference.
  :func:`paired_drop_p` is its one-sided form: did the rate fall?
- :func:`paired_means`: the same for continuous per-sample values (paired bootstrap).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (0, 1) when n is 0."""
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Rate:
    """A proportion with its sample size and 95% Wilson interval."""

    successes: int
    n: int

    @property
    def value(self) -> float:
        return self.successes / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.successes, self.n)

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.value:.1%} [{low:.1%}, {high:.1%}] (n={self.n})"

    def as_dict(self) -> dict[str, float | int]:
        low, high = self.interval
        return {
            "rate": self.value,
            "low": low,
            "high": high,
            "n": self.n,
            "successes": self.successes,
        }


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def bootstrap_interval(
    values: list[float], resamples: int = 2000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (deterministic for a given seed)."""
    import random

    if not values:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    tail = (1 - confidence) / 2
    return _percentile(means, tail), _percentile(means, 1 - tail)


@dataclass(frozen=True)
class Mean:
    """A mean of per-sample values with its n and 95% bootstrap interval."""

    values: tuple[float, ...]

    @classmethod
    def of(cls, values) -> Mean:
        return cls(tuple(float(v) for v in values if v is not None and math.isfinite(v)))

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def value(self) -> float:
        return sum(self.values) / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return bootstrap_interval(list(self.values))

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.value:.3g} [{low:.3g}, {high:.3g}] (n={self.n})"

    def as_dict(self) -> dict[str, float | int]:
        low, high = self.interval
        return {"mean": self.value, "low": low, "high": high, "n": self.n}


@dataclass(frozen=True)
class Statistic:
    """Any per-sample statistic (a ratio of sums, an ECE) with a paired-bootstrap 95% interval."""

    value: float
    low: float
    high: float
    n: int

    @classmethod
    def bootstrap(cls, rows: list, statistic, resamples: int = 1000, seed: int = 0) -> Statistic:
        """``statistic(rows)`` with an interval from resampling the rows."""
        import random

        if not rows:
            return cls(float("nan"), float("nan"), float("nan"), 0)
        rng = random.Random(seed)
        values = sorted(statistic(rng.choices(rows, k=len(rows))) for _ in range(resamples))
        return cls(
            statistic(rows), _percentile(values, 0.025), _percentile(values, 0.975), len(rows)
        )

    @property
    def interval(self) -> tuple[float, float]:
        return self.low, self.high

    def __str__(self) -> str:
        return f"{self.value:.3g} [{self.low:.3g}, {self.high:.3g}] (n={self.n})"

    def as_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def mcnemar_p(only_a: int, only_b: int, alternative: str = "two-sided") -> float:
    """Exact McNemar p-value from the two discordant counts (``greater``: A wins more often)."""
    from scipy.stats import binomtest

    discordant = only_a + only_b
    if discordant == 0:
        return 1.0
    return float(binomtest(only_a, discordant, 0.5, alternative=alternative).pvalue)


@dataclass(frozen=True)
class PairedComparison:
    """B minus A on the same samples: the difference, its 95% interval, a p-value, n."""

    difference: float
    low: float
    high: float
    p_value: float
    n: int
    test: str

    def __str__(self) -> str:
        return (
            f"{self.difference:+.3g} [{self.low:+.3g}, {self.high:+.3g}] "
            f"(paired n={self.n}, {self.test} p={self.p_value:.2g})"
        )

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "p_value": self.p_value,
            "n": self.n,
            "test": self.test,
        }


def paired_rates(a: list[bool], b: list[bool]) -> PairedComparison:
    """Rate of B minus rate of A on paired binary outcomes (same samples, same order).

    Interval: bootstrap over pairs (keeps the pairing); test: exact McNemar.
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples must align, got {len(a)} and {len(b)}")
    only_a = sum(x and not y for x, y in zip(a, b, strict=True))
    only_b = sum(y and not x for x, y in zip(a, b, strict=True))
    differences = [float(y) - float(x) for x, y in zip(a, b, strict=True)]
    low, high = bootstrap_interval(differences)
    difference = sum(differences) / len(differences) if differences else float("nan")
    return PairedComparison(
        difference, low, high, mcnemar_p(only_a, only_b), len(differences), "McNemar"
    )


def paired_drop_p(before: list[bool], after: list[bool]) -> float:
    """One-sided exact McNemar p-value that the rate fell from ``before`` to ``after``.

    Same samples in the same order; only the samples that changed count."""
    fell = sum(x and not y for x, y in zip(before, after, strict=True))
    rose = sum(y and not x for x, y in zip(before, after, strict=True))
    return mcnemar_p(fell, rose, alternative="greater")


def paired_means(a: list[float], b: list[float]) -> PairedComparison:
    """Mean of B minus mean of A on paired values; bootstrap interval and sign-flip p-value."""
    import random

    if len(a) != len(b):
        raise ValueError(f"paired samples must align, got {len(a)} and {len(b)}")
    differences = [y - x for x, y in zip(a, b, strict=True)]
    n = len(differences)
    observed = sum(differences) / n if n else float("nan")
    low, high = bootstrap_interval(differences)
    rng = random.Random(0)
    extreme = sum(
        abs(sum(d if rng.random() < 0.5 else -d for d in differences) / n) >= abs(observed)
        for _ in range(2000)
    )
    return PairedComparison(observed, low, high, (extreme + 1) / 2001, n, "sign-flip")
