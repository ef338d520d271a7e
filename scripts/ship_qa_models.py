"""Fine-tune the seed-0 SQuAD 1.1 models that notebook 05 analyses, and ship them.

Notebook 05 cannot fine-tune for minutes inside a checked cell, so it trains briefly live and
then loads these: the seed-0 runs of the stored multi-seed results in ``data/results/``
(``qa-v1.1-<encoder>.json``), same settings, saved with their tokenizer and a card.

Usage: ``python scripts/ship_qa_models.py [bert-tiny spanbert-tiny]`` (one torch thread, about
three minutes per model on a 2-core CPU). Writes ``data/checkpoints/qa-v1.1-<encoder>-seed0/``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from pathlib import Path

import torch

from spanbert_lab.data import load_qa
from spanbert_lab.finetune import FinetuneConfig, finetune
from spanbert_lab.runtime import data_dir, quiet_transformers

# The settings of data/results/qa-v1.1-*.json (see data/results/README.md).
CONFIG = FinetuneConfig(learning_rate=2e-3, epochs=2.0, batch_size=32, max_length=192, seed=0)


def ship(encoder: str, root: Path) -> dict[str, float]:
    """Fine-tune ``encoder`` with :data:`CONFIG` and write the model folder; return the metrics."""
    result = finetune("qa", encoder, config=CONFIG, train=load_qa("train"), dev=load_qa("dev"))
    out = root / f"qa-v1.1-{encoder}-seed0"
    out.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():  # no "Writing model shards" bar
        result.trained_model.save_pretrained(out)
        result.tokenizer.save_pretrained(out)
    card = {
        "encoder": encoder,
        "task": "qa (SQuAD 1.1 layout, course QA set)",
        "config": {k: v for k, v in vars(CONFIG).items() if v is not None},
        "dev_metrics": result.metrics,
        "seconds": round(result.seconds, 1),
        "command": "python scripts/ship_qa_models.py " + shlex.join([encoder]),
        "torch": torch.__version__,
        "machine": f"{platform.machine()}, {torch.get_num_threads()} torch thread(s)",
    }
    (out / "finetune_card.json").write_text(json.dumps(card, indent=2) + "\n")
    return result.metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("encoders", nargs="*", default=["bert-tiny", "spanbert-tiny"])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for encoder in args.encoders:
        metrics = ship(encoder, data_dir() / "checkpoints")
        print(encoder, {k: round(v, 2) for k, v in metrics.items()}, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
