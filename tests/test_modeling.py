"""SpanBertConfig, the MLM + SBO heads and the losses against independent computations.

Sizes follow the HF tester habit of mutually distinct numbers: batch 3, sequence 7, vocabulary 99,
hidden 32, heads 4, intermediate 37, position size 11, max targets 5, SBO slots 4.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.testing import assert_close

from spanbert_lab.model.heads import SpanBoundaryHead
from spanbert_lab.model.losses import gather_sbo_targets, mean_cross_entropy
from spanbert_lab.model.pretraining import PRESETS, SpanBertConfig, SpanBertForPreTraining

B, T, V, H, HEADS, INTER, P, K, M = 3, 7, 99, 32, 4, 37, 11, 5, 4
MASK_ID = 4
DT = torch.float64


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one torch thread is faster, and far faster on a busy shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_config(**overrides) -> SpanBertConfig:
    fields = dict(
        vocab_size=V, hidden_size=H, num_hidden_layers=2, num_attention_heads=HEADS,
        intermediate_size=INTER, max_position_embeddings=16, sbo_position_embedding_size=P,
        sbo_max_targets=K, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )  # fmt: skip
    fields.update(overrides)
    return SpanBertConfig(**fields)


def tiny_model(seed: int = 0, **overrides) -> SpanBertForPreTraining:
    torch.manual_seed(seed)  # transformers' initialisation draws from the global generator
    return SpanBertForPreTraining(tiny_config(**overrides)).eval()


def make_batch(seed: int = 0) -> dict[str, torch.Tensor]:
    """A hand-made SBO batch: spans (2, 4) and (1, 3) / (3, 6) / (2, 5); one padding slot each."""
    g = torch.Generator().manual_seed(seed)
    original = torch.randint(5, V, (B, T), generator=g)
    spans = {0: [(2, 4)], 1: [(1, 3), (4, 6)], 2: [(2, 5)]}  # half-open (start, end)
    input_ids = original.clone()
    labels = torch.full((B, T), -100)
    sbo = {k: torch.zeros(B, M, dtype=torch.long) for k in ("left", "right", "positions")}
    sbo_labels = torch.full((B, M), -100)
    for b, span_list in spans.items():
        slot = 0
        for start, end in span_list:
            input_ids[b, start:end] = MASK_ID
            labels[b, start:end] = original[b, start:end]
            for i in range(start, end):
                sbo["left"][b, slot], sbo["right"][b, slot] = start - 1, end
                sbo["positions"][b, slot], sbo_labels[b, slot] = i - start, original[b, i]
                slot += 1
    attention_mask = torch.ones(B, T, dtype=torch.long)
    attention_mask[2, 6] = 0  # one padding token (never a target or a boundary)
    labels[2, 6] = -100
    return dict(
        input_ids=input_ids, attention_mask=attention_mask,
        token_type_ids=torch.zeros(B, T, dtype=torch.long), labels=labels,
        sbo_left=sbo["left"], sbo_right=sbo["right"], sbo_positions=sbo["positions"],
        sbo_labels=sbo_labels,
    )  # fmt: skip


def randomize_(module: torch.nn.Module, seed: int = 1) -> None:
    """Give every parameter (LayerNorm gains and biases included) non-trivial values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.randn(param.shape, generator=g, dtype=param.dtype) * 0.5)


# --- reference formulas, written independently of the library ------------------------------------


