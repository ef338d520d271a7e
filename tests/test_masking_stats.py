"""Masking statistics against the analytic distributions (docs/spanbert-reference.md#span-masking),
with fixed generators.

Tolerances: chi-square at significance 1e-4 (critical values from the chi-square table), and
binomial proportions within 4.5 standard deviations.
"""

from __future__ import annotations

import math

import pytest
import torch
from test_masking_fixtures import course_documents, course_tokenizer

from spanbert_lab.data.blocks import build_blocks
from spanbert_lab.masking import (
    MaskingConfig,
    mask_batch,
    mask_budget,
    mask_example,
    sample_span_lengths,
    span_length_pmf,
    unigram_counts,
    vocab_info,
)
from spanbert_lab.masking.collate import MaskingCollator

CHI2_CRIT_1E4 = {9: 33.72, 4: 23.51, 2: 18.42}  # upper 1e-4 quantiles of chi-square(df)
SPEC_PMF = [0.224, 0.179, 0.143, 0.115, 0.092, 0.073, 0.059, 0.047, 0.038, 0.030]


def chi_square(observed: torch.Tensor, pmf: torch.Tensor) -> float:
    expected = pmf * observed.sum()
    return float(((observed - expected) ** 2 / expected).sum())


def binomial_ok(successes: int, n: int, p: float, z: float = 4.5) -> tuple[bool, str]:
    rate = successes / n
    sd = math.sqrt(p * (1 - p) / n)
    return abs(rate - p) <= z * sd, f"rate {rate:.4f} vs {p} (n={n}, {abs(rate - p) / sd:.1f} sd)"


def test_pmf_matches_spec_numbers():
    pmf = span_length_pmf()
    torch.testing.assert_close(pmf, torch.tensor(SPEC_PMF, dtype=torch.float64), atol=6e-4, rtol=0)
    mean = float((pmf * torch.arange(1, 11)).sum())
    assert abs(mean - 3.797) < 1e-3, f"truncated mean {mean:.4f}, spec 3.797"
    clip = span_length_pmf(MaskingConfig(length_mode="clip"))
    clip_mean = float((clip * torch.arange(1, 11)).sum())
    assert abs(clip_mean - (1 - 0.8**10) / 0.2) < 1e-9, f"clipped mean {clip_mean:.4f} != 4.463"
    assert abs(float(clip.sum()) - 1) < 1e-12 and abs(float(pmf.sum()) - 1) < 1e-12


@pytest.mark.parametrize("mode", ["truncate", "clip"])
def test_sampled_lengths_chi_square(mode):
    cfg = MaskingConfig(length_mode=mode)
    lengths = sample_span_lengths(20_000, cfg, generator=torch.Generator().manual_seed(0))
    observed = torch.bincount(lengths - 1, minlength=10).double()
    stat = chi_square(observed, span_length_pmf(cfg))
    assert stat < CHI2_CRIT_1E4[9], f"chi-square {stat:.1f} >= {CHI2_CRIT_1E4[9]} (df 9)"
    wrong = span_length_pmf(MaskingConfig(length_mode="clip" if mode == "truncate" else "truncate"))
    assert chi_square(observed, wrong) > CHI2_CRIT_1E4[9], "test cannot tell truncate from clip"


@pytest.fixture(scope="module")
def course_blocks():
    tok = course_tokenizer()
    blocks = build_blocks(course_documents(80), tok, max_length=128)
    return tok, blocks


def _padded(tok, blocks, limit=None):
    rows = blocks.blocks[:limit]
    length = max(len(b.input_ids) for b in rows)
    ids = torch.full((len(rows), length), tok.pad_token_id)
    for i, b in enumerate(rows):
        ids[i, : len(b.input_ids)] = torch.tensor(b.input_ids)
    return ids, (ids != tok.pad_token_id).long()


