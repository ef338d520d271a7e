"""The course-owned trunk against transformers' BERT: same weights, same numbers, same key names.

Sizes are mutually distinct (batch 13, tokens 7, vocab 99, hidden 32, heads 4, intermediate FF = 37) so
that a transposed dimension cannot hide; comparisons are fp32 to 1e-6 with dropout off.
"""

from __future__ import annotations

import pytest
import torch
from torch.testing import assert_close
from transformers import (
    AutoModel,
    BertConfig,
    BertForQuestionAnswering,
    BertForSequenceClassification,
    BertForTokenClassification,
    BertModel,
)

from spanbert_lab.model.finetuning import (
    SpanBertForQuestionAnswering,
    SpanBertForSequenceClassification,
    SpanBertForTokenClassification,
)
from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining
from spanbert_lab.model.trunk import Dropout, SpanBertModel, dropout_mask, key_mask

B, T, V, C, H, FF, L = 13, 7, 99, 32, 4, 37, 3
TOL = dict(atol=1e-6, rtol=1e-6)


def config(**overrides) -> BertConfig:
    fields = dict(
        vocab_size=V, hidden_size=C, num_hidden_layers=L, num_attention_heads=H,
        intermediate_size=FF, max_position_embeddings=16, type_vocab_size=2,
    )  # fmt: skip
    fields.update(overrides)
    return BertConfig(**fields)


