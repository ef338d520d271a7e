"""Your own text: the corpus readers, the corpus fingerprint, ``data tokenizer`` and
``data sample-corpus``, and a clear error (with nothing half-written) for each bad input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from spanbert_lab.cli.data import main as data_main
from spanbert_lab.cli.data import parse_size
from spanbert_lab.data import load_corpus
from spanbert_lab.data.blocks import build_blocks, check_fills_a_block
from spanbert_lab.data.corpus import corpus_fingerprint, detect_text_format
from spanbert_lab.data.own_tokenizer import train_tokenizer
from spanbert_lab.data.tokenizer import make_tokenizer, train_wordpiece
from spanbert_lab.world.build import make_world
from spanbert_lab.world.corpus import sample_corpus

LINES = (
    "Orla Kelby was born in Vellmouth in 1843.\n"
    "She moved to Harrowgate when she was twelve.\n"
    "\n"
    "The Vell river floods every spring.\n"
    "Farmers along it plant late!\n"
)
PROSE = (
    "Orla Kelby was born in Vellmouth in 1843. She moved to Harrowgate when she was\n"
    "twelve, and stayed there until the war. Her brother did not.\n"
    "\n"
    "The Vell river floods every spring. Farmers along it plant late, and\n"
    "nobody builds on the lower meadows.\n"
)


@pytest.fixture(scope="module")
def world_text() -> str:
    return sample_corpus(make_world(), 40_000, seed=3)


def _sentences(path: Path, **kw) -> list[list[str]]:
    return list(load_corpus(path=path, **kw)["sentences"])


# ------------------------------------------------------------------------------ readers


def test_one_sentence_per_line_is_read_as_the_official_code_reads_it(tmp_path):
    (tmp_path / "a.txt").write_text(LINES, encoding="utf-8")
    assert detect_text_format(LINES) == "lines"
    assert _sentences(tmp_path / "a.txt") == [
        [
            "Orla Kelby was born in Vellmouth in 1843.",
            "She moved to Harrowgate when she was twelve.",
        ],
        ["The Vell river floods every spring.", "Farmers along it plant late!"],
    ]


def test_plain_paragraphs_are_joined_and_cut_into_sentences(tmp_path):
    (tmp_path / "a.txt").write_text(PROSE, encoding="utf-8")
    assert detect_text_format(PROSE) == "paragraphs"
    assert _sentences(tmp_path / "a.txt") == [
        [
            "Orla Kelby was born in Vellmouth in 1843.",
            "She moved to Harrowgate when she was twelve, and stayed there until the war.",
            "Her brother did not.",
        ],
        [
            "The Vell river floods every spring.",
            "Farmers along it plant late, and nobody builds on the lower meadows.",
        ],
    ]
    # the format can be forced: read as lines, each wrapped line is a "sentence"
    assert len(_sentences(tmp_path / "a.txt", text_format="lines")[0]) == 2


def test_jsonl_with_a_named_text_field_and_a_mixed_folder(tmp_path):
    records = [{"id": 1, "body": "First doc. It has two sentences."}, {"id": 2, "body": "Second."}]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "a.txt").write_text(LINES)
    docs = _sentences(tmp_path, text_field="body")
    assert docs[2:] == [["First doc.", "It has two sentences."], ["Second."]]
    assert len(docs) == 4, f"a.txt's 2 documents then b.jsonl's 2, got {len(docs)}"


@pytest.mark.parametrize("fmt", ["lines", "paragraphs", "jsonl"])
def test_the_sample_corpus_reads_back_as_the_same_documents(tmp_path, fmt):
    world = make_world()
    text = sample_corpus(world, 5_000, seed=1, text_format=fmt)
    assert len(text.encode()) >= 5_000
    path = tmp_path / ("s.jsonl" if fmt == "jsonl" else "s.txt")
    path.write_text(text, encoding="utf-8")
    lines_docs = _sentences(_write(tmp_path / "l.txt", sample_corpus(world, 5_000, seed=1)))
    docs = _sentences(path)
    assert [" ".join(d) for d in docs] == [" ".join(d) for d in lines_docs], (
        f"{fmt}: the documents differ from the lines format's"
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fingerprint_tells_corpora_apart(tmp_path):
    a = corpus_fingerprint(_write(tmp_path / "x" / "a.txt", LINES))
    b = corpus_fingerprint(_write(tmp_path / "y" / "a.txt", LINES))
    assert (a.files, a.bytes, a.sha256) == (1, len(LINES.encode()), b.sha256), "same bytes"
    assert a.path == str((tmp_path / "x" / "a.txt").resolve())
    _write(tmp_path / "y" / "a.txt", LINES.replace("1843", "1844"))
    assert corpus_fingerprint(tmp_path / "y" / "a.txt").sha256 != a.sha256, "one digit changed"
    folder = corpus_fingerprint(tmp_path / "x")
    assert (folder.files, folder.as_dict()["bytes"]) == (1, a.bytes)
    _write(tmp_path / "x" / "b.txt", LINES)
    assert corpus_fingerprint(tmp_path / "x").files == 2


# ------------------------------------------------------------------------------ bad corpora


def test_an_empty_corpus_is_a_clear_error(tmp_path):
    _write(tmp_path / "empty.txt", " \n\n  \n")
    with pytest.raises(ValueError, match=r"empty\.txt: empty document \(the file holds no text\)"):
        load_corpus(path=tmp_path / "empty.txt")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(FileNotFoundError, match=r"no \.txt or \.jsonl files"):
        load_corpus(path=tmp_path / "nothing")


def test_a_binary_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "model.txt").write_bytes(b"PK\x03\x04\x00\x00binary junk")
    with pytest.raises(ValueError, match=r"model\.txt: a binary file, not text \(a NUL byte"):
        load_corpus(path=tmp_path / "model.txt")
    (tmp_path / "fake.txt.gz").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match=r"fake\.txt\.gz: not a readable gzip file"):
        load_corpus(path=tmp_path / "fake.txt.gz")


def test_a_non_utf8_file_names_the_line(tmp_path):
    data = "First line.\nSecond line.\nCaf\u00e9 au lait.\n".encode("latin-1")
    (tmp_path / "latin.txt").write_bytes(data)
    with pytest.raises(ValueError, match=r"latin\.txt: line 3, column 4: not UTF-8 \(byte 0xe9\)"):
        load_corpus(path=tmp_path / "latin.txt")
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + LINES.encode())
    assert _sentences(tmp_path / "bom.txt")[0][0].startswith("Orla"), "a UTF-8 BOM is dropped"


def _tiny_tokenizer(text: str):
    return make_tokenizer(train_wordpiece(text.splitlines(), vocab_size=400, min_frequency=1))


def test_a_corpus_too_small_for_one_block_is_a_clear_error(tmp_path, world_text):
    tok = _tiny_tokenizer(world_text)
    docs = list(load_corpus(path=_write(tmp_path / "small.txt", LINES)))
    small = build_blocks(docs, tok, max_length=128)
    assert len(small) == 2, "two documents, two short blocks"
    with pytest.raises(ValueError, match=r"small: too small for one block: \d+ tokens in 2 block"):
        check_fills_a_block(small, "small")
    check_fills_a_block(build_blocks(docs, tok, max_length=64), "small")  # 77 tokens fill 64
    prose_as_lines = list(
        load_corpus(path=_write(tmp_path / "p.txt", PROSE * 3), text_format="lines")
    )
    with pytest.raises(ValueError, match=r"each of its \d+ sentence\(s\) is longer than a block"):
        check_fills_a_block(build_blocks(prose_as_lines, tok, max_length=16), "prose")


def test_a_vocabulary_below_the_alphabet_is_a_clear_error(tmp_path, capsys):
    corpus = _write(tmp_path / "c.txt", LINES)
    n_chars = len(set(LINES.replace("\n", "").replace(" ", "")))
    needed = 5 + 2 * n_chars
    with pytest.raises(ValueError, match=rf"vocab_size={needed - 1} is below the alphabet: .* {n_chars} distinct characters need {needed} entries"):  # fmt: skip
        train_tokenizer(corpus, tmp_path / "tok", needed - 1)
    assert not (tmp_path / "tok").exists(), "a failed run left a tokenizer folder behind"
    assert data_main(["tokenizer", "--corpus", str(corpus), "--vocab-size", "20", "--output", str(tmp_path / "tok")]) == 1  # fmt: skip
    assert "below the alphabet" in capsys.readouterr().err
    assert train_tokenizer(corpus, tmp_path / "tok", needed).vocab_size == needed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"empty document \(the file holds no text\)"),
        (b"\x00\x01\x02\x03", r"a binary file"),
        (b"ok line.\n\xff\xfe broken.\n", r"line 2, column 1: not UTF-8"),
    ],
    ids=["empty", "binary", "non-utf8"],
)
def test_the_tokenizer_command_refuses_bad_corpora_and_writes_nothing(
    tmp_path, capsys, content, message
):
    (tmp_path / "bad.txt").write_bytes(content)
    out = tmp_path / "tok"
    status = data_main(["tokenizer", "--corpus", str(tmp_path / "bad.txt"), "--vocab-size", "500", "--output", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert status == 1 and re.search(message, err), f"status {status}, stderr {err!r}"
    assert str(tmp_path / "bad.txt") in err, "the message names the file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"], "something was written"


def test_the_tokenizer_command_does_not_overwrite_a_foreign_folder(tmp_path, capsys):
    corpus = _write(tmp_path / "c.txt", LINES)
    (tmp_path / "notes").mkdir()
    _write(tmp_path / "notes" / "keep.md", "mine")
    assert data_main(["tokenizer", "--corpus", str(corpus), "--vocab-size", "300", "--output", str(tmp_path / "notes")]) == 1  # fmt: skip
    assert "holds other files" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["keep.md"]


# ------------------------------------------------------------------------------ the commands


def test_sample_corpus_and_tokenizer_commands_end_to_end(tmp_path, capsys):
    corpus, out = tmp_path / "corpus.txt", tmp_path / "tok"
    assert data_main(["sample-corpus", "--size", "30KB", "--output", str(corpus)]) == 0
    assert corpus.stat().st_size >= 30_000
    assert data_main(["tokenizer", "--corpus", str(corpus), "--vocab-size", "600", "--output", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    m = re.search(r"([\d.]+) pieces per word, \[UNK\] rate ([\d.]+)%", printed)
    assert m is not None, printed
    assert 1.0 <= float(m.group(1)) < 3.0 and float(m.group(2)) == 0.0, printed
    assert corpus_fingerprint(corpus).sha256[:16] in printed
    tok = AutoTokenizer.from_pretrained(str(out))
    assert len(tok) == 600 and tok.pad_token_id == 0 and tok.mask_token == "[MASK]"
    assert "[UNK]" not in tok.tokenize(corpus.read_text()[:500]), "a word of the corpus is [UNK]"
    # a second run replaces the tokenizer folder
    assert data_main(["tokenizer", "--corpus", str(corpus), "--vocab-size", "500", "--output", str(out), "--lowercase"]) == 0  # fmt: skip
    lower = AutoTokenizer.from_pretrained(str(out))
    assert len(lower) == 500 and lower.tokenize("ORLA Éire") == lower.tokenize("orla eire")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], "temp folder left"


def test_parse_size():
    assert parse_size("1MB") == 1_000_000 and parse_size("2MiB") == 2 * 1024**2
    assert parse_size("1.5kb") == 1500 and parse_size("300") == 300
    with pytest.raises(Exception, match="not a size"):
        parse_size("lots")


def test_a_gzipped_corpus_folder_reads_like_plain(tmp_path):
    (tmp_path / "gz").mkdir()
    (tmp_path / "gz" / "a.txt.gz").write_bytes(gzip.compress(LINES.encode()))
    assert _sentences(tmp_path / "gz") == _sentences(_write(tmp_path / "plain.txt", LINES))
