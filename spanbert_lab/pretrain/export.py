"""What a finished pretraining run leaves behind: the model folder with its tokenizer and a model
card (``README.md`` + ``metrics.json``), and what the card records about the run (the command, the
machine, a fingerprint of the data read)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from spanbert_lab.contracts import PretrainExample, TokenizerLike
from spanbert_lab.masking import MaskingConfig
from spanbert_lab.pretrain.config import TrainConfig
from spanbert_lab.pretrain.evaluation import evaluate_pretraining
from spanbert_lab.pretrain.loop import Collator
from spanbert_lab.pretrain.recipes import EVAL_MASK_SEED, Objective
from spanbert_lab.runtime import data_dir
from spanbert_lab.training import History
from spanbert_lab.training.checkpoint import save_model_dir

__all__ = [
    "ModelExport",
    "command_line",
    "data_fingerprint",
    "export_model",
    "machine_description",
    "model_card",
]


@dataclass(frozen=True)
class ModelExport:
    """Everything :func:`export_model` writes about a finished run.

    Attributes:
        model, tokenizer: the trained model and its tokenizer.
        history: the run's :class:`~spanbert_lab.training.History`.
        config: the run's :class:`~spanbert_lab.pretrain.TrainConfig`.
        objective, preset, block_size: what was trained (:mod:`spanbert_lab.pretrain.recipes`).
        argv: the command-line arguments that reproduce the run.
        train_examples, eval_examples, eval_collator: the run's data (the card's numbers are
            measured on the eval blocks and as many training blocks, with the eval collator).
        wall_time_s: training time.
        world_size, device: where it ran.
        max_train_blocks, max_eval_blocks: the data limits asked for (``None`` = all).
        fingerprint: :func:`data_fingerprint` taken before the data was read (``None``: now).
        masking: the masking of the run's collators (training and dev).
        sources: your own corpus, tokenizer and starting checkpoint, when the run had them:
            ``{"corpus": {path, files, bytes, sha256, ...}, "tokenizer": str,
            "init_from": {...}}`` (``None``: the course corpus and tokenizer, fresh weights).
    """

    model: nn.Module
    tokenizer: TokenizerLike
    history: History
    config: TrainConfig
    objective: Objective
    preset: str
    argv: Sequence[str]
    block_size: int
    train_examples: Sequence[PretrainExample]
    eval_examples: Sequence[PretrainExample]
    eval_collator: Collator
    wall_time_s: float
    world_size: int = 1
    device: str = "cpu"
    max_train_blocks: int | None = None
    max_eval_blocks: int | None = None
    fingerprint: str | None = None
    masking: MaskingConfig = field(default_factory=MaskingConfig)
    sources: dict[str, Any] | None = None

    def run_metrics(self) -> dict[str, Any]:
        """The content of ``metrics.json``: how the run was made and what it measures."""
        history, config = self.history, self.config
        final_step = history.train[-1]["step"] if history.train else 0
        recent = [r["loss"] for r in history.train[-20:]]
        return {
            "objective": self.objective.name,
            "scheme": self.objective.scheme,
            "sbo": self.objective.sbo,
            "nsp": self.objective.nsp,
            "preset": self.preset,
            "command": command_line(self.argv, self.world_size),
            "seed": config.seed,
            "steps": final_step,
            "stopped_by": history.stopped_by,
            "wall_time_s": round(self.wall_time_s, 1),
            "machine": machine_description(self.device),
            "world_size": self.world_size,
            "block_size": self.block_size,
            "max_train_blocks": self.max_train_blocks,
            "max_eval_blocks": self.max_eval_blocks,
            "train_blocks": len(self.train_examples),
            "eval_blocks": len(self.eval_examples),
            "eval_mask_seed": EVAL_MASK_SEED,
            "masking": asdict(self.masking),
            **(self.sources or {}),
            "tokens_seen": sum(r["tokens"] for r in history.train),
            "data_fingerprint": self.fingerprint
            if self.fingerprint is not None
            else data_fingerprint(),
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "train_config": {
                k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()
            },
            "final_train_loss_last_20_steps": sum(recent) / len(recent) if recent else None,
            **self.measure(),
        }

    def measure(self) -> dict[str, dict[str, Any]]:
        """``{"train": …, "dev": …}``: the last evaluation (or a new one) and the same on the
        first training blocks."""
        history, batch_size = self.history, self.config.eval_batch_size
        final_step = history.train[-1]["step"] if history.train else 0
        if history.eval and history.eval[-1]["step"] == final_step:
            dev = {k: v for k, v in history.eval[-1].items() if k not in ("kind", "step")}
        else:
            dev = evaluate_pretraining(
                self.model, self.eval_examples, self.eval_collator, batch_size=batch_size
            )
        train_subset = list(self.train_examples[: len(self.eval_examples)])
        train = evaluate_pretraining(
            self.model, train_subset, self.eval_collator, batch_size=batch_size
        )
        return {"train": train, "dev": dev}


def export_model(export_dir: str | os.PathLike, export: ModelExport) -> Path:
    """Write the final model, the tokenizer and its model card (``README.md`` + ``metrics.json``).

    The card's *dev* numbers are the run's last evaluation (dev blocks, masks seeded with
    :data:`~spanbert_lab.pretrain.recipes.EVAL_MASK_SEED`); its *train* numbers are the same evaluation on
    the first training blocks (as many as there are dev blocks), so both are measured the same
    way and re-measurable from the shipped weights alone.
    """
    metrics = export.run_metrics()
    files = {"README.md": model_card(metrics), "metrics.json": json.dumps(metrics, indent=2) + "\n"}
    return save_model_dir(export_dir, export.model, tokenizer=export.tokenizer, extra_files=files)


def machine_description(device: str) -> str:
    """One line naming the machine: CPU model and cores, torch threads, device, versions."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    if device.startswith("cuda") and torch.cuda.is_available():
        device = f"{device} ({torch.cuda.get_device_name()})"
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, torch threads {torch.get_num_threads()}, "
        f"device {device}, Python {platform.python_version()}, torch {torch.__version__}"
    )


