"""Pre-training blocks: whole sentences of one document packed up to the maximum length.

Reference: ``docs/spanbert-reference.md#blocks`` (``BlockDataset``, break mode "doc"): pack *whole
consecutive sentences of one document* until adding the next would exceed ``max_length - 2`` tokens;
blocks never cross documents; a single sentence longer than that is dropped (and counted here);
input = ``[CLS] block [SEP]``, segment ids all 0. :func:`build_nsp_blocks` makes the two-segment +
next-sentence-prediction input of the paper's ablation (``[CLS] A [SEP] B [SEP]``, B the true
continuation or, half of the time, sentences from another document).

Entity and noun-phrase annotations (character spans per sentence) are carried through to half-open
token spans in block coordinates, which is what ``mask_batch(..., annotations=...)`` takes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from spanbert_lab.contracts import ANNOTATION_KINDS

# the paper's entity ablation uses "non-numerical named entity mentions" only
NUMERIC_ENTITY_LABELS = (
    "DATE",
    "TIME",
    "NUM",
    "CARDINAL",
    "ORDINAL",
    "PERCENT",
    "MONEY",
    "QUANTITY",
)


@dataclass(frozen=True)
class Sentence:
    """One tokenized sentence: ids (no special tokens) and annotations as token spans."""

    input_ids: list[int]
    annotations: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """One pre-training example.

    Attributes:
        input_ids: ``[CLS] … [SEP]`` (or ``[CLS] A [SEP] B [SEP]``), list of ints.
        token_type_ids: 0 for [CLS], A and its [SEP]; 1 for B and the final [SEP].
        doc_index: the document it comes from (segment A's document in NSP mode).
        sentences: the document's sentences it holds, half-open ``(first, last + 1)``.
        annotations: ``"entities"`` / ``"noun_phrases"`` → half-open token spans in this block.
        next_sentence_label: NSP mode only: 0 = B follows A, 1 = B is random; else ``None``.
    """

    input_ids: list[int]
    token_type_ids: list[int]
    doc_index: int
    sentences: tuple[int, int]
    annotations: dict[str, list[tuple[int, int]]]
    next_sentence_label: int | None = None

    def to_example(self, index: int) -> dict[str, Any]:
        """The dict the collator takes (``index`` fixes its mask per epoch)."""
        example: dict[str, Any] = {
            "input_ids": self.input_ids,
            "token_type_ids": self.token_type_ids,
            "index": index,
            **{kind: self.annotations.get(kind, []) for kind in ANNOTATION_KINDS},
        }
        if self.next_sentence_label is not None:
            example["next_sentence_label"] = self.next_sentence_label
        return example


@dataclass
class BlockSet:
    """Blocks plus what was lost making them."""

    blocks: list[Block]
    max_length: int
    dropped_sentences: int = 0

    def __len__(self) -> int:
        return len(self.blocks)

    def examples(self) -> list[dict[str, Any]]:
        """Every block as a collator example, ``index`` = position in the set."""
        return [block.to_example(i) for i, block in enumerate(self.blocks)]


def char_spans_to_token_spans(
    offsets: Sequence[tuple[int, int]],
    spans: Sequence[Any],
    *,
    exclude_labels: Sequence[str] = (),
) -> list[tuple[int, int]]:
    """Map character spans to half-open token spans via token offsets.

    A span is ``[start, end, …]`` or a mapping with ``"start"`` / ``"end"`` (the course loader's
    format). A token belongs to a span when their character ranges overlap; spans covering no
    token, and spans whose label is in ``exclude_labels``, are dropped.
    """
    result = []
    for span in spans:
        if isinstance(span, Mapping):
            c_start, c_end, label = int(span["start"]), int(span["end"]), span.get("label")
        else:
            c_start, c_end = int(span[0]), int(span[1])
            label = span[2] if len(span) > 2 else None
        if label is not None and label in exclude_labels:
            continue
        inside = [i for i, (s, e) in enumerate(offsets) if s < c_end and e > c_start]
        if inside:
            result.append((inside[0], inside[-1] + 1))
    return result


def tokenize_documents(documents: Sequence[dict[str, Any]], tokenizer: Any) -> list[list[Sentence]]:
    """Tokenize every sentence (one fast batched call) and map its annotations to token spans.

    Args:
        documents: rows with ``sentences: list[str]`` and optionally ``entities`` /
            ``noun_phrases``: per sentence, lists of character spans ``[start, end, type]`` or
            ``{"start", "end", "label"}`` (``spanbert_lab.data.load_corpus``). Numerical entity
            labels (:data:`NUMERIC_ENTITY_LABELS`) are left out, as in the paper's ablation.
    """
    flat = [s for doc in documents for s in doc["sentences"]]
    enc = tokenizer(flat, add_special_tokens=False, return_offsets_mapping=True) if flat else None
    out: list[list[Sentence]] = []
    k = 0
    for doc in documents:
        sentences = []
        for j in range(len(doc["sentences"])):
            assert enc is not None
            offsets = enc["offset_mapping"][k]
            ann = {
                kind: char_spans_to_token_spans(
                    offsets,
                    doc[kind][j],
                    exclude_labels=NUMERIC_ENTITY_LABELS if kind == "entities" else (),
                )
                for kind in ANNOTATION_KINDS
                if doc.get(kind) is not None
            }
            sentences.append(Sentence(list(enc["input_ids"][k]), ann))
            k += 1
        out.append(sentences)
    return out


def _assemble(
    segments: list[list[Sentence]], cls_id: int, sep_id: int
) -> tuple[list[int], list[int], dict[str, list[tuple[int, int]]]]:
    """``[CLS] seg0 [SEP] seg1 [SEP] …`` with segment ids and shifted annotations."""
    ids, types = [cls_id], [0]
    ann: dict[str, list[tuple[int, int]]] = {kind: [] for kind in ANNOTATION_KINDS}
    for seg_index, segment in enumerate(segments):
        for sentence in segment:
            shift = len(ids)
            for kind, spans in sentence.annotations.items():
                ann[kind].extend((s + shift, e + shift) for s, e in spans)
            ids.extend(sentence.input_ids)
        ids.append(sep_id)
        types.extend([min(seg_index, 1)] * (len(ids) - len(types)))
    types[0] = 0
    return ids, types, ann


def _pack(sentences: list[Sentence], capacity: int) -> tuple[list[tuple[int, int]], int]:
    """Greedy packing of whole consecutive sentences: ``(first, end)`` ranges, dropped count."""
    ranges, dropped = [], 0
    start, used = None, 0
    for j, sentence in enumerate(sentences):
        n = len(sentence.input_ids)
        if n > capacity or n == 0:  # an over-long (or empty) sentence is dropped; it breaks the run
            dropped += n > capacity
            if start is not None:
                ranges.append((start, j))
            start, used = None, 0
            continue
        if start is not None and used + n > capacity:
            ranges.append((start, j))
            start, used = None, 0
        if start is None:
            start = j
        used += n
    if start is not None:
        ranges.append((start, len(sentences)))
    return ranges, dropped


def build_blocks(
    documents: Sequence[dict[str, Any]], tokenizer: Any, max_length: int = 512
) -> BlockSet:
    """Single-segment blocks ``[CLS] sentences [SEP]`` of at most ``max_length`` tokens.

    Consecutive whole sentences of one document are packed until the next would exceed
    ``max_length - 2``; a sentence longer than that is dropped and counted in
    ``BlockSet.dropped_sentences``. An over-long sentence also ends the current block (the block
    after it starts fresh), so blocks always hold consecutive text.
    """
    if max_length < 3:
        raise ValueError(f"max_length={max_length} leaves no room for text between [CLS] and [SEP]")
    tokenized = tokenize_documents(documents, tokenizer)
    blocks, dropped = [], 0
    for d, sentences in enumerate(tokenized):
        ranges, lost = _pack(sentences, max_length - 2)
        dropped += lost
        for a, b in ranges:
            ids, types, ann = _assemble(
                [sentences[a:b]], tokenizer.cls_token_id, tokenizer.sep_token_id
            )
            blocks.append(Block(ids, types, d, (a, b), ann))
    return BlockSet(blocks, max_length, dropped)


def build_nsp_blocks(
    documents: Sequence[dict[str, Any]],
    tokenizer: Any,
    max_length: int = 512,
    *,
    generator: torch.Generator,
    random_next_prob: float = 0.5,
) -> BlockSet:
    """Two-segment blocks ``[CLS] A [SEP] B [SEP]`` with a next-sentence label (the ablation).

    Sentences are packed as in :func:`build_blocks` (capacity ``max_length - 3``); each packed run
    of at least two sentences is split at a sentence boundary drawn uniformly; with probability
    ``random_next_prob`` B is replaced by consecutive sentences of another document starting at a
    random sentence (label 1), else B is the true continuation (label 0). Runs of a single sentence
    cannot be split and are skipped. All draws use ``generator``.
    """
    if max_length < 5:
        raise ValueError(f"max_length={max_length} is too short for [CLS] A [SEP] B [SEP]")
    if not 0.0 <= random_next_prob <= 1.0:
        raise ValueError(f"random_next_prob={random_next_prob} must be in [0, 1]")
    tokenized = tokenize_documents(documents, tokenizer)
    capacity = max_length - 3
    blocks, dropped = [], 0
    for d, sentences in enumerate(tokenized):
        ranges, lost = _pack(sentences, capacity)
        dropped += lost
        for a, b in ranges:
            if b - a < 2:
                continue
            split = a + 1 + int(torch.randint(b - a - 1, (1,), generator=generator))
            seg_a, seg_b, label = sentences[a:split], sentences[split:b], 0
            use_random = (
                len(tokenized) > 1 and float(torch.rand(1, generator=generator)) < random_next_prob
            )
            if use_random:
                other = int(torch.randint(len(tokenized) - 1, (1,), generator=generator))
                other += other >= d  # any document but this one
                pool = tokenized[other]
                start = int(torch.randint(len(pool), (1,), generator=generator)) if pool else 0
                room = capacity - sum(len(s.input_ids) for s in seg_a)
                chosen: list[Sentence] = []
                for sentence in pool[start:]:
                    if sum(len(s.input_ids) for s in chosen) + len(sentence.input_ids) > room:
                        break
                    chosen.append(sentence)
                if chosen:
                    seg_b, label = chosen, 1
            ids, types, ann = _assemble(
                [seg_a, seg_b], tokenizer.cls_token_id, tokenizer.sep_token_id
            )
            blocks.append(Block(ids, types, d, (a, b), ann, label))
    return BlockSet(blocks, max_length, dropped)


def check_fills_a_block(block_set: BlockSet, source: str) -> None:
    """Refuse a corpus too small to pretrain on: its blocks must hold at least one full block's
    worth of tokens (``max_length``), else the run would train on a scrap of text.

    Raises:
        ValueError: naming ``source``, the tokens found and the block size; when every sentence
            was dropped for being longer than a block, saying so (prose read as one sentence per
            line is the usual cause).
    """
    tokens = sum(len(block.input_ids) for block in block_set.blocks)
    if tokens >= block_set.max_length:
        return
    if not block_set.blocks and block_set.dropped_sentences:
        raise ValueError(
            f"{source}: no block: each of its {block_set.dropped_sentences} sentence(s) is longer "
            f"than a block of {block_set.max_length} tokens; if the text is prose rather than one "
            "sentence per line, read it as paragraphs (--corpus-format paragraphs), or use a "
            "larger --block-size"
        )
    raise ValueError(
        f"{source}: too small for one block: {tokens} tokens in {len(block_set.blocks)} block(s), "
        f"fewer than one block of {block_set.max_length} tokens; give it more text or use a "
        "smaller --block-size"
    )
