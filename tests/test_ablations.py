"""The ablation study's machinery (study/ablations.toml): protocol checks with the field named,
the learning-rate rule (edge extension, ties), stage planning from finished runs, the CPU cap,
and the whole pipeline end to end on a miniature protocol written here."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from spanbert_lab.cli import study as cli
from spanbert_lab.tools.study.ablations.plan import (
    dev_score,
    finetune_folder,
    pick_rate,
    select_rate,
)
from spanbert_lab.tools.study.ablations.protocol import (
    DerivedGrid,
    is_ablation_protocol,
    load_ablations,
)
from spanbert_lab.tools.study.ablations.report import INTERVAL_TEXT, write_report
from spanbert_lab.tools.study.ablations.stages import plan_round, run_ablations

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "study" / "ablations.toml"


def test_the_shipped_protocol_reads():
    p = load_ablations(PROTOCOL)
    assert is_ablation_protocol(PROTOCOL) and not is_ablation_protocol(
        ROOT / "study" / "protocol.toml"
    )
    assert [a.name for a in p.arms][:2] == ["random", "subword"]
    assert {a.name: len(a.seeds) for a in p.arms}["span_sbo"] == 3
    v2 = p.task("qa-v2.0")
    assert v2.lr_grid == DerivedGrid("qa-v1.1", [0.5, 1.0, 2.0]) and v2.monitor == "best_f1"
    assert v2.lr_grid.rates(2e-3) == [1e-3, 2e-3, 4e-3]
    assert p.task("coref").monitor == "antecedent_accuracy"
    assert p.stages == ["pretrain", "qa-v1.1", "coref", "qa-v2.0", "budget_curve"]
    assert len(p.comparisons) == 9 and p.cpu_hour_cap == 30
    assert p.leakage_split == "answer_sentence"
    assert sum(p.stage_hours.values()) == pytest.approx(29.7), "ablations.md: about 30 h"


def test_every_arm_of_a_seed_starts_from_the_untrained_controls_weights(tmp_path):
    """Seed s gives every arm the same initialisation: the control of seed s is, weight for
    weight, the trunk each pretraining arm of seed s starts from (NSP arms included, whose pooler
    and classifier would otherwise shift every draw after them)."""
    import torch
    from safetensors.torch import load_file

    from spanbert_lab.data import load_tokenizer
    from spanbert_lab.pretrain.recipes import OBJECTIVES, build_model
    from spanbert_lab.tools.study.ablations.stages import write_random_encoders

    p = load_ablations(PROTOCOL)
    p = dataclasses.replace(p, runs_dir=tmp_path, arms=[a for a in p.arms if a.objective == "none"])
    control = load_file(write_random_encoders(p)[0] / "model.safetensors")
    tokenizer = load_tokenizer()
    trunk = [k for k in control if k.startswith("bert.") and "pooler" not in k]
    assert len(trunk) > 30
    for arm in load_ablations(PROTOCOL).arms:
        if arm.objective == "none":
            continue
        start = build_model(OBJECTIVES[arm.objective], p.pretraining.preset, tokenizer,
                            seed=0, block_size=p.pretraining.block_size).state_dict()  # fmt: skip
        differ = [k for k in trunk if not torch.equal(start[k], control[k])]
        assert not differ, f"{arm.name} seed 0 starts elsewhere: {differ[:3]}"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('objective = "span_sbo"', 'objective = "span_magic"', r"arms\[7\]\.objective = 'span_magic'"),
        ("seeds = [0, 1, 2]", "seeds = []", r"arms\[1\]\.seeds = \[\]"),
        ('lr_grid = "qa-v1.1 selected x [0.5, 1, 2]"', 'lr_grid = "qa-v9 selected x [0.5, 1, 2]"',
         r"tasks\[1\]\.lr_grid = .*'qa-v9' is not an earlier task"),
        ('lr_grid = "qa-v1.1 selected x [0.5, 1, 2]"', 'lr_grid = "half of qa-v1.1"',
         r"tasks\[1\]\.lr_grid = 'half of qa-v1.1'"),
        ("lr_grid = [5e-4, 1e-3, 2e-3, 4e-3]", "lr_grid = [5e-4, -1e-3]", r"tasks\[0\]\.lr_grid"),
        ('threshold = "dev"', 'threshold = "test"', r"tasks\[1\]\.threshold = 'test'"),
        ('    ["subword", "random"],', '    ["subword", "bert"],', r"statistics\.comparisons\[8\]: 'bert'"),
        ("max_epochs = 10", "max_epochs = 0", r"tasks\[0\]\.max_epochs = 0\.0: must be > 0"),
        ('stages = ["pretrain", "qa-v1.1", "coref", "qa-v2.0", "budget_curve"]',
         'stages = ["pretrain", "qa-v2.0", "coref", "qa-v1.1", "budget_curve"]',
         "'qa-v1.1' must come before 'qa-v2.0'"),
        ('arms = ["subword", "span", "span_sbo"]', 'arms = ["subword", "spam"]', r"budget_curve\.arms"),
        ("patience = 2 ", "patience = -2 ", r"finetuning\.patience = -2\.0"),
        ("confidence = 0.95", "confidence = 0.9", "statistics.confidence = 0.9"),
        ("cpu_hour_cap = 30", "cpu_hour_cap = 0", r"study\.cpu_hour_cap = 0\.0"),
        ('batching = "bucketed"', 'batching = "sorted"', "pretraining.batching = 'sorted'"),
        ("coref = 1.0,", "corf = 1.0,", r"study\.stage_hours"),
        ('leakage_split = "answer_sentence"', 'leakage_split = "context"', "statistics.leakage_split = 'context'"),
        ("seeds = [0, 1, 2]", "seeds = [1, 2]", r"arms\[1\]\.seeds = \[1, 2\]: must hold seed 0"),
        ("finetune_seeds = [0, 1]", "finetune_seeds = [1, 2]", r"tasks\[0\]\.finetune_seeds"),
    ],
)  # fmt: skip
def test_a_broken_protocol_is_refused_with_the_field_named(tmp_path, old, new, message):
    text = PROTOCOL.read_text()
    assert old in text, f"the test's {old!r} is not in the protocol any more"
    path = tmp_path / "ablations.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ValueError, match=message):
        load_ablations(path)


def test_the_rate_rule_extends_at_an_edge_and_ties_go_to_the_smaller_rate():
    assert pick_rate({1e-3: 50.0, 2e-3: 50.05, 4e-3: 40.0}) == 1e-3, "a tie under 0.1 point"
    assert pick_rate({1e-3: 50.0, 2e-3: 50.2}) == 2e-3
    peak = {5e-4: 10.0, 1e-3: 20.0, 2e-3: 30.0, 4e-3: 40.0, 8e-3: 45.0, 1.6e-2: 30.0}
    sel = select_rate([5e-4, 1e-3, 2e-3, 4e-3], peak.get)
    assert sel.grid == [5e-4, 1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2] and sel.selected == 8e-3
    assert not sel.at_edge
    waiting = select_rate([1e-3, 2e-3], {1e-3: 1.0}.get)
    assert waiting.selected is None and waiting.pending == [2e-3]
    low = select_rate([1e-3, 2e-3, 4e-3], lambda lr: -lr)  # always the smallest: bounded
    assert low.at_edge and low.selected == low.grid[0] and len(low.grid) == 3 + 4


def _fake_done(folder: Path, dev: dict[str, float]) -> None:
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps({"runs": [{"metrics": dev}]}))
    (folder / "done.json").write_text("{}")


def test_qa_v2_grids_follow_the_v11_selection_stage_by_stage(tmp_path):
    text = PROTOCOL.read_text().replace('"data/results/ablations"', f'"{tmp_path}/results"')
    path = tmp_path / "ablations.toml"
    path.write_text(text.replace('"runs/ablations"', f'"{tmp_path}/runs"'))
    p = load_ablations(path)
    v11 = p.task("qa-v1.1")
    first = plan_round(p, "qa-v1.1")
    assert len(first.todo) == 9 * 4 and first.planned == 36 + 33, "the protocol's 36 + 33 runs"
    for arm in v11.arms:  # every arm peaks at 1e-3: inside the grid
        for lr in v11.lr_grid:
            _fake_done(finetune_folder(p, "qa-v1.1", arm, lr, 0, 0), {"f1": -abs(lr - 1e-3) * 1e5})
    seeds = plan_round(p, "qa-v1.1")
    assert {r.meta["lr"] for r in seeds.todo} == {1e-3} and len(seeds.todo) == 33
    assert all(r.key.endswith(("p0-f1", "p1-f0", "p1-f1", "p2-f0", "p2-f1")) for r in seeds.todo)
    qa2 = plan_round(p, "qa-v2.0")
    assert {r.meta["lr"] for r in qa2.todo} == {5e-4, 1e-3, 2e-3} and len(qa2.todo) == 27
    assert all("--monitor" in r.argv and "best_f1" in r.argv for r in qa2.todo)
    run = qa2.todo[0]
    assert run.argv[run.argv.index("--epochs") + 1] == "10" and "--patience" in run.argv


# --- the whole pipeline on a miniature protocol ---------------------------------------------------

MINI = """
[study]
name = "mini"
results_dir = "{tmp}/results"
runs_dir = "{tmp}/runs"
ship_dir = "{tmp}/checkpoints"
threads = 1
cpu_hour_cap = 30
stages = ["pretrain", "qa-v1.1", "coref", "budget_curve"]
stage_hours = {{ budget_curve = 100 }}

