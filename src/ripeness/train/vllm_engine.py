"""Held-out evaluations through TRL's own vLLM engine, when the run generates with vLLM.

With ``use_vllm`` TRL generates the rollouts with vLLM, in every training process
(``vllm_mode="colocate"``) or on a ``trl vllm-serve`` server (``"server"``). The monitor's
held-out evaluation then asks that same engine, after pushing it the policy's current weights
with TRL's own ``sync_weights`` (a collective: every process calls it), instead of running
``model.generate`` on the training copy. Colocated, each process answers its share of the
problems; with a server, the main process asks for all of them. Not run in this project's
CI (no GPU): ``bench/gpu_check.sh`` runs it on a GPU machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ripeness.models.generate import Generation
from ripeness.models.tokenizer import chat_ids
from ripeness.train.ranks import gathered, my_share, rank


def engine_of(trainer: Any) -> Any | None:
    """TRL's vLLM generation engine of a trainer, or None (no vLLM, or one that sleeps
    between generations, whose weights are not there to ask)."""
    args = getattr(trainer, "args", None)
    engine = getattr(trainer, "vllm_generation", None)
    if not getattr(args, "use_vllm", False) or engine is None:
        return None
    if getattr(engine, "enable_sleep_mode", False):
        return None
    return engine


def generate_with_engine(
    engine: Any,
    tokenizer,
    conversations: Sequence[list[dict]],
    max_tokens: int,
    temperature: float,
    seed: int,
) -> list[Generation]:
    """Every conversation's answer on the main process (an empty list on the others)."""
    engine.sync_weights()
    if engine.mode == "server":
        if rank() != 0:
            return []
        prompts = [chat_ids(tokenizer, c) for c in conversations]
        out = engine.vllm_client.generate(
            prompts=prompts, n=1, temperature=temperature, max_tokens=max_tokens
        )
        eos = tokenizer.eos_token_id
        return [
            Generation(
                tokenizer.decode(ids, skip_special_tokens=True),
                len(ids),
                len(ids) >= max_tokens and (not ids or ids[-1] != eos),
            )
            for ids in out["completion_ids"]
        ]
    from ripeness.models.vllm_backend import VLLMBackend

    # a tensor-parallel group asks as one engine; otherwise each process asks for its share
    as_one = getattr(engine, "tensor_parallel_size", 1) > 1
    asked = list(conversations) if as_one else my_share(list(conversations))
    answers = VLLMBackend(llm=engine.llm).complete(asked, max_tokens, temperature, 1, seed)
    mine = [Generation(a[0].text, a[0].tokens, a[0].truncated) for a in answers]
    if as_one:
        return mine if rank() == 0 else []
    return gathered(mine)
