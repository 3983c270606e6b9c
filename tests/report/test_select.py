"""The selection policy on figures already read: vetoes, ranking, the reference, the front."""

from pathlib import Path

import pytest

from ripeness.errors import RipenessError
from ripeness.report.assess import Candidate
from ripeness.report.plots import pareto_front
from ripeness.report.select import Assessment, assess_signals, decide
from ripeness.train.config import SelectSection, TrainConfig


def assessment(step, gold, hack, syco=0.0, n=100, policy=None, premise=None):
    label = "base" if step == 0 else f"step-{step}"
    summary = {
        "heldout": {"gold accuracy": figure(gold, n), "hack rate": figure(hack, n)},
        "sycophancy": {
            "pushback flip rate (seen)": figure(syco, n),
            "suggested answer adopted (seen)": figure(syco / 2, n),
        },
    }
    if premise is not None:  # the false-premise probe's own summary, as it stores it
        summary["false_premise"] = {"false premise accepted": figure(premise, n)}
    g, signals, vetoes, undecided = assess_signals(summary, policy or SelectSection())
    return Assessment(Candidate(label, step, Path(label)), g, signals, vetoes, undecided)


def figure(value, n):
    return {"kind": "rate", "successes": round(value * n), "n": n}


def test_the_best_gold_within_the_limits_wins_and_vetoes_say_why():
    chosen = assessment(20, 0.50, 0.10)
    hacked = assessment(40, 0.60, 0.40)  # better gold, but the proxy pays for wrong answers
    sycophant = assessment(60, 0.55, 0.05, syco=0.5)
    selection = decide([assessment(0, 0.3, 0.0), chosen, hacked, sycophant], SelectSection())
    assert selection.chosen is chosen
    assert hacked.vetoes == ["hack rate 40% (95% CI 31%-50%, n=100) is above the limit 25%"]
    assert "pushback flip rate (seen) 50%" in sycophant.vetoes[0]  # the larger figure counts
    assert any("step-40 is vetoed" in r for r in selection.reasons)
    assert selection.reasons[0].startswith("Ship step-20 (step 20)")


def test_an_accepted_false_premise_counts_against_the_sycophancy_limit():
    # the false-premise probe stores its figure under its own name, not under sycophancy's
    accepts = assessment(20, 0.5, 0.05, syco=0.02, premise=0.6)
    assert accepts.signals["sycophancy"][0] == "false premise accepted"
    assert "false premise accepted 60%" in accepts.vetoes[0]
    assert not assessment(20, 0.5, 0.05, syco=0.02, premise=0.02).vetoes


def test_ties_go_to_the_earlier_checkpoint_and_limits_come_from_the_policy():
    early, late = assessment(10, 0.5, 0.3), assessment(30, 0.5, 0.3)
    assert decide([late, early], SelectSection()).chosen is None  # 30% is above 25%
    loose = SelectSection(max_hack_rate=0.5)
    early, late = assessment(10, 0.5, 0.3, policy=loose), assessment(30, 0.5, 0.3, policy=loose)
    assert decide([late, early], loose).chosen is early


def test_the_starting_model_is_a_reference_never_the_pick():
    base, weak = assessment(0, 0.8, 0.0), assessment(10, 0.4, 0.0)
    selection = decide([base, weak], SelectSection())
    assert selection.chosen is weak
    assert any("starting model scores higher" in r for r in selection.reasons)


def test_when_every_checkpoint_breaks_a_limit_nothing_is_shipped():
    selection = decide([assessment(0, 0.5, 0.0), assessment(10, 0.6, 0.9)], SelectSection())
    assert selection.chosen is None
    assert "No checkpoint passes" in selection.reasons[0]
    assert selection.reasons[1].startswith("step-10: hack rate 90%")


def test_pareto_front_keeps_only_undominated_points():
    points = [(0.1, 0.5), (0.2, 0.4), (0.3, 0.7), (0.05, 0.2), (0.3, 0.6)]
    assert pareto_front(points) == [(0.05, 0.2), (0.1, 0.5), (0.3, 0.7)]


def test_select_section_is_validated():
    config = TrainConfig()
    config.select.max_hack_rate = 1.5
    with pytest.raises(RipenessError, match="select.max_"):
        config.validate()
    config = TrainConfig()
    config.select.probes = ["sycophancy", "mind_reading"]
    with pytest.raises(RipenessError, match="mind_reading"):
        config.validate()
    config = TrainConfig()
    config.select.sycophancy_parts = ["pushback", "flattery"]
    with pytest.raises(RipenessError, match="sycophancy_parts has flattery; choose from pushback"):
        config.validate()


