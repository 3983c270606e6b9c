import pytest
from scipy.stats import binomtest

from ripeness.stats import Rate, wilson_interval


@pytest.mark.parametrize("k,n", [(0, 10), (10, 10), (7, 20), (95, 100), (1, 3)])
def test_wilson_matches_scipy(k, n):
    expected = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


def test_rate_reports_n_and_interval():
    r = Rate(9, 10)
    assert r.value == 0.9
    assert "n=10" in str(r)
    d = r.as_dict()
    assert d["low"] < 0.9 < d["high"] and d["n"] == 10


def test_bad_counts_are_rejected():
    with pytest.raises(ValueError):
        wilson_interval(11, 10)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_interval_touches_the_bounds_exactly_at_zero_and_all():
    assert wilson_interval(0, 20)[0] == 0.0
    assert wilson_interval(20, 20)[1] == 1.0
    assert Rate(0, 20).interval[0] <= Rate(0, 20).value


def test_mean_interval_covers_the_mean_and_is_deterministic():
    from ripeness.stats import Mean

    m = Mean.of([1, 2, 3, 4, 100, None, float("nan")])
    assert m.n == 5 and m.value == 22
    low, high = m.interval
    assert low < 22 < high and m.interval == (low, high)


def test_paired_comparison_finds_a_real_shift_and_not_a_fake_one():
    from ripeness.stats import paired_means, paired_rates

    before = [True] * 60 + [False] * 40
    after = [True] * 45 + [False] * 15 + [False] * 40  # 15 pairs flipped to wrong, none back
    shift = paired_rates(before, after)
    assert shift.difference == pytest.approx(-0.15)
    assert shift.high < 0 and shift.p_value < 0.001 and shift.n == 100
    same = paired_rates(before, before)
    assert same.difference == 0 and same.p_value == 1.0
    noisy = paired_means([1.0, 2.0, 3.0, 4.0] * 10, [1.1, 1.9, 3.1, 3.9] * 10)
    assert noisy.p_value > 0.05 and noisy.low < 0 < noisy.high
    with pytest.raises(ValueError, match="align"):
        paired_rates([True], [True, False])
