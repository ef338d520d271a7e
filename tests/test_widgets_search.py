"""The search explorer: every control swept over its range, typed queries, the static figure."""

from __future__ import annotations

import random

import matplotlib.pyplot as plt
import pytest
from widget_driver import sweep

from spanbert_lab.applications.encoders import load_encoder
from spanbert_lab.applications.lexical import BM25Index, TfidfIndex
from spanbert_lab.applications.search import dense_retriever, search_collection
from spanbert_lab.course.widgets.search import TYPED, SearchExplorer, search_static_figure
from spanbert_lab.world.build import make_world


@pytest.fixture(scope="module")
def parts():
    passages, queries = search_collection(make_world(), 12, random.Random(1))
    texts = [p.text for p in passages]
    encoder = load_encoder("random-tiny")
    retrievers = {
        "tfidf": TfidfIndex(texts).scores,
        "bm25": BM25Index(texts).scores,
        "random-tiny/mean": dense_retriever(encoder, texts),
    }
    return retrievers, passages, queries[:6]


def test_sweep_every_control(parts) -> None:
    retrievers, passages, queries = parts
    figures_before = set(plt.get_fignums())  # other tests may have left theirs open
    explorer = SearchExplorer(retrievers, passages, queries)
    seen = sweep(explorer)
    assert len(seen["example"]) == len(queries) + 1, "each query (and the typed one) has its hits"
    assert len(seen["method"]) == 3, "each retriever ranks differently"
    assert len(seen["k"]) == 10, "top 1..10 show 10 different lists"
    for k in (1, 4, 10):
        explorer.controls["k"].value = k
        assert len(explorer.summary().splitlines()) == 1 + k, f"top {k} should list {k} hits"
        assert len(explorer.figure.axes[0].patches) == k, f"top {k} should draw {k} bars"
    assert set(plt.get_fignums()) == figures_before, "the explorer must not leak pyplot figures"


def test_typed_query_and_empty_query(parts, tmp_path) -> None:
    retrievers, passages, queries = parts
    explorer = SearchExplorer(retrievers, passages, queries)
    name = passages[3].text.split(" ")[0]
    explorer.controls["example"].value = TYPED
    explorer.controls["method"].value = "tfidf"
    explorer.controls["typed"].value = name
    summary = explorer.summary()
    assert repr(name) in summary and "#" in summary
    top = int(summary.splitlines()[1].split("#")[1].split()[0])
    assert name.lower() in passages[top].text.lower(), "TF-IDF's top hit contains the typed word"
    explorer.controls["typed"].value = "   "
    assert "type a query" in explorer.status.value  # a clear message, no exception
    assert explorer.save_png(tmp_path / "hits.png").stat().st_size > 1000


def test_static_figure(parts) -> None:
    retrievers, passages, queries = parts
    fig = search_static_figure(retrievers["bm25"], passages, queries[0], method="bm25", k=3)
    assert len(fig.axes) == 1 and "bm25" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) == 3
    plt.close(fig)
