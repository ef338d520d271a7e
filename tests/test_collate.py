"""The masking collator: batch format of docs/DEVELOPING.md, padding, NSP mode, Trainer hook."""

from __future__ import annotations

import pytest
import torch
from test_masking_fixtures import synthetic_documents, wordpiece_tokenizer

from spanbert_lab.data.blocks import build_blocks, build_nsp_blocks
from spanbert_lab.masking import SCHEMES, MaskingConfig, unigram_counts
from spanbert_lab.masking.collate import MaskingCollator, epoch_callback

KEYS = [
    "input_ids",
    "attention_mask",
    "token_type_ids",
    "labels",
    "sbo_left",
    "sbo_right",
    "sbo_positions",
    "sbo_labels",
]


@pytest.fixture(scope="module")
def tok():
    return wordpiece_tokenizer()


@pytest.fixture(scope="module")
def examples(tok):
    return build_blocks(synthetic_documents(12), tok, 72).examples()


def _collator(tok, *args, **kwargs) -> MaskingCollator:
    """A collator with the synthetic corpus's unigram counts (the default replacement needs them)."""
    blocks = build_blocks(synthetic_documents(12), tok, 72).examples()
    counts = unigram_counts(
        (e["input_ids"] for e in blocks), len(tok), ignore_ids=tok.all_special_ids
    )
    return MaskingCollator(tok, *args, unigram_counts=counts, **kwargs)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_batch_format(tok, examples, scheme):
    batch = _collator(tok, scheme)(examples[:5])
    assert list(batch) == KEYS
    lengths = [len(e["input_ids"]) for e in examples[:5]]
    t = max(lengths)
    for key in KEYS[:4]:
        assert batch[key].shape == (5, t) and batch[key].dtype == torch.long, key
    m = batch["sbo_labels"].shape[1]
    assert m >= 1 and all(batch[k].shape == (5, m) for k in KEYS[4:])
    for i, n in enumerate(lengths):
        assert batch["attention_mask"][i].tolist() == [1] * n + [0] * (t - n)
        assert (batch["input_ids"][i, n:] == tok.pad_token_id).all()
        assert (batch["labels"][i, n:] == -100).all()


def test_options(tok, examples):
    batch = _collator(tok, include_sbo=False, pad_to_multiple_of=16)(examples[:3])
    assert list(batch) == KEYS[:4] and batch["input_ids"].shape[1] % 16 == 0
    plain = _collator(tok)([e["input_ids"] for e in examples[:3]])
    assert plain["input_ids"].shape[0] == 3
    with pytest.raises(ValueError, match="scheme"):
        _collator(tok, "spans")
    with pytest.raises(ValueError, match="empty"):
        _collator(tok)([])


def test_nsp_mode(tok):
    blocks = build_nsp_blocks(
        synthetic_documents(12), tok, 72, generator=torch.Generator().manual_seed(0)
    )
    examples = blocks.examples()[:6]
    batch = _collator(tok, "span")(examples)
    assert list(batch) == [*KEYS, "next_sentence_label"]
    assert batch["next_sentence_label"].tolist() == [e["next_sentence_label"] for e in examples]
    for i, e in enumerate(examples):
        n = len(e["token_type_ids"])
        assert batch["token_type_ids"][i, :n].tolist() == e["token_type_ids"]


def test_entity_scheme_uses_block_annotations(tok, examples):
    cfg = MaskingConfig(annotation_prob=1.0, mask_ratio=0.4)
    batch = _collator(tok, "entity", cfg)(examples[:6])
    hits = sum(
        bool((batch["labels"][i, s:e] != -100).all())
        for i, e_ in enumerate(examples[:6])
        for s, e in e_["entities"]
    )
    assert hits >= 0.7 * sum(len(e["entities"]) for e in examples[:6])


def test_epoch_callback_sets_epoch(tok):
    collator = _collator(tok)
    callback = epoch_callback(collator)

    class State:
        epoch = 3.0

    callback.on_epoch_begin(None, State(), None)
    assert collator.epoch == 3


def test_missing_index_numbers_examples(tok, examples):
    bare = [{"input_ids": e["input_ids"]} for e in examples[:4]]
    first = _collator(tok, seed=2)(bare)
    indexed = _collator(tok, seed=2)(examples[:4])
    assert torch.equal(first["labels"], indexed["labels"]), "missing index should count from 0"


def test_trainer_runs_with_the_collator(tok, examples, tmp_path):
    """transformers' Trainer feeds the collator's batch to the model; set_epoch follows epochs."""
    pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate")
    from transformers import Trainer, TrainingArguments

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Embedding(len(tok), 8)
            self.out = torch.nn.Linear(8, len(tok))
            self.seen: list[set[str]] = []

        def forward(self, input_ids, labels, sbo_labels, **batch):
            self.seen.append({"input_ids", "labels", "sbo_labels", *batch})
            logits = self.out(self.embed(input_ids))
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())
            return {"loss": loss}

    collator = _collator(tok, "span")
    model = Tiny()
    args = TrainingArguments(
        output_dir=str(tmp_path),
        per_device_train_batch_size=4,
        num_train_epochs=2,
        max_steps=-1,
        report_to=[],
        remove_unused_columns=False,
        use_cpu=True,
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=examples[:8],
        data_collator=collator,
        callbacks=[epoch_callback(collator)],
    )
    trainer.train()
    assert model.seen and all(set(KEYS) <= keys for keys in model.seen)
    assert collator.epoch == 1, f"the collator ended at epoch {collator.epoch}, expected 1"
