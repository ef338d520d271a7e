"""The ablation study's results: ``summary.json`` (every number) and ``summary.md`` (the tables,
and Tables 6 and 7 in miniature beside the paper's), the pretraining curves, the shipped
encoders.

Per task and arm: the pretraining and fine-tuning seeds, the learning-rate grid as finally run,
the selected rate, each run's best (and last) epoch, and the test metric's mean and values. Each
comparison of ``[statistics]`` is a difference of grand means with the seed-aware 95% interval
of :func:`spanbert_lab.stats.seed_aware_difference` over the per-example test scores,
(pretraining seeds, fine-tuning seeds, test examples). QA v2.0 is reported at the null threshold
chosen on dev and at 0; the budget curve as the gaps per budget.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from spanbert_lab.data import load_squad_json
from spanbert_lab.data.leakage import corpus_sentences, leaked_questions
from spanbert_lab.stats import seed_aware_difference
from spanbert_lab.tools.study.ablations.filling import span_filling
from spanbert_lab.tools.study.ablations.plan import (
    budget_folder,
    dev_score,
    encoder_dir,
    finetune_folder,
    run_record,
)
from spanbert_lab.tools.study.ablations.protocol import AblationProtocol, AblationTask
from spanbert_lab.tools.study.ablations.stages import (
    DevScore,
    cap_state,
    copy_pretraining_logs,
    plan_round,
    selections,
    stage_cpu_seconds,
    stage_root,
)
from spanbert_lab.tools.study.report import ExampleScores
from spanbert_lab.tools.study.ship import _replace_dir

__all__ = [
    "INTERVAL_TEXT",
    "PAPER",
    "copy_pretraining_logs",
    "ship_encoders",
    "stage_status",
    "summarise",
    "write_report",
]

INTERVAL_TEXT = (
    "seed_aware_difference: pretraining seeds, fine-tuning seeds, test examples; Welch df, "
    "Student t, 95%"
)
PAPER = {  # SpanBERT Tables 6 and 7 (dev), as study/ablations.md quotes them: (SQuAD 2.0, coref)
    ("span", "subword"): (1.6, -1.3),
    ("whole_word", "subword"): (0.5, -1.1),
    ("entity", "subword"): (1.0, -2.1),
    ("noun_phrase", "subword"): (1.2, -1.0),
    ("span", "span+nsp"): (1.3, -0.1),
    ("span_sbo", "span"): (0.1, 2.7),
}
TABLES = {
    "Table 6 (masking schemes, each minus `subword`)": [
        ("whole_word", "subword"), ("entity", "subword"), ("noun_phrase", "subword"), ("span", "subword"),
    ],
    "Table 7 (auxiliary objectives with span masking)": [("span", "span+nsp"), ("span_sbo", "span")],
}  # fmt: skip


def _pretrain_todo(protocol: AblationProtocol) -> list[str]:
    """The pretraining runs not done (without sizing them: that reads every block)."""
    pairs = [(a.name, s) for a in protocol.arms if a.objective != "none" for s in a.seeds]
    root = protocol.runs_dir / "pretrain"
    return [f"{a}/seed{s}" for a, s in pairs if not (root / a / f"seed{s}" / "done.json").is_file()]


def stage_status(protocol: AblationProtocol, dev: DevScore = dev_score) -> dict[str, str]:
    """Per stage: ``complete``, ``stopped by the CPU cap``, ``in progress``, ``not started``."""
    cap = cap_state(protocol) or {}
    out = {}
    for stage in protocol.stages:
        try:
            todo = (
                _pretrain_todo(protocol)
                if stage == "pretrain"
                else plan_round(protocol, stage, dev).todo
            )
        except (RuntimeError, FileNotFoundError):
            todo = [None]  # an earlier stage it needs is not complete
        root = stage_root(protocol, stage)
        started = root.is_dir() and any(root.rglob("done.json"))
        if not todo:
            out[stage] = "complete"
        elif cap.get("stage") == stage:
            out[stage] = "stopped by the CPU cap"
        else:
            out[stage] = "in progress" if started else "not started"
    return out


def _scores(folder: Path, fs: int, column: str, ids: list[str] | None) -> torch.Tensor:
    path = folder / f"seed{fs}" / "test" / "example_scores.json"
    raw = ExampleScores.read(path)
    if ids is not None and raw.ids != ids:
        raise ValueError(
            f"{path}: its test examples are not those of the other runs, in the same order; "
            "the paired comparisons need them aligned"
        )
    return 100.0 * raw.scores[:, raw.columns.index(column)]


def _test_ids(folders: dict[int, dict[int, Path]]) -> list[str]:
    fs, folder = next(iter(next(iter(folders.values())).items()))
    return ExampleScores.read(folder / f"seed{fs}" / "test" / "example_scores.json").ids


def _grid(
    folders: dict[int, dict[int, Path]], column: str, ids: list[str] | None = None
) -> torch.Tensor:
    """(P, F, E) per-example scores of the runs ``folders[ps][fs]``.

    Raises:
        ValueError: a run's test example ids differ from ``ids`` (default: the first run's).
    """
    ids = _test_ids(folders) if ids is None else ids
    return torch.stack(
        [
            torch.stack([_scores(f, fs, column, ids) for fs, f in row.items()])
            for row in folders.values()
        ]
    )


def _compare(
    scores: dict[str, torch.Tensor], pairs: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    out = []
    for a, b in pairs:
        if a in scores and b in scores:
            d = seed_aware_difference(scores[a], scores[b])
            out.append(
                {
                    "a": a,
                    "b": b,
                    "diff": d["diff"],
                    "low": d["low"],
                    "high": d["high"],
                    "interval": INTERVAL_TEXT,
                }
            )
    return out


def _arm_summary(
    protocol: AblationProtocol, task: AblationTask, arm: str, sel: Any, metric: str
) -> tuple[dict, dict]:
    seeds = protocol.arm(arm).seeds
    folders = {
        ps: {
            fs: finetune_folder(protocol, task.name, arm, sel.selected, ps, fs)
            for fs in task.finetune_seeds
        }
        for ps in seeds
    }
    records = {(ps, fs): run_record(f) for ps, row in folders.items() for fs, f in row.items()}
    values = [float(r["test_metrics"][metric]) for r in records.values()]
    epochs = [{"pretrain_seed": ps, "finetune_seed": fs, "best_epoch": r.get("best_epoch"),
               "epochs_run": len(r.get("dev_curve", [])),
               # from the curve: runs made before a fix flagged a run that hit max_epochs too
               "stopped_early": len(r.get("dev_curve", [])) < task.max_epochs,
               # descriptions, not rules: the best epoch was the last allowed (dev may still
               # have been rising), or the first (dev never rose by min_delta after it)
               "best_at_max_epochs": r.get("best_epoch") == task.max_epochs,
               "best_at_first_epoch": r.get("best_epoch") == 1}
              for (ps, fs), r in records.items()]  # fmt: skip
    summary = {
        "pretrain_seeds": list(seeds),
        "finetune_seeds": list(task.finetune_seeds),
        "lr_grid": list(sel.grid),
        "selected_lr": sel.selected,
        "selected_at_edge": sel.at_edge,
        "dev_by_lr": {f"{lr:g}": s for lr, s in sorted(sel.scores.items())},
        "epochs": epochs,
        "test": {"mean": sum(values) / len(values), "values": values},
        # every other number the runs scored on test (QA: exact match; coreference: link
        # accuracy, MUC F1 and the nearest-compatible baseline's), mean over the runs
        "test_metrics_mean": _metric_means([r["test_metrics"] for r in records.values()]),
    }
    return summary, folders


def _metric_means(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The mean of each numeric metric that every run reports."""
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float) and not isinstance(v, bool)]
    keys = [k for k in keys if all(isinstance(r.get(k), int | float) for r in runs)]
    return {k: sum(float(r[k]) for r in runs) / len(runs) for k in keys}


