"""The learning-rate schedule as a pure function and the AdamW weight-decay grouping."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from spanbert_lab.training.schedule import (
    WarmupLinearSchedule,
    build_optimizer,
    build_scheduler,
    lr_at_step,
    param_groups,
)


def test_warmup_is_linear_from_the_first_update():
    peak, warmup, total = 3e-4, 4, 12
    got = [lr_at_step(s, peak_lr=peak, warmup_steps=warmup, total_steps=total) for s in range(4)]
    want = [peak * k / 4 for k in (1, 2, 3, 4)]
    for s, (g, w) in enumerate(zip(got, want, strict=True)):
        assert math.isclose(g, w, rel_tol=1e-12), f"warm-up step {s}: lr {g} != {w}"


def test_decay_is_linear_to_zero_at_total():
    peak, warmup, total = 1.0, 2, 10
    lrs = [lr_at_step(s, peak_lr=peak, warmup_steps=warmup, total_steps=total) for s in range(12)]
    assert lrs[warmup] == pytest.approx(peak), "the first decay step should still be at the peak"
    diffs = [lrs[s] - lrs[s + 1] for s in range(warmup, total - 1)]
    for s, d in zip(range(warmup, total - 1), diffs, strict=True):
        assert d == pytest.approx(peak / (total - warmup)), f"decay slope wrong after step {s}: {d}"
    assert lrs[total - 1] == pytest.approx(peak / (total - warmup)), "the last update is not zero"
    assert lrs[total] == 0.0 and lrs[total + 1] == 0.0, f"lr after the run: {lrs[total:]}"
    assert max(lrs) == pytest.approx(peak), f"peak {max(lrs)} != {peak}"


def test_no_warmup_starts_at_the_peak():
    assert lr_at_step(0, peak_lr=2.0, warmup_steps=0, total_steps=5) == 2.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"step": -1, "warmup_steps": 1, "total_steps": 5}, "step"),
        ({"step": 0, "warmup_steps": 5, "total_steps": 5}, "warmup_steps"),
        ({"step": 0, "warmup_steps": -1, "total_steps": 5}, "warmup_steps"),
    ],
)
def test_bad_arguments_are_named(kwargs, field):
    with pytest.raises(ValueError, match=field):
        lr_at_step(peak_lr=1.0, **kwargs)


def test_scheduler_follows_the_pure_function():
    model = nn.Linear(3, 2)
    opt = build_optimizer(model, lr=5e-4, weight_decay=0.01)
    sched = build_scheduler(opt, warmup_steps=3, total_steps=9)
    for step in range(11):
        want = lr_at_step(step, peak_lr=5e-4, warmup_steps=3, total_steps=9)
        for group in opt.param_groups:
            assert group["lr"] == pytest.approx(want, abs=1e-15), f"step {step}: {group['lr']}"
        opt.step()
        sched.step()


def test_schedule_state_round_trips():
    model = nn.Linear(3, 2)
    opt = build_optimizer(model, lr=1.0, weight_decay=0.0)
    sched = build_scheduler(opt, warmup_steps=2, total_steps=6)
    for _ in range(3):
        opt.step()
        sched.step()
    opt2 = build_optimizer(model, lr=1.0, weight_decay=0.0)
    sched2 = build_scheduler(opt2, warmup_steps=1, total_steps=100)
    sched2.load_state_dict(sched.state_dict())
    assert sched2.lr_lambdas[0] == WarmupLinearSchedule(2, 6), "schedule parameters not restored"
    assert sched2.last_epoch == 3


class _Toy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(7, 4)
        self.proj = nn.Linear(4, 4)
        self.norm = nn.LayerNorm(4)
        self.decoder = nn.Linear(4, 7)
        self.decoder.weight = self.emb.weight  # tied, like the MLM decoder
        self.frozen = nn.Parameter(torch.zeros(3, 3), requires_grad=False)


def test_weight_decay_groups_by_dimension():
    model = _Toy()
    decay, no_decay = param_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    assert {p.dim() for p in decay["params"]} == {2}, "only matrices should decay"
    assert {p.dim() for p in no_decay["params"]} == {1}, "only vectors should be exempt"
    ids = [id(p) for g in (decay, no_decay) for p in g["params"]]
    assert len(ids) == len(set(ids)), "a tied parameter appears twice"
    # emb (= decoder), proj.weight | proj.bias, norm.weight, norm.bias, decoder.bias
    assert (len(decay["params"]), len(no_decay["params"])) == (2, 4)


def test_adamw_decay_is_decoupled_and_skips_vectors():
    torch.manual_seed(0)
    model = nn.Linear(3, 3)
    before_w, before_b = model.weight.detach().clone(), model.bias.detach().clone()
    opt = build_optimizer(model, lr=0.1, weight_decay=0.5)
    model.weight.grad = torch.zeros_like(model.weight)
    model.bias.grad = torch.zeros_like(model.bias)
    opt.step()  # zero gradient: only the decoupled decay acts
    torch.testing.assert_close(model.weight.detach(), before_w * (1 - 0.1 * 0.5))
    torch.testing.assert_close(model.bias.detach(), before_b)
