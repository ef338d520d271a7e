"""Ship the fine-tuned models the protocol keeps (``keep_models``) as course checkpoints.

Fine-tuning runs whose seed is in a task's ``keep_models`` save their model inside their run
folder (not committed: ``.gitignore``). Once the selection rule has picked each encoder's learning
rate, the kept seeds of *that* learning rate are copied to
``<checkpoints_dir>/<task>-<encoder>-seed<N>`` (e.g. ``qa-v1.1-spanbert-tiny-seed0``), replacing
what was there atomically, so notebooks can load the very models whose scores the study reports.
Each gets a ``study.json`` and a model card (``README.md``, :mod:`.cards`).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

from spanbert_lab.tools.study.cards import write_model_card
from spanbert_lab.tools.study.protocol import Protocol
from spanbert_lab.tools.study.report import TaskReport

__all__ = ["ship_models"]


def _replace_dir(
    source: Path, target: Path, card: dict[str, object], card_name: str = "study.json"
) -> None:
    """Copy ``source`` to ``target`` with ``card`` as ``card_name``, replacing it atomically."""
    tmp = target.with_name(f".{target.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(source, tmp)
    (tmp / card_name).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    old = target.with_name(f".{target.name}.old")
    if target.exists():
        target.replace(old)
    tmp.replace(target)
    if old.exists():
        shutil.rmtree(old)


def ship_models(protocol: Protocol, reports: Sequence[TaskReport]) -> list[Path]:
    """Copy every kept model of the selected learning rates; return the written folders.

    Raises:
        FileNotFoundError: a kept run has no saved model (it ran before ``keep_models``).
    """
    written = []
    for report in reports:
        task = next(t for t in protocol.tasks if t.name == report.task)
        for encoder, lr in report.selected_lr.items():
            for seed in task.keep_models:
                run = protocol.results_dir / "runs" / task.name / encoder / f"lr{lr:g}"
                source = run / f"seed{seed}" / f"seed{seed}" / "model"
                if not (source / "config.json").is_file():
                    raise FileNotFoundError(f"{source}: no saved model; rerun that run")
                target = protocol.checkpoints_dir / f"{task.name}-{encoder}-seed{seed}"
                card = {
                    "task": task.name,
                    "encoder": encoder,
                    "lr": lr,
                    "seed": seed,
                    "selected_on": f"mean dev {task.select} over seeds {task.seeds}",
                    "run": str(run / f"seed{seed}"),
                    "test_metrics": json.loads((run / f"seed{seed}" / "result.json").read_text())[
                        "runs"
                    ][0]["test_metrics"],
                }
                _replace_dir(source, target, card)
                write_model_card(protocol, target)
                written.append(target)
    return written
