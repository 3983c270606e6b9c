"""TRL's ``GRPOTrainer`` with the one hook the monitors need: the only code here that touches
TRL's private methods (``OVERRIDDEN`` lists them; a test checks they still exist in the pinned
TRL with the signatures this subclass calls)."""

from __future__ import annotations

from trl import GRPOTrainer

from ripeness.train.rollouts import RolloutMonitor

# TRL methods this subclass overrides -> the leading parameters it relies on
OVERRIDDEN = {
    "_generate_and_score_completions": ("self", "inputs"),
    "_compute_loss": ("self", "model", "inputs"),
    "_get_per_token_logps_and_entropies": (
        "self",
        "model",
        "input_ids",
        "attention_mask",
        "logits_to_keep",
    ),
}


class MonitoredGRPOTrainer(GRPOTrainer):
    """TRL's GRPOTrainer; the monitor sees every training batch after TRL scores it."""

    def __init__(self, *args, monitor: RolloutMonitor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.monitor = monitor

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self.model.training:
            self.monitor.observe(self, inputs, output)
        return output

    def _compute_loss(self, model, inputs):
        self._loss_inputs = inputs
        try:
            return super()._compute_loss(model, inputs)
        finally:
            self._loss_inputs = None

    def _get_per_token_logps_and_entropies(self, model, input_ids, attention_mask, keep, *a, **kw):
        logps, entropies, *rest = super()._get_per_token_logps_and_entropies(
            model, input_ids, attention_mask, keep, *a, **kw
        )
        inputs = getattr(self, "_loss_inputs", None)
        if inputs is not None and entropies is not None:
            self.monitor.on_loss_pass(inputs, logps.detach(), entropies.detach())
        return (logps, entropies, *rest)
