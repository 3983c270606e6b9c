"""Ripeness: craft reasoning language models that are good in use, not only on benchmarks.

The public API, by layer (read top-down to follow one run from task to report)::

    from ripeness import get_family, to_dataset            # tasks: problems, gold and proxies
    from ripeness import TrainConfig, train                 # GRPO on TRL with the monitors
    from ripeness import OverOptimizationMonitor            # the monitors in your own TRL script
    from ripeness import ProbeSettings, get_probe, run_probes
    from ripeness import assess_run, select_checkpoint, write_report
    from ripeness import Rate, paired_rates                 # every figure with n and a 95% CI

Names load on first use, so ``import ripeness`` (and the ``ripeness`` command) stays fast and
importing the task layer never pulls in PyTorch.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> the module that defines it, lowest layer first
_EXPORTS = {
    # foundations
    "RipenessError": "ripeness.errors",
    "AlarmStopped": "ripeness.errors",
    "Rate": "ripeness.stats",
    "Mean": "ripeness.stats",
    "PairedComparison": "ripeness.stats",
    "wilson_interval": "ripeness.stats",
    "tango_interval": "ripeness.stats",
    "paired_rates": "ripeness.stats",
    "paired_means": "ripeness.stats",
    "mcnemar_p": "ripeness.stats",
    "AlarmAction": "ripeness.options",
    "PromptStyle": "ripeness.options",
    "Engine": "ripeness.options",
    "Split": "ripeness.options",
    "Message": "ripeness.messages",
    "read_jsonl": "ripeness.records.jsonl",
    "RunDirectory": "ripeness.records.run",
    "Checkpoint": "ripeness.records.checkpoints",
    "Alarm": "ripeness.records.events",
    "AlarmKind": "ripeness.records.events",
    "ProbeStore": "ripeness.records.probes",
    "ProbeResult": "ripeness.records.probes",
    "Backend": "ripeness.models.interface",
    "LocalBackend": "ripeness.models.backends",
    "OpenAIBackend": "ripeness.models.backends",
    "VLLMBackend": "ripeness.models.vllm_backend",
    "local_backend": "ripeness.models.backends",
    "load_model": "ripeness.models.embedded",
    "Limits": "ripeness.sandbox.runner",
    "run_calls": "ripeness.sandbox.runner",
    "run_tests": "ripeness.sandbox.runner",
    # tasks
    "TaskItem": "ripeness.tasks.base",
    "TaskFamily": "ripeness.tasks.base",
    "Family": "ripeness.tasks.base",
    "reward_table": "ripeness.tasks.base",
    "Reward": "ripeness.tasks.base",
    "to_dataset": "ripeness.tasks.base",
    "get_family": "ripeness.tasks.registry",
    "register_family": "ripeness.tasks.registry",
    "family_names": "ripeness.tasks.registry",
    "reward_by_name": "ripeness.tasks.registry",
    "stress_test": "ripeness.tasks.stress",
    # evaluation
    "gold_accuracy": "ripeness.evaluation",
    "score_heldout": "ripeness.evaluation",
    "hacked": "ripeness.evaluation",
    # training
    "TrainConfig": "ripeness.train.config",
    "train": "ripeness.train.run",
    "resume_run": "ripeness.train.run",
    "TrainResult": "ripeness.train.run",
    "OverOptimizationMonitor": "ripeness.train.monitor",
    "OverOptimizationAlarm": "ripeness.train.alarm",
    "init_embedded_model": "ripeness.train.embedded",
    "warm_start_into_zone": "ripeness.train.zone",
    "read_zone": "ripeness.train.zone",
    "ZoneReading": "ripeness.train.zone",
    "fine_tune": "ripeness.models.sft",
    "training_chat_template": "ripeness.models.sft",
    # probes
    "Probe": "ripeness.probes.base",
    "ProbeSettings": "ripeness.probes.base",
    "compare": "ripeness.probes.base",
    "get_probe": "ripeness.probes.catalog",
    "probe_names": "ripeness.probes.catalog",
    "register_probe": "ripeness.probes.catalog",
    "run_probes": "ripeness.probes.runner",
    # our probes as the users' harnesses' tasks (Inspect's load through its entry point)
    "write_lm_eval_tasks": "ripeness.evals.lm_eval_tasks",
    # report
    "RunView": "ripeness.report.view",
    "assess_run": "ripeness.report.assess",
    "select_checkpoint": "ripeness.report.select",
    "review_alarm": "ripeness.report.alarm_review",
    "write_report": "ripeness.report.html",
    "import_benchmarks": "ripeness.report.benchmarks",
    "BenchmarkFigure": "ripeness.records.benchmarks",
    "read_benchmarks": "ripeness.records.benchmarks",
    # studies
    "SycophancyExperiment": "ripeness.feedback.experiment",
    "run_experiment": "ripeness.feedback.experiment",
    "run_demo": "ripeness.demo",
}
# names exported under another name than the module's own
_RENAMED = {"register_family": "register", "register_probe": "register"}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ripeness' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), _RENAMED.get(name, name))
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
