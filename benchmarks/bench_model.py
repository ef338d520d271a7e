"""Training-step throughput of SpanBertForPreTraining against transformers' BertForMaskedLM.

Three settings on the same batches, at the same model size, with the same optimizer (AdamW):

- ``reference``: ``transformers.BertForMaskedLM`` (its default attention, SDPA in transformers 5),
  which scores every position against the whole vocabulary;
- ``mlm-only``: ``SpanBertForPreTraining`` without SBO inputs (logits at the ~15% targets only);
- ``mlm+sbo``: ``SpanBertForPreTraining`` with the span boundary objective on.

A training step = forward + backward + ``AdamW.step``. Steps of the three settings are interleaved
(round-robin) so that load from other processes hits them alike. On a shared machine the step
times are bursty, so the ratios use the *fastest* step of each setting (the least-disturbed
estimate, as ``timeit`` does); the medians are printed beside them.
Prints tokens/s and the ratios against the reference.

Usage: ``python benchmarks/bench_model.py [--preset tiny] [--batch-size 32] [--seq-len 128]
[--threads 2]``. On a busy shared machine two torch threads per process oversubscribe the cores
and step times swing by 5×; ``--threads 1`` gives stable numbers (best and median agree).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import BertConfig, BertForMaskedLM

from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining


def course_vocab_size() -> tuple[int, str]:
    """The course tokenizer's vocabulary size, or its planned size when ``data/`` is not built."""
    try:
        from spanbert_lab.data import load_tokenizer

        return len(load_tokenizer()), "data/tokenizer"
    except (ImportError, OSError):
        from spanbert_lab.data.tokenizer import VOCAB_SIZE

        return VOCAB_SIZE, "spanbert_lab.data.tokenizer.VOCAB_SIZE (data/ not built)"


def span_batch(
    batch_size: int, seq_len: int, vocab_size: int, max_targets: int, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """A synthetic SBO batch with 15% of the tokens masked in contiguous spans of 1–10 tokens.

    Uses ``generator`` for every draw. Format: the SBO batch table of ``docs/DEVELOPING.md``.
    """
    input_ids = torch.randint(5, vocab_size, (batch_size, seq_len), generator=generator)
    input_ids[:, 0], input_ids[:, -1] = 2, 3  # [CLS] ... [SEP]
    labels = torch.full_like(input_ids, -100)
    rows: list[list[tuple[int, int, int, int]]] = []
    budget = max(1, round(0.15 * (seq_len - 2)))
    for b in range(batch_size):
        masked = torch.zeros(seq_len, dtype=torch.bool)
        while int(masked.sum()) < budget:
            length = int(torch.randint(1, 11, (1,), generator=generator))
            start = int(torch.randint(2, seq_len - 2, (1,), generator=generator))
            masked[start : min(start + length, seq_len - 2)] = True
        labels[b, masked] = input_ids[b, masked]
        targets = []
        padded = torch.cat([torch.tensor([False]), masked, torch.tensor([False])])
        edges = (padded[1:].int() - padded[:-1].int()).nonzero().flatten().tolist()
        for start, end in zip(edges[::2], edges[1::2], strict=True):
            for i in range(start, min(end, start + max_targets)):
                targets.append((start - 1, end, i - start, int(input_ids[b, i])))
        input_ids[b, masked] = 4  # [MASK]
        rows.append(targets)
    width = max(len(r) for r in rows)
    sbo = torch.zeros(4, batch_size, width, dtype=torch.long)
    sbo[3] = -100
    for b, targets in enumerate(rows):
        if targets:
            sbo[:, b, : len(targets)] = torch.tensor(targets).T
    return dict(
        input_ids=input_ids,
        attention_mask=torch.ones_like(input_ids),
        token_type_ids=torch.zeros_like(input_ids),
        labels=labels,
        sbo_left=sbo[0],
        sbo_right=sbo[1],
        sbo_positions=sbo[2],
        sbo_labels=sbo[3],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", help="SpanBertConfig preset (default: tiny)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=128)
    parser.add_argument("--vocab-size", type=int, default=None, help="default: the course's")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per setting per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="torch threads (course machine: 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    vocab_size, vocab_source = (
        (args.vocab_size, "--vocab-size") if args.vocab_size else course_vocab_size()
    )
    config = SpanBertConfig.preset(args.preset, vocab_size=vocab_size)
    torch.manual_seed(args.seed)  # transformers' weight initialisation uses the global generator
    ours = SpanBertForPreTraining(config).train()
    reference = BertForMaskedLM(BertConfig(**config.to_dict())).train()
    reference.load_state_dict(ours.state_dict(), strict=False)  # same encoder + MLM head weights

    g = torch.Generator().manual_seed(args.seed)
    batches = [
        span_batch(args.batch_size, args.seq_len, vocab_size, config.sbo_max_targets, g)
        for _ in range(4)
    ]
    mlm_keys = ("input_ids", "attention_mask", "token_type_ids", "labels")
    settings = {
        "reference": (reference, mlm_keys),
        "mlm-only": (ours, mlm_keys),
        "mlm+sbo": (ours, tuple(batches[0])),
    }
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-4) for name, (model, _) in settings.items()}  # fmt: skip

    def step(name: str, batch: dict[str, torch.Tensor]) -> float:
        model, keys = settings[name]
        start = time.perf_counter()
        loss = model(**{k: batch[k] for k in keys}).loss
        optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        optimizers[name].step()
        return time.perf_counter() - start

    times: dict[str, list[float]] = {name: [] for name in settings}
    for name in settings:  # warm-up
        for batch in batches[:2]:
            step(name, batch)
    for _ in range(args.rounds):
        for i in range(args.steps):
            for name in settings:
                times[name].append(step(name, batches[i % len(batches)]))

    tokens = args.batch_size * args.seq_len
    mlm_targets = sum(int((b["labels"] != -100).sum()) for b in batches) / len(batches)
    sbo_targets = sum(int((b["sbo_labels"] != -100).sum()) for b in batches) / len(batches)
    print(
        f"preset={args.preset} hidden={config.hidden_size} layers={config.num_hidden_layers} "
        f"heads={config.num_attention_heads} vocab={vocab_size} ({vocab_source})"
    )
    print(
        f"batch={args.batch_size} seq_len={args.seq_len} threads={args.threads} "
        f"attention={ours.config._attn_implementation}/{reference.config._attn_implementation} "
        f"targets/batch: mlm={mlm_targets:.0f} sbo={sbo_targets:.0f} "
        f"timed steps per setting={args.rounds * args.steps}"
    )
    best = {name: min(t) for name, t in times.items()}
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name in settings:
        print(
            f"  {name:<10} best {best[name] * 1e3:7.1f} ms/step = {tokens / best[name]:7.0f} tokens/s"
            f"   (median {medians[name] * 1e3:7.1f} ms/step)"
        )
    for name in ("mlm-only", "mlm+sbo"):
        print(
            f"ratio {name} / BertForMaskedLM: {best['reference'] / best[name]:.2f}x "
            f"(medians: {medians['reference'] / medians[name]:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
