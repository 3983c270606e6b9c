"""Supervised fine-tuning on conversations through TRL's SFTTrainer, packed for the CPU.

Loss is on assistant tokens only, via the chat template's ``{% generation %}`` markers. Speed
on CPU comes from packing: TRL tokenizes and packs conversations into rows of ``row_length``
tokens (best-fit decreasing), so almost no compute goes to padding. TRL's own padding-free
collator then concatenates the whole batch into one row, which suits FlashAttention's varlen
kernels but on CPU SDPA means a dense (batch x row)^2 mask, 2.5x slower here. We keep the rows
instead (:class:`PackedRowsCollator`); transformers reads the restarting ``position_ids`` and
masks attention so that packed conversations never see each other (tests/test_sft.py checks
it). The warm start of the embedded model (:mod:`ripeness.train.sft`), the planted
behaviors of the probes' model organisms and a real model's warm start into the zone
(:mod:`ripeness.train.zone`) all train through :func:`fine_tune`.

A real model's chat template rarely has the markers: :func:`training_chat_template` takes
TRL's patched template where TRL has one, marks the assistant turns of a plain ChatML loop
(SmolLM2's, whose template TRL does not know), and otherwise says in one line what is missing.
With ``lora_r`` the update is a LoRA adapter (peft), merged into the weights at the end, so
what comes back is a plain model that any HF tool loads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from datasets import Dataset
from transformers import PreTrainedModel, PreTrainedTokenizerBase, PrinterCallback, TrainerCallback
from trl import SFTConfig, SFTTrainer

from ripeness.errors import RipenessError

# the message loop of a plain ChatML template (SmolLM2's), and the same loop with the
# assistant's reply (and its end token) between generation markers
_CHATML_TURN = (
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
)
_CHATML_MARKED_TURN = (
    "{% if message['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' }}"
    "{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\n' }}"
    "{% else %}" + _CHATML_TURN + "{% endif %}"
)


@dataclass
class FineTuneResult:
    loss_history: list[tuple[int, float]] = field(default_factory=list)
    seconds: float = 0.0
    trained_tokens: int = 0
    steps: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.trained_tokens / self.seconds if self.seconds else 0.0


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
    def __init__(self, result: FineTuneResult) -> None:
        self.result = result

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.result.loss_history.append((state.global_step, float(logs["loss"])))


def training_chat_template(tokenizer: PreTrainedTokenizerBase) -> str:
    """The tokenizer's chat template with ``{% generation %}`` around assistant replies, which
    TRL's assistant-only loss needs; it renders the same text as the template itself."""
    from trl.chat_template_utils import get_training_chat_template, has_generation_markers

    template = tokenizer.chat_template
    if not template:
        raise RipenessError("the tokenizer has no chat template; SFT on conversations needs one")
    if isinstance(template, str) and has_generation_markers(template):
        return template
    if isinstance(template, str) and _CHATML_TURN in template:
        return template.replace(_CHATML_TURN, _CHATML_MARKED_TURN)
    try:
        patched = get_training_chat_template(tokenizer)
    except ValueError:
        patched = None
    if patched is None:
        raise RipenessError(
            "the model's chat template has no {% generation %} markers and neither TRL nor "
            "Ripeness knows how to add them; add them around the assistant's reply "
            "(tokenizer.chat_template) and try again"
        )
    return patched


def fine_tune(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    dataset: Dataset,
    work_dir: Path,
    *,
    learning_rate: float,
    rows_per_step: int = 8,
    row_length: int = 256,
    seed: int = 0,
    max_steps: int = -1,
    dataset_num_proc: int | None = None,
    trl_collator: bool = False,
    callbacks: Sequence[TrainerCallback] = (),
    lora_r: int = 0,
) -> FineTuneResult:
    """Train ``model`` in place for one epoch on ``dataset`` (a ``messages`` column) and return
    its loss curve and speed.

    ``max_steps`` cuts training short and ``trl_collator`` keeps TRL's padding-free collator;
    both exist so the benchmark can time the two collators against each other. ``callbacks``
    run after the loss recorder (a progress bar, say). ``lora_r > 0`` trains a LoRA adapter of
    that rank on every linear layer and merges it into ``model``'s weights at the end.
    """
    args = SFTConfig(
        output_dir=str(work_dir),
        per_device_train_batch_size=rows_per_step,
        num_train_epochs=1,
        max_steps=max_steps,
        learning_rate=learning_rate,
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
        seed=seed,
        assistant_only_loss=True,
        packing=True,
        packing_strategy="bfd",
        max_length=row_length,
        dataset_num_proc=dataset_num_proc,
        disable_tqdm=True,
    )
    result = FineTuneResult()
    own_template = tokenizer.chat_template
    tokenizer.chat_template = training_chat_template(tokenizer)
    trained = model
    if lora_r:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=lora_r, lora_alpha=2 * lora_r, target_modules="all-linear", task_type="CAUSAL_LM"
        )
        # the adapter's random init draws from the global stream, which the trainer seeds only
        # after it is built; unseeded, each process built another warm start from the same data
        torch.manual_seed(seed)
        trained = get_peft_model(model, lora)  # wraps model's own layers, in place
    trainer = SFTTrainer(
        model=trained,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[_LossRecorder(result), *callbacks],
    )
    trainer.remove_callback(PrinterCallback)  # a progress bar shows the loss instead
    if not trl_collator:
        trainer.data_collator = PackedRowsCollator(tokenizer.pad_token_id)
    start = time.perf_counter()
    try:
        output = trainer.train()  # TRL passes use_cache=False, so transformers reads the packing
    finally:
        tokenizer.chat_template = own_template
    if lora_r:
        trained.merge_and_unload()  # writes the adapter into model's layers and removes it
    result.seconds = time.perf_counter() - start
    result.steps = output.global_step
    # exact for a full epoch; for a cut-short run, rows hold ~row_length tokens each anyway
    rows = trainer.train_dataset["seq_lengths"][: result.steps * rows_per_step]
    result.trained_tokens = sum(sum(lengths) for lengths in rows)
    return result
