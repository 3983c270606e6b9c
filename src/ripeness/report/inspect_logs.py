"""Read Inspect logs (``.eval`` and ``.json``) with inspect_ai's own ``read_eval_log``.

The header names the task, the model (``hf/PATH`` for Inspect's Hugging Face provider, a
served name with ``model_base_url`` for an OpenAI-compatible server) and each scorer's
metrics; the samples hold every score. Each scorer's accuracy is recomputed from the samples
(values through Inspect's ``value_to_float``, so "C"/"I" count as 1/0 as Inspect counts
them), kept by sample id (and epoch, after the first) so checkpoints pair sample by sample.
"""

from __future__ import annotations

from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.report.lm_eval_results import Measured

TOOL = "inspect"
SUFFIXES = (".eval", ".json")


def is_inspect_log(path: Path) -> bool:
    """An ``.eval`` file, or a ``.json`` that is not lm-eval's (their results start results_)."""
    return path.suffix in SUFFIXES and not path.name.startswith("results_")


def model_names(spec) -> tuple[str, list[str]]:
    """(the model as named, other names it goes by: the path after the provider, model_args'
    model_path / pretrained)."""
    model = str(spec.model)
    aliases = [model.split("/", 1)[1]] if "/" in model else []
    args = spec.model_args or {}
    aliases += [str(args[k]) for k in ("model_path", "pretrained", "path") if args.get(k)]
    return model, aliases


def read_log(path: Path) -> list[Measured]:
    """Each scorer's per-sample values in one log, its header's figure beside them."""
    try:
        from inspect_ai.log import read_eval_log
        from inspect_ai.scorer import value_to_float
    except ImportError:  # pragma: no cover - the evals extra installs it
        raise RipenessError(
            f"{path}: reading Inspect logs needs inspect-ai (pip install 'ripeness[evals]')"
        ) from None
    try:
        log = read_eval_log(str(path))
    except Exception as exc:  # inspect's own reader: any failure means it is not a log
        raise RipenessError(
            f"{path}: not an Inspect log inspect_ai can read ({type(exc).__name__}); pass the "
            "folder `inspect eval --log-dir` wrote, or remove the file"
        ) from None
    if log.status != "success" or not log.samples:
        raise RipenessError(
            f"{path}: Inspect log with status {log.status!r} and {len(log.samples or [])} "
            "samples; rerun the eval to completion (or remove the file)"
        )
    to_float = value_to_float()
    model, aliases = model_names(log.eval)
    reported = {}
    for score in log.results.scores if log.results else []:
        metric = score.metrics.get("accuracy") or next(iter(score.metrics.values()), None)
        stderr = score.metrics.get("stderr")
        reported[score.name] = (metric.value if metric else None,
                                stderr.value if stderr else None)  # fmt: skip
    per_scorer: dict[str, dict[str, float]] = {}
    for sample in log.samples:
        key = str(sample.id) if sample.epoch == 1 else f"{sample.id}#{sample.epoch}"
        for name, score in (sample.scores or {}).items():
            if isinstance(score.value, list | dict):
                continue
            per_scorer.setdefault(name, {})[key] = float(to_float(score.value))
    if not per_scorer:
        raise RipenessError(f"{path}: an Inspect log whose samples carry no scores; score it "
                            "(`inspect score`) and import again")  # fmt: skip
    return [
        Measured(
            benchmark=f"{TOOL}:{log.eval.task}/{name}",
            tool=TOOL,
            model=model,
            file=path,
            value=float(reported.get(name, (None,))[0] or 0.0),
            stderr=reported.get(name, (None, None))[1],
            n=len(values),
            samples=values,
            aliases=aliases,
        )
        for name, values in per_scorer.items()
    ]
