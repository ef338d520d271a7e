"""Filling masked spans with the trained heads (``spanbert_lab.pretrain.evaluation.fill_spans``)."""

from __future__ import annotations

import torch
from test_pretrain import synthetic_tokenizer, tiny_model

from spanbert_lab.pretrain.evaluation import fill_spans


def test_fill_spans_masks_exactly_the_span_and_reads_both_heads():
    tok = synthetic_tokenizer()
    text = "w1 w2 w3s w4 w5 w6"  # "w3s" is one word of several pieces
    start = text.index("w3s")
    items = [(text, start, start + len("w3s w4")), (text, 0, 2)]
    model = tiny_model(tok, dropout=0.0)
    fills = fill_spans(model, tok, items, batch_size=1)
    want = tuple(tok.convert_ids_to_tokens(tok("w3s w4", add_special_tokens=False)["input_ids"]))
    assert fills[0].original == want and len(want) >= 2
    assert len(fills[0].mlm) == len(want) and len(fills[0].sbo) == len(want)
    assert fills[1].original == ("w1",) and fills[1].sbo is None, "span at [CLS]: no SBO"
    again = fill_spans(model, tok, items, batch_size=2)
    assert again == fills, "batching must not change the predictions"
    # the same predictions as the model's own argmax on a hand-masked input
    ids = tok(text, return_tensors="pt")["input_ids"]
    pieces = tok.convert_ids_to_tokens(ids[0].tolist())
    s = pieces.index(want[0])
    labels = torch.full_like(ids, -100)
    labels[0, s : s + len(want)] = ids[0, s : s + len(want)]
    masked = torch.where(labels != -100, tok.mask_token_id, ids)
    with torch.no_grad():
        out = model.eval()(input_ids=masked, labels=labels)
    assert fills[0].mlm == tuple(tok.convert_ids_to_tokens(out.mlm_logits.argmax(-1).tolist()))


def test_no_sbo_head_gives_no_sbo_fill():
    tok = synthetic_tokenizer()
    model = tiny_model(tok, sbo=False, dropout=0.0)
    (fill,) = fill_spans(model, tok, [("w1 w2 w3 w4", 3, 5)])
    assert fill.sbo is None and fill.original == ("w2",)
