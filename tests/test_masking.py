"""Masking invariants (docs/spanbert-reference.md#span-masking, #sbo): budget, word starts, special
tokens, labels, SBO targets, determinism and config validation."""

from __future__ import annotations

import pytest
import torch
from test_masking_fixtures import synthetic_documents, wordpiece_tokenizer

from spanbert_lab.data.blocks import build_blocks, build_nsp_blocks
from spanbert_lab.masking import (
    SCHEMES,
    MaskingConfig,
    mask_batch,
    mask_budget,
    select_tokens,
    vocab_info,
)

UNIFORM = MaskingConfig(random_token_source="uniform")  # these tests need no corpus counts


@pytest.fixture(scope="module")
def tok():
    return wordpiece_tokenizer()


@pytest.fixture(scope="module")
def batch(tok):
    blocks = build_blocks(synthetic_documents(30), tok, max_length=96)
    examples = blocks.blocks[:24]
    length = max(len(b.input_ids) for b in examples)
    ids = torch.full((len(examples), length), tok.pad_token_id)
    for i, b in enumerate(examples):
        ids[i, : len(b.input_ids)] = torch.tensor(b.input_ids)
    ann = {kind: [b.annotations[kind] for b in examples] for kind in ("entities", "noun_phrases")}
    return ids, (ids != tok.pad_token_id).long(), ann


def _annotations(scheme, ann):
    return {"entity": ann["entities"], "noun_phrase": ann["noun_phrases"]}.get(scheme)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_budget_specials_labels_and_word_starts(tok, batch, scheme):
    ids, attn, ann = batch
    before = ids.clone()
    out = mask_batch(
        ids,
        attn,
        tokenizer=tok,
        scheme=scheme,
        config=UNIFORM,
        annotations=_annotations(scheme, ann),
        generator=torch.Generator().manual_seed(3),
    )
    assert torch.equal(ids, before), "mask_batch modified its input"
    info = vocab_info(tok)
    special = info.is_control[ids] | (attn == 0)
    for b in range(ids.shape[0]):
        n = int((~special[b]).sum())
        target = out.labels[b] != -100
        got = int(target.sum())
        if scheme == "whole_word":
            assert got <= mask_budget(n), f"example {b}: {got} targets > budget {mask_budget(n)}"
            assert got >= mask_budget(n) - 3, (
                f"example {b}: whole words fell {mask_budget(n) - got} short"
            )
        else:
            assert got == mask_budget(n), f"example {b}: {got} targets, budget {mask_budget(n)}"
        assert not (target & special[b]).any(), f"example {b}: a special/pad token was selected"
        assert torch.equal(out.input_ids[b][special[b]], ids[b][special[b]]), (
            "special token changed"
        )
        # labels: original id exactly at targets, -100 exactly elsewhere
        in_span = torch.zeros_like(target)
        for s, e in out.spans[b]:
            in_span[s:e] = True
        assert torch.equal(in_span, target), f"example {b}: spans and labels disagree"
        assert torch.equal(out.labels[b][target], ids[b][target]), "label is not the original id"
        # merged spans are maximal: no two touch
        for (_, e1), (s2, _) in zip(out.spans[b], out.spans[b][1:], strict=False):
            assert e1 < s2, f"example {b}: spans ending at {e1} and starting at {s2} not merged"
        if scheme in ("span", "whole_word"):
            for s, e in out.spans[b]:
                assert not info.is_continuation[ids[b, s]], f"span {s, e} starts inside a word"
        if scheme == "whole_word":
            for s, e in out.spans[b]:
                assert e == ids.shape[1] or not info.is_continuation[ids[b, e]], (
                    f"whole-word span {s, e} ends inside a word"
                )


