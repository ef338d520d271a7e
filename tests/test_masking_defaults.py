"""The three silent defaults of the old masking code now fail loudly or are gone.

1. ``mask_batch`` without a generator used seed 0, so a loop repeated the same masks: it raises.
2. ``random_token_source="unigram"`` without counts quietly became uniform: it raises, naming the
   fix.
3. [UNK] was treated as a control token (never masked, and it split a block into segments): it is
   ordinary text, as in the official code (docs/spanbert-reference.md#span-masking).
"""

from __future__ import annotations

import pytest
import torch
from test_masking_fixtures import wordpiece_tokenizer

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.masking import MaskingConfig, RandomTokenSampler, mask_batch, vocab_info
from spanbert_lab.masking.collate import MaskingCollator

UNIFORM = MaskingConfig(random_token_source="uniform")


@pytest.fixture(scope="module")
def tok():
    return wordpiece_tokenizer()


@pytest.fixture(scope="module")
def ids(tok):
    return torch.tensor([tok("Vorkatepli voris te is an ka lo mi ran te su.")["input_ids"]])


def test_mask_batch_needs_a_generator(tok, ids):
    with pytest.raises(TypeError, match="generator"):
        mask_batch(ids, tokenizer=tok, config=UNIFORM)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="no default seed"):
        mask_batch(ids, tokenizer=tok, config=UNIFORM, generator=None)  # type: ignore[arg-type]
    # one generator in a loop: every call draws new masks
    g = torch.Generator().manual_seed(0)
    masks = {
        tuple(mask_batch(ids, tokenizer=tok, config=UNIFORM, generator=g).spans[0])
        for _ in range(8)
    }
    assert len(masks) > 1, "a loop over one generator repeated the same mask"


def test_unigram_replacement_needs_counts(tok, ids):
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match=r"unigram_counts=.*random_token_source='uniform'"):
        mask_batch(ids, tokenizer=tok, generator=g)
    with pytest.raises(ValueError, match="unigram_counts="):
        MaskingCollator(tok, "span")
    # the two explicit ways out
    counts = torch.ones(len(tok), dtype=torch.long)
    mask_batch(ids, tokenizer=tok, generator=g, unigram_counts=counts)
    mask_batch(ids, tokenizer=tok, generator=g, config=UNIFORM)
    # nothing is ever replaced by a random token: nothing to draw from, so no counts needed
    mask_batch(ids, tokenizer=tok, generator=g, config=MaskingConfig(random_prob=0.0))


def test_unk_is_ordinary_text(tok):
    unk = tok.unk_token_id
    words = tok("Vorkatepli voris te is an ka lo mi ran te su.", add_special_tokens=False)
    text = words["input_ids"]
    row = [tok.cls_token_id, *text[:3], unk, *text[3:], unk, tok.sep_token_id]
    ids = torch.tensor([row])
    out = mask_batch(
        ids,
        tokenizer=tok,
        config=MaskingConfig(mask_ratio=1.0, random_token_source="uniform"),
        generator=torch.Generator().manual_seed(0),
    )
    # everything between [CLS] and [SEP], both [UNK] included, is one target span
    assert out.spans[0] == [(1, len(row) - 1)], "an [UNK] split the block or was left out"
    targets = out.labels[0] != IGNORE_INDEX
    assert bool(targets[1:-1].all()) and not targets[0] and not targets[-1]
    # at the paper's ratio the budget counts [UNK] as a real token: ceil(0.15 * n)
    n = len(row) - 2
    out = mask_batch(ids, tokenizer=tok, config=UNIFORM, generator=torch.Generator().manual_seed(1))
    assert int((out.labels != IGNORE_INDEX).sum()) == -(-15 * n // 100)


def test_unk_is_never_a_random_replacement(tok):
    info = vocab_info(tok)
    assert not info.is_control[tok.unk_token_id] and info.is_special[tok.unk_token_id]
    assert info.is_control[[tok.cls_token_id, tok.sep_token_id, tok.pad_token_id]].all()
    counts = torch.ones(len(tok), dtype=torch.long)
    counts[tok.unk_token_id] = 10_000
    g = torch.Generator().manual_seed(0)
    for cfg, c in ((MaskingConfig(), counts), (UNIFORM, None)):
        drawn = RandomTokenSampler(info, cfg, c).draw(5000, g)
        assert not bool((drawn == tok.unk_token_id).any()), "[UNK] drawn as a random token"
