"""The monitor's held-out evaluation: the policy answers problems it never trains on, gold and
the proxy score them problem by problem, and the run folder keeps the outcomes.

Every evaluation asks the same problems with the same draw (the run's seed + 1), so two
evaluations pair up problem by problem (the alarm's held-out check). When checkpoint
assessment would ask the same question, the result is also stored in ``probes.sqlite`` under
the checkpoint's label, so the report reads it instead of generating again. Under
`accelerate launch` each process answers its share; the main process scores them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from ripeness.evaluation import TRAINING, checkpoint_label, mixed_reward, score_heldout
from ripeness.models.generate import Generation, generate_chat
from ripeness.records.probes import ProbeStore
from ripeness.records.run import HELDOUT_GOLD, HELDOUT_PROXY, RunDirectory, outcome_bits
from ripeness.stats import Rate
from ripeness.tasks.base import Reward, TaskItem
from ripeness.tasks.items import write_items
from ripeness.train.config import TrainConfig
from ripeness.train.ranks import gathered, my_share
from ripeness.train.recorded_rewards import is_builtin


class HeldoutOutcomes(NamedTuple):
    """One evaluation problem by problem, in the order the alarm's held-out check takes."""

    correct: list[bool]  # gold
    paid: list[bool]  # the proxy pays
    scores: list[float]  # the proxy's own score
    hacked: list[bool]


@dataclass(frozen=True)
class HeldoutEvaluator:
    """The same problems, the same draw, every evaluation of one run."""

    items: Sequence[TaskItem]
    gold: Reward
    mix: list[tuple[Reward, float]]  # the proxy: each reward with its weight
    max_length: int
    temperature: float
    seed: int
    for_assessment: bool  # checkpoint assessment asks the same: store the result for it

    @classmethod
    def of(cls, config: TrainConfig, items, gold: Reward, mix: list) -> HeldoutEvaluator:
        return cls(
            items, gold, mix, config.grpo.max_completion_length, config.monitor.eval_temperature,
            config.run.seed + 1, config.assessment_matches_training(),
        )  # fmt: skip

    def answers(self, model, tokenizer, engine: Any) -> list[Generation]:
        """The policy's answers (all of them on the main process): from TRL's vLLM engine when
        attached, else from the training model, each process answering its share."""
        conversations = [list(item.prompt) for item in self.items]
        length, temperature, seed = self.max_length, self.temperature, self.seed
        if engine is not None:
            from ripeness.train.vllm_engine import generate_with_engine

            return generate_with_engine(engine, tokenizer, conversations, length, temperature, seed)
        was_training = model.training
        mine = generate_chat(
            model, tokenizer, my_share(conversations), length, temperature=temperature, seed=seed
        )
        if was_training:
            model.train()
        return gathered(mine)

    def record(
        self, run: RunDirectory, step: int, generations: Sequence[Generation]
    ) -> HeldoutOutcomes:
        """Score the answers and record both evaluations: per-problem outcomes ("0110...") let
        two be compared pair by pair; the proxy's own scores and the hack outcomes too (the
        alarm judges the proxy on its scale)."""
        texts = [g.text for g in generations]
        tokens = [g.completion_tokens for g in generations]
        proxy = mixed_reward(self.mix, self.items, texts)
        result = score_heldout(self.gold, self.items, texts, tokens, proxy)
        outcomes = HeldoutOutcomes(
            correct=[r["correct"] for r in result.records],
            paid=[r["proxy_paid"] for r in result.records],
            scores=[round(r["proxy"], 4) for r in result.records],
            hacked=[r["hacked"] for r in result.records],
        )
        extra = {"mean_tokens": sum(tokens) / max(1, len(tokens)), "temperature": self.temperature}
        proxy_extra = {"scores": outcomes.scores, "hacked": outcome_bits(outcomes.hacked)}
        for name, values, more in (
            (HELDOUT_GOLD, outcomes.correct, {}),
            (HELDOUT_PROXY, outcomes.paid, proxy_extra),
        ):
            rate = Rate(sum(values), len(values))
            run.record_eval(step, name, rate, {**extra, **more, "outcomes": outcome_bits(values)})
        if self.for_assessment:
            store = ProbeStore(run.path)
            try:
                store.save(checkpoint_label(step), result, {"step": step, "from": TRAINING})
            finally:
                store.close()
        return outcomes


def heldout_task(
    run_dir: Path, items: list[TaskItem], gold: Reward, gold_original: Any, write: bool
) -> tuple[str, str, list[TaskItem]]:
    """The held-out problems as a task the report can reload: (``task.name``, ``task.gold``,
    the items as written to ``heldout.jsonl``, which only the main process ``write``s)."""
    gold_reference = getattr(gold, "reference", None)
    reloadable = bool(gold_reference) and ":" in gold_reference
    if not reloadable and not is_builtin(gold_original):
        # the rows' own family would supply a gold that is not this one: name none
        items = [replace(i, task="custom") for i in items]
    path = RunDirectory(run_dir).heldout_path
    if write:
        write_items(path, items)
    return f"items:{path.resolve()}", gold_reference if reloadable else "", items
