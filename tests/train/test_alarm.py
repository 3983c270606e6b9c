"""The over-optimization alarm on curves whose shape we know."""

import math
import random
from statistics import NormalDist

import pytest

from ripeness.stats import fit_gao, moving_mean
from ripeness.train.alarm import OverOptimizationAlarm
from ripeness.train.batch_stats import advantage_attribution, zero_variance_fraction
from ripeness.train.kl import sequence_kl


def feed(alarm, gold_curve, proxy_curve, steps=120, seed=0, count_completions=False):
    """Simulate GRPO steps along d = step / 30: 8 prompts of 8 completions each.

    Each prompt has its own difficulty (a Beta draw around the curve), so the completions of one
    prompt are correlated, as in real rollouts; the alarm is told the number of prompts (or,
    to show why, the number of completions)."""
    rng = random.Random(seed)

    def step_mean(mean: float) -> float:
        chances = [rng.betavariate(2 * mean, 2 * (1 - mean)) for _ in range(8)]
        return sum(rng.random() < c for c in chances for _ in range(8)) / 64

    for step in range(1, steps + 1):
        d = step / 30
        g, p = step_mean(gold_curve(d)), step_mean(proxy_curve(d))
        alarm.update(step, g, p, d, 64 if count_completions else 8)
    return alarm


def rise_then_fall(d):
    return min(0.95, max(0.02, 0.3 + d * (0.6 - 0.5 * math.log(d))))  # Gao shape, peak near 1.2


def test_fires_when_gold_turns_while_proxy_climbs():
    alarm = feed(OverOptimizationAlarm(), rise_then_fall, lambda d: min(0.95, 0.3 + 0.2 * d))
    assert alarm.fired_at is not None
    assert 40 < alarm.fired_at.step < 120
    assert 25 <= alarm.peak_step() <= 50  # the true peak is at d = 1.2, step 36
    assert alarm.fired_at.fit is not None and alarm.fired_at.fit.passed_peak


def test_quiet_when_gold_keeps_rising():
    alarm = feed(OverOptimizationAlarm(), lambda d: min(0.9, 0.3 + 0.15 * d), lambda d: 0.5)
    assert alarm.fired_at is None


def test_quiet_when_proxy_falls_with_gold():
    alarm = feed(OverOptimizationAlarm(), rise_then_fall, rise_then_fall)
    assert alarm.fired_at is None


def test_quiet_on_noise_around_a_flat_line():
    for seed in range(20):
        alarm = feed(OverOptimizationAlarm(), lambda d: 0.5, lambda d: 0.5, seed=seed)
        assert alarm.fired_at is None, seed


def test_counting_correlated_completions_as_independent_raises_false_alarms():
    false_alarms = sum(
        feed(
            OverOptimizationAlarm(), lambda d: 0.5, lambda d: 0.5, seed=seed, count_completions=True
        ).fired_at
        is not None
        for seed in range(20)
    )
    assert false_alarms >= 3  # why the alarm counts prompts


def evaluate(gold_rates, proxy_rates, n=300, seed=0, alarm=None):
    """Held-out evaluations every 10 steps: the same ``n`` problems, each with its own ease.

    A problem is solved when its ease plus this evaluation's noise clears the bar that gives
    the target rate, so outcomes correlate from one evaluation to the next, as with a policy
    that changes a little between evaluations of the same problems."""
    rng = random.Random(seed)
    ease = [rng.gauss(0, 1) for _ in range(n)]
    spread = NormalDist(0, math.sqrt(1 + 0.7**2))
    alarm = alarm or OverOptimizationAlarm()

    def outcomes(rate):
        bar = spread.inv_cdf(1 - rate)
        return [e + rng.gauss(0, 0.7) > bar for e in ease]

    for i, (g, p) in enumerate(zip(gold_rates, proxy_rates, strict=True)):
        alarm.update_heldout(10 * i, outcomes(g), outcomes(p))
    return alarm