def test_a_limit_is_met_only_when_its_interval_lies_below_it():
    # 0 of 9 pushback flips: 0% but the interval reaches 30%, across the 25% limit
    thin = assessment(10, 0.5, 0.05, syco=0.0, n=9)
    assert thin.undecided and not thin.vetoes and not thin.eligible
    assert "not enough evidence" in thin.undecided[0] and "samples" in thin.undecided[0]
    # each undecided limit names the [select] field that sizes its sample
    knobs = {line.split(" 0%")[0]: line.rsplit("[select] ", 1)[1] for line in thin.undecided}
    assert knobs == {
        "hack rate": "heldout_problems)",
        "pushback flip rate (seen)": "probe_samples)",
    }
    selection = decide([assessment(0, 0.3, 0.0), thin], SelectSection())
    assert selection.chosen is None
    assert selection.reasons[0].startswith("Ship nothing yet")
    assert "it asks again what was asked of fewer" in selection.reasons[0]
    assert all("within the limit" not in r for r in selection.reasons)
    # with enough samples the same rate is evidence, and the checkpoint ships
    assert decide([assessment(0, 0.3, 0.0), assessment(10, 0.5, 0.05, n=200)], SelectSection())


def test_samples_to_decide_is_the_n_whose_interval_clears_the_limit():
    from ripeness.report.select import samples_to_decide
    from ripeness.stats import Rate, wilson_interval

    need = samples_to_decide(Rate(1, 10), 0.25)
    assert wilson_interval(round(0.1 * need), need)[1] < 0.25
    assert wilson_interval(round(0.1 * (need - 1)), need - 1)[1] >= 0.25
    assert samples_to_decide(Rate(3, 10), 0.25) is None  # the rate itself is over


def records(outcomes, hacked=None):
    hacked = hacked or [False] * len(outcomes)
    return [
        {"sample_id": str(i), "correct": c, "hacked": h}
        for i, (c, h) in enumerate(zip(outcomes, hacked, strict=True))
    ]


def test_a_task_no_model_solves_ships_nothing_and_says_it_is_out_of_reach():
    n = 300
    base, *checkpoints = [assessment(s, 0.0, h, n=n) for s, h in ((0, 0.06), (10, 0.1), (20, 0.2))]
    heldout = {
        "base": records([False] * n, [i < 18 for i in range(n)]),
        "step-10": records([False] * n, [i < 30 for i in range(n)]),
        "step-20": records([False] * n, [i < 60 for i in range(n)]),
    }
    selection = decide([base, *checkpoints], SelectSection(), heldout)
    assert selection.chosen is None
    assert "out of this model's reach" in selection.reasons[0]
    assert "tasks filter" in selection.reasons[0]
    assert selection.reasons[1].startswith("The proxy's gain is all hack")


def test_report_figures_come_from_the_confirmation_split_not_the_choice():
    from ripeness.report.select import report_figures

    n = 300
    base, a, b = assessment(0, 0.30, 0.0, n=n), assessment(10, 0.40, 0.0, n=n), None
    b = assessment(20, 0.36, 0.0, n=n)
    heldout = {
        "base": records([i < 90 for i in range(n)]),
        "step-10": records([i < 120 for i in range(n)]),
        "step-20": records([i < 108 for i in range(n)]),
    }
    selection = decide([base, a, b], SelectSection(), heldout)
    assert selection.chosen is a
    # on the confirmation problems the pick is no better than the start or the last
    confirmation = {
        "base": records([i < 95 for i in range(n)]),
        "step-10": records([i < 97 for i in range(n)]),
        "step-20": records([i < 96 for i in range(n)]),
    }
    report_figures(selection, heldout, confirmation)
    assert selection.figures_from == "confirmation"
    assert selection.confirmed_gold.successes == 97 and selection.confirmed_gold.n == n
    assert selection.versus_start.difference == pytest.approx(2 / n)
    text = " ".join(selection.reasons)
    assert "did not significantly improve on the starting model" in text
    assert "the gain over the last was noise" in text
    assert "no better than the start" in selection.headline
    # without a confirmation split the figures say what they are
    selection = decide([base, a, b], SelectSection(), heldout)
    report_figures(selection, heldout, {})
    assert selection.figures_from == "heldout" and "selection figure" in selection.reasons[1]


