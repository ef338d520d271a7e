"""The course tokenizer: fast, cased WordPiece, BERT special tokens, loads with AutoTokenizer."""

from __future__ import annotations

import re

import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from spanbert_lab.data import load_tokenizer
from spanbert_lab.data.tokenizer import SPECIAL_TOKENS, count_words, train_wordpiece
from spanbert_lab.runtime import repo_root
from spanbert_lab.world.build import make_world

FOLDER = repo_root() / "data" / "tokenizer"


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


def test_loads_with_autotokenizer_and_is_fast_and_cased(tok) -> None:
    auto = AutoTokenizer.from_pretrained(str(FOLDER))
    assert isinstance(auto, PreTrainedTokenizerFast) and auto.is_fast
    assert type(auto).__name__ == "BertTokenizer"
    assert tok.is_fast and getattr(tok, "do_lower_case", None) is False
    assert tok.tokenize("Osterhal") != tok.tokenize("osterhal"), "tokenizer lower-cases"
    assert auto("The port of Ostvik.")["input_ids"] == tok("The port of Ostvik.")["input_ids"]


def test_special_tokens_have_bert_ids(tok) -> None:
    ids = tok.convert_tokens_to_ids(list(SPECIAL_TOKENS))
    assert ids == [0, 1, 2, 3, 4], ids
    assert (tok.pad_token_id, tok.unk_token_id, tok.cls_token_id) == (0, 1, 2)
    assert (tok.sep_token_id, tok.mask_token_id) == (3, 4)
    enc = tok("She was born in 1843.", "It rained.")
    assert enc["input_ids"][0] == 2 and enc["input_ids"][-1] == 3
    assert enc["input_ids"].count(3) == 2 and set(enc["token_type_ids"]) == {0, 1}
    assert tok.decode(tok("She was born in 1843.")["input_ids"], skip_special_tokens=True) == "She was born in 1843."  # fmt: skip


def test_vocabulary_size_is_small(tok) -> None:
    assert 4000 <= len(tok) <= 8192, len(tok)


def test_rare_names_split_into_several_pieces(tok) -> None:
    world = make_world(0)
    people = list(world.people.values())[:400]
    surnames = [p.last for p in people]
    pieces = [len(tok.tokenize(s)) for s in surnames]
    share = sum(n >= 2 for n in pieces) / len(pieces)
    assert share >= 0.6, f"only {share:.0%} of surnames split into ≥2 WordPieces"
    assert max(pieces) >= 3
    # A full name is two words: three or more pieces means at least one of them was split.
    full = [len(tok.tokenize(p.name)) for p in people]
    share_full = sum(n >= 3 for n in full) / len(full)
    assert share_full >= 0.85, f"only {share_full:.0%} of full names give ≥3 WordPieces"
    assert all(not t.startswith("##") for t in (tok.tokenize(s)[0] for s in surnames))
    assert tok.unk_token not in tok.tokenize(" ".join(p.name for p in people))


def test_training_is_deterministic_and_orders_ids() -> None:
    text = ["Orla Kelby moved to Vellmouth.", "Kelby was born in 1843.", "Orla sailed."] * 5
    a = train_wordpiece(text, vocab_size=300, min_frequency=1)
    assert a == train_wordpiece(text, vocab_size=300, min_frequency=1)
    assert a == train_wordpiece(count_words(text), vocab_size=300, min_frequency=1)
    assert [t for t, _ in sorted(a.items(), key=lambda kv: kv[1])][:5] == list(SPECIAL_TOKENS)
    assert sorted(a.values()) == list(range(len(a))), "ids are not 0..n-1"
    assert "Kelby" in a and "##y" in a, "frequent words merge; continuation pieces carry ##"
    with pytest.raises(ValueError, match="vocab_size"):
        train_wordpiece(text, vocab_size=10)


def test_missing_tokenizer_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nothing"))):
        load_tokenizer(tmp_path / "nothing")
