"""``python -m spanbert_lab pretrain`` (and ``python -m spanbert_lab.pretrain``): a short real run, its checkpoints, resume and clear errors.

Runs on the course corpus (``make data``), with few blocks and steps so the file takes seconds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from spanbert_lab.runtime import data_dir

pytestmark = pytest.mark.skipif(
    not (data_dir() / "tokenizer" / "tokenizer.json").is_file(), reason="run `make data` first"
)

SMALL = ["--preset", "tiny", "--batch-size", "8", "--max-train-blocks", "64",
         "--max-eval-blocks", "16", "--threads", "1", "--no-progress"]  # fmt: skip


@pytest.fixture(autouse=True)
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def cli(*args: str) -> int:
    from spanbert_lab.cli.pretrain import main

    return main(list(args))


def test_twenty_steps_of_spanbert_open_in_our_model_and_in_bert_qa(tmp_path: Path):
    from transformers import BertForQuestionAnswering

    from spanbert_lab.model.pretraining import SpanBertForPreTraining

    out = tmp_path / "run"
    assert (
        cli("--objective", "span_sbo", "--max-steps", "20", "--output-dir", str(out), *SMALL) == 0
    )
    for folder in (out / "checkpoint-20", out / "final"):
        model = SpanBertForPreTraining.from_pretrained(folder)
        assert model.config.sbo_loss_weight == 1.0
        qa = BertForQuestionAnswering.from_pretrained(folder)
        torch.testing.assert_close(
            qa.bert.embeddings.word_embeddings.weight, model.bert.embeddings.word_embeddings.weight
        )
        torch.testing.assert_close(
            qa.bert.encoder.layer[-1].output.dense.weight,
            model.bert.encoder.layer[-1].output.dense.weight,
        )
    metrics = json.loads((out / "final" / "metrics.json").read_text())
    assert metrics["steps"] == 20 and metrics["objective"] == "span_sbo"
    assert metrics["dev"]["sbo_accuracy"] is not None and metrics["dev"]["mlm_targets"] > 0
    card = (out / "final" / "README.md").read_text()
    assert "python -m spanbert_lab.pretrain --objective span_sbo" in card
    assert (out / "final" / "tokenizer.json").is_file()


def test_cli_resume_continues_the_interrupted_run_exactly(tmp_path: Path, monkeypatch):
    from spanbert_lab.pretrain import loop as pretrain

    args = ["--objective", "subword", "--max-steps", "6", "--save-every", "3", *SMALL]
    assert cli(*args, "--output-dir", str(tmp_path / "full")) == 0

    emit = pretrain._Run._emit

    def crash(self, record):
        if record["kind"] == "train" and record["step"] == 5:
            raise KeyboardInterrupt
        emit(self, record)

    monkeypatch.setattr(pretrain._Run, "_emit", crash)
    with pytest.raises(KeyboardInterrupt):
        cli(*args, "--output-dir", str(tmp_path / "cut"))
    monkeypatch.setattr(pretrain._Run, "_emit", emit)
    assert cli("--output-dir", str(tmp_path / "cut"), "--resume") == 0  # flags from run.json

    def losses(run: str) -> list[float]:
        state = torch.load(tmp_path / run / "checkpoint-6" / "trainer_state.pt", weights_only=True)
        return [r["loss"] for r in state["history"]["train"]]

    assert losses("cut") == losses("full"), f"{losses('cut')} vs {losses('full')}"
    dev = [json.loads((tmp_path / r / "final" / "metrics.json").read_text())["dev"]
           for r in ("full", "cut")]  # fmt: skip
    assert dev[0] == dev[1]


def test_existing_checkpoints_need_resume(tmp_path: Path, capsys):
    out = tmp_path / "run"
    assert cli("--max-steps", "2", "--warmup-steps", "0", "--output-dir", str(out), *SMALL) == 0
    with pytest.raises(SystemExit) as err:
        cli("--max-steps", "2", "--output-dir", str(out), *SMALL)
    assert err.value.code == 2
    assert "already holds checkpoints" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--objective", "bogus"], "invalid choice: 'bogus'"),
        (["--preset", "huge"], "invalid choice: 'huge'"),
        (["--max-steps", "5", "--warmup-steps", "5"], "TrainConfig.warmup_steps=5"),
        (["--batch-size", "0"], "TrainConfig.batch_size=0"),
        (["--resume"], "cannot resume"),
        (["--device", "cuda:7"] if not torch.cuda.is_available() else ["--device", "nope"],
         "--device"),
    ],
)  # fmt: skip
def test_bad_flags_give_clear_errors(tmp_path: Path, capsys, extra, message):
    with pytest.raises(SystemExit) as err:
        cli("--output-dir", str(tmp_path / "empty"), *extra)
    assert err.value.code == 2
    assert message in capsys.readouterr().err


def test_output_dir_that_is_a_file(tmp_path: Path, capsys):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(SystemExit):
        cli("--output-dir", str(path))
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("spelling", [["spanbert_lab.pretrain"], ["spanbert_lab", "pretrain"]])
def test_module_entry_points_report_errors(spelling):
    done = subprocess.run(
        [sys.executable, "-m", *spelling, "--objective", "nope", "--output-dir", "x"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and "--objective" in done.stderr, done.stderr


_COUNT_RUNS = """
import runpy, sys
runs = []
def profile(frame, event, arg):
    name = frame.f_code.co_filename.replace("\\\\", "/")
    if event == "call" and frame.f_code.co_name == "<module>" and name.endswith(
        ("spanbert_lab/pretrain.py", "spanbert_lab/pretrain/__init__.py")
    ):
        runs.append(name)
sys.setprofile(profile)
sys.argv = ["spanbert_lab.pretrain", "--help"]
try:
    runpy.run_module("spanbert_lab.pretrain", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
sys.setprofile(None)
print(len(runs))
"""


def test_module_entry_point_runs_the_training_loop_module_once():
    # `python -m spanbert_lab.pretrain` used to execute pretrain.py as __main__ and then import
    # it a second time (through the CLI module): two copies of every class.
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_RUNS], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "1", done.stdout


def test_linguistic_masking_with_nsp_trains_the_nsp_head(tmp_path: Path):
    out = tmp_path / "run"
    assert cli("--objective", "entity+nsp", "--max-steps", "2", "--warmup-steps", "0",
               "--output-dir", str(out), *SMALL) == 0  # fmt: skip
    metrics = json.loads((out / "final" / "metrics.json").read_text())
    assert metrics["nsp"] and metrics["dev"]["nsp_targets"] == 16
    assert metrics["dev"]["sbo_accuracy"] is None and metrics["dev"]["nsp_accuracy"] is not None