[pretraining]
preset = "tiny"
batch_size = 8
block_size = 128
lr = 2e-3
warmup_fraction = 0.1
batching = "bucketed"
min_real_tokens = 2500
eval_every = 1000
masking = {{}}
max_train_blocks = 64
max_eval_blocks = 8

[[arms]]
name = "subword"
objective = "subword"
seeds = [0, 1]

[[arms]]
name = "span_sbo"
objective = "span_sbo"
seeds = [0, 1]

[finetuning]
patience = 1
min_delta = 0.1

[[tasks]]
name = "qa-v1.1"
task = "qa"
version = "1.1"
max_epochs = 2
lr_grid = [1e-3, 2e-3]
finetune_seeds = [0]
args = ["--batch-size", "16", "--max-length", "128", "--max-train", "24", "--max-eval", "12"]
select = "f1"
example_score = "f1"
arms = "all"

[[tasks]]
name = "coref"
task = "coref"
max_epochs = 2
lr_grid = [1e-3, 2e-3, 4e-3]
finetune_seeds = [0]
args = ["--batch-size", "8", "--max-train", "16", "--max-eval", "12"]
select = "antecedent_accuracy"
example_score = "antecedent_correct"
arms = ["subword"]

[budget_curve]
task = "qa-v1.1"
arms = ["subword", "span_sbo"]
epochs = [1]
finetune_seeds = [0]

