import math

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
    # ... and keeps its width there: 0 of 20 is not proof of a zero rate
    assert 0.1 < wilson_interval(0, 20)[1] < 0.2 and 0.8 < wilson_interval(20, 20)[0] < 0.9


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


def test_binary_means_keep_a_real_interval_when_every_sample_agrees():
    from ripeness.stats import Mean

    zeros = Mean.of([0] * 50)
    assert zeros.interval == wilson_interval(0, 50) and zeros.interval[1] > 0.05
    assert zeros.as_dict()["interval"] == "Wilson"
    ones = Mean.of([1, 1, 1, 1])
    assert ones.interval[0] < 0.6 and ones.interval[1] == 1.0
    assert Mean.of([1.5, 2.5, 3.5]).as_dict()["interval"] == "bootstrap"


def test_no_change_in_200_pairs_is_not_a_certainty():
    from ripeness.stats import paired_rates

    same = paired_rates([False] * 120 + [True] * 80, [False] * 120 + [True] * 80)
    z2 = 1.959963984540054**2
    assert same.difference == 0 and same.low < 0 < same.high
    # with no discordant pair, Tango's bound has the closed form z^2 / (n + z^2)
    assert same.high == pytest.approx(z2 / (200 + z2), rel=1e-6)
    assert same.low == pytest.approx(-same.high, rel=1e-6)
    assert same.as_dict()["interval"] == "Tango score"


def test_paired_interval_covers_the_true_difference_about_95_percent_of_the_time():
    import random

    from ripeness.stats import paired_rates

    rng, hits, runs = random.Random(7), 0, 1000
    cells = [(True, False, 0.10), (False, True, 0.25), (True, True, 0.60)]  # else both false
    for _ in range(runs):
        a, b = [], []
        for _ in range(40):
            u, chosen = rng.random(), (False, False)
            for x, y, upto in cells:
                if u < upto:
                    chosen = (x, y)
                    break
            a.append(chosen[0])
            b.append(chosen[1])
        result = paired_rates(a, b)
        hits += result.low <= 0.15 - 0.10 <= result.high
    assert 0.92 <= hits / runs <= 0.975, hits / runs


def test_empty_pairs_give_n_zero_and_no_p_value():
    from ripeness.stats import paired_means, paired_rates

    for empty in (paired_rates([], []), paired_means([], [])):
        assert empty.n == 0 and math.isnan(empty.p_value)
        assert empty.as_dict()["p_value"] is None and "n=0" in str(empty)


def test_mcnemar_matches_the_exact_binomial_by_hand():
    from ripeness.stats import mcnemar_p, paired_drop_p

    def by_hand(k, n):  # two-sided: twice the smaller tail, at most 1
        tail = sum(math.comb(n, i) for i in range(min(k, n - k) + 1)) / 2**n
        return min(1.0, 2 * tail)

    for only_a, only_b in [(3, 12), (12, 3), (5, 5), (0, 9), (1, 0)]:
        assert mcnemar_p(only_a, only_b) == pytest.approx(by_hand(only_a, only_a + only_b))
    fell = sum(math.comb(15, i) for i in range(12, 16)) / 2**15  # 12+ of 15 changes fell
    before, after = [True] * 12 + [False] * 3, [False] * 12 + [True] * 3
    assert paired_drop_p(before, after) == pytest.approx(fell)


def test_bootstrap_and_sign_flip_agree_with_scipy():
    import random

    from scipy.stats import bootstrap, permutation_test

    from ripeness.stats import bootstrap_interval, paired_means

    rng = random.Random(3)
    values = [rng.gauss(10, 3) for _ in range(80)]
    ours = bootstrap_interval(values, resamples=4000)
    theirs = bootstrap(
        (values,),
        lambda x: sum(x) / len(x),
        method="percentile",
        n_resamples=4000,
        vectorized=False,
        random_state=0,
    ).confidence_interval
    assert ours[0] == pytest.approx(theirs.low, abs=0.15)
    assert ours[1] == pytest.approx(theirs.high, abs=0.15)
    a = [rng.gauss(0, 1) for _ in range(30)]
    b = [x + 0.3 + rng.gauss(0, 1) for x in a]
    test = permutation_test(
        (a, b),
        lambda x, y: (sum(y) - sum(x)) / len(x),
        permutation_type="samples",
        n_resamples=4000,
        random_state=0,
        vectorized=False,
    )
    assert paired_means(a, b).p_value == pytest.approx(test.pvalue, abs=0.03)
