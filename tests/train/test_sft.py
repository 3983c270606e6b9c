import torch

from ripeness.models.sft import PackedRowsCollator, fine_tune
from ripeness.models.tiny import SIZES, build_model
from ripeness.models.tokenizer import build_tokenizer
from ripeness.tasks.arithmetic import Problem
from ripeness.tasks.conversations import plain, with_suggestion
from ripeness.train.sft import WarmStartConfig, warm_start, warm_start_dataset


def _encode(tok, messages):
    out = tok.apply_chat_template(messages, return_dict=True, return_assistant_tokens_mask=True)
    labels = [
        t if m else -100 for t, m in zip(out["input_ids"], out["assistant_masks"], strict=True)
    ]
    return out["input_ids"], labels


def _summed_loss(model, **batch):
    logits = model(**batch, use_cache=False).logits[:, :-1]
    labels = batch["labels"][:, 1:]
    return torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100, reduction="sum"
    )


def test_packed_rows_keep_conversations_apart():
    """Packing two conversations in one row gives exactly the loss of each one alone."""
    tok = build_tokenizer()
    model = build_model(tok, SIZES["nano"], seed=1).eval()
    a = _encode(tok, plain(Problem(12, (("+", 5), ("-", 3)))))
    b = _encode(tok, with_suggestion(Problem(40, (("+", 9),)), belief=50))
    collate = PackedRowsCollator(tok.pad_token_id)
    with torch.no_grad():
        alone = sum(
            _summed_loss(
                model, **collate([{"input_ids": i, "labels": lab, "seq_lengths": [len(i)]}])
            )
            for i, lab in (a, b)
        )
        row = {
            "input_ids": a[0] + b[0],
            "labels": a[1] + b[1],
            "seq_lengths": [len(a[0]), len(b[0])],
        }
        shorter = {"input_ids": a[0], "labels": a[1], "seq_lengths": [len(a[0])]}
        batch = collate([row, shorter])
        packed = _summed_loss(model, **batch) - _summed_loss(model, **collate([shorter]))
        # the same row without restarting positions lets b attend to a: a different loss
        leaky = dict(
            batch,
            position_ids=torch.arange(batch["input_ids"].shape[1]).expand_as(batch["input_ids"]),
        )
        leaked = _summed_loss(model, **leaky) - _summed_loss(model, **collate([shorter]))
    assert batch["input_ids"].shape == (2, len(a[0]) + len(b[0]))
    assert (batch["labels"][1, len(a[0]) :] == -100).all()  # padding is never trained on
    assert torch.isclose(packed, alone, rtol=1e-4)
    assert not torch.isclose(leaked, alone, rtol=1e-3)


def test_sft_lowers_loss_on_unseen_conversations(tmp_path):
    tok = build_tokenizer()
    model = build_model(tok, SIZES["nano"], seed=0)
    probe = [_encode(tok, plain(Problem(s, (("+", 4), ("-", 2))))) for s in (11, 37, 64, 88)]
    collate = PackedRowsCollator(tok.pad_token_id)

    def loss():
        rows = [{"input_ids": i, "labels": lab, "seq_lengths": [len(i)]} for i, lab in probe]
        with torch.no_grad():
            return _summed_loss(model.eval(), **collate(rows)).item()

    before = loss()
    config = WarmStartConfig(examples=1500, difficulties=(1, 2), learning_rate=3e-3)
    result = warm_start(model, tok, config, tmp_path, show_progress=False)
    after = loss()
    assert result.steps > 10 and result.trained_tokens > 0
    assert after < 0.6 * before
    assert result.loss_history[-1][1] < result.loss_history[0][1]
    assert model.config.use_cache  # the saved model must generate with a KV cache


def _flat(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_a_lora_fine_tune_is_the_same_whatever_the_random_stream_before_it(tmp_path):
    """The seed alone decides a LoRA fine-tune: the adapter's init too, not only the trainer's
    draws (the demo's warm start was another model in every process)."""
    tok = build_tokenizer()
    data = warm_start_dataset(WarmStartConfig(examples=40, difficulties=(1,)))
    weights = []
    for stream in (1, 2):
        model = build_model(tok, SIZES["nano"], seed=0)
        torch.manual_seed(stream)  # whatever ran before in this process
        fine_tune(
            model,
            tok,
            data,
            tmp_path / str(stream),
            learning_rate=1e-3,
            seed=7,
            max_steps=2,
            lora_r=4,
        )
        weights.append(_flat(model))
    untrained = _flat(build_model(tok, SIZES["nano"], seed=0))
    assert not torch.equal(weights[0], untrained)  # the adapter was trained and merged
    assert torch.equal(weights[0], weights[1])
