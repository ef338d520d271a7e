"""``python -m spanbert_lab COMMAND``: one entry point; each command only parses its arguments
into the library's dataclasses and calls the library. The old spellings
(``python -m spanbert_lab.pretrain`` / ``.finetune`` / ``.data``) keep working."""

from __future__ import annotations

import dataclasses
import json
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


def test_pretrain_masking_and_accumulation_flags_reach_the_run(tmp_path, monkeypatch):
    from spanbert_lab.masking import MaskingConfig

    seen = {}

    def fake_run(run, config, *, dist):
        seen.update(run=run, config=config)
        return PretrainOutcome(History(), None, 0.0)

    monkeypatch.setattr(pretrain_cli, "run_pretraining", fake_run)
    argv = ["--output-dir", str(tmp_path / "r"), "--batch-size", "8", "--grad-accumulation", "4",
            "--geometric-p", "0.5", "--max-span-words", "6", "--mask-ratio", "0.2",
            "--replacement", "token", "--mask-prob", "0.7", "--random-prob", "0.2",
            "--threads", "1", "--device", "cpu"]  # fmt: skip
    assert main(["pretrain", *argv]) == 0
    assert seen["config"].grad_accumulation == 4 and seen["config"].batch_size == 8
    assert seen["run"].masking == MaskingConfig(
        geometric_p=0.5, max_span_words=6, mask_ratio=0.2, replacement="token",
        mask_prob=0.7, random_prob=0.2,
    )  # fmt: skip

    # a resumed run keeps the recorded masking flags (run.json's argv), unless given again
    (tmp_path / "r").mkdir(exist_ok=True)
    (tmp_path / "r" / "run.json").write_text(json.dumps({"argv": argv}))
    monkeypatch.setattr(pretrain_cli, "resolve_checkpoint", lambda path: Path(path) / "ckpt")
    assert main(["pretrain", "--output-dir", str(tmp_path / "r"), "--resume"]) == 0
    assert seen["run"].masking.geometric_p == 0.5 and seen["run"].masking.replacement == "token"
    assert seen["config"].grad_accumulation == 4
    assert seen["run"].resume_from == str(tmp_path / "r" / "ckpt")


def test_every_pretrain_default_is_its_config_field_default(tmp_path):
    from spanbert_lab.masking import MaskingConfig

    parser = pretrain_cli.build_parser()
    args = parser.parse_args(["--output-dir", str(tmp_path)])
    # TrainConfig: the flags' defaults give the dataclass's defaults (the warm-up's 10% of the
    # default --max-steps included); the other fields have no flag
    unflagged = {"adam_betas", "adam_eps", "output_dir", "progress"}
    flagged = {f.name for f in dataclasses.fields(TrainConfig)} - unflagged
    renamed = {"time_budget_s": "time_budget"}
    for name in flagged:
        dest = renamed.get(name, name)
        if name != "warmup_steps":
            assert parser.get_default(dest) == getattr(TrainConfig(), name), (
                f"--{dest.replace('_', '-')} default {parser.get_default(dest)!r} vs "
                f"TrainConfig.{name} = {getattr(TrainConfig(), name)!r}"
            )
    config = pretrain_cli._train_config(args)
    assert config == TrainConfig(output_dir=str(tmp_path), progress=True), config
    assert args.block_size == PretrainRun.__dataclass_fields__["block_size"].default
    for name in pretrain_cli.MASKING_FLAGS:
        assert parser.get_default(name) == getattr(MaskingConfig(), name), name


def test_every_finetune_default_is_its_config_field_default():
    from spanbert_lab.finetune import FinetuneConfig

    args = finetune_cli.build_parser().parse_args(["qa", "--model", "m"])
    assert finetune_cli._study(args).config == FinetuneConfig()
    assert args.seeds == [FinetuneConfig().seed]


def test_the_qa_window_is_defined_once():
    import inspect

    from spanbert_lab.contracts import QA_DOC_STRIDE, QA_MAX_LENGTH
    from spanbert_lab.finetune import FinetuneConfig
    from spanbert_lab.finetune.loop import answer_question
    from spanbert_lab.tasks import get_task
    from spanbert_lab.tasks.qa.features import prepare_qa_features

    assert (QA_MAX_LENGTH, QA_DOC_STRIDE) == (384, 128)  # the SQuAD scripts' window
    # `is`: the very constant, not an equal literal (for 384; CPython shares small ints like 128)
    for function in (prepare_qa_features, answer_question):
        params = inspect.signature(function).parameters
        assert params["max_length"].default is QA_MAX_LENGTH, function.__name__
        assert params["doc_stride"].default is QA_DOC_STRIDE, function.__name__
    assert get_task("qa").default_max_length is QA_MAX_LENGTH
    assert FinetuneConfig().doc_stride is QA_DOC_STRIDE
    args = finetune_cli.build_parser().parse_args(["qa", "--model", "m"])
    assert args.doc_stride is QA_DOC_STRIDE
