"""Your own data: CoNLL, TSV/CSV/JSONL, JSONL text and SQuAD files read offline, clear errors.

The sample files live in ``tests/fixtures/own_data/`` (invented sentences in the standard
layouts: CoNLL-2003's 4 columns with IOB1 tags, GLUE's SST-2 TSV, a CSV with quoted commas,
JSONL) and ``malformed/`` holds one broken variant per error the loaders must explain.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from spanbert_lab.contracts import NER_TAGS
from spanbert_lab.data import (
    load_classification,
    load_corpus,
    load_ner,
    load_qa,
    load_squad_json,
)
from spanbert_lab.data.conll import ner_label_names, read_conll, to_bio
from spanbert_lab.data.formats import label_names_from, read_table, split_sentences
from spanbert_lab.tasks.ner_metric import get_entities

FIXTURES = Path(__file__).parent / "fixtures" / "own_data"
BAD = FIXTURES / "malformed"
CONLL_TYPES = ["LOC", "MISC", "ORG", "PER"]


def raw_conll_sentences(path: Path) -> list[list[list[str]]]:
    """The file's sentences as lists of column lists, read independently of the library."""
    blocks = path.read_text().split("\n\n")
    rows = [[ln.split() for ln in b.splitlines() if ln.strip()] for b in blocks]
    return [s for s in rows if s and s[0][0] != "-DOCSTART-"]


def tag_names(ds, i: int) -> list[str]:
    names = ds.features["ner_tags"].feature.names
    return [names[t] for t in ds[i]["ner_tags"]]


# ----------------------------------------------------------------------------------- NER files


def test_conll2003_layout_loads_with_the_right_counts() -> None:
    train = load_ner("train", FIXTURES / "conll2003")
    dev = load_ner("dev", FIXTURES / "conll2003")  # found as valid.txt
    raw_train = raw_conll_sentences(FIXTURES / "conll2003" / "train.txt")
    raw_dev = raw_conll_sentences(FIXTURES / "conll2003" / "valid.txt")
    assert (len(train), len(dev)) == (40, 12) == (len(raw_train), len(raw_dev))
    assert sum(len(t) for t in train["tokens"]) == 406 == sum(len(s) for s in raw_train)
    assert train[0]["tokens"] == [row[0] for row in raw_train[0]]
    assert "-DOCSTART-" not in {t for toks in train["tokens"] for t in toks}
    names = train.features["ner_tags"].feature.names
    assert names == ["O", *(f"{p}-{k}" for k in CONLL_TYPES for p in "BI")]
    # IOB1 (entities open with I-) was read as BIO: every entity opens with B-
    for i in range(len(train)):
        tags = tag_names(train, i)
        raw = [row[-1] for row in raw_train[i]]
        assert [t[2:] for t in tags] == [t[2:] for t in raw], f"sentence {i}: types changed"
        for j, tag in enumerate(tags):
            if tag.startswith("I-"):
                assert j > 0 and tags[j - 1][2:] == tag[2:], f"sentence {i}: stray {tag} at {j}"
    # the file's B- tags (two adjacent PER entities) survive as two entities
    adjacent = [i for i, s in enumerate(raw_train) if any(r[-1].startswith("B-") for r in s)]
    assert adjacent, "fixture lost its IOB1 B- case"
    i = adjacent[0]
    raw = [r[-1] for r in raw_train[i]]
    assert len(get_entities(tag_names(train, i))) == sum(
        t.startswith("B-") or (t.startswith("I-") and (k == 0 or raw[k - 1][2:] != t[2:]))
        for k, t in enumerate(raw)
    )


def test_conll_tag_column_is_configurable() -> None:
    chunks = load_ner("train", FIXTURES / "conll2003", tag_column=2)
    names = chunks.features["ner_tags"].feature.names
    assert names == ["O", "B-ADVP", "I-ADVP", "B-NP", "I-NP", "B-PP", "I-PP", "B-VP", "I-VP"]
    assert len(chunks) == 40


