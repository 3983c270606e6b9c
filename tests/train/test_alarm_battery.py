"""The alarm on rewards it was never tuned on: the reduced version of ``bench/alarm.py``.

Its settings were chosen on ``answer_anywhere`` at difficulties 6-7. Here: ``length_biased``
(built in, pays long answers) and ``within_ten_percent`` (a lenient reward written as a user
writes a TRL reward, in ``bench/alarm_rewards.py``, used by reference). Whenever held-out gold
falls significantly (the alarm's own paired test at its corrected level), the alarm must fire
no later than one evaluation after that, and the checkpoint nearest the held-out peak is
marked. A gold-only run must not alarm: ``test_gold_as_the_reward_raises_no_alarm`` in
``test_train_overoptimization.py`` is that run (60 steps, the same model and settings).
"""

from pathlib import Path

import pytest

from ripeness import review_alarm
from ripeness.train.config import RewardComponent, TrainConfig
from ripeness.train.run import train

pytestmark = pytest.mark.slow

OWN_REWARDS = Path(__file__).resolve().parents[2] / "bench" / "alarm_rewards.py"


@pytest.mark.parametrize(
    ("reward", "steps"),
    [("length_biased", 40), (f"{OWN_REWARDS}:within_ten_percent", 50)],
    ids=["length_biased", "within_ten_percent"],
)
def test_a_significant_fall_of_gold_alarms_in_time(default_model_dir, tmp_path, reward, steps):
    config = TrainConfig()
    config.run.name, config.run.out = "arm", str(tmp_path)
    config.model.path = str(default_model_dir)
    config.reward.components = [RewardComponent(reward, 1.0)]
    config.grpo.steps = steps
    config.monitor.alarm_action = "warn"  # go on past the alarm
    train(config.validate(), show_progress=False)
    review = review_alarm(tmp_path / "arm")
    if review["due_step"] is None:
        # within_ten_percent's gold rose and held this stop (33% -> 44% -> 42% in 50 steps,
        # where it once fell): with no significant fall, no fall may be alarmed either
        assert reward != "length_biased", review["gold"]
        assert review["alarm_kind"] not in ("over-optimization", "regression"), review
        return
    # the reward is hackable: held-out gold falls significantly from its best ...
    assert review["last_gold"] < review["peak_gold"] - 0.08
    # ... and the alarm says so no later than one evaluation after
    assert review["in_time"], review
    assert review["alarm_kind"] in ("over-optimization", "regression")
    assert review["alarm_step"] >= review["peak_step"]
    # the checkpoint nearest the peak is marked, and it beats the last one, paired
    every = config.checkpoints.every
    assert abs(review["marked_step"] - max(review["peak_step"], every)) < every
    assert review["marked_minus_last"]["interval"][0] > 0
