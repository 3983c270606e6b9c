"""The Goldilocks story on a real model, reduced to minutes: SmolLM2-135M-Instruct warm-started
into the zone (cached), a short GRPO against a proxy that breaks it quickly, the alarm, and
the shipped checkpoint against the last.

The proxy here is answer_anywhere (the demo's length_biased needs ~20 steps to rise and more
to fall, README "The story on a real model"): the warm-started model already runs past the
last step on about a third of the problems, so the right total sits in its work and the
proxy pays; GRPO's first steps grow that and held-out gold falls from the first evaluation
on. So the test asserts: held-out gold falls significantly, the alarm fires no later than
one evaluation after the fall is significant and stops the run there, and the verdict ships
a checkpoint that beats the last on paired problems (here the start: every trained one is
over the hack-rate limit) while naming the hack."""

import pytest

from ripeness.demo import real_model_config
from ripeness.evaluation import CONFIRMATION_PROBE
from ripeness.records.run import HELDOUT_GOLD, RunDirectory, outcomes
from ripeness.report.alarm_review import review_alarm
from ripeness.report.html import write_report
from ripeness.stats import paired_rates
from ripeness.train.run import train
from ripeness.train.zone import load_zone_card

pytestmark = [pytest.mark.slow, pytest.mark.real_model]


def story_config(model_dir, out):
    config = real_model_config(model_dir, out, steps=10, learning_rate=2e-4, seed=0)
    config.run.name = "story"
    config.reward.proxy = "answer_anywhere"
    config.grpo.scale_rewards = "group"
    # 60 problems: at the alarm's alpha = 1e-3 a paired fall needs at least 10 problems lost
    config.task.heldout_problems = 60
    config.grpo.prompts_per_step = 2
    config.grpo.max_completion_length = 48
    config.monitor.eval_every = 2
    config.monitor.warmup_steps = 4
    config.monitor.window = 2
    config.checkpoints.every = 2
    config.select.every = 2
    config.select.heldout_problems = 60
    config.select.confirmation_problems = 60
    config.select.probes = []
    # the start already overshoots into a hack rate of ~30% (see above); the hacked checkpoints
    # GRPO makes sit near 50% and above
    config.select.max_hack_rate = 0.5
    return config


def test_smollm2_over_optimized_is_caught_and_a_better_one_shipped(smollm2_zone_dir, tmp_path):
    zone = load_zone_card(smollm2_zone_dir)
    assert zone is not None and zone.base.rate < 0.2, "the base model should start below the zone"
    assert zone.reading.rate > zone.base.rate, zone.reading.text()
    config = story_config(smollm2_zone_dir, tmp_path)
    result = train(config, show_progress=False)
    review = review_alarm(config.run_dir())
    assert review["due_step"] is not None, f"held-out gold never fell significantly: {review}"
    assert review["in_time"], review
    run = RunDirectory(config.run_dir())
    try:
        last_step = max(row["step"] for row in run.steps())
    finally:
        run.close()
    assert last_step == result.final_step == result.alarm_step == review["alarm_step"]
    assert last_step < config.grpo.steps, "the alarm stops the run"
    report, selection = write_report(config.run_dir(), show_progress=False)
    assert selection.chosen is not None, selection.reasons
    assert selection.chosen.candidate.step < last_step, selection.reasons
    assert "hack" in " ".join(selection.reasons), selection.reasons
    # the pick beats the last on the same problems: on the selection split significantly (the
    # fall the alarm saw), and on the confirmation split, which chose nothing, by its estimate
    run = RunDirectory(config.run_dir())
    try:
        evals = {e["step"]: outcomes(e) for e in run.evals(HELDOUT_GOLD)}
    finally:
        run.close()
    heldout = paired_rates(evals[last_step], evals[selection.chosen.candidate.step])
    assert heldout.low > 0, heldout
    assert selection.figures_from == CONFIRMATION_PROBE
    assert selection.versus_last is not None and selection.versus_last.difference > 0, (
        selection.versus_last
    )
    assert f"Ship {selection.chosen.candidate.label}" in report.read_text()
