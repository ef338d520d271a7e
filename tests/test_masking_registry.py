"""Adding a masking scheme touches only the registry: one selector function, one entry.

Two toy schemes are registered here, inside the tests, and run through the collator exactly as
the built-in ones do: "mask every capitalised word" (reads the segment's token ids) and "mask
every entity" (declares the annotation kind it needs, which the collator then supplies).
"""

from __future__ import annotations

import pytest
import torch
from test_masking_fixtures import synthetic_documents, wordpiece_tokenizer

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.data.blocks import build_blocks
from spanbert_lab.masking import (
    REGISTRY,
    DrawnSpan,
    MaskingConfig,
    SchemeSpec,
    Segment,
    register_scheme,
    vocab_info,
)
from spanbert_lab.masking.collate import MaskingCollator

UNIFORM = MaskingConfig(random_token_source="uniform")


@pytest.fixture(scope="module")
def tok():
    return wordpiece_tokenizer()


@pytest.fixture(scope="module")
def examples(tok):
    return build_blocks(synthetic_documents(6), tok, 64).examples()[:8]


@pytest.fixture
def toy_schemes(tok):
    """Register the two toy schemes for one test, then remove them again."""

    def capitalised(segment: Segment, _budget: int, _cfg: MaskingConfig, _g: torch.Generator):
        tokens = tok.convert_ids_to_tokens(list(segment.ids))
        masked = bytearray(segment.n)
        drawn = []
        ends = [*segment.word_starts[1:], segment.n]
        for s, e in zip(segment.word_starts, ends, strict=True):
            if tokens[s][:1].isupper():
                masked[s:e] = b"\x01" * (e - s)
                drawn.append(DrawnSpan(s, e, 1))
        return masked, drawn

    def every_entity(segment: Segment, _budget: int, _cfg: MaskingConfig, _g: torch.Generator):
        masked = bytearray(segment.n)
        for s, e in segment.annotated:
            masked[s:e] = b"\x01" * (e - s)
        return masked, [DrawnSpan(s, e, 0) for s, e in segment.annotated]

    register_scheme("capitalised", SchemeSpec(capitalised))
    register_scheme("every_entity", SchemeSpec(every_entity, annotation_kind="entities"))
    yield
    del REGISTRY["capitalised"], REGISTRY["every_entity"]


def _capitalised_positions(tok, ids: list[int]) -> list[int]:
    """Every token of every word whose first piece starts with a capital letter."""
    info = vocab_info(tok)
    tokens = tok.convert_ids_to_tokens(ids)
    out, inside = [], False
    for i, (t, token_id) in enumerate(zip(tokens, ids, strict=True)):
        if info.is_control[token_id]:
            inside = False
            continue
        if not info.is_continuation[token_id]:
            inside = t[:1].isupper()
        if inside:
            out.append(i)
    return out


def test_toy_scheme_through_the_collator(tok, examples, toy_schemes):
    batch = MaskingCollator(tok, "capitalised", UNIFORM, seed=3)(examples)
    hits = 0
    for i, ex in enumerate(examples):
        want = _capitalised_positions(tok, list(ex["input_ids"]))
        got = (batch["labels"][i] != IGNORE_INDEX).nonzero().flatten().tolist()
        assert got == want, f"example {i}: targets {got} are not the capitalised words {want}"
        assert batch["labels"][i, want].tolist() == [ex["input_ids"][p] for p in want]
        hits += len(want)
    assert hits >= len(examples), "the synthetic sentences start with capitals: too few targets"
    # the shared machinery still applies: 80/10/10 per span ("auto" = the entry's default)
    # and SBO rows for spans with text on both sides
    changed = batch["input_ids"] != torch.nn.utils.rnn.pad_sequence(
        [torch.tensor(e["input_ids"]) for e in examples], batch_first=True
    )
    assert bool((changed <= (batch["labels"] != IGNORE_INDEX)).all()), "a non-target changed"
    assert int((batch["sbo_labels"] != IGNORE_INDEX).sum()) > 0, "no SBO targets"


def test_toy_scheme_reads_its_annotation_kind(tok, examples, toy_schemes):
    batch = MaskingCollator(tok, "every_entity", UNIFORM, seed=0)(examples)
    for i, ex in enumerate(examples):
        want = sorted({p for s, e in ex["entities"] for p in range(s, e)})
        got = (batch["labels"][i] != IGNORE_INDEX).nonzero().flatten().tolist()
        assert got == want, f"example {i}: targets {got} are not the entities {ex['entities']}"
    assert any(ex["entities"] for ex in examples), "the synthetic blocks carry entities"


def test_registry_guards(toy_schemes):
    with pytest.raises(ValueError, match="already registered"):
        register_scheme("span", REGISTRY["span"])
    with pytest.raises(ValueError, match="annotation_kind"):
        register_scheme("verbs", SchemeSpec(REGISTRY["span"].select, annotation_kind="verbs"))
    with pytest.raises(ValueError, match="capitalised"):
        MaskingCollator(object(), "no_such_scheme")  # type: ignore[arg-type]
