"""``python -m spanbert_lab.finetune ... --data PATH`` on the sample files, offline, with the
shipped ``bert-tiny`` checkpoint: it trains, reports entity F1 / accuracy, saves the label maps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from spanbert_lab.cli import finetune as cli
from spanbert_lab.runtime import data_dir

FIXTURES = Path(__file__).parent / "fixtures" / "own_data"
CONLL_LABELS = ["O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def model() -> str:
    path = data_dir() / "checkpoints" / "bert-tiny"
    if not (path / "config.json").is_file():
        pytest.skip("the shipped bert-tiny checkpoint is missing")
    return str(path)


def test_ner_on_a_conll_folder_saves_the_label_maps(model, tmp_path, capsys) -> None:
    from transformers import AutoConfig

    results = tmp_path / "ner.json"
    argv = ["ner", "--model", model, "--data", str(FIXTURES / "conll2003"), "--max-steps", "3",
            "--batch-size", "8", "--output", str(tmp_path / "out"), "--save-model",
            "--results", str(results), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "ner: 40 training, 12 evaluation examples; 9 labels: " + " ".join(CONLL_LABELS) in out
    record = json.loads(results.read_text())
    assert record["labels"] == CONLL_LABELS
    assert {"precision", "recall", "f1", "n_gold"} <= set(record["summary"])
    assert record["summary"]["n_gold"]["mean"] > 0  # the dev entities were read
    config = AutoConfig.from_pretrained(tmp_path / "out" / "seed0" / "model")
    assert config.id2label == dict(enumerate(CONLL_LABELS))
    assert config.label2id == {name: i for i, name in enumerate(CONLL_LABELS)}
    assert (tmp_path / "out" / "seed0" / "model" / "tokenizer.json").is_file()


def test_classify_on_a_glue_tsv_with_named_columns_and_labels(model, tmp_path, capsys) -> None:
    results = tmp_path / "cls.json"
    argv = ["classify", "--model", model, "--data", str(FIXTURES / "sst2" / "train.tsv"),
            "--eval-data", str(FIXTURES / "sst2" / "dev.tsv"), "--text-column", "sentence",
            "--label-column", "label", "--labels", "negative", "positive", "--max-steps", "3",
            "--results", str(results), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    assert "classify: 64 training, 24 evaluation examples; 2 labels: negative positive" in capsys.readouterr().out  # fmt: skip
    summary = json.loads(results.read_text())["summary"]
    assert set(summary) == {"accuracy", "macro_f1"}
    # 24 dev sentences: an accuracy is a whole number of them
    assert round(summary["accuracy"]["mean"] * 24 / 100, 6).is_integer()


def test_single_file_holds_out_a_seeded_fraction(model, tmp_path, capsys) -> None:
    args = cli.build_parser().parse_args(["classify", "--model", model, "--data", str(FIXTURES / "topics.jsonl"), "--eval-fraction", "0.3"])  # fmt: skip
    train, evaluation = cli.load_own_data(args)
    again, evaluation_again = cli.load_own_data(args)
    assert (len(train), len(evaluation)) == (5, 2)
    assert evaluation["id"] == evaluation_again["id"] and train["id"] == again["id"]
    assert not set(train["id"]) & set(evaluation["id"])
    assert train.features["label"].names == evaluation.features["label"].names == ["0", "1", "2", "3"]  # fmt: skip
    assert "evaluating on 2 of the 7 examples" in capsys.readouterr().out


# fmt: off
BAD_RUNS = [
    (["classify", "--data", str(FIXTURES / "sst2" / "train.tsv"), "--eval-data",
      str(FIXTURES / "malformed" / "unseen_labels.tsv")],
     "labels not in the training data: '2' (2×, first on line 3)"),
    (["ner", "--data", str(FIXTURES / "conll2003" / "train.txt"), "--eval-data",
      str(FIXTURES / "malformed" / "unseen.conll")],
     "labels not in the training data: 'B-DATE'"),
    (["classify", "--data", str(FIXTURES / "malformed" / "no_label_column.tsv")],
     "the columns are ['sentence', 'score']"),
    (["ner", "--data", str(FIXTURES / "malformed" / "bioes.conll")], "unknown tag scheme"),
    (["classify", "--data", str(FIXTURES / "sst2"), "--save-model"], "--save-model needs --output"),
    (["ner", "--data", "no-such-folder"], "no such file or folder: no-such-folder"),
]
# fmt: on


@pytest.mark.parametrize(("argv", "message"), BAD_RUNS)
def test_bad_data_is_a_clear_cli_error(model, argv, message, capsys) -> None:
    assert cli.main([*argv, "--model", model, "--max-steps", "1", "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_qa_on_squad_files_with_names_of_their_own(model, tmp_path) -> None:
    from spanbert_lab.data import load_squad_json

    data = load_squad_json("dev", "2.0")
    train = {"version": "v2.0", "data": data["data"][:2]}
    dev = {"version": "v2.0", "data": data["data"][2:3]}
    (tmp_path / "my-train.json").write_text(json.dumps(train))
    (tmp_path / "my-dev.json").write_text(json.dumps(dev))
    results = tmp_path / "qa.json"
    argv = ["qa", "--model", model, "--data", str(tmp_path / "my-train.json"), "--eval-data",
            str(tmp_path / "my-dev.json"), "--version", "2.0", "--max-steps", "1",
            "--max-length", "128", "--max-eval", "4", "--results", str(results), "--no-progress"]  # fmt: skip
    assert cli.main(argv) == 0
    summary = json.loads(results.read_text())["summary"]
    assert {"exact", "f1", "best_f1"} <= set(summary)