[statistics]
confidence = 0.95
interval = "seed_aware_difference"
comparisons = [["span_sbo", "subword"]]
leakage_split = "answer_sentence"
"""

PEAK = {("qa-v1.1", "subword"): 2e-3, ("qa-v1.1", "span_sbo"): 1e-3}  # coref: 2e-3


def scripted_dev(folder: Path, monitor: str) -> float | None:
    """The real run's done state, a scripted dev score: each (task, arm) peaks at one rate."""
    if dev_score(folder, monitor) is None:
        return None
    lr = float(re.search(r"lr([0-9.e-]+)", str(folder)).group(1))
    task, arm = folder.parts[-4], folder.parts[-3]
    return -abs(lr - PEAK.get((task, arm), 2e-3)) * 1e4


@pytest.mark.slow
def test_the_study_runs_end_to_end_resumes_and_stops_at_the_cap(tmp_path, capsys):
    path = tmp_path / "mini.toml"
    path.write_text(MINI.format(tmp=tmp_path))
    p = load_ablations(path)
    said: list[str] = []
    status = run_ablations(p, jobs=2, say=said.append, dev=scripted_dev, until="qa-v1.1")
    assert (
        status["pretrain"] == status["qa-v1.1"] == "complete" and status["coref"] == "not reached"
    )
    started = [s.removeprefix("start ") for s in said if s.startswith("start ")]
    assert len([s for s in started if s.startswith("pretrain/")]) == 4
    qa = sorted(s for s in started if s.startswith("qa-v1.1/"))
    assert qa == sorted([  # the edge rule: subword extends up, span_sbo down; then seed 1
        "qa-v1.1/subword/lr0.001/p0-f0", "qa-v1.1/subword/lr0.002/p0-f0",
        "qa-v1.1/subword/lr0.004/p0-f0", "qa-v1.1/subword/lr0.002/p1-f0",
        "qa-v1.1/span_sbo/lr0.001/p0-f0", "qa-v1.1/span_sbo/lr0.002/p0-f0",
        "qa-v1.1/span_sbo/lr0.0005/p0-f0", "qa-v1.1/span_sbo/lr0.001/p1-f0",
    ])  # fmt: skip
    # an interrupted run (no done.json) runs again; every finished one is skipped
    redo = finetune_folder(p, "qa-v1.1", "subword", 2e-3, 1, 0)
    (redo / "done.json").unlink()
    said.clear()
    status = run_ablations(p, jobs=2, say=said.append, dev=scripted_dev)
    started = [s.removeprefix("start ") for s in said if s.startswith("start ")]
    assert [s for s in started if not s.startswith("coref/")] == ["qa-v1.1/subword/lr0.002/p1-f0"]
    assert len([s for s in started if s.startswith("coref/")]) == 3 + 1
    # the budget curve's estimate (100 h) crosses the 30 h cap: not started, and said so
    assert status["budget_curve"] == "stopped by the CPU cap"
    assert any("'budget_curve' not started" in s for s in said)
    assert not (p.results_dir / "runs" / "budget_curve").exists()
    done = json.loads((redo / "done.json").read_text())
    assert done["cpu_seconds"] > 0, "CPU time is recorded per run"
    record = json.loads((redo / "result.json").read_text())["runs"][0]
    assert {"dev_curve", "best_epoch", "stopped_early"} <= set(record)
    # status and report through the command line
    assert cli.main(["--protocol", str(path), "status"]) == 0
    out = capsys.readouterr().out
    assert "budget_curve: stopped by the CPU cap" in out and "CPU time so far" in out
    summary_path = write_report(p, dev=scripted_dev)
    summary = json.loads(summary_path.read_text())
    assert summary["missing"] == ["budget_curve"] and summary["cap"]["stage"] == "budget_curve"
    qa = summary["tasks"]["qa-v1.1"]
    assert qa["metric"] == "f1"
    arm = qa["arms"]["subword"]
    assert set(arm) >= {
        "pretrain_seeds",
        "finetune_seeds",
        "lr_grid",
        "selected_lr",
        "epochs",
        "test",
    }
    assert arm["lr_grid"] == [1e-3, 2e-3, 4e-3] and arm["selected_lr"] == 2e-3
    assert qa["arms"]["span_sbo"]["lr_grid"] == [5e-4, 1e-3, 2e-3]
    assert len(arm["test"]["values"]) == 2 and set(arm["test"]) == {"mean", "values"}
    assert arm["test_metrics_mean"]["f1"] == pytest.approx(arm["test"]["mean"])
    assert 0 <= arm["test_metrics_mean"]["exact_match"] <= arm["test_metrics_mean"]["f1"]
    assert all(e["best_epoch"] in (1, 2) for e in arm["epochs"])
    assert all(e["stopped_early"] == (e["epochs_run"] < 2) for e in arm["epochs"])  # max_epochs 2
    assert all(e["best_at_max_epochs"] == (e["best_epoch"] == 2) for e in arm["epochs"])
    assert all(e["best_at_first_epoch"] == (e["best_epoch"] == 1) for e in arm["epochs"])
    assert set(summary["cpu_hours_by_stage"]) == set(p.stages)
    assert summary["cpu_hours"] >= sum(summary["cpu_hours_by_stage"].values()) > 0
    (c,) = qa["comparisons"]
    assert (
        set(c) == {"a", "b", "diff", "low", "high", "interval"} and c["interval"] == INTERVAL_TEXT
    )
    assert c["low"] <= c["diff"] <= c["high"]
    leak = qa["leakage"]  # the comparisons again on the leaked and on the clean test questions
    assert leak["leaked"]["questions"] > 0 and leak["clean"]["questions"] > 0
    assert leak["leaked"]["questions"] + leak["clean"]["questions"] == len(
        json.loads((redo / "seed0" / "test" / "example_scores.json").read_text())["ids"]
    )
    assert [(c["a"], c["b"]) for c in leak["clean"]["comparisons"]] == [("span_sbo", "subword")]
    assert "leaked questions" in summary_path.with_suffix(".md").read_text()
    assert set(summary["span_filling"]) == {"subword", "span_sbo"}
    assert all(
        0 <= s["spans"] <= 1 for arm in summary["span_filling"].values() for s in arm.values()
    )
    coref = summary["tasks"]["coref"]
    assert (
        coref["metric"] == "antecedent_accuracy" and coref["arms"]["subword"]["selected_lr"] == 2e-3
    )
    assert {"link_accuracy", "muc_f1", "baseline_antecedent_accuracy", "baseline_muc_f1"} <= set(
        coref["arms"]["subword"]["test_metrics_mean"]
    )
    assert (summary_path.with_suffix(".md")).read_text().count("Table 6") == 1
    md = summary_path.with_suffix(".md").read_text()
    assert "Nearest-compatible baseline (no model): antecedent_accuracy" in md
    assert "link_accuracy" in md and "muc_f1" in md and "exact_match" in md
    # the command line's report (real dev scores, --partial) ships one encoder per arm, seed 0
    assert cli.main(["--protocol", str(path), "report", "--partial"]) == 0
    card = json.loads(
        (tmp_path / "checkpoints" / "span_sbo-tiny-ablation" / "ablation.json").read_text()
    )
    assert card["arm"] == "span_sbo" and card["pretrain_seed"] == 0
    assert (tmp_path / "results" / "pretrain" / "subword-seed1.jsonl").is_file()
    assert (
        json.loads((tmp_path / "results" / "pretrain" / "subword-seed1.done.json").read_text())[
            "cpu_seconds"
        ]
        > 0
    )
    # coreference's per-example scores are per mention: their mean is the antecedent accuracy
    run = finetune_folder(p, "coref", "subword", 2e-3, 0, 0)
    scores = json.loads((run / "seed0" / "test" / "example_scores.json").read_text())
    assert scores["columns"] == ["antecedent_correct"]
    mean = 100 * sum(r[0] for r in scores["scores"]) / len(scores["scores"])
    test = json.loads((run / "result.json").read_text())["runs"][0]["test_metrics"]
    assert mean == pytest.approx(test["antecedent_accuracy"])