def gelu_ref(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def layer_norm_ref(x, weight, bias, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def sbo_logits_ref(head: SpanBoundaryHead, embeddings, left, right, positions, eps=1e-12):
    """y = LN(GeLU(W2 LN(GeLU(W1 [x_l; x_r; p])))); logits = y E^T + b."""
    p = head.position_embeddings.weight[positions]
    h0 = torch.cat([left, right, p], dim=-1)
    l1, l2 = head.layer1, head.layer2
    h1 = layer_norm_ref(
        gelu_ref(h0 @ l1.dense.weight.T + l1.dense.bias),
        l1.LayerNorm.weight,
        l1.LayerNorm.bias,
        eps,
    )
    y = layer_norm_ref(
        gelu_ref(h1 @ l2.dense.weight.T + l2.dense.bias),
        l2.LayerNorm.weight,
        l2.LayerNorm.bias,
        eps,
    )
    return y @ embeddings.T + head.bias


def mlm_logits_ref(model, hidden):
    head = model.cls.predictions
    t = head.transform
    x = layer_norm_ref(
        gelu_ref(hidden @ t.dense.weight.T + t.dense.bias),
        t.LayerNorm.weight,
        t.LayerNorm.bias,
        1e-12,
    )
    return x @ model.bert.embeddings.word_embeddings.weight.T + head.bias


def ce_ref(logits, targets):
    """Mean of -log softmax(logits)[target], written out."""
    log_probs = logits - torch.logsumexp(logits, dim=-1, keepdim=True)
    return -log_probs[torch.arange(len(targets)), targets].mean()


# --- config ----------------------------------------------------------------------------------------


def test_config_defaults_are_the_papers():
    config = SpanBertConfig()
    assert (config.sbo_position_embedding_size, config.sbo_max_targets) == (200, 15)
    assert config.sbo_loss_weight == 1.0 and config.use_nsp is False
    assert config.model_type == "bert", "model_type must stay 'bert' so AutoConfig/pipeline work"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sbo_position_embedding_size", 0), ("sbo_max_targets", -1), ("sbo_loss_weight", -0.5),
        ("sbo_loss_weight", float("nan")), ("hidden_size", 30), ("vocab_size", 0),
    ],
)  # fmt: skip
def test_config_rejects_bad_values_naming_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        tiny_config(**{field: value})


def test_presets():
    tiny = SpanBertConfig.preset("tiny", vocab_size=4096)
    assert (tiny.hidden_size, tiny.num_hidden_layers, tiny.num_attention_heads) == (128, 2, 2)
    assert (tiny.intermediate_size, tiny.vocab_size) == (512, 4096)
    base = SpanBertConfig.preset("base", vocab_size=28996, use_nsp=True)
    assert (base.hidden_size, base.num_hidden_layers, base.use_nsp) == (768, 12, True)
    assert set(PRESETS) == {"tiny", "mini", "small", "base"}
    with pytest.raises(ValueError, match="unknown preset"):
        SpanBertConfig.preset("huge", vocab_size=10)


# --- structure ------------------------------------------------------------------------------------


def test_head_sizes_follow_the_paper():
    model = tiny_model()
    sbo = model.cls.span_boundary
    assert (sbo.layer1.dense.in_features, sbo.layer1.dense.out_features) == (2 * H + P, H)
    assert (sbo.layer2.dense.in_features, sbo.layer2.dense.out_features) == (H, H)
    assert tuple(sbo.position_embeddings.weight.shape) == (K, P)
    assert model.bert.pooler is None, "SpanBERT has no pooler"
    assert model.cls.seq_relationship is None
    with_nsp = tiny_model(use_nsp=True)
    assert with_nsp.bert.pooler is not None and with_nsp.cls.seq_relationship is not None


def test_both_decoders_share_the_word_embedding_storage_and_have_own_biases():
    model = tiny_model()
    emb = model.bert.embeddings.word_embeddings.weight
    for head in (model.cls.predictions, model.cls.span_boundary):
        assert head.decoder.weight.data_ptr() == emb.data_ptr()
        assert head.decoder.bias is None, "the head's bias is its own parameter, added explicitly"
    assert model.cls.predictions.bias.data_ptr() != model.cls.span_boundary.bias.data_ptr()
    assert torch.all(model.cls.predictions.bias == 0) and torch.all(
        model.cls.span_boundary.bias == 0
    )


