"""Assessment probes the run's own task (or [select] probe_task); the sycophancy limit reads
the regressive pushback rate, adopted suggestions and accepted false premises."""

from __future__ import annotations

import pytest

from ripeness.errors import RipenessError
from ripeness.records.probes import ProbeStore
from ripeness.report.assess import Candidate, assess_run
from ripeness.report.questions import assessment_settings, probe_task
from ripeness.report.select import assess_signals
from ripeness.train.config import SelectSection, TrainConfig, dump_config


def config_on(task: str, probe: str = "", difficulties=(1, 2)) -> TrainConfig:
    config = TrainConfig()
    config.task.name = task
    config.task.difficulties = list(difficulties)
    config.select.probe_task = probe
    return config


def small_run(tmp_path, model_dir, task: str, probes: list[str]):
    """(an empty run folder, a config) for assessing one model at difficulty 1: 2 problems per
    probe level, 4 held-out problems, no confirmation split; the caller writes the config."""
    run = tmp_path / "run"
    run.mkdir()
    config = config_on(task, difficulties=(1,))
    config.model.path = str(model_dir)
    config.select.probes = probes
    config.select.probe_samples = 2
    config.select.heldout_problems = 4
    config.select.confirmation_problems = 0
    return run, config


def test_assessment_probes_the_runs_own_task_unless_told_otherwise():
    settings = assessment_settings(config_on("math", difficulties=(2, 6)))
    assert settings.task == "math" and settings.difficulties == (1, 2, 3, 6)
    settings = assessment_settings(config_on("math", probe="code", difficulties=(2, 6)))
    assert settings.task == "code" and settings.difficulties == (1, 2, 3)  # code's own levels
    assert probe_task(config_on("arithmetic")) == "arithmetic"
    assert assessment_settings(TrainConfig()).task == "arithmetic"  # the default run, as before
    with pytest.raises(RipenessError, match=r"\[select\] probe_task.*unknown task"):
        assessment_settings(config_on("math", probe="nosuch"))


def syco(**rates):
    return {
        name: {"kind": "rate", "successes": round(v * 100), "n": 100} for name, v in rates.items()
    }


def signal(sycophancy: dict, policy=None, false_premise: dict | None = None):
    summary = {"heldout": syco(**{"gold accuracy": 0.5}), "sycophancy": sycophancy}
    if false_premise is not None:  # the false-premise probe stores its own summary
        summary["false_premise"] = false_premise
    _, signals, vetoes, _ = assess_signals(summary, policy or SelectSection())
    return signals.get("sycophancy"), vetoes


def test_the_sycophancy_limit_takes_the_largest_of_the_new_figures():
    figures = syco(
        **{
            "regressive pushback rate": 0.05,
            "progressive pushback rate": 0.9,  # pushback that corrects: no sycophancy
            "suggested answer adopted": 0.02,
            "pushback flip rate (seen)": 0.95,  # replaced by the regressive rate
        }
    )
    (name, rate), vetoes = signal(figures, false_premise=syco(**{"false premise accepted": 0.6}))
    assert name == "false premise accepted" and rate.successes == 60
    assert len(vetoes) == 1 and vetoes[0].startswith("false premise accepted 60%")
    (name, _), vetoes = signal(syco(**{"regressive pushback rate (seen)": 0.5}))
    assert name == "regressive pushback rate (seen)" and vetoes
    # records written before the regressive rate existed: the pushback flip rate stands in
    (name, _), vetoes = signal(
        syco(**{"pushback flip rate (seen)": 0.4, "suggested answer adopted (seen)": 0.1})
    )
    assert name == "pushback flip rate (seen)" and vetoes
    # a figure read under another probe's name than its own counts for nothing
    assert signal(syco(**{"false premise accepted": 0.6}))[0] is None
    assert signal({}, false_premise=syco(**{"false premise accepted": 0.01}))[1] == []
    loose = SelectSection(max_sycophancy=0.5)
    assert signal({}, loose, syco(**{"false premise accepted": 0.3}))[1] == []


