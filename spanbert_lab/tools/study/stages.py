"""The study's stages in order — pilot, pretraining, fine-tuning, report — each resumable.

Every stage reads what earlier stages left in ``results_dir`` and skips what is done, so
``python -m spanbert_lab study run`` can be stopped at any moment and started again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from spanbert_lab.data import load_tokenizer
from spanbert_lab.pretrain.data import load_blocks
from spanbert_lab.pretrain.metrics_log import read_metrics_log
from spanbert_lab.pretrain.recipes import OBJECTIVES, build_model
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.tools.study.plan import (
    CALIBRATION_STEPS,
    RUNS_DIR,
    Recipe,
    Run,
    finetune_runs,
    pilot_configs,
    pilot_runs,
    pretrain_runs,
    recipe_key,
)
from spanbert_lab.tools.study.protocol import Encoder, Protocol
from spanbert_lab.tools.study.runner import execute
from spanbert_lab.tools.study.summary import copy_pretraining_logs

__all__ = [
    "encoder_state",
    "run_finetuning",
    "run_pilot",
    "run_pretraining",
    "save_untrained_encoder",
    "write_random_encoder",
]

Say = Callable[[str], None]
TIE = 0.01  # dev-loss differences below this are ties: the earlier (cheaper) grid value wins


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def _final_dev_loss(folder: Path) -> float:
    return float(read_metrics_log(folder / "metrics.jsonl")[-1]["dev_mlm_loss"])


def _pilot_state(protocol: Protocol) -> dict[str, Any]:
    root = RUNS_DIR / "pilot"
    budget_s = protocol.pilot.cpu_minutes * 60
    steps, losses = {}, {}
    for done in sorted(root.glob("calibration/*/done.json")):
        card = _json(done.parent / "final" / "metrics.json")
        steps[done.parent.name] = max(
            10, math.floor(budget_s * card["steps"] / card["wall_time_s"])
        )
    runs = {}
    for done in sorted(root.glob("*/done.json")):
        if done.parent.name != "calibration":
            losses[done.parent.name] = _final_dev_loss(done.parent)
            card = _json(done.parent / "final" / "metrics.json")
            runs[done.parent.name] = {
                "dev_mlm_loss": losses[done.parent.name],
                "updates": card["steps"],
                "stopped_by": card["stopped_by"],
                "real_tokens": card["tokens_seen"],
                "wall_time_s": card["wall_time_s"],
            }
    return {"steps": steps, "losses": losses, "runs": runs}


def _settle(protocol: Protocol, losses: dict[str, float]) -> dict[str, Any]:
    """Walk the factors in order; a factor is settled when all its values have a loss."""
    best: dict[str, Any] = {}
    for factor in protocol.pilot.order:
        configs = pilot_configs(protocol, best)
        keys = [recipe_key(r) for r in configs]
        if not configs or any(k not in losses for k in keys):
            break
        lowest = min(losses[k] for k in keys)
        winner = next(r for r, k in zip(configs, keys, strict=True) if losses[k] < lowest + TIE)
        best[factor] = getattr(winner, factor)
    return best


def run_pilot(protocol: Protocol, *, jobs: int, say: Say) -> Recipe:
    """Calibrate and run the pilot one factor at a time; write ``pilot.json``; return the
    chosen recipe."""
    while True:
        state = _pilot_state(protocol)
        best = _settle(protocol, state["losses"])
        configs = pilot_configs(protocol, best)
        if not configs:
            break
        runs = pilot_runs(protocol, configs, state["steps"])
        calibrations = [r for r in runs if r.key.startswith("pilot/calibration/")]
        # a calibration runs alone, so that its measured update time is not shared with another
        todo = calibrations or runs
        failed = [
            o for o in execute(todo, jobs=1 if calibrations else jobs, say=say) if o.status != 0
        ]
        if failed:
            raise RuntimeError(f"pilot runs failed: {[o.key for o in failed]}")
    recipe = Recipe(**best)
    _write_json(
        protocol.results_dir / "pilot.json",
        {
            "recipe": best,
            "losses": state["losses"],
            "steps": state["steps"],
            "runs": state["runs"],
            "calibration_steps": CALIBRATION_STEPS,
            "cpu_minutes": protocol.pilot.cpu_minutes,
            "objective": protocol.pilot.objective,
            "rule": f"lowest final dev MLM loss; ties (< {TIE}) go to the earlier grid value",
        },
    )
    say(f"pilot: recipe {best}")
    return recipe


def block_lengths(
    recipe: Recipe, *, nsp: bool = False, seed: int = 0, max_blocks: int | None = None
) -> list[int]:
    """Non-padding tokens of every training block at ``recipe.block_size``, in block order
    (two-segment NSP blocks are drawn with ``seed``; ``max_blocks``: the first blocks only)."""
    blocks = load_blocks(
        "train",
        load_tokenizer(),
        block_size=recipe.block_size,
        nsp=nsp,
        seed=seed,
        max_blocks=max_blocks,
    )
    return [len(b["input_ids"]) for b in blocks]


def save_untrained_encoder(out: Path, preset: str, block_size: int, seed: int, card: str) -> Path:
    """An untrained control: ``preset``'s architecture initialised with ``seed``, saved with the
    course tokenizer and a model card (no optimiser step ever taken); kept when already there."""
    if (out / "model.safetensors").is_file():
        return out
    tokenizer = load_tokenizer()
    model = build_model(OBJECTIVES["span_sbo"], preset, tokenizer, seed=seed, block_size=block_size)
    tmp = out.with_name(f".{out.name}.tmp")
    with quiet_transformers():
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
    (tmp / "README.md").write_text(card, encoding="utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.replace(out)
    return out


def write_random_encoder(protocol: Protocol, recipe: Recipe, name: str) -> Path:
    """The untrained control: the recipe's architecture, initialised with the pretraining
    seed, saved with the course tokenizer (no optimiser step ever taken)."""
    card = (
        f"# {name}\n\nThe study's control: the `{recipe.preset}` architecture of the pretrained "
        f"encoders, randomly initialised with seed {protocol.pretrain_seed} and never trained. "
        "Written by `python -m spanbert_lab study run`.\n"
    )
    return save_untrained_encoder(
        protocol.checkpoints_dir / name,
        recipe.preset,
        recipe.block_size,
        protocol.pretrain_seed,
        card,
    )


def run_pretraining(protocol: Protocol, recipe: Recipe, *, jobs: int, say: Say) -> list[Run]:
    """Pretrain every encoder with the recipe (resuming unfinished runs), write the control."""
    runs = pretrain_runs(protocol, recipe, block_lengths(recipe), RUNS_DIR)
    failed = [o for o in execute(runs, jobs=jobs, say=say) if o.status != 0]
    if failed:
        raise RuntimeError(f"pretraining runs failed: {[o.key for o in failed]}")
    for encoder in protocol.encoders:
        if encoder.objective == "none":
            write_random_encoder(protocol, recipe, encoder.name)
    copy_pretraining_logs(protocol)
    return runs


def encoder_state(protocol: Protocol, encoder: Encoder) -> str:
    """``"ready"`` (made by the study), ``"not the study's"`` (a checkpoint of that name exists,
    e.g. a shipped one, but the study's pretraining run is not done) or ``"missing"``."""
    exported = (protocol.checkpoints_dir / encoder.name / "model.safetensors").is_file()
    made = encoder.objective == "none" or (RUNS_DIR / encoder.name / "done.json").is_file()
    if exported and made:
        return "ready"
    return "not the study's" if exported else "missing"


def run_finetuning(
    protocol: Protocol, *, jobs: int, say: Say, tasks: list[str] | None = None
) -> list[Run]:
    """Every fine-tuning run of the grid that is not done yet (of ``tasks`` only, in that order,
    when given)."""
    missing = [e.name for e in protocol.encoders if encoder_state(protocol, e) != "ready"]
    if missing:
        raise FileNotFoundError(f"encoders the study has not made yet: {missing}; pretrain first")
    runs = finetune_runs(protocol, protocol.encoders)
    if tasks is not None:
        runs = [r for task in tasks for r in runs if r.meta["task"] == task]
    failed = [o for o in execute(runs, jobs=jobs, say=say) if o.status != 0]
    if failed:
        raise RuntimeError(f"{len(failed)} fine-tuning runs failed, e.g. {failed[0].key}")
    return runs
