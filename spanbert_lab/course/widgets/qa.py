"""A question-answering explorer: pick (or type) a passage and a question, see the answer.

Thin over :func:`spanbert_lab.finetune.answer_question` (windows → logits → n-best decoding) and
:func:`spanbert_lab.course.plots.qa.plot_answer` (the passage with the answer highlighted and the n-best
list). :func:`qa_static_figure` draws the same view without a kernel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as w
from matplotlib.figure import Figure

from spanbert_lab.course.plots.qa import plot_answer
from spanbert_lab.course.widgets.base import Explorer
from spanbert_lab.finetune import answer_question

__all__ = ["QAExplorer", "qa_static_figure"]

TYPED = -1  # the "example" value meaning: use the typed passage and question


def qa_static_figure(
    model: Any, tokenizer: Any, example: Mapping[str, Any], *, n_show: int = 5, **decode: Any
) -> Figure:
    """The explorer's view for one example (passage, highlighted answer, n-best list)."""
    prediction = answer_question(
        model, tokenizer, example["question"], example["context"], n_best=max(20, n_show), **decode
    )
    return _answer_figure(example, prediction, n_show)


def _answer_figure(example: Mapping[str, Any], prediction: Any, n_show: int) -> Figure:
    """:func:`plot_answer` of one example, its first gold answer (if any) boxed."""
    answers = example.get("answers") or {}
    gold = answers["text"][0] if answers.get("text") else None
    gold_start = (answers.get("answer_start") or [None])[0] if gold is not None else None
    return plot_answer(
        example["context"],
        prediction,
        question=example["question"],
        gold=gold,
        gold_start=gold_start,
        n_show=n_show,
    )


class QAExplorer(Explorer):
    """Ask fine-tuned QA models questions about course passages or your own text.

    Args:
        models: ``{name: fine-tuned *ForQuestionAnswering model}`` (e.g. BERT and SpanBERT).
        tokenizer: their (shared) fast tokenizer.
        examples: QA examples to pick from (``id``, ``question``, ``context``, ``answers``).
        passage, question: initial text of the "typed" choice.
        start: the example shown first (an index into ``examples``).
        decode: passed to :func:`answer_question` (``max_length``, ``doc_stride``, ``version`` …).
    """

    def __init__(
        self,
        models: Mapping[str, Any],
        tokenizer: Any,
        examples: Sequence[Mapping[str, Any]],
        *,
        passage: str = "The Old Bridge over the river was built in 1889 by the city's masons.",
        question: str = "When was the Old Bridge built?",
        start: int = 0,
        **decode: Any,
    ) -> None:
        if not models:
            raise ValueError("QAExplorer needs at least one model")
        if examples and not 0 <= start < len(examples):
            raise ValueError(f"start={start}: choose an example index in [0, {len(examples)})")
        self.models = dict(models)
        self.tokenizer = tokenizer
        self.examples = [dict(e) for e in examples]
        self.decode = decode
        options = [(f"{i}: {e['question'][:60]}", i) for i, e in enumerate(self.examples)]
        controls = {
            "example": w.Dropdown(
                options=[*options, ("✎ typed passage + question", TYPED)],
                value=start if options else TYPED,
                description="example",
            ),
            "model": w.Dropdown(options=list(self.models), description="model"),
            "n_best": w.IntSlider(value=5, min=1, max=10, description="n-best"),
            "question": w.Text(
                value=question,
                description="question",
                continuous_update=False,
                layout=w.Layout(width="45%"),
            ),
            "passage": w.Textarea(
                value=passage,
                description="passage",
                continuous_update=False,
                layout=w.Layout(width="50%", height="90px"),
            ),
        }
        super().__init__(controls, png_name="qa_answer.png")

    def draw(
        self, *, example: int, model: str, n_best: int, question: str, passage: str
    ) -> tuple[Figure, str]:
        """Answer the chosen question; the summary lists the answer, its score and the n-best."""
        if example == TYPED:
            if not question.strip() or not passage.strip():
                raise ValueError("type both a passage and a question")
            current: dict[str, Any] = {"id": "typed", "question": question, "context": passage}
        else:
            current = self.examples[example]
        prediction = answer_question(
            self.models[model],
            self.tokenizer,
            current["question"],
            current["context"],
            **self.decode,
        )
        fig = _answer_figure(current, prediction, n_best)
        probs = prediction.probabilities()
        listing = "; ".join(
            f"{c.text!r} {p:.2f}" for c, p in zip(prediction.n_best[:n_best], probs, strict=False)
        )
        score = f"{prediction.best.score:.2f}" if prediction.best else "-"
        summary = (
            f"{model} | Q: {current['question']} | answer: {prediction.text!r} "
            f"(score {score}) | n-best: {listing}"
        )
        return fig, summary