@pytest.mark.slow
def test_a_run_on_math_is_probed_on_math(default_model_dir, tmp_path):
    run, config = small_run(tmp_path, default_model_dir, "math", ["skills", "calibration"])
    config.grpo.max_completion_length = 32
    (run / "config.toml").write_text(dump_config(config))
    assess_run(run, show_progress=False, candidates=[Candidate("base", 0, default_model_dir)])
    store = ProbeStore(run)
    try:
        for probe in ("skills", "calibration"):
            records = store.records("base", probe)
            assert len(records) == 6  # 2 per level of 1-3
            assert store.settings("base", probe)["task"] == "math"
        assert all("reduced fraction" in r["prompt"] for r in store.records("base", "skills"))
        asked_at = store.db.execute("SELECT probe, time FROM probe_runs").fetchall()
    finally:
        store.close()
    config.select.probe_task = "arithmetic"  # told otherwise: the probes are asked again
    (run / "config.toml").write_text(dump_config(config))
    assess_run(run, show_progress=False, candidates=[Candidate("base", 0, default_model_dir)])
    store = ProbeStore(run)
    try:
        assert store.settings("base", "skills")["task"] == "arithmetic"
        assert not any("reduced fraction" in r["prompt"] for r in store.records("base", "skills"))
        again = dict(store.db.execute("SELECT probe, time FROM probe_runs").fetchall())
        assert again["heldout"] == dict(asked_at)["heldout"]  # the run's own task: kept
    finally:
        store.close()


def test_raising_a_sample_size_asks_again_what_was_asked_of_fewer(default_model_dir, tmp_path):
    """The verdict's advice for a limit it cannot decide is to raise [select] probe_samples or
    heldout_problems and rerun the report: the rerun must ask again, not keep the old n."""
    run, config = small_run(tmp_path, default_model_dir, "arithmetic", ["calibration"])
    config.grpo.max_completion_length = 16
    base = [Candidate("base", 0, default_model_dir)]

    def asked(sizes):
        config.select.probe_samples, config.select.heldout_problems = sizes
        (run / "config.toml").write_text(dump_config(config))
        assess_run(run, show_progress=False, candidates=base)
        store = ProbeStore(run)
        try:
            return len(store.records("base", "calibration")), len(store.records("base", "heldout"))
        finally:
            store.close()

    assert asked((2, 4)) == (6, 4)  # 2 per level of 1-3; 4 held-out problems
    assert asked((3, 7)) == (9, 7)  # raised: both asked again
    assert asked((2, 7)) == (9, 7)  # fewer samples: the stored ones already hold them
    assert asked((2, 5)) == (9, 5)  # another count of held-out problems is another draw


@pytest.mark.slow
def test_assessment_asks_only_the_sycophancy_parts_the_limit_reads(default_model_dir, tmp_path):
    run, config = small_run(tmp_path, default_model_dir, "arithmetic", ["sycophancy"])
    (run / "config.toml").write_text(dump_config(config))
    base = [Candidate("base", 0, default_model_dir)]

    def parts_asked():
        store = ProbeStore(run)
        try:
            return {r["part"] for r in store.records("base", "sycophancy")}
        finally:
            store.close()

    assess_run(run, show_progress=False, candidates=base)
    assert parts_asked() == {"pushback", "suggestion"}  # the default: what the limit reads
    config.select.sycophancy_parts = ["pushback", "suggestion", "rebuttal"]
    (run / "config.toml").write_text(dump_config(config))
    assess_run(run, show_progress=False, candidates=base)
    assert parts_asked() == {"pushback", "suggestion", "rebuttal"}  # more parts: asked again
    config.select.sycophancy_parts = ["pushback"]
    (run / "config.toml").write_text(dump_config(config))
    assess_run(run, show_progress=False, candidates=base)
    assert "rebuttal" in parts_asked()  # fewer parts: the stored records already hold them


def test_the_report_shows_the_sycophancy_figures_on_the_probe_task():
    from pathlib import Path

    from ripeness.report.html import _sycophancy_table
    from ripeness.report.select import Assessment, Selection

    config = config_on("math", probe="rg:chain_sum")
    old, new = Candidate("base", 0, Path("base")), Candidate("step-10", 10, Path("s"))
    summaries = {
        "base": {"sycophancy": syco(**{"pushback flip rate (seen)": 0.2})},
        "step-10": {
            "sycophancy": syco(
                **{
                    "regressive pushback rate": 0.3,
                    "progressive pushback rate": 0.1,
                    "suggested answer adopted": 0.05,
                }
            ),  # fmt: skip
            "false_premise": syco(**{"false premise accepted": 0.4}),
        },
    }
    selection = Selection(None, [Assessment(old, None), Assessment(new, None)], [])
    html = _sycophancy_table(selection, summaries, config)
    assert "rg:chain_sum" in html and "false premise accepted" in html
    assert "40%" in html and "20%" in html  # the older record's flip rate stands in
    assert _sycophancy_table(selection, {"base": {}, "step-10": {}}, config) == ""
