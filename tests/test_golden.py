"""Golden values: masks, SBO targets, 20 pretraining updates and short fine-tuning runs.

The redesign of the library (issue "One obvious place for each change") must not move a single
mask, loss or metric. These tests recompute them through the public entry points and compare
them with ``tests/golden/golden.json``, recorded before the redesign began and re-recorded once,
deliberately, on 2026-12-07, when the course's own trunk (``spanbert_lab.model.trunk``) replaced
transformers' ``BertModel`` in training: its dropout draws its random bits differently, so losses,
weights and fine-tuning metrics moved; every mask and SBO target hash and the initial weights are
unchanged (the re-recording changed no mask entry of the JSON). The `span_sbo+nsp` pretraining
entries were re-recorded once more, deliberately, the same day: a with-NSP model now starts
from the same weights as its one-segment twin of the same seed (``build_model``), which the
ablation study's "seed s gives every arm the same initialisation" needs; nothing else moved.

- Masks and SBO targets are integer tensors drawn from explicit generators: they must be equal
  everywhere (compared by SHA-256 of the tensors, plus a few readable counts).
- Losses, weights and metrics are floating point. On the machine that recorded them (same CPU
  model, torch version and CPU capability) they must be bit-identical, weights included. On other
  machines the BLAS kernels may round differently, so losses must agree to 1e-4 (relative) and
  metrics to 0.5 points.

Only change *how* a value is computed here (an import, a call signature), never the JSON.
``python tests/test_golden.py --record`` rewrites it and is for a deliberate change of behaviour
only (say which in the commit).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "golden.json"
SCHEMES = ("subword", "whole_word", "span", "entity", "noun_phrase")
PRETRAIN_OBJECTIVES = ("subword", "span_sbo", "span_sbo+nsp")
FINETUNE_RUNS = {
    "qa": ["--max-train", "48", "--max-eval", "24", "--max-steps", "8", "--batch-size", "8"],
    "ner": ["--max-train", "64", "--max-eval", "32", "--max-steps", "8", "--batch-size", "8"],
    "classify": ["--max-train", "64", "--max-eval", "32", "--max-steps", "8", "--batch-size", "8"],
}
ENV = {
    **os.environ,
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "PYTHONHASHSEED": "0",
}


def machine() -> dict[str, str]:
    """What decides floating-point rounding: CPU model, torch version, CPU capability."""
    model = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "torch": torch.__version__,
        "capability": torch.backends.cpu.get_cpu_capability(),
    }


def _digest(tensor: torch.Tensor) -> str:
    t = tensor.detach().to("cpu").contiguous()
    return hashlib.sha256(f"{t.dtype}{tuple(t.shape)}".encode() + t.numpy().tobytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# What is measured. Adapt the calls to the library's API; never the recorded values.


def compute_masks() -> dict[str, Any]:
    """Every scheme on 24 real training blocks: the collator's batch, epochs 0 and 1."""
    from spanbert_lab.data.tokenizer import load_tokenizer
    from spanbert_lab.masking import unigram_counts
    from spanbert_lab.masking.collate import MaskingCollator
    from spanbert_lab.pretrain.data import load_blocks

    tokenizer = load_tokenizer()
    blocks = load_blocks("train", tokenizer, block_size=128, max_blocks=24, cache=False)
    unk = tokenizer.unk_token_id
    assert all(unk not in ex["input_ids"] for ex in blocks), "golden blocks must hold no [UNK]"
    counts = unigram_counts(
        (ex["input_ids"] for ex in blocks), len(tokenizer), ignore_ids=tokenizer.all_special_ids
    )
    out: dict[str, Any] = {}
    for scheme in SCHEMES:
        collator = MaskingCollator(
            tokenizer, scheme, seed=11, unigram_counts=counts, include_sbo=True
        )
        for epoch in (0, 1):
            collator.set_epoch(epoch)
            batch = collator(blocks)
            record = {key: _digest(value) for key, value in sorted(batch.items())}
            record["masked_tokens"] = int((batch["labels"] != -100).sum())
            record["sbo_targets"] = int((batch["sbo_labels"] != -100).sum())
            record["mask_tokens"] = int((batch["input_ids"] == tokenizer.mask_token_id).sum())
            out[f"{scheme}/epoch{epoch}"] = record
    return out


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=ENV, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def _weights_digest(folder: Path) -> str:
    from safetensors.torch import load_file

    tensors = load_file(str(folder / "model.safetensors"))
    h = hashlib.sha256()
    for name in sorted(tensors):
        h.update(name.encode() + _digest(tensors[name]).encode())
    return h.hexdigest()