def test_span_statistics_on_course_corpus(course_blocks):
    """Accepted draws follow the truncated geometric; the budget is exact; spans start words."""
    tok, blocks = course_blocks
    ids, attn = _padded(tok, blocks)
    gen = torch.Generator().manual_seed(2)
    uniform = MaskingConfig(random_token_source="uniform")  # what is measured here: the spans

    lengths = []
    for _ in range(6):  # six epochs' worth of masks over the same blocks
        for b in range(ids.shape[0]):
            ex = mask_example(ids[b], attn[b], tokenizer=tok, config=uniform, generator=gen)
            lengths.extend(d.length for d in ex.drawn[0])
            n = int(attn[b].sum()) - 2
            got = int((ex.labels[0] != -100).sum())
            assert got == mask_budget(n), f"block {b}: {got} targets, budget {mask_budget(n)}"
            word_start = ~vocab_info(tok).is_continuation[ids[b]]
            assert all(word_start[d.start] for d in ex.drawn[0]), (
                "a drawn span starts inside a word"
            )
    observed = torch.bincount(torch.tensor(lengths) - 1, minlength=10).double()
    stat = chi_square(observed, span_length_pmf())
    assert len(lengths) > 1000, f"only {len(lengths)} draws; the corpus sample is too small"
    assert stat < CHI2_CRIT_1E4[9], f"span lengths: chi-square {stat:.1f} over {len(lengths)} draws"
    mean_words = sum(lengths) / len(lengths)
    assert abs(mean_words - 3.797) < 0.2, f"mean drawn length {mean_words:.2f} words, spec 3.8"


def test_per_span_fate_and_80_10_10(course_blocks):
    tok, blocks = course_blocks
    ids, attn = _padded(tok, blocks)
    cfg = MaskingConfig(random_token_source="uniform")
    mask_id = tok.mask_token_id
    n_spans = all_mask = all_kept = 0
    for seed in range(3):
        out = mask_batch(
            ids, attn, tokenizer=tok, config=cfg, generator=torch.Generator().manual_seed(seed)
        )
        for b, spans in enumerate(out.spans):
            for s, e in spans:
                masked = out.input_ids[b, s:e] == mask_id
                assert masked.all() or not masked.any(), f"span {s, e} mixes [MASK] and other fates"
                n_spans += 1
                all_mask += bool(masked.all())
                all_kept += bool(torch.equal(out.input_ids[b, s:e], ids[b, s:e]))
    ok, msg = binomial_ok(all_mask, n_spans, 0.8)
    assert ok, f"[MASK] spans: {msg}"
    # kept = 10% + random spans that happened to draw the original ids (tiny for a real vocab)
    ok, msg = binomial_ok(all_kept, n_spans, 0.1, z=5.5)
    assert ok, f"unchanged spans: {msg}"


def test_per_token_80_10_10_subword(course_blocks):
    tok, blocks = course_blocks
    ids, attn = _padded(tok, blocks)
    out = mask_batch(
        ids,
        attn,
        tokenizer=tok,
        scheme="subword",
        config=MaskingConfig(random_token_source="uniform"),
        generator=torch.Generator().manual_seed(0),
    )
    target = out.labels != -100
    n = int(target.sum())
    n_mask = int((out.input_ids[target] == tok.mask_token_id).sum())
    ok, msg = binomial_ok(n_mask, n, 0.8)
    assert ok, f"[MASK] tokens: {msg}"
    n_same = int((out.input_ids[target] == ids[target]).sum())
    p_same = 0.1 + 0.1 / max(1, vocab_info(tok).vocab_size - 5)
    ok, msg = binomial_ok(n_same, n, p_same, z=5.5)
    assert ok, f"unchanged tokens: {msg}"


