"""Data-parallel training: sharding, the token-weighted loss, and 2 CPU processes vs 1.

The last test launches this very file under ``torchrun`` with two gloo processes (the
``__main__`` block is the worker), then trains the same model in one process on the same global
batches and checks that both runs report the same losses and end with the same weights — also
when each process splits its share into 2 micro-batches (gradient accumulation): 2 × 2 parts of
the global batch weighted by their targets give the one-process update.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from spanbert_lab.pretrain.distributed import DistInfo, shard, shard_loss

HERE = Path(__file__).resolve().parent


def test_shard_takes_every_world_size_th_example():
    batch = list(range(10, 18))
    shards = [shard(batch, r, 4) for r in range(4)]
    assert shards[1] == [11, 15]
    assert sorted(i for s in shards for i in s) == batch, "the shards must cover the batch once"
    with pytest.raises(ValueError, match="does not split"):
        shard(list(range(7)), 0, 2)
    with pytest.raises(ValueError, match="rank"):
        shard(batch, 2, 2)


def test_shard_losses_average_to_the_global_token_mean():
    """Σ_r shard_loss_r / W has the value and gradient of the global per-token mean."""
    g = torch.Generator().manual_seed(0)
    world = 3
    # per-token losses of two terms, with very different target counts per shard
    weights = torch.randn(5, dtype=torch.float64, requires_grad=True)
    feats = [[torch.randn(n, 5, generator=g, dtype=torch.float64) for n in ns]
             for ns in ((1, 7, 3), (4, 0, 2))]  # fmt: skip
    glob = sum(torch.cat(term).matmul(weights).mean() for term in feats)
    (want_grad,) = torch.autograd.grad(glob, weights)

    counts = torch.tensor([[len(f) for f in term] for term in feats], dtype=torch.float64)
    total = torch.zeros((), dtype=torch.float64)
    for r in range(world):
        means = [
            f[r].matmul(weights).sum() / max(len(f[r]), 1)  # an empty shard gives a zero mean
            for f in feats
        ]
        total = total + shard_loss(means, counts[:, r], counts.sum(1), world) / world  # DDP: mean
    (got_grad,) = torch.autograd.grad(total, weights)
    torch.testing.assert_close(total, glob.detach())
    torch.testing.assert_close(got_grad, want_grad)

    naive = sum(sum(f[r].matmul(weights).sum() / max(len(f[r]), 1) for f in feats)
                for r in range(world)) / world  # fmt: skip
    assert abs(float(naive.detach()) - float(glob.detach())) > 1e-3, (
        "the example should tell them apart"
    )


def test_single_process_info():
    info = DistInfo()
    assert info.is_main and not info.distributed and info.device.type == "cpu"


CONFIG = dict(max_steps=4, batch_size=8, lr=3e-3, warmup_steps=1, progress=False, seed=5,
              eval_every=2, save_every=2)  # fmt: skip


def _train(output_dir: str, grad_accumulation: int = 1):
    sys.path.insert(0, str(HERE))
    from test_pretrain import synthetic_examples, synthetic_tokenizer, tiny_model

    from spanbert_lab.masking import MaskingConfig
    from spanbert_lab.masking.collate import MaskingCollator
    from spanbert_lab.pretrain import TrainConfig, train

    torch.set_num_threads(1)
    tok = synthetic_tokenizer()
    train_ex, eval_ex = synthetic_examples(tok, 20, seed=1), synthetic_examples(tok, 6, seed=2)
    model = tiny_model(tok, dropout=0.0)  # dropout would draw per process
    uniform = MaskingConfig(random_token_source="uniform")  # synthetic data: no corpus counts
    history = train(
        model, train_ex, eval_ex,
        TrainConfig(**CONFIG, output_dir=output_dir, grad_accumulation=grad_accumulation),
        collator=MaskingCollator(tok, "span", uniform, seed=5),
        eval_collator=MaskingCollator(tok, "span", uniform, seed=9), device="cpu",
    )  # fmt: skip
    return model, history


@pytest.mark.slow
@pytest.mark.parametrize("grad_accumulation", [1, 2])
def test_two_processes_match_one_process(tmp_path: Path, grad_accumulation: int):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--standalone", str(Path(__file__)), str(tmp_path / "ddp"),
           str(grad_accumulation)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"torchrun failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    ddp = json.loads((tmp_path / "ddp" / "history.json").read_text())

    model, single = _train(str(tmp_path / "single"))
    for a, b in zip(ddp["train"], single.train, strict=True):
        for key in ("loss", "mlm_loss", "sbo_loss", "grad_norm"):
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6), (
                f"step {b['step']}: {key} {a[key]} (2 processes) vs {b[key]} (1 process)"
            )
        assert a["tokens"] == b["tokens"] and a["lr"] == b["lr"]
    for a, b in zip(ddp["eval"], single.eval, strict=True):
        assert a["mlm_accuracy"] == b["mlm_accuracy"] and a["mlm_targets"] == b["mlm_targets"]
        assert a["mlm_loss"] == pytest.approx(b["mlm_loss"], rel=1e-5)
    from safetensors.torch import load_file

    weights = load_file(tmp_path / "ddp" / "checkpoint-4" / "model.safetensors")
    for name, tensor in weights.items():
        torch.testing.assert_close(tensor, model.state_dict()[name], rtol=1e-4, atol=1e-5,
                                   msg=lambda m, n=name: f"{n}: {m}")  # fmt: skip
    state = torch.load(tmp_path / "ddp" / "checkpoint-4" / "trainer_state.pt", weights_only=True)
    assert state["world_size"] == 2 and len(state["rng_states"]) == 2


if __name__ == "__main__":  # the torchrun worker
    from spanbert_lab.pretrain import distributed as D

    out = sys.argv[1]
    _, hist = _train(out, int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    if int(os.environ.get("RANK", "0")) == 0:
        Path(out, "history.json").write_text(json.dumps(hist.to_dict()))
    D.cleanup()