def test_iob1_and_iob2_are_read_as_bio() -> None:
    iob1 = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG"]
    bio = ["B-PER", "I-PER", "B-PER", "O", "B-LOC", "B-ORG", "I-ORG"]
    assert to_bio(iob1) == bio == to_bio(iob1, "iob1")
    assert to_bio(bio) == bio == to_bio(bio, "iob2")
    with pytest.raises(ValueError, match=r"'I-PER' at the start of the sentence opens an entity: not IOB2"):  # fmt: skip
        to_bio(iob1, "bio")
    with pytest.raises(ValueError, match="unknown tag scheme 'bioes'"):
        to_bio(bio, "bioes")
    assert ner_label_names([["O", "B-ZZ"], ["B-AA", "I-AA"]]) == ["O", "B-AA", "I-AA", "B-ZZ", "I-ZZ"]  # fmt: skip


def test_ner_jsonl_with_any_tag_set() -> None:
    ds = load_ner(path=FIXTURES / "ner.jsonl")
    assert len(ds) == 4 and ds["id"] == ["bio-1", "bio-2", "bio-3", "bio-4"]
    names = ds.features["ner_tags"].feature.names
    assert names == ["O", "B-CELL", "I-CELL", "B-DRUG", "I-DRUG", "B-GENE", "I-GENE"]
    assert tag_names(ds, 1)[3:6] == ["B-DRUG", "I-DRUG", "I-DRUG"]
    given = ["O", "B-GENE", "I-GENE", "B-DRUG", "I-DRUG", "B-CELL", "I-CELL", "B-X", "I-X"]
    ds = load_ner(path=FIXTURES / "ner.jsonl", labels=given)
    assert ds.features["ner_tags"].feature.names == given and ds[0]["ner_tags"][0] == 3
    # integer tags read through the given names
    ints = load_ner(path=BAD / "int_tags.jsonl", labels=["O", "B-PER", "I-PER", "B-ORG", "I-ORG"])
    assert tag_names(ints, 0) == ["B-ORG", "O", "O"]


