"""The training config: defaults that work, and one clear line for every mistake."""

import pytest

from ripeness.errors import RipenessError
from ripeness.train.config import TrainConfig, dump_config, load_config


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_round_trip_through_toml(tmp_path):
    config = load_config(write(tmp_path, dump_config(TrainConfig())))
    assert config == TrainConfig()


def test_partial_config_keeps_the_other_defaults(tmp_path):
    config = load_config(write(tmp_path, '[grpo]\nsteps = 7\nlearning_rate = 1\n[run]\nname = "x"'))
    assert config.grpo.steps == 7 and config.grpo.learning_rate == 1.0  # int accepted as float
    assert config.run.name == "x" and config.task == TrainConfig().task


def test_reward_mix_is_read(tmp_path):
    text = (
        "[reward]\ncomponents = ["
        '{name = "gold", weight = 1.0}, {name = "length_biased", weight = 0.5}]'
    )
    config = load_config(write(tmp_path, text))
    assert [(c.name, c.weight) for c in config.reward.mix()] == [
        ("gold", 1.0),
        ("length_biased", 0.5),
    ]


@pytest.mark.parametrize(
    "text, words",
    [
        ("[grpo]\nstep = 3", ["unknown field 'step'", "[grpo]", "steps"]),
        ("[grpo]\nsteps = 'many'", ["grpo.steps must be int", "str"]),
        ("[grpo]\nsteps = 0", ["grpo.steps must be at least 1"]),
        ("[grpo]\nnum_generations = 1", ["num_generations"]),
        ("[monitor]\nalarm_action = 'panic'", ["warn, stop or continue"]),
        ("[task]\ndifficulties = [0, 2]", ["difficulties must be >= 1"]),
        ("[reward]\ncomponents = [{weight = 1.0}]", ["reward.components[0]", "name"]),
        ("[logging]\nreport_to = ['neptune']", ["neptune", "tensorboard"]),
        ("[grpo\nsteps = 3", ["not valid TOML"]),
        ("grpo = 3", ["[grpo] must be a table"]),
        ("[grpo]\nbeta = true", ["grpo.beta must be float", "bool"]),
        ("[grpo]\nvllm_mode = 'remote'", ["grpo.vllm_mode", "colocate or server"]),
        ("[select]\nengine = 'tgi'", ["select.engine", "transformers or vllm"]),
    ],
)
def test_mistakes_are_one_clear_line(tmp_path, text, words):
    with pytest.raises(RipenessError) as error:
        load_config(write(tmp_path, text))
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(RipenessError, match="--print-config"):
        load_config(tmp_path / "nope.toml")


def test_a_step_is_split_over_the_training_processes(tmp_path):
    """`prompts_per_step` is the whole step's: each of N processes gets its Nth, or one line."""
    from ripeness.records.run import RunDirectory
    from ripeness.train.grpo_mapping import grpo_args

    config = load_config(write(tmp_path, "[grpo]\nprompts_per_step = 4\nnum_generations = 4"))
    run = RunDirectory(tmp_path / "run")
    assert grpo_args(config, run, 1).per_device_train_batch_size == 16
    assert grpo_args(config, run, 2).per_device_train_batch_size == 8
    with pytest.raises(RipenessError, match="16 completions per step do not split over 3"):
        grpo_args(config, run, 3)


def test_lr_warmup_rises_linearly_then_holds(tmp_path):
    """`grpo.lr_warmup_steps` reaches TRL as a linear warmup to the constant rate; 0 keeps
    the rate constant from the first step."""
    import torch
    from transformers.optimization import get_scheduler

    from ripeness.records.run import RunDirectory
    from ripeness.train.grpo_mapping import grpo_args

    def rates(text: str) -> list[float]:
        args = grpo_args(load_config(write(tmp_path, text)), RunDirectory(tmp_path / "run"), 1)
        weight = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([weight], lr=args.learning_rate)
        schedule = get_scheduler(
            args.lr_scheduler_type,
            optimizer,
            num_warmup_steps=args.get_warmup_steps(args.max_steps),
            num_training_steps=args.max_steps,
        )
        seen = []
        for _ in range(12):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            schedule.step()
        return seen

    warm = rates("[grpo]\nsteps = 50\nlearning_rate = 3e-4\nlr_warmup_steps = 10")
    assert warm[0] == 0 and warm[5] == pytest.approx(1.5e-4) and warm[10:] == [3e-4, 3e-4]
    assert rates("[grpo]\nsteps = 50\nlearning_rate = 3e-4") == [3e-4] * 12
    with pytest.raises(RipenessError, match="lr_warmup_steps must be >= 0"):
        load_config(write(tmp_path, "[grpo]\nlr_warmup_steps = -1"))
