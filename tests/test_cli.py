"""``python -m spanbert_lab COMMAND``: one entry point; each command only parses its arguments
into the library's dataclasses and calls the library. The old spellings
(``python -m spanbert_lab.pretrain`` / ``.finetune`` / ``.data``) keep working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spanbert_lab.cli import finetune as finetune_cli
from spanbert_lab.cli import pretrain as pretrain_cli
from spanbert_lab.cli.main import COMMANDS, main
from spanbert_lab.finetune.seeds import SeedStudy
from spanbert_lab.pretrain import TrainConfig
from spanbert_lab.pretrain.run import PretrainOutcome, PretrainRun
from spanbert_lab.training import History

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          timeout=180, cwd=ROOT)  # fmt: skip


def test_usage_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("pretrain", "finetune", "data", "applications", "grade"))
    assert main([]) == 2
    assert main(["bogus"]) == 2
    assert "unknown command 'bogus'" in capsys.readouterr().err


def test_every_command_module_has_a_main():
    import importlib

    for name, (module, _) in COMMANDS.items():
        assert callable(importlib.import_module(module).main), name


def test_pretrain_flags_become_a_run_and_a_train_config(tmp_path, monkeypatch):
    seen = {}

    def fake_run(run, config, *, dist):
        seen.update(run=run, config=config, dist=dist)
        return PretrainOutcome(History(), None, 0.0)

    monkeypatch.setattr(pretrain_cli, "run_pretraining", fake_run)
    argv = ["--objective", "entity+nsp", "--preset", "mini", "--output-dir", str(tmp_path / "r"),
            "--max-steps", "50", "--batch-size", "4", "--lr", "5e-4", "--block-size", "64",
            "--max-train-blocks", "9", "--seed", "7", "--threads", "1", "--device", "cpu"]  # fmt: skip
    assert main(["pretrain", *argv]) == 0
    run, config = seen["run"], seen["config"]
    assert isinstance(run, PretrainRun) and isinstance(config, TrainConfig)
    assert (run.objective.name, run.objective.scheme, run.objective.nsp) == (
        "entity+nsp",
        "entity",
        True,
    )
    assert (run.preset, run.block_size, run.max_train_blocks) == ("mini", 64, 9)
    assert run.output_dir == tmp_path / "r" and run.resume_from is None and run.argv == tuple(argv)
    assert (config.max_steps, config.batch_size, config.lr, config.seed) == (50, 4, 5e-4, 7)
    assert config.warmup_steps == 5, "default warm-up: 10% of the steps"


def test_finetune_flags_become_a_seed_study(tmp_path, monkeypatch):
    seen = {}

    def fake_seeds(study, train, dev, labels, *, test=None, on_result=None):
        seen.update(study=study, train=train, dev=dev, labels=labels, test=test)
        return [{"seed": s, "metrics": {"f1": 50.0 + s}, "seconds": 0.0} for s in study.seeds]

    monkeypatch.setattr(finetune_cli, "run_seeds", fake_seeds)
    monkeypatch.setattr(finetune_cli, "load_course_split", lambda task, split, version: [split])
    monkeypatch.setattr(finetune_cli, "resolve_model_path", lambda model, allow_download: model)
    argv = ["finetune", "qa", "--model", "m", "--seeds", "1", "3", "--lr", "2e-3",
            "--max-steps", "12", "--version", "2.0", "--output", str(tmp_path),
            "--test-split", "test", "--span-unit", "tokens"]  # fmt: skip
    assert main(argv) == 0
    study = seen["study"]
    assert isinstance(study, SeedStudy)
    assert (study.task, study.model, study.seeds, study.output) == ("qa", "m", (1, 3), tmp_path)
    assert (study.config.learning_rate, study.config.max_steps) == (2e-3, 12)
    assert study.config.version == "2.0"
    assert (study.config.span_unit, study.config.version) == ("tokens", "2.0")
    assert (seen["train"], seen["dev"], seen["test"]) == (["train"], ["dev"], ["test"])


@pytest.mark.parametrize("spelling", [["spanbert_lab", "finetune"], ["spanbert_lab.finetune"]])
def test_both_finetune_spellings_report_a_missing_model(spelling, tmp_path):
    done = _run(*spelling, "qa", "--model", str(tmp_path / "nope"))
    assert done.returncode == 2, done.stderr
    assert "no model at" in done.stderr


def test_data_command_through_the_entry_point():
    done = _run("spanbert_lab", "data", "--help")
    assert done.returncode == 0, done.stderr
    assert "build" in done.stdout
