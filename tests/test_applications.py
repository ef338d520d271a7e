"""The application studies' building blocks: statistics, lexical retrieval, relation data and
scores, ranking metrics, summaries, probes and encoder pooling — each against a hand-computed value."""

from __future__ import annotations

import math
import random

import pytest
import torch

from spanbert_lab.applications import probe, search, summarise
from spanbert_lab.applications.encoders import embed, layer_features, load_encoder, token_states
from spanbert_lab.applications.lexical import BM25Index, TfidfIndex, words
from spanbert_lab.stats import bootstrap_interval, paired_difference, t_interval
from spanbert_lab.tasks import relations
from spanbert_lab.world.build import make_world


@pytest.fixture(scope="module")
def world():
    return make_world()


# --- statistics ------------------------------------------------------------------------------------


def test_t_interval_matches_the_formula():
    mean, low, high = t_interval([1.0, 2.0, 3.0])  # sd 1, n 3, t(2) = 4.303
    half = 4.303 / math.sqrt(3)
    assert mean == 2.0 and math.isclose(low, 2 - half) and math.isclose(high, 2 + half)
    with pytest.raises(ValueError, match="at least 2"):
        t_interval([1.0])


def test_bootstrap_interval_is_reproducible_and_brackets_the_mean():
    x = torch.tensor([0.0, 1.0] * 50)
    a = bootstrap_interval(x, generator=torch.Generator().manual_seed(3))
    b = bootstrap_interval(x, generator=torch.Generator().manual_seed(3))
    assert a == b and a[0] == 0.5
    # binomial sd of a mean of 100 fair coins is 0.05: the 95% interval is about ±0.1
    assert 0.35 < a[1] < 0.45 and 0.55 < a[2] < 0.65, a
    d = paired_difference([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], generator=torch.Generator())
    assert d == (0.0, 0.0, 0.0)


# --- lexical baselines -----------------------------------------------------------------------------


def test_tfidf_weights_by_hand():
    """Raw counts × ``ln((1 + N) / (1 + df)) + 1``, L2-normalised; one-letter words and numbers
    are words too (scikit-learn's default pattern would drop "a")."""
    tfidf = TfidfIndex(["A cat, a cat sat.", "a dog", "cat 42"])
    assert sorted(tfidf.vectorizer.vocabulary_) == ["42", "a", "cat", "dog", "sat"]
    idf = {w: math.log(4 / (1 + df)) + 1 for w, df in {"a": 2, "cat": 2, "sat": 1}.items()}
    raw = torch.zeros(5)
    for w, count in (("a", 2), ("cat", 2), ("sat", 1)):
        raw[tfidf.vectorizer.vocabulary_[w]] = count * idf[w]
    torch.testing.assert_close(tfidf.matrix[0], raw / raw.norm())
    assert tfidf.scores(["an unseen query"]).abs().max() == 0.0  # no shared word: cosine 0
    assert tfidf.scores(["cat"]).shape == (1, 3)


def test_tfidf_and_bm25_by_hand():
    passages = ["the cat sat", "the dog ran far", "a cat and a dog"]
    tfidf = TfidfIndex(passages)
    s = tfidf.scores(["cat sat"])
    assert int(s.argmax()) == 0 and math.isclose(float(tfidf.scores(["the cat sat"])[0, 0]), 1.0,
                                                  rel_tol=1e-6)  # fmt: skip
    bm = BM25Index(passages)
    # "sat" occurs once in passage 0 (3 words; average length (3 + 4 + 5) / 3 = 4): idf ln(1 + 2.5/1.5)
    idf = math.log(1 + (3 - 1 + 0.5) / (1 + 0.5))
    norm = 1.5 * (1 - 0.75 + 0.75 * 3 / 4)
    want = idf * 1 * 2.5 / (1 + norm)
    got = bm.scores(["sat"])
    assert math.isclose(float(got[0, 0]), want, rel_tol=1e-5), (float(got[0, 0]), want)
    assert float(got[0, 1]) == 0.0 and words("Born in Ulm, 1901.") == ["born", "in", "ulm", "1901"]


# --- relation extraction ---------------------------------------------------------------------------


def test_marked_replaces_both_mentions_right_to_left():
    ex = relations.RelationExample("Brackwater was where Ada Lunn was born.", (21, 29, "PER"),
                                   (0, 10, "LOC"), "birthplace")  # fmt: skip
    assert ex.marked() == "[OBJ-LOC] was where [SUBJ-PER] was born."


def test_relation_scores_by_hand():
    gold = ["birthplace", "employer", "no_relation", "birthplace"]
    pred = ["birthplace", "no_relation", "birthplace", "birthplace"]
    s = relations.relation_scores(gold, pred)
    # birthplace: P 2/3, R 1 -> F1 0.8; employer: F1 0 -> macro 0.4
    assert math.isclose(s["macro_f1"], 0.4) and math.isclose(s["per_class_f1"]["birthplace"], 0.8)
    # micro: 2 correct of 3 guessed, of 3 real -> P = R = 2/3
    assert math.isclose(s["micro_f1"], 2 / 3)
    with pytest.raises(ValueError, match="predictions"):
        relations.relation_scores(gold, pred[:2])


