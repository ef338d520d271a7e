"""Continuing pretraining on your own text: ``--init-from`` any BERT checkpoint (a transformers-
saved BERT made here, a shipped course checkpoint), your corpus as blocks with a held-out dev
split, and a clear error for each bad input (no network: hub ids need ``allow_download``)."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

from spanbert_lab.data.tokenizer import make_tokenizer, save_tokenizer, train_wordpiece
from spanbert_lab.pretrain.init_from import load_init_checkpoint
from spanbert_lab.pretrain.own_corpus import EVAL_SPLIT_SEED, corpus_blocks
from spanbert_lab.runtime import data_dir
from spanbert_lab.world.build import make_world
from spanbert_lab.world.corpus import sample_corpus


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A sample corpus, a tokenizer trained on it, and a random BERT saved by transformers."""
    root = tmp_path_factory.mktemp("own")
    text = sample_corpus(make_world(), 60_000, seed=5)
    (root / "corpus.txt").write_text(text, encoding="utf-8")
    vocab = train_wordpiece(text.splitlines(), vocab_size=700)
    save_tokenizer(vocab, root / "tok")
    config = BertConfig(
        vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    torch.manual_seed(0)
    BertForMaskedLM(config).save_pretrained(root / "bert")
    return root


def test_init_from_a_transformers_bert_loads_the_trunk_and_starts_the_sbo_head_fresh(own):
    init = load_init_checkpoint(own / "bert", sbo=True, nsp=False, block_size=64, tokenizer=own / "tok")  # fmt: skip
    saved = BertForMaskedLM.from_pretrained(own / "bert").state_dict()
    ours = init.model.state_dict()
    shared = [k for k in saved if k in ours]
    assert len(shared) >= 30, f"only {len(shared)} parameter names in common"
    for key in shared:
        torch.testing.assert_close(ours[key], saved[key], msg=f"{key} was not loaded")
    assert {k.split(".")[1] for k in init.fresh} == {"span_boundary"}, init.fresh
    assert init.model.config.sbo_loss_weight == 1.0 and init.tokenizer_source == str(own / "tok")
    assert init.describe()["fresh_modules"] == ["cls.span_boundary"]


def test_init_from_a_shipped_checkpoint_takes_its_tokenizer():
    init = load_init_checkpoint("spanbert-tiny", sbo=True, nsp=False, block_size=128)
    assert init.source == str(data_dir() / "checkpoints" / "spanbert-tiny")
    assert init.fresh == [], "a course SpanBERT holds every head"
    assert len(init.tokenizer) == init.model.config.vocab_size == 6144


def test_a_tokenizer_that_does_not_match_the_checkpoint_is_a_clear_error(own):
    with pytest.raises(
        ValueError, match=r"does not match --init-from .*spanbert-tiny.*: id \d+ is"
    ):
        load_init_checkpoint("spanbert-tiny", sbo=True, nsp=False, block_size=128, tokenizer=own / "tok")  # fmt: skip
    small = make_tokenizer(train_wordpiece(["Just a few words here."] * 3, 300, 1))
    with pytest.raises(ValueError, match=rf"has {len(small)} tokens but --init-from .* has \d+ word embeddings"):  # fmt: skip
        load_init_checkpoint(own / "bert", sbo=True, nsp=False, block_size=64, tokenizer=small)
    with pytest.raises(ValueError, match=r"ships no tokenizer .* pass --tokenizer"):
        load_init_checkpoint(own / "bert", sbo=True, nsp=False, block_size=64)


def test_an_init_from_that_is_not_a_bert_checkpoint_is_a_clear_error(own, tmp_path):
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=50)).save_pretrained(tmp_path / "gpt2")  # fmt: skip
    with pytest.raises(ValueError, match=r"is not a BERT checkpoint: its config.json says model_type 'gpt2'"):  # fmt: skip
        load_init_checkpoint(tmp_path / "gpt2", sbo=True, nsp=False, block_size=64)
    with pytest.raises(ValueError, match=r"is not a BERT checkpoint: expected a folder holding config.json"):  # fmt: skip
        load_init_checkpoint(own / "tok", sbo=True, nsp=False, block_size=64)
    with pytest.raises(ValueError, match=r"is not a BERT checkpoint: expected a folder"):
        load_init_checkpoint(own / "corpus.txt", sbo=True, nsp=False, block_size=64)
    (tmp_path / "no_weights").mkdir()
    (tmp_path / "no_weights" / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ValueError, match=r"config.json but no weights"):
        load_init_checkpoint(tmp_path / "no_weights", sbo=True, nsp=False, block_size=64)
    with pytest.raises(FileNotFoundError, match=r"pass --allow-download"):
        load_init_checkpoint("someone/bert-base-nowhere", sbo=True, nsp=False, block_size=64)
    with pytest.raises(ValueError, match=r"--block-size 256 is longer than .* 128 position"):
        load_init_checkpoint(own / "bert", sbo=True, nsp=False, block_size=256, tokenizer=own / "tok")  # fmt: skip


def test_own_corpus_blocks_hold_out_the_same_documents_whatever_the_seed(own):
    tok = make_tokenizer(json.loads((own / "tok" / "tokenizer.json").read_text())["model"]["vocab"])
    a = corpus_blocks(own / "corpus.txt", tok, block_size=64, eval_fraction=0.1, seed=1)
    b = corpus_blocks(own / "corpus.txt", tok, block_size=64, eval_fraction=0.1, seed=2)
    assert a.eval_examples == b.eval_examples and EVAL_SPLIT_SEED == 0
    n = a.documents + a.eval_documents
    assert a.eval_documents == round(0.1 * n), (a.eval_documents, n)
    card = a.describe()
    assert card["bytes"] == (own / "corpus.txt").stat().st_size and len(card["sha256"]) == 64
    assert card["train_blocks"] == len(a.train_examples) > card["eval_blocks"] > 0


def test_objectives_that_need_annotations_refuse_a_plain_corpus(own):
    tok = make_tokenizer(json.loads((own / "tok" / "tokenizer.json").read_text())["model"]["vocab"])
    with pytest.raises(ValueError, match=r"objective 'noun_phrase' masks noun phrases, and .* has none annotated.*train\.annotations\.jsonl"):  # fmt: skip
        corpus_blocks(own / "corpus.txt", tok, needs=("noun_phrase", "noun_phrases"))


def test_too_few_documents_for_a_dev_split_is_a_clear_error(own, tmp_path):
    tok = make_tokenizer(json.loads((own / "tok" / "tokenizer.json").read_text())["model"]["vocab"])
    lines = [ln for ln in (own / "corpus.txt").read_text().splitlines()[:300] if ln.strip()]
    (tmp_path / "one.txt").write_text("\n".join(lines) + "\n")  # no blank line: one document
    with pytest.raises(ValueError, match=r"1 document\(s\), too few to hold out a dev split"):
        corpus_blocks(tmp_path / "one.txt", tok, block_size=64)
