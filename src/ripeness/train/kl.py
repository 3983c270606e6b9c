"""KL(policy || initial policy): which model is the initial policy, and the estimate on a batch.

KL is the sequence-level KL estimated on the sampled completions: the sum over completion
tokens of the k3 estimator exp(r) - r - 1 with r = log p_ref - log p_policy (unbiased and
never negative, as in TRL). Gao et al. plot gold reward against d = sqrt(KL). The monitor
measures it itself (:func:`sample_kl`) where TRL's log has no per-step KL: ``beta = 0``, or
``logging_steps > 1``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path

import torch

from ripeness.errors import RipenessError
from ripeness.models.tokenizer import chat_ids
from ripeness.train.ranks import world_size
from ripeness.train.rollouts import RolloutBatch


def base_model_name(model) -> str | None:
    """The starting model a (possibly LoRA-wrapped) model was loaded from."""
    peft = getattr(model, "peft_config", None)
    if isinstance(peft, Mapping) and peft:
        return next(iter(peft.values())).base_model_name_or_path
    return getattr(model, "name_or_path", None) or None


def reference_model(
    reference: str | Path | torch.nn.Module | None, model, global_step: int
) -> Callable[[], AbstractContextManager] | torch.nn.Module:
    """The initial policy KL is measured against: the one given, a LoRA model's base weights
    (its adapters switched off), the starting weights loaded again, or (at step 0 only) a
    frozen copy of the model."""
    if isinstance(reference, torch.nn.Module):
        return reference.eval().requires_grad_(False)
    if hasattr(model, "disable_adapter"):  # peft: the base weights are the reference
        return model.disable_adapter
    from transformers import AutoModelForCausalLM

    from ripeness.models.sources import resolve_model

    source = reference or base_model_name(model)
    try:
        path = resolve_model(str(source)) if source else None
    except RipenessError:
        path = None
    if path is not None:
        loaded = AutoModelForCausalLM.from_pretrained(path, dtype=model.dtype)
        return loaded.to(model.device).eval().requires_grad_(False)
    if global_step == 0:
        return copy.deepcopy(model).eval().requires_grad_(False)
    raise RipenessError(
        "OverOptimizationMonitor: resuming with beta=0 needs the starting model for KL; "
        "pass reference='path/to/the/initial/model'"
    )


def completion_logps(
    model: torch.nn.Module,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    keep: int,
    with_entropy: bool = False,
):
    """Log-probabilities of the last ``keep`` tokens under ``model`` (a plain HF causal LM);
    with ``with_entropy``, also the entropy of each of those next-token distributions."""
    position_ids = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)
    inputs = dict(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids)
    # only the positions that predict the completion go through the LM head (HF causal LMs
    # take ``logits_to_keep``): on a real model's vocabulary the head is much of a forward
    try:
        logits = model(**inputs, logits_to_keep=keep + 1).logits
    except TypeError:  # a model of the user's without it
        logits = model(**inputs).logits
    logits = logits[:, -keep - 1 : -1]
    targets = input_ids[:, -keep:]
    logps = torch.log_softmax(logits.float(), dim=-1)
    chosen = logps.gather(2, targets.unsqueeze(-1)).squeeze(-1)
    if not with_entropy:
        return chosen
    return chosen, -(logps.exp() * logps).sum(dim=-1)


def sequence_kl(
    policy_logps: torch.Tensor, ref_logps: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Per-sequence KL(policy || ref) estimate: summed k3 over completion tokens."""
    delta = ref_logps - policy_logps
    per_token = torch.exp(delta) - delta - 1
    return (per_token * mask).sum(dim=1)


def prompt_ids(tokenizer, prompt) -> list[int]:
    """A prompt's token ids as TRL makes them: the chat template with the generation prompt
    for chat messages, plain tokens for text."""
    if isinstance(prompt, str):
        return tokenizer(prompt, add_special_tokens=False)["input_ids"]
    return chat_ids(tokenizer, prompt)


@torch.no_grad()
def sample_kl(
    policy: torch.nn.Module,
    reference: Callable[[], AbstractContextManager] | torch.nn.Module,
    tokenizer,
    batch: RolloutBatch,
    samples: int,
) -> tuple[list[float], float]:
    """KL(policy || reference) per sequence and the policy's mean token entropy, on every
    ``len / samples``-th completion (each group represented): an unbiased estimate of the
    batch's mean at a fraction of a forward pass over it.

    ``reference`` is a frozen model, or a context in which ``policy`` itself is the reference
    (a LoRA model with its adapters switched off)."""
    n = len(batch.completions)
    stride = max(1, n // samples) if samples else 1
    rows = list(range(0, n, stride))
    prompts = [prompt_ids(tokenizer, batch.prompts[i]) for i in rows]
    completions = [batch.completion_ids[i] for i in rows]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    width_p, width_c = max(map(len, prompts)), max(1, max(map(len, completions)))
    ids, attention, mask = [], [], []
    for p, c in zip(prompts, completions, strict=True):  # prompts left-padded, completions right
        ids.append([pad] * (width_p - len(p)) + p + c + [pad] * (width_c - len(c)))
        attention.append(
            [0] * (width_p - len(p)) + [1] * (len(p) + len(c)) + [0] * (width_c - len(c))
        )
        mask.append([1] * len(c) + [0] * (width_c - len(c)))
    device = next(policy.parameters()).device
    ids_t = torch.tensor(ids, device=device)
    attention_t = torch.tensor(attention, device=device)
    mask_t = torch.tensor(mask, device=device, dtype=torch.float32)
    policy_logps, entropies = completion_logps(policy, ids_t, attention_t, width_c, True)
    if isinstance(reference, torch.nn.Module):
        ref_logps = completion_logps(reference, ids_t, attention_t, width_c)
    else:
        with reference():
            ref_logps = completion_logps(policy, ids_t, attention_t, width_c)
    kl = sequence_kl(policy_logps, ref_logps, mask_t).tolist()
    entropy = float((entropies * mask_t).sum() / mask_t.sum().clamp(min=1))
    return kl, entropy


def measure_kl(batch: RolloutBatch, policy, reference, tokenizer, kl_samples: int) -> None:
    """KL and entropy of this process's shard of ``batch``, on its part of the step's
    ``kl_samples`` (0 = every completion), while ``policy`` is still the one that sampled it."""
    samples = kl_samples and -(-kl_samples // world_size())
    batch.kl, batch.entropy = sample_kl(policy, reference, tokenizer, batch, samples)
