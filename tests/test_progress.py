"""Progress reporting: a few plain lines per run, never a bar that floods a notebook's IOPub.

The kernel tests reproduce what broke nbval on notebook 05 (issue: "Timeout of 5 seconds exceeded
waiting for output"): nbval waits for a cell's execute reply *before* it reads the cell's IOPub
messages, ZeroMQ's publish socket drops messages beyond its high-water mark, and the final "idle"
status can be among the dropped. The first test shows the mechanism with a flood of widget
updates; the second shows the library's own training loop stays far below it.
"""

from __future__ import annotations

import itertools
from queue import Empty

import pytest
import torch
from transformers import BertConfig, BertForSequenceClassification

from spanbert_lab.finetune import FinetuneConfig, train_loop
from spanbert_lab.training.progress import ProgressLog, format_seconds


def test_format_seconds() -> None:
    assert [format_seconds(s) for s in (4.2, 59.4, 75.3, 3 * 3600 + 125)] == [
        "4 s", "59 s", "1 min 15 s", "3 h 02 min"
    ]  # fmt: skip


def test_a_line_has_step_values_and_time_left() -> None:
    ticks = itertools.count(0.0, 10.0)  # every clock reading is 10 s later
    written: list[str] = []
    log = ProgressLog("fine-tuning", 40, write=written.append, clock=lambda: next(ticks))
    text = log.line(10, loss=2.34567, epoch=1)
    assert written == [text]
    assert text.startswith("fine-tuning  step 10/40 (25%)  loss 2.346  epoch 1")
    assert text.endswith("10 s elapsed, ~30 s left"), text
    last = log.line(40, loss=1.0)
    assert last.endswith("20 s elapsed"), f"no time left at the last step: {last}"


def test_disabled_log_writes_nothing_but_keeps_its_lines() -> None:
    written: list[str] = []
    log = ProgressLog("x", 5, enabled=False, write=written.append)
    log.line(5, loss=1.0)
    assert written == [] and len(log.lines) == 1
    with pytest.raises(ValueError, match="total_steps"):
        ProgressLog("x", 0)


def _tiny_classifier() -> torch.nn.Module:
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=20, max_position_embeddings=16, num_labels=2)  # fmt: skip
    return BertForSequenceClassification(config)


def _rows(n: int) -> list[dict]:
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 30, (n, 8), generator=g).tolist()
    return [{"input_ids": r, "attention_mask": [1] * 8, "labels": i % 2} for i, r in enumerate(ids)]


def test_training_loop_writes_one_line_per_epoch(capsys) -> None:
    config = FinetuneConfig(epochs=3.0, batch_size=4, learning_rate=1e-3)
    history = train_loop(_tiny_classifier(), _rows(10), config)  # 3 updates per epoch
    lines = capsys.readouterr().out.splitlines()
    assert len(history.train) == 9 and history.steps == list(range(1, 10))
    assert len(lines) == 3, f"expected one line per epoch, got {lines}"
    assert lines[-1].startswith("fine-tuning  step 9/9 (100%)  epoch 3  loss ")
    train_loop(_tiny_classifier(), _rows(10), config, progress=False)
    assert capsys.readouterr().out == ""


def _run_in_kernel(code: str) -> tuple[int, bool]:
    """Run ``code`` the way nbval does (reply first, then IOPub); (IOPub messages, idle seen)."""
    manager_module = pytest.importorskip("jupyter_client.manager")
    km, kc = manager_module.start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        msg_id = kc.execute(code)
        kc.get_shell_msg(timeout=300)
        count = 0
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=10)
            except Empty:
                return count, False
            count += 1
            if (
                msg["msg_type"] == "status"
                and msg["content"]["execution_state"] == "idle"
                and msg["parent_header"].get("msg_id") == msg_id
            ):
                return count, True
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


@pytest.mark.slow
def test_a_flood_of_iopub_messages_loses_the_idle_status() -> None:
    # 30,000 widget updates while the client waits for the reply: far past the high-water marks.
    code = "import ipywidgets as w\nbar = w.IntProgress(max=30000)\nfor i in range(30000):\n    bar.value = i\n"
    count, idle = _run_in_kernel(code)
    assert not idle and count < 30000, (
        f"expected dropped messages (got {count}, idle seen: {idle}); if ZeroMQ no longer drops, "
        "this test and the reasoning in spanbert_lab/training/progress.py need revisiting"
    )


@pytest.mark.slow
def test_the_library_training_loop_keeps_iopub_calm() -> None:
    code = (
        "import torch\n"
        "from spanbert_lab.runtime import setup_notebook\n"
        "setup_notebook()\n"
        "import test_progress as t\n"
        "from spanbert_lab.finetune import FinetuneConfig, train_loop\n"
        "h = train_loop(t._tiny_classifier(), t._rows(64), FinetuneConfig(epochs=20.0, batch_size=2))\n"
        "len(h.train)\n"
    )
    import pathlib

    here = pathlib.Path(__file__).parent
    count, idle = _run_in_kernel(f"import sys; sys.path.insert(0, {str(here)!r})\n" + code)
    assert idle, f"the idle status was lost after {count} messages"
    assert count < 40, f"640 updates sent {count} IOPub messages; expected about one per epoch"