def command_line(argv: Sequence[str], world_size: int = 1) -> str:
    """The shell command that reproduces a run."""
    prefix = (
        "python -m spanbert_lab.pretrain"
        if world_size == 1
        else f"torchrun --nproc-per-node {world_size} -m spanbert_lab.pretrain"
    )
    return f"{prefix} {shlex.join(argv)}".strip()


def data_fingerprint() -> str:
    """sha256 of the corpus and tokenizer files a run read (changes when ``make data`` does)."""
    digest = hashlib.sha256()
    corpus = [
        data_dir() / "corpus" / f"{split}.{kind}.gz"
        for split in ("train", "dev")
        for kind in ("txt", "annotations.jsonl")
    ]
    for path in [*corpus, data_dir() / "tokenizer" / "tokenizer.json"]:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _masking_line(masking: dict[str, Any] | None) -> str:
    """The card's one-line summary of the masking settings (``–`` for an older card)."""
    if masking is None:
        return "–"
    unit = {"auto": "the scheme's own unit (auto)"}.get(masking["replacement"])
    kept = 1 - masking["mask_prob"] - masking["random_prob"]
    return (
        f"{masking['mask_ratio']:g} of the tokens; spans Geo(p={masking['geometric_p']:g}) words, "
        f"{masking['min_span_words']}–{masking['max_span_words']} ({masking['length_mode']}), "
        f"anchor {masking['anchor']}; [MASK]/random/kept {masking['mask_prob']:g}/"
        f"{masking['random_prob']:g}/{kept:.2g} per {unit or masking['replacement']} "
        f"(`metrics.json` holds every setting)"
    )


