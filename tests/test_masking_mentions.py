"""spanbert_lab.masking.mentions: how often a scheme hides a whole mention — checked against the
analytic answer for sub-word masking and against the pretraining collator's own masks."""

from __future__ import annotations

import math

import pytest

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.data.tokenizer import load_tokenizer
from spanbert_lab.masking import MaskingConfig
from spanbert_lab.masking.collate import MaskingCollator
from spanbert_lab.masking.mentions import mention_coverage

N, MENTIONS = 40, [(1 + 4 * k, 3 + 4 * k) for k in range(10)]  # ten 2-piece mentions per block


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


def _blocks(tokenizer, count: int) -> list[dict]:
    word = tokenizer.convert_tokens_to_ids("the")
    ids = [tokenizer.cls_token_id, *[word] * N, tokenizer.sep_token_id]
    return [{"input_ids": ids, "index": i, "entities": MENTIONS, "noun_phrases": []}
            for i in range(count)]  # fmt: skip


def test_subword_masking_hides_a_two_piece_mention_as_often_as_the_analytic_rate(tokenizer):
    """Sub-word masking picks b = ceil(0.15 n) of n pieces uniformly: a 2-piece mention is hidden
    whole with probability b(b-1) / (n(n-1)), touched with 1 - (n-b)(n-b-1) / (n(n-1))."""
    c = mention_coverage(_blocks(tokenizer, 1000), tokenizer=tokenizer, scheme="subword")
    b = math.ceil(0.15 * N)
    whole, touched = b * (b - 1) / (N * (N - 1)), 1 - (N - b) * (N - b - 1) / (N * (N - 1))
    assert c.mentions == 10_000
    for rate, p in ((c.whole_rate, whole), (c.touched_rate, touched)):
        sd = math.sqrt(p * (1 - p) / c.mentions)  # mentions of one block are nearly independent
        assert abs(rate - p) < 5 * sd, (rate, p)


def test_masking_everything_hides_every_mention_and_short_ones_can_be_left_out(tokenizer):
    blocks = _blocks(tokenizer, 3)
    full = mention_coverage(blocks, tokenizer=tokenizer, scheme="subword",
                            config=MaskingConfig(mask_ratio=1.0))  # fmt: skip
    assert full.mentions == full.whole == full.touched == 30
    assert mention_coverage(blocks, tokenizer=tokenizer, scheme="span", min_pieces=3).mentions == 0


def test_the_counts_are_those_of_the_collators_masks(tokenizer):
    """Block i gets the generator of (seed, epoch, i), as in pretraining: the mentions hidden
    whole by the collator's labels are the ones counted."""
    blocks = _blocks(tokenizer, 16)
    config = MaskingConfig(random_token_source="uniform")
    for scheme in ("subword", "span", "entity"):
        collator = MaskingCollator(tokenizer, scheme, config, seed=3, include_sbo=False)
        collator.set_epoch(2)
        labels = collator(blocks)["labels"]
        hidden = sum(bool((labels[i, s:e] != IGNORE_INDEX).all()) for i in range(16) for s, e in MENTIONS)  # fmt: skip
        c = mention_coverage(blocks, tokenizer=tokenizer, scheme=scheme, seed=3, epoch=2)
        assert c.whole == hidden, scheme
    entity = mention_coverage(blocks, tokenizer=tokenizer, scheme="entity")
    subword = mention_coverage(blocks, tokenizer=tokenizer, scheme="subword")
    assert entity.whole_rate > 5 * subword.whole_rate


def test_bad_arguments_are_named(tokenizer):
    blocks = _blocks(tokenizer, 1)
    with pytest.raises(ValueError, match="kind='answers'"):
        mention_coverage(blocks, tokenizer=tokenizer, scheme="span", kind="answers")
    with pytest.raises(ValueError, match="min_pieces must be at least 1"):
        mention_coverage(blocks, tokenizer=tokenizer, scheme="span", min_pieces=0)
    with pytest.raises(ValueError, match="needs its 'index'"):
        mention_coverage(
            [{"input_ids": blocks[0]["input_ids"]}], tokenizer=tokenizer, scheme="span"
        )