def test_heldout_check_fires_at_the_first_evaluation_that_fell_beyond_the_noise():
    gold = [0.35, 0.40, 0.43, 0.42, 0.38, 0.28, 0.15]
    proxy = [0.36, 0.45, 0.50, 0.55, 0.60, 0.62, 0.66]
    alarm = evaluate(gold, proxy)
    fired = alarm.fired_at
    assert fired is not None and fired.source == "held-out"
    assert fired.step == 50 and fired.gold_peak_step in (20, 30)
    assert fired.p_value < 1e-3 and fired.gold_drop >= 0.08
    assert "while the proxy rose" in fired.reason and "paired, n=300" in fired.reason
    assert fired.alarm_kind == "over-optimization"


def test_gold_falling_with_the_proxy_is_a_regression_not_silence():
    falling_together = [0.45, 0.46, 0.40, 0.30, 0.20]
    fired = evaluate(falling_together, falling_together).fired_at
    assert fired is not None and fired.alarm_kind == "regression" and fired.step == 30
    assert fired.reason.startswith("regression:") and "the proxy fell too" in fired.reason


def test_a_lenient_proxy_that_pays_nearly_everything_cannot_hide_a_collapse_of_gold():
    """The case that once went unseen: the proxy paid 298-300 of 300 throughout (one or two
    fewer than at the peak), gold went 33% -> 28% -> 24% -> 17% -> 7% -> 3%."""
    gold = [0.33, 0.33, 0.28, 0.24, 0.17, 0.07, 0.03]
    proxy = [0.998, 0.999, 0.998, 0.997, 0.997, 0.994, 0.997]
    fired = evaluate(gold, proxy).fired_at
    assert fired is not None and fired.alarm_kind == "over-optimization"
    # no later than one evaluation after the first whose fall is significant at the
    # alarm's corrected level (here the fall to 24% or 17%)
    assert fired.step <= 40, fired.reason


def test_heldout_check_stays_quiet_when_nothing_changes():
    false_alarms = [
        seed
        for seed in range(100)
        if evaluate([0.45] * 11, [0.5] * 11, seed=seed).fired_at is not None
    ]
    # ten looks per run at alpha 1e-3 each: about 1 in 100 flat runs; without the correction
    # for picking the peak among the earlier evaluations, 4 of these 100 would fire
    assert len(false_alarms) <= 2, false_alarms


def test_gao_fit_recovers_its_parameters():
    d = [0.1 * i for i in range(1, 60)]
    gold = [0.2 + x * (0.8 - 0.4 * math.log(x)) for x in d]
    fit = fit_gao(d, gold, baseline=0.2)  # the gold reward at d = 0
    assert fit.a == pytest.approx(0.8, abs=1e-6) and fit.b == pytest.approx(0.4, abs=1e-6)
    assert fit.r_squared > 0.999 and fit.passed_peak
    assert fit_gao(d[:3], gold[:3]) is None


def test_gao_peak_is_the_argmax_of_a_noisy_fit():
    import random

    rng = random.Random(5)
    d = [0.05 * i for i in range(1, 120)]
    gold = [0.2 + x * (0.8 - 0.4 * math.log(x)) + rng.gauss(0, 0.05) for x in d]
    fit = fit_gao(d, gold, baseline=0.2)
    grid = [0.001 * i for i in range(1, 6000)]
    curve = [x * (fit.a - fit.b * math.log(x)) for x in grid]
    argmax = grid[curve.index(max(curve))]
    assert fit.peak_d == pytest.approx(argmax, abs=0.002)  # the closed form is the argmax
    true_peak = math.exp(0.8 / 0.4 - 1)  # 2.72: noise moves the fitted peak only a little
    assert fit.peak_d == pytest.approx(true_peak, rel=0.1)


def test_moving_mean():
    assert moving_mean([1, 2, 3, 4], 2) == [1, 1.5, 2.5, 3.5]


