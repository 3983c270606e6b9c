"""The embedded model's supervised warm start: what it trains on and how.

The data is procedurally generated from the *train* split of the arithmetic family only, mixing
plain questions with sycophancy set-ups (see ``tasks.conversations``); it trains through
:func:`ripeness.models.sft.fine_tune` (packed rows, loss on assistant tokens only).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from ripeness.defaults import MAX_TRAINED_DIFFICULTY, WARM_START_EXAMPLES
from ripeness.models.sft import FineTuneResult, fine_tune
from ripeness.tasks.arithmetic import sample_problems
from ripeness.tasks.conversations import warm_start_conversation
from ripeness.train.callbacks import TrainerProgress


@dataclass(frozen=True)
class WarmStartConfig:
    """What the warm start trains on and how; defaults reach the issue's bars on 2 CPU cores."""

    examples: int = WARM_START_EXAMPLES
    difficulties: tuple[int, ...] = tuple(range(1, MAX_TRAINED_DIFFICULTY + 1))
    suggestion_rate: float = 0.15
    pushback_rate: float = 0.15
    hedge_rate: float = 0.02  # "Answer: 68 or 69": the prior that answer spraying grows from
    early_stop_rate: float = 0.08  # chains one step short: a slip RL can fix (and overshoot)
    misread_rate: float = 0.15  # the first number copied wrong: a slip RL can fix (and gold rises)
    verify_rate: float = 0.08  # "I wrote this solution... Is it correct?" (feedback probes)
    learning_rate: float = 3e-3
    rows_per_step: int = 8
    row_length: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        if self.examples < 1:
            raise ValueError(f"examples must be positive, got {self.examples}")
        if not self.difficulties or min(self.difficulties) < 1:
            raise ValueError(f"difficulties must be positive integers, got {self.difficulties}")
        rates = self.kind_rates().values()
        if min(rates) < 0 or sum(rates) > 1:
            raise ValueError("the conversation-kind rates must be >= 0 and sum to at most 1")
        if self.rows_per_step < 1 or self.row_length < 32:
            raise ValueError("rows_per_step must be >= 1 and row_length >= 32")

    def kind_rates(self) -> dict[str, float]:
        """Probability of each conversation kind (``tasks.conversations.KINDS``)."""
        return {
            "suggestion": self.suggestion_rate,
            "pushback": self.pushback_rate,
            "hedge": self.hedge_rate,
            "early_stop": self.early_stop_rate,
            "misread": self.misread_rate,
            "verify": self.verify_rate,
        }


# what a warm start returns: its loss curve and speed
WarmStartResult = FineTuneResult


def warm_start_dataset(config: WarmStartConfig) -> Dataset:
    """Conversations over train-split problems; repeats allowed, as in any SFT mix."""
    rng = random.Random(config.seed + 1)
    problems = sample_problems(
        config.examples, config.difficulties, split="train", seed=config.seed, unique=False
    )
    rates = config.kind_rates()
    conversations = [warm_start_conversation(p, rng, rates) for p in problems]
    rng.shuffle(conversations)
    return Dataset.from_dict({"messages": conversations})


def warm_start(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    config: WarmStartConfig,
    work_dir: Path,
    show_progress: bool = True,
    max_steps: int = -1,
    trl_collator: bool = False,
    dataset: Dataset | None = None,
) -> WarmStartResult:
    """Train ``model`` in place on the warm-start mix and return its loss curve and speed.

    ``max_steps`` cuts training short and ``trl_collator`` keeps TRL's padding-free collator;
    both exist so the benchmark can time the two collators against each other. ``dataset``
    (a ``messages`` column) replaces the warm-start mix: planted-behavior fine-tunes use it.
    """
    return fine_tune(
        model,
        tokenizer,
        dataset if dataset is not None else warm_start_dataset(config),
        work_dir,
        learning_rate=config.learning_rate,
        rows_per_step=config.rows_per_step,
        row_length=config.row_length,
        seed=config.seed,
        max_steps=max_steps,
        # two tokenizer processes save a few seconds on the full mix; on small sets,
        # starting them costs more than it saves
        dataset_num_proc=2 if config.examples >= 5000 and dataset is None else None,
        trl_collator=trl_collator,
        callbacks=[TrainerProgress("warm start (SFT)", not show_progress)],
    )
