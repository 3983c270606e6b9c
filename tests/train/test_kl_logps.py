"""The KL monitor's log-probabilities: only the completion positions go through the LM head
(``logits_to_keep``), and that must not change a single figure against the full forward,
nor fail on a model that does not take the argument."""

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from ripeness.train.kl import completion_logps


class WithoutLogitsToKeep(torch.nn.Module):
    """A user's causal LM whose forward takes no ``logits_to_keep``: full logits only."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids):
        return self.model(
            input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
        )


def test_completion_logps_match_the_full_forward():
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=50,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
    )
    model = LlamaForCausalLM(config).eval()
    ids = torch.randint(0, 50, (2, 12))
    attention = torch.ones_like(ids)
    attention[0, :3] = 0  # a left-padded prompt
    with torch.no_grad():
        logps, entropy = completion_logps(model, ids, attention, 5, with_entropy=True)
        full_logps, full_entropy = completion_logps(
            WithoutLogitsToKeep(model), ids, attention, 5, with_entropy=True
        )
        # by hand: the log-softmax of the full logits at the positions predicting each token
        position_ids = (attention.cumsum(1) - 1).clamp(min=0)
        logits = model(input_ids=ids, attention_mask=attention, position_ids=position_ids).logits
        by_hand = torch.log_softmax(logits[:, -6:-1], -1).gather(2, ids[:, -5:, None])[..., 0]
    assert logps.shape == (2, 5)
    torch.testing.assert_close(logps, full_logps)
    torch.testing.assert_close(entropy, full_entropy)
    torch.testing.assert_close(logps, by_hand)