def test_unigram_random_tokens_follow_counts(course_blocks):
    tok, blocks = course_blocks
    ids, attn = _padded(tok, blocks)
    info = vocab_info(tok)
    word_ids = torch.nonzero(~info.is_special).flatten()
    favourite, other = int(word_ids[-1]), int(word_ids[-2])
    counts = torch.zeros(info.vocab_size, dtype=torch.long)
    counts[favourite], counts[other] = 3, 1
    counts[tok.cls_token_id] = 100  # special ids never drawn even if counted
    cfg = MaskingConfig(mask_prob=0.0, random_prob=1.0)
    out = mask_batch(
        ids,
        attn,
        tokenizer=tok,
        config=cfg,
        unigram_counts=counts,
        generator=torch.Generator().manual_seed(0),
    )
    drawn = out.input_ids[out.labels != -100]
    assert set(drawn.tolist()) <= {favourite, other}, "a token with zero count was drawn"
    ok, msg = binomial_ok(int((drawn == favourite).sum()), drawn.numel(), 0.75)
    assert ok, f"unigram draw frequency: {msg}"
    uniform = mask_batch(
        ids,
        attn,
        tokenizer=tok,
        config=MaskingConfig(mask_prob=0.0, random_prob=1.0, random_token_source="uniform"),
        unigram_counts=counts,
        generator=torch.Generator().manual_seed(0),
    )
    drawn_u = uniform.input_ids[uniform.labels != -100]
    assert not info.is_special[drawn_u].any(), "uniform replacement drew a special token"
    assert len(set(drawn_u.tolist())) > 10, "uniform source ignored: draws concentrated"


def test_unigram_counts_ignores_ids(course_blocks):
    tok, blocks = course_blocks
    seqs = [b.input_ids for b in blocks.blocks]
    counts = unigram_counts(seqs, len(tok), ignore_ids=[tok.cls_token_id, tok.sep_token_id])
    assert counts[tok.cls_token_id] == 0 and counts[tok.sep_token_id] == 0
    assert int(counts.sum()) == sum(len(s) - 2 for s in seqs), "counts lose or invent tokens"


def test_collator_masks_depend_only_on_seed_epoch_index(course_blocks):
    tok, blocks = course_blocks
    examples = blocks.examples()[:12]
    collator = MaskingCollator(tok, "span", seed=5, unigram_counts=_counts(tok, examples))
    whole = collator(examples)
    in_twos = [collator(examples[i : i + 2]) for i in range(0, 12, 2)]
    for i in range(12):
        part = in_twos[i // 2]
        n = len(examples[i]["input_ids"])
        assert torch.equal(whole["labels"][i, :n], part["labels"][i % 2, :n]), (
            f"example {i} differs"
        )
        assert torch.equal(whole["input_ids"][i, :n], part["input_ids"][i % 2, :n])
    reordered = collator(examples[::-1])
    assert torch.equal(
        reordered["labels"][-1, : len(examples[0]["input_ids"])],
        whole["labels"][0, : len(examples[0]["input_ids"])],
    ), "order changed a mask"
    collator.set_epoch(1)
    other_epoch = collator(examples)
    changed = sum(not torch.equal(whole["labels"][i], other_epoch["labels"][i]) for i in range(12))
    assert changed >= 11, f"only {changed}/12 masks changed between epochs"
    collator.set_epoch(0)
    assert torch.equal(collator(examples)["labels"], whole["labels"]), "epoch 0 not reproduced"


def test_collator_same_masks_with_dataloader_workers(course_blocks):
    tok, blocks = course_blocks
    examples = blocks.examples()[:8]
    collator = MaskingCollator(tok, "span", seed=1, unigram_counts=_counts(tok, examples))
    loader = torch.utils.data.DataLoader(
        examples, batch_size=3, collate_fn=collator, num_workers=2, multiprocessing_context="fork"
    )
    via_workers = [row for batch in loader for row in batch["labels"]]
    direct = collator(examples)["labels"]
    for i, row in enumerate(via_workers):
        n = len(examples[i]["input_ids"])
        assert torch.equal(row[:n], direct[i, :n]), f"example {i} differs with 2 workers"


def _counts(tok, examples) -> torch.Tensor:
    """Unigram counts of the examples' tokens (what random replacement tokens follow)."""
    seqs = (e["input_ids"] for e in examples)
    return unigram_counts(seqs, len(tok), ignore_ids=tok.all_special_ids)
