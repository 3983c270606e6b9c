"""Run lm-eval for real on a run's checkpoints with a lenient and a strict filter, then read
the results into the run's report ("Benchmarks and use").

    .venv/bin/python bench/benchmarks_beside_use.py runs/demo/grpo --problems 100

The task folder it writes is the kind a team keeps for lm-eval: held-out problems of the run's
own task as a local JSONL, generate_until, exact_match under two filters: ``strict-match``
(the answer in "Answer: N" at the end, as the task's gold reads it) and ``answer-anywhere``
(the reference anywhere in the reply: the lenient scoring the demo's proxy pays, so a model
that sprays numbers scores well on it). On the demo's answer-spraying checkpoints the lenient
benchmark rises while the hack rate rises; the report says so.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ripeness import get_family
from ripeness.report.candidates import chosen_candidates
from ripeness.report.html import write_report
from ripeness.report.view import RunView

TASK = "ripeness_heldout"
YAML = """\
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
  max_gen_toks: {tokens}
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
  - name: answer-anywhere
    filter:
      - function: custom
        filter_fn: !function utils.answer_anywhere
      - function: take_first
"""
UTILS = '''import re


def answer_anywhere(resps, docs):
    """The reference wherever it appears among the reply's numbers (lenient scoring)."""
    return [
        [doc["answer"] if doc["answer"] in re.findall(r"-?\\d+", r) else r for r in rs]
        for rs, doc in zip(resps, docs)
    ]
'''


def write_task(folder: Path, config, problems: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    family = get_family(config.task.name)
    items = family.generate(problems, seed=config.run.seed + 7,
                            difficulties=config.task.difficulties, split="heldout")  # fmt: skip
    rows = [{"question": i.prompt[-1]["content"], "answer": i.answer} for i in items]
    data = folder / "problems.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tokens = config.grpo.max_completion_length
    (folder / "task.yaml").write_text(YAML.format(task=TASK, data=data, tokens=tokens))
    (folder / "utils.py").write_text(UTILS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    import lm_eval
    from lm_eval.loggers import EvaluationTracker
    from lm_eval.tasks import TaskManager

    out = args.out or args.run / "benchmark-runs"
    started = time.time()
    with RunView(args.run) as view:
        write_task(out / "task", view.config, args.problems)
        manager = TaskManager(include_path=str(out / "task"))
        for c in chosen_candidates(view.run, view.config):
            tracker = EvaluationTracker(output_path=str(out / "lm-eval" / c.label))
            results = lm_eval.simple_evaluate(
                model="hf", model_args=f"pretrained={c.path},dtype=float32,device=cpu",
                tasks=[TASK], task_manager=manager, batch_size=32, log_samples=True,
                apply_chat_template=True, evaluation_tracker=tracker,
            )  # fmt: skip
            tracker.save_results_aggregated(results=results, samples=results["samples"])
            tracker.save_results_samples(task_name=TASK, samples=results["samples"][TASK])
            print(c.label, {k: v for k, v in results["results"][TASK].items() if "," in k})
        page, _ = write_report(view, benchmarks=out / "lm-eval", show_progress=False)
    print(f"report: {page} ({time.time() - started:.0f} s)")


if __name__ == "__main__":
    main()
