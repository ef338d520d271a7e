"""Pre-training blocks (docs/spanbert-reference.md#blocks): whole consecutive sentences of one
document, [CLS] … [SEP]."""

from __future__ import annotations

import pytest
import torch
from test_masking_fixtures import synthetic_documents, wordpiece_tokenizer

from spanbert_lab.data.blocks import build_blocks, build_nsp_blocks, char_spans_to_token_spans


@pytest.fixture(scope="module")
def tok():
    return wordpiece_tokenizer()


@pytest.fixture(scope="module")
def docs():
    return synthetic_documents(15, seed=3)


def test_blocks_pack_whole_consecutive_sentences(tok, docs):
    max_length = 64
    blocks = build_blocks(docs, tok, max_length)
    assert len(blocks) > len(docs), "expected several blocks per document"
    sentence_ids = [
        [tok(s, add_special_tokens=False)["input_ids"] for s in d["sentences"]] for d in docs
    ]
    seen = {d: [] for d in range(len(docs))}
    for block in blocks.blocks:
        ids = block.input_ids
        assert len(ids) <= max_length, f"block of {len(ids)} tokens > {max_length}"
        assert (
            ids[0] == tok.cls_token_id
            and ids[-1] == tok.sep_token_id
            and ids.count(tok.sep_token_id) == 1
        )
        assert block.token_type_ids == [0] * len(ids)
        a, b = block.sentences
        body = [t for s in sentence_ids[block.doc_index][a:b] for t in s]
        assert ids[1:-1] == body, "block is not the concatenation of its sentences"
        # greedy: the next sentence of the same document would not have fitted
        if b < len(sentence_ids[block.doc_index]):
            nxt = len(sentence_ids[block.doc_index][b])
            assert len(ids) + nxt > max_length or nxt > max_length - 2, "block closed too early"
        seen[block.doc_index].append((a, b))
    for d, ranges in seen.items():
        flat = [j for a, b in ranges for j in range(a, b)]
        assert flat == list(range(len(docs[d]["sentences"]))), (
            f"document {d} sentences lost or reordered"
        )


def test_overlong_sentences_dropped_and_counted(tok):
    long_sentence = " ".join(["vorkateplidax"] * 40) + "."
    docs = [{"sentences": ["Ka lo mi.", long_sentence, "Te su ne."]}]
    blocks = build_blocks(docs, tok, 32)
    assert blocks.dropped_sentences == 1
    assert [b.sentences for b in blocks.blocks] == [(0, 1), (2, 3)]
    with pytest.raises(ValueError, match="max_length"):
        build_blocks(docs, tok, 2)


def test_annotations_map_to_token_spans(tok, docs):
    blocks = build_blocks(docs, tok, 96)
    checked = 0
    for block in blocks.blocks:
        text = tok.decode(block.input_ids)
        for kind in ("entities", "noun_phrases"):
            for s, e in block.annotations[kind]:
                assert 1 <= s < e <= len(block.input_ids) - 1
                assert tok.decode(block.input_ids[s:e]).replace(" ", "") in text.replace(" ", "")
                checked += 1
    # the first sentence's entity is its first word: check exactly
    doc0, block0 = docs[blocks.blocks[0].doc_index], blocks.blocks[0]
    first_word = doc0["sentences"][0].split()[0]
    s, e = block0.annotations["entities"][0]
    assert tok.decode(block0.input_ids[s:e]).replace(" ", "") == first_word
    assert checked > 20
    assert char_spans_to_token_spans([(0, 3), (3, 5), (6, 8)], [[2, 6, "X"], [5, 6, "Y"]]) == [
        (0, 2)
    ]


def test_nsp_blocks(tok, docs):
    gen = torch.Generator().manual_seed(0)
    blocks = build_nsp_blocks(docs, tok, 80, generator=gen)
    labels = [b.next_sentence_label for b in blocks.blocks]
    assert set(labels) == {0, 1}
    assert 0.2 < sum(labels) / len(labels) < 0.8, (
        f"random-next share {sum(labels) / len(labels):.2f}"
    )
    for block in blocks.blocks:
        ids = block.input_ids
        assert len(ids) <= 80 and ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
        sep = ids.index(tok.sep_token_id)
        assert ids.count(tok.sep_token_id) == 2 and 1 < sep < len(ids) - 2
        assert block.token_type_ids == [0] * (sep + 1) + [1] * (len(ids) - sep - 1)
        ex = block.to_example(7)
        assert ex["index"] == 7 and ex["next_sentence_label"] == block.next_sentence_label
    again = build_nsp_blocks(docs, tok, 80, generator=torch.Generator().manual_seed(0))
    assert [b.input_ids for b in again.blocks] == [b.input_ids for b in blocks.blocks]
