"""Each training batch's rollouts, as TRL already made and scored them, turned into statistics.

After TRL has generated and scored a batch, :class:`RolloutMonitor` reads the same rollouts
(the rewards it already computed, the completion ids and masks, the advantages) and adds gold
reward, KL to the initial policy, entropy, lengths and attribution. Gold is scored on the
rollouts only if it is not already one of the training rewards. KL and entropy come from the
log-probs TRL computes for its loss anyway; the reference model scores a strided subset only
when ``beta`` is 0 (TRL then keeps no reference log-probs).
"""

from __future__ import annotations

from typing import Any

import torch
from trl import GRPOTrainer

from ripeness.tasks.base import TaskFamily
from ripeness.train.monitors import (
    RecordingReward,
    RolloutStats,
    advantage_attribution,
    completion_logps,
    sequence_kl,
    zero_variance_fraction,
)


class RolloutMonitor:
    """Turns one batch of TRL rollouts into a :class:`RolloutStats`."""

    def __init__(
        self,
        family: TaskFamily,
        recorders: list[RecordingReward],
        weights: list[float],
        reference_model: torch.nn.Module | None,
        kl_samples: int = 0,
    ) -> None:
        self.kl_samples = kl_samples  # completions per step scored by the reference; 0 = all
        self.family = family
        self.recorders = recorders
        self.weights = weights
        self.reference_model = reference_model
        self.pending: tuple[RolloutStats, list[dict[str, Any]]] | None = None

    def observe(self, trainer: GRPOTrainer, inputs: list[dict], output: dict) -> None:
        completions = self.recorders[0].last_completions
        components = {r.__name__: r.last_scores for r in self.recorders}
        total_weight = sum(self.weights) or 1.0
        proxy = [
            sum(w * s for w, s in zip(self.weights, scores, strict=True)) / total_weight
            for scores in zip(*components.values(), strict=True)
        ]
        gold = self._gold(inputs, completions, components)
        mask = output["completion_mask"]
        # KL and entropy come later, from the policy log-probs TRL computes for its loss anyway
        # (see ``on_loss_pass``): one forward pass saved per step
        kl, entropy = [], float("nan")
        eos = set(trainer.eos_token_ids)
        lengths = mask.sum(dim=1).tolist()
        truncated = [
            not any(int(t) in eos for t in ids[:n])
            for ids, n in zip(output["completion_ids"].tolist(), lengths, strict=True)
        ]
        group = trainer.num_generations
        proxy_tensor = torch.tensor(proxy)
        tensors = {name: torch.tensor(v).nan_to_num(0.0) for name, v in components.items()}
        weights = dict(zip(components, self.weights, strict=True))
        stats = RolloutStats(
            proxy=proxy,
            gold=gold,
            lengths=[int(n) for n in lengths],
            truncated=truncated,
            kl=kl,
            entropy=entropy,
            zero_variance_groups=zero_variance_fraction(proxy_tensor, group),
            prompts=len(proxy) // group,
            components=components if len(components) > 1 else {},
            attribution=advantage_attribution(tensors, weights, group) if len(tensors) > 1 else {},
        )
        samples = [
            {
                "item_id": row.get("item_id"),
                "prompt": row["prompt"][-1]["content"],
                "completion": text,
                "gold": g,
                "proxy": p,
                "hacked": hacked,
                "tokens": n,
                "rewards": {name: values[i] for name, values in components.items()},
            }
            for i, (row, text, g, p, hacked, n) in enumerate(
                zip(inputs, completions, gold, proxy, stats.hacked, stats.lengths, strict=True)
            )
        ]
        self.pending = (stats, samples)

    def on_loss_pass(self, inputs: dict, policy_logps: torch.Tensor, entropies: torch.Tensor):
        """Finish the pending stats with KL to the reference and entropy, from the loss pass.

        With one optimisation pass per generation (GRPO's default, ours) the loss sees the
        parameters the rollouts were sampled with, so these are the rollouts' own figures. TRL
        gives reference log-probs only when ``beta > 0``; otherwise the reference model here
        scores the same tokens.
        """
        if self.pending is None:
            return
        stats, _ = self.pending
        mask = inputs["completion_mask"]
        stats.entropy = float((entropies * mask).sum() / mask.sum().clamp(min=1))
        ref_logps = inputs.get("ref_per_token_logps")
        if ref_logps is None:
            # the reference forward is the monitors' one real cost: run it on a strided subset
            # (every group represented), an unbiased estimate of the batch's mean KL
            stride = max(1, mask.size(0) // self.kl_samples) if self.kl_samples else 1
            rows = torch.arange(0, mask.size(0), stride)
            mask, policy_logps = mask[rows], policy_logps[rows]
            input_ids = torch.cat([inputs["prompt_ids"][rows], inputs["completion_ids"][rows]], 1)
            attention = torch.cat([inputs["prompt_mask"][rows], mask], dim=1)
            with torch.no_grad():
                ref_logps = completion_logps(
                    self.reference_model, input_ids, attention, mask.size(1)
                )
        stats.kl += sequence_kl(policy_logps, ref_logps, mask).tolist()

    def _gold(self, inputs, completions, components) -> list[float]:
        gold_name = self.family.gold.name
        for recorder in self.recorders:
            if recorder.reward is self.family.gold:
                return components[gold_name]
        scores = self.family.gold(
            [row["prompt"] for row in inputs],
            completions,
            answer=[row["answer"] for row in inputs],
            metadata=[row.get("metadata") for row in inputs],
        )
        return [0.0 if s is None else float(s) for s in scores]
