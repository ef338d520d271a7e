"""The update shared by pretraining and fine-tuning, and the loop state a checkpoint holds."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from spanbert_lab.training import History, LoopState, autocast_for, train_step
from spanbert_lab.training.schedule import build_scheduler


class _Square(nn.Module):
    """loss = Σ (w·x)², whose gradient 2·(w·x)·x is easy to write down."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.tensor([3.0, 4.0], dtype=torch.float64))

    def forward(self, x: torch.Tensor) -> SimpleNamespace:
        return SimpleNamespace(loss=(self.w * x).sum() ** 2)


def _setup(lr: float = 0.1):
    model = _Square()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = build_scheduler(optimizer, warmup_steps=2, total_steps=5)
    return model, optimizer, scheduler


def test_one_step_clips_steps_and_zeroes():
    model, optimizer, scheduler = _setup()
    x = torch.tensor([1.0, 1.0], dtype=torch.float64)
    step = train_step(model, {"x": x}, optimizer, scheduler, max_grad_norm=1.0)
    grad = 2 * 7.0 * x  # d/dw (w·x)² at w = (3, 4)
    assert step.grad_norm == pytest.approx(float(grad.norm()))
    assert step.lr == pytest.approx(0.05), "warm-up: the first of 2 updates runs at half the peak"
    assert step.loss.item() == 49.0 and not step.loss.requires_grad
    assert model.w.grad is None, "gradients are zeroed (set to None) after the update"
    clipped = grad / grad.norm()  # norm 19.8 > 1: scaled to norm 1
    torch.testing.assert_close(model.w.detach(), torch.tensor([3.0, 4.0]).double() - 0.05 * clipped)
    assert scheduler.get_last_lr()[0] == pytest.approx(0.1), "the scheduler stepped once"
    assert train_step(model, {"x": x}, optimizer, scheduler, max_grad_norm=1.0).lr == 0.1


def test_without_clipping_the_norm_is_still_reported():
    model, optimizer, scheduler = _setup()
    x = torch.tensor([0.5, 0.0], dtype=torch.float64)
    step = train_step(model, {"x": x}, optimizer, scheduler, max_grad_norm=None)
    assert step.grad_norm == pytest.approx(2 * 1.5 * 0.5)


def test_custom_forward_and_loss():
    model, optimizer, scheduler = _setup()
    calls = []

    def forward(**batch):
        calls.append(sorted(batch))
        return model(**batch)

    wrapper = SimpleNamespace(__call__=forward)
    step = train_step(model, {"x": torch.ones(2, dtype=torch.float64)}, optimizer, scheduler,
                      max_grad_norm=None, forward=forward, loss_of=lambda out: 0.5 * out.loss)  # fmt: skip
    assert calls == [["x"]] and wrapper is not None
    assert step.loss.item() == pytest.approx(24.5)
    assert step.grad_norm == pytest.approx(0.5 * 2 * 7.0 * math.sqrt(2))


def test_loop_state_round_trips_through_checkpoint_fields():
    history = History(train=[{"step": 1, "loss": 2.0}], eval=[{"step": 1, "mlm_loss": 3.0}])
    state = LoopState(step=1, epoch=2, batch_in_epoch=3, history=history)
    stored = {"step": 1, "rng_states": [{"torch": torch.zeros(1)}], **state.checkpoint_fields()}
    back = LoopState.from_checkpoint(stored)
    assert (back.step, back.epoch, back.batch_in_epoch) == (1, 2, 3)
    assert back.history.train == history.train and back.history.eval == history.eval
    assert len(back.rng_states) == 1
    with pytest.raises(ValueError, match=r"lacks \['batch_in_epoch'\]"):
        LoopState.from_checkpoint({"step": 1, "epoch": 0, "history": {"train": [], "eval": []}})


def test_history_has_one_format():
    history = History(train=[{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.0}])
    assert history.steps == [1, 2] and history.losses == [2.0, 1.0]
    assert not hasattr(history, "series"), "dead code is gone"


def test_bf16_needs_cuda():
    with pytest.raises(ValueError, match="needs a CUDA device"):
        autocast_for(torch.device("cpu"), "bf16")
    with autocast_for(torch.device("cpu"), "auto")():
        pass