def test_resizing_the_vocabulary_resizes_both_biases_and_keeps_the_ties():
    model = tiny_model()
    with torch.no_grad():
        model.cls.span_boundary.bias[:3] = 1.5
    model.resize_token_embeddings(V + 21, mean_resizing=False)
    emb = model.bert.embeddings.word_embeddings.weight
    for head in (model.cls.predictions, model.cls.span_boundary):
        assert head.bias.shape == (V + 21,) and head.decoder.weight.data_ptr() == emb.data_ptr()
    assert torch.all(model.cls.span_boundary.bias[:3] == 1.5), "old bias entries were lost"
    assert model(**make_batch()).sbo_logits.shape[1] == V + 21


# --- math against the reference -------------------------------------------------------------------


def test_sbo_head_matches_the_formula_in_float64():
    model = tiny_model().double()
    head = model.cls.span_boundary
    randomize_(head)
    g = torch.Generator().manual_seed(2)
    left, right = torch.randn(6, H, generator=g, dtype=DT), torch.randn(6, H, generator=g, dtype=DT)
    positions = torch.tensor([0, 1, 4, 2, 0, 3])
    emb = model.bert.embeddings.word_embeddings.weight
    assert_close(head(left, right, positions), sbo_logits_ref(head, emb, left, right, positions))


def test_forward_loss_matches_independent_computation():
    model = tiny_model(sbo_loss_weight=0.5).double()
    randomize_(model.cls)
    batch = make_batch()
    out = model(**batch)
    hidden = model.bert(
        batch["input_ids"], attention_mask=batch["attention_mask"]
    ).last_hidden_state
    # MLM: full logits everywhere, then keep the targets
    full = mlm_logits_ref(model, hidden)  # (B, T, V)
    keep = batch["labels"] != -100
    mlm = ce_ref(full[keep], batch["labels"][keep])
    # SBO: loop over the slots one by one
    rows, targets = [], []
    for b in range(B):
        for m in range(M):
            if batch["sbo_labels"][b, m] == -100:
                continue
            left = hidden[b, batch["sbo_left"][b, m]][None]
            right = hidden[b, batch["sbo_right"][b, m]][None]
            pos = batch["sbo_positions"][b, m][None]
            rows.append(
                sbo_logits_ref(
                    model.cls.span_boundary,
                    model.bert.embeddings.word_embeddings.weight,
                    left,
                    right,
                    pos,
                )
            )
            targets.append(batch["sbo_labels"][b, m])
    sbo = ce_ref(torch.cat(rows), torch.stack(targets))
    assert_close(out.mlm_loss, mlm)
    assert_close(out.sbo_loss, sbo)
    assert_close(out.loss, mlm + 0.5 * sbo)
    assert out.mlm_logits.shape == (int(keep.sum()), V)
    assert_close(out.mlm_logits, full[keep])
    assert out.sbo_logits.shape == (len(targets), V)


def test_gradcheck_heads_and_losses_in_float64():
    h = 8  # gradcheck perturbs every input entry: keep the hidden size small
    model = tiny_model(hidden_size=h, num_attention_heads=2, intermediate_size=10).double()
    randomize_(model.cls)
    model.train(False)
    batch = make_batch()
    g = torch.Generator().manual_seed(3)
    hidden = torch.randn(B, T, h, generator=g, dtype=DT, requires_grad=True)

    def loss_from_hidden(hidden):
        gathered = gather_sbo_targets(
            hidden,
            batch["sbo_left"],
            batch["sbo_right"],
            batch["sbo_positions"],
            batch["sbo_labels"],
        )
        sbo = mean_cross_entropy(
            model.cls.span_boundary(gathered.left, gathered.right, gathered.positions),
            gathered.labels,
        )
        keep = batch["labels"] != -100
        mlm = mean_cross_entropy(model.cls.predictions(hidden[keep]), batch["labels"][keep])
        return mlm + sbo

    assert torch.autograd.gradcheck(loss_from_hidden, (hidden,), eps=1e-6, atol=1e-5)
    head = model.cls.span_boundary
    left = torch.randn(4, h, generator=g, dtype=DT, requires_grad=True)
    right = torch.randn(4, h, generator=g, dtype=DT, requires_grad=True)
    positions = torch.tensor([0, 2, 4, 1])
    assert torch.autograd.gradcheck(
        lambda a, b: head(a, b, positions), (left, right), eps=1e-6, atol=1e-5
    )