def _task_summary(protocol: AblationProtocol, task: AblationTask, dev: DevScore) -> dict[str, Any]:
    dev_threshold = task.threshold == "dev"
    metric = f"{task.select}@dev_threshold" if dev_threshold else task.select
    column = f"{task.example_score}@dev_threshold" if dev_threshold else task.example_score
    arms, scores, zero, zero_scores = {}, {}, {}, {}
    ids: list[str] | None = None  # every run of every arm scores the same examples, in order
    for arm, sel in selections(protocol, task, dev).items():
        arms[arm], folders = _arm_summary(protocol, task, arm, sel, metric)
        ids = _test_ids(folders) if ids is None else ids
        scores[arm] = _grid(folders, column, ids)
        if dev_threshold:
            zero_arm, _ = _arm_summary(protocol, task, arm, sel, task.select)
            zero[arm] = zero_arm["test"]
            zero_scores[arm] = _grid(folders, task.example_score, ids)
    out: dict[str, Any] = {
        "metric": metric,
        "arms": arms,
        "comparisons": _compare(scores, protocol.comparisons),
    }
    if dev_threshold:
        out["threshold_0"] = {
            "metric": task.select,
            "arms": zero,
            "comparisons": _compare(zero_scores, protocol.comparisons),
        }
    if protocol.leakage_split and task.task == "qa" and scores:
        assert ids is not None
        out["leakage"] = _leakage(protocol, task, ids, scores)
    return out


