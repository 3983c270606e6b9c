"""A model answered by vLLM in this process (GPU machines): the probes' backend interface.

``VLLMBackend(folder)`` loads a checkpoint into a ``vllm.LLM``; ``VLLMBackend(llm=engine)``
wraps an engine that already holds the weights (TRL's colocated training engine), so held-out
evaluations during training ask the same engine that generated the rollouts. Prompts are
rendered with the model's own chat template and passed as token ids, as TRL does; vLLM's
scheduler does the batching. vLLM is imported only here. It cannot run on this project's CPU
machines: ``bench/gpu_check.sh`` exercises it on a GPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ripeness.errors import RipenessError
from ripeness.messages import Message
from ripeness.models.interface import BaseBackend, Completion, Sampling
from ripeness.models.tokenizer import chat_ids


def vllm_available() -> bool:
    """vLLM importable and a CUDA device to run it on."""
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


class VLLMBackend(BaseBackend):
    """Completions from a ``vllm.LLM`` (a folder loaded here, or an engine given)."""

    def __init__(
        self,
        model_dir: Path | None = None,
        llm: Any = None,
        gpu_memory_utilization: float = 0.45,
    ) -> None:
        if llm is None:
            try:
                from vllm import LLM
            except ImportError:
                raise RipenessError("the vllm engine needs vLLM: pip install vllm") from None
            llm = LLM(
                model=str(model_dir),
                gpu_memory_utilization=gpu_memory_utilization,
                enable_prefix_caching=True,  # probes ask many questions with one preamble
            )
        self.llm = llm
        self.tokenizer = llm.get_tokenizer()
        self.name = str(model_dir) if model_dir else "vllm"

    def answer(
        self, conversations: Sequence[list[Message]], sampling: Sampling
    ) -> list[list[Completion]]:
        from vllm import SamplingParams

        samples = sampling.samples

        prompts = [
            {"prompt_token_ids": chat_ids(self.tokenizer, conversation)}
            for conversation in conversations
        ]
        params = SamplingParams(
            n=samples,
            temperature=sampling.temperature,
            max_tokens=sampling.max_tokens,
            seed=sampling.seed,
        )
        outputs = self.llm.generate(prompts, sampling_params=params, use_tqdm=False)
        answers = [
            [
                Completion(
                    self.tokenizer.decode(o.token_ids, skip_special_tokens=True),
                    len(o.token_ids),
                    o.finish_reason == "length",
                )
                for o in output.outputs
            ]
            for output in outputs
        ]
        if self.on_progress:
            self.on_progress(len(conversations) * samples)
        return answers