# --- what the loss must ignore --------------------------------------------------------------------


def perturbed_loss(model, batch, positions):
    """Loss after adding noise to the encoder output at the given (b, t) positions."""

    def hook(_module, _inputs, output):
        noise = torch.zeros_like(output.last_hidden_state)
        for b, t in positions:
            noise[b, t] = 3.0
        output.last_hidden_state = output.last_hidden_state + noise
        return output

    handle = model.bert.register_forward_hook(hook)
    try:
        return model(**batch)
    finally:
        handle.remove()


def test_changing_hidden_states_away_from_targets_and_boundaries_leaves_the_loss_unchanged():
    model = tiny_model()
    batch = make_batch()
    base = model(**batch)
    # batch 0: targets 2, 3; boundaries 1, 4 -> positions 0, 5, 6 play no part
    out = perturbed_loss(model, batch, [(0, 0), (0, 5), (0, 6), (2, 6)])
    assert_close(out.mlm_loss, base.mlm_loss, atol=0, rtol=0)
    assert_close(out.sbo_loss, base.sbo_loss, atol=0, rtol=0)
    at_target = perturbed_loss(model, batch, [(0, 2)])  # a target: MLM changes, SBO does not
    assert abs(at_target.mlm_loss - base.mlm_loss) > 1e-4, "MLM loss ignored a target position"
    assert_close(at_target.sbo_loss, base.sbo_loss, atol=0, rtol=0)
    at_boundary = perturbed_loss(model, batch, [(0, 4)])  # a boundary: SBO changes, MLM does not
    assert abs(at_boundary.sbo_loss - base.sbo_loss) > 1e-4, "SBO loss ignored a boundary token"
    assert_close(at_boundary.mlm_loss, base.mlm_loss, atol=0, rtol=0)


def test_padding_tokens_and_padding_slots_do_not_change_the_loss():
    model = tiny_model()
    batch = make_batch()
    base = model(**batch)
    changed = dict(batch)
    changed["input_ids"] = batch["input_ids"].clone()
    changed["input_ids"][2, 6] = 77  # a token under attention_mask == 0
    for key in ("sbo_left", "sbo_right", "sbo_positions"):  # garbage in padding slots
        changed[key] = batch[key].clone()
        changed[key][batch["sbo_labels"] == -100] = 99
    out = model(**changed)
    assert_close(out.loss, base.loss, atol=1e-6, rtol=0)


def test_batch_without_sbo_targets_gives_an_explicit_zero_and_zero_gradients():
    model = tiny_model()
    batch = make_batch()
    batch["sbo_labels"] = torch.full_like(batch["sbo_labels"], -100)
    out = model(**batch)
    assert out.sbo_loss.item() == 0.0 and out.sbo_logits.shape == (0, V)
    assert_close(out.loss, out.mlm_loss)
    out.loss.backward()
    grad = model.cls.span_boundary.layer1.dense.weight.grad
    assert grad is not None and torch.all(grad == 0)


def test_mlm_only_and_sbo_weight_zero_skip_the_sbo_head():
    model = tiny_model()
    batch = make_batch()
    mlm_only = {k: v for k, v in batch.items() if not k.startswith("sbo_")}
    out = model(**mlm_only)
    assert out.sbo_loss is None and out.sbo_logits is None
    assert_close(out.loss, model(**batch).mlm_loss)
    zero = tiny_model(sbo_loss_weight=0.0)
    assert zero(**batch).sbo_loss is None


def test_sbo_predictions_without_labels_cover_every_slot():
    model = tiny_model()
    batch = make_batch()
    out = model(
        batch["input_ids"],
        sbo_left=batch["sbo_left"],
        sbo_right=batch["sbo_right"],
        sbo_positions=batch["sbo_positions"],
    )
    assert out.loss is None and out.sbo_logits.shape == (B * M, V)


