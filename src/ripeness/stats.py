"""The one statistics helper: every figure with its n and a 95% interval.

- :class:`Rate`: a proportion with its Wilson score interval (well behaved at 0% and 100%).
- :class:`Mean`: a mean with a percentile bootstrap interval (no normality assumed); for
  0/1 values, the Wilson interval of their count (a bootstrap of identical values has no
  width, which would claim certainty that 50 samples cannot give).
- :func:`paired_rates`: two checkpoints on the *same* samples: the difference of their rates
  with Tango's score interval for paired proportions (it keeps its width when no pair
  changed), and McNemar's exact test on the discordant pairs. Pairing removes the
  between-sample variance that an unpaired comparison would count against the difference.
  :func:`paired_drop_p` is its one-sided form: did the rate fall?
- :func:`paired_means`: the same for continuous per-sample values (paired bootstrap).
- The alarm's figures, which the report draws too: :func:`moving_mean`, :func:`fit_gao`
  (Gao et al.'s curve of gold against d = sqrt(KL)), and the one-sided z-tests
  :func:`one_sided_p` (rates) and :func:`one_sided_p_means` (per-step means).

Every figure's ``as_dict`` names its interval (``"interval"``); empty input gives n = 0, no
p-value (NaN, ``None`` in dicts) and the widest interval, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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

    def percent(self) -> str:
        """Whole percents, as reports show them: ``40% (95% CI 33%-47%, n=300)``."""
        low, high = self.interval
        return f"{self.value:.0%} (95% CI {low:.0%}-{high:.0%}, n={self.n})"

    @classmethod
    def from_dict(cls, figure: Mapping | None) -> Rate | None:
        """A rate back from its stored dict (``as_dict``, a probe summary figure, a trend
        point); None when there is none, or it holds no samples, or it is not a rate."""
        if not figure or figure.get("kind", "rate") != "rate" or not figure.get("n"):
            return None
        return cls(int(figure["successes"]), int(figure["n"]))

    def as_dict(self) -> dict[str, float | int | str]:
        low, high = self.interval
        return {
            "rate": self.value,
            "low": low,
            "high": high,
            "n": self.n,
            "successes": self.successes,
            "interval": "Wilson",
        }


def mean_of_present(values: Sequence[float | None]) -> float:
    """The mean of the values that are there: ``None`` (TRL's "not applicable") and NaN are
    absent, not zero; NaN when none is there."""
    present = [v for v in values if v is not None and not math.isnan(v)]
    return sum(present) / len(present) if present else float("nan")


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
    """A mean of per-sample values with its n and 95% interval (Wilson for 0/1 values,
    percentile bootstrap otherwise)."""

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
    def binary(self) -> bool:
        return bool(self.values) and all(v in (0.0, 1.0) for v in self.values)

    @property
    def interval_name(self) -> str:
        return "Wilson" if self.binary else "bootstrap"

    @property
    def interval(self) -> tuple[float, float]:
        if self.binary:
            return wilson_interval(int(sum(self.values)), self.n)
        return bootstrap_interval(list(self.values))

    def __str__(self) -> str:
        low, high = self.interval
        return f"{self.value:.3g} [{low:.3g}, {high:.3g}] (n={self.n})"

    def as_dict(self) -> dict[str, float | int | str]:
        low, high = self.interval
        return {
            "mean": self.value,
            "low": low,
            "high": high,
            "n": self.n,
            "interval": self.interval_name,
        }


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

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "interval": "bootstrap",
        }


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
    p_value: float  # NaN when there is nothing to test
    n: int
    test: str
    interval: str = "bootstrap"

    def __str__(self) -> str:
        if self.n == 0:
            return "no pairs (paired n=0)"
        return (
            f"{self.difference:+.3g} [{self.low:+.3g}, {self.high:+.3g}] "
            f"(paired n={self.n}, {self.test} p={self.p_value:.2g})"
        )

    def as_dict(self) -> dict[str, float | int | str | None]:
        return {
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "p_value": None if math.isnan(self.p_value) else self.p_value,
            "n": self.n,
            "test": self.test,
            "interval": self.interval,
        }


def _no_pairs(test: str, interval: str) -> PairedComparison:
    nan = float("nan")
    return PairedComparison(nan, -1.0, 1.0, nan, 0, test, interval)


def tango_interval(
    only_a: int, only_b: int, n: int, confidence: float = 0.95
) -> tuple[float, float]:
    """Tango's (1998) score interval for B's rate minus A's on n paired binary samples.

    ``only_a`` pairs are true for A only, ``only_b`` for B only. Unlike a bootstrap over pairs
    it keeps its width when no pair changed (0 of 200 gives about [-1.9%, +1.9%], not
    [0, 0]). The bounds are where the score statistic, with the discordant cell's maximum
    likelihood under the constraint, reaches the normal quantile; found by bisection.
    """
    if n <= 0:
        return -1.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    b, c = only_b, only_a  # Tango's orientation: delta = (b - c) / n, our B minus A

    def score(delta: float) -> float:
        w = -(b + c) + (2 * n - b + c) * delta
        q = (math.sqrt(max(w * w + 8 * n * c * delta * (1 - delta), 0.0)) - w) / (4 * n)
        variance = n * (2 * q + delta * (1 - delta))
        if variance <= 0:
            return math.copysign(math.inf, b - c - n * delta) if b - c != n * delta else 0.0
        return (b - c - n * delta) / math.sqrt(variance)

    def solve(target: float, low: float, high: float) -> float:
        """The delta in [low, high] where the (falling) score equals ``target``."""
        for _ in range(60):
            mid = (low + high) / 2
            if score(mid) > target:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    estimate = (b - c) / n
    lower = -1.0 if score(-1.0) <= z else solve(z, -1.0, estimate)
    upper = 1.0 if score(1.0) >= -z else solve(-z, estimate, 1.0)
    return max(-1.0, lower), min(1.0, upper)


def paired_rates(a: list[bool], b: list[bool]) -> PairedComparison:
    """Rate of B minus rate of A on paired binary outcomes (same samples, same order).

    Interval: Tango's score interval for paired proportions; test: exact McNemar.
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples must align, got {len(a)} and {len(b)}")
    if not a:
        return _no_pairs("McNemar", "Tango score")
    only_a = sum(bool(x) and not y for x, y in zip(a, b, strict=True))
    only_b = sum(bool(y) and not x for x, y in zip(a, b, strict=True))
    n = len(a)
    low, high = tango_interval(only_a, only_b, n)
    return PairedComparison(
        (only_b - only_a) / n, low, high, mcnemar_p(only_a, only_b), n, "McNemar", "Tango score"
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
    if not a:
        nan = float("nan")
        return PairedComparison(nan, nan, nan, nan, 0, "sign-flip")
    differences = [y - x for x, y in zip(a, b, strict=True)]
    n = len(differences)
    observed = sum(differences) / n
    low, high = bootstrap_interval(differences)
    rng = random.Random(0)
    extreme = sum(
        abs(sum(d if rng.random() < 0.5 else -d for d in differences) / n) >= abs(observed)
        for _ in range(2000)
    )
    return PairedComparison(observed, low, high, (extreme + 1) / 2001, n, "sign-flip")


def paired_mean_rise_p(before: Sequence[float], after: Sequence[float]) -> float:
    """One-sided sign-flip p-value that the mean rose from ``before`` to ``after``.

    Same samples in the same order: each pair's difference keeps or flips its sign at random
    under the null. Vectorised (numpy), so a 300-problem evaluation costs milliseconds; the
    random stream is fixed, so the same figures always give the same p."""
    import numpy as np

    if len(before) != len(after):
        raise ValueError(f"paired samples must align, got {len(before)} and {len(after)}")
    differences = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    differences = differences[differences != 0]
    if differences.size == 0:
        return 1.0
    observed = differences.mean()
    signs = np.random.default_rng(0).choice((-1.0, 1.0), size=(4000, differences.size))
    null = (signs * differences).mean(axis=1)
    return float(((null >= observed - 1e-12).sum() + 1) / (len(null) + 1))


# -- the over-optimization alarm's figures (the report draws them too) --------------------
@dataclass(frozen=True)
class GaoFit:
    """Gao et al.'s gold-gain curve R(d) = d (a - b ln d) as fitted, and where the run is on it."""

    a: float
    b: float
    peak_d: float | None  # None when the fit has no interior maximum (b <= 0)
    r_squared: float
    current_d: float

    @property
    def passed_peak(self) -> bool:
        return self.peak_d is not None and self.current_d > self.peak_d

    def predict(self, d: Sequence[float]) -> list[float]:
        return [x * (self.a - self.b * math.log(x)) if x > 0 else 0.0 for x in d]


def fit_gao(
    d: Sequence[float], gold: Sequence[float], baseline: float | None = None
) -> GaoFit | None:
    """Least-squares fit of gold - baseline = d (a - b ln d); ``None`` with too few points."""
    points = [(x, y) for x, y in zip(d, gold, strict=True) if x > 1e-6 and math.isfinite(y)]
    if len(points) < 5:
        return None
    base = gold[0] if baseline is None else baseline
    import numpy as np

    x = np.array([p[0] for p in points])
    y = np.array([p[1] - base for p in points])
    features = np.column_stack([x, -x * np.log(x)])
    (a, b), *_ = np.linalg.lstsq(features, y, rcond=None)
    predicted = features @ np.array([a, b])
    spread = float(((y - y.mean()) ** 2).sum())
    r_squared = 1 - float(((y - predicted) ** 2).sum()) / spread if spread > 0 else 0.0
    peak = math.exp(a / b - 1) if b > 0 and a / b - 1 < 50 else None
    return GaoFit(float(a), float(b), peak, r_squared, float(max(d)))


def moving_mean(values: Sequence[float], window: int) -> list[float]:
    """The mean of each value and the ``window - 1`` before it (fewer at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def one_sided_p(best: float, now: float, n_best: int, n_now: int) -> float:
    """p-value that the success rate behind ``now`` is lower than behind ``best`` (z-test)."""
    pooled = (best * n_best + now * n_now) / (n_best + n_now)
    se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n_best + 1 / n_now))
    return 1 - NormalDist().cdf((best - now) / se)


def one_sided_p_means(before: Sequence[float], after: Sequence[float]) -> float:
    """p-value that the mean behind ``after`` is lower than behind ``before`` (Welch z-test on
    per-step means; for the rollouts, whose prompts change from step to step)."""

    def spread(values: Sequence[float]) -> float:
        m = sum(values) / len(values)
        return sum((v - m) ** 2 for v in values) / max(1, len(values) - 1)

    se = math.sqrt(spread(before) / len(before) + spread(after) / len(after)) or 1e-12
    difference = sum(before) / len(before) - sum(after) / len(after)
    return 1 - NormalDist().cdf(difference / se)


def unpaired_difference_p(a: float, se_a: float, b: float, se_b: float) -> float:
    """Two-sided z-test p-value that two independent estimates differ, from their standard
    errors (for figures that come without their samples, so cannot be paired)."""
    se = math.sqrt(se_a * se_a + se_b * se_b)
    if se == 0:
        return 1.0 if a == b else 0.0
    return 2 * (1 - NormalDist().cdf(abs(b - a) / se))
