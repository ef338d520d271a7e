"""Atomic checkpoints: what they hold, how they are found, and what a crash leaves behind."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining
from spanbert_lab.training import checkpoint as C
from spanbert_lab.training.schedule import build_optimizer, build_scheduler


def make(seed: int = 0):
    config = SpanBertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=24,
                            max_position_embeddings=16, sbo_position_embedding_size=4,
                            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)  # fmt: skip
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = SpanBertForPreTraining(config)
    opt = build_optimizer(model, lr=1e-2, weight_decay=0.01)
    return model, opt, build_scheduler(opt, warmup_steps=1, total_steps=10)


def one_step(model, opt, sched):
    ids = torch.arange(5, 17).view(2, 6) % 50
    labels = torch.full_like(ids, -100)
    labels[:, 2] = ids[:, 2]
    model(input_ids=ids, labels=labels).loss.backward()
    opt.step()
    sched.step()
    opt.zero_grad()


def save(tmp: Path, step: int, model, opt, sched, **kw) -> Path:
    return C.save_checkpoint(tmp, step=step, model=model, optimizer=opt, scheduler=sched,
                             state={"epoch": 0, "batch_in_epoch": step}, **kw)  # fmt: skip


def test_round_trip_restores_model_optimizer_and_scheduler(tmp_path: Path):
    model, opt, sched = make()
    one_step(model, opt, sched)
    folder = save(tmp_path, 1, model, opt, sched)
    assert {p.name for p in folder.iterdir()} >= {
        "config.json",
        "model.safetensors",
        C.TRAINER_STATE,
    }
    other, opt2, sched2 = make(seed=1)
    state = C.load_checkpoint(tmp_path, model=other, optimizer=opt2, scheduler=sched2)
    assert state["step"] == 1 and state["batch_in_epoch"] == 1
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values(), strict=True):
        assert torch.equal(a, b), f"{name} differs after loading"
    assert other.cls.predictions.decoder.weight is other.bert.embeddings.word_embeddings.weight
    assert sched2.get_last_lr() == sched.get_last_lr() and sched2.last_epoch == 1
    one_step(model, opt, sched)
    one_step(other, opt2, sched2)  # the optimiser moments came back too
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values(), strict=True):
        assert torch.equal(a, b), f"{name} differs one step after loading"


def test_trainer_state_loads_without_pickle(tmp_path: Path):
    model, opt, sched = make()
    folder = save(tmp_path, 3, model, opt, sched)
    state = torch.load(folder / C.TRAINER_STATE, weights_only=True)  # raises on arbitrary objects
    assert state["format_version"] == C.FORMAT_VERSION and len(state["rng_states"]) == 1


def test_rng_states_round_trip():
    state = C.capture_rng_state()
    want = (random.random(), float(np.random.rand()), float(torch.rand(())))
    C.restore_rng_state(state)
    got = (random.random(), float(np.random.rand()), float(torch.rand(())))
    assert got == want, f"restored streams differ: {got} vs {want}"


def test_latest_pointer_pruning_and_resolution(tmp_path: Path):
    model, opt, sched = make()
    for step in (2, 4, 6):
        save(tmp_path, step, model, opt, sched, keep_last=2)
    assert [p.name for p in C.list_checkpoints(tmp_path)] == ["checkpoint-4", "checkpoint-6"]
    assert (tmp_path / C.LATEST).read_text().strip() == "checkpoint-6"
    assert C.resolve_checkpoint(tmp_path) == tmp_path / "checkpoint-6"
    assert C.resolve_checkpoint(tmp_path / "checkpoint-4") == tmp_path / "checkpoint-4"
    (tmp_path / C.LATEST).unlink()
    assert C.resolve_checkpoint(tmp_path) == tmp_path / "checkpoint-6", "fallback: newest"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary files left"


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_nothing_to_resume_is_a_clear_error(tmp_path: Path, kind: str):
    path = tmp_path / "x"
    if kind == "file":
        path.write_text("")
    elif kind == "empty":
        path.mkdir()
    with pytest.raises(FileNotFoundError, match="cannot resume"):
        C.resolve_checkpoint(path)


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path: Path, monkeypatch):
    model, opt, sched = make()
    save(tmp_path, 1, model, opt, sched)

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(C.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save(tmp_path, 2, model, opt, sched)
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint-1", C.LATEST] or sorted(
        p.name for p in tmp_path.iterdir()
    ) == ["checkpoint-1", C.LATEST], f"left behind: {sorted(p.name for p in tmp_path.iterdir())}"
    assert C.resolve_checkpoint(tmp_path).name == "checkpoint-1"


def test_save_model_dir_replaces_a_folder_atomically(tmp_path: Path):
    model, _, _ = make()
    target = tmp_path / "export"
    C.save_model_dir(target, model, extra_files={"README.md": "one"})
    C.save_model_dir(target, model, extra_files={"README.md": "two"})
    assert (target / "README.md").read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]
    loaded = SpanBertForPreTraining.from_pretrained(target)
    torch.testing.assert_close(loaded.cls.span_boundary.bias, model.cls.span_boundary.bias)


def test_weights_of_another_model_are_refused(tmp_path: Path):
    model, _, _ = make()
    C.save_model_dir(tmp_path / "m", model)
    bigger = SpanBertForPreTraining(SpanBertConfig(
        vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=24, max_position_embeddings=16, sbo_position_embedding_size=4))  # fmt: skip
    with pytest.raises(RuntimeError, match="missing"):
        C.load_model_weights(bigger, tmp_path / "m")
    with pytest.raises(FileNotFoundError, match=r"no model\.safetensors"):
        C.load_model_weights(model, tmp_path)
