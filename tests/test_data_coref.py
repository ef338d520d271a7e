"""Coreference in miniature: the shipped files (antecedents point back to the same entity, first
mentions have none, documents fit 128 WordPieces), the scores and the baseline on hand-made
cases, and the writer's mention records."""

from __future__ import annotations

import random

import pytest

from spanbert_lab.data import load_tokenizer
from spanbert_lab.data.coref import (
    antecedent_accuracy,
    gold_antecedents,
    load_coref,
    muc_scores,
    nearest_compatible,
    read_coref,
    validate_document,
)
from spanbert_lab.runtime import data_dir
from spanbert_lab.world.build import make_world
from spanbert_lab.world.tasks_coref import SPLIT_DOCS, make_split
from spanbert_lab.world.text import MENTION_FORMS, concat, ent, refer, render

SPLITS = ("train", "dev", "test")


@pytest.fixture(scope="module")
def shipped() -> dict[str, list[dict]]:
    return {s: read_coref(data_dir() / "coref" / f"{s}.jsonl.gz") for s in SPLITS}


# ----------------------------------------------------------------------------- the files


def test_antecedents_point_back_to_the_closest_mention_of_the_same_entity(shipped) -> None:
    n_links = 0
    for split, docs in shipped.items():
        assert len(docs) == SPLIT_DOCS[split], (split, len(docs))
        for d in docs:
            seen: dict[str, int] = {}
            for i, m in enumerate(d["mentions"]):
                j = m["antecedent"]
                if m["entity"] not in seen:
                    assert j is None, f"{d['id']} mention {i}: a first mention has antecedent {j}"
                else:
                    assert j is not None and 0 <= j < i, f"{d['id']} mention {i}: {j}"
                    assert d["mentions"][j]["entity"] == m["entity"], f"{d['id']} mention {i}"
                    assert j == seen[m["entity"]], f"{d['id']} mention {i}: not the closest"
                    n_links += 1
                seen[m["entity"]] = i
                assert d["text"][m["start"] : m["end"]] == m["text"], (d["id"], m)
                assert m["form"] in MENTION_FORMS and m["type"] in ("PER", "ORG", "LOC", "EVENT")
                assert (m["gender"] is not None) == (m["type"] == "PER"), m
            assert d["text"] == " ".join(d["sentences"]) and 2 <= len(d["sentences"]) <= 6
            assert any(m["antecedent"] is not None for m in d["mentions"]), d["id"]
    assert n_links > 1000, n_links


def test_every_form_occurs_and_pronouns_agree_with_their_entity(shipped) -> None:
    mentions = [m for d in shipped["train"] for m in d["mentions"]]
    assert {m["form"] for m in mentions} == set(MENTION_FORMS)
    for m in mentions:
        if m["form"] == "pronoun" and m["type"] == "PER":
            feminine = m["text"].lower() in ("she", "her")
            assert feminine == (m["gender"] == "f"), m
        elif m["form"] == "pronoun":
            assert m["text"].lower() == "its", m


def test_documents_fit_128_wordpieces_and_splits_share_no_document(shipped) -> None:
    tok = load_tokenizer()
    for split, docs in shipped.items():
        longest = max(len(ids) for ids in tok([d["text"] for d in docs])["input_ids"])
        assert longest <= 128, f"{split}: a document of {longest} WordPieces"
    texts = {s: {d["text"] for d in docs} for s, docs in shipped.items()}
    assert not texts["train"] & texts["dev"] and not texts["train"] & texts["test"]
    assert not texts["dev"] & texts["test"]
    ids = [d["id"] for docs in shipped.values() for d in docs]
    assert len(set(ids)) == len(ids)


def test_load_coref_gives_a_dataset_with_nulls_kept() -> None:
    dev = load_coref("dev")
    assert len(dev) == SPLIT_DOCS["dev"]
    first = dev[0]["mentions"][0]
    assert first["antecedent"] is None and isinstance(first["start"], int)


def test_read_coref_refuses_a_wrong_antecedent(tmp_path) -> None:
    bad = (
        '{"text": "Ann met Bo. She left.", "mentions": ['
        '{"start": 0, "end": 3, "entity": "A", "antecedent": null},'
        '{"start": 12, "end": 15, "entity": "A", "antecedent": null}]}\n'
    )
    (tmp_path / "dev.jsonl").write_text(bad)
    with pytest.raises(ValueError, match=r"line 1.*closest earlier mention"):
        load_coref("dev", tmp_path)
    doc = {"text": "Ann", "mentions": [{"start": 0, "end": 4, "entity": "A", "antecedent": None}]}
    assert "outside the text" in validate_document(doc)