def _leakage(
    protocol: AblationProtocol, task: AblationTask, ids: list[str], scores: dict[str, torch.Tensor]
) -> dict[str, Any]:
    """The task's comparisons on the leaked and the clean test questions (``leakage.py``)."""
    status = leaked_questions(load_squad_json("test", task.version or "1.1"), corpus_sentences())
    unknown = [i for i in ids if i not in status]
    if unknown:
        raise ValueError(f"{task.name}: test scores name questions not in the test file: {unknown[:3]}")  # fmt: skip
    out: dict[str, Any] = {"split": protocol.leakage_split, "interval": INTERVAL_TEXT}
    for group, flag in (("leaked", True), ("clean", False)):
        keep = torch.tensor([status[i] is flag for i in ids])
        out[group] = {
            "questions": int(keep.sum()),
            "comparisons": _compare({a: t[..., keep] for a, t in scores.items()}, protocol.comparisons),
        }  # fmt: skip
    out["unanswerable"] = sum(1 for i in ids if status[i] is None)
    return out


def _budget_summary(protocol: AblationProtocol, dev: DevScore) -> dict[str, Any]:
    curve = protocol.budget_curve
    assert curve is not None
    task = protocol.task(curve.task)
    sel = selections(protocol, task, dev)
    pairs = [(a, b) for a, b in protocol.comparisons if a in curve.arms and b in curve.arms]
    budgets: dict[str, Any] = {}
    ids: list[str] | None = None  # the same test examples, in order, in every run compared
    for budget in [*curve.epochs, "converged"]:
        scores, arms = {}, {}
        for arm in curve.arms:
            folders = {ps: {fs: (finetune_folder(protocol, task.name, arm, sel[arm].selected, ps, fs) if budget == "converged"
                                 else budget_folder(protocol, arm, budget, ps, fs)) for fs in curve.finetune_seeds}
                       for ps in protocol.arm(arm).seeds}  # fmt: skip
            values = []
            for row in folders.values():
                for folder in row.values():
                    record = run_record(folder)
                    _check_rate(folder, sel[arm].selected)
                    values.append(float(record["test_metrics"][task.select]))
            arms[arm] = {"mean": sum(values) / len(values), "values": values}
            ids = _test_ids(folders) if ids is None else ids
            scores[arm] = _grid(folders, task.example_score, ids)
        budgets[str(budget)] = {"arms": arms, "gaps": _compare(scores, pairs)}
    return {
        "task": task.name,
        "metric": task.select,
        "finetune_seeds": curve.finetune_seeds,
        "budgets": budgets,
    }