def _own_intro(m: dict[str, Any], what: str, heads: str) -> str:
    """The card's opening for a run on your own corpus and / or from a checkpoint."""
    corpus, init = m.get("corpus"), m.get("init_from")
    start = (
        f"continued from `{init['init_from']}` (new: {', '.join(init['fresh_modules']) or 'nothing'})"
        if init
        else f"a fresh {m['preset']}-size model"
    )
    text = (
        f"`{corpus['path']}`: {corpus['files']} file(s), {corpus['bytes']:,} bytes, sha256 "
        f"`{corpus['sha256']}`; {corpus['documents']:,} training documents, dev: {corpus['dev']}"
        if corpus
        else "the course corpus (`data/corpus`)"
    )
    return f"""Pretrained with the `{m["objective"]}` objective ({what}; {heads}) by spanbert-lab's
command line: {start}.
{m["parameters"]:,} parameters, float32.

- corpus: {text}
- tokenizer: `{m.get("tokenizer", "the course tokenizer (data/tokenizer)")}`
"""


def model_card(m: dict[str, Any]) -> str:
    """The README.md of an exported model, from its ``metrics.json`` content."""

    def fmt(x: Any) -> str:
        return "–" if x is None else f"{x:.4f}" if isinstance(x, float) else str(x)

    rows = [
        f"| {split} | {fmt(m[split]['mlm_loss'])} | {fmt(m[split]['mlm_accuracy'])} | "
        f"{fmt(m[split]['sbo_loss'])} | {fmt(m[split]['sbo_accuracy'])} |"
        for split in ("train", "dev")
    ]
    names = {
        "span_sbo": "SpanBERT: span masking + span boundary objective",
        "subword": "BERT's masked LM: random sub-word tokens",
    }
    what = names.get(m["objective"], f"masking scheme `{m['scheme']}`")
    heads = f"SBO {'on' if m['sbo'] else 'off'}, NSP {'on' if m['nsp'] else 'off'}"
    intro = (
        _own_intro(m, what, heads)
        if m.get("corpus") or m.get("init_from")
        else f"""A {m["preset"]}-size model pretrained on the course corpus (`data/corpus`) with the
`{m["objective"]}` objective ({what}; {heads}) by the course's own command line.
{m["parameters"]:,} parameters, float32. For teaching: it knows the course's fictional world and
nothing else.
"""
    )
    return f"""# {m["preset"]} model, objective `{m["objective"]}` — spanbert-lab

{intro}
## How it was made

```
{m["command"]}
```

| setting | value |
|---|---|
| seed | {m["seed"]} |
| steps | {m["steps"]} (stopped by {m["stopped_by"]}) |
| global batch × block | {m["train_config"]["batch_size"]} × {m["block_size"]} tokens |
| tokens seen | {m["tokens_seen"]:,} |
| peak lr / warm-up / decay | {m["train_config"]["lr"]} / {m["train_config"]["warmup_steps"]} steps / linear to 0 |
| weight decay / grad clip | {m["train_config"]["weight_decay"]} / {m["train_config"]["max_grad_norm"]} |
| masking | {_masking_line(m.get("masking"))} |
| processes | {m["world_size"]} |
| wall time | {m["wall_time_s"]} s |
| machine | {m["machine"]} |

## Results

Top-1 accuracy and mean cross-entropy over all targets, on fixed masks (scheme `{m["scheme"]}`,
mask seed {m["eval_mask_seed"]}): *dev* = all {m["eval_blocks"]} blocks of the dev split, *train* =
the first {m["eval_blocks"]} training blocks. SBO columns are empty for models without an SBO head.
Mean training loss of the last 20 updates: {fmt(m["final_train_loss_last_20_steps"])}.

| split | MLM loss | MLM accuracy | SBO loss | SBO accuracy |
|---|---|---|---|---|
{chr(10).join(rows)}

`tests/test_shipped_checkpoints.py` re-measures the dev numbers from these weights
(`metrics.json` holds them unrounded).

## Use

```python
from spanbert_lab.model.pretraining import SpanBertForPreTraining
model = SpanBertForPreTraining.from_pretrained("<this folder>")   # encoder + MLM (+ SBO) heads
from transformers import BertForQuestionAnswering
qa = BertForQuestionAnswering.from_pretrained("<this folder>")    # encoder; new QA head
```
"""
