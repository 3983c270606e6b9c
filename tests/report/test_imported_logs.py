"""Another trainer's per-step log, by its own metric names, read as Ripeness's steps."""

import json

import pytest

from ripeness.errors import RipenessError
from ripeness.report.imported import find_checkpoints, trainer_log


def test_a_jsonl_of_verl_metrics_is_read_by_name(tmp_path):
    (tmp_path / "ckpts" / "global_step_20").mkdir(parents=True)
    (tmp_path / "ckpts" / "global_step_20" / "config.json").write_text("{}")
    metrics = tmp_path / "metrics.jsonl"
    rows = [
        {"step": 1, "critic/score/mean": 0.25, "actor/ppo_kl": 0.0, "actor/entropy": 1.5},
        {"step": 2, "data": {"critic/score/mean": 0.5, "actor/ppo_kl": 0.04}},
        {"_step": 3, "critic/rewards/mean": 0.75, "response_length/mean": 120.0},
        {"note": "no step: skipped"},
    ]
    metrics.write_text("\n".join(json.dumps(r) for r in rows))
    found = find_checkpoints(tmp_path / "ckpts")
    assert list(found) == [20]
    log = trainer_log(found, metrics)
    assert [r["step"] for r in log] == [1, 2, 3]
    assert [r["proxy"] for r in log] == [0.25, 0.5, 0.75]
    assert log[1]["d"] == pytest.approx(0.2) and log[0]["entropy"] == 1.5
    assert log[2]["length"] == 120.0 and log[2]["d"] is None
    metrics.write_text('{"step": 1}\nnot json\n')
    with pytest.raises(RipenessError, match=r"metrics.jsonl:2"):
        trainer_log(found, metrics)


def test_verl_tensorboard_scalars_are_read_by_name(tmp_path):
    # veRL's tensorboard logger writes each metric with torch's SummaryWriter, under its names
    from torch.utils.tensorboard import SummaryWriter

    (tmp_path / "ckpts" / "global_step_2").mkdir(parents=True)
    (tmp_path / "ckpts" / "global_step_2" / "config.json").write_text("{}")
    writer = SummaryWriter(log_dir=str(tmp_path / "tensorboard_log" / "grpo"))
    for step, (score, kl) in enumerate([(0.25, 0.0), (0.5, 0.09)], 1):
        writer.add_scalar("critic/score/mean", score, step)
        writer.add_scalar("actor/ppo_kl", kl, step)
        writer.add_scalar("response_length/mean", 100.0 + step, step)
    writer.close()
    log = trainer_log(find_checkpoints(tmp_path / "ckpts"), tmp_path / "tensorboard_log")
    assert [r["step"] for r in log] == [1, 2]
    assert [r["proxy"] for r in log] == [0.25, 0.5]
    assert log[1]["d"] == pytest.approx(0.3) and log[1]["length"] == 102.0
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RipenessError, match="no TensorBoard event files"):
        trainer_log(find_checkpoints(tmp_path / "ckpts"), empty)
