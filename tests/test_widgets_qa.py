"""The QA explorer: every control swept over its range, typed input, the static figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
import torch
from test_qa_helpers import make_tokenizer
from transformers import BertConfig, BertForQuestionAnswering
from widget_driver import sweep

from spanbert_lab.course.plots.qa import plot_answer
from spanbert_lab.course.widgets.qa import TYPED, QAExplorer, qa_static_figure
from spanbert_lab.tasks.qa.decoding import Candidate, QAPrediction


@pytest.fixture(scope="module")
def parts():
    tokenizer = make_tokenizer()
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=4, intermediate_size=37, max_position_embeddings=64)  # fmt: skip
    models = {}
    for seed, name in enumerate(("BERT", "SpanBERT")):
        torch.manual_seed(seed)
        models[name] = BertForQuestionAnswering(config).eval()
    context = "The museum in São Paulo was founded in 1889 by the king and the queen of the city."
    examples = [
        {"id": "a", "question": "Who founded the museum?", "context": context,
         "answers": {"text": ["the king and the queen"], "answer_start": [context.index("the king")]}},
        {"id": "b", "question": "When was it founded?", "context": context * 3,
         "answers": {"text": ["1889"], "answer_start": [context.index("1889")]}},
    ]  # fmt: skip
    return models, tokenizer, examples


def test_sweep_every_control(parts) -> None:
    models, tokenizer, examples = parts
    plt.close("all")  # figures another test left open are not this explorer's
    explorer = QAExplorer(models, tokenizer, examples, max_length=48, doc_stride=16)
    seen = sweep(explorer)
    assert len(seen["example"]) == 3, "each example (and the typed one) shows its own answer"
    assert len(seen["model"]) == 2
    assert len(seen["n_best"]) >= 5
    assert plt.get_fignums() == [], "the explorer must not leak pyplot figures"


def test_typed_passage_and_question(parts, tmp_path) -> None:
    models, tokenizer, examples = parts
    explorer = QAExplorer(models, tokenizer, examples, max_length=48, doc_stride=16)
    explorer.controls["example"].value = TYPED
    explorer.controls["passage"].value = "Zoë built the tower in Kraków in 2024."
    explorer.controls["question"].value = "Where is the tower?"
    summary = explorer.summary()
    assert "Where is the tower?" in summary and "answer:" in summary
    answer = summary.split("answer: ")[1].split(" (score")[0].strip("'")
    assert answer in "Zoë built the tower in Kraków in 2024."  # cut from the passage itself
    explorer.controls["question"].value = "   "
    assert "type both" in explorer.status.value  # a clear message, no exception
    assert explorer.save_png(tmp_path / "qa.png").stat().st_size > 1000


def test_static_figure(parts) -> None:
    models, tokenizer, examples = parts
    fig = qa_static_figure(models["BERT"], tokenizer, examples[1], max_length=48, doc_stride=16)
    assert len(fig.axes) == 2 and "gold (green box): '1889'" in fig.axes[0].get_title(loc="left")
    plt.close(fig)


def _drawn_text(fig) -> str:
    return "".join(t.get_text() for t in fig.axes[0].texts)


def test_the_answer_bearing_sentence_is_always_shown() -> None:
    # a long passage: the model answers in the first sentence, the gold answer is in the last
    filler = " ".join(f"Sentence {i} says nothing about the bridge at all." for i in range(30))
    context = "The mill opened in 1901. " + filler + " The bridge was finished in 1923."
    where = context.index("1923")
    wrong = Candidate("1901", context.index("1901"), context.index("1901") + 4, 2.0, 1.0, 0)
    prediction = QAPrediction("x", "1901", [wrong])
    fig = plot_answer(context, prediction, question="When was the bridge finished?",
                      gold="1923", gold_start=where, max_lines=4)  # fmt: skip
    drawn = _drawn_text(fig)
    assert "1901" in drawn and "1923" in drawn, "both the prediction and the gold line are drawn"
    boxed = [t.get_text() for t in fig.axes[0].texts if t.get_bbox_patch() is not None]
    assert boxed == ["1901", "1923"], "the prediction is highlighted and the gold answer boxed"
    plt.close(fig)
    near = plot_answer(context, QAPrediction("y", "1923", [wrong]), gold="1901", max_lines=4)
    assert len(near.axes[0].texts) <= 4 + 2, "close answers keep the view short"
    plt.close(near)


def test_the_explorer_opens_on_the_chosen_example(parts) -> None:
    models, tokenizer, examples = parts
    explorer = QAExplorer(models, tokenizer, examples, start=1, max_length=48, doc_stride=16)
    assert explorer.controls["example"].value == 1
    assert "When was it founded?" in explorer.summary()
    with pytest.raises(ValueError, match="start=5"):
        QAExplorer(models, tokenizer, examples, start=5)