def test_sbo_targets_invariants(tok, batch):
    ids, attn, _ = batch
    cfg = MaskingConfig(max_sbo_targets_per_span=3, random_token_source="uniform")
    out = mask_batch(
        ids, attn, tokenizer=tok, config=cfg, generator=torch.Generator().manual_seed(5)
    )
    info = vocab_info(tok)
    real = (attn == 1) & ~info.is_control[ids]
    assert (
        out.sbo_labels.shape == out.sbo_left.shape == out.sbo_right.shape == out.sbo_positions.shape
    )
    for b in range(ids.shape[0]):
        valid = out.sbo_labels[b] != -100
        k = int(valid.sum())
        assert valid[:k].all() and not valid[k:].any(), "SBO padding is not at the end"
        left, right, pos = out.sbo_left[b, :k], out.sbo_right[b, :k], out.sbo_positions[b, :k]
        assert real[b, left].all() and real[b, right].all(), "an SBO boundary is not a real token"
        assert (pos >= 0).all() and (pos < 3).all(), (
            f"relative positions {pos.tolist()} out of 0..2"
        )
        assert torch.equal(out.sbo_labels[b, :k], ids[b, left + 1 + pos]), (
            "SBO label is not x_{s+p}"
        )
        assert ((left + 1 + pos) < right).all(), "SBO target outside its span"
        expected = sum(
            min(e - s, 3)
            for s, e in out.spans[b]
            if s >= 1 and e < ids.shape[1] and real[b, s - 1] and real[b, e]
        )
        assert k == expected, f"example {b}: {k} SBO targets, expected {expected}"


def test_no_sbo_target_at_block_edges(tok):
    ids = torch.tensor([tok("Vorkatepli voris te is an.")["input_ids"]])
    out = mask_batch(
        ids,
        tokenizer=tok,
        config=MaskingConfig(mask_ratio=1.0, random_token_source="uniform"),
        generator=torch.Generator().manual_seed(0),
    )
    assert out.spans[0] == [(1, ids.shape[1] - 1)], "everything between [CLS] and [SEP] is one span"
    assert (out.sbo_labels == -100).all() and out.sbo_labels.shape == (1, 1), (
        "a span touching [CLS]/[SEP] must get no SBO target"
    )


def test_nsp_segments_masked_separately(tok):
    blocks = build_nsp_blocks(
        synthetic_documents(10), tok, 80, generator=torch.Generator().manual_seed(0)
    )
    info = vocab_info(tok)
    for i, block in enumerate(blocks.blocks[:10]):
        ids = torch.tensor([block.input_ids])
        out = mask_batch(
            ids,
            tokenizer=tok,
            config=UNIFORM,
            token_type_ids=torch.tensor([block.token_type_ids]),
            generator=torch.Generator().manual_seed(i),
        )
        sep = ids[0].tolist().index(tok.sep_token_id)
        n_a, n_b = sep - 1, ids.shape[1] - sep - 2
        assert int((out.labels[0, :sep] != -100).sum()) == mask_budget(n_a), "segment A budget"
        assert int((out.labels[0, sep:] != -100).sum()) == mask_budget(n_b), "segment B budget"
        assert all(e <= sep or s > sep for s, e in out.spans[0]), "a span crosses [SEP]"
        assert out.input_ids[0, sep] == tok.sep_token_id and out.labels[0, sep] == -100, (
            "[SEP] masked"
        )
        assert info.is_control[ids[0, out.labels[0] != -100]].sum() == 0, (
            "a special token is a target"
        )


def test_select_tokens_spans_cover_drawn_words():
    gen = torch.Generator().manual_seed(11)
    n, word_starts = 200, list(range(0, 200, 2))  # every word two tokens long
    masked, drawn = select_tokens("span", n, word_starts, 60, MaskingConfig(), gen)
    assert sum(masked) == 60
    for d in drawn[:-1]:
        words = (d.end - d.start + 1) // 2
        assert d.start % 2 == 0 and words == min(d.length, (n - d.start) // 2), (
            f"drawn span {d} does not cover its {d.length} words"
        )


