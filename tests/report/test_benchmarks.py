"""The users' lm-eval and Inspect results, run for real on a real run's checkpoints, read into
its report beside use, and kept in the run.

The run: a few GRPO steps of the embedded model with a checkpoint every two. lm-eval runs its
``hf`` model on the base and two checkpoints with a small local generate_until task (a strict
and a lenient regex filter over the model's "Answer: N"); Inspect runs its ``hf`` provider on
two. ``ripeness report RUN --benchmarks DIR`` reads what they wrote."""

import json
import shutil
from pathlib import Path

import pytest

from helpers import assert_one_line_error, ripeness
from ripeness.errors import RipenessError
from ripeness.records.benchmarks import BenchmarkFigure, read_benchmarks
from ripeness.report.benchmarks import import_benchmarks
from ripeness.stats import wilson_interval

pytestmark = pytest.mark.slow

CONFIG = """
[run]
name = "bench"
out = "{out}"
seed = 1
[model]
path = "{model}"
[task]
difficulties = [2, 3]
train_problems = 100
heldout_problems = 20
[grpo]
steps = 4
prompts_per_step = 2
num_generations = 4
max_completion_length = 48
[monitor]
eval_every = 2
samples_per_step = 2
[checkpoints]
every = 2
[select]
probes = []
heldout_problems = 20
confirmation_problems = 0
every = 1
max_hack_rate = 1.0
"""

TASK = "ripeness_sums"
STRICT = "exact_match,strict-match"
LENIENT = "exact_match,lenient"
# the task folder a team would write for lm-eval, over a local JSONL file
TASK_YAML = """\
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "{{{{question}}}}"
doc_to_target: "{{{{answer}}}}"
generation_kwargs:
  until: ["<|end|>"]
  max_gen_toks: 48
  do_sample: false
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
filter_list:
  - name: strict-match
    filter:
      - function: regex
        regex_pattern: "Answer:\\\\s*(-?\\\\d+)\\\\s*\\\\.?\\\\s*$"
      - function: take_first
  - name: lenient
    filter:
      - function: regex
        regex_pattern: "(-?\\\\d+)"
        group_select: -1
      - function: take_first
"""
DOCS = 12


@pytest.fixture(scope="module")
def bench(default_model_dir, tmp_path_factory):
    """A real run, and the folder lm-eval and Inspect wrote on its checkpoints."""
    root = tmp_path_factory.mktemp("bench")
    config = root / "bench.toml"
    config.write_text(CONFIG.format(out=root / "runs", model=default_model_dir))
    done = ripeness("train", str(config), "--quiet", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    run = root / "runs" / "bench"
    checkpoints = sorted((run / "checkpoints").glob("checkpoint-*"))
    assert [c.name for c in checkpoints] == ["checkpoint-2", "checkpoint-4"]
    models = {0: Path(default_model_dir), 2: checkpoints[0], 4: checkpoints[1]}
    out = root / "benchmarks"
    problems = _problems(DOCS)
    _run_lm_eval(models, problems, root / "tasks", out / "lm-eval")
    _run_inspect({s: models[s] for s in (0, 4)}, problems, out / "inspect")
    return run, out, models


def _problems(n):
    from ripeness import get_family

    items = get_family("arithmetic").generate(n, seed=5, difficulties=[2, 3], split="heldout")
    return [(item.prompt, item.answer) for item in items]


def _run_lm_eval(models, problems, tasks, out):
    """lm-eval's own API, as `lm_eval --model hf --include_path ... --log_samples` runs it."""
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    data = tasks / "sums.jsonl"
    tasks.mkdir(parents=True)
    system = next((m["content"] for m in problems[0][0] if m["role"] == "system"), None)
    data.write_text("".join(
        json.dumps({"question": prompt[-1]["content"], "answer": answer}) + "\n"
        for prompt, answer in problems
    ))  # fmt: skip
    (tasks / "sums.yaml").write_text(TASK_YAML.format(task=TASK, data=data))
    manager = TaskManager(include_path=str(tasks))
    for step, path in models.items():
        tracker = EvaluationTracker(output_path=str(out / f"step{step}"))
        results = lm_eval.simple_evaluate(
            model="hf",
            model_args=f"pretrained={path},dtype=float32,device=cpu",
            tasks=[TASK],
            task_manager=manager,
            batch_size=16,
            log_samples=True,
            apply_chat_template=True,
            system_instruction=system,
            evaluation_tracker=tracker,
        )
        tracker.save_results_aggregated(results=results, samples=results["samples"])
        for task in results["configs"]:
            tracker.save_results_samples(task_name=task, samples=results["samples"][task])


def _run_inspect(models, problems, out):
    from inspect_ai import Task, eval
    from inspect_ai.dataset import Sample
    from inspect_ai.model import ChatMessageSystem, ChatMessageUser
    from inspect_ai.scorer import match
    from inspect_ai.solver import generate

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser}
    samples = [
        Sample(id=i, input=[kinds[m["role"]](content=m["content"]) for m in prompt],
               target=answer)
        for i, (prompt, answer) in enumerate(problems)
    ]  # fmt: skip
    task = Task(dataset=samples, solver=generate(), scorer=match(location="end", numeric=True),
                name="sums")  # fmt: skip
    for path in models.values():
        logs = eval(task, model=f"hf/{path}", model_args={"device": "cpu", "do_sample": False},
                    log_dir=str(out), max_tokens=48, display="none")  # fmt: skip
        assert logs[0].status == "success", logs[0].error