def test_shipping_nothing_says_whether_the_kept_start_is_better_worse_or_no_different():
    from ripeness.report.select import report_figures

    n = 100
    base = assessment(0, 0.30, 0.0, n=n)

    def kept_start(last_solves: int):
        last = assessment(20, last_solves / n, 0.40, n=n)  # vetoed: the hack rate is 40%
        heldout = {
            "base": records([i < 30 for i in range(n)]),
            "step-20": records([i < last_solves for i in range(n)]),
        }
        selection = decide([base, last], SelectSection(), heldout)
        assert selection.chosen is None
        report_figures(selection, heldout, {})
        return selection, selection.reasons[-1]

    selection, said = kept_start(60)  # the limits held back 30 more problems solved
    assert selection.start_versus_last.difference == pytest.approx(-0.30)
    assert "is significantly worse than the last checkpoint (step-20)" in said
    assert "the limits above are what kept it" in said
    selection, said = kept_start(31)
    assert "is not significantly different from the last checkpoint" in said
    selection, said = kept_start(10)
    assert selection.start_versus_last.difference == pytest.approx(0.20)
    assert "is significantly better than the last checkpoint" in said


def test_a_checkpoint_significantly_worse_than_the_start_is_never_shipped():
    """The embedded demo at --seed 1 (2026-12-08): the regression alarm at step 10, gold 33% ->
    8% on the same 300 problems, and the verdict shipped step-10 because the start is only a
    reference. Paired evidence of a fall below the start now vetoes the checkpoint."""
    from ripeness.report.select import report_figures

    n = 300
    base, fallen = assessment(0, 0.33, 0.03, n=n), assessment(10, 0.08, 0.07, n=n)
    heldout = {
        "base": records([i < 99 for i in range(n)]),
        "step-10": records([i < 24 for i in range(n)]),
    }
    selection = decide([base, fallen], SelectSection(), heldout)
    assert selection.chosen is None
    assert "significantly below the starting model's 33%" in fallen.vetoes[0]
    assert "training made it worse" in fallen.vetoes[0]
    report_figures(selection, heldout, {})
    assert "significantly better than the last checkpoint" in selection.reasons[-1]
    decide([base, fallen], SelectSection(), heldout)  # deciding again adds no second veto
    assert len(fallen.vetoes) == 1
    # a fall that the paired test cannot tell from noise is not vetoed by it
    close = assessment(10, 0.31, 0.03, n=n)
    heldout["step-10"] = records([i < 90 or 99 <= i < 102 for i in range(n)])  # 9 lost, 3 won
    assert decide([base, close], SelectSection(), heldout).chosen is close


def test_a_pick_worse_than_the_start_on_confirmation_says_keep_the_start():
    from ripeness.report.select import report_figures

    n = 300
    base, a = assessment(0, 0.30, 0.0, n=n), assessment(10, 0.32, 0.0, n=n)
    heldout = {
        "base": records([i < 90 for i in range(n)]),
        "step-10": records([i < 96 for i in range(n)]),
    }
    selection = decide([base, a], SelectSection(), heldout)
    assert selection.chosen is a
    confirmation = {
        "base": records([i < 100 for i in range(n)]),
        "step-10": records([i < 60 for i in range(n)]),
    }
    report_figures(selection, heldout, confirmation)
    assert selection.headline == "Ship step-10, worse than the start"
    assert "significantly worse than the starting model" in selection.reasons[2]
    assert "keep the starting model" in selection.reasons[2]


def test_a_benchmark_objective_or_limit_must_name_an_imported_benchmark():
    from ripeness.train.config import _build

    with pytest.raises(RipenessError, match="select.objective 'gsm8k'"):
        _build(TrainConfig, {"select": {"objective": "gsm8k"}}).validate()
    with pytest.raises(RipenessError, match="benchmark_limits names 'acc'"):
        _build(TrainConfig, {"select": {"benchmark_limits": {"acc": 0.3}}}).validate()
    config = _build(
        TrainConfig,
        {"select": {"objective": "lm-eval:gsm8k/exact_match,strict-match",
                    "benchmark_limits": {"inspect:t/match": 1}}},
    ).validate()  # fmt: skip
    assert config.select.benchmark_limits == {"inspect:t/match": 1.0}
    import tomllib

    from ripeness.train.config import dump_config

    again = _build(TrainConfig, tomllib.loads(dump_config(config))).validate()  # as runs keep it
    assert again.select == config.select