def test_course_tag_set_in_jsonl_keeps_the_course_ids(tmp_path: Path) -> None:
    rows = [{"id": "a", "tokens": ["Orla", "Kelby", "sailed"], "ner_tags": ["B-PER", "I-PER", "O"]}]  # fmt: skip
    (tmp_path / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_ner("train", tmp_path)
    assert ds.features["ner_tags"].feature.names == list(NER_TAGS)
    assert ds[0]["ner_tags"] == [NER_TAGS.index(t) for t in rows[0]["ner_tags"]]


# ------------------------------------------------------------------------ classification files


def test_glue_sst2_tsv_loads_with_the_right_counts() -> None:
    train = load_classification("train", FIXTURES / "sst2")
    dev = load_classification("dev", FIXTURES / "sst2")
    lines = (FIXTURES / "sst2" / "train.tsv").read_text().splitlines()
    assert lines[0] == "sentence\tlabel"
    raw = Counter(ln.rsplit("\t", 1)[1] for ln in lines[1:])
    assert (len(train), len(dev)) == (64, 24) and sum(raw.values()) == 64
    assert train.features["label"].names == ["0", "1"]
    assert Counter(train["label"]) == {0: raw["0"], 1: raw["1"]}
    assert train[0]["text"] == lines[1].rsplit("\t", 1)[0].strip()
    named = load_classification("train", FIXTURES / "sst2", labels=["negative", "positive"])
    assert named.features["label"].names == ["negative", "positive"]
    assert named["label"] == train["label"]  # integers read as ids into the given names


def test_csv_with_quoted_commas_quotes_and_line_breaks() -> None:
    ds = load_classification(path=FIXTURES / "reviews.csv")
    assert len(ds) == 8 and ds["id"][:2] == ["r1", "r2"]
    assert ds[0]["text"] == "Fast delivery, friendly staff, fair prices."
    assert ds[3]["text"] == 'She said "never again", and I agree.'
    assert ds[6]["text"] == "Two stars: noisy, slow,\nand the manual is missing pages."
    assert ds[7]["text"] == "Solid and quiet"
    assert ds.features["label"].names == ["negative", "neutral", "positive"]
    assert ds["label"] == [2, 0, 1, 0, 2, 1, 0, 2]


def test_headerless_and_positional_columns() -> None:
    ds = load_classification(path=FIXTURES / "headerless.csv")  # label column: the one-word one
    assert len(ds) == 4 and ds.features["label"].names == ["0", "1", "2"]
    assert ds[0]["text"] == "A calm, clear explanation of the rules." and ds["label"] == [1, 0, 1, 2]  # fmt: skip
    same = load_classification(path=FIXTURES / "headerless.csv", text_column=1, label_column=0)
    assert same["text"] == ds["text"] and same["label"] == ds["label"]
    one = load_classification(path=FIXTURES / "headerless.csv", label_column=0)  # text: the other
    assert one["text"] == ds["text"] and one["label"] == ds["label"]
    swapped = load_classification(path=FIXTURES / "headerless.csv", text_column=0, label_column=1)
    assert swapped.features["label"].num_classes == 4  # each text becomes a class: as asked


def test_jsonl_integer_labels_any_number_of_classes() -> None:
    ds = load_classification(path=FIXTURES / "topics.jsonl")  # text from the "content" field
    assert ds.features["label"].names == ["0", "1", "2", "3"]
    assert ds["label"] == [2, 1, 3, 1, 2, 3, 0]
    names = ["politics", "sport", "business", "science"]
    ds = load_classification(path=FIXTURES / "topics.jsonl", labels=names)
    assert [names[y] for y in ds["label"][:3]] == ["business", "sport", "science"]


def test_user_named_columns() -> None:
    ds = load_classification(path=BAD / "no_label_column.tsv", label_column="score")
    assert ds["label"] == [1, 0] and ds["text"] == ["a charming film .", "a dull film ."]
    rows = read_table(FIXTURES / "reviews.csv", text_column="TEXT", label_column="id")
    assert [r["label"] for r in rows][:2] == ["r1", "r2"]  # names match case-insensitively


def test_label_names_from_data() -> None:
    assert label_names_from([10, 2, 1, "2"]) == ["1", "2", "10"]
    assert label_names_from(["pos", "neg", "pos"]) == ["neg", "pos"]


# --------------------------------------------------------------------------------- clear errors

# fmt: off
MALFORMED = [
    ("wrong_columns.conll", load_ner, {}, r"wrong_columns\.conll: line 7: expected 4 columns \(as on line 3\), found 3: '\.  O O'"),
    ("bioes.conll", load_ner, {}, r"bioes\.conll: line 1: 'EU NNP I-NP S-ORG': unknown tag scheme: 'S-ORG' \(a BIOES tag\)"),
    ("mixed.conll", load_ner, {}, r"mixed\.conll: line 3: mixed delimiters: .*'rose\\tVBD\\tI-VP\\tO'"),
    ("blank.conll", load_ner, {}, r"blank\.conll: the file is empty"),
    ("int_tags.jsonl", load_ner, {}, r"int_tags\.jsonl: .*integer tags need the label names .*line 1: "),
    ("bad_line.jsonl", load_classification, {}, r"bad_line\.jsonl: line 2: not valid JSON .*: '\{\"content\": \"The striker scored\", \"label\": 1'"),
    ("empty.tsv", load_classification, {}, r"empty\.tsv: the file is empty"),
    ("no_label_column.tsv", load_classification, {}, r"no_label_column\.tsv: no label column \(looked for 'label', .*\); the columns are \['sentence', 'score'\]"),
    ("no_label_column.tsv", load_classification, {"label_column": "stars"}, r"no label column 'stars'; the columns are \['sentence', 'score'\]"),
    ("mixed.tsv", load_classification, {}, r"mixed\.tsv: line 3: mixed delimiters: this line is separated by a comma, line 1 by a tab: 'a dull , clumsy film \.,0'"),
    ("extra_field.csv", load_classification, {}, r"extra_field\.csv: line 3: expected 3 fields \(as on line 1\), found 4: 'r2,Late parcel, crushed box,negative'"),
    ("unclosed_quote.csv", load_classification, {}, r"unclosed_quote\.csv: line 3: malformed CSV .*: 'r2,\"The parcel arrived late, and,negative"),
    ("tabs_named.csv", load_classification, {}, r"tabs_named\.csv: line 1: .*one field \(it holds a tab: pass format='tsv'\)"),
    ("no_text_field.jsonl", load_corpus, {}, r"no_text_field\.jsonl: line 2: no field 'text' \(the record has \['body', 'id'\]\)"),
]
# fmt: on


@pytest.mark.parametrize(("name", "loader", "kwargs", "message"), MALFORMED, ids=[f"{m[0]}-{m[1].__name__}" for m in MALFORMED])  # fmt: skip
def test_every_malformed_sample_gets_its_clear_error(name, loader, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        loader(path=BAD / name, **kwargs)


def test_every_malformed_file_is_covered() -> None:
    tested = {m[0] for m in MALFORMED} | {"unseen.conll", "unseen_labels.tsv", "int_tags.jsonl"}
    assert {p.name for p in BAD.iterdir()} == tested


def test_labels_unseen_in_training_are_listed() -> None:
    train = load_classification("train", FIXTURES / "sst2")
    with pytest.raises(ValueError, match=r"unseen_labels\.tsv: labels not in the training data: '2' \(2×, first on line 3\); the training data has \['0', '1'\]"):  # fmt: skip
        load_classification(path=BAD / "unseen_labels.tsv", labels=train.features["label"].names,
                            label_source="the training data")  # fmt: skip
    names = load_ner("train", FIXTURES / "conll2003").features["ner_tags"].feature.names
    with pytest.raises(ValueError, match=r"unseen\.conll: labels not in the given label set: 'B-DATE' \(1×, first in the sentence on line 1\)"):  # fmt: skip
        load_ner(path=BAD / "unseen.conll", labels=names)


def test_strict_iob2_names_the_line() -> None:
    with pytest.raises(ValueError, match=r"train\.txt: line 3: 'Hilde NNP I-NP I-PER': 'I-PER' at the start of the sentence opens an entity: not IOB2"):  # fmt: skip
        read_conll(FIXTURES / "conll2003" / "train.txt", scheme="iob2")


def test_missing_split_file_lists_the_names_tried(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no test file .*test\.conll.*eng\.testb"):
        load_ner("test", FIXTURES / "conll2003")
    with pytest.raises(FileNotFoundError, match=r"test\.tsv.*test\.csv"):
        load_classification("test", FIXTURES / "sst2")


# ------------------------------------------------------------------------- pretraining and QA


def test_pretraining_text_from_jsonl_and_text_folders(tmp_path: Path) -> None:
    ds = load_corpus(path=FIXTURES / "corpus.jsonl")
    assert ds["sentences"] == [
        ["Rimholt is a harbour town.", "It was founded in 1602 by fishers from Taldor.",
         "Its lighthouse is the oldest on the coast!"],
        ["Kesh Mining opened its first pit in 1871.", "The company now employs 2,400 people."],
        ["Dalia Voss wrote three novels.", "Did she ever visit Port Kesh?", "Nobody knows."],
    ]  # fmt: skip
    assert ds[0]["entities"] == [[], [], []]
    shutil.copy(FIXTURES / "corpus.jsonl", tmp_path / "b.jsonl")
    (tmp_path / "a.txt").write_text("One line.\nTwo lines.\n")
    (tmp_path / "c.jsonl.gz").write_bytes(gzip.compress(b'{"body": "Mr. Holt left. He won."}\n'))
    with pytest.raises(ValueError, match=r"b\.jsonl: line 1: no field 'body'"):
        load_corpus(path=tmp_path, text_field="body")
    (tmp_path / "c.jsonl.gz").unlink()
    ds = load_corpus(path=tmp_path)
    assert len(ds) == 4 and ds[0]["sentences"] == ["One line.", "Two lines."]


def test_split_sentences() -> None:
    assert split_sentences('He left. "Why?" she asked.\nNew line 2. 3 more') == [
        "He left.", '"Why?" she asked.', "New line 2.", "3 more"
    ]  # fmt: skip
    assert split_sentences("version 2.0 is out. done.") == ["version 2.0 is out. done."]


def test_squad_file_whatever_its_name(tmp_path: Path) -> None:
    data = load_squad_json("dev", "2.0")  # the course file, saved under names of our own
    (tmp_path / "my questions (v2).json").write_text(json.dumps(data))
    ds = load_qa("dev", "2.0", path=tmp_path / "my questions (v2).json")
    n = sum(len(p["qas"]) for a in data["data"] for p in a["paragraphs"])
    assert len(ds) == n
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "holdout-dev-set.json").write_text(json.dumps(data))
    assert len(load_qa("dev", "2.0", path=folder)) == n
    (folder / "other-dev.json").write_text(json.dumps(data))
    with pytest.raises(FileNotFoundError, match=re.escape("several dev SQuAD files")):
        load_qa("dev", "2.0", path=folder)