def test_anchor_rejection_and_word_anchor_option():
    # with anchor="word" on two-token words, every drawn span starts at an even position
    gen = torch.Generator().manual_seed(1)
    cfg = MaskingConfig(anchor="word", mask_ratio=0.5)
    _, drawn = select_tokens("span", 100, list(range(0, 100, 2)), 50, cfg, gen)
    assert all(d.start % 2 == 0 for d in drawn)
    starts = [d.start for d in drawn]
    assert len(set(starts)) == len(starts), "a masked anchor was accepted twice"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_determinism_and_new_masks(tok, batch, scheme):
    ids, attn, ann = batch
    kw = {"tokenizer": tok, "scheme": scheme, "config": UNIFORM}
    kw["annotations"] = _annotations(scheme, ann)
    a = mask_batch(ids, attn, generator=torch.Generator().manual_seed(7), **kw)
    b = mask_batch(ids, attn, generator=torch.Generator().manual_seed(7), **kw)
    c = mask_batch(ids, attn, generator=torch.Generator().manual_seed(8), **kw)
    assert torch.equal(a.input_ids, b.input_ids) and torch.equal(a.labels, b.labels)
    assert a.spans == b.spans
    assert not torch.equal(a.labels, c.labels), "another seed gave the same masks"


def test_entity_scheme_masks_whole_annotations(tok, batch):
    ids, attn, ann = batch
    cfg = MaskingConfig(annotation_prob=1.0, mask_ratio=0.5, random_token_source="uniform")
    out = mask_batch(
        ids,
        attn,
        tokenizer=tok,
        scheme="entity",
        config=cfg,
        annotations=ann["entities"],
        generator=torch.Generator().manual_seed(0),
    )
    covered = 0
    for b in range(ids.shape[0]):
        for s, e in ann["entities"][b]:
            covered += bool((out.labels[b, s:e] != -100).all())
    total = sum(len(x) for x in ann["entities"])
    assert covered >= 0.8 * total, (
        f"only {covered}/{total} entities fully masked at prob 1, ratio .5"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mask_ratio", 0.0),
        ("mask_ratio", 1.5),
        ("geometric_p", 0.0),
        ("geometric_p", 1.2),
        ("min_span_words", 0),
        ("max_span_words", 0),
        ("length_mode", "clamp"),
        ("anchor", "char"),
        ("replacement", "word"),
        ("mask_prob", -0.1),
        ("random_prob", 0.5),
        ("random_token_source", "zipf"),
        ("max_sbo_targets_per_span", 0),
        ("annotation_prob", 2.0),
        ("annotation_fallback", "noun"),
        ("max_span_words", 2.5),
    ],
)
def test_invalid_config_rejected(field, value):
    kwargs = {field: value}
    if field == "max_span_words" and value == 0:
        kwargs["min_span_words"] = 1
    with pytest.raises(ValueError, match=field if field != "random_prob" else "random_prob"):
        MaskingConfig(**kwargs)


def test_min_greater_than_max_rejected():
    with pytest.raises(ValueError, match="max_span_words"):
        MaskingConfig(min_span_words=5, max_span_words=3)


def test_bad_calls_rejected(tok):
    ids = torch.tensor([tok("Vor is an.")["input_ids"]])
    kw = {"tokenizer": tok, "config": UNIFORM, "generator": torch.Generator().manual_seed(0)}
    with pytest.raises(ValueError, match="scheme"):
        mask_batch(ids, scheme="random", **kw)
    with pytest.raises(ValueError, match="annotations"):
        mask_batch(ids, scheme="entity", **kw)
    with pytest.raises(ValueError, match=r"\(B, T\)"):
        mask_batch(ids[0], **kw)
    with pytest.raises(ValueError, match="generators"):
        mask_batch(ids, tokenizer=tok, config=UNIFORM, generator=[])


def test_budget_rounding():
    assert mask_budget(100) == 15 and mask_budget(101) == 16 and mask_budget(20) == 3
    assert mask_budget(1) == 1 and mask_budget(510) == 77
