"""Our probes as an lm-eval task folder: ``lm_eval --include_path DIR --tasks ripeness_skills``.

:func:`write_lm_eval_tasks` writes, per task, a YAML file and the probe's samples as JSONL,
plus a ``utils.py`` that loads them and judges each reply with the task's gold through
Ripeness (:func:`process_skills`, :func:`process_suggestion`), so a figure lm-eval reports is
the one ``ripeness probe`` reports on the same samples. lm-eval asks one turn per sample, so
sycophancy here is its single-turn part: a wrong answer suggested before the question (the
adoption rate, beside the same problems asked with no suggestion).
"""

from __future__ import annotations

import json
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.evals.samples import (
    HarnessSample,
    metric_key,
    settings_dict,
    settings_of,
    skills_samples,
    skills_verdict,
    suggestion_record,
    suggestion_samples,
)
from ripeness.probes.base import ProbeNotApplicable, ProbeSettings

TASKS = ("skills", "sycophancy")
PHRASINGS = ("baseline", "seen", "held-out")

UTILS = '''"""Written by `ripeness tasks lm-eval`: this folder's samples, judged by Ripeness."""

from pathlib import Path

from ripeness.evals.lm_eval_tasks import load_docs, process_skills, process_suggestion

HERE = Path(__file__).resolve().parent


def skills_docs(**_):
    return load_docs(HERE / "ripeness_skills.jsonl")


def sycophancy_docs(**_):
    return load_docs(HERE / "ripeness_sycophancy.jsonl")


__all__ = ["process_skills", "process_suggestion", "skills_docs", "sycophancy_docs"]
'''


def _doc(sample: HarnessSample, settings: ProbeSettings) -> dict:
    """One lm-eval doc: the one user turn, an optional system turn, and the sample to judge."""
    *context, last = sample.messages
    if last["role"] != "user" or [m["role"] for m in context] not in ([], ["system"]):
        raise RipenessError(
            f"lm-eval asks one user turn (after an optional system prompt); task "
            f"{settings.task}'s problems start with {[m['role'] for m in sample.messages]}: "
            "ask it with Inspect (`inspect eval ripeness/...`) instead"
        )
    return {
        "id": sample.id,
        "difficulty": sample.difficulty,
        "phrasing": sample.phrasing,
        "system": context[0]["content"] if context else "",
        "prompt": last["content"],
        "answer": sample.item["answer"],
        "sample": json.dumps({**sample.as_dict(), "settings": settings_dict(settings)}),
    }


def _metrics(names: list[str]) -> list[dict]:
    return [
        {"metric": n, "aggregation": "mean", "higher_is_better": n.startswith("acc")} for n in names
    ]


def _config(name: str, settings: ProbeSettings, docs_fn: str, process: str, metrics) -> dict:
    config = {
        "task": f"ripeness_{name}",
        "custom_dataset": f"!function utils.{docs_fn}",
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": "{{prompt}}",
        "doc_to_target": "{{answer}}",
        "process_results": f"!function utils.{process}",
        # greedy, no stop but the model's end of turn: the reply ``ripeness probe`` reads
        "generation_kwargs": {
            "until": [],
            "do_sample": False,
            "temperature": 0.0,
            "max_gen_toks": settings.max_tokens,
        },
        "metric_list": _metrics(metrics),
        "metadata": {"version": 1.0, "ripeness": settings_dict(settings)},
    }
    return config


def _yaml(config: dict) -> str:
    """YAML lm-eval reads, with its ``!function`` tags unquoted (JSON is valid YAML)."""
    lines = []
    for key, value in config.items():
        text = json.dumps(value)
        if isinstance(value, str) and value.startswith("!function "):
            text = value
        lines.append(f"{key}: {text}")
    return "\n".join(lines) + "\n"


def write_lm_eval_tasks(
    folder: Path, settings: ProbeSettings, tasks=TASKS
) -> tuple[list[Path], list[str]]:
    """Write the task folder for ``tasks`` (skills, sycophancy) on ``settings``' problems:
    the paths written, and one line per task that cannot run on ``settings.task`` (skipped,
    as ``ripeness probe`` skips it: sycophancy on a code task, say)."""
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise RipenessError(
            f"lm-eval tasks: unknown {', '.join(unknown)}; choose from {', '.join(TASKS)}"
        )
    written, skipped = [], []
    for name in tasks:
        try:
            config, docs = _task(name, settings)
        except ProbeNotApplicable as exc:
            skipped.append(str(exc))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        data = folder / f"ripeness_{name}.jsonl"
        data.write_text("".join(json.dumps(d) + "\n" for d in docs))
        spec = folder / f"ripeness_{name}.yaml"
        spec.write_text(_yaml(config))
        written += [spec, data]
    if written:
        utils = folder / "utils.py"
        utils.write_text(UTILS)
        written.append(utils)
    return written, skipped


def _task(name: str, settings: ProbeSettings) -> tuple[dict, list[dict]]:
    """One task's YAML config and its docs."""
    if name == "skills":
        samples = skills_samples(settings)
        levels = sorted({s.difficulty for s in samples})
        metrics = ["acc", *(f"acc_d{d}" for d in levels), "unreadable"]
        config = _config(name, settings, "skills_docs", "process_skills", metrics)
    else:
        samples = suggestion_samples(settings)
        metrics = [f"adopted_{metric_key(p)}" for p in PHRASINGS] + ["unreadable"]
        config = _config(name, settings, "sycophancy_docs", "process_suggestion", metrics)
    docs = [_doc(s, settings) for s in samples]
    if any(d["system"] for d in docs):
        config["description"] = "{{system}}"  # lm-eval's system turn, per doc
    return config, docs


def load_docs(path: Path):
    """The docs of one task file, as lm-eval's ``custom_dataset`` returns them."""
    import datasets

    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def _sample(doc: dict) -> tuple[ProbeSettings, dict]:
    sample = json.loads(doc["sample"])
    return settings_of(**sample.pop("settings")), sample


def process_skills(doc: dict, results: list[str]) -> dict[str, float]:
    """lm-eval's ``process_results`` for skills: gold accuracy, overall and at the level."""
    settings, sample = _sample(doc)
    verdict = skills_verdict(settings, sample["item"], results[0])
    correct = float(verdict["correct"])
    return {
        "acc": correct,
        f"acc_d{sample['difficulty']}": correct,
        "unreadable": float(not verdict["readable"]),
    }


def process_suggestion(doc: dict, results: list[str]) -> dict[str, float]:
    """lm-eval's ``process_results`` for the suggested answer: adopted (left out when the
    reply cannot be read, as the probe leaves it out), per phrasing."""
    settings, sample = _sample(doc)
    record = suggestion_record(settings, sample, results[0])
    out = {"unreadable": float(not record["readable"])}
    if record["adopted"] is not None:
        out[f"adopted_{metric_key(record['phrasing'])}"] = float(record["adopted"])
    return out
