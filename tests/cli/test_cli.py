"""The command line: bad input gives one clear line and exit code 2, never a traceback."""

import pytest

from helpers import assert_one_line_error, ripeness


def test_unknown_command():
    assert_one_line_error(ripeness("bogus"), "No such command", "bogus")


def test_bad_size():
    assert_one_line_error(ripeness("model", "init", "--size", "huge"), "--size", "huge")


def test_bad_numbers():
    assert_one_line_error(ripeness("model", "init", "--examples", "0"), "examples")
    assert_one_line_error(ripeness("model", "init", "--max-difficulty", "0"), "difficulty")
    assert_one_line_error(ripeness("model", "eval", "x", "--per-level", "0"), "per-level")
    assert_one_line_error(ripeness("demo", "--learning-rate", "0"), "--learning-rate")
    assert_one_line_error(ripeness("demo", "--model", "smollm2", "--steps", "0"), "--steps")


def test_demo_on_a_model_that_is_not_there(tmp_path):
    missing = tmp_path / "no-such-model"
    result = ripeness("demo", "--model", str(missing), "--out", str(tmp_path / "demo"))
    assert_one_line_error(result, "no model at", str(missing))
    assert not (tmp_path / "demo" / "model").exists()  # nothing trained before the check


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert_one_line_error(ripeness("model", "init", "--out", str(blocker / "model")), str(blocker))
    assert_one_line_error(ripeness("demo", "--out", str(blocker)), "is a file")


def test_missing_model_folder(tmp_path):
    assert_one_line_error(
        ripeness("model", "eval", str(tmp_path / "none")), "no model", "model init"
    )


def test_broken_model_folder(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    assert_one_line_error(ripeness("model", "eval", str(tmp_path)), "cannot load")


@pytest.mark.parametrize("command", [[], ["model"], ["model", "init"], ["model", "eval"], ["demo"]])
def test_every_command_has_help(command):
    result = ripeness(*command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


def test_version():
    result = ripeness("--version")
    assert result.returncode == 0 and result.stdout.startswith("ripeness ")


def test_probe_engine_choices_are_one_line(trained_model_dir, tmp_path):
    """`--engine vllm` where vLLM is not installed (this CPU machine) says how to get it;
    an unknown engine names the choices. Both before any model loads."""
    import importlib.util

    out = str(tmp_path / "probes")
    args = ("probe", str(trained_model_dir), "--probes", "skills", "--out", out)
    assert_one_line_error(ripeness(*args, "--engine", "tgi"), "engine must be one of", "vllm")
    if importlib.util.find_spec("vllm") is None:
        assert_one_line_error(ripeness(*args, "--engine", "vllm"), "pip install vllm")
