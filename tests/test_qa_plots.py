"""The QA figures draw without error and show what they claim."""

from __future__ import annotations

import random

import matplotlib.pyplot as plt
import pytest
from test_qa_helpers import make_tokenizer, random_example

from spanbert_lab.course.plots.qa import plot_error_analysis, plot_qa_windows, plot_seed_comparison
from spanbert_lab.tasks.qa.features import prepare_qa_features
from spanbert_lab.tasks.qa.metric import error_analysis


def test_windows_figure_has_one_row_per_window() -> None:
    ex = random_example(random.Random(1), "x", n_words=120)
    f = prepare_qa_features([ex], make_tokenizer(), max_length=48, doc_stride=16)
    fig = plot_qa_windows(f, "x")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == len(f["input_ids"]) > 3
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sum(t.startswith("answer: input tokens") for t in texts) == sum(
        s > 0 for s in f["start_positions"]
    )
    with pytest.raises(ValueError, match="no features"):
        plot_qa_windows(f, "missing")
    plt.close(fig)


def test_seed_and_error_figures() -> None:
    runs = {"BERT": [{"exact_match": 50.0, "f1": 60.0}, {"exact_match": 54.0, "f1": 63.0}],
            "SpanBERT": [{"exact_match": 58.0, "f1": 66.0}, {"exact_match": 60.0, "f1": 69.0}]}  # fmt: skip
    fig = plot_seed_comparison(runs)
    assert [a.get_title() for a in fig.axes] == ["exact_match", "f1"]
    plt.close(fig)
    data = {"data": [{"title": "t", "paragraphs": [{"context": "c", "qas": [
        {"id": "1", "question": "?", "answers": [{"text": "Paris", "answer_start": 0}]},
        {"id": "2", "question": "?", "answers": [{"text": "New York City", "answer_start": 0}]},
    ]}]}]}  # fmt: skip
    a = error_analysis(data, {"1": "Paris", "2": "York"})
    fig = plot_error_analysis({"BERT": a, "SpanBERT": a})
    assert len(fig.axes) == 2
    plt.close(fig)