def test_span_filling_scores_notebook_04s_fixed_masks_and_caches_them(tmp_path, monkeypatch):
    """The bridge from notebook 04: an encoder scored by ``span_filling`` gets exactly notebook
    04's "one set of masks" numbers (bert-tiny: 0.769 on single tokens, 0.420 on spans, 3,305
    targets each); a second call scores nothing again."""
    from spanbert_lab.runtime import data_dir
    from spanbert_lab.tools.study.ablations import filling
    from spanbert_lab.tools.study.ablations.protocol import Arm

    p = load_ablations(PROTOCOL)
    p = dataclasses.replace(p, runs_dir=tmp_path / "runs", results_dir=tmp_path / "results",
                            arms=[Arm("subword", "subword", [0]), Arm("span", "span", [0])])  # fmt: skip
    (tmp_path / "runs" / "encoders" / "subword").mkdir(parents=True)
    (tmp_path / "runs" / "encoders" / "subword" / "seed0").symlink_to(
        data_dir() / "checkpoints" / "bert-tiny"
    )
    got = filling.span_filling(p)
    assert set(got) == {"subword"}, "span has no encoder yet"
    seed0 = got["subword"]["seed0"]
    assert (round(seed0["single tokens"], 3), round(seed0["spans"], 3)) == (0.769, 0.420)
    assert seed0["single tokens targets"] == seed0["spans targets"] == 3305
    monkeypatch.setattr(filling, "_score", lambda *a: pytest.fail("scored again"))
    assert filling.span_filling(p) == got