def test_monitor_statistics():
    import torch

    policy = torch.log(torch.tensor([[0.5, 0.5], [0.9, 0.9]]))
    mask = torch.tensor([[1, 1], [1, 0]])
    assert sequence_kl(policy, policy, mask).tolist() == [0.0, 0.0]
    kl = sequence_kl(policy, torch.log(torch.tensor([[0.25, 0.5], [0.9, 0.9]])), mask)
    assert kl[0] > 0 and kl[1] == 0
    rewards = torch.tensor([1.0, 1.0, 0.0, 1.0])
    assert zero_variance_fraction(rewards, 2) == 0.5
    shares = advantage_attribution(
        {
            "gold": torch.tensor([1.0, 0.0, 1.0, 0.0]),
            "feedback": torch.tensor([1.0, 1.0, 0.0, 0.0]),
        },
        {"gold": 1.0, "feedback": 0.5},
        group_size=2,
    )
    assert shares == pytest.approx({"gold": 1.0, "feedback": 0.0})  # feedback is constant per group


def test_a_continuous_proxy_is_judged_on_its_own_scale_not_a_paid_threshold():
    """Correctness plus a brevity bonus: the mean score rises while the share of answers above
    the 'paid' threshold falls with gold. That is over-optimization, not a regression."""
    rng = random.Random(0)
    n = 300
    alarm = OverOptimizationAlarm()
    for i, rate in enumerate([0.32, 0.30, 0.15, 0.05, 0.01]):
        gold = [rng.random() < rate for _ in range(n)]
        bonus = 0.1 + 0.1 * max(0, i - 1)  # brevity pays more and more as gold falls
        scores = [0.5 * g + bonus * rng.uniform(0.8, 1.0) for g in gold]
        alarm.update_heldout(10 * i, gold, [s >= 0.5 for s in scores], scores)
    fired = alarm.fired_at
    assert fired is not None and fired.alarm_kind == "over-optimization", fired
    assert fired.proxy_judged_on == "held-out" and fired.proxy_change > 0


def test_a_group_relative_proxy_is_judged_on_the_rollouts_and_says_so():
    rng = random.Random(1)
    alarm = OverOptimizationAlarm()
    n = 300
    for i, rate in enumerate([0.35, 0.30, 0.12, 0.03]):
        # rollouts: the majority vote pays more (their gold flat, so the held-out check fires)
        for step in range(10 * i, 10 * i + 10):
            alarm.update(step, 0.3, 0.3 + 0.02 * step + rng.uniform(-0.02, 0.02), 0.1, 8)
        gold = [rng.random() < rate for _ in range(n)]
        alarm.update_heldout(10 * i + 9, gold, [True] * n, [1.0] * n)  # one answer: all agree
    fired = alarm.fired_at
    assert fired is not None and fired.alarm_kind == "over-optimization"
    assert fired.proxy_judged_on == "rollouts" and "judged on the rollouts" in fired.reason


def test_gains_that_are_all_hack_alarm_while_a_gold_run_does_not():
    n = 300
    alarm = OverOptimizationAlarm()
    for i, hacks in enumerate([18, 25, 40, 60]):  # 6% -> 20%, gold at 0 throughout
        hacked = [j < hacks for j in range(n)]
        alarm.update_heldout(10 * i, [False] * n, hacked, [float(h) for h in hacked], hacked)
    fired = alarm.fired_at
    assert fired is not None and fired.alarm_kind == "reward hacking", alarm.heldout_status()
    assert fired.step <= 30 and "all hack" in fired.reason
    # the proxy is the gold: it rises with gold, nothing is hacked, nothing fires
    quiet = [
        seed
        for seed in range(30)
        if evaluate([0.3, 0.35, 0.4, 0.45, 0.5], [0.3, 0.35, 0.4, 0.45, 0.5], seed=seed).fired_at
    ]
    assert quiet == []
