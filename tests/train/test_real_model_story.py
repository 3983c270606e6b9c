"""The Goldilocks story on a real model, reduced to minutes: SmolLM2-135M-Instruct warm-started
into the zone (cached), GRPO at a learning rate that breaks it within a few steps, the alarm,
selection. Held-out gold must fall significantly, the alarm must fire no later than one
evaluation after the fall is significant (and stop the run there), and the shipped checkpoint
must beat the last on the same problems."""

import pytest

from ripeness.demo import real_model_config
from ripeness.records.run import RunDirectory
from ripeness.report.alarm_review import review_alarm
from ripeness.report.html import write_report
from ripeness.train.run import train
from ripeness.train.zone import load_zone_card

pytestmark = [pytest.mark.slow, pytest.mark.real_model]


def story_config(model_dir, out):
    config = real_model_config(model_dir, out, steps=10, learning_rate=1e-4, seed=0)
    config.run.name = "story"
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
    return config


def test_smollm2_over_optimized_is_caught_and_an_earlier_checkpoint_shipped(
    smollm2_zone_dir, tmp_path
):
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
    _, selection = write_report(config.run_dir(), show_progress=False)
    assert selection.chosen is not None, selection.reasons
    assert selection.chosen.candidate.step < last_step
    gain = selection.versus_last  # chosen minus last, paired, on the confirmation problems
    assert gain is not None and gain.low > 0, (gain, selection.reasons)