def _check_rate(folder: Path, lr: float) -> None:
    """A budget run's folder does not name its rate: its command must hold the selected one."""
    command = json.loads((folder / "done.json").read_text(encoding="utf-8")).get("command", "")
    words = command.split()
    ran = float(words[words.index("--lr") + 1]) if "--lr" in words else None
    if ran is not None and not math.isclose(ran, lr, rel_tol=1e-9):
        raise ValueError(f"{folder}: ran at lr {ran:g}, but the selected rate is {lr:g}: rerun it")


def summarise(
    protocol: AblationProtocol, *, partial: bool = False, dev: DevScore = dev_score
) -> dict[str, Any]:
    """The summary record. Raises ``FileNotFoundError`` naming the incomplete stages unless
    ``partial`` (then they are listed under ``missing``); the stages the CPU cap stopped (that
    one and every later one) are listed under ``missing`` without it."""
    status = stage_status(protocol, dev)
    missing = [s for s, state in status.items() if state != "complete"]
    capped = status.get((cap_state(protocol) or {}).get("stage"), "") == "stopped by the CPU cap"
    after_cap = (
        protocol.stages[protocol.stages.index(cap_state(protocol)["stage"]) :] if capped else []
    )
    if [s for s in missing if s not in after_cap] and not partial:
        raise FileNotFoundError(
            f"stages not complete: {missing} ({status}); run the study or use --partial"
        )
    tasks = {
        t.name: _task_summary(protocol, t, dev)
        for t in protocol.tasks
        if status[t.name] == "complete"
    }
    budget = None
    if protocol.budget_curve is not None and status.get("budget_curve") == "complete":
        budget = _budget_summary(protocol, dev)
    cost = {s: stage_cpu_seconds(protocol, s) for s in protocol.stages}
    return {
        "protocol": str(protocol.path),
        "name": protocol.name,
        "cpu_hours": sum(sum(c.values()) for c in cost.values()) / 3600,
        "cpu_hours_by_stage": {s: c["finished"] / 3600 for s, c in cost.items()},
        "cpu_hours_wasted": sum(c["wasted"] for c in cost.values()) / 3600,
        "cpu_hour_cap": protocol.cpu_hour_cap,
        "stages": status,
        "cap": cap_state(protocol),
        "complete": not missing,
        "missing": missing,
        "comparisons_per_task": len(protocol.comparisons),
        "multiple_comparisons": "none applied to the intervals",
        "tasks": tasks,
        "budget_curve": budget,
    }


def _fmt(c: dict[str, Any] | None) -> str:
    return "—" if c is None else f"{c['diff']:+.1f} [{c['low']:+.1f}, {c['high']:+.1f}]"


def _find(
    summary: dict[str, Any], task: str, a: str, b: str, key: str = "comparisons"
) -> dict | None:
    block = summary["tasks"].get(task)
    if block is not None and key == "threshold_0":
        block = block.get("threshold_0")
        key = "comparisons"
    return (
        None if block is None else next((c for c in block[key] if (c["a"], c["b"]) == (a, b)), None)
    )


# summary.md's "also" column: the other test metrics a task reports, mean over the runs
ALSO = ("exact_match", "link_accuracy", "muc_f1")
ALSO_AT_DEV_THRESHOLD = ("exact@dev_threshold", "dev_null_threshold")


