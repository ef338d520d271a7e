"""Gradient accumulation: N micro-batches per update give the update of the one large batch.

Each micro-batch's loss is weighted by its share of the global batch's targets
(:func:`spanbert_lab.pretrain.distributed.shard_loss`), so the gradient is the gradient of the
global batch's token mean, not the mean of the micro-batches' means. Synthetic data, a tiny model,
dropout off (dropout would draw differently per micro-batch).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from spanbert_lab.masking.collate import MaskingCollator
from spanbert_lab.pretrain import TrainConfig, train
from spanbert_lab.pretrain import distributed as D
from spanbert_lab.pretrain import loop as loop_module
from spanbert_lab.training import train_step

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pretrain import (
    UNIFORM,
    synthetic_examples,
    synthetic_tokenizer,
    tiny_model,
)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class RecordingSGD(torch.optim.SGD):
    """Plain SGD (the update is linear in the gradient, unlike Adam's first step, which is
    ~lr·sign(g) and would turn rounding noise into sign flips) that keeps every gradient."""

    def __init__(self, params, lr: float) -> None:
        super().__init__(params, lr=lr)
        self.grads: list[list[torch.Tensor]] = []

    def step(self, closure=None):
        self.grads.append([p.grad.clone() for g in self.param_groups for p in g["params"]
                           if p.grad is not None])  # fmt: skip
        return super().step(closure)


def _run(accumulation: int, monkeypatch, *, sbo: bool = True, steps: int = 2):
    tok = synthetic_tokenizer()
    train_ex = synthetic_examples(tok, 24, seed=1)
    model = tiny_model(tok, sbo=sbo, dropout=0.0)
    optimizers = []

    def sgd(model, *, lr, weight_decay, betas, eps):
        optimizers.append(RecordingSGD(model.parameters(), lr=lr))
        return optimizers[-1]

    monkeypatch.setattr(loop_module, "build_optimizer", sgd)
    config = TrainConfig(max_steps=steps, batch_size=8, grad_accumulation=accumulation, lr=0.1,
                         warmup_steps=0, progress=False, seed=3)  # fmt: skip
    collator = MaskingCollator(tok, "span" if sbo else "subword", UNIFORM, seed=3,
                               include_sbo=sbo)  # fmt: skip
    history = train(model, train_ex, None, config, collator=collator, device="cpu")
    return model, history, optimizers[0].grads


@pytest.mark.parametrize("sbo", [True, False])
def test_four_micro_batches_equal_one_batch_of_eight(monkeypatch, sbo):
    model_1, history_1, grads_1 = _run(1, monkeypatch, sbo=sbo)
    model_4, history_4, grads_4 = _run(4, monkeypatch, sbo=sbo)
    for step, (g1, g4) in enumerate(zip(grads_1, grads_4, strict=True), 1):
        for a, b in zip(g1, g4, strict=True):
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7,
                                       msg=lambda m, s=step: f"update {s}: gradient: {m}")  # fmt: skip
    for (name, a), b in zip(model_1.state_dict().items(), model_4.state_dict().values(),
                            strict=True):  # fmt: skip
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-7, msg=lambda m, n=name: f"{n}: {m}")
    for r1, r4 in zip(history_1.train, history_4.train, strict=True):
        for key in ("loss", "mlm_loss", "sbo_loss", "grad_norm"):
            if r1[key] is None:
                assert r4[key] is None, key
                continue
            assert r4[key] == pytest.approx(r1[key], rel=1e-6), (
                f"step {r1['step']}: {key} {r4[key]} (4 micro-batches) vs {r1[key]} (1 batch)"
            )
        assert r4["tokens"] == r1["tokens"] and r4["lr"] == r1["lr"]


def test_the_mean_of_micro_batch_means_would_differ(monkeypatch):
    """The test above can fail: weighting each micro-batch's mean equally gives another loss."""
    tok = synthetic_tokenizer()
    examples = synthetic_examples(tok, 8, seed=1)
    model = tiny_model(tok, dropout=0.0)
    collator = MaskingCollator(tok, "span", UNIFORM, seed=3)
    with torch.no_grad():
        whole = model(**collator(examples)).loss
        naive = sum(model(**collator(examples[i : i + 2])).loss for i in range(0, 8, 2)) / 4
    assert abs(float(naive) - float(whole)) > 1e-4, (float(naive), float(whole))


def test_batch_size_must_split_into_micro_batches_and_processes():
    with pytest.raises(ValueError, match=r"TrainConfig.grad_accumulation=3: must divide"):
        TrainConfig(batch_size=8, grad_accumulation=3)
    with pytest.raises(ValueError, match=r"TrainConfig.grad_accumulation=0"):
        TrainConfig(grad_accumulation=0)
    tok = synthetic_tokenizer()
    config = TrainConfig(max_steps=2, batch_size=4, grad_accumulation=4, warmup_steps=0)
    with pytest.raises(ValueError, match=r"4 micro-batches .* x 2 processes.*divisible by 8"):
        train(tiny_model(tok), synthetic_examples(tok, 8, seed=1), None, config,
              collator=MaskingCollator(tok, "span", UNIFORM), dist=D.DistInfo(world_size=2))  # fmt: skip


def test_train_step_adds_the_micro_batches_gradients():
    """train_step with a list: one loss function per micro-batch, one optimiser step."""
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    model = torch.nn.Module()
    model.w = w
    forward_calls = []

    def forward(x):
        forward_calls.append(x)
        return type("Out", (), {"loss": (w * x).sum() ** 2})()

    optimizer = torch.optim.SGD([w], lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    xs = [
        torch.tensor([1.0, 0.0], dtype=torch.float64),
        torch.tensor([0.0, 1.0], dtype=torch.float64),
    ]
    step = train_step(model, [{"x": x} for x in xs], optimizer, scheduler, max_grad_norm=None,
                      forward=forward, loss_of=[lambda o: 0.25 * o.loss, lambda o: 0.75 * o.loss])  # fmt: skip
    assert len(forward_calls) == 2
    # d/dw of 0.25 (w·x1)² + 0.75 (w·x2)² at w = (1, 2): (0.5 · 1, 1.5 · 2)
    assert step.grad_norm == pytest.approx(float(torch.tensor([0.5, 3.0]).norm()))
    assert step.loss.item() == pytest.approx(0.25 * 1 + 0.75 * 4)
    torch.testing.assert_close(
        w.detach(), torch.tensor([1.0 - 0.05, 2.0 - 0.3], dtype=torch.float64)
    )
    with pytest.raises(ValueError, match="2 loss functions for 1 batches"):
        train_step(model, [{"x": xs[0]}], optimizer, scheduler, max_grad_norm=None,
                   forward=forward, loss_of=[lambda o: o.loss] * 2)  # fmt: skip
