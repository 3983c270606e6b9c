"""The Goldilocks story on a real model, reduced to minutes: SmolLM2-135M-Instruct warm-started
into the zone (cached), GRPO against answer_anywhere (not the demo's last_digit_and_brief: its
rise and fall take 25-50 steps, 6-12 minutes on 2 cores, README "The story on a real model"),
the alarm, selection.

What SmolLM2 does here (measured, README "The story on a real model"): the warm-started model
already runs past the last step on about a third of the problems, so the right total sits in
its work and the proxy pays; GRPO's first steps grow that, and held-out gold falls from the
first evaluation on while the proxy holds. So the test asserts the half of the story that
happens: held-out gold falls significantly, the alarm fires no later than one evaluation after
the fall is significant and stops the run there, and the verdict ships no checkpoint (the only
ones are hacked), naming the hack. With the demo's settings (KL on one completion a step) the
reward-hacking check sees the hack rate grow at step 2, while gold has fallen 40% -> 25%
(p=0.011, one comparison) but not yet to the alarm's corrected level: the alarm then comes
before the fall is due, which the bar allows (it asks for no later). Shipping nothing keeps the
start, and the verdict's paired comparison of the start with the last (+15%, p=0.022 here) is
asserted as the selection beating the last. A rise before the fall, and a marked checkpoint
that beats the last, are the demo's (last_digit_and_brief at 3e-4, README "The story on a real
model"), too long a run for this test."""

import pytest

from ripeness.demo import real_model_config
from ripeness.records.run import RunDirectory
from ripeness.report.alarm_review import review_alarm
from ripeness.report.html import write_report
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
    config.select.confirmation_problems = 40
    config.select.probes = []
    config.select.max_hack_rate = 0.5  # the start's own hack rate is ~30% (README)
    return config


def test_smollm2_over_optimized_is_caught_and_nothing_hacked_is_shipped(smollm2_zone_dir, tmp_path):
    zone = load_zone_card(smollm2_zone_dir)
    assert zone is not None and zone.base.rate < 0.2, "the base model should start below the zone"
    assert zone.reading.rate > zone.base.rate, zone.reading.text()
    config = story_config(smollm2_zone_dir, tmp_path)
    result = train(config, show_progress=False)
    review = review_alarm(config.run_dir())
    # gold fell: where the run stopped it is below its best, paired, one planned comparison
    assert review["last_gold"] < review["peak_gold"] and review["fall_p"] < 0.05, review
    assert review["alarm_step"] is not None, review
    if review["due_step"] is not None:  # the fall reached the alarm's own corrected level
        assert review["in_time"], review
    else:  # the alarm stopped the run before it got there: earlier still, and it says why
        assert review["alarm_kind"] in ("reward hacking", "over-optimization"), review
    run = RunDirectory(config.run_dir())
    try:
        last_step = max(row["step"] for row in run.steps())
    finally:
        run.close()
    assert last_step == result.final_step == result.alarm_step == review["alarm_step"]
    assert last_step < config.grpo.steps, "the alarm stops the run"
    report, selection = write_report(config.run_dir(), show_progress=False)
    assert selection.chosen is None, selection.reasons
    assert "hack" in selection.headline, selection.headline
    base, *trained = selection.assessments
    assert trained and all(a.gold.value < base.gold.value for a in trained)
    assert "Ship nothing" in report.read_text()
    # what the verdict keeps (the start) beats the last checkpoint, paired on the same problems
    kept = selection.start_versus_last
    assert kept is not None and kept.difference > 0 and kept.p_value < 0.05, kept