def test_report_ships_only_the_arms_asked_for(tmp_path):
    """``report --ship`` keeps the repository light: only the named arms' seed-0 encoders."""
    from spanbert_lab.tools.study.ablations.report import ship_encoders
    from spanbert_lab.tools.study.ablations.stages import write_random_encoders

    p = load_ablations(PROTOCOL)
    p = dataclasses.replace(p, runs_dir=tmp_path / "runs", ship_dir=tmp_path / "ship")
    write_random_encoders(p)
    assert [f.name for f in ship_encoders(p, arms=["subword"])] == [], "subword has no encoder yet"
    assert [f.name for f in ship_encoders(p, arms=["random"])] == ["random-tiny-ablation"]
    with pytest.raises(ValueError, match=r"\['bert'\] are not arms"):
        ship_encoders(p, arms=["bert"])


def test_the_paired_comparisons_refuse_runs_whose_test_examples_are_not_aligned(tmp_path):
    """Every run compared must score the same test examples in the same order: a run with its
    examples reordered is refused, not silently paired with the wrong ones."""
    from spanbert_lab.tools.study.ablations.report import _grid

    def run(name, ids, scores):
        folder = tmp_path / name
        (folder / "seed0" / "test").mkdir(parents=True)
        (folder / "seed0" / "test" / "example_scores.json").write_text(
            json.dumps({"ids": ids, "columns": ["f1"], "scores": [[s] for s in scores]})
        )
        return folder

    a = run("a", ["q1", "q2", "q3"], [1.0, 0.0, 0.5])
    b = run("b", ["q1", "q2", "q3"], [0.0, 1.0, 1.0])
    grid = _grid({0: {0: a}, 1: {0: b}}, "f1")
    assert grid.shape == (2, 1, 3) and grid[1, 0].tolist() == [0.0, 100.0, 100.0]
    c = run("c", ["q2", "q1", "q3"], [1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="not those of the other runs"):
        _grid({0: {0: a}, 1: {0: c}}, "f1")
    with pytest.raises(ValueError, match="not those of the other runs"):
        _grid({0: {0: c}}, "f1", ids=["q1", "q2", "q3"])  # another arm's order


def _mini(tmp_path: Path):
    path = tmp_path / "mini.toml"
    path.write_text(MINI.format(tmp=tmp_path))
    return load_ablations(path)


def test_every_sitting_counts_toward_the_cpu_hours(tmp_path):
    """Finished runs, sittings redone from scratch (``lost_cpu_seconds``), unfinished runs
    (``cpu.jsonl``, ``sitting.json``) and, for pretraining, the committed copies of runs this
    checkout does not hold."""
    from spanbert_lab.tools.study.ablations.stages import spent_seconds, stage_cpu_seconds

    p = _mini(tmp_path)
    finished = finetune_folder(p, "qa-v1.1", "subword", 1e-3, 0, 0)
    finished.mkdir(parents=True)
    (finished / "done.json").write_text(json.dumps({"cpu_seconds": 100.0, "lost_cpu_seconds": 7.0}))
    (finished / "cpu.jsonl").write_text('{"cpu_seconds": 100.0}\n')
    unfinished = finetune_folder(p, "qa-v1.1", "subword", 2e-3, 0, 0)
    unfinished.mkdir(parents=True)
    (unfinished / "lost.jsonl").write_text('{"cpu_seconds": 5.0}\n')
    (unfinished / "sitting.json").write_text('{"seconds": 31.0, "cpu_seconds": 30.0}')
    assert stage_cpu_seconds(p, "qa-v1.1") == {"finished": 100.0, "wasted": 42.0}
    held = p.runs_dir / "pretrain" / "subword" / "seed0"
    held.mkdir(parents=True)
    (held / "done.json").write_text(json.dumps({"cpu_seconds": 1000.0}))
    copies = p.results_dir / "pretrain"
    copies.mkdir(parents=True)
    (copies / "subword-seed0.done.json").write_text(json.dumps({"cpu_seconds": 999.0}))
    (copies / "subword-seed1.done.json").write_text(json.dumps({"cpu_seconds": 800.0}))
    assert stage_cpu_seconds(p, "pretrain") == {"finished": 1800.0, "wasted": 0.0}
    assert spent_seconds(p) == 1800.0 + 142.0


@pytest.mark.parametrize("record", ["done.json", "sitting.json"])
def test_a_stage_is_admitted_once_and_a_cap_record_outlives_other_stages(
    tmp_path, monkeypatch, record
):
    """A stage that has begun (a finished run, or only a stopped sitting of its first run) runs
    to its end even when a resumed session's estimate crosses the cap; the next stage is checked
    (and stopped); ``cap.json`` is rewritten, not dropped, when an earlier stage completes."""
    from spanbert_lab.tools.study.ablations import stages
    from spanbert_lab.tools.study.plan import Run

    p = _mini(tmp_path)
    begun = finetune_folder(p, "qa-v1.1", "subword", 1e-3, 0, 0)
    begun.mkdir(parents=True)
    (begun / record).write_text(json.dumps({"cpu_seconds": 40 * 3600.0}))  # 40 h > 30 h
    todo = {"qa-v1.1": [Run("qa-v1.1/x", [], tmp_path / "x")], "coref": [Run("coref/y", [], tmp_path / "y")]}  # fmt: skip
    ran = []

    def fake_plan(protocol, stage, dev):
        return stages.Round(stage, list(todo.get(stage, [])), 2)

    def fake_execute(runs, **_):
        ran.extend(r.key for r in runs)
        for r in runs:
            todo[r.key.split("/")[0]].remove(r)
        return []

    monkeypatch.setattr(stages, "plan_round", fake_plan)
    monkeypatch.setattr(stages, "execute", fake_execute)
    monkeypatch.setattr(stages, "write_random_encoders", lambda protocol: None)
    (p.results_dir / "cap.json").write_text(json.dumps({"stage": "budget_curve", "message": "m"}))
    status = run_ablations(p, say=lambda _: None, until="qa-v1.1")
    assert ran == ["qa-v1.1/x"] and status["qa-v1.1"] == "complete"
    assert json.loads((p.results_dir / "cap.json").read_text())["stage"] == "budget_curve"
    status = run_ablations(p, say=lambda _: None)
    assert status["coref"] == "stopped by the CPU cap" and ran == ["qa-v1.1/x"]
    assert json.loads((p.results_dir / "cap.json").read_text())["stage"] == "coref"


def test_a_difference_of_exactly_the_tie_margin_is_not_a_tie():
    assert pick_rate({1e-3: 50.0, 2e-3: 50.1}) == 2e-3
    assert pick_rate({1e-3: 50.0, 2e-3: 50.0999}) == 1e-3


def test_a_budget_run_made_at_another_rate_is_refused(tmp_path):
    """The budget curve's folders do not name the rate: the report reads it from the command."""
    from spanbert_lab.tools.study.ablations.report import _check_rate

    (tmp_path / "done.json").write_text(json.dumps({"command": "python -m x --lr 0.002 --seeds 0"}))
    _check_rate(tmp_path, 2e-3)
    with pytest.raises(ValueError, match=r"ran at lr 0\.002, but the selected rate is 0\.001"):
        _check_rate(tmp_path, 1e-3)


def test_qa_v2_is_compared_at_the_dev_threshold_and_at_threshold_0(tmp_path):
    """QA v2.0's report reads the test scores at the dev-chosen null threshold (columns
    ``f1@dev_threshold``) for its comparisons, and those at the fixed threshold 0 beside them,
    with the leaked/clean split over the answerable questions; ``summary.md`` shows both."""
    from spanbert_lab.data import load_squad_json
    from spanbert_lab.tools.study.ablations.report import _task_summary, markdown

    v2 = MINI.replace(
        '[[tasks]]\nname = "coref"',
        """[[tasks]]
name = "qa-v2.0"
task = "qa"
version = "2.0"
max_epochs = 2
lr_grid = "qa-v1.1 selected x [0.5, 1, 2]"
finetune_seeds = [0]
select = "f1"
example_score = "f1"
threshold = "dev"
arms = "all"

[[tasks]]
name = "coref\"""",
    ).replace('"qa-v1.1", "coref"', '"qa-v1.1", "qa-v2.0", "coref"')
    path = tmp_path / "v2.toml"
    path.write_text(v2.format(tmp=tmp_path))
    p = load_ablations(path)
    task = p.task("qa-v2.0")
    ids = [str(qa["id"]) for art in load_squad_json("test", "2.0")["data"]
           for par in art["paragraphs"] for qa in par["qas"]][:40]  # fmt: skip

    def dev(folder, monitor):  # every arm peaks at 2e-3 (v1.1) and at that rate again (v2.0)
        lr = float(re.search(r"lr([0-9.e-]+)", str(folder)).group(1))
        return -abs(lr - 2e-3) * 1e4

    expected = {}
    for arm, at_zero, at_dev in (("subword", 0.2, 0.5), ("span_sbo", 0.4, 0.9)):
        for ps in (0, 1):
            run = finetune_folder(p, "qa-v2.0", arm, 2e-3, ps, 0)
            (run / "seed0" / "test").mkdir(parents=True)
            rows = [[at_zero, at_zero, at_dev, at_dev] for _ in ids]
            (run / "seed0" / "test" / "example_scores.json").write_text(json.dumps(
                {"ids": ids, "columns": ["f1", "exact", "f1@dev_threshold", "exact@dev_threshold"],
                 "scores": rows}))  # fmt: skip
            metrics = {"f1": 100 * at_zero, "exact_match": 100 * at_zero,
                       "f1@dev_threshold": 100 * at_dev, "exact@dev_threshold": 100 * at_dev,
                       "dev_null_threshold": -1.5}  # fmt: skip
            (run / "result.json").write_text(json.dumps({"runs": [{"test_metrics": metrics,
                "best_epoch": 2, "dev_curve": [{}, {}], "metrics": {"best_f1": 0.0}}]}))  # fmt: skip
            (run / "done.json").write_text(json.dumps({"command": "x --lr 0.002"}))
        expected[arm] = (100 * at_zero, 100 * at_dev)
    block = _task_summary(p, task, dev)
    assert block["metric"] == "f1@dev_threshold"
    assert block["arms"]["subword"]["lr_grid"] == [1e-3, 2e-3, 4e-3]
    assert block["arms"]["span_sbo"]["test"]["mean"] == pytest.approx(90.0)
    assert block["threshold_0"]["arms"]["span_sbo"]["mean"] == pytest.approx(40.0)
    (c,) = block["comparisons"]
    assert c["diff"] == pytest.approx(40.0) and c["low"] == pytest.approx(40.0)  # no variance
    (z,) = block["threshold_0"]["comparisons"]
    assert z["diff"] == pytest.approx(20.0)
    leak = block["leakage"]
    assert leak["leaked"]["questions"] + leak["clean"]["questions"] + leak["unanswerable"] == 40
    summary = {"cpu_hours": 0.0, "cpu_hours_by_stage": {}, "cpu_hours_wasted": 0.0,
               "comparisons_per_task": 1, "stages": {}, "cap": None,
               "tasks": {"qa-v2.0": block}, "budget_curve": None}  # fmt: skip
    md = markdown(p, summary)
    assert "At the fixed threshold 0 (test f1): `subword` 20.0, `span_sbo` 40.0." in md
    assert "exact@dev_threshold 90.00" in md and "dev_null_threshold -1.50" in md


def test_status_projects_each_stage_from_its_finished_runs(tmp_path, monkeypatch):
    """``projected_hours``: spent + the mean cost of a stage's finished runs times its runs still
    planned; a stage that cannot be planned yet counts its ``stage_hours``."""
    from spanbert_lab.tools.study.ablations import stages

    p = _mini(tmp_path)
    run = finetune_folder(p, "qa-v1.1", "subword", 1e-3, 0, 0)
    run.mkdir(parents=True)
    (run / "done.json").write_text(json.dumps({"cpu_seconds": 360.0}))

    def dev(folder, monitor):
        return 1.0 if (folder / "done.json").is_file() else None

    monkeypatch.setattr(stages, "_pretrain_round", lambda protocol: stages.Round("pretrain", [], 4))
    hours = stages.projected_hours(p, dev)
    # qa-v1.1: 2 arms x (2 rates + 2 seeds - 1) = 6 runs planned, 1 done at 0.1 h: 0.6 h
    assert hours == pytest.approx(
        {"pretrain": 0.0, "qa-v1.1": 0.6, "coref": 0.0, "budget_curve": 100.0}
    )


def test_summary_md_names_the_budget_curves_seeds_and_the_coref_link_metrics(tmp_path):
    """``summary.md`` says the budget curve's rows (converged included) use its own fine-tuning
    seeds, labels the converged row, and shows coreference's per-form link accuracy and what
    its link F1 is."""
    from spanbert_lab.tools.study.ablations.report import markdown

    p = _mini(tmp_path)
    gap = {"a": "span_sbo", "b": "subword", "diff": 5.0, "low": 1.0, "high": 9.0, "interval": "x"}
    run = {"best_epoch": 3, "best_at_max_epochs": False, "best_at_first_epoch": False}
    arm = {"lr_grid": [1e-3, 2e-3], "selected_lr": 1e-3, "selected_at_edge": False,
           "epochs": [run], "test": {"mean": 70.0, "values": [70.0]},
           "test_metrics_mean": {"link_accuracy": 80.0, "link_accuracy_pronoun": 75.0,
                                 "muc_f1": 85.0, "baseline_antecedent_accuracy": 60.0}}  # fmt: skip
    coref = {"metric": "antecedent_accuracy", "arms": {"subword": arm, "span_sbo": arm},
             "comparisons": [gap]}  # fmt: skip
    scores = {"arms": {"subword": {"mean": 50.0}, "span_sbo": {"mean": 55.0}}, "gaps": [gap]}
    curve = {"task": "qa-v1.1", "metric": "f1", "finetune_seeds": [0],
             "budgets": {"2": scores, "converged": scores}}  # fmt: skip
    summary = {"cpu_hours": 0.0, "cpu_hours_by_stage": {}, "cpu_hours_wasted": 0.0,
               "comparisons_per_task": 1, "stages": {}, "cap": None,
               "tasks": {"coref": coref}, "budget_curve": curve}  # fmt: skip
    md = markdown(p, summary)
    assert "link_accuracy_pronoun 75.00" in md and "The link F1 is MUC F1" in md
    assert "uses fine-tuning seeds [0] only" in md
    assert "- 2 epochs: `subword` 50.0" in md
    assert "- converged (best dev epoch): `subword` 50.0" in md
