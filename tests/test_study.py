"""The study machinery: protocol checks, the pilot's selection, resumable runs, the statistics."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch

from spanbert_lab.tasks.ner_metric import entity_scores, get_entities
from spanbert_lab.tools.study.plan import Run, finetune_runs, pilot_configs, recipe_key
from spanbert_lab.tools.study.protocol import load_protocol
from spanbert_lab.tools.study.report import corpus_f1, paired_bootstrap, report_task
from spanbert_lab.tools.study.runner import execute
from spanbert_lab.tools.study.ship import ship_models
from spanbert_lab.tools.study.stages import _settle

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "study" / "protocol.toml"


@pytest.fixture
def protocol(tmp_path):
    text = PROTOCOL.read_text().replace('"data/results/study"', f'"{tmp_path / "results"}"')
    text = text.replace('"data/checkpoints"', f'"{tmp_path / "checkpoints"}"')
    path = tmp_path / "protocol.toml"
    path.write_text(text)
    return load_protocol(path)


def test_the_shipped_protocol_reads_and_fixes_the_grid():
    p = load_protocol(PROTOCOL)
    assert [e.name for e in p.encoders] == [
        "random-tiny",
        "bert-tiny",
        "span-tiny",
        "spanbert-tiny",
    ]
    assert p.baseline == "bert-tiny"
    seeds = {t.name: len(t.seeds) for t in p.tasks}
    assert seeds["qa-v1.1"] >= 5 and min(seeds.values()) >= 3
    assert all(len(t.lrs) >= 2 for t in p.tasks)
    assert p.min_real_tokens >= 20_000_000
    # every encoder gets the same grid: one run per (task, encoder, lr, seed)
    runs = finetune_runs(p, p.encoders)
    assert len(runs) == len(p.encoders) * sum(len(t.lrs) * len(t.seeds) for t in p.tasks)
    assert all("--test-split" in r.argv and "--threads" in r.argv for r in runs)
    # QA v1.1's seed-0 models are kept (notebook 05), nothing else is saved
    kept = {(r.meta["task"], r.meta["seed"]) for r in runs if "--save-model" in r.argv}
    assert kept == {("qa-v1.1", 0)}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('baseline = "bert-tiny"', 'baseline = "bert-huge"', "not one of the encoders"),
        ('control = "random-tiny"', 'control = "random-huge"', "control = 'random-huge'"),
        ('objective = "span_sbo"', 'objective = "span_magic"', "choose one of"),
        ("cpu_minutes = 6", "cpu_minutes = -1", "cpu_minutes must be > 0"),
        ('task = "ner"', 'task = "parse"', "choose one of"),
        ("[finetuning]", "[finetuning]\n[finetuning", "not valid TOML"),
        ("keep_models = [0]", "keep_models = [7]", "must be in seeds"),
    ],
)
def test_a_broken_protocol_is_refused_with_the_field_named(tmp_path, old, new, message):
    path = tmp_path / "protocol.toml"
    path.write_text(PROTOCOL.read_text().replace(old, new, 1))
    with pytest.raises(ValueError, match=message):
        load_protocol(path)


def test_the_pilot_settles_one_factor_at_a_time(protocol):
    first = pilot_configs(protocol, {})
    assert [r.lr for r in first] == protocol.pilot.grid["lr"]
    losses = {recipe_key(r): loss for r, loss in zip(first, [5.0, 4.2, 4.5], strict=True)}
    best = _settle(protocol, losses)
    assert best == {"lr": first[1].lr}, "lowest loss wins"
    second = pilot_configs(protocol, best)
    assert {r.lr for r in second} == {first[1].lr}
    assert [r.batch_size for r in second] == protocol.pilot.grid["batch_size"]
    # a tie (< 0.01) goes to the earlier, cheaper value
    losses.update({recipe_key(second[1]): 4.195})
    assert _settle(protocol, losses)["batch_size"] == second[0].batch_size


def test_runs_are_skipped_when_done_and_restarted_when_half_written(tmp_path):
    ok = Run("ok", ["--help"], tmp_path / "ok")
    bad = Run("bad", ["no-such-command"], tmp_path / "bad")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "stale.txt").write_text("from a stopped run")
    outcomes = {o.key: o for o in execute([ok, bad], jobs=2, say=lambda _: None, poll_s=0.1)}
    assert outcomes["ok"].status == 0 and outcomes["bad"].status != 0
    assert ok.done and not bad.done
    assert not (tmp_path / "ok" / "stale.txt").exists(), "a half-written run starts again"
    assert "usage: python -m spanbert_lab" in (tmp_path / "ok" / "log.txt").read_text()
    again = execute([ok], jobs=1, say=lambda _: None, poll_s=0.1)
    assert again[0].skipped


def test_corpus_f1_equals_the_ner_metric():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "O"], ["B-PER", "O", "O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG", "I-ORG"], ["B-LOC", "O", "B-PER"]]
    rows = []
    for g, p in zip(gold, pred, strict=True):
        ge, pe = set(get_entities(g)), set(get_entities(p))
        rows.append([len(ge & pe), len(pe), len(ge)])
    expected = 100 * entity_scores(gold, pred)["f1"]
    assert float(corpus_f1(torch.tensor(rows, dtype=torch.float64))) == pytest.approx(expected)


def test_paired_bootstrap_finds_a_real_difference_and_not_a_null_one():
    g = torch.Generator().manual_seed(0)
    base = torch.rand(400, 1, generator=g, dtype=torch.float64)
    better = (base + 0.05).clamp(max=1.0)
    noise = base[torch.randperm(400, generator=g)]
    stat = lambda rows: 100 * rows[..., 0].mean(-1)  # noqa: E731
    value, low, high = paired_bootstrap(better, base, stat, resamples=2000, seed=0)
    assert value == pytest.approx(float(stat(better) - stat(base)))
    assert 0 < low <= value <= high
    _, low, high = paired_bootstrap(noise, base, stat, resamples=2000, seed=0)
    assert low < 0 < high, "a shuffled copy is no better"
    assert paired_bootstrap(base, base, stat, resamples=100, seed=0) == (0.0, 0.0, 0.0)


def _fake_run(root: Path, task: str, encoder: str, lr: float, seed: int, dev: float, rows):
    folder = root / "runs" / task / encoder / f"lr{lr:g}" / f"seed{seed}"
    (folder / f"seed{seed}" / "test").mkdir(parents=True)
    (folder / "done.json").write_text("{}")
    result = {"runs": [{"seed": seed, "metrics": {"accuracy": dev},
                        "test_metrics": {"accuracy": 100 * sum(r[0] for r in rows) / len(rows)}}]}  # fmt: skip
    (folder / "result.json").write_text(json.dumps(result))
    scores = {"ids": [str(i) for i in range(len(rows))], "columns": ["correct"], "scores": rows}
    (folder / f"seed{seed}" / "test" / "example_scores.json").write_text(json.dumps(scores))


def test_report_selects_on_dev_and_compares_on_test(protocol):
    task = next(t for t in protocol.tasks if t.name == "classify")
    root = protocol.results_dir
    n = 200
    for seed in task.seeds:
        for lr in task.lrs:
            good = lr == task.lrs[1]
            # bert-tiny: right on 60% (lr 2) / 50% (lr 1); spanbert-tiny: right on 75% / 40%
            b_rows = [[1.0 if i % 10 < (6 if good else 5) else 0.0] for i in range(n)]
            s_rows = [[1.0 if i % 4 < (3 if good else 0) or i % 10 < (4 if not good else 0)
                       else 0.0] for i in range(n)]  # fmt: skip
            _fake_run(root, "classify", "bert-tiny", lr, seed, 60.0 if good else 50.0, b_rows)
            _fake_run(root, "classify", "spanbert-tiny", lr, seed, 70.0 if good else 40.0, s_rows)
    report = report_task(protocol, task, ["bert-tiny", "spanbert-tiny"])
    assert report.selected_lr == {"bert-tiny": task.lrs[1], "spanbert-tiny": task.lrs[1]}
    assert report.test["spanbert-tiny"]["accuracy"]["mean"] == pytest.approx(75.0)
    assert report.test["bert-tiny"]["accuracy"]["sd"] == pytest.approx(0.0)
    assert report.versus_control == {}, "this call compares with random-tiny only if it is there"
    versus = report.versus_baseline["spanbert-tiny"]
    assert versus["value"] == pytest.approx(15.0)
    assert versus["low"] > 0
    shutil.rmtree(root / "runs" / "classify" / "bert-tiny" / f"lr{task.lrs[0]:g}" / "seed0")
    with pytest.raises(FileNotFoundError, match="not done"):
        report_task(protocol, task, ["bert-tiny", "spanbert-tiny"])


def test_a_shipped_checkpoint_is_not_taken_for_the_studys(tmp_path, monkeypatch):
    from spanbert_lab.tools.study.stages import encoder_state

    monkeypatch.chdir(tmp_path)
    text = PROTOCOL.read_text().replace('"data/checkpoints"', f'"{tmp_path / "ckpt"}"')
    (tmp_path / "p.toml").write_text(text)
    p = load_protocol(tmp_path / "p.toml")
    bert, control = p.encoder("bert-tiny"), p.encoder("random-tiny")
    assert encoder_state(p, bert) == "missing"
    (tmp_path / "ckpt" / "bert-tiny").mkdir(parents=True)
    (tmp_path / "ckpt" / "bert-tiny" / "model.safetensors").write_bytes(b"")
    assert encoder_state(p, bert) == "not the study's", "a shipped model of the same name"
    (tmp_path / "runs" / "study" / "bert-tiny").mkdir(parents=True)
    (tmp_path / "runs" / "study" / "bert-tiny" / "done.json").write_text("{}")
    assert encoder_state(p, bert) == "ready"
    (tmp_path / "ckpt" / "random-tiny").mkdir()
    (tmp_path / "ckpt" / "random-tiny" / "model.safetensors").write_bytes(b"")
    assert encoder_state(p, control) == "ready", "the control is never pretrained"


def test_one_calibration_per_update_cost_and_equal_updates_across_learning_rates(protocol):
    from spanbert_lab.tools.study.plan import cost_key, pilot_runs

    configs = pilot_configs(protocol, {})  # the learning-rate factor: same cost for every value
    first = pilot_runs(protocol, configs, steps={})
    assert [r.key for r in first] == [f"pilot/calibration/{cost_key(configs[0])}"]
    runs = pilot_runs(protocol, configs, steps={cost_key(configs[0]): 1234})
    assert len(runs) == len(configs)
    for run in runs:
        assert run.argv[run.argv.index("--max-steps") + 1] == "1234", "same updates for every lr"
        assert "--time-budget" in run.argv


def test_the_kept_model_of_the_selected_lr_is_shipped(protocol):
    task = next(t for t in protocol.tasks if t.name == "classify")
    task = dataclasses.replace(task, keep_models=[0])
    protocol = dataclasses.replace(protocol, tasks=[task])
    root = protocol.results_dir
    for seed in task.seeds:
        for lr in task.lrs:
            rows = [[1.0 if i % 10 < (6 if lr == task.lrs[1] else 5) else 0.0] for i in range(50)]
            for encoder in ("bert-tiny", "spanbert-tiny"):
                _fake_run(
                    root, "classify", encoder, lr, seed, 60.0 if lr == task.lrs[1] else 50.0, rows
                )
                model = (
                    root
                    / "runs"
                    / "classify"
                    / encoder
                    / f"lr{lr:g}"
                    / f"seed{seed}"
                    / f"seed{seed}"
                    / "model"
                )
                model.mkdir()
                (model / "config.json").write_text(json.dumps({"lr": lr}))
    report = report_task(protocol, task, ["bert-tiny", "spanbert-tiny"])
    target = protocol.checkpoints_dir / "classify-spanbert-tiny-seed0"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("from before")
    shipped = ship_models(protocol, [report])
    assert sorted(p.name for p in shipped) == [
        "classify-bert-tiny-seed0",
        "classify-spanbert-tiny-seed0",
    ]
    assert json.loads((target / "config.json").read_text()) == {"lr": task.lrs[1]}
    assert json.loads((target / "study.json").read_text())["lr"] == task.lrs[1]
    card = (target / "README.md").read_text()  # the model card, from the stored run
    assert "fine-tuned from `spanbert-tiny`" in card and f"**{task.lrs[1]:g}**" in card, card
    assert "| test | 60.00 |" in card, card
    assert not (target / "stale.txt").exists()
    shutil.rmtree(
        root
        / "runs"
        / "classify"
        / "bert-tiny"
        / f"lr{task.lrs[1]:g}"
        / "seed0"
        / "seed0"
        / "model"
    )
    with pytest.raises(FileNotFoundError, match="no saved model"):
        ship_models(protocol, [report])


def test_a_stopped_sittings_cpu_time_is_kept_not_lost(tmp_path):
    """A sitting that was stopped (session over) left ``sitting.json``: a non-resumable run
    starts from nothing but keeps it, and any failed sitting, in ``lost.jsonl``; a resumable one
    adds it to ``cpu.jsonl``, whose sum ``done.json`` reports."""
    import spanbert_lab.tools.study.runner as runner

    fresh = Run("fresh", ["--help"], tmp_path / "fresh")
    fresh.folder.mkdir()
    (fresh.folder / "cpu.jsonl").write_text('{"seconds": 9.0, "cpu_seconds": 8.0}\n')  # failed
    (fresh.folder / "sitting.json").write_text('{"seconds": 31.0, "cpu_seconds": 30.0}')
    resumed = Run("resumed", ["--help"], tmp_path / "resumed", resumable=True)
    resumed.folder.mkdir()
    (resumed.folder / "cpu.jsonl").write_text('{"seconds": 101.0, "cpu_seconds": 100.0}\n')
    (resumed.folder / "sitting.json").write_text('{"seconds": 51.0, "cpu_seconds": 50.0}')
    execute([fresh, resumed], jobs=2, say=lambda _: None, poll_s=0.1)
    done = {r.key: json.loads((r.folder / "done.json").read_text()) for r in (fresh, resumed)}
    assert runner.cpu_log_seconds(fresh.folder / "lost.jsonl") == 38.0
    assert done["fresh"]["lost_cpu_seconds"] == 38.0
    assert done["fresh"]["cpu_seconds"] == runner.cpu_log_seconds(fresh.folder / "cpu.jsonl") < 38
    assert done["resumed"]["lost_cpu_seconds"] == 0.0
    assert done["resumed"]["cpu_seconds"] > 150.0
    assert not any((r.folder / "sitting.json").exists() for r in (fresh, resumed))


def test_the_heartbeat_records_a_live_sittings_cpu_time(tmp_path):
    import subprocess
    import sys
    import time

    import spanbert_lab.tools.study.runner as runner

    run = Run("busy", [], tmp_path)
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 3: pass"
    proc = subprocess.Popen([sys.executable, "-c", busy])
    if not Path(f"/proc/{proc.pid}/stat").is_file():
        proc.kill()
        pytest.skip("no /proc: sittings are recorded when they end only")
    started, seen = time.monotonic(), 0.0
    try:  # the machine may be busy: wait until the process has had some CPU
        while seen < 0.3 and time.monotonic() - started < 30:
            time.sleep(0.2)
            runner._heartbeat(run, proc, started)
            seen = json.loads((tmp_path / "sitting.json").read_text())["cpu_seconds"]
    finally:
        proc.kill()
        proc.wait()
    sitting = json.loads((tmp_path / "sitting.json").read_text())
    assert 0.3 <= sitting["cpu_seconds"] <= sitting["seconds"] + 0.1


def test_cost_counts_every_sitting_and_logs_are_copied(protocol, monkeypatch, tmp_path):
    from spanbert_lab.tools.study.summary import copy_pretraining_logs, cost_seconds

    monkeypatch.chdir(tmp_path)
    run = tmp_path / "runs" / "study" / "bert-tiny"
    run.mkdir(parents=True)
    # stopped once at 300 s, resumed for 500 s more: done.json only saw the second sitting
    rows = [
        {"step": 500, "elapsed_s": 300.0},
        {"step": 1000, "elapsed_s": 250.0},  # the second sitting, resumed from step 500
        {"step": 1500, "elapsed_s": 500.0},
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (run / "done.json").write_text(json.dumps({"seconds": 510.0}))
    finetune = protocol.results_dir / "runs" / "ner" / "bert-tiny" / "lr0.001" / "seed0"
    finetune.mkdir(parents=True)
    (finetune / "done.json").write_text(json.dumps({"seconds": 60.0}))
    assert cost_seconds(protocol) == pytest.approx(800.0 + 60.0)
    assert copy_pretraining_logs(protocol) == [
        protocol.results_dir / "pretrain" / "bert-tiny.jsonl"
    ]
    unfinished = tmp_path / "runs" / "study" / "span-tiny"
    unfinished.mkdir()
    (unfinished / "metrics.jsonl").write_text(json.dumps(rows[0]) + "\n")
    assert len(copy_pretraining_logs(protocol)) == 1, "a run that is not done is not copied"


def test_unknown_tasks_are_refused_before_anything_runs(protocol, capsys):
    from spanbert_lab.cli.study import main

    assert main(["run", "--protocol", str(protocol.path), "--tasks", "qa-v1.1", "parsing"]) == 2
    assert "--tasks ['parsing']" in capsys.readouterr().out
    assert not (protocol.results_dir / "pilot.json").exists()


def test_finetuning_can_be_limited_to_some_tasks_in_a_chosen_order(protocol, monkeypatch):
    from spanbert_lab.tools.study import stages

    seen = []
    monkeypatch.setattr(stages, "encoder_state", lambda *_: "ready")
    monkeypatch.setattr(stages, "execute", lambda runs, **_: seen.extend(runs) or [])
    stages.run_finetuning(protocol, jobs=1, say=print, tasks=["ner", "qa-v1.1"])
    tasks = [r.meta["task"] for r in seen]
    assert tasks == sorted(tasks, key=["ner", "qa-v1.1"].index) and set(tasks) == {"ner", "qa-v1.1"}


def test_pretraining_steps_reach_the_token_budget_in_the_training_order(protocol):
    from spanbert_lab.pretrain.batches import epoch_batches
    from spanbert_lab.tools.study.plan import Recipe, pretrain_steps

    lengths = [10 + (7 * i) % 50 for i in range(203)]  # 6 batches of 32 per epoch, 11 dropped
    recipe = Recipe(lr=1e-3, batch_size=32, preset="tiny", block_size=128)
    budget = dataclasses.replace(protocol, min_real_tokens=25_000)
    steps = pretrain_steps(lengths, recipe, budget)
    order = [b for e in range(10) for b in epoch_batches("bucketed", lengths, 32, seed=0, epoch=e)]
    tokens = [sum(lengths[i] for i in b) for b in order]
    assert sum(tokens[:steps]) >= 25_000 > sum(tokens[: steps - 1])
    assert steps > 6, "the budget spans several epochs"
    with pytest.raises(ValueError, match="fewer blocks"):
        pretrain_steps(lengths[:5], recipe, budget)


def test_a_partial_report_summarises_finished_tasks_only(protocol, monkeypatch, tmp_path, capsys):
    from spanbert_lab.cli.study import main

    monkeypatch.chdir(tmp_path)
    task = next(t for t in protocol.tasks if t.name == "classify")
    rows = [[float(i % 3 == 0)] for i in range(30)]
    for encoder in [e.name for e in protocol.encoders]:
        for lr in task.lrs:
            for seed in task.seeds:
                _fake_run(protocol.results_dir, "classify", encoder, lr, seed, 50.0, rows)
    argv = ["report", "--protocol", str(protocol.path)]
    assert main(argv) == 2, "an incomplete study is refused without --partial"
    assert main([*argv, "--partial"]) == 0
    summary = json.loads((protocol.results_dir / "summary.json").read_text())
    assert summary["complete"] is False
    assert summary["missing_tasks"] == ["qa-v1.1", "qa-v2.0", "ner"]
    assert [t["task"] for t in summary["tasks"]] == ["classify"]
    assert "Incomplete" in (protocol.results_dir / "summary.md").read_text()
    assert "left out" in capsys.readouterr().out


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_run_results_are_committed_and_kept_models_are_not():
    import subprocess

    def ignored(path: str) -> bool:
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        return done.returncode == 0

    run = "data/results/study/runs/qa-v1.1/bert-tiny/lr0.002/seed0"
    assert not ignored(f"{run}/result.json") and not ignored(f"{run}/seed0/test/predictions.json")
    assert ignored(f"{run}/seed0/model/model.safetensors"), "the kept models ship via study report"
    assert ignored("runs/study/bert-tiny/checkpoint-500/trainer_state.pt")


def test_every_encoder_is_compared_with_the_control_too(protocol, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    task = next(t for t in protocol.tasks if t.name == "classify")
    names = [e.name for e in protocol.encoders]
    right = {"random-tiny": 3, "bert-tiny": 6, "span-tiny": 6, "spanbert-tiny": 7}  # of 10
    for encoder in names:
        rows = [[1.0 if i % 10 < right[encoder] else 0.0] for i in range(200)]
        for lr in task.lrs:
            for seed in task.seeds:
                _fake_run(protocol.results_dir, "classify", encoder, lr, seed, 50.0, rows)
    report = report_task(protocol, task, names)
    assert set(report.versus_control) == {"bert-tiny", "span-tiny", "spanbert-tiny"}
    assert report.versus_control["bert-tiny"]["value"] == pytest.approx(30.0)
    assert report.versus_control["bert-tiny"]["low"] > 0
    assert report.versus_baseline["span-tiny"]["value"] == pytest.approx(0.0)


def test_an_arm_sets_its_own_masking_flags(tmp_path):
    from spanbert_lab.cli.pretrain import build_parser
    from spanbert_lab.tools.study.plan import Recipe, pretrain_runs

    text = PROTOCOL.read_text().replace(
        'objective = "span_sbo"', 'objective = "span_sbo"\nmasking = {geometric_p = 0.5}', 1
    )
    path = tmp_path / "protocol.toml"
    path.write_text(text)
    protocol = load_protocol(path)
    assert protocol.encoder("spanbert-tiny").masking == {"geometric_p": 0.5}
    assert protocol.encoder("span-tiny").masking == {}
    recipe = Recipe(lr=1e-3, batch_size=4, preset="tiny", block_size=128)
    runs = {r.meta["encoder"]: r for r in pretrain_runs(protocol, recipe, [100] * 40, tmp_path)}
    argv = runs["spanbert-tiny"].argv
    assert argv[argv.index("--geometric-p") + 1] == "0.5"
    assert "--geometric-p" not in runs["span-tiny"].argv
    args = build_parser().parse_args(argv[1:])  # the pretraining command reads it back
    assert args.geometric_p == 0.5 and args.objective == "span_sbo"

    for masking, message in [
        ("{geometric_p = 2.0}", r"encoders\[3\]\.masking: MaskingConfig.geometric_p=2.0"),
        ("{span_p = 0.5}", r"encoders\[3\]\.masking: unknown masking setting\(s\) \['span_p'\]"),
        ("0.5", r"encoders\[3\]\.masking = 0.5: expected a table"),
    ]:
        bad = PROTOCOL.read_text().replace(
            'objective = "span_sbo"', f'objective = "span_sbo"\nmasking = {masking}', 1
        )
        path.write_text(bad)
        with pytest.raises(ValueError, match=message):
            load_protocol(path)
