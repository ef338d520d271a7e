"""The pretraining loop: determinism, exact resume, time budget, evaluation, config validation.

Everything runs on a synthetic word-piece vocabulary and random "documents", with a model far
smaller than the tiny preset, so the file takes a few seconds and needs no ``data/``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch

from spanbert_lab.data.tokenizer import make_tokenizer
from spanbert_lab.masking import MaskingConfig
from spanbert_lab.masking.collate import MaskingCollator
from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining
from spanbert_lab.pretrain import TrainConfig, global_batches, train
from spanbert_lab.pretrain.evaluation import evaluate_pretraining, mlm_target_spans, span_accuracy
from spanbert_lab.training.checkpoint import list_checkpoints, resolve_checkpoint

UNIFORM = MaskingConfig(random_token_source="uniform")  # synthetic data: no corpus counts

WORDS = [f"w{i}" for i in range(40)] + [f"##s{i}" for i in range(10)]


def synthetic_tokenizer():
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    return make_tokenizer(vocab)


def synthetic_examples(tokenizer, n: int, *, seed: int, length: int = 24) -> list[dict]:
    """Blocks ``[CLS] … [SEP]`` of varying length, with a learnable pattern (a cyclic walk)."""
    g = torch.Generator().manual_seed(seed)
    first, vocab = 5, len(tokenizer)
    examples = []
    for i in range(n):
        t = length - int(torch.randint(0, 6, (1,), generator=g))
        start = int(torch.randint(first, vocab, (1,), generator=g))
        body = [first + (start - first + 3 * k) % (vocab - first) for k in range(t - 2)]
        ids = [tokenizer.cls_token_id, *body, tokenizer.sep_token_id]
        examples.append({"input_ids": ids, "index": i})
    return examples


def tiny_model(tokenizer, *, sbo: bool = True, dropout: float = 0.1, seed: int = 0):
    config = SpanBertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=32, sbo_position_embedding_size=8,
        sbo_loss_weight=1.0 if sbo else 0.0, hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout, pad_token_id=0,
    )  # fmt: skip
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return SpanBertForPreTraining(config)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny matrices: one thread is fastest, and immune to a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def setup():
    tok = synthetic_tokenizer()
    return tok, synthetic_examples(tok, 24, seed=1), synthetic_examples(tok, 8, seed=2)


def run(setup, config: TrainConfig, *, seed: int = 0, **kwargs):
    tok, train_ex, eval_ex = setup
    model = tiny_model(tok, seed=seed)
    collator = MaskingCollator(tok, "span", UNIFORM, seed=config.seed)
    eval_collator = MaskingCollator(tok, "span", UNIFORM, seed=99)
    history = train(model, train_ex, eval_ex, config, collator=collator,
                    eval_collator=eval_collator, device="cpu", **kwargs)  # fmt: skip
    return model, history


FAST = dict(max_steps=8, batch_size=4, lr=3e-3, warmup_steps=2, progress=False)


def test_same_seed_same_run_bit_for_bit(setup):
    _, h1 = run(setup, TrainConfig(**FAST, seed=3))
    _, h2 = run(setup, TrainConfig(**FAST, seed=3))
    assert h1.losses == h2.losses, f"losses differ: {h1.losses} vs {h2.losses}"
    assert h1.eval == h2.eval
    _, h3 = run(setup, TrainConfig(**FAST, seed=4))
    assert h3.losses != h1.losses, "another seed should give other masks, order and dropout"


def test_global_rng_is_left_alone(setup):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run(setup, TrainConfig(**FAST))
    torch.testing.assert_close(torch.rand(3), expected, msg="train() consumed the global RNG")


def test_history_records_every_update_and_evaluation(setup):
    records = []
    _, h = run(setup, TrainConfig(**FAST, eval_every=4), callback=records.append)
    assert h.steps == list(range(1, 9))
    assert [r["step"] for r in h.eval] == [4, 8]
    assert [r["kind"] for r in records].count("eval") == 2 and len(records) == 10
    for r in h.train:
        assert math.isfinite(r["loss"]) and r["sbo_loss"] is not None and r["nsp_loss"] is None
        assert r["loss"] == pytest.approx(r["mlm_loss"] + r["sbo_loss"], rel=1e-6)
    assert h.train[0]["lr"] == pytest.approx(3e-3 / 2) and h.train[1]["lr"] == pytest.approx(3e-3)
    assert h.train[-1]["lr"] == pytest.approx(3e-3 / 6)
    e = h.eval[-1]
    assert 0 <= e["mlm_accuracy"] <= 1 and 0 <= e["sbo_accuracy"] <= 1 and e["mlm_targets"] > 0
    assert h.stopped_by == "max_steps"


def test_loss_falls_on_a_learnable_pattern(setup):
    config = TrainConfig(max_steps=120, batch_size=8, lr=1e-2, warmup_steps=10, progress=False)
    _, h = run(setup, config)
    first, last = sum(h.losses[:5]) / 5, sum(h.losses[-5:]) / 5
    start = 2 * math.log(len(setup[0]))  # MLM + SBO at chance
    assert first == pytest.approx(start, rel=0.15), (
        f"initial loss {first:.3f} vs 2 ln V {start:.3f}"
    )
    assert last < 0.7 * first, f"loss fell only from {first:.3f} to {last:.3f}"


def test_resume_reproduces_the_uninterrupted_run(setup, tmp_path: Path):
    config = TrainConfig(**FAST, save_every=3, eval_every=4, keep_checkpoints=None)
    full_model, full = run(
        setup, config.__class__(**{**config.__dict__, "output_dir": str(tmp_path / "a")})
    )

    class Interrupt(Exception):
        pass

    def crash(record):
        if record["kind"] == "train" and record["step"] == 5:
            raise Interrupt

    cfg_b = config.__class__(**{**config.__dict__, "output_dir": str(tmp_path / "b")})
    with pytest.raises(Interrupt):
        run(setup, cfg_b, callback=crash)
    assert resolve_checkpoint(tmp_path / "b").name == "checkpoint-3"
    resumed_model, resumed = run(setup, cfg_b, seed=7, resume_from=str(tmp_path / "b"))
    assert resumed.losses == full.losses, (
        f"resumed losses {resumed.losses} differ from uninterrupted {full.losses}"
    )
    assert resumed.eval == full.eval
    for (name, a), b in zip(full_model.state_dict().items(), resumed_model.state_dict().values(),
                            strict=True):  # fmt: skip
        assert torch.equal(a, b), f"parameter {name} differs after resume"
    assert [p.name for p in list_checkpoints(tmp_path / "b")] == [
        "checkpoint-3", "checkpoint-6", "checkpoint-8"
    ]  # fmt: skip


def test_time_budget_stops_early_and_saves(setup, tmp_path: Path):
    config = TrainConfig(**{**FAST, "max_steps": 10_000, "warmup_steps": 2}, time_budget_s=1e-9,
                         output_dir=str(tmp_path))  # fmt: skip
    _, h = run(setup, config)
    assert h.stopped_by == "time_budget" and h.steps == [1]
    assert len(h.eval) == 1, "the last step of a budgeted run is evaluated"
    assert resolve_checkpoint(tmp_path).name == "checkpoint-1"


def test_plain_mlm_model_has_no_sbo_loss(setup):
    tok, train_ex, eval_ex = setup
    model = tiny_model(tok, sbo=False)
    collator = MaskingCollator(tok, "subword", UNIFORM, include_sbo=False)
    h = train(model, train_ex, eval_ex, TrainConfig(**FAST), collator=collator, device="cpu")
    assert all(r["sbo_loss"] is None for r in h.train)
    assert h.eval[-1]["sbo_accuracy"] is None and h.eval[-1]["mlm_accuracy"] is not None


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_steps", 0), ("batch_size", -1), ("warmup_steps", 8), ("lr", 0.0),
     ("max_grad_norm", 0.0), ("precision", "fp16"), ("time_budget_s", 0.0)],
)  # fmt: skip
def test_config_names_the_bad_field(field, value):
    with pytest.raises(ValueError, match=f"TrainConfig.{field}"):
        TrainConfig(**{**FAST, field: value})


def test_too_little_data_is_an_error(setup):
    tok, train_ex, _ = setup
    with pytest.raises(ValueError, match="cannot fill one batch"):
        train(tiny_model(tok), train_ex[:3], None, TrainConfig(**FAST),
              collator=MaskingCollator(tok, "span", UNIFORM), device="cpu")  # fmt: skip


def test_global_batches_cover_each_epoch_once():
    batches = global_batches(10, 3, seed=0, epoch=0)
    flat = [i for b in batches for i in b]
    assert len(batches) == 3 and len(set(flat)) == 9, "one incomplete batch is dropped"
    assert global_batches(10, 3, seed=0, epoch=1) != batches, "the order changes every epoch"


def test_mlm_target_spans_against_a_loop():
    g = torch.Generator().manual_seed(0)
    labels = torch.where(torch.rand(5, 17, generator=g) < 0.4, 7, -100)
    pos, length = mlm_target_spans(labels)
    want_pos, want_len = [], []
    for row in labels.tolist():
        t = 0
        while t < len(row):
            if row[t] == -100:
                t += 1
                continue
            e = t
            while e < len(row) and row[e] != -100:
                e += 1
            want_pos += list(range(e - t))
            want_len += [e - t] * (e - t)
            t = e
    assert pos.tolist() == want_pos and length.tolist() == want_len


def test_evaluation_is_independent_of_batch_size_and_training_epoch(setup):
    tok, _, eval_ex = setup
    model = tiny_model(tok)
    collator = MaskingCollator(tok, "span", UNIFORM, seed=5)
    collator.set_epoch(3)
    a = evaluate_pretraining(model, eval_ex, collator, batch_size=8)
    b = evaluate_pretraining(model, eval_ex, collator, batch_size=3)
    assert collator.epoch == 3, "evaluate_pretraining() must restore the collator's epoch"
    for key in ("mlm_loss", "sbo_loss"):
        assert a[key] == pytest.approx(b[key], rel=1e-5), key
    assert a["mlm_accuracy"] == b["mlm_accuracy"] and a["mlm_targets"] == b["mlm_targets"]
    acc = span_accuracy(model, eval_ex, collator, max_position=4, max_length=4)
    assert int(acc["mlm"].total_by_position.sum()) == a["mlm_targets"]
    assert int(acc["sbo"].total_by_length.sum()) == a["sbo_targets"]
    overall = float(acc["mlm"].correct_by_position.sum()) / a["mlm_targets"]
    assert overall == pytest.approx(a["mlm_accuracy"])


def test_one_progress_line_per_evaluation_and_metrics_jsonl(setup, tmp_path: Path, capsys):
    config = TrainConfig(**{**FAST, "progress": True}, eval_every=4, output_dir=str(tmp_path))
    run(setup, config)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[1] for line in lines] == ["step 4/8 (50%)", "step 8/8 (100%)"], lines
    assert "dev_mlm_accuracy" in lines[0] and "tokens/s" in lines[0] and "left" in lines[0]
    records = [json.loads(r) for r in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [4, 8]
    assert {"loss", "mlm_loss", "sbo_loss", "tokens/s", "dev_mlm_accuracy", "elapsed_s"} <= set(
        records[-1]
    ), records[-1]
