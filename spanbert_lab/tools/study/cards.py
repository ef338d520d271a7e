"""Model cards (``README.md``) for the fine-tuned models the study ships (:mod:`.ship`).

A card says where the model came from and what it scores, and every number in it is read from a
stored file: the folder's ``study.json`` and ``config.json``, the run's ``result.json`` (its exact
command, dev and test metrics) and ``done.json`` (wall time), and the protocol (the grid and the
selection rule). :func:`write_model_card` is called by :func:`.ship.ship_models` for each folder it
writes; ``scripts/write_model_cards.py`` rewrites the cards of folders already shipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from spanbert_lab.tools.study.protocol import FinetuneTask, Protocol

__all__ = ["model_card", "write_model_card"]

_OBJECTIVES = {
    "none": "no pretraining: the untrained control, randomly initialised",
    "subword": "BERT's masked LM on random WordPieces",
    "span": "SpanBERT's span masking, MLM only",
    "span_sbo": "SpanBERT: span masking + the span boundary objective",
}

_TASKS = {
    ("qa", "1.1"): (
        "extractive question answering on the course's SQuAD 1.1-style set (`data/qa/squad-v1.1-"
        "{train,dev,test}.json.gz`, generated from the course world by `make data`): every "
        "question has an answer, a span of its passage, and the model predicts the span's start "
        "and end token"
    ),
}

_CLASS_NOTE = {
    "BertForQuestionAnswering": (
        "It was fine-tuned with transformers' `BertForQuestionAnswering`, before the course's own "
        "trunk (`spanbert_lab.model.trunk`) existed. The course's `SpanBertForQuestionAnswering` "
        "keeps transformers' parameter names, so the same weights open unchanged in both:"
    ),
}


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _metric_rows(dev: dict[str, float], test: dict[str, float]) -> list[str]:
    names = list(dict.fromkeys([*dev, *test]))
    rows = [
        "| split | " + " | ".join(f"`{n}`" for n in names) + " |",
        "|---" * (1 + len(names)) + "|",
    ]
    for split, values in (("dev", dev), ("test", test)):
        cells = [f"{values[n]:.2f}" if n in values else "" for n in names]
        rows.append(f"| {split} | " + " | ".join(cells) + " |")
    return rows


def _loading(saved_as: str, name: str) -> list[str]:
    if saved_as not in _CLASS_NOTE:
        return [f"Saved as `{saved_as}` (transformers' parameter names).", ""]
    return [
        _CLASS_NOTE[saved_as],
        "",
        "```python",
        "from spanbert_lab.model.finetuning import SpanBertForQuestionAnswering",
        "from transformers import BertForQuestionAnswering",
        "",
        f'model = SpanBertForQuestionAnswering.from_pretrained("data/checkpoints/{name}")',
        f'model = BertForQuestionAnswering.from_pretrained("data/checkpoints/{name}")',
        "```",
        "",
        "The tokenizer is the course WordPiece, shipped in the folder.",
        "",
    ]


def _task_text(task: FinetuneTask) -> str:
    return _TASKS.get((task.task, task.version or ""), f"the course's `{task.task}` task")


def model_card(protocol: Protocol, folder: Path) -> str:
    """The card of one shipped fine-tuned folder (``<task>-<encoder>-seed<N>``), as Markdown."""
    study = _json(folder / "study.json")
    config = _json(folder / "config.json")
    task = next(t for t in protocol.tasks if t.name == study["task"])
    encoder, lr, seed = study["encoder"], study["lr"], study["seed"]
    run_dir = protocol.results_dir / "runs" / task.name / encoder / f"lr{lr:g}" / f"seed{seed}"
    result = _json(run_dir / "result.json")
    run = next(r for r in result["runs"] if r["seed"] == seed)
    done = _json(run_dir / "done.json") if (run_dir / "done.json").is_file() else {}
    objective = next((e.objective for e in protocol.encoders if e.name == encoder), None)
    classes = config.get("architectures") or ["(not recorded)"]
    lines = [
        f"# {folder.name}: `{task.task}` fine-tuned from `{encoder}` — spanbert-lab",
        "",
        f"Source encoder: **`{encoder}`** (`{protocol.checkpoints_dir / encoder}`"
        + (
            f", objective `{objective}`: {_OBJECTIVES.get(objective, objective)}"
            if objective
            else ""
        )
        + f"; its own card: [`../{encoder}/README.md`](../{encoder}/README.md)), fine-tuned with "
        f"seed {seed} on {_task_text(task)}.",
        "",
        "## How it was made",
        "",
        f"One run of the study `{protocol.path}` (task `{task.name}`): every encoder is fine-tuned "
        f"with the same grid, learning rates {task.lrs} × seeds {task.seeds}, arguments "
        f"`{' '.join(task.args)}`; the learning rate is chosen by the {study['selected_on']}, here "
        f"**{lr:g}**. The protocol keeps the models of seeds {task.keep_models}; this is seed {seed} "
        "at the selected rate. The exact command:",
        "",
        "```",
        result.get("command", done.get("command", "(not recorded)")),
        "```",
        "",
        f"Run folder: `{study['run']}` (`result.json`, `done.json`, per-example scores)."
        + (f" Fine-tuning took {run['seconds']} s." if "seconds" in run else ""),
        "",
        "## Scores",
        "",
        "This run's own scores (one seed; the study's mean and spread over seeds are in "
        "`data/results/study/summary.md`):",
        "",
        *_metric_rows(run.get("metrics", {}), run.get("test_metrics", {})),
        "",
        *(
            [
                "Answers are decoded on word boundaries (the course default); the `@tokens` "
                "columns re-decode the same logits allowing any token boundary.",
                "",
            ]
            if task.task == "qa"
            else []
        ),
        "## Loading",
        "",
        *_loading(classes[0], folder.name),
        "## Intended use and limits",
        "",
        "- For teaching: notebook 05's QA explorer loads it to show what a tiny fine-tuned encoder "
        "answers, and where it goes wrong, next to the same model fine-tuned from the other "
        "encoders."
        if task.task == "qa"
        else "- For teaching, beside the study's reported scores.",
        "- It knows only the course's fictional world and its templated English; on real text "
        "or real questions its answers mean nothing.",
        *(
            [
                "- Trained on answerable questions only (SQuAD 1.1): it always returns a span and "
                "cannot say that a passage holds no answer."
            ]
            if (task.task, task.version) == ("qa", "1.1")
            else []
        ),
        "- One seed of one small model: differences between encoders are the study's to judge "
        "(over seeds, with intervals), not this card's.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(protocol: Protocol, folder: Path) -> Path:
    """Write ``folder/README.md`` from the stored files; return its path."""
    path = folder / "README.md"
    path.write_text(model_card(protocol, folder), encoding="utf-8")
    return path