def test_relation_examples_are_consistent_with_the_world(world):
    train, test = relations.relation_examples(world, 120, random.Random(5))
    assert len(train) > 100 and len(test) > 10
    related = relations.related_pairs(world)
    for ex in train + test:
        assert ex.relation in relations.LABELS
        s, e, t = ex.subj
        assert t in ("PER", "ORG", "LOC", "EVENT") and 0 <= s < e <= len(ex.text)
        assert t == relations.entity_type(ex.ids[0]) and ex.obj[2] == relations.entity_type(
            ex.ids[1]
        )
        marked = ex.marked()
        assert f"[SUBJ-{t}]" in marked and f"[OBJ-{ex.obj[2]}]" in marked
        if ex.relation == relations.NO_RELATION:
            assert frozenset(ex.ids) not in related, ex
        else:
            assert frozenset(ex.ids) in related, ex
    people = world.people
    born = [ex for ex in train if ex.relation == "birthplace"]
    assert born and all(people[ex.ids[0]].birthplace == ex.ids[1] for ex in born)
    hq = [ex for ex in train if ex.relation == "hq"]
    assert hq and all(world.orgs[ex.ids[0]].hq == ex.ids[1] for ex in hq)
    assert {ex.relation for ex in train} >= {"birthplace", "employer", relations.NO_RELATION}


def test_train_and_test_are_about_different_entities(world):
    rng = random.Random(9)
    train, test = relations.relation_examples(world, 200, rng)
    assert not {ex.text for ex in train} & {ex.text for ex in test}


def test_balance_caps_each_label():
    exs = [relations.RelationExample("x y", (0, 1, "PER"), (2, 3, "LOC"), r)
           for r in ["birthplace"] * 10 + ["no_relation"] * 3]  # fmt: skip
    got = relations.label_counts(relations.balance(exs, 4, random.Random(0)))
    assert got["birthplace"] == 4 and got["no_relation"] == 3


def test_first_per_class_keeps_order_and_nests():
    labels = ["spouse", "no_relation", "spouse", "spouse", "no_relation", "school"]
    exs = [
        relations.RelationExample(f"t{i}", (0, 1, "PER"), (2, 3, "PER"), r)
        for i, r in enumerate(labels)
    ]
    two = relations.first_per_class(exs, 2)
    assert [ex.text for ex in two] == ["t0", "t1", "t2", "t4", "t5"]
    one = relations.first_per_class(exs, 1)
    assert {ex.text for ex in one} <= {ex.text for ex in two}
    with pytest.raises(ValueError, match="at least 1"):
        relations.first_per_class(exs, 0)


def test_random_per_class_draws_per_label_keeps_order_and_depends_on_the_generator():
    labels = ["spouse", "school"] * 6 + ["no_relation"] * 3
    exs = [
        relations.RelationExample(f"t{i}", (0, 1, "PER"), (2, 3, "PER"), r)
        for i, r in enumerate(labels)
    ]
    draws = [
        [ex.text for ex in relations.random_per_class(exs, 3, torch.Generator().manual_seed(s))]
        for s in range(6)
    ]
    first = relations.random_per_class(exs, 3, torch.Generator().manual_seed(0))
    assert relations.label_counts(first)["spouse"] == relations.label_counts(first)["school"] == 3
    assert [ex.text for ex in first] == sorted((ex.text for ex in first), key=lambda t: int(t[1:]))
    assert draws[0] == [
        ex.text for ex in relations.random_per_class(exs, 3, torch.Generator().manual_seed(0))
    ]
    assert len({tuple(d) for d in draws}) > 1, "another seed, another draw"
    assert any(d != [ex.text for ex in relations.first_per_class(exs, 3)] for d in draws)
    with pytest.raises(ValueError, match="'no_relation' has 3 examples, fewer than 4"):
        relations.random_per_class(exs, 4, torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="at least 1"):
        relations.random_per_class(exs, 0, torch.Generator().manual_seed(0))


# --- search ----------------------------------------------------------------------------------------


def test_rank_metrics_by_hand_with_pessimistic_ties():
    scores = torch.tensor([[0.9, 0.5, 0.5, 0.1], [0.1, 0.2, 0.3, 0.4]])
    queries = [
        search.Query("a", "fact", frozenset({1})),
        search.Query("b", "fact", frozenset({3, 0})),
    ]
    m = search.rank_metrics(scores, queries, ks=(1, 2))
    # the tie with passage 2 counts against passage 1
    assert m["rr"].tolist() == pytest.approx([1 / 3, 1.0])
    assert m["hit@1"].tolist() == [0.0, 1.0] and m["hit@2"].tolist() == [0.0, 1.0]


def test_search_collection_relevance_is_true(world):
    passages, queries = search.search_collection(world, 20, random.Random(4))
    assert len(passages) == 20
    for q in queries:
        assert q.relevant, q
        if q.kind == "entity":  # the entity's name appears in each relevant passage that names it
            assert any(q.text.split()[-1] in passages[j].text for j in q.relevant)
    assert {q.kind for q in queries} == {"fact", "entity"}
    s = TfidfIndex([p.text for p in passages]).scores([q.text for q in queries])
    assert float(search.rank_metrics(s, queries)["rr"].mean()) > 0.5  # names are in the text


