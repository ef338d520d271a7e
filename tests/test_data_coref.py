"""Coreference in miniature: the shipped files (antecedents point back to the same entity, first
mentions have none, documents fit 128 WordPieces), what makes them hard (several people, pronouns
that are not the nearest compatible mention's, links the baseline misses) and what keeps them
resolvable (each pronoun and description picks one entity by the writer's rules), the scores and
the baseline on hand-made cases, and the writer's mention records."""

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
from spanbert_lab.world.tasks_coref import (
    MAX_SENTENCES,
    MIN_PEOPLE,
    MIN_SENTENCES,
    SPLIT_DOCS,
    make_split,
)
from spanbert_lab.world.text import MENTION_FORMS, article, concat, ent, refer, render

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
            assert d["text"] == " ".join(d["sentences"])
            assert MIN_SENTENCES <= len(d["sentences"]) <= MAX_SENTENCES, d["id"]
            assert any(m["antecedent"] is not None for m in d["mentions"]), d["id"]
    assert n_links > 3000, n_links


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


def _sentence_of(d: dict) -> list[int]:
    """The index of the sentence each mention of ``d`` is in."""
    starts, pos = [], 0
    for sent in d["sentences"]:
        starts.append(pos)
        pos += len(sent) + 1
    return [max(k for k, s in enumerate(starts) if s <= m["start"]) for m in d["mentions"]]


def _people(ms: list[dict]) -> dict[str, str]:
    """Person entity -> gender, for the mentions ``ms``."""
    return {m["entity"]: m["gender"] for m in ms if m["type"] == "PER"}


def test_documents_need_context_not_the_nearest_compatible_mention(shipped) -> None:
    """Several people per document; many pronouns refer to someone other than the document's
    first-named entity; the nearest-compatible baseline misses a fair share of the links, and of
    the pronouns among them (a same-gender person came in between)."""
    for split, docs in shipped.items():
        assert all(len(_people(d["mentions"])) >= MIN_PEOPLE for d in docs), split
        three = sum(len(_people(d["mentions"])) >= 3 for d in docs) / len(docs)
        assert three > 0.15, (split, three)
        pronouns = [
            (d, m)
            for d in docs
            for m in d["mentions"]
            if m["form"] == "pronoun" and m["type"] == "PER"
        ]
        not_first = sum(m["entity"] != d["mentions"][0]["entity"] for d, m in pronouns)
        assert not_first / len(pronouns) > 0.3, (split, not_first / len(pronouns))
        missed: dict[str, list[bool]] = {"all": [], "pronoun": []}
        for d in docs:
            ms = d["mentions"]
            for m, j in zip(ms, nearest_compatible(ms), strict=True):
                if m["antecedent"] is not None:
                    wrong = j is None or ms[j]["entity"] != m["entity"]
                    missed["all"].append(wrong)
                    if m["form"] == "pronoun":
                        missed["pronoun"].append(wrong)
        for key, bound in (("all", 0.15), ("pronoun", 0.12)):
            share = sum(missed[key]) / len(missed[key])
            assert share > bound, f"{split}: the baseline misses only {share:.1%} of {key} links"


def test_every_pronoun_picks_one_person_by_the_writers_rules(shipped) -> None:
    """A person pronoun is the only person of its gender so far; or it opens its sentence and
    continues the previous sentence's subject (its first mention) or the only person of its
    gender there; or it follows its own sentence's subject with no same-gender person between."""
    n = 0
    for docs in shipped.values():
        for d in docs:
            ms, sent = d["mentions"], _sentence_of(d)
            for i, m in enumerate(ms):
                if m["form"] != "pronoun" or m["type"] != "PER":
                    continue
                n += 1
                before = ms[:i]
                same = {e for e, g in _people(before).items() if g == m["gender"]}
                if same == {m["entity"]}:
                    continue
                k = sent[i]
                here = [j for j in range(i) if sent[j] == k]
                prev = [ms[j] for j in range(i) if sent[j] == k - 1]
                if not here:  # opens its sentence
                    prev_same = {e for e, g in _people(prev).items() if g == m["gender"]}
                    ok = bool(prev) and (
                        prev[0]["entity"] == m["entity"] or prev_same == {m["entity"]}
                    )
                else:
                    between = [ms[j] for j in here if ms[j]["type"] == "PER"]
                    ok = ms[here[0]]["entity"] == m["entity"] and all(
                        b["entity"] == m["entity"] or b["gender"] != m["gender"] for b in between
                    )
                assert ok, f"{d['id']}: {m['text']!r} at {m['start']} is ambiguous"
    assert n > 1000, n


def test_descriptions_of_people_name_a_stated_unshared_occupation() -> None:
    """'the painter' comes after the text has said someone is a painter, and no other person named
    before it has that occupation in the world (so it picks one person)."""
    world = make_world()
    docs = make_split(world, "dev", 60, random.Random(7))
    n = 0
    for d in docs:
        ms = d["mentions"]
        for i, m in enumerate(ms):
            if m["form"] == "nominal" and m["type"] == "PER":
                n += 1
                occ = world.people[m["entity"]].occupation
                assert m["text"].lower() == f"the {occ}", m
                assert f"{article(occ)} {occ}" in d["text"][: m["start"]], (d["id"], m)
                others = {e for e in _people(ms[:i]) if e != m["entity"]}
                assert all(world.people[e].occupation != occ for e in others), (d["id"], m)
    assert n > 20, n


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