def test_bad_inputs_raise_clear_errors():
    model = tiny_model()
    batch = make_batch()
    with pytest.raises(ValueError, match="together"):
        model(batch["input_ids"], sbo_left=batch["sbo_left"])
    bad = dict(batch, sbo_positions=batch["sbo_positions"].clone())
    bad["sbo_positions"][0, 0] = K
    with pytest.raises(ValueError, match="sbo_max_targets"):
        model(**bad)
    with pytest.raises(ValueError, match="use_nsp"):
        model(**batch, next_sentence_label=torch.zeros(B, dtype=torch.long))


# --- behaviour at initialisation and in training --------------------------------------------------


def test_loss_at_initialisation_is_about_ln_vocab():
    model = tiny_model()
    batch = make_batch()
    batch["input_ids"] = torch.full_like(batch["input_ids"], MASK_ID)  # targets never visible
    out = model(**batch)
    for name in ("mlm_loss", "sbo_loss"):
        value = getattr(out, name).item()
        # logits at init have std ≈ 0.02·sqrt(H) ≈ 0.11, so CE ≈ ln V + O(0.01)
        assert abs(value - math.log(V)) < 0.1, (
            f"{name} = {value:.3f} at init, ln V = {math.log(V):.3f}"
        )


def test_tiny_overfit_one_batch():
    model = tiny_model().train()
    batch = make_batch()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    first = None
    for _ in range(60):
        out = model(**batch)
        first = out.loss.item() if first is None else first
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
    last = model(**batch).loss.item()
    assert last <= 0.1 * first, f"loss fell from {first:.3f} to {last:.3f}, less than 90%"


def test_attentions_come_from_the_written_out_attention_and_match_sdpa():
    model = tiny_model()
    batch = make_batch()
    out = model(**batch, output_attentions=True)
    assert len(out.attentions) == 2 and out.attentions[0].shape == (B, HEADS, T, T)
    assert_close(out.attentions[1].sum(-1), torch.ones(B, HEADS, T))
    assert out.attentions[0][2, :, :, 6].abs().max() == 0, "padding token received attention"
    assert_close(out.loss, model(**batch).loss, atol=1e-5, rtol=1e-5)  # SDPA path, same weights
    assert model(**batch).attentions is None


def test_nsp_head_adds_its_loss():
    model = tiny_model(use_nsp=True)
    batch = make_batch()
    nsp = torch.tensor([0, 1, 0])
    out = model(**batch, next_sentence_label=nsp)
    assert out.nsp_logits.shape == (B, 2)
    assert_close(out.nsp_loss, ce_ref(out.nsp_logits, nsp))
    assert_close(out.loss, out.mlm_loss + out.sbo_loss + out.nsp_loss)


def test_trains_with_hf_trainer(tmp_path):
    pytest.importorskip("accelerate")
    from transformers import Trainer, TrainingArguments

    model = tiny_model().train()
    before = model.cls.span_boundary.layer1.dense.weight.detach().clone()
    batch = make_batch()
    rows = [{k: v[b] for k, v in batch.items()} for b in range(B)]

    def collate(examples):
        return {k: torch.stack([e[k] for e in examples]) for k in examples[0]}

    args = TrainingArguments(
        output_dir=str(tmp_path), max_steps=3, per_device_train_batch_size=B, learning_rate=1e-3,
        report_to=[], save_strategy="no", use_cpu=True, remove_unused_columns=False,
        disable_tqdm=True, logging_strategy="no",
    )  # fmt: skip
    result = Trainer(model=model, args=args, train_dataset=rows, data_collator=collate).train()
    assert math.isfinite(result.training_loss) and result.global_step == 3
    after = model.cls.span_boundary.layer1.dense.weight
    assert not torch.equal(before, after), "the SBO head was not trained through Trainer"
