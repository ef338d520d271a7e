"""Continuing pretraining on your own text: ``--init-from`` any BERT checkpoint (a transformers-
saved BERT made here, a shipped course checkpoint), your corpus as blocks with a held-out dev
split, and a clear error for each bad input (no network: hub ids need ``allow_download``)."""

from __future__ import annotations

import json
import re

import pytest
import torch
from transformers import BertConfig, BertForMaskedLM, GPT2Config, GPT2LMHeadModel

from spanbert_lab.cli.finetune import main as finetune_main
from spanbert_lab.cli.pretrain import main as pretrain_main
from spanbert_lab.data.corpus import corpus_fingerprint
from spanbert_lab.data.tokenizer import make_tokenizer, save_tokenizer, train_wordpiece
from spanbert_lab.model.pretraining import SpanBertForPreTraining
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
    assert init.fresh and all(k.startswith("cls.span_boundary.") for k in init.fresh)
    assert len(init.tokenizer) == init.model.config.vocab_size == 6144


def test_the_sbo_head_starts_fresh_and_the_rest_is_loaded():
    from safetensors.torch import load_file

    init = load_init_checkpoint("spanbert-tiny", sbo=True, nsp=False, block_size=128, seed=3)
    stored = load_file(str(data_dir() / "checkpoints" / "spanbert-tiny" / "model.safetensors"))
    model = init.model
    sbo = model.cls.span_boundary
    assert not torch.equal(sbo.layer1.dense.weight, stored["cls.span_boundary.layer1.dense.weight"])
    assert abs(sbo.layer1.dense.weight.std().item() - model.config.initializer_range) < 0.002
    assert sbo.bias.abs().max() == 0 and torch.all(sbo.layer2.LayerNorm.weight == 1)
    assert sbo.decoder.weight is model.bert.embeddings.word_embeddings.weight, "decoder stays tied"
    for key in ("bert.embeddings.word_embeddings.weight", "cls.predictions.transform.dense.weight",
                "bert.encoder.layer.1.output.dense.weight"):  # fmt: skip
        assert torch.equal(model.state_dict()[key], stored[key]), f"{key} was not loaded"
    again = load_init_checkpoint("spanbert-tiny", sbo=True, nsp=False, block_size=128, seed=3)
    assert torch.equal(again.model.cls.span_boundary.layer1.dense.weight, sbo.layer1.dense.weight)


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


# ------------------------------------------------------------------------------ the commands


def _squad(path, n: int = 12) -> None:
    """A tiny SQuAD 1.1 file: where was X born?"""
    paras = []
    for i in range(n):
        name, place = f"Orla Kelby{i}", ["Vellmouth", "Harrowgate", "Galaby"][i % 3]
        context = f"{name} was born in {place} in 18{40 + i}. She sailed north."
        paras.append(
            {
                "context": context,
                "qas": [
                    {
                        "id": f"q{i}",
                        "question": f"Where was {name} born?",
                        "answers": [{"text": place, "answer_start": context.index(place)}],
                    }
                ],
            }
        )
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": paras}]}))


SHORT_RUN = ["--max-steps", "2", "--batch-size", "4", "--max-train-blocks", "8", "--max-eval-blocks", "4", "--block-size", "64"]  # fmt: skip


