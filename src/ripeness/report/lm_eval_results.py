"""Read lm-evaluation-harness output (0.4.x): ``results_*.json`` and its ``samples_*.jsonl``.

lm-eval writes, per run, ``results_<date>.json`` (``results`` by task, ``config.model_args``,
``configs``, ``n-samples``, ``higher_is_better``) and, with ``--log_samples``, one
``samples_<task>_<date>.jsonl`` per task beside it: a line per document and filter, with each
metric's per-sample value and the ``doc_id``. Where the samples are there every figure is
recomputed from them (lm-eval's stderr is 0 or "N/A" for small or non-bootstrapped runs, and
unpaired), keeping each value by ``doc_id`` so checkpoints pair sample by sample.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.records.jsonl import read_jsonl

TOOL = "lm-eval"


@dataclass
class Measured:
    """One figure a tool's file holds for the model it ran on (not yet tied to a step)."""

    benchmark: str
    tool: str
    model: str  # the model path or name as the file gives it
    file: Path
    value: float
    stderr: object = None
    n: int = 0
    samples: dict[str, float] | None = None
    higher_is_better: bool = True
    aliases: list[str] = field(default_factory=list)  # other names the model goes by


def is_results_file(path: Path) -> bool:
    return path.name.startswith("results_") and path.suffix == ".json"


def model_path(config: dict) -> str:
    """``pretrained=...`` (or the first argument) from lm-eval's ``model_args``, a string
    ``"pretrained=/x,dtype=float32"`` or a dict by version."""
    args = config.get("model_args") or ""
    if isinstance(args, dict):
        return str(args.get("pretrained") or args.get("model") or args.get("path") or "")
    parts = dict(p.split("=", 1) for p in str(args).split(",") if "=" in p)
    return parts.get("pretrained") or parts.get("model") or parts.get("path") or ""


def read_results(path: Path) -> list[Measured]:
    """Every task metric of one ``results_*.json``; with samples where they lie beside it."""
    try:
        data = json.loads(path.read_text())
        results, config = data["results"], data["config"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RipenessError(
            f"{path}: not an lm-eval results file ({type(exc).__name__}: {exc}); pass the "
            "folder `lm_eval --output_path` wrote"
        ) from None
    model = model_path(config)
    if not model:
        raise RipenessError(
            f"{path}: lm-eval's model_args name no pretrained= model; give its checkpoint "
            "with --map"
        )
    date = path.stem[len("results_") :]
    groups = set(data.get("groups", {}))
    better = data.get("higher_is_better", {})
    measured = []
    for task, metrics in results.items():
        if task in groups or not isinstance(metrics, dict):
            continue
        samples = _samples(path.parent / f"samples_{task}_{date}.jsonl", data, task)
        n_task = (data.get("n-samples", {}).get(task) or {}).get("effective", 0)
        for key, value in metrics.items():
            if "_stderr," in key or "," not in key or not isinstance(value, int | float):
                continue
            metric, _, filt = key.partition(",")
            per_sample = samples.get((metric, filt))
            measured.append(
                Measured(
                    benchmark=f"{TOOL}:{task}/{key}",
                    tool=TOOL,
                    model=model,
                    file=path,
                    value=float(value),
                    stderr=metrics.get(f"{metric}_stderr,{filt}"),
                    n=len(per_sample) if per_sample is not None else int(n_task or 0),
                    samples=per_sample,
                    higher_is_better=bool(better.get(task, {}).get(metric, True)),
                )
            )
    return measured


def _mean_metrics(data: dict, task: str) -> set[str] | None:
    """The metrics the task aggregates by the mean (only those are recomputed from samples);
    None when the file's configs do not say (lm-eval's default is the mean)."""
    metric_list = (data.get("configs", {}).get(task) or {}).get("metric_list")
    if not metric_list:
        return None
    return {m["metric"] for m in metric_list
            if isinstance(m, dict) and m.get("aggregation", "mean") == "mean"}  # fmt: skip


def _samples(path: Path, data: dict, task: str) -> dict[tuple[str, str], dict[str, float]]:
    """(metric, filter) -> {doc_id: value} from a samples file; empty when there is none."""
    if not path.is_file():
        return {}
    means = _mean_metrics(data, task)
    found: dict[tuple[str, str], dict[str, float]] = {}
    for where, row in read_jsonl(path, "lm-eval samples"):
        if "doc_id" not in row or "filter" not in row:
            raise RipenessError(
                f"{where}: an lm-eval sample without doc_id or filter; rerun lm_eval with "
                "--log_samples (0.4.x) or remove the file"
            )
        for metric in row.get("metrics", []):
            value = row.get(metric)
            if (means is not None and metric not in means) or isinstance(value, list | dict):
                continue
            if isinstance(value, bool | int | float):
                found.setdefault((metric, row["filter"]), {})[str(row["doc_id"])] = float(value)
    return found
