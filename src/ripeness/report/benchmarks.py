"""The users' benchmark figures in a run: import them, tie each to its checkpoint, compare.

``ripeness report RUN --benchmarks DIR`` reads every lm-eval ``results_*.json``
(:mod:`ripeness.report.lm_eval_results`) and Inspect log (:mod:`ripeness.report.inspect_logs`)
under DIR, ties each to the checkpoint it ran on (the model path in the file against the run's
checkpoint folders and starting model, or ``--map NAME=STEP``) and keeps them in
``RUN/benchmarks.jsonl``. A file that cannot be read or tied to a checkpoint stops the import
in one line naming it, before anything is written, so nothing already imported is lost.

:func:`change` compares one benchmark between two checkpoints: paired by sample id where both
carry samples (McNemar for 0/1 values, sign-flip otherwise), else unpaired from the intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ripeness.errors import RipenessError
from ripeness.evaluation import checkpoint_label
from ripeness.records.benchmarks import BenchmarkFigure, read_benchmarks, save_benchmarks
from ripeness.report.candidates import Candidate, all_candidates
from ripeness.report.inspect_logs import is_inspect_log, read_log
from ripeness.report.lm_eval_results import Measured, is_results_file, read_results
from ripeness.report.view import RunView, open_view
from ripeness.stats import paired_means, paired_rates, unpaired_difference_p


def benchmark_files(folder: Path) -> list[Path]:
    """lm-eval results files and Inspect logs anywhere under ``folder`` (or ``folder`` itself,
    a single file)."""
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        raise RipenessError(f"--benchmarks {folder}: no such folder")
    found = [p for p in sorted(folder.rglob("*"))
             if p.is_file() and (is_results_file(p) or is_inspect_log(p))]  # fmt: skip
    if not found:
        raise RipenessError(
            f"--benchmarks {folder} holds no lm-eval results_*.json nor Inspect .eval/.json "
            "log; pass the folder lm_eval --output_path or inspect --log-dir wrote"
        )
    return found


def read_file(path: Path) -> list[Measured]:
    return read_results(path) if is_results_file(path) else read_log(path)


def match_step(measured: Measured, candidates: list[Candidate], mapping: dict[str, int]):
    """The step of the checkpoint ``measured`` ran on, or None: an explicit mapping of the
    model's name (or the file's), else the model's folder, else its folder's name where one
    candidate alone has it (files written on another machine)."""
    names = [measured.model, *measured.aliases]
    for name in [*names, measured.file.name, measured.file.stem, measured.file.parent.name]:
        for key in (name, Path(name).name):
            if key in mapping:
                return mapping[key]
    for name in names:
        path = Path(name)
        for c in candidates:
            if path.exists() and c.path.exists() and path.resolve() == c.path.resolve():
                return c.step
    for name in names:
        same = [c for c in candidates if Path(name).name == c.path.name]
        if len(same) == 1:
            return same[0].step
    return None


def import_benchmarks(
    run_dir: Path | RunView, folder: Path, mapping: dict[str, int] | None = None
) -> list[BenchmarkFigure]:
    """Read, tie and keep every figure under ``folder``; return all the run now keeps."""
    mapping = mapping or {}
    with open_view(run_dir) as view:
        candidates = all_candidates(view.run, view.config)
        steps = {c.step for c in candidates}
        for name, step in mapping.items():
            if step not in steps:
                raise RipenessError(
                    f"--map {name}={step}: the run has no checkpoint at step {step} (it has "
                    f"{', '.join(map(str, sorted(steps)))})"
                )
        figures, problems = [], []
        for path in benchmark_files(folder):
            try:
                measured = read_file(path)
            except RipenessError as exc:
                problems.append(str(exc))
                continue
            for m in measured:
                step = match_step(m, candidates, mapping)
                if step is None:
                    problems.append(
                        f"{path}: its model {m.model!r} is none of {view.path}'s checkpoints; "
                        f"add --map {Path(m.model).name or path.name}=STEP"
                    )
                    break
                figures.append(figure_of(m, step))
        if problems:
            more = f" (and {len(problems) - 1} more file(s))" if len(problems) > 1 else ""
            raise RipenessError(problems[0] + more)
        return save_benchmarks(view.run.benchmarks_path, figures)


def figure_of(m: Measured, step: int) -> BenchmarkFigure:
    where = dict(benchmark=m.benchmark, tool=m.tool, step=step, label=checkpoint_label(step),
                 model=m.model, file=str(m.file), higher_is_better=m.higher_is_better)  # fmt: skip
    if m.samples:
        reported = {"value": m.value, "stderr": m.stderr}
        return BenchmarkFigure.from_samples(m.samples, reported, **where)
    return BenchmarkFigure.from_reported(m.value, m.stderr, m.n, **where)


def run_benchmarks(run_dir: Path | RunView) -> dict[str, dict[int, BenchmarkFigure]]:
    """The run's kept figures: benchmark -> step -> figure."""
    with open_view(run_dir) as view:
        found: dict[str, dict[int, BenchmarkFigure]] = {}
        for f in read_benchmarks(view.run.benchmarks_path):
            found.setdefault(f.benchmark, {})[f.step] = f
        return found


@dataclass(frozen=True)
class Change:
    """B minus A for one benchmark: the difference, its p-value (two-sided), n, the test."""

    difference: float
    p_value: float
    n: int
    test: str

    def significant(self, rising: bool) -> bool:
        """It moved significantly in that direction (p < 0.05)."""
        moved = self.difference > 0 if rising else self.difference < 0
        return moved and self.p_value < 0.05

    def words(self) -> str:
        return f"{self.difference:+.3g}, {self.test} p={self.p_value:.2g}, n={self.n}"


def change(a: BenchmarkFigure, b: BenchmarkFigure) -> Change | None:
    """``b`` against ``a``: paired on the sample ids both hold, else unpaired from their
    intervals; None when neither can be had (a figure with no interval and no samples)."""
    shared = sorted((a.samples or {}).keys() & (b.samples or {}).keys())
    if shared:
        x, y = [a.samples[k] for k in shared], [b.samples[k] for k in shared]
        if all(v in (0.0, 1.0) for v in x + y):
            cmp = paired_rates([v == 1.0 for v in x], [v == 1.0 for v in y])
        else:
            cmp = paired_means(x, y)
        return Change(cmp.difference, cmp.p_value, cmp.n, f"paired {cmp.test}")
    if not (math.isfinite(a.se) and math.isfinite(b.se)):
        return None
    p = unpaired_difference_p(a.value, a.se, b.value, b.se)
    return Change(b.value - a.value, p, min(a.n, b.n), "unpaired z")