# --- summarisation ---------------------------------------------------------------------------------


def test_top_k_and_key_fact_recall():
    doc = summarise.SummaryDoc("P1", ("a", "b", "c", "d"),
                               (frozenset({"birthplace"}), frozenset(), frozenset({"spouse", "birthplace"}),
                                frozenset({"employer"})))  # fmt: skip
    assert summarise.top_k(torch.tensor([0.1, 0.9, 0.9, 0.5]), 2) == [1, 2]
    assert summarise.key_fact_recall(doc, [0, 2]) == 2 / 3
    lead = summarise.evaluate_summaries([doc], summarise.lead_scorer, 2)
    assert lead.tolist() == pytest.approx([1 / 3])
    with pytest.raises(ValueError, match="generator"):
        summarise.evaluate_summaries([doc], None, 2)


def test_summary_documents_have_key_facts(world):
    docs = summarise.summary_documents(world, 5, random.Random(2))
    assert len(docs) == 5 and all(d.all_key_facts and len(d.sentences) >= 6 for d in docs)


# --- probes ----------------------------------------------------------------------------------------


def test_logistic_probe_separates_separable_data_and_fails_on_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 5, generator=g)
    y = (x[:, 2] > 0).long()
    for kind in ("logistic", "svm"):
        model = probe.fit_probe(x, y, kind=kind)
        assert (probe.predict_probe(model, x) == y).double().mean() > 0.97, kind
    noise = torch.randint(0, 2, (200,), generator=g)
    xt = torch.randn(400, 5, generator=g)
    acc = (probe.predict_probe(probe.fit_probe(x, noise), xt)
           == torch.randint(0, 2, (400,), generator=g)).double().mean()  # fmt: skip
    assert 0.38 < acc < 0.62  # chance: binomial sd 0.025
    with pytest.raises(ValueError, match="kind"):
        probe.make_probe(10, kind="tree")  # type: ignore[arg-type]


def test_probe_minimises_mean_cross_entropy_plus_l2_on_standardised_features():
    """scikit-learn's C = 1 / (2 N l2) is the stated objective: at the fitted weights the float64
    gradient of ``mean CE + l2 |W|²`` (on the scaler's features) vanishes; a wrong C would not."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(150, 4, generator=g, dtype=torch.float64) * torch.tensor([1.0, 3.0, 0.5, 2.0])
    y = (x[:, 0] > 0).long() + (x[:, 1] + torch.randn(150, generator=g, dtype=torch.float64) > 1)
    l2 = 0.05
    model = probe.fit_probe(x + 1, y, l2=l2)
    z = torch.from_numpy(model[0].transform((x + 1).numpy()))
    assert torch.allclose(z.mean(0), torch.zeros(4, dtype=torch.float64), atol=1e-12)
    w = torch.from_numpy(model[-1].coef_.T.copy()).requires_grad_()
    b = torch.from_numpy(model[-1].intercept_.copy()).requires_grad_()
    for penalty, should_vanish in ((l2, True), (4 * l2, False)):
        w.grad = b.grad = None
        loss = torch.nn.functional.cross_entropy(z @ w + b, y) + penalty * (w**2).sum()
        loss.backward()
        largest = max(float(w.grad.abs().max()), float(b.grad.abs().max()))
        assert (largest < 1e-4) == should_vanish, f"l2 {penalty}: largest gradient {largest:.2e}"


# --- encoders --------------------------------------------------------------------------------------


def test_random_tiny_is_deterministic_per_seed_and_not_pretrained():
    a, b, c = (
        load_encoder("random-tiny", seed=0),
        load_encoder("random-tiny", seed=0),
        load_encoder("random-tiny", seed=1),
    )
    wa = a.model.embeddings.word_embeddings.weight
    assert torch.equal(wa, b.model.embeddings.word_embeddings.weight)
    assert not torch.equal(wa, c.model.embeddings.word_embeddings.weight)
    trained = load_encoder("bert-tiny").model.embeddings.word_embeddings.weight
    assert wa.shape == trained.shape and not torch.allclose(wa, trained)


def test_pooling_by_hand():
    enc = load_encoder("spanbert-tiny")
    text = "Ada Lunn was born in Brackwater."
    ((states, offsets),) = token_states(enc, [text])
    assert offsets[0] == (0, 0) and offsets[-1] == (0, 0)  # [CLS], [SEP]
    torch.testing.assert_close(embed(enc, [text])[0], states[-1, 1:-1].mean(0))
    torch.testing.assert_close(embed(enc, [text], pooling="cls")[0], states[-1, 0])
    span = (21, 31)  # "Brackwater"
    inside = [i for i, (s, e) in enumerate(offsets) if e > s and s < 31 and e > 21]
    feats = layer_features(enc, [text], [span])
    assert feats.shape == (1, enc.num_layers + 1, enc.model.config.hidden_size)
    torch.testing.assert_close(feats[0, -1], states[-1, inside].mean(0))