def inputs(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    mask = torch.ones(B, T, dtype=torch.long)
    mask[3, 4:] = 0  # padded rows of different lengths
    mask[5, 1:] = 0
    return {
        "input_ids": torch.randint(0, V, (B, T), generator=g),
        "attention_mask": mask,
        "token_type_ids": torch.randint(0, 2, (B, T), generator=g),
    }


def pair(pooler: bool = True) -> tuple[BertModel, SpanBertModel]:
    torch.manual_seed(0)
    reference = BertModel(config(), add_pooling_layer=pooler).eval()
    ours = SpanBertModel(config(), add_pooling_layer=pooler).eval()
    result = ours.load_state_dict(reference.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return reference, ours


@pytest.mark.parametrize("keys", [(), ("attention_mask",), ("attention_mask", "token_type_ids")])
def test_every_layer_equals_bert_model(keys):
    reference, ours = pair()
    batch = inputs()
    kwargs = {k: batch[k] for k in keys}
    theirs = reference(batch["input_ids"], output_hidden_states=True, **kwargs)
    mine = ours(batch["input_ids"], output_hidden_states=True, **kwargs)
    assert len(mine.hidden_states) == L + 1
    for i, (a, b) in enumerate(zip(theirs.hidden_states, mine.hidden_states, strict=True)):
        assert_close(b, a, **TOL, msg=lambda m, i=i: f"hidden state {i}: {m}")
    assert_close(mine.pooler_output, theirs.pooler_output, **TOL)


def test_written_out_attention_returns_the_same_weights_as_eager_bert():
    torch.manual_seed(0)
    reference = BertModel(config(_attn_implementation="eager")).eval()
    ours = SpanBertModel(config(), add_pooling_layer=True).eval()
    ours.load_state_dict(reference.state_dict())
    batch = inputs(1)
    theirs = reference(**batch, output_attentions=True)
    mine = ours(**batch, output_attentions=True)
    assert len(mine.attentions) == L and mine.attentions[0].shape == (B, H, T, T)
    for a, b in zip(theirs.attentions, mine.attentions, strict=True):
        assert_close(b, a, **TOL)
    assert_close(mine.last_hidden_state, theirs.last_hidden_state, **TOL)
    assert mine.attentions[0][5, :, :, 1:].abs().max() == 0, "a padding key got attention"


def test_gradients_equal_bert_model():
    reference, ours = pair()
    batch = inputs(2)
    reference(**batch).last_hidden_state.square().sum().backward()
    ours(**batch).last_hidden_state.square().sum().backward()
    theirs = dict(reference.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(
            p.grad, theirs[name].grad, atol=1e-5, rtol=1e-5, msg=lambda m, n=name: f"{n}: {m}"
        )


def test_train_mode_without_dropout_is_the_eval_computation():
    _, ours = pair()
    batch = inputs()
    evaluated = ours(**batch).last_hidden_state
    quiet = SpanBertModel(
        config(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0), add_pooling_layer=True
    )
    quiet.load_state_dict(ours.state_dict())
    assert_close(quiet.train()(**batch).last_hidden_state, evaluated, **TOL)


def test_dropout_is_active_in_training_only():
    _, ours = pair()
    batch = inputs()
    ours.train()
    a, b = ours(**batch).last_hidden_state, ours(**batch).last_hidden_state
    assert (a - b).abs().max() > 1e-3, "two training passes gave the same output: no dropout"
    ours.eval()
    assert_close(ours(**batch).last_hidden_state, ours(**batch).last_hidden_state, atol=0, rtol=0)


def test_mask_is_left_out_when_nothing_is_padded():
    assert key_mask(torch.ones(2, 5, dtype=torch.long)) is None
    assert key_mask(None) is None
    mask = key_mask(torch.tensor([[1, 1, 0]]))
    assert mask.shape == (1, 1, 1, 3) and mask.dtype == torch.bool
    assert mask.flatten().tolist() == [True, True, False]


def test_pretraining_checkpoint_opens_in_transformers_classes(tmp_path):
    torch.manual_seed(0)
    model = SpanBertForPreTraining(SpanBertConfig.preset("tiny", vocab_size=V)).eval()
    model.save_pretrained(tmp_path)
    batch = inputs(3)
    expected = model.bert(**batch).last_hidden_state
    for cls in (BertModel, AutoModel):
        opened = cls.from_pretrained(tmp_path).eval()
        assert type(opened) is BertModel
        assert_close(opened(**batch).last_hidden_state, expected, **TOL)
    qa = BertForQuestionAnswering.from_pretrained(tmp_path).eval()
    assert_close(qa.bert(**batch).last_hidden_state, expected, **TOL)


def test_transformers_checkpoint_loads_into_ours(tmp_path):
    torch.manual_seed(0)
    reference = BertModel(config(), add_pooling_layer=False).eval()
    reference.save_pretrained(tmp_path)
    batch = inputs(4)
    expected = reference(**batch).last_hidden_state
    trunk = SpanBertModel.from_pretrained(tmp_path).eval()
    assert_close(trunk(**batch).last_hidden_state, expected, **TOL)
    pretraining = SpanBertForPreTraining.from_pretrained(tmp_path).eval()
    assert_close(pretraining.bert(**batch).last_hidden_state, expected, **TOL)


@pytest.mark.parametrize(
    ("ours_cls", "their_cls", "labels"),
    [
        (SpanBertForQuestionAnswering, BertForQuestionAnswering, "positions"),
        (SpanBertForTokenClassification, BertForTokenClassification, "tokens"),
        (SpanBertForSequenceClassification, BertForSequenceClassification, "sequence"),
    ],
)
def test_task_models_equal_transformers(ours_cls, their_cls, labels, tmp_path):
    torch.manual_seed(0)
    reference = their_cls(config(num_labels=2 if labels == "positions" else 3)).eval()
    reference.save_pretrained(tmp_path)
    ours = ours_cls.from_pretrained(tmp_path).eval()
    batch = inputs(5)
    g = torch.Generator().manual_seed(5)
    if labels == "positions":  # one gold end outside the window: ignored by both
        batch["start_positions"] = torch.randint(0, T, (B,), generator=g)
        batch["end_positions"] = torch.randint(0, T, (B,), generator=g)
        batch["end_positions"][0] = T + 3
    elif labels == "tokens":
        batch["labels"] = torch.randint(0, 3, (B, T), generator=g).masked_fill(
            batch["attention_mask"] == 0, -100
        )
    else:
        batch["labels"] = torch.randint(0, 3, (B,), generator=g)
    theirs, mine = reference(**batch), ours(**batch)
    assert_close(mine.loss, theirs.loss, **TOL)
    for name in ("start_logits", "end_logits", "logits"):
        if getattr(theirs, name, None) is not None:
            assert_close(getattr(mine, name), getattr(theirs, name), **TOL)
    ours.save_pretrained(tmp_path / "again")
    again = their_cls.from_pretrained(tmp_path / "again").eval()
    assert_close(again(**batch).loss, theirs.loss, **TOL)


def test_clear_errors_for_inputs_torch_would_crash_on():
    _, ours = pair()
    with pytest.raises(ValueError, match="outside the vocabulary"):
        ours(torch.tensor([[1, V]]))
    with pytest.raises(ValueError, match="longer than the model's 16 positions"):
        ours(torch.ones(1, 17, dtype=torch.long))
    with pytest.raises(ValueError, match="attention_mask has shape"):
        ours(torch.ones(2, 5, dtype=torch.long), attention_mask=torch.ones(2, 4))
    with pytest.raises(ValueError, match="exactly one of input_ids and inputs_embeds"):
        ours()
    with pytest.raises(ValueError, match="relative_key"):
        SpanBertModel(config(position_embedding_type="relative_key"))
    with pytest.raises(ValueError, match="at least 2 classes"):
        SpanBertForSequenceClassification(config(num_labels=1))


def test_dropout_mask_drops_at_the_stated_rate_and_keeps_the_expectation():
    g = torch.Generator().manual_seed(0)
    n = 1_000_003  # not a multiple of 4: the last 64-bit word is cut
    drop, scale = dropout_mask((n,), 0.1, generator=g)
    k = round(0.1 * 65536)
    rate = k / 65536
    sd = (rate * (1 - rate) / n) ** 0.5
    assert abs(drop.float().mean().item() - rate) < 4 * sd, drop.float().mean()
    assert scale == pytest.approx(1 / (1 - rate))
    # every 16-bit lane of the random words is uniform: each of the four lanes drops at the rate
    lanes = drop[: n - n % 4].view(-1, 4).float().mean(0)
    assert (lanes - rate).abs().max() < 4 * (rate * (1 - rate) / (n // 4)) ** 0.5, lanes
    again, _ = dropout_mask((n,), 0.1, generator=torch.Generator().manual_seed(0))
    assert torch.equal(drop, again), "the same generator state gives the same mask"


def test_dropout_module_scales_kept_entries_and_their_gradient():
    layer = Dropout(0.25)
    x = torch.randn(64, 33, requires_grad=True)
    torch.manual_seed(0)
    y = layer(x)
    kept = y != 0
    scale = 65536 / (65536 - round(0.25 * 65536))
    assert_close(y[kept], x[kept] * scale)
    y.sum().backward()
    assert_close(x.grad, kept.float() * scale)
    assert 0.2 < 1 - kept.float().mean().item() < 0.3
    assert layer.eval()(x) is x, "eval mode must not touch the input"
