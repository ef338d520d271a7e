"""The coreference model and task: shapes, the masks, the loss, a tiny overfit, encoding mentions to
WordPieces, decoding, and a short run through the registry and the ``finetune`` command line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from transformers import BertConfig

from spanbert_lab.cli import finetune as cli
from spanbert_lab.data import load_tokenizer
from spanbert_lab.data.coref import load_coref
from spanbert_lab.finetune.models import load_task_model
from spanbert_lab.model.coref import SpanBertForCoreference, distance_buckets
from spanbert_lab.model.finetuning import TASK_MODELS
from spanbert_lab.tasks import FinetuneConfig, get_task
from spanbert_lab.tasks.coref import coref_metrics, decode, encode

CKPT = "spanbert-tiny"


def tiny_model(seed: int = 0) -> SpanBertForCoreference:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1,
                            num_attention_heads=4, intermediate_size=37,
                            max_position_embeddings=64, coref_ffnn_size=24)  # fmt: skip
        return SpanBertForCoreference(config)


def batch(seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, 50, (3, 20), generator=g)
    mask = torch.ones_like(ids)
    mask[2, 15:] = 0
    starts = torch.tensor([[1, 4, 7, 10, 13], [1, 3, 5, 0, 0], [2, 6, 9, 12, 0]])
    ends = starts + torch.tensor([[1, 0, 2, 0, 1], [0, 0, 1, 0, 0], [1, 0, 0, 1, 0]])
    mention_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0]])
    labels = torch.tensor([[0, 1, 0, 0, 1], [0, 0, 2, -100, -100], [0, 1, 1, 0, -100]])
    return {"input_ids": ids, "attention_mask": mask, "mention_starts": starts,
            "mention_ends": ends, "mention_mask": mention_mask, "labels": labels}  # fmt: skip


def test_registered_under_its_own_name() -> None:
    assert TASK_MODELS["SpanBertForCoreference"] is SpanBertForCoreference
    spec = get_task("coref")
    assert spec.model_class == "SpanBertForCoreference" and not spec.needs_labels
    assert {"mention_starts", "mention_ends", "mention_mask"} <= set(spec.input_keys)


def test_scores_shape_dummy_column_and_masks() -> None:
    model = tiny_model().eval()
    out = model(**batch())
    scores = out.antecedent_scores
    assert scores.shape == (3, 5, 6), scores.shape
    assert torch.all(scores[..., 0] == 0), "the dummy antecedent scores 0"
    low = torch.finfo(scores.dtype).min
    for i in range(5):
        assert torch.all(scores[:, i, i + 1 :] == low), f"mention {i} sees itself or later ones"
    assert torch.all(scores[1, :, 4:] == low) and torch.all(scores[1, 3:, 1:] == low), "padding"
    assert torch.all(scores[0, 1:, 1] > low) and out.loss is not None and out.loss.item() > 0


def test_padding_mentions_beyond_the_longest_are_cut() -> None:
    b = batch()
    wide = {k: torch.cat([v, torch.zeros_like(v[:, :3])], 1) if k.startswith("mention") else v
            for k, v in b.items()}  # fmt: skip
    wide["labels"] = torch.cat([b["labels"], torch.full((3, 3), -100)], 1)
    model = tiny_model().eval()
    torch.testing.assert_close(model(**wide).antecedent_scores, model(**b).antecedent_scores)


@torch.no_grad()
def test_loss_is_the_marginal_likelihood_of_all_gold_antecedents() -> None:
    model = tiny_model().eval()
    b = batch()
    scores = model(**b).antecedent_scores.double()
    logp = scores.log_softmax(-1)
    # document 0, mention 3 (entity 0): gold antecedents 0 and 2; mention 1: none
    want = -torch.logsumexp(logp[0, 3, [1, 3]], 0)
    nll = []
    for d, n in ((0, 5), (1, 3), (2, 4)):
        for i in range(n):
            lab = b["labels"][d]
            gold = [j + 1 for j in range(i) if lab[j] == lab[i]] or [0]
            nll.append(-torch.logsumexp(logp[d, i, gold], 0))
    assert nll[3].item() == pytest.approx(want.item())
    torch.testing.assert_close(
        model(**b).loss.double(), torch.stack(nll).mean(), rtol=1e-5, atol=1e-6
    )


def test_a_tiny_model_overfits_one_batch() -> None:
    model = tiny_model(1).train()
    b = batch()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        first = model(**b).loss.item()
        for _ in range(80):
            opt.zero_grad()
            loss = model(**b).loss
            loss.backward()
            opt.step()
    model.eval()
    last = model(**b).loss.item()
    assert last < 0.1 * first, f"loss {first:.3f} -> {last:.3f}: fell less than 90%"


def test_distance_buckets() -> None:
    got = distance_buckets(torch.tensor([-2, 0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 90]))
    assert got.tolist() == [0, 0, 0, 1, 2, 3, 4, 4, 5, 5, 6, 6]


def test_encode_maps_mentions_to_their_wordpieces_and_decode_reads_back() -> None:
    tok = load_tokenizer()
    docs = [dict(d) for d in load_coref("dev").select(range(8))]
    rows, (kept_docs, kept) = encode(docs, tok, FinetuneConfig(), 128)
    for row, doc, k in zip(rows, kept_docs, kept, strict=True):
        assert k == list(range(len(doc["mentions"]))), "every mention fits 128 WordPieces"
        for s, e, m in zip(
            row["mention_starts"], row["mention_ends"], doc["mentions"], strict=True
        ):
            piece = tok.decode(row["input_ids"][s : e + 1])
            assert piece.replace(" ", "") == m["text"].replace(" ", ""), (piece, m["text"])
        firsts = {m["entity"]: i for i, m in reversed(list(enumerate(doc["mentions"])))}
        assert row["labels"] == [firsts[m["entity"]] for m in doc["mentions"]]
    # a row cut to 12 tokens keeps only the mentions inside; the rest are answered "none"
    short, (_, kept_short) = encode(docs[:1], tok, FinetuneConfig(), 12)
    assert len(short[0]["mention_starts"]) == len(kept_short[0]) < len(docs[0]["mentions"])
    scores = np.full((3, 4), -1e9)
    scores[:, 0] = 0
    scores[2, 1] = 5.0  # kept mention 2 -> kept mention 0
    assert decode(scores, [0, 2, 3], 5) == [None, None, None, 0, None]


def test_metrics_by_kind_of_link() -> None:
    doc = {"mentions": [
        {"entity": "A", "form": "name", "antecedent": None},
        {"entity": "A", "form": "pronoun", "antecedent": 0},
        {"entity": "B", "form": "name", "antecedent": None},
        {"entity": "B", "form": "surname", "antecedent": 2},
    ]}  # fmt: skip
    m = coref_metrics([doc], [[None, 0, None, 1]])
    assert m["antecedent_accuracy"] == 75.0 and m["link_accuracy"] == 50.0
    assert m["link_accuracy_pronoun"] == 100.0 and m["link_accuracy_name"] == 0.0
    assert m["n_links"] == 2 and m["n_mentions"] == 4


def test_a_course_checkpoint_loads_with_only_the_scorer_new() -> None:
    model, tok, new = load_task_model(CKPT, "coref")
    assert isinstance(model, SpanBertForCoreference) and tok.is_fast
    assert new and all(not k.startswith("bert.") for k in new), new


def test_finetune_cli_runs_coref_end_to_end(tmp_path, capsys) -> None:
    threads = torch.get_num_threads()
    results = tmp_path / "coref.json"
    argv = ["coref", "--model", CKPT, "--max-steps", "5", "--max-train", "16",
            "--max-eval", "12", "--batch-size", "8", "--lr", "1e-3", "--results", str(results),
            "--output", str(tmp_path / "out"), "--no-progress", "--threads", "1"]  # fmt: skip
    try:
        assert cli.main(argv) == 0
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert "antecedent_accuracy" in out and "baseline_muc_f1" in out, out
    record = json.loads(results.read_text())
    metrics = record["runs"][0]["metrics"] if "runs" in record else record
    assert "muc_f1" in json.dumps(metrics)
    predictions = json.loads((tmp_path / "out" / "seed0" / "predictions.json").read_text())
    assert len(predictions) == 12
