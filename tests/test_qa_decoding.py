"""QA decoding in whole words (the default) or in WordPieces, and per-question scores."""

from __future__ import annotations

import numpy as np
import pytest

from spanbert_lab.tasks.qa.decoding import decode_qa
from spanbert_lab.tasks.qa.metric import question_scores, squad_evaluate

CONTEXT = "Gefeiilde won"
# [CLS] Ge ##fe ##iilde won [SEP]: the tokens' character offsets (None = not passage)
FEATURES = {
    "example_id": ["q0"],
    "offset_mapping": [[None, (0, 2), (2, 4), (4, 9), (10, 13), None]],
}
EXAMPLE = {"id": "q0", "question": "Who won?", "context": CONTEXT,
           "answers": {"text": ["Gefeiilde"], "answer_start": [0]}}  # fmt: skip
START = np.array([0.0, 1.5, 9.0, 0.0, 2.0, 0.0])
END = np.array([0.0, 0.0, 9.0, 3.0, 2.0, 0.0])


def _cuts_a_word(text: str, a: int, b: int) -> bool:
    left = a > 0 and text[a - 1].isalnum() and text[a].isalnum()
    right = b < len(text) and text[b - 1].isalnum() and text[b].isalnum()
    return left or right


def test_token_decoding_can_return_a_piece_of_a_word():
    pred = decode_qa([EXAMPLE], FEATURES, [START], [END], span_unit="tokens")["q0"]
    assert pred.text == "fe", "the logits point inside 'Gefeiilde'"


def test_word_decoding_never_returns_a_piece_of_a_word():
    pred = decode_qa([EXAMPLE], FEATURES, [START], [END])["q0"]  # the default
    assert pred.text == "Gefeiilde"
    assert pred.n_best, "whole-word candidates remain"
    for c in pred.n_best:
        assert not _cuts_a_word(CONTEXT, c.start_char, c.end_char), c.text


def test_word_decoding_on_random_logits_keeps_only_whole_words():
    rng = np.random.default_rng(0)
    for _ in range(50):
        start, end = rng.normal(size=6), rng.normal(size=6)
        pred = decode_qa([EXAMPLE], FEATURES, [start], [end], n_best=20)["q0"]
        assert all(not _cuts_a_word(CONTEXT, c.start_char, c.end_char) for c in pred.n_best)
        tokens = decode_qa([EXAMPLE], FEATURES, [start], [end], span_unit="tokens")["q0"]
        assert {c.text for c in pred.n_best} <= {c.text for c in tokens.n_best}


def test_an_unknown_span_unit_is_refused():
    with pytest.raises(ValueError, match="span_unit"):
        decode_qa([EXAMPLE], FEATURES, [START], [END], span_unit="letters")


@pytest.mark.parametrize("version", ["1.1", "2.0"])
def test_question_scores_average_to_the_official_scores(version):
    golds = [("the bridge", "the bridge"), ("1066", "in 1066"), ("tower", "")]
    data = {"data": [{"paragraphs": [{"context": "x", "qas": [
        {"id": f"q{i}", "answers": [{"text": g, "answer_start": 0}] if g else []}
        for i, (g, _) in enumerate(golds)]}]}]}  # fmt: skip
    predictions = {f"q{i}": p for i, (_, p) in enumerate(golds)}
    if version == "1.1":
        data["data"][0]["paragraphs"][0]["qas"][2]["answers"] = [{"text": "x", "answer_start": 0}]
    scores = question_scores(data, predictions, version=version)
    official = squad_evaluate(data, predictions, version=version)
    exact_key = "exact_match" if version == "1.1" else "exact"
    assert 100 * np.mean([e for e, _ in scores.values()]) == pytest.approx(official[exact_key])
    assert 100 * np.mean([f for _, f in scores.values()]) == pytest.approx(official["f1"])
    assert 0 < scores["q1"][1] < 1, "partial overlap gives a partial F1"
