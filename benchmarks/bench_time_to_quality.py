"""Time to quality: how much training time our pipeline needs to reach the dev MLM loss that
what a newcomer would write instead (transformers' ``Trainer`` + ``BertForMaskedLM`` +
``DataCollatorForLanguageModeling(whole_word_mask=True)``) reaches at the end of its budget.

Both sides train the same tiny BERT (``--preset``) with the same optimiser settings (AdamW, peak LR
``--lr``, 10% warm-up then linear decay, batch ``--batch-size``, weight decay 0.01, clipping 1.0)
for the same time ``--seconds`` of *process CPU time* (one torch thread; CPU time, not wall time, so
that other load on a shared machine changes the figures little). Each
side's schedule is sized to what it can do in that time: a 10-update calibration measures its
update time, and ``max_steps = seconds / update_time``.

- **ours**: ``spanbert_lab.pretrain.train`` on the course blocks (whole sentences of one document
  per 128-token block, as the official code builds them), objective ``whole_word`` (MLM only, whole
  words, 80/10/10), logits computed at the masked positions only, the course trunk. Every
  ``--eval-every`` updates the yardstick loss is measured (its time is not counted as training).
- **newcomer**: the corpus tokenised per document, concatenated and cut into 128-token chunks
  (the ``group_texts`` recipe of transformers' examples), ``Trainer`` with ``BertForMaskedLM`` and
  the whole-word collator (which, in transformers 5, masks every chosen word with [MASK]).

The yardstick is the same for both: the dev MLM loss (mean cross-entropy per masked token) on
the course's dev blocks masked once by our ``whole_word`` collator with every target set to
[MASK] (no random or kept tokens, which the newcomer's collator never produces), seed 2020.

The ratio that matters is **time to quality**: the newcomer's training seconds divided by the
training seconds ours needed to first reach the newcomer's final yardstick loss (read at our
evaluation points, so it is a slight under-estimate of our speed). Also printed: both sides'
updates, real (non-padding) training tokens, tokens per second and final yardstick loss.

Usage: ``python benchmarks/bench_time_to_quality.py [--seconds 150] [--preset tiny]``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import torch
from datasets import Dataset
from transformers import (
    BertConfig,
    BertForMaskedLM,
    DataCollatorForLanguageModeling,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.data import load_corpus, load_tokenizer
from spanbert_lab.masking import MaskingConfig, unigram_counts
from spanbert_lab.masking.collate import MaskingCollator
from spanbert_lab.model.pretraining import PRESETS
from spanbert_lab.pretrain import TrainConfig, train
from spanbert_lab.pretrain.recipes import EVAL_MASK_SEED, OBJECTIVES, build_model, prepare_data
from spanbert_lab.runtime import quiet_transformers

BLOCK = 128


def yardstick_batches(tokenizer, eval_examples: list, counts: torch.Tensor) -> list[dict]:
    """The dev blocks masked once (whole words, every target [MASK]), in batches of 32."""
    config = MaskingConfig(mask_prob=1.0, random_prob=0.0)
    collator = MaskingCollator(
        tokenizer, "whole_word", config, seed=EVAL_MASK_SEED, unigram_counts=counts,
        include_sbo=False,
    )  # fmt: skip
    return [collator(eval_examples[i : i + 32]) for i in range(0, len(eval_examples), 32)]


@torch.no_grad()
def dev_loss(logits_at, batches: list[dict]) -> float:
    """Mean cross-entropy per masked token; ``logits_at(batch)`` gives the (N, V) logits at the
    batch's targets in row-major order."""
    total, count = 0.0, 0
    for batch in batches:
        targets = batch["labels"][batch["labels"] != IGNORE_INDEX]
        logits = logits_at(batch)
        total += float(torch.nn.functional.cross_entropy(logits, targets, reduction="sum"))
        count += int(targets.numel())
    return total / count


# --- ours -----------------------------------------------------------------------------------


