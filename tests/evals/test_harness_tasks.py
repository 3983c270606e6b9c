"""Our probes run in the users' harnesses give our figures: real Inspect, real lm-eval.

On the embedded model, greedy: ``ripeness probe``'s own classes, Inspect (through the
``inspect_ai`` entry point, its ``hf`` provider) and lm-eval (its ``hf`` model on the folder
``ripeness tasks lm-eval`` writes) ask the same samples; every per-sample outcome and every
figure (its n and count) must be equal.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("inspect_ai")
pytest.importorskip("lm_eval")

from ripeness.cli import main  # noqa: E402
from ripeness.models.backends import LocalBackend  # noqa: E402
from ripeness.probes.base import ProbeSettings  # noqa: E402
from ripeness.probes.skills import SkillsProbe  # noqa: E402
from ripeness.probes.sycophancy import SycophancyProbe  # noqa: E402

# levels where the embedded model errs now and then, so both outcomes are compared
ARGS = {
    "task": "arithmetic",
    "samples": 5,
    "seed": 3,
    "difficulty": "3,5,6",
    "prompt_style": "plain",
}
SETTINGS = ProbeSettings(
    task="arithmetic", samples=5, seed=3, difficulties=(3, 5, 6), prompt_style="plain"
)
LEVELS = (3, 5, 6)
PUSHBACK_FIELDS = ("first_readable", "first_correct", "readable", "flipped", "changed")
SUGGESTION_FIELDS = ("reply", "readable", "adopted", "correct")


@pytest.fixture(scope="module")
def ours(default_model_dir):
    backend = LocalBackend(default_model_dir)
    skills = SkillsProbe().run(backend, SETTINGS)
    sycophancy = SycophancyProbe(parts=("pushback", "suggestion")).run(backend, SETTINGS)
    return skills, sycophancy


def _by_id(records, part=None):
    return {r["sample_id"]: r for r in records if part is None or r.get("part") == part}


def _inspect(model_dir, log_dir, name, **extra):
    from inspect_ai import eval as inspect_eval

    [log] = inspect_eval(
        name,
        model=f"hf/{model_dir}",  # a local folder: the name is its path
        model_args={"device": "cpu", "do_sample": False},
        task_args={**ARGS, **extra},
        log_dir=str(log_dir),
        display="none",
    )
    assert log.status == "success", log.error
    return log


def _metrics(log) -> dict[str, float]:
    return {k: m.value for s in log.results.scores for k, m in s.metrics.items()}


def _check_rate(metrics, name, rate):
    assert metrics[f"{name}_n"] == rate.n
    if rate.n:
        assert round(metrics[name] * rate.n) == rate.successes


def test_inspect_tasks_equal_the_probes(ours, default_model_dir, tmp_path):
    skills, sycophancy = ours
    log = _inspect(default_model_dir, tmp_path, "ripeness/skills")
    records = _by_id(skills.records)
    assert {s.id for s in log.samples} == set(records)
    for sample in log.samples:
        [score] = sample.scores.values()
        record = records[sample.id]
        assert score.metadata["record"]["correct"] == record["correct"], sample.id
        assert sample.output.completion == record["completion"], sample.id
    metrics = _metrics(log)
    _check_rate(metrics, "accuracy", skills.summary["accuracy"])
    for d in LEVELS:
        _check_rate(metrics, f"accuracy_d{d}", skills.summary[f"accuracy d{d}"])
    assert "accuracy_stderr" in metrics and "accuracy_ci_low" in metrics

    log = _inspect(default_model_dir, tmp_path, "ripeness/sycophancy", part="pushback")
    records = _by_id(sycophancy.records, "pushback")
    assert {s.id for s in log.samples} == set(records)
    for sample in log.samples:
        [score] = sample.scores.values()
        ours_record, theirs = records[sample.id], score.metadata["record"]
        assert {k: theirs[k] for k in PUSHBACK_FIELDS} == {
            k: ours_record[k] for k in PUSHBACK_FIELDS
        }, sample.id
        if ours_record["first_readable"]:  # the same four turns: question, answer, rebuttal, reply
            turns = [(m.role, m.text) for m in sample.messages]
            assert [t[0] for t in turns] == ["user", "assistant", "user", "assistant"]
            assert turns[1][1] == ours_record["first"] and turns[3][1] == ours_record["reply"]
    metrics = _metrics(log)
    for kind, key in (("seen", "seen"), ("held-out", "held_out")):
        _check_rate(metrics, f"flip_rate_{key}", sycophancy.summary[f"pushback flip rate ({kind})"])
        _check_rate(
            metrics, f"changed_{key}", sycophancy.summary[f"pushback changes the answer ({kind})"]
        )

    log = _inspect(default_model_dir, tmp_path, "ripeness/sycophancy", part="suggestion")
    _check_suggestion(
        sycophancy,
        {s.id: s.scores[next(iter(s.scores))].metadata["record"] for s in log.samples},
        _metrics(log),
    )


def _check_suggestion(sycophancy, theirs: dict[str, dict], metrics, name="adopted_{}"):
    records = _by_id(sycophancy.records, "suggestion")
    assert set(theirs) == set(records)
    for sample_id, record in theirs.items():
        assert {k: record[k] for k in SUGGESTION_FIELDS} == {
            k: records[sample_id][k] for k in SUGGESTION_FIELDS
        }, sample_id
    figures = {
        "baseline": "suggested answer adopted (no suggestion)",
        "seen": "suggested answer adopted (seen)",
        "held_out": "suggested answer adopted (held-out)",
    }
    for key, figure in figures.items():
        _check_rate(metrics, name.format(key), sycophancy.summary[figure])


def test_lm_eval_folder_equals_the_probes(ours, default_model_dir, tmp_path):
    import lm_eval
    from lm_eval.tasks import TaskManager

    skills, sycophancy = ours
    folder = tmp_path / "tasks"
    args = [f"--{k.replace('_', '-')}={v}" for k, v in ARGS.items()]
    code = main(["tasks", "lm-eval", str(folder), *args])
    assert code == 0
    out = lm_eval.simple_evaluate(
        model="hf",
        model_args=f"pretrained={default_model_dir},device=cpu,dtype=float32",
        tasks=["ripeness_skills", "ripeness_sycophancy"],
        task_manager=TaskManager(include_path=str(folder)),
        apply_chat_template=True,
        log_samples=True,
        batch_size=16,
    )
    samples = out["samples"]
    ours_skills = _by_id(skills.records)
    theirs = {s["doc"]["id"]: s for s in samples["ripeness_skills"]}
    assert set(theirs) == set(ours_skills)
    for sample_id, s in theirs.items():
        assert s["filtered_resps"][0] == ours_skills[sample_id]["completion"], sample_id
        assert bool(s["acc"]) == ours_skills[sample_id]["correct"], sample_id
    result = out["results"]["ripeness_skills"]
    accuracy = skills.summary["accuracy"]
    assert round(result["acc,none"] * accuracy.n) == accuracy.successes
    assert result["acc_stderr,none"] > 0 or accuracy.successes in (0, accuracy.n)

    suggestion = {}
    for s in samples["ripeness_sycophancy"]:
        sample = json.loads(s["doc"]["sample"])
        from ripeness.evals.samples import settings_of, suggestion_record

        settings = settings_of(**sample.pop("settings"))
        suggestion[s["doc"]["id"]] = suggestion_record(settings, sample, s["filtered_resps"][0])
    counts = {}
    for s in samples["ripeness_sycophancy"]:
        for key, value in s.items():
            if key.startswith("adopted_"):
                n, k = counts.get(key, (0, 0))
                counts[key] = (n + 1, k + int(value))
    metrics = {}
    for key, (n, k) in counts.items():
        metrics[f"{key}_n"] = n
        metrics[key] = out["results"]["ripeness_sycophancy"][f"{key},none"]
        assert round(metrics[key] * n) == k
    _check_suggestion(sycophancy, suggestion, metrics)
