"""The stored application results (data/results/applications-*.json) agree with the code.

The cheap, deterministic parts are recomputed here (the lexical baselines, lead-k and random
summaries, the data sizes); the encoders' numbers are re-run live by notebook 06. A CLI smoke run
writes a result file of the documented shape.
"""

from __future__ import annotations

import json

import pytest

from spanbert_lab.applications import search, studies, summarise
from spanbert_lab.applications.lexical import BM25Index, TfidfIndex
from spanbert_lab.cli.applications import main
from spanbert_lab.runtime import data_dir
from spanbert_lab.tasks import relations

RESULTS = data_dir() / "results"


def _load(study: str) -> dict:
    path = RESULTS / f"applications-{study}.json"
    if not path.is_file():
        pytest.skip(f"{path.name} not generated yet (python -m spanbert_lab.applications all)")
    return json.loads(path.read_text(encoding="utf-8"))


def test_stored_search_baselines_are_reproduced():
    stored = _load("search")
    passages, queries = studies.search_data(stored["settings"])
    assert stored["n_passages"] == len(passages)
    texts, qtexts = [p.text for p in passages], [q.text for q in queries]
    for name, index in (("tfidf", TfidfIndex(texts)), ("bm25", BM25Index(texts))):
        scores = index.scores(qtexts)
        for kind in ("fact", "entity"):
            idx = [i for i, q in enumerate(queries) if q.kind == kind]
            m = search.rank_metrics(scores[idx], [queries[i] for i in idx])
            assert stored[f"n_{kind}_queries"] == len(idx)
            got, want = float(m["rr"].mean()), stored[kind][name]["mrr"][0]
            assert abs(got - want) < 1e-3, f"{name} {kind} MRR {got:.4f} vs stored {want}"


def test_stored_summary_baselines_are_reproduced():
    stored = _load("summarise")
    docs = studies.summary_data(stored["settings"])
    assert stored["n_docs"] == len(docs)
    k = stored["settings"]["k"]
    for name, scorer in (("lead", summarise.lead_scorer), ("tfidf", summarise.tfidf_scorer)):
        got = float(summarise.evaluate_summaries(docs, scorer, k).mean())
        assert abs(got - stored["key_fact_recall"][name][0]) < 1e-3, (name, got)


def test_stored_relation_study_is_complete_and_consistent():
    stored = _load("relations")
    assert stored["command"].startswith("python -m spanbert_lab.applications")
    for name, runs in stored["runs"].items():
        f1 = [r["macro_f1"] for r in runs]
        mean, low, high = stored["macro_f1_ci"][name]["macro_f1"]
        assert len(f1) >= 3 and abs(sum(f1) / len(f1) - mean) < 1e-3 and low <= mean <= high
    train, test = studies.relation_data(stored["settings"])
    assert (len(train), len(test)) == (stored["n_train"], stored["n_test"])


def test_a_training_subset_leaves_test_and_dev_unchanged():
    full_train, full_test, full_dev = studies.relation_data(with_dev=True)
    settings = {**studies.RE_SETTINGS, "train_subset_per_class": 5}
    train, test, dev = studies.relation_data(settings, with_dev=True)
    assert [ex.text for ex in test] == [ex.text for ex in full_test]
    assert [ex.text for ex in dev] == [ex.text for ex in full_dev]
    assert max(relations.label_counts(train).values()) == 5
    assert [ex.text for ex in train] == [ex.text for ex in relations.first_per_class(full_train, 5)]


def test_cli_writes_a_result_file(tmp_path):
    code = main(["summarise", "--encoders", "random-tiny", "--output-dir", str(tmp_path)])
    assert code == 0
    record = json.loads((tmp_path / "applications-summarise.json").read_text())
    assert record["command"].startswith("python -m spanbert_lab.applications summarise")
    assert set(record["key_fact_recall"]) >= {"lead", "random", "tfidf", "random-tiny/mean"}
    assert all(0 <= v[1] <= v[0] <= v[2] <= 1 for v in record["key_fact_recall"].values())


def test_a_training_subset_of_zero_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        studies.relation_data({**studies.RE_SETTINGS, "train_subset_per_class": 0})


def test_paired_differences_are_recomputed_unrounded_from_the_runs():
    """The stored ``differences`` are rounded to 4 decimals, which turned an upper bound of
    -0.00004 into -0.0 and a verdict into "includes 0"; recomputed from the runs it excludes 0."""
    record = json.loads((RESULTS / "applications-relations-lr-tuned.json").read_text())
    got = studies.paired_differences(record)
    for pair, stored in record["differences"].items():
        assert got[pair] == pytest.approx(stored, abs=6e-5)
    assert got["span-tiny - bert-tiny"][2] < 0 <= record["differences"]["span-tiny - bert-tiny"][2]
    assert "spanbert-tiny - span-tiny" in got, "the SBO's own comparison"
    small = json.loads((RESULTS / "applications-relations-few-5.json").read_text())
    diff, low, high = studies.gain_change(small, record, "spanbert-tiny")
    gain = lambda r: got_mean(r, "spanbert-tiny") - got_mean(r, "random-tiny")  # noqa: E731
    assert diff == pytest.approx(gain(small) - gain(record)) and low < diff < high


def got_mean(record, encoder):
    values = [r["macro_f1"] for r in record["runs"][encoder]]
    return sum(values) / len(values)