def run_ours(args: argparse.Namespace, tokenizer, data, batches: list[dict]) -> dict:
    objective = OBJECTIVES["whole_word"]

    def fit(max_steps: int, curve: list | None = None) -> tuple[torch.nn.Module, float, int]:
        model = build_model(objective, args.preset, tokenizer, seed=0, block_size=BLOCK)
        config = TrainConfig(
            max_steps=max_steps, batch_size=args.batch_size, lr=args.lr,
            warmup_steps=max(1, max_steps // 10), seed=0, progress=False, precision="fp32",
        )  # fmt: skip
        seen = []
        evaluating = [0.0]  # seconds spent on the yardstick, not counted as training
        start = time.process_time()

        def on_record(record: dict) -> None:
            seen.append(record)
            step = record.get("step", 0)
            if curve is not None and record.get("kind") == "train" and step % args.eval_every == 0:
                t0 = time.process_time()
                model.eval()
                loss = dev_loss(lambda b: ours_logits(model, b), batches)
                model.train()
                evaluating[0] += time.process_time() - t0
                curve.append((time.process_time() - start - evaluating[0], step, loss))

        train(model, data.train_examples, None, config, collator=data.collator,
              callback=on_record, device="cpu")  # fmt: skip
        seconds = time.process_time() - start - evaluating[0]
        real = sum(int(r.get("tokens", 0)) for r in seen if r.get("kind") == "train")
        return model, seconds, real

    _, calib_s, _ = fit(10)
    steps = max(20, int(args.seconds / (calib_s / 10)))
    curve: list[tuple[float, int, float]] = []
    model, seconds, real = fit(steps, curve)
    model.eval()
    final = dev_loss(lambda b: ours_logits(model, b), batches)
    curve.append((seconds, steps, final))
    return {"updates": steps, "seconds": seconds, "real_tokens": real,
            "dev_mlm_loss": final, "curve": curve}  # fmt: skip


def ours_logits(model: torch.nn.Module, batch: dict) -> torch.Tensor:
    """Our model's (N, V) logits at the batch's targets."""
    out = model(**{k: v for k, v in batch.items() if k != "labels"}, labels=batch["labels"])
    return out.mlm_logits


def time_to_reach(curve: list[tuple[float, int, float]], target: float) -> tuple[float, int] | None:
    """The training seconds and update at the first evaluation with loss ≤ ``target``."""
    for seconds, step, loss in curve:
        if loss <= target:
            return seconds, step
    return None


# --- the newcomer ---------------------------------------------------------------------------


def newcomer_dataset(tokenizer) -> Dataset:
    """Documents tokenised with offsets, concatenated and cut into ``BLOCK``-token chunks."""
    texts = [" ".join(doc["sentences"]) for doc in load_corpus("train")]
    enc = tokenizer(texts, return_offsets_mapping=True, return_special_tokens_mask=True)
    columns = ("input_ids", "token_type_ids", "attention_mask", "special_tokens_mask")
    flat = {key: [x for row in enc[key] for x in row] for key in columns}
    flat["offset_mapping"] = [tuple(o) for row in enc["offset_mapping"] for o in row]
    n = len(flat["input_ids"]) // BLOCK * BLOCK
    chunks = {key: [v[i : i + BLOCK] for i in range(0, n, BLOCK)] for key, v in flat.items()}
    return Dataset.from_dict(chunks)


class StopAfter(TrainerCallback):
    """Counts updates (the Trainer's own loop does the rest)."""

    def __init__(self) -> None:
        self.steps = 0

    def on_step_end(self, _args, state, control, **_kwargs):
        self.steps = state.global_step
        return control


def run_newcomer(args: argparse.Namespace, tokenizer, batches: list[dict]) -> dict:
    dataset = newcomer_dataset(tokenizer)
    size = PRESETS[args.preset]
    config = BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **size)
    collator = DataCollatorForLanguageModeling(tokenizer, whole_word_mask=True, seed=0)

    def fit(max_steps: int, out: Path) -> tuple[BertForMaskedLM, float, int]:
        torch.manual_seed(0)
        model = BertForMaskedLM(config)
        targs = TrainingArguments(
            output_dir=str(out), max_steps=max_steps, per_device_train_batch_size=args.batch_size,
            learning_rate=args.lr, warmup_steps=max(1, max_steps // 10), weight_decay=0.01,
            max_grad_norm=1.0, lr_scheduler_type="linear", save_strategy="no", report_to=[],
            logging_strategy="no", disable_tqdm=True, use_cpu=True, seed=0,
            remove_unused_columns=False, dataloader_num_workers=0,
        )  # fmt: skip
        counter = StopAfter()
        trainer = Trainer(model=model, args=targs, train_dataset=dataset,
                          data_collator=collator, callbacks=[counter])  # fmt: skip
        start = time.process_time()
        trainer.train()
        seconds = time.process_time() - start
        real = counter.steps * args.batch_size * BLOCK  # chunks are full: no padding
        return model, seconds, real

    with TemporaryDirectory() as tmp:
        _, calib_s, _ = fit(10, Path(tmp))
        steps = max(20, int(args.seconds / (calib_s / 10)))
        model, seconds, real = fit(steps, Path(tmp))
    model.eval()

    def logits_at(batch: dict) -> torch.Tensor:
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                       token_type_ids=batch["token_type_ids"]).logits  # fmt: skip
        return logits[batch["labels"] != IGNORE_INDEX]

    return {"updates": steps, "seconds": seconds, "real_tokens": real,
            "dev_mlm_loss": dev_loss(logits_at, batches)}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="training time per side")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--eval-blocks", type=int, default=256)
    parser.add_argument(
        "--eval-every", type=int, default=25, help="our updates between evaluations"
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with quiet_transformers():
        tokenizer = load_tokenizer()
        data = prepare_data(OBJECTIVES["whole_word"], tokenizer, block_size=BLOCK,
                            max_eval_blocks=args.eval_blocks)  # fmt: skip
        counts = unigram_counts((ex["input_ids"] for ex in data.train_examples), len(tokenizer),
                                ignore_ids=tokenizer.all_special_ids)  # fmt: skip
        batches = yardstick_batches(tokenizer, data.eval_examples, counts)
        print(f"yardstick: {len(data.eval_examples)} dev blocks, "
              f"{sum(int((b['labels'] != IGNORE_INDEX).sum()) for b in batches)} masked tokens")  # fmt: skip
        results = {
            "ours": run_ours(args, tokenizer, data, batches),
            "newcomer": run_newcomer(args, tokenizer, batches),
        }
    for name, r in results.items():
        rate = r["real_tokens"] / r["seconds"]
        print(f"{name:9s} {r['updates']:6d} updates  {r['seconds']:7.1f} s  "
              f"{r['real_tokens'] / 1e6:6.2f}M real tokens  {rate:8.0f} tokens/s  "
              f"dev MLM loss {r['dev_mlm_loss']:.3f} (ppl {math.exp(r['dev_mlm_loss']):.1f})")  # fmt: skip
    ours, new = results["ours"], results["newcomer"]
    speed = (ours["real_tokens"] / ours["seconds"]) / (new["real_tokens"] / new["seconds"])
    print(
        f"real tokens per second, ours / newcomer: {speed:.2f}x; "
        f"dev MLM loss in the same time: {ours['dev_mlm_loss']:.3f} vs {new['dev_mlm_loss']:.3f}"
    )
    reached = time_to_reach(ours["curve"], new["dev_mlm_loss"])
    if reached is None:
        print(f"time to quality: ours never reached the newcomer's {new['dev_mlm_loss']:.3f} "
              f"within {ours['seconds']:.0f} s")  # fmt: skip
    else:
        seconds, step = reached
        print(f"time to quality: ours reached the newcomer's final {new['dev_mlm_loss']:.3f} after "
              f"{seconds:.1f} s of training (update {step}); newcomer {new['seconds']:.1f} s: "
              f"{new['seconds'] / seconds:.2f}x less time")  # fmt: skip


if __name__ == "__main__":
    main()
