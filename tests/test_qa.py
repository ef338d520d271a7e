"""QA features and decoding: windows, offsets, labels, max context, n-best, SQuAD 2.0 null answers."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_qa_helpers import make_tokenizer, random_example

from spanbert_lab.tasks.qa.decoding import decode_qa, postprocess_qa_predictions
from spanbert_lab.tasks.qa.features import max_context_mask, prepare_qa_features, squad_evaluate


@pytest.fixture(scope="module")
def tokenizer():
    return make_tokenizer()


def example(context: str, answer: str, *, qid: str = "q0", question: str = "Who built it?") -> dict:
    start = context.index(answer)
    return {
        "id": qid,
        "question": question,
        "context": context,
        "answers": {"text": [answer], "answer_start": [start]},
    }


def one_hot(features: dict, key: str) -> list[np.ndarray]:
    return [
        np.eye(len(o))[p] for o, p in zip(features["offset_mapping"], features[key], strict=True)
    ]


def oracle_em(examples: list[dict], features: dict, **kw) -> float:
    preds = postprocess_qa_predictions(
        examples,
        features,
        one_hot(features, "start_positions"),
        one_hot(features, "end_positions"),
        **kw,
    )
    data = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": e["context"],
                        "qas": [
                            {
                                "id": e["id"],
                                "question": e["question"],
                                "answers": [
                                    {"text": t, "answer_start": s}
                                    for t, s in zip(
                                        e["answers"]["text"],
                                        e["answers"]["answer_start"],
                                        strict=True,
                                    )
                                ],
                            }
                        ],
                    }
                    for e in examples
                ],
            }
        ]
    }
    return squad_evaluate(data, preds)["exact_match"]


def test_layout_question_first_then_window(tokenizer) -> None:
    ex = example("The bridge was built in 1889 by the king.", "1889")
    f = prepare_qa_features([ex], tokenizer, max_length=64, doc_stride=16)
    assert len(f["input_ids"]) == 1
    ids, types = f["input_ids"][0], f["token_type_ids"][0]
    assert ids[0] == tokenizer.cls_token_id and ids[-1] == tokenizer.sep_token_id
    q_len = types.index(1) - 2  # [CLS] q [SEP]
    assert tokenizer.decode(ids[1 : 1 + q_len]) == "Who built it?"
    offsets = f["offset_mapping"][0]
    assert all(o is None for o in offsets[: q_len + 2]) and offsets[-1] is None
    s, e = f["start_positions"][0], f["end_positions"][0]
    assert ex["context"][offsets[s][0] : offsets[e][1]] == "1889"
    assert f["example_id"] == ["q0"] and f["example_index"] == [0]


def test_windows_advance_by_doc_stride_and_cover_the_passage(tokenizer) -> None:
    rng = random.Random(3)
    ex = random_example(rng, "long", n_words=300)
    for max_length, stride in [(48, 8), (64, 16), (64, 100), (100, 33)]:
        f = prepare_qa_features([ex], tokenizer, max_length=max_length, doc_stride=stride)
        firsts = [next(o for o in offs if o is not None) for offs in f["offset_mapping"]]
        passage = [[o for o in offs if o is not None] for offs in f["offset_mapping"]]
        full = sorted({o for p in passage for o in p})
        index = {o: i for i, o in enumerate(full)}
        starts = [index[o] for o in firsts]
        window = len(passage[0])
        assert all(len(p) <= window for p in passage)
        steps = set(np.diff(starts).tolist())
        assert steps == {min(window, stride)}, (
            f"max_length={max_length} stride={stride}: window starts advance by {steps}"
        )
        assert index[passage[-1][-1]] == len(full) - 1, "the last window must reach the end"
        assert all(len(ids) <= max_length for ids in f["input_ids"])


def test_answer_straddling_windows_gets_cls_in_the_cut_window(tokenizer) -> None:
    words = ["city"] * 40
    words[20:26] = ["Kraków", "Dvořák", "façade", "Ōsaka", "São", "Paulo"]  # 6 tokens
    context = " ".join(words)
    ex = example(context, "Kraków Dvořák façade Ōsaka São Paulo")
    f = prepare_qa_features([ex], tokenizer, max_length=24, doc_stride=3)
    labelled = cut = 0
    for offs, s, e in zip(
        f["offset_mapping"], f["start_positions"], f["end_positions"], strict=True
    ):
        passage = [o for o in offs if o is not None]
        a = ex["answers"]["answer_start"][0]
        b = a + len(ex["answers"]["text"][0])
        whole = passage[0][0] <= a and passage[-1][1] >= b
        partial = not whole and passage[0][0] < b and passage[-1][1] > a
        if whole:
            labelled += 1
            assert context[offs[s][0] : offs[e][1]] == ex["answers"]["text"][0]
        else:
            assert (s, e) == (0, 0), "a window without the whole answer must point at [CLS]"
            cut += partial
    assert labelled >= 1 and cut >= 1, (
        f"want windows holding and cutting the answer: {labelled}, {cut}"
    )
    assert oracle_em([ex], f, max_answer_length=30) == 100.0


def test_answers_at_window_edges(tokenizer) -> None:
    # the answer as the first and as the last passage token of some window
    words = [f"w{i}" for i in range(60)]
    context = " ".join(words)
    f0 = prepare_qa_features([example(context, "w0")], tokenizer, max_length=32, doc_stride=8)
    assert f0["start_positions"][0] == f0["token_type_ids"][0].index(1)
    last = "w59"
    f1 = prepare_qa_features([example(context, last)], tokenizer, max_length=32, doc_stride=8)
    s, e = f1["start_positions"][-1], f1["end_positions"][-1]
    assert e == len(f1["input_ids"][-1]) - 2, "last passage token sits just before the final [SEP]"
    assert context[f1["offset_mapping"][-1][s][0] : f1["offset_mapping"][-1][e][1]] == last
    for i in (0, 7, 8, 16, 23, 24, 31, 59):  # w5 vs w59: find the word by its position
        ex = example(context, words[i])
        ex["answers"]["answer_start"] = [sum(len(w) + 1 for w in words[:i])]
        f = prepare_qa_features([ex], tokenizer, max_length=32, doc_stride=8)
        edges = [
            (o[s], o[e])
            for o, s, e in zip(
                f["offset_mapping"], f["start_positions"], f["end_positions"], strict=True
            )
            if s
        ]
        assert edges, f"no window holds {words[i]}"
        assert oracle_em([ex], f) == 100.0, words[i]


def test_oracle_decoding_recovers_gold_on_long_unicode_contexts(tokenizer) -> None:
    rng = random.Random(0)
    examples = [random_example(rng, f"q{i}", n_words=rng.randint(20, 500)) for i in range(150)]
    f = prepare_qa_features(examples, tokenizer, max_length=64, doc_stride=20)
    assert len(f["input_ids"]) > 3 * len(examples), "contexts should span many windows"
    assert oracle_em(examples, f) >= 99.0
    # the text is cut from the original context: accents, case and odd whitespace survive
    preds = postprocess_qa_predictions(
        examples, f, one_hot(f, "start_positions"), one_hot(f, "end_positions")
    )
    odd = [e for e in examples if any(c in e["answers"]["text"][0] for c in "\u00a0\t\n\u2009")]
    assert odd, "the generator should put odd whitespace inside some answers"
    assert all(preds[e["id"]] == e["answers"]["text"][0] for e in odd)


def test_accepts_dataset_dict_of_lists_and_list(tokenizer) -> None:
    import datasets

    exs = [
        example("The tower was built in 1066.", "1066", qid="a"),
        example("São Paulo is a city.", "São Paulo", qid="b"),
    ]
    from_list = prepare_qa_features(exs, tokenizer, max_length=40, doc_stride=10)
    batch = {k: [e[k] for e in exs] for k in exs[0]}
    assert prepare_qa_features(batch, tokenizer, max_length=40, doc_stride=10) == from_list
    ds = datasets.Dataset.from_list(exs)
    assert prepare_qa_features(ds, tokenizer, max_length=40, doc_stride=10) == from_list


def test_long_question_is_cut_and_too_small_budget_raises(tokenizer) -> None:
    long_q = " ".join(["what"] * 200) + "?"
    ex = example("The museum was founded in 1889.", "1889", question=long_q)
    f = prepare_qa_features([ex], tokenizer, max_length=96, doc_stride=16, max_question_length=20)
    q_tokens = f["token_type_ids"][0].index(1) - 2
    assert q_tokens == 20
    assert oracle_em([ex], f) == 100.0
    with pytest.raises(ValueError, match="no room for the passage"):
        prepare_qa_features([ex], tokenizer, max_length=20, max_question_length=64)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"id": "x", "question": "q"}, "no 'context'"),
        ({"id": "x", "question": 3, "context": "c"}, "question must be a str"),
        ({"id": "x", "question": "q", "context": "   "}, "empty context"),
        (
            {
                "id": "x",
                "question": "q",
                "context": "abc",
                "answers": {"text": ["zz"], "answer_start": [0]},
            },
            "not at character 0",
        ),
        (
            {
                "id": "x",
                "question": "q",
                "context": "abc",
                "answers": {"text": ["a"], "answer_start": []},
            },
            "lengths differ",
        ),
    ],
)
def test_malformed_examples_raise_clear_errors(tokenizer, bad: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        prepare_qa_features([bad], tokenizer)


def test_slow_tokenizer_rejected() -> None:
    class Slow:
        is_fast = False

    with pytest.raises(ValueError, match="fast tokenizer"):
        prepare_qa_features([], Slow())


def test_max_context_prefers_the_window_where_a_token_is_central() -> None:
    # token offsets (i, i+1); windows [0..5], [3..8]: token 3 has context min(3,2)=2 in window 0
    # and min(0,5)=0 in window 1; token 5 has min(5,0)=0 vs min(2,3)=2 → window 1
    w0 = [None] + [(i, i + 1) for i in range(0, 6)] + [None]
    w1 = [None] + [(i, i + 1) for i in range(3, 9)] + [None]
    m0, m1 = max_context_mask([w0, w1])
    assert m0[1 + 3] and not m1[1 + 0]
    assert not m0[1 + 5] and m1[1 + 2]
    # every passage token is max-context in exactly one window
    assert sum(m0) + sum(m1) == 9


def test_n_best_rules_max_length_order_and_outside_passage(tokenizer) -> None:
    ex = example("The king built the bridge and the tower in 1066.", "the bridge")
    f = prepare_qa_features([ex], tokenizer, max_length=64)
    n = len(f["input_ids"][0])
    offs = f["offset_mapping"][0]
    start, end = np.full(n, -10.0), np.full(n, -10.0)
    start[1] = end[1] = 50.0  # a question token: never a candidate
    s, e = f["start_positions"][0], f["end_positions"][0]
    start[s], end[e] = 5.0, 4.0
    start[e + 1], end[s] = 8.0, 1.0  # start after end: must be skipped
    pred = decode_qa([ex], f, [start], [end], n_best=5)["q0"]
    assert pred.text == "the bridge"
    scores = [c.score for c in pred.n_best]
    assert scores == sorted(scores, reverse=True) and len(pred.n_best) <= 5
    assert all(offs[0] is None for _ in [0])
    assert abs(sum(pred.probabilities()) - 1) < 1e-9
    short = decode_qa([ex], f, [start], [end], max_answer_length=1)["q0"]
    assert all(
        len(tokenizer(c.text, add_special_tokens=False)["input_ids"]) == 1 for c in short.n_best
    )


def test_squad2_null_threshold_and_na_score(tokenizer) -> None:
    ex = example("The tower was built in 1889.", "1889")
    f = prepare_qa_features([ex], tokenizer, max_length=40)
    n = len(f["input_ids"][0])
    start, end = np.zeros(n), np.zeros(n)
    s, e = f["start_positions"][0], f["end_positions"][0]
    start[s] = end[e] = 2.0
    start[0] = end[0] = 3.0  # null = 6 > best span 4 → na_score = 2
    kw = {"version": "2.0"}
    pred = decode_qa([ex], f, [start], [end], **kw)["q0"]
    assert pred.null_score == 6.0 and pred.na_score == 2.0 and pred.text == ""
    assert postprocess_qa_predictions([ex], f, [start], [end], null_threshold=2.5, **kw) == {
        "q0": "1889"
    }
    # v1.1 never answers "" while a span is valid
    assert postprocess_qa_predictions([ex], f, [start], [end]) == {"q0": "1889"}


def test_unanswerable_examples_get_cls_labels(tokenizer) -> None:
    ex = {
        "id": "n",
        "question": "Who?",
        "context": "Nobody knows.",
        "answers": {"text": [], "answer_start": []},
    }
    f = prepare_qa_features([ex], tokenizer, max_length=32)
    assert (f["start_positions"], f["end_positions"]) == ([0], [0])


def test_decode_rejects_mismatched_inputs(tokenizer) -> None:
    ex = example("The tower was built in 1889.", "1889")
    f = prepare_qa_features([ex], tokenizer, max_length=40)
    with pytest.raises(ValueError, match="features but"):
        decode_qa([ex], f, [], [])
    with pytest.raises(ValueError, match="unknown example id"):
        decode_qa([example("x y", "y", qid="other")], f, [np.zeros(3)], [np.zeros(3)])
