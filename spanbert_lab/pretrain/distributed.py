"""Data-parallel pretraining with ``torchrun``: process group, sharding, exact loss weighting.

Launch: ``torchrun --nproc-per-node 2 -m spanbert_lab.pretrain ...``. ``torchrun`` sets
``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``/``MASTER_PORT``; :func:`init_from_env`
reads them and starts a process group (``gloo`` on CPU, ``nccl`` on CUDA). Without them
everything runs as a single process with ``rank = 0, world_size = 1``.

**The global batch is the same as in one process.** Every process draws the same data order
(a permutation seeded by ``(seed, epoch)``) and cuts it into the same global batches; process
``r`` keeps examples ``r, r + W, r + 2W, …`` of each global batch (:func:`shard`). Because each
example's mask depends only on ``(seed, epoch, index)`` and never on which process builds it,
the union of the shards is exactly the single-process batch.

**The loss is the same as in one process.** SpanBERT's loss is a mean over *tokens*
(MLM targets, SBO targets), and different shards hold different numbers of targets, so averaging
the per-process means would weight tokens unequally. Instead each process rescales its means into
its share of the global sum, ``W · mean_r · n_r / N`` with ``N = Σ_r n_r`` (one ``all_reduce`` of
the counts); DDP then *averages* gradients over the ``W`` processes, which gives exactly the
gradient of ``Σ_r mean_r · n_r / N`` — the single-process loss of the global batch
(:func:`shard_loss`).

Dropout draws from each process's own torch generator, so with dropout on the multi-process run
equals the single-process run in distribution, not bit for bit (the test turns dropout off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch import nn

from spanbert_lab.contracts import IGNORE_INDEX, CollateFn, PretrainExample

__all__ = [
    "DistInfo",
    "all_gather_objects",
    "all_heads_used",
    "all_reduce_sum",
    "barrier",
    "broadcast_object",
    "cleanup",
    "init_from_env",
    "shard",
    "shard_loss",
    "target_counts",
    "wrap_model",
]

T = TypeVar("T")


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits: its rank, the number of processes and its device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and progress bars."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init_from_env(device: torch.device | str | None = None, *, timeout_s: float = 600) -> DistInfo:
    """Start the process group from ``torchrun``'s environment variables, if they are set.

    Args:
        device: the device type to train on; with CUDA each process takes ``cuda:LOCAL_RANK``.
            ``None`` = CUDA when available, else CPU.
        timeout_s: how long collective operations wait for a slow peer.

    Returns:
        A :class:`DistInfo`; ``world_size == 1`` (and no process group) outside ``torchrun``.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank if world_size > 1 else 0)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(
            backend=backend,
            rank=rank,
            world_size=world_size,
            timeout=timedelta(seconds=timeout_s),
            device_id=device if device.type == "cuda" else None,
        )
    return DistInfo(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def cleanup() -> None:
    """Destroy the process group, if one was started."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def shard(indices: Sequence[T], rank: int, world_size: int) -> list[T]:
    """Process ``rank``'s share of a global batch: items ``rank, rank + W, …``.

    Raises:
        ValueError: the batch does not split evenly (every process must do the same work).
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    if len(indices) % world_size:
        raise ValueError(
            f"a global batch of {len(indices)} examples does not split over {world_size} processes"
        )
    return list(indices[rank::world_size])


def wrap_model(
    model: nn.Module, info: DistInfo, *, find_unused_parameters: bool = False
) -> nn.Module:
    """``DistributedDataParallel`` around ``model`` when there are several processes.

    DDP broadcasts rank 0's weights at construction (so every replica starts identical) and
    averages gradients during ``backward``. Pass ``find_unused_parameters=True`` when some
    parameters get no gradient (e.g. the SBO head of a plain-MLM run).
    """
    if not info.distributed:
        return model
    device_ids = [info.device.index] if info.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(
        model, device_ids=device_ids, find_unused_parameters=find_unused_parameters
    )


def all_reduce_sum(tensor: torch.Tensor, device: torch.device | None = None) -> torch.Tensor:
    """Sum ``tensor`` over processes; a copy, on ``tensor``'s device (the identity without a
    process group). ``device``: where the collective runs (NCCL needs CUDA tensors)."""
    out = tensor.clone()
    if dist.is_available() and dist.is_initialized():
        moved = out.to(device) if device is not None else out
        dist.all_reduce(moved, op=dist.ReduceOp.SUM)
        out = moved.to(tensor.device)
    return out


def all_gather_objects(obj: Any) -> list[Any]:
    """Every process's ``obj``, by rank (``[obj]`` without a process group)."""
    if not (dist.is_available() and dist.is_initialized()):
        return [obj]
    out: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every process."""
    if not (dist.is_available() and dist.is_initialized()):
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def barrier() -> None:
    """Wait for every process (no-op without a process group)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def target_counts(batch: Mapping[str, torch.Tensor]) -> torch.Tensor:
    """(4,) float64 on CPU: MLM targets, SBO targets, examples and real tokens of a batch."""
    mlm = int((batch["labels"] != IGNORE_INDEX).sum()) if "labels" in batch else 0
    sbo = int((batch["sbo_labels"] != IGNORE_INDEX).sum()) if "sbo_labels" in batch else 0
    tokens = int(batch["attention_mask"].sum()) if "attention_mask" in batch else 0
    return torch.tensor([mlm, sbo, batch["input_ids"].shape[0], tokens], dtype=torch.float64)


def all_heads_used(model: nn.Module, example: PretrainExample, collator: CollateFn) -> bool:
    """Whether every head of ``model`` gets a loss; if not, DDP must look for parameters that
    receive no gradient (``find_unused_parameters``), e.g. the SBO head of a plain-MLM run."""
    cfg = getattr(model, "config", None)
    if cfg is None:
        return False
    sbo_used = float(getattr(cfg, "sbo_loss_weight", 1.0)) > 0 and bool(
        getattr(collator, "include_sbo", True)
    )
    nsp_used = not getattr(cfg, "use_nsp", False) or "next_sentence_label" in example
    return sbo_used and nsp_used


def shard_loss(
    means: Sequence[torch.Tensor | None],
    local_counts: torch.Tensor,
    global_counts: torch.Tensor,
    world_size: int,
) -> torch.Tensor:
    """This process's loss such that DDP's gradient average equals the global-batch gradient.

    Args:
        means: per-term mean losses on this shard (MLM, SBO, NSP …); ``None`` = term not used.
        local_counts: (K,) number of targets of each term on this shard (float).
        global_counts: (K,) the same summed over processes.
        world_size: number of processes ``W``.

    Returns:
        ``W · Σ_k mean_k · n_k / N_k`` (a scalar). A term with no target on this shard must be
        a graph-connected zero (what :func:`spanbert_lab.model.losses.mean_cross_entropy` returns), so
        that DDP still sees a (zero) gradient for every parameter of its head.
    """
    total = None
    for k, mean in enumerate(means):
        if mean is None or global_counts[k] == 0:
            continue
        term = mean * (world_size * float(local_counts[k]) / float(global_counts[k]))
        total = term if total is None else total + term
    if total is None:
        raise ValueError("no loss term has any target in the global batch")
    return total