def lm_eval_samples(out: Path, step: int, metric: str) -> dict[str, float]:
    """The per-sample values lm-eval wrote for ``metric`` (``exact_match,FILTER``)."""
    (path,) = (out / "lm-eval" / f"step{step}").rglob(f"samples_{TASK}_*.jsonl")
    name, _, filt = metric.partition(",")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return {str(r["doc_id"]): float(r[name]) for r in rows if r["filter"] == filt}


def test_report_reads_both_tools_into_the_run_and_draws_them(bench):
    run, out, models = bench
    done = ripeness("report", str(run), "--benchmarks", str(out), "--quiet", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {(f.benchmark, f.step): f for f in read_benchmarks(run / "benchmarks.jsonl")}
    # every lm-eval figure recomputed from its samples, tied to the checkpoint it ran on
    for step in (0, 2, 4):
        for metric in (STRICT, LENIENT):
            mine = figures[(f"lm-eval:{TASK}/{metric}", step)]
            theirs = lm_eval_samples(out, step, metric)
            assert mine.samples == theirs and mine.n == DOCS
            assert mine.value == pytest.approx(sum(theirs.values()) / DOCS)
            assert (mine.low, mine.high) == pytest.approx(
                wilson_interval(int(sum(theirs.values())), DOCS)
            )
            assert mine.label == {0: "base", 2: "step-2", 4: "step-4"}[step]
            assert Path(mine.model) == models[step]
    # Inspect's accuracy from its samples (value_to_float: "C" is 1), on the two it ran on
    from inspect_ai.log import list_eval_logs, read_eval_log

    for info in list_eval_logs(str(out / "inspect")):
        log = read_eval_log(info)
        step = next(s for s, p in models.items() if log.eval.model == f"hf/{p}")
        correct = [s.scores["match"].value == "C" for s in log.samples]
        mine = figures[("inspect:sums/match", step)]
        assert mine.value == pytest.approx(sum(correct) / len(correct)) and mine.n == DOCS
        assert mine.value == pytest.approx(log.results.scores[0].metrics["accuracy"].value)
    assert ("inspect:sums/match", 2) not in figures
    page = (run / "report.html").read_text()
    section = page[page.index("<h2>Benchmarks and use</h2>") :]
    assert section.index("<table id=benchmarks>") < section.index("<figure id=benchmarks-figure>")
    assert "<svg" in section and "held-out gold" in section and "hack rate" in section
    strict4 = figures[(f"lm-eval:{TASK}/{STRICT}", 4)]
    assert f"{strict4.value:.0%} <span class=score>(95% CI {strict4.low:.0%}-" in section
    assert f"n={DOCS})" in section
    # kept: a later report without --benchmarks shows the same section
    again = ripeness("report", str(run), "--quiet", timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    later = (run / "report.html").read_text()
    assert later[later.index("<h2>Benchmarks and use</h2>") :].count("<tr>") == section.count(
        "<tr>"
    )


def test_a_malformed_or_unmatched_file_is_one_line_and_loses_nothing(bench, tmp_path):
    run, out, _ = bench
    if not (run / "benchmarks.jsonl").is_file():
        assert ripeness("report", str(run), "--benchmarks", str(out / "lm-eval"), "--quiet",
                        timeout=600).returncode == 0  # fmt: skip
    before = (run / "benchmarks.jsonl").read_text()
    bad = tmp_path / "bad"
    shutil.copytree(out / "lm-eval" / "step2", bad)
    (results,) = bad.rglob("results_*.json")
    results.write_text(results.read_text()[:200])  # cut off mid-write
    assert_one_line_error(ripeness("report", str(run), "--benchmarks", str(bad)),
                          str(results), "not an lm-eval results file")  # fmt: skip
    assert (run / "benchmarks.jsonl").read_text() == before
    # a model that is none of the run's checkpoints: say so, and how to map it
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out / "lm-eval" / "step2", elsewhere)
    (results,) = elsewhere.rglob("results_*.json")
    data = json.loads(results.read_text())
    data["config"]["model_args"] = "pretrained=/models/merged-final,dtype=float32"
    results.write_text(json.dumps(data))
    with pytest.raises(RipenessError) as caught:
        import_benchmarks(run, elsewhere)
    assert str(results) in str(caught.value) and "--map merged-final=STEP" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert (run / "benchmarks.jsonl").read_text() == before
    with pytest.raises(RipenessError, match="no checkpoint at step 3"):
        import_benchmarks(run, elsewhere, {"merged-final": 3})
    assert (run / "benchmarks.jsonl").read_text() == before


def imported(run, out):
    """The run's kept figures, importing the lm-eval ones first where no test did."""
    if not (run / "benchmarks.jsonl").is_file():
        assert ripeness("report", str(run), "--benchmarks", str(out / "lm-eval"), "--quiet",
                        timeout=600).returncode == 0  # fmt: skip
    return {(f.benchmark, f.step): f for f in read_benchmarks(run / "benchmarks.jsonl")}


def test_a_benchmark_rising_while_use_worsens_is_said(bench):
    """On the real run's selection and its imported figures, with explicit values where a
    four-step run cannot move them: a lenient-filter benchmark that answer-spraying pays
    (paired by doc_id) rising while the hack rate rises gets the sentence, and one that holds
    gets its own (the benchmark does not see it); one that falls with use, or any benchmark
    without the usability signal worsening, gets none."""
    from ripeness.report.benchmarks_section import moved_apart
    from ripeness.report.select import select_checkpoint
    from ripeness.stats import Rate

    run, out, _ = bench
    imported(run, out)
    selection = select_checkpoint(run)
    base, last = selection.assessments[0], selection.assessments[-1]
    name = f"lm-eval:{TASK}/{LENIENT}"
    assert base.benchmarks[name].samples == lm_eval_samples(out, 0, LENIENT)  # read back
    where = dict(benchmark=name, tool="lm-eval", model="m", file="f")
    before = {str(i): float(i < 10) for i in range(40)}
    after = {str(i): float(i < 30) for i in range(40)}  # 20 docs the spraying now "solves"
    base.benchmarks[name] = BenchmarkFigure.from_samples(before, {}, step=0, label="base",
                                                         **where)  # fmt: skip
    last.benchmarks[name] = BenchmarkFigure.from_samples(after, {}, step=4, label="step-4",
                                                         **where)  # fmt: skip
    base.signals["hack rate"] = ("hack rate", Rate(0, 40))
    last.signals["hack rate"] = ("hack rate", Rate(15, 40))

    def about(name):  # the sentences on this benchmark (the others may hold while use worsens)
        return [s for s in moved_apart(selection, {}) if s.startswith(f"step-4: {name} ")]

    said = about(name)
    assert len(said) == 1, said
    assert said[0].startswith(f"step-4: {name} rose over the starting model")
    assert "paired McNemar" in said[0] and "n=40" in said[0]
    assert "hack rate 0% (95% CI 0%-9%, n=40) -> 38%" in said[0]
    # the benchmark held while use worsened: it does not see it, and the report says so
    last.benchmarks[name] = BenchmarkFigure.from_samples(before, {}, step=4, label="step-4",
                                                         **where)  # fmt: skip
    said = about(name)
    assert len(said) == 1 and said[0].startswith(f"step-4: {name} held"), said
    assert "does not see what use shows" in said[0] and "hack rate 0%" in said[0]
    fell = {str(i): 0.0 for i in range(40)}  # the benchmark worsened with use: they agree
    last.benchmarks[name] = BenchmarkFigure.from_samples(fell, {}, step=4, label="step-4",
                                                         **where)  # fmt: skip
    assert not about(name)
    last.benchmarks[name] = BenchmarkFigure.from_samples(after, {}, step=4, label="step-4",
                                                         **where)  # fmt: skip
    last.signals["hack rate"] = ("hack rate", Rate(1, 40))  # no significant rise: no sentence
    assert not any("hack rate" in s for s in moved_apart(selection, {}))


def test_select_takes_a_benchmark_as_objective_and_says_its_figure_is_a_selection_figure(
    bench, tmp_path
):
    run, out, _ = bench
    figures = imported(run, out)
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    config = copy / "config.toml"
    name = f"lm-eval:{TASK}/{LENIENT}"
    text = config.read_text()
    assert 'objective = "heldout gold"' in text  # the run's config keeps the default
    config.write_text(text.replace('objective = "heldout gold"', f'objective = "{name}"'))
    done = ripeness("select", str(copy), "--json", "--quiet", timeout=600)
    assert done.returncode in (0, 3), done.stderr[-2000:]
    selection = json.loads(done.stdout)
    best = max((2, 4), key=lambda s: (figures[(name, s)].value, -s))
    assert selection["chosen_step"] == best, selection["reasons"]
    chosen = figures[(name, best)]
    assert f"chosen for the highest {name}, {chosen.percent()}" in selection["reasons"][0]
    assert "is a selection figure" in selection["reasons"][0]
    # as a limit: a least score above every checkpoint's figure vetoes them all
    above = max(f.value for (b, _), f in figures.items() if b == name) + 0.01
    config.write_text(
        text.replace("benchmark_limits = {  }", f'benchmark_limits = {{ "{name}" = {above} }}')
    )
    vetoed = json.loads(ripeness("select", str(copy), "--json", "--quiet", timeout=600).stdout)
    assert vetoed["chosen"] is None
    assert all(f"{name}" in c["vetoes"][0] for c in vetoed["candidates"] if c["step"] > 0)