def test_the_writer_records_pronouns_and_descriptions_without_changing_the_text() -> None:
    she = refer("she", "P1", "pronoun")
    piece = render(
        "[{s}'s sister] said {p} had left [the company].", s=ent("Ann Vell", "PER", "P1"), p=she
    )
    piece = concat("Yes. ", piece)
    assert piece.text == "Yes. Ann Vell's sister said she had left the company."
    assert [piece.text[s:e] for s, e, _, _ in piece.mentions] == ["Ann Vell", "she"]
    assert [(i, f) for _, _, i, f in piece.mentions] == [("P1", "name"), ("P1", "pronoun")]
    assert [r[2] for r in piece.refs] == ["P1"], "refs keep named mentions only"
    with pytest.raises(ValueError, match="form"):
        refer("it", "O1", "thing")


def test_a_fresh_split_is_deterministic() -> None:
    world = make_world()
    a = make_split(world, "dev", 5, random.Random(3))
    assert a == make_split(world, "dev", 5, random.Random(3))


# ----------------------------------------------------------------------------- scores


ENTITIES = [["A", "B", "A", "A", "B"]]  # gold antecedents: None, None, 0, 2, 1


def test_gold_antecedents_are_the_closest_earlier_mention() -> None:
    assert gold_antecedents(ENTITIES[0]) == [None, None, 0, 2, 1]


def test_perfect_predictions_score_one() -> None:
    gold = [gold_antecedents(ENTITIES[0])]
    assert antecedent_accuracy(ENTITIES, gold) == (5, 5)
    assert muc_scores(ENTITIES, gold) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    # any earlier mention of the same entity is a right antecedent, not only the closest
    assert antecedent_accuracy(ENTITIES, [[None, None, 0, 0, 1]]) == (5, 5)


def test_all_none_gets_the_first_mentions_right_and_no_links() -> None:
    none = [[None] * 5]
    assert antecedent_accuracy(ENTITIES, none) == (2, 5)
    assert muc_scores(ENTITIES, none) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_one_wrong_link() -> None:
    pred = [[None, None, 0, 1, 1]]  # mention 3 (A) linked to mention 1 (B)
    assert antecedent_accuracy(ENTITIES, pred) == (4, 5)
    # response clusters {0, 2}, {1, 3, 4}: recall (1 + 1) / (2 + 1), precision (1 + 1) / (1 + 2)
    muc = muc_scores(ENTITIES, pred)
    assert muc["recall"] == pytest.approx(2 / 3) and muc["precision"] == pytest.approx(2 / 3)
    assert muc["f1"] == pytest.approx(2 / 3)


def test_muc_counts_a_split_cluster_as_missing_links_only() -> None:
    # Vilain et al.'s example: key {a, b, c, d}, response {a, b} {c, d}: R = 2/3, P = 1
    muc = muc_scores([["x"] * 4], [[None, 0, None, 2]])
    assert muc["recall"] == pytest.approx(2 / 3) and muc["precision"] == 1.0


def test_scores_refuse_forward_links_and_wrong_lengths() -> None:
    with pytest.raises(ValueError, match="earlier mention"):
        antecedent_accuracy(ENTITIES, [[None, None, 3, 2, 1]])
    with pytest.raises(ValueError, match="4 predictions for 5 mentions"):
        muc_scores(ENTITIES, [[None] * 4])


# ----------------------------------------------------------------------------- baseline


def _m(text: str, type_: str, form: str, gender: str | None = None) -> dict:
    return {"text": text, "type": type_, "form": form, "gender": gender}


def test_the_baseline_takes_the_nearest_compatible_mention() -> None:
    mentions = [
        _m("Ann Vell", "PER", "name", "f"),  # 0
        _m("Bo Vell", "PER", "name", "m"),  # 1
        _m("Vellmouth Bank", "ORG", "name"),  # 2
        _m("she", "PER", "pronoun", "f"),  # 3 -> 0 (nearest woman), skipping Bo
        _m("his", "PER", "pronoun", "m"),  # 4 -> 1
        _m("its", "ORG", "pronoun"),  # 5 -> 2 (nearest non-person)
        _m("the bank", "ORG", "nominal"),  # 6 -> 5 (nearest ORG mention)
        _m("Vell", "PER", "surname", "f"),  # 7 -> 1 (nearest person holding the word)
        _m("Ann Vell", "PER", "name", "f"),  # 8 -> 0 (identical)
        _m("Cy Dorn", "PER", "name", "m"),  # 9 -> none
        _m("the town", "LOC", "nominal"),  # 10 -> none (no place before)
    ]
    assert nearest_compatible(mentions) == [None, None, None, 0, 1, 2, 5, 1, 0, None, None]
    entities = [["A", "B", "O", "A", "B", "O", "O", "A", "A", "C", "T"]]
    right, total = antecedent_accuracy(entities, [nearest_compatible(mentions)])
    assert (right, total) == (10, 11), "only the shared surname fools it"
