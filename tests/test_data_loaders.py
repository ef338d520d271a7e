"""Loaders: offline on the course data, on local user files, and clear errors on bad input."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import datasets
import pytest

from spanbert_lab.data import (
    load_classification,
    load_corpus,
    load_ner,
    load_qa,
    load_squad_json,
    load_tokenizer,
)

SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Vell",
            "paragraphs": [
                {
                    "context": "Orla Kelby was born in Upper Vell in 1843.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Where was Orla Kelby born?",
                            "answers": [{"text": "Upper Vell", "answer_start": 23}],
                        },
                        {
                            "id": "q2",
                            "question": "When?",
                            "answers": [{"text": "1843", "answer_start": 37}],
                        },
                    ],
                }
            ],
        }
    ],
}


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_course_loaders_work_offline() -> None:
    assert all(callable(f) for f in (load_corpus, load_tokenizer, load_qa, load_ner))
    corpus = load_corpus("dev")
    assert isinstance(corpus, datasets.Dataset)
    assert corpus.column_names == ["id", "sentences", "entities", "noun_phrases"]
    row = corpus[0]
    for sent, ents, nps in zip(row["sentences"], row["entities"], row["noun_phrases"], strict=True):  # fmt: skip
        for span in ents + nps:
            assert 0 <= span["start"] < span["end"] <= len(sent)
        assert all(s["label"] == "NP" for s in nps) and all(s["label"] != "NP" for s in ents)
    assert load_qa("test", "1.1").column_names == ["id", "title", "context", "question", "answers"]
    assert load_ner("dev").column_names == ["id", "tokens", "ner_tags"]
    assert load_classification("dev").column_names == ["id", "text", "label"]


def test_local_squad_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "mine.json", SQUAD)
    ds = load_qa("train", path=path)
    assert ds["id"] == ["q1", "q2"] and ds[0]["answers"] == {"text": ["Upper Vell"], "answer_start": [23]}  # fmt: skip
    assert load_squad_json(path=path) == SQUAD
    folder = tmp_path / "official"
    folder.mkdir()
    _write(folder / "dev-v1.1.json", SQUAD)  # the official file name
    assert len(load_qa("dev", "1.1", path=folder)) == 2


def test_local_text_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("First sentence.\nSecond one.\n\nAnother document.\n")
    (tmp_path / "b.txt").write_text("A third document.\n")
    ds = load_corpus("train", path=tmp_path)
    assert ds["sentences"] == [["First sentence.", "Second one."], ["Another document."], ["A third document."]]  # fmt: skip
    assert ds[0]["entities"] == [[], []]
    single = load_corpus("train", path=tmp_path / "b.txt")
    assert single["sentences"] == [["A third document."]]


def test_local_ner_and_classification_files(tmp_path: Path) -> None:
    ner = tmp_path / "ner.jsonl"
    ner.write_text(json.dumps({"id": "s1", "tokens": ["Orla", "sailed"], "ner_tags": ["B-PER", "O"]}) + "\n")  # fmt: skip
    ds = load_ner("train", path=ner)
    assert ds[0]["ner_tags"] == [1, 0]
    cls = tmp_path / "train.jsonl.gz"
    cls.write_bytes(gzip.compress(json.dumps({"id": "r1", "text": "Lovely.", "label": "positive"}).encode()))  # fmt: skip
    assert load_classification("train", path=tmp_path)[0]["label"] == 2


def test_malformed_squad_json_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"data": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json.*not valid JSON"):
        load_qa(path=bad)
    no_layout = _write(tmp_path / "flat.json", [{"question": "?"}])
    with pytest.raises(ValueError, match=r"flat\.json.*'data'"):
        load_qa(path=no_layout)


def test_answer_not_at_offset_names_file_and_item(tmp_path: Path) -> None:
    data = json.loads(json.dumps(SQUAD))
    data["data"][0]["paragraphs"][0]["qas"][1]["answers"][0]["answer_start"] = 30
    path = _write(tmp_path / "shifted.json", data)
    with pytest.raises(ValueError, match=r"shifted\.json: question 'q2': answer '1843' is not at answer_start 30"):  # fmt: skip
        load_qa(path=path)


def test_impossible_flags_are_checked(tmp_path: Path) -> None:
    data = json.loads(json.dumps(SQUAD))
    data["data"][0]["paragraphs"][0]["qas"][0]["answers"] = []
    with pytest.raises(ValueError, match="'q1' has no answer and is not marked is_impossible"):
        load_qa(path=_write(tmp_path / "v2.json", data))


def test_empty_document_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A sentence.\n")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ValueError, match=r"empty\.txt: empty document"):
        load_corpus(path=tmp_path)


def test_missing_files_raise_file_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(FileNotFoundError, match=r"nope\.json"):
        load_qa(path=missing)
    with pytest.raises(FileNotFoundError, match="nope"):
        load_corpus(path=tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=r"test\.jsonl"):
        load_ner("test", path=tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_qa("validation")


def test_bad_ner_and_annotation_records_name_the_item(tmp_path: Path) -> None:
    ner = tmp_path / "ner.jsonl"
    ner.write_text(json.dumps({"id": "s9", "tokens": ["a", "b"], "ner_tags": ["O"]}) + "\n")
    with pytest.raises(ValueError, match=r"ner\.jsonl: s9: 'ner_tags'"):
        load_ner(path=ner)
    (tmp_path / "train.txt").write_text("Orla sailed.\n")
    (tmp_path / "train.annotations.jsonl").write_text('{"doc": 0, "sent": 0, "spans": [[0, 40, "PER"]]}\n')  # fmt: skip
    with pytest.raises(ValueError, match=r"train\.annotations\.jsonl: document 0, sentence 0"):
        load_corpus(path=tmp_path)


def test_data_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPANBERT_LAB_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_qa("dev")
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_tokenizer()