def test_init_from_a_transformers_bert_continue_then_finetune_qa(own, tmp_path, capsys):
    """The issue's path: a BERT saved by transformers, continued with span masking + SBO on a
    corpus, then fine-tuned on a SQuAD-format file by the unchanged finetune command."""
    out = tmp_path / "run"
    argv = ["--init-from", str(own / "bert"), "--tokenizer", str(own / "tok"), "--corpus", str(own / "corpus.txt"), "--output-dir", str(out), *SHORT_RUN]  # fmt: skip
    assert pretrain_main(argv) == 0, capsys.readouterr().err
    card = json.loads((out / "final" / "metrics.json").read_text())
    assert card["init_from"]["init_from"] == str(own / "bert")
    assert card["init_from"]["fresh_modules"] == ["cls.span_boundary"]
    assert card["corpus"]["sha256"] == corpus_fingerprint(own / "corpus.txt").sha256
    assert card["tokenizer"] == str(own / "tok") and card["steps"] == 2
    readme = (out / "final" / "README.md").read_text()
    assert f"continued from `{own / 'bert'}`" in readme and card["corpus"]["sha256"] in readme
    continued = SpanBertForPreTraining.from_pretrained(out / "final").state_dict()
    start = BertForMaskedLM.from_pretrained(own / "bert").state_dict()
    key = "bert.encoder.layer.0.output.dense.weight"
    assert not torch.equal(continued[key], start[key]), "two updates left the trunk unchanged"
    _squad(tmp_path / "train.json")
    _squad(tmp_path / "dev.json", 4)
    argv = ["qa", "--model", str(out / "final"), "--data", str(tmp_path / "train.json"), "--eval-data", str(tmp_path / "dev.json"), "--max-steps", "2", "--batch-size", "4", "--output", str(tmp_path / "qa"), "--results", str(tmp_path / "qa.json")]  # fmt: skip
    assert finetune_main(argv) == 0, capsys.readouterr().err
    result = json.loads((tmp_path / "qa.json").read_text())
    assert "exact_match" in json.dumps(result) and "f1" in json.dumps(result), result


def test_init_from_a_shipped_checkpoint_on_your_corpus(own, tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["--init-from", "spanbert-tiny", "--corpus", str(own / "corpus.txt"), "--output-dir", str(out), *SHORT_RUN]  # fmt: skip
    assert pretrain_main(argv) == 0, capsys.readouterr().err
    card = json.loads((out / "final" / "metrics.json").read_text())
    shipped = str(data_dir() / "checkpoints" / "spanbert-tiny")
    assert card["init_from"]["init_from"] == shipped
    assert card["init_from"]["fresh_modules"] == ["cls.span_boundary"], "the SBO head starts fresh"
    assert card["tokenizer"] == shipped, "the tokenizer comes from the checkpoint"
    assert card["corpus"]["documents"] + card["corpus"]["eval_documents"] > 20


def _gpt2(folder):
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=16, n_head=2, vocab_size=50)).save_pretrained(folder)  # fmt: skip
    return folder


BAD_FILES = {
    "empty": b"\n\n",
    "binary": b"\x89PNG\x00\x00",
    "non-utf8": "A line.\nNa\u00efve.\n".encode("latin-1"),
    "too-small": b"One sentence.\n\nTwo sentences here.\n",
}
BAD_MESSAGES = {
    "not-bert": r"is not a BERT checkpoint: its config.json says model_type 'gpt2'",
    "tokenizer-mismatch": r"the tokenizer does not match --init-from .*spanbert-tiny",
    "entity-on-plain-text": r"objective 'entity' masks entity mentions, and .* has none annotated",
    "empty": r"empty\.txt: empty document",
    "binary": r"binary\.txt: a binary file",
    "non-utf8": r"non-utf8\.txt: line 2, column 3: not UTF-8",
    "too-small": r"too-small\.txt: too small for one block",
}


def _bad_argv(case: str, own, tmp) -> list[str]:
    tokenizer, corpus = ["--tokenizer", str(own / "tok")], ["--corpus", str(own / "corpus.txt")]
    if case in BAD_FILES:
        (tmp / f"{case}.txt").write_bytes(BAD_FILES[case])
        return [*tokenizer, "--corpus", str(tmp / f"{case}.txt")]
    if case == "not-bert":
        return ["--init-from", str(_gpt2(tmp / "gpt2")), *corpus]
    if case == "tokenizer-mismatch":
        return ["--init-from", "spanbert-tiny", *tokenizer, *corpus]
    return ["--objective", "entity", *tokenizer, *corpus]


@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
def test_pretrain_refuses_bad_input_and_writes_nothing(own, tmp_path, capsys, case):
    out = tmp_path / "run"
    status = pretrain_main([*_bad_argv(case, own, tmp_path), "--output-dir", str(out), *SHORT_RUN])
    err = capsys.readouterr().err
    assert status == 1 and re.search(BAD_MESSAGES[case], err), f"status {status}: {err[-600:]}"
    assert not out.exists(), f"a refused run wrote {sorted(p.name for p in out.rglob('*'))}"
