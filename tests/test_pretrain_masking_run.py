"""Every masking knob reaches a run: ``--geometric-p`` and friends become the run's one
:class:`MaskingConfig`, used by both collators and recorded in ``run.json``, ``metrics.jsonl`` and
the model card; a bad value is a command-line error; transformers' save bar stays out of the output.

Runs on the course corpus (``make data``), with few blocks and steps.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
import torch

from spanbert_lab.contracts import IGNORE_INDEX
from spanbert_lab.masking import MaskingConfig
from spanbert_lab.runtime import data_dir

pytestmark = pytest.mark.skipif(
    not (data_dir() / "tokenizer" / "tokenizer.json").is_file(), reason="run `make data` first"
)

SMALL = ["--objective", "span_sbo", "--preset", "tiny", "--batch-size", "8", "--max-steps", "2",
         "--warmup-steps", "0", "--max-train-blocks", "32", "--max-eval-blocks", "64",
         "--threads", "1"]  # fmt: skip


@pytest.fixture(autouse=True)
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def mean_span_words(labels: torch.Tensor, continuation: torch.Tensor) -> tuple[float, int]:
    """Mean length in words of the runs of consecutive MLM targets, and how many runs there are.

    ``labels``: (B, T) original ids at the targets, -100 elsewhere; ``continuation``: (V,) bool,
    True for ``##`` pieces. A run's words are its targets that start a word.
    """
    target = labels != IGNORE_INDEX
    before = torch.zeros_like(target)
    before[:, 1:] = target[:, :-1]
    runs = int((target & ~before).sum())
    words = int((target & ~continuation[labels.clamp(min=0)]).sum())
    return words / runs, runs


def dev_spans(tmp_path: Path, monkeypatch, *extra: str) -> tuple[float, int, Path]:
    """Run the CLI; measure the mean span length (words) of the dev masks the run evaluated on,
    drawn by the run's own eval collator."""
    from spanbert_lab.cli.pretrain import main
    from spanbert_lab.pretrain import run as run_module

    seen = {}
    real_train = run_module.train

    def train(model, train_data, eval_data, config, **kwargs):
        seen.update(eval_data=eval_data, eval_collator=kwargs["eval_collator"])
        return real_train(model, train_data, eval_data, config, **kwargs)

    monkeypatch.setattr(run_module, "train", train)
    out = tmp_path / ("run" + "".join(extra).replace("-", "_"))
    assert main([*SMALL, "--output-dir", str(out), *extra]) == 0
    collator = seen["eval_collator"]
    tokens = collator.tokenizer.convert_ids_to_tokens(list(range(len(collator.tokenizer))))
    continuation = torch.tensor([t.startswith("##") for t in tokens])
    batch = collator(list(seen["eval_data"]))
    mean, runs = mean_span_words(batch["labels"], continuation)
    return mean, runs, out


def test_geometric_p_shortens_the_dev_spans_and_is_recorded(tmp_path: Path, monkeypatch, capfd):
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()  # as in a plain shell (setup_notebook() turns bars off)
    try:
        default, default_runs, _ = dev_spans(tmp_path, monkeypatch)
        short, short_runs, out = dev_spans(tmp_path, monkeypatch, "--geometric-p", "0.5")
        assert hf_logging.is_progress_bar_enabled(), "the bars must be switched back on"
    finally:
        hf_logging.disable_progress_bar()
    printed = capfd.readouterr()
    assert "Writing model shards" not in printed.out + printed.err, printed.err[-2000:]
    print(f"dev spans: default {default:.2f} words ({default_runs} runs), "
          f"--geometric-p 0.5 {short:.2f} words ({short_runs} runs)")  # fmt: skip
    # Geo(0.2) on 1..10 has mean 3.8 words, Geo(0.5) 2.0; runs of targets merge touching spans
    assert default_runs > 100 and short_runs > default_runs
    assert short < default - 0.8, f"--geometric-p 0.5: {short:.2f} words vs default {default:.2f}"

    want = asdict(MaskingConfig(geometric_p=0.5))
    assert json.loads((out / "run.json").read_text())["masking"] == want
    header = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert header["kind"] == "header" and header["masking"] == want
    from spanbert_lab.pretrain.metrics_log import read_log_headers, read_metrics_log

    assert [h["masking"] for h in read_log_headers(out / "metrics.jsonl")] == [want]
    assert [r["step"] for r in read_metrics_log(out / "metrics.jsonl")] == [2]
    assert json.loads((out / "final" / "metrics.json").read_text())["masking"] == want
    card = (out / "final" / "README.md").read_text()
    assert "Geo(p=0.5)" in card and "--geometric-p 0.5" in card


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--geometric-p", "0"], "MaskingConfig.geometric_p=0.0: must be in (0, 1]"),
        (["--max-span-words", "0"], "MaskingConfig.max_span_words=0"),
        (["--mask-prob", "0.95"], "MaskingConfig.random_prob=0.1: mask_prob + random_prob"),
        (["--replacement", "word"], "invalid choice: 'word'"),
        (["--batch-size", "8", "--grad-accumulation", "3"], "TrainConfig.grad_accumulation=3"),
    ],
)
def test_bad_masking_values_are_command_line_errors(tmp_path: Path, capsys, extra, message):
    from spanbert_lab.cli.pretrain import main

    with pytest.raises(SystemExit) as err:
        main(["--output-dir", str(tmp_path / "empty"), *extra])
    assert err.value.code == 2
    assert message in capsys.readouterr().err
