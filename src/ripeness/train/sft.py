"""Supervised warm start through TRL's SFTTrainer.

The data is procedurally generated from the *train* split of the arithmetic family only, mixing
plain questions with sycophancy set-ups (see ``tasks.conversations``). Loss is on assistant
tokens only, via the chat template's ``{% generation %}`` markers.

Speed on CPU comes from packing: TRL tokenizes and packs conversations into rows of
``row_length`` tokens (best-fit decreasing), so almost no compute goes to padding. TRL's own
padding-free collator then concatenates the whole batch into one row, which suits FlashAttention's
varlen kernels but on CPU SDPA means a dense (batch x row)^2 mask, 2.5x slower here. We keep the
rows instead (:class:`PackedRowsCollator`); transformers reads the restarting ``position_ids`` and
masks attention so that packed conversations never see each other (tests/test_sft.py checks it).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, PrinterCallback, TrainerCallback
from trl import SFTConfig, SFTTrainer

from ripeness.defaults import MAX_TRAINED_DIFFICULTY, WARM_START_EXAMPLES
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


@dataclass
class WarmStartResult:
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    trained_tokens: int = 0
    steps: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.trained_tokens / self.seconds if self.seconds else 0.0


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


class PackedRowsCollator:
    """Batches TRL-packed rows as ``[rows, length]`` with per-conversation ``position_ids``.

    No attention mask is returned on purpose: with ``position_ids`` restarting at 0 for every
    packed conversation, transformers builds a block-diagonal causal mask. Padding at the end of
    a row counts as one more sequence and carries label -100.
    """

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, rows: list[dict]) -> dict[str, torch.Tensor]:
        width = max(len(row["input_ids"]) for row in rows)
        input_ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(rows), width), -100, dtype=torch.long)
        position_ids = torch.zeros((len(rows), width), dtype=torch.long)
        for r, row in enumerate(rows):
            n = len(row["input_ids"])
            input_ids[r, :n] = torch.tensor(row["input_ids"])
            labels[r, :n] = torch.tensor(row["labels"])
            position_ids[r, :n] = torch.cat([torch.arange(s) for s in row["seq_lengths"]])
            position_ids[r, n:] = torch.arange(width - n)
        return {"input_ids": input_ids, "labels": labels, "position_ids": position_ids}


class _LossRecorder(TrainerCallback):
    def __init__(self, result: WarmStartResult) -> None:
        self.result = result

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.result.loss_history.append((state.global_step, float(logs["loss"])))


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
    args = SFTConfig(
        output_dir=str(work_dir),
        per_device_train_batch_size=config.rows_per_step,
        num_train_epochs=1,
        max_steps=max_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=0.03,
        adam_beta2=0.95,
        weight_decay=0.0,
        max_grad_norm=1.0,
        logging_steps=10,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        activation_checkpointing=False,  # TRL turns it on by default; it only costs time here
        use_cache=True,  # Trainer copies this into the saved config; generation needs the cache
        seed=config.seed,
        assistant_only_loss=True,
        packing=True,
        packing_strategy="bfd",
        max_length=config.row_length,
        # two tokenizer processes save a few seconds on the full mix; on small sets,
        # starting them costs more than it saves
        dataset_num_proc=2 if config.examples >= 5000 and dataset is None else None,
        disable_tqdm=True,
    )
    result = WarmStartResult()
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset if dataset is not None else warm_start_dataset(config),
        processing_class=tokenizer,
        callbacks=[_LossRecorder(result), TrainerProgress("warm start (SFT)", not show_progress)],
    )
    trainer.remove_callback(PrinterCallback)  # our progress bar shows the loss instead
    if not trl_collator:
        trainer.data_collator = PackedRowsCollator(tokenizer.pad_token_id)
    start = time.perf_counter()
    output = trainer.train()  # TRL passes use_cache=False, so transformers reads the packing
    result.seconds = time.perf_counter() - start
    result.steps = output.global_step
    # exact for a full epoch; for a cut-short run, rows hold ~row_length tokens each anyway
    rows = trainer.train_dataset["seq_lengths"][: result.steps * config.rows_per_step]
    result.trained_tokens = sum(sum(lengths) for lengths in rows)
    return result