def markdown(protocol: AblationProtocol, summary: dict[str, Any]) -> str:
    stages = ", ".join(f"{s} {h:.2f}" for s, h in summary["cpu_hours_by_stage"].items())
    lines = [f"# {protocol.name}", "", f"Protocol: `{protocol.path}`. CPU time so far: {summary['cpu_hours']:.2f} h "
             f"(cap {protocol.cpu_hour_cap:g} h): finished runs {stages}; stopped or redone sittings "
             f"{summary['cpu_hours_wasted']:.2f}. Intervals: {INTERVAL_TEXT}; {summary['comparisons_per_task']} "
             "comparisons per task, no multiple-comparison correction.", ""]  # fmt: skip
    for stage, state in summary["stages"].items():
        if state != "complete":
            lines.append(
                f"- **{stage}: {state}**"
                + (f" — {summary['cap']['message']}" if state.startswith("stopped") else "")
            )
    qa2 = next((t.name for t in protocol.tasks if t.threshold == "dev"), None)
    coref = next((t.name for t in protocol.tasks if t.task == "coref"), None)
    qa1 = next((t.name for t in protocol.tasks if t.task == "qa" and t.threshold is None), None)
    for title, pairs in TABLES.items():
        lines += ["", f"## {title}: differences, ours (test) beside the paper's (dev)", "",
                  f"| comparison | {qa1} F1 | {qa2} F1 (dev threshold) | {qa2} F1 (threshold 0) | paper SQuAD 2.0 | {coref} | paper coref |",
                  "|---|---|---|---|---|---|---|"]  # fmt: skip
        for a, b in pairs:
            squad, cor = PAPER[(a, b)]
            lines.append(f"| `{a}` − `{b}` | {_fmt(_find(summary, qa1, a, b))} | {_fmt(_find(summary, qa2, a, b))} | "
                         f"{_fmt(_find(summary, qa2, a, b, 'threshold_0'))} | {squad:+.1f} | {_fmt(_find(summary, coref, a, b))} | {cor:+.1f} |")  # fmt: skip
    for name, block in summary["tasks"].items():
        lines += [
            "",
            f"## {name} (test {block['metric']})",
            "",
            "| arm | grid | selected | best epochs | best = last / first epoch | test mean | values | also (mean) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for arm, s in block["arms"].items():
            edge = " (edge!)" if s["selected_at_edge"] else ""
            best = ", ".join(str(e["best_epoch"]) for e in s["epochs"])
            ends = "{} / {}".format(sum(e.get("best_at_max_epochs", False) for e in s["epochs"]),
                                    sum(e.get("best_at_first_epoch", False) for e in s["epochs"]))  # fmt: skip
            values = ", ".join(f"{v:.1f}" for v in s["test"]["values"])
            grid = ", ".join(f"{lr:g}" for lr in s["lr_grid"])
            keys = ALSO_AT_DEV_THRESHOLD if block["metric"].endswith("@dev_threshold") else ALSO
            also = ", ".join(
                f"{k} {v:.2f}"
                for k, v in s.get("test_metrics_mean", {}).items()
                if k in keys or (keys is ALSO and k.startswith("link_accuracy_"))  # per form
            )
            lines.append(
                f"| `{arm}` | {grid} | {s['selected_lr']:g}{edge} | {best} | {ends} | {s['test']['mean']:.1f} | {values} | {also} |"
            )
        if "threshold_0" in block:
            means = ", ".join(
                f"`{a}` {t['mean']:.1f}" for a, t in block["threshold_0"]["arms"].items()
            )
            lines += [
                "",
                f"At the fixed threshold 0 (test {block['threshold_0']['metric']}): {means}.",
            ]
        others = next(iter(block["arms"].values()), {}).get("test_metrics_mean", {})
        if "baseline_antecedent_accuracy" in others:  # coreference: the same for every arm
            lines += ["", "Nearest-compatible baseline (no model): " + ", ".join(
                f"{k.removeprefix('baseline_')} {v:.1f}" for k, v in others.items() if k.startswith("baseline_"))
                + ". The link F1 is MUC F1: precision and recall of the coreference links each "
                "predicted chain implies; `link_accuracy_<form>` splits link accuracy by mention form."]  # fmt: skip
        leak = block.get("leakage")
        if leak is None:
            lines += ["", "| comparison | difference [95%] |", "|---|---|"]
            lines += [f"| `{c['a']}` − `{c['b']}` | {_fmt(c)} |" for c in block["comparisons"]]
            continue
        by = {g: {(c["a"], c["b"]): c for c in leak[g]["comparisons"]} for g in ("leaked", "clean")}
        lines += ["", f"| comparison | difference [95%] | on the {leak['leaked']['questions']} leaked questions "
                  f"| on the {leak['clean']['questions']} clean ones |", "|---|---|---|---|"]  # fmt: skip
        lines += [f"| `{c['a']}` − `{c['b']}` | {_fmt(c)} | {_fmt(by['leaked'].get((c['a'], c['b'])))} "
                  f"| {_fmt(by['clean'].get((c['a'], c['b'])))} |" for c in block["comparisons"]]  # fmt: skip
    if summary["budget_curve"] is not None:
        curve = summary["budget_curve"]
        lines += [
            "",
            f"## Budget curve ({curve['task']}, test {curve['metric']}, fine-tuning seeds {curve['finetune_seeds']})",
            "",
            f"Every row, the converged one included, uses fine-tuning seeds {curve['finetune_seeds']} "
            f"only, so its converged gaps can differ from the {curve['task']} table above, which "
            "averages every fine-tuning seed.",
            "",
        ]  # fmt: skip
        for budget, block in curve["budgets"].items():
            gaps = "; ".join(f"`{c['a']}` − `{c['b']}` {_fmt(c)}" for c in block["gaps"])
            means = ", ".join(f"`{a}` {s['mean']:.1f}" for a, s in block["arms"].items())
            label = "converged (best dev epoch)" if budget == "converged" else f"{budget} epochs"
            lines.append(f"- {label}: {means}. {gaps}")
    return "\n".join(lines) + "\n"


def ship_encoders(protocol: AblationProtocol, arms: Sequence[str] | None = None) -> list[Path]:
    """Each arm's pretraining-seed-0 encoder (its first seed) to
    ``<ship_dir>/<arm>-<preset>-ablation``, with an ``ablation.json`` card (``study.json``
    marks the first study's fine-tuned models); no other seed. ``arms``
    picks which arms (default: all).

    Raises:
        ValueError: ``arms`` names an arm the protocol does not have.
    """
    names = [a.name for a in protocol.arms]
    unknown = [a for a in arms or () if a not in names]
    if unknown:
        raise ValueError(f"ship: {unknown} are not arms of the protocol ({names})")
    out = []
    for arm in protocol.arms:
        if arms is not None and arm.name not in arms:
            continue
        source = encoder_dir(protocol, arm.name, arm.seeds[0])
        if not (source / "config.json").is_file():
            continue
        target = protocol.ship_dir / f"{arm.name}-{protocol.pretraining.preset}-ablation"
        card = {"study": protocol.name, "protocol": str(protocol.path), "arm": arm.name,
                "objective": arm.objective, "pretrain_seed": arm.seeds[0]}  # fmt: skip
        _replace_dir(source, target, card, card_name="ablation.json")
        out.append(target)
    return out


def write_report(
    protocol: AblationProtocol, *, partial: bool = False, dev: DevScore = dev_score
) -> Path:
    """Write ``summary.json`` (with every encoder's span-filling scores, ``filling.py``) and
    ``summary.md``; copy the pretraining logs; return the JSON path."""
    summary = summarise(protocol, partial=partial, dev=dev)
    # a description beside the comparisons (filling.py): notebook 04's fixed masks, every encoder
    summary["span_filling"] = span_filling(protocol)
    out = protocol.results_dir / "summary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(protocol, summary), encoding="utf-8")
    copy_pretraining_logs(protocol)
    return out
