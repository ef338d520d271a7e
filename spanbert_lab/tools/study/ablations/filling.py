"""How well each of the study's encoders fills masked text: the bridge from notebook 04 (span
filling) to notebook 05 (transfer to QA and coreference).

Every finished encoder's MLM head is scored on notebook 04's fixed evaluation: the same 256 dev
blocks masked once with BERT's single-token masking and once with SpanBERT's span masking (the
eval collators' fixed masks), so every arm and seed is scored on exactly the same targets. A
description beside the protocol's comparisons, not one of them. The scores are kept in
``<results_dir>/span_filling.json`` and only missing encoders are scored again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spanbert_lab.data import load_tokenizer
from spanbert_lab.model.pretraining import SpanBertForPreTraining
from spanbert_lab.pretrain.evaluation import evaluate_pretraining
from spanbert_lab.pretrain.recipes import OBJECTIVES, prepare_data
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.tools.study.ablations.plan import encoder_dir
from spanbert_lab.tools.study.ablations.protocol import AblationProtocol

__all__ = ["EVAL_BLOCKS", "TRAIN_BLOCKS", "fixed_masks", "span_filling"]

EVAL_BLOCKS = 256  # notebook 04's "one set of masks for every model"
TRAIN_BLOCKS = 1280  # the blocks whose unigram counts draw the 10% random replacements (as in 04)


def fixed_masks(block_size: int) -> tuple[list, dict[str, Any]]:
    """The dev blocks and ``{"single tokens": collator, "spans": collator}`` of notebook 04."""
    tokenizer = load_tokenizer()
    masks = {}
    for name, objective in (("single tokens", "subword"), ("spans", "span_sbo")):
        _, blocks, _, masks[name] = prepare_data(
            OBJECTIVES[objective],
            tokenizer,
            block_size=block_size,
            max_train_blocks=TRAIN_BLOCKS,
            max_eval_blocks=EVAL_BLOCKS,
        )
    return blocks, masks


def _score(folder: Path, blocks: list, masks: dict[str, Any]) -> dict[str, float | int]:
    with quiet_transformers():
        model = SpanBertForPreTraining.from_pretrained(folder).eval()
    out: dict[str, float | int] = {}
    for name, collator in masks.items():
        r = evaluate_pretraining(model, blocks, collator)
        out[name], out[f"{name} targets"] = float(r["mlm_accuracy"]), int(r["mlm_targets"])
    return out


def span_filling(protocol: AblationProtocol) -> dict[str, dict[str, dict[str, float | int]]]:
    """``{arm: {"seed<s>": {"single tokens", "spans", "<name> targets"}}}`` for every encoder
    written so far (the untrained control included); cached in ``span_filling.json``."""
    path = protocol.results_dir / "span_filling.json"
    done = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    todo = [
        (arm.name, seed)
        for arm in protocol.arms
        for seed in arm.seeds
        if f"seed{seed}" not in done.get(arm.name, {})
        and (encoder_dir(protocol, arm.name, seed) / "config.json").is_file()
    ]
    if todo:
        blocks, masks = fixed_masks(protocol.pretraining.block_size)
        for arm, seed in todo:
            done.setdefault(arm, {})[f"seed{seed}"] = _score(
                encoder_dir(protocol, arm, seed), blocks, masks
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(done, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return done