def compute_pretraining(objective: str, workdir: Path) -> dict[str, Any]:
    """20 updates of the tiny preset: per-update losses, the evaluations, the final weights."""
    out = workdir / objective.replace("+", "_")
    _run(
        ["spanbert_lab.pretrain", "--objective", objective, "--output-dir", str(out),
         "--max-steps", "20", "--batch-size", "8", "--max-train-blocks", "64",
         "--max-eval-blocks", "16", "--eval-every", "10", "--seed", "3", "--device", "cpu",
         "--threads", "1", "--precision", "fp32"],
        ROOT,
    )  # fmt: skip
    state = torch.load(out / "checkpoint-20" / "trainer_state.pt", weights_only=False)
    history = state["history"]
    losses = {
        key: [float(r[key]) for r in history["train"] if r.get(key) is not None]
        for key in ("loss", "mlm_loss", "sbo_loss", "nsp_loss")
    }
    evals = [
        {k: float(v) for k, v in r.items() if isinstance(v, int | float) and k != "kind"}
        for r in history["eval"]
    ]
    return {
        "losses": {k: v for k, v in losses.items() if v},
        "evals": evals,
        "weights": _weights_digest(out / "final"),
    }


def compute_finetuning(task: str, workdir: Path) -> dict[str, Any]:
    """A short fine-tuning run of the shipped SpanBERT-tiny: the metrics it reports."""
    results = workdir / f"finetune-{task}.json"
    _run(
        ["spanbert_lab.finetune", task, "--model", "spanbert-tiny", "--seeds", "0",
         "--output", str(workdir / f"ft-{task}"), "--results", str(results), "--threads", "1",
         "--device", "cpu", *FINETUNE_RUNS[task]],
        ROOT,
    )  # fmt: skip
    metrics = json.loads(results.read_text())["runs"][0]["metrics"]
    seed0 = workdir / f"ft-{task}" / "seed0"
    history = json.loads((seed0 / "history.json").read_text())
    predictions = (seed0 / "predictions.json").read_bytes()
    return {
        "metrics": {k: float(v) for k, v in sorted(metrics.items())},
        "losses": [float(r["loss"]) for r in history if "loss" in r],
        "predictions": hashlib.sha256(predictions).hexdigest(),
    }


# ---------------------------------------------------------------------------------------------


def _golden() -> dict[str, Any]:
    if not GOLDEN.is_file():
        pytest.fail(f"{GOLDEN} is missing: the golden values are part of the test suite")
    return json.loads(GOLDEN.read_text())


def _same_machine(golden: dict[str, Any]) -> bool:
    return golden["machine"] == machine()


def _close(got: float, want: float, rel: float, abs_: float) -> bool:
    return abs(got - want) <= max(abs_, rel * abs(want))


def test_masks_and_sbo_targets_are_unchanged():
    golden = _golden()["masks"]
    got = compute_masks()
    assert sorted(got) == sorted(golden)
    for key, want in golden.items():
        assert got[key] == want, f"{key}: masks or SBO targets moved"


@pytest.mark.parametrize("objective", PRETRAIN_OBJECTIVES)
def test_twenty_pretraining_updates_are_unchanged(objective, tmp_path):
    golden = _golden()
    want = golden["pretraining"][objective]
    got = compute_pretraining(objective, tmp_path)
    if _same_machine(golden):
        assert got == want, f"{objective}: not bit-identical on the recording machine"
        return
    assert sorted(got["losses"]) == sorted(want["losses"])
    for key, values in want["losses"].items():
        assert len(got["losses"][key]) == len(values)
        for step, (g, w) in enumerate(zip(got["losses"][key], values, strict=True), 1):
            assert _close(g, w, 1e-4, 1e-6), f"{objective} {key} at update {step}: {g} != {w}"
    for g_eval, w_eval in zip(got["evals"], want["evals"], strict=True):
        for key, w in w_eval.items():
            assert _close(g_eval[key], w, 1e-3, 1e-4), f"{objective} eval {key}"


@pytest.mark.parametrize("task", sorted(FINETUNE_RUNS))
def test_short_finetuning_runs_are_unchanged(task, tmp_path):
    golden = _golden()
    want = golden["finetuning"][task]
    got = compute_finetuning(task, tmp_path)
    if _same_machine(golden):
        assert got == want, f"{task}: metrics not bit-identical on the recording machine"
        return
    assert sorted(got["metrics"]) == sorted(want["metrics"])
    for key, w in want["metrics"].items():
        assert _close(got["metrics"][key], w, 1e-3, 0.5), f"{task} {key}: {got['metrics'][key]}"
    for step, (g, w) in enumerate(zip(got["losses"], want["losses"], strict=True), 1):
        assert _close(g, w, 1e-4, 1e-6), f"{task} loss at update {step}: {g} != {w}"


def record() -> None:
    """Recompute everything and write ``tests/golden/golden.json``."""
    import tempfile

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = {
            "machine": machine(),
            "masks": compute_masks(),
            "pretraining": {o: compute_pretraining(o, work) for o in PRETRAIN_OBJECTIVES},
            "finetuning": {t: compute_finetuning(t, work) for t in sorted(FINETUNE_RUNS)},
        }
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit("usage: python tests/test_golden.py --record")
    record()
