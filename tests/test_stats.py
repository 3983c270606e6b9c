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
