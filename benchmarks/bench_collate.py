"""Collator throughput (real tokens per second) for every masking scheme, against transformers'
``DataCollatorForLanguageModeling`` in token mode and with ``whole_word_mask=True``, on the same
batches of course blocks, in one run. Printed as ratios.

transformers 5.x finds words for whole-word masking from each example's ``offset_mapping`` (a token
starts a new word when its start offset differs from the previous token's end) and needs
``special_tokens_mask``; it also forces ``mask_replace_prob=1`` (no random / kept tokens). The same
word boundaries as the WordPiece ``##`` rule are given to it as offsets computed once, outside the
timing (what a tokenized ``datasets`` column would hold).

transformers' ``tokenizer.pad`` cannot pad ``offset_mapping``, so its whole-word mode needs
equal-length examples: its batches are pre-padded to the batch length outside the timing (which
favours transformers); ours are padded inside the collator.

Usage: ``python benchmarks/bench_collate.py [--batch-size 32] [--max-length 512] [--batches 12]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch
from transformers import DataCollatorForLanguageModeling

from spanbert_lab.data.blocks import build_blocks
from spanbert_lab.masking import SCHEMES, unigram_counts, vocab_info
from spanbert_lab.masking.collate import MaskingCollator


def load(max_length: int, n_docs: int):
    """Course tokenizer and blocks (the test fixtures' loaders: the built course corpus, or
    synthetic stand-ins if ``make data`` has not run)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from test_masking_fixtures import course_documents, course_tokenizer

    tokenizer, docs = course_tokenizer(), course_documents(n_docs)
    source = f"{len(docs)} documents, {type(tokenizer).__name__} of {len(tokenizer)} ids"
    return tokenizer, build_blocks(docs, tokenizer, max_length), source


def hf_features(example: dict, info, length: int) -> dict:
    """``input_ids`` + ``attention_mask`` + ``special_tokens_mask`` + word-consistent
    ``offset_mapping``, padded to ``length``: transformers' ``tokenizer.pad`` cannot pad
    ``offset_mapping``, so whole-word masking needs equal-length examples (as ``run_mlm.py``'s
    grouped texts are). Pre-padding happens outside the timing, in transformers' favour."""
    pad = length - len(example["input_ids"])
    ids = list(example["input_ids"]) + [info.pad_token_id] * pad
    special = info.is_special[torch.tensor(ids)].tolist()
    cont = info.is_continuation[torch.tensor(ids)].tolist()
    offsets, pos = [], 0
    for is_special, is_cont in zip(special, cont, strict=True):
        if is_special:
            offsets.append((0, 0))
            continue
        start = pos if is_cont else pos + 1
        offsets.append((start, start + 1))
        pos = start + 1
    return {
        "input_ids": ids,
        "special_tokens_mask": [int(s) for s in special],
        "offset_mapping": offsets,
    }


def timeit(collators: dict, batches: dict, repeats: int) -> dict[str, float]:
    """Best wall time per collator over ``repeats`` rounds; the collators take turns each round,
    so a change in machine load hits them all alike."""
    best = dict.fromkeys(collators, float("inf"))
    for name, collate in collators.items():
        collate(batches[name][0])  # warm-up
    for _ in range(repeats):
        for name, collate in collators.items():
            start = time.perf_counter()
            for batch in batches[name]:
                collate(batch)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--batches", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tokenizer, blocks, source = load(args.max_length, n_docs=4000)
    examples = blocks.examples()
    need = args.batch_size * args.batches
    if len(examples) < need:
        examples = (examples * (need // max(1, len(examples)) + 1))[:need]
    examples = [dict(e, index=i) for i, e in enumerate(examples[:need])]
    ours = [examples[i : i + args.batch_size] for i in range(0, need, args.batch_size)]
    info = vocab_info(tokenizer)
    theirs = [
        [hf_features(e, info, max(len(x["input_ids"]) for x in batch)) for e in batch]
        for batch in ours
    ]
    n_tokens = sum(len(e["input_ids"]) for e in examples)
    counts = unigram_counts((e["input_ids"] for e in examples), info.vocab_size)

    collators, batches = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # transformers warns that WWM forces mask_replace_prob=1
        for name, wwm in (("transformers token", False), ("transformers whole-word", True)):
            collators[name] = DataCollatorForLanguageModeling(
                tokenizer, whole_word_mask=wwm, seed=0
            )
            batches[name] = theirs
        for scheme in SCHEMES:
            name = f"spanbert_lab {scheme}"
            collators[name] = MaskingCollator(tokenizer, scheme, seed=0, unigram_counts=counts)
            batches[name] = ours
        seconds = timeit(collators, batches, args.repeats)
    results = {name: n_tokens / t for name, t in seconds.items()}
    ref_wwm, ref_tok = results["transformers whole-word"], results["transformers token"]
    print(
        f"data: {source}, {len(ours)} batches of {args.batch_size} blocks <= {args.max_length} "
        f"tokens ({n_tokens} tokens), torch threads {args.threads}, best of {args.repeats}"
    )
    print(f"{'collator':28s} {'tokens/s':>12s} {'vs HF whole-word':>17s} {'vs HF token':>12s}")
    for name, rate in results.items():
        print(f"{name:28s} {rate:12,.0f} {rate / ref_wwm:16.2f}x {rate / ref_tok:11.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
