"""Pretraining throughput: our loop vs transformers' ``BertForMaskedLM``, and the share of peak.

Measures, on the course blocks (``--block-size`` tokens, global batch ``--batch-size``), at the
same model size (``--preset``, default ``tiny``) and with the same data path (the
``MaskingCollator`` runs inside every step for both):

1. ``ours``: :func:`spanbert_lab.pretrain.train` with ``SpanBertForPreTraining`` on ``span_sbo``
   (MLM + SBO, logits at the targets only), AdamW, schedule, clipping;
2. ``reference``: a plain loop with ``transformers.BertForMaskedLM`` on the same batches (MLM
   logits at every position, labels from the same masks), AdamW, clipping;
3. the machine's fp32 matmul rate (best of several square ``torch.mm`` sizes, same thread count);
4. the model FLOPs of one of our steps (forward + backward = 3 × forward, counted from the shapes:
   encoder matmuls, attention scores and mixing, MLM and SBO heads at the targets) divided by the
   measured step time = achieved GFLOP/s, printed as a share of the matmul rate;
5. where the time goes: collate / forward / backward / optimiser, from an instrumented step.

Steps of ours and the reference alternate in rounds so that load from other processes hits both
alike; the median step time is used. Times are *process CPU time* (``time.process_time``), so the
figures mean "per core-second actually spent" and stay meaningful on a shared, busy machine; wall
times are printed beside them. One run, no averaging over runs.

Throughput counts **real (non-padding) tokens** per CPU-second; ``--batching bucketed`` groups
blocks of similar length as pretraining's ``--batching bucketed`` does (both models get the same
batches either way).

Usage: ``python benchmarks/bench_pretrain.py [--preset tiny] [--batch-size 32] [--steps 12]
[--batching bucketed]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import BertConfig, BertForMaskedLM

from spanbert_lab.data import load_tokenizer
from spanbert_lab.pretrain.batches import POOL_BATCHES, epoch_batches
from spanbert_lab.pretrain.recipes import OBJECTIVES, build_model, prepare_data
from spanbert_lab.training.schedule import build_optimizer


def matmul_gflops(repeats: int = 5) -> float:
    """Best fp32 ``torch.mm`` rate over square sizes 256…2048, in GFLOP per CPU-second."""
    best = 0.0
    for n in (256, 512, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b  # warm-up
        for _ in range(repeats):
            t = time.process_time()
            for _ in range(max(1, 2048 // n) ** 2):  # long enough for the CPU clock's resolution
                a @ b
            elapsed = time.process_time() - t
            best = max(best, max(1, 2048 // n) ** 2 * 2 * n**3 / elapsed / 1e9)
    return best


def step_flops(config, batch: dict[str, torch.Tensor], *, real_only: bool = False) -> float:
    """Model FLOPs of one training step (forward + backward = 3 × forward) on ``batch``, over
    every position or (``real_only``) over the real, non-padding tokens only."""
    h, f, L, V = (config.hidden_size, config.intermediate_size, config.num_hidden_layers,
                  config.vocab_size)  # fmt: skip
    B, T = batch["input_ids"].shape
    tokens = int(batch["attention_mask"].sum()) if real_only else B * T
    per_token = L * (2 * 4 * h * h + 2 * 2 * h * f)  # Q, K, V, output + the two FFN matmuls
    attention = L * 2 * 2 * T * h  # scores QKᵀ and the weighted sum, per token
    n_mlm = int((batch["labels"] != -100).sum())
    mlm = n_mlm * 2 * (h * h + h * V)  # transform + tied decoder at the targets
    n_sbo = int((batch["sbo_labels"] != -100).sum()) if "sbo_labels" in batch else 0
    p = config.sbo_position_embedding_size
    sbo = n_sbo * 2 * ((2 * h + p) * h + h * h + h * V)
    return 3.0 * (tokens * (per_token + attention) + mlm + sbo)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--block-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=12, help="measured steps per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument(
        "--batching",
        choices=["random", "bucketed"],
        default="random",
        help="how blocks are grouped into batches (as pretraining's --batching)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print torch.profiler's top operators of one of our steps",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()

    tok = load_tokenizer()
    objective = OBJECTIVES["span_sbo"]
    n_blocks = args.batch_size * max(args.steps + 2, POOL_BATCHES)
    train_ex, _, collator, _ = prepare_data(objective, tok, block_size=args.block_size,
                                            max_train_blocks=n_blocks, max_eval_blocks=1)  # fmt: skip
    lengths = [len(ex["input_ids"]) for ex in train_ex]
    batches = epoch_batches(args.batching, lengths, args.batch_size, seed=0, epoch=0)
    ours = build_model(objective, args.preset, tok, seed=0, block_size=args.block_size)
    config = ours.config
    ref = BertForMaskedLM(BertConfig(**{k: getattr(config, k) for k in (
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
        "intermediate_size", "max_position_embeddings", "pad_token_id")}))  # fmt: skip
    models = {"ours": ours, "reference": ref}
    optimizers = {k: build_optimizer(m, lr=1e-4, weight_decay=0.01) for k, m in models.items()}
    times: dict[str, list[float]] = {k: [] for k in models}
    walls: dict[str, list[float]] = {k: [] for k in models}
    split = {"collate": [], "forward": [], "backward": [], "optimizer": []}
    flops, real_flops, padding, real_tokens = [], [], [], []
    for step in range(args.steps + 2):
        idx = batches[step]
        for name, model in models.items():
            w0, t0 = time.perf_counter(), time.process_time()
            batch = collator([train_ex[i] for i in idx])
            if name == "reference":
                batch = {k: batch[k] for k in ("input_ids", "attention_mask", "token_type_ids",
                                               "labels")}  # fmt: skip
            t1 = time.process_time()
            loss = model(**batch).loss
            t2 = time.process_time()
            loss.backward()
            t3 = time.process_time()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizers[name].step()
            optimizers[name].zero_grad(set_to_none=True)
            t4 = time.process_time()
            if step >= 2:  # two warm-up steps
                times[name].append(t4 - t0)
                walls[name].append(time.perf_counter() - w0)
                if name == "ours":
                    for key, dt in zip(split, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                        split[key].append(dt)
                    flops.append(step_flops(config, batch))
                    real_flops.append(step_flops(config, batch, real_only=True))
                    padding.append(1 - float(batch["attention_mask"].float().mean()))
                    real_tokens.append(int(batch["attention_mask"].sum()))
    peak = matmul_gflops()
    med = {k: statistics.median(v) for k, v in times.items()}
    tokens = statistics.mean(real_tokens)  # real (non-padding) tokens per step
    compute = med["ours"] - statistics.median(split["collate"])
    achieved = statistics.median(real_flops) / compute / 1e9
    achieved_all = statistics.median(real_flops) / med["ours"] / 1e9
    print(f"preset {args.preset}, batch {args.batch_size} x up to {args.block_size} tokens "
          f"({args.batching} batching), {threads} torch threads, {args.steps} measured steps each")  # fmt: skip
    for name in models:
        wall = statistics.median(walls[name])
        print(f"  {name:9s}: {med[name] * 1e3:8.1f} CPU-ms/step ({wall * 1e3:.0f} ms wall), "
              f"{tokens / med[name]:9.0f} real tokens per CPU-second")  # fmt: skip
    print(f"ratio ours / BertForMaskedLM (real tokens per CPU-second, same batches): "
          f"{med['reference'] / med['ours']:.2f}x")  # fmt: skip
    print(f"fp32 matmul rate (best torch.mm): {peak:.1f} GFLOP per CPU-second")
    print(f"model FLOPs per step over the real tokens: {statistics.median(real_flops) / 1e9:.2f} "
          f"GFLOP ({statistics.median(flops) / 1e9:.2f} counting padding; "
          f"{statistics.mean(padding):.0%} of the positions are padding)")  # fmt: skip
    print(f"achieved on real tokens (model compute only): {achieved:.1f} GFLOP per CPU-second = "
          f"{achieved / peak:.0%} of the matmul rate; including the data pipeline: "
          f"{achieved_all:.1f} = {achieved_all / peak:.0%}")  # fmt: skip
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        batch = collator([train_ex[i] for i in range(args.batch_size)])
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            ours(**batch).loss.backward()
            optimizers["ours"].step()
            optimizers["ours"].zero_grad(set_to_none=True)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))
    total = sum(statistics.median(v) for v in split.values())
    print("where the time of one of our steps goes: " + ", ".join(
        f"{k} {statistics.median(v) * 1e3:.0f} ms ({statistics.median(v) / total:.0%})"
        for k, v in split.items()))  # fmt: skip


if __name__ == "__main__":
    main()
