"""Checkpoints from any trainer as a Ripeness run: assess, select and report them unchanged.

``ripeness assess CHECKPOINTS --task T --proxy P --base MODEL`` makes a run folder that points
at a folder of HF-format checkpoints (TRL's ``checkpoint-N/``, veRL's after its model merger,
OpenRLHF's ``save_path``, LoRA adapters too), with the config assessment needs (the task, the
proxy the run optimized, the base model), the checkpoint index (steps read from the folder
names, or a ``--steps NAME=STEP,...`` mapping), and the trainer's own per-step logs where they
exist, so the report draws the run by step:

- TRL's ``trainer_state.json`` ``log_history`` (``reward``, ``kl``, ``entropy``,
  ``completions/mean_length``, ``rewards/<name>/mean``);
- TensorBoard event files (``--metrics LOGDIR``, any folder holding ``events.out.tfevents.*``,
  read with the ``tensorboard`` package's own ``EventAccumulator``): what TRL writes with
  ``report_to="tensorboard"`` (tags ``train/reward``, ``train/kl``, ...; the ``train/`` prefix
  is dropped) and what veRL's ``trainer.logger=['tensorboard']`` writes (its metric names);
- a JSONL of metrics, one object per step (``--metrics FILE``): ``{"step": N, NAME: value}``
  or ``{"step": N, "data": {NAME: value}}``, under veRL's metric names (``critic/score/mean``
  or ``critic/rewards/mean`` for the reward, ``actor/ppo_kl`` or ``actor/kl_loss`` for KL,
  ``actor/entropy``, ``response_length/mean``) or TRL's; the step from ``step``,
  ``global_step`` or ``_step``.

Gold on the rollouts is not in any trainer's logs; held-out gold and proxy per checkpoint come
from the assessment and are written into the run as its held-out evaluations, so the
over-optimization curve is drawn from them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError, writable_dir
from ripeness.evaluation import HELDOUT_PROBE, checkpoint_label
from ripeness.models.sources import holds_model, resolve_model
from ripeness.records.checkpoints import Checkpoint
from ripeness.records.jsonl import read_jsonl
from ripeness.records.probes import ProbeStore
from ripeness.records.run import HELDOUT_GOLD, HELDOUT_PROXY, RunDirectory, outcome_bits
from ripeness.report.assess import assess_run
from ripeness.report.benchmarks import import_benchmarks
from ripeness.report.html import write_report
from ripeness.report.view import RunView
from ripeness.stats import Rate
from ripeness.train.config import TrainConfig, dump_config

# metric names of each trainer -> ours (the first present wins)
METRICS = {
    "proxy": ("reward", "critic/score/mean", "critic/rewards/mean", "train/reward"),
    "kl": ("kl", "actor/ppo_kl", "actor/kl_loss", "train/kl"),
    "entropy": ("entropy", "actor/entropy", "train/entropy"),
    "length": ("completions/mean_length", "response_length/mean", "train/completion_length"),
}
STEP_KEYS = ("step", "global_step", "_step", "training/global_step")


def find_checkpoints(folder: Path, steps: Mapping[str, int] | None = None) -> dict[int, Path]:
    """Step -> checkpoint folder, for every sub-folder holding a model (or a LoRA adapter)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RipenessError(f"no checkpoint folder at {folder}")
    found: dict[int, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        if not holds_model(path):
            continue
        if steps and path.name in steps:
            step = steps[path.name]
        else:
            numbers = re.findall(r"\d+", path.name)
            if not numbers:
                raise RipenessError(
                    f"cannot tell the step of {path.name}; pass --steps {path.name}=STEP"
                )
            step = int(numbers[-1])
        if step in found:
            raise RipenessError(f"{found[step].name} and {path.name} are both step {step}")
        found[step] = path.resolve()
    if not found:
        raise RipenessError(
            f"no checkpoints in {folder} (sub-folders with config.json or adapter_config.json)"
        )
    return found


def parse_steps(text: str, flag: str = "--steps") -> dict[str, int]:
    """``"merged_a=100,merged_b=200"`` -> ``{"merged_a": 100, "merged_b": 200}`` (``flag``:
    the option it came from, named in the error)."""
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, step = part.partition("=")
        if not name or not step.strip().isdigit():
            raise RipenessError(f"{flag} takes NAME=STEP,NAME=STEP; got {part!r}")
        mapping[name.strip()] = int(step)
    return mapping


def event_files(path: Path) -> list[Path]:
    """TensorBoard event files at ``path`` (a file, or anywhere under a folder)."""
    path = Path(path)
    if path.is_file():
        return [path] if "tfevents" in path.name else []
    return sorted(path.rglob("events.out.tfevents.*")) if path.is_dir() else []


def tensorboard_rows(path: Path) -> list[dict[str, Any]]:
    """One row per (file, step) of every scalar in the event files, by TensorBoard's reader."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        raise RipenessError(
            "reading TensorBoard logs needs the tensorboard package: pip install tensorboard"
        ) from None
    rows: list[dict[str, Any]] = []
    for file in event_files(path):
        events = EventAccumulator(str(file), size_guidance={"scalars": 0})
        try:
            events.Reload()
        except Exception as exc:  # noqa: BLE001 - a damaged file: say which
            raise RipenessError(f"{file}: not a readable TensorBoard event file ({exc})") from None
        by_step: dict[int, dict[str, Any]] = {}
        for tag in events.Tags().get("scalars", []):
            name = tag.removeprefix("train/")  # transformers' TensorBoard callback adds it
            for event in events.Scalars(tag):
                by_step.setdefault(int(event.step), {"step": int(event.step)})[name] = event.value
        rows += by_step.values()
    return rows


def trainer_log(checkpoints: dict[int, Path], metrics_file: Path | None) -> list[dict[str, Any]]:
    """Per-step metrics, ours by name: from TensorBoard event files or a JSONL file, else
    TRL's newest trainer_state."""
    if metrics_file is not None and event_files(metrics_file):
        return _mapped(tensorboard_rows(metrics_file))
    if metrics_file is not None:
        if Path(metrics_file).is_dir():
            raise RipenessError(
                f"no TensorBoard event files (events.out.tfevents.*) in {metrics_file}"
            )
        if not Path(metrics_file).is_file():
            raise RipenessError(f"no metrics file at {metrics_file}")
        rows = [row for _, row in read_jsonl(metrics_file, "one object of metrics per step")]
        return _mapped(rows)
    newest = checkpoints[max(checkpoints)] / "trainer_state.json"
    if not newest.is_file():
        return []
    try:
        history = json.loads(newest.read_text()).get("log_history", [])
    except (OSError, ValueError):
        raise RipenessError(f"{newest} is not valid JSON") from None
    return _mapped(history)


def _mapped(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    steps: dict[int, dict[str, Any]] = {}
    for row in rows:
        if isinstance(row.get("data"), Mapping):  # {"step": N, "data": {...}}
            row = {**row["data"], **{k: v for k, v in row.items() if k != "data"}}
        step = next((row[k] for k in STEP_KEYS if isinstance(row.get(k), int | float)), None)
        if step is None:
            continue
        mapped = {}
        for ours, names in METRICS.items():
            value = next((row[n] for n in names if isinstance(row.get(n), int | float)), None)
            if value is not None:
                mapped[ours] = float(value)
        for key, value in row.items():  # each reward function's own mean (TRL)
            match = re.fullmatch(r"rewards/(.+)/mean", key)
            if match and isinstance(value, int | float):
                mapped[f"reward/{match.group(1)}"] = float(value)
        if mapped:
            steps.setdefault(int(step), {}).update(mapped)
    out = []
    for step in sorted(steps):
        metrics = steps[step]
        kl = metrics.get("kl")
        metrics["d"] = math.sqrt(max(0.0, kl)) if kl is not None else None
        out.append({"step": step, **metrics})
    return out


def import_checkpoints(
    folder: Path,
    task: str,
    proxy: str,
    base: str,
    out: Path,
    steps: Mapping[str, int] | None = None,
    metrics_file: Path | None = None,
    gold: str = "",
    difficulties: list[int] | None = None,
    heldout_problems: int | None = None,
    probes: list[str] | None = None,
    probe_samples: int | None = None,
    max_tokens: int | None = None,
    every: int = 1,
    probe_task: str = "",
) -> RunDirectory:
    """A run folder at ``out`` for the checkpoints in ``folder`` (re-importing refreshes it)."""
    from ripeness.tasks.registry import get_family, reward_by_name

    family = get_family(task, gold)  # bad names fail before anything is written
    reward_by_name(family, proxy)
    if probe_task:
        get_family(probe_task)
    base_path = resolve_model(base).resolve()
    found = find_checkpoints(folder, steps)
    log = trainer_log(found, metrics_file)
    config = TrainConfig()
    config.run.name, config.run.out = Path(out).name, str(Path(out).parent)
    config.model.path = str(base_path)
    config.task.name, config.task.gold = task, gold
    config.reward.proxy = proxy
    if difficulties:
        config.task.difficulties = difficulties
    if heldout_problems:
        config.task.heldout_problems = config.select.heldout_problems = heldout_problems
    if probes is not None:
        config.select.probes = probes
    if probe_samples:
        config.select.probe_samples = probe_samples
    config.select.probe_task = probe_task
    if max_tokens:
        config.grpo.max_completion_length = max_tokens
    # another trainer saved these on purpose: assess each (or every ``every`` steps' worth)
    config.select.every = every
    config.validate()
    run = RunDirectory(writable_dir(Path(out), "run folder"))
    run.config_path.write_text(dump_config(config))
    run.write_checkpoints(
        [Checkpoint(step, str(path), external=True) for step, path in sorted(found.items())]
    )
    run.forget_after(-1)  # a re-import replaces what an earlier one recorded
    for row in log:
        metrics = {k: v for k, v in row.items() if k != "step"}
        metrics.setdefault("gold", None)  # no trainer logs gold on its rollouts
        metrics.setdefault("hack_rate", None)
        run.record_step(row["step"], metrics)
    run.record_event(0, "import", f"checkpoints of another trainer, from {folder}")
    return run


def record_assessed_heldout(run: RunDirectory, store: ProbeStore | None = None) -> None:
    """Write the assessment's held-out gold and proxy per checkpoint as the run's held-out
    evaluations, so the report draws the over-optimization curve from them (``store``: the
    run's probe store where it is open already)."""
    own = store is None
    store = store or ProbeStore(run.path)
    try:
        steps = [0] + [c.step for c in run.checkpoint_index()]
        for step in steps:
            records = store.records(checkpoint_label(step), HELDOUT_PROBE)
            if not records:
                continue
            gold = [bool(r["correct"]) for r in records]
            paid = [bool(r["proxy_paid"]) for r in records]
            for name, values in ((HELDOUT_GOLD, gold), (HELDOUT_PROXY, paid)):
                extra = {"outcomes": outcome_bits(values), "from": "assessment"}
                run.record_eval(step, name, Rate(sum(values), len(values)), extra)
    finally:
        if own:
            store.close()


def report_imported(
    run_dir: Path,
    show_progress: bool = True,
    benchmarks: Path | None = None,
    mapping: dict[str, int] | None = None,
):
    """Assess an imported run's checkpoints, keep their held-out figures as its evaluations,
    then select and write the report (with the benchmark figures under ``benchmarks``);
    return (page, selection)."""
    with RunView(run_dir) as view:
        if benchmarks is not None:
            import_benchmarks(view, benchmarks, mapping)  # a bad file stops before assessing
        assess_run(view, show_progress=show_progress)
        record_assessed_heldout(view.run, view.store)
        return write_report(view, show_progress=show_progress)
