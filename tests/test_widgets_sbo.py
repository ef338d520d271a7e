"""Drive every control of the SBO explorer across its range; check what it shows."""

from __future__ import annotations

import pytest
import torch
from transformers.utils import logging as hf_logging
from widget_driver import sweep

from spanbert_lab.course.plots.sbo import plot_sbo_losses
from spanbert_lab.course.widgets.sbo import (
    SboExplorer,
    load_spanbert,
    sbo_explorer_figure,
    sbo_predictions,
)
from spanbert_lab.data.tokenizer import make_tokenizer
from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining

SENTENCES = [
    "The cat sat on the mat .",
    "Maria won the match in Paris , and the team won it .",
    "Aldov was a city .",
]


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one torch thread is faster, and far faster on a busy shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


WORDS = ["The", "cat", "sat", "on", "the", "mat", ".", "Maria", "won", "match", "in", "Paris"]
WORDS += [",", "and", "team", "it", "Ald", "##ov", "was", "a", "city"]


@pytest.fixture(scope="module")
def tiny_tokenizer():
    """A real cased WordPiece tokenizer over a few words (the shared conftest fixture's vocabulary
    is dropped by transformers 5's ``BertTokenizerFast(vocab_file=...)``, leaving only specials)."""
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(WORDS)]
    tokenizer = make_tokenizer({token: i for i, token in enumerate(vocab)})
    assert "[UNK]" not in tokenizer.tokenize(" ".join(SENTENCES))
    return tokenizer


@pytest.fixture()
def model(tiny_tokenizer):
    torch.manual_seed(0)
    config = SpanBertConfig(
        vocab_size=len(tiny_tokenizer), hidden_size=16, num_hidden_layers=1,
        num_attention_heads=2, intermediate_size=24, max_position_embeddings=32,
        sbo_position_embedding_size=8, sbo_max_targets=4,
    )  # fmt: skip
    return SpanBertForPreTraining(config).eval()


def test_every_control_changes_the_view(model, tiny_tokenizer):
    explorer = SboExplorer(model, tiny_tokenizer, SENTENCES)
    seen = sweep(explorer)
    for name, summaries in seen.items():
        assert len(summaries) >= 2, f"moving {name!r} never changed the view"
    assert explorer.controls["length"].max == 4, "span length must stop at sbo_max_targets"


def test_view_names_the_boundaries_and_positions(model, tiny_tokenizer):
    view = sbo_predictions(model, tiny_tokenizer, SENTENCES[0], 3, 5, top_k=3)
    tokens = tiny_tokenizer.convert_ids_to_tokens(tiny_tokenizer(SENTENCES[0])["input_ids"])
    assert view.tokens == tuple(tokens)
    assert view.boundaries == (tokens[2], tokens[5]) and view.targets == tuple(tokens[3:5])
    assert len(view.sbo_top) == 2 and all(len(top) == 3 for top in view.sbo_top)
    for top in view.sbo_top:  # guesses sorted, probabilities in [0, 1]
        probs = [p for _, p in top]
        assert probs == sorted(probs, reverse=True) and 0 <= probs[-1] <= probs[0] <= 1
    summary = view.summary()
    assert "p0" in summary and "p1" in summary and "p2" not in summary


def test_predictions_depend_only_on_boundaries_and_position(model, tiny_tokenizer):
    """SBO reads x_{s-1}, x_{e+1} and p: its guesses for position 0 of spans (3, 4) and (3, 5)
    differ only through the right boundary; the view must come from the SBO head itself."""
    view = sbo_predictions(model, tiny_tokenizer, SENTENCES[1], 3, 5, top_k=4)
    ids = tiny_tokenizer(SENTENCES[1], return_tensors="pt")["input_ids"]
    masked = ids.clone()
    masked[0, 3:5] = tiny_tokenizer.mask_token_id
    with torch.no_grad():
        hidden = model.bert(masked).last_hidden_state[0]
        logits = model.cls.span_boundary(hidden[[2, 2]], hidden[[5, 5]], torch.tensor([0, 1]))
    probs = logits.softmax(-1)
    torch.testing.assert_close(
        torch.tensor([p for _, p in view.sbo_top[1]]), probs[1].topk(4).values
    )


def test_span_is_cut_before_sep_and_bad_spans_raise(model, tiny_tokenizer):
    explorer = SboExplorer(model, tiny_tokenizer, SENTENCES)
    n = len(tiny_tokenizer(SENTENCES[0])["input_ids"])
    assert explorer.span(SENTENCES[0], n - 3, 4) == (n - 3, n - 2)
    with pytest.raises(ValueError, match="boundaries"):
        sbo_predictions(model, tiny_tokenizer, SENTENCES[0], 1, 3)  # left boundary = [CLS]
    with pytest.raises(ValueError, match="positions"):
        sbo_predictions(model, tiny_tokenizer, SENTENCES[1], 2, 8)  # 6 > sbo_max_targets
    with pytest.raises(ValueError, match="too short"):
        SboExplorer(model, tiny_tokenizer, ["a ."])


def test_sentence_change_resets_the_start_slider(model, tiny_tokenizer):
    explorer = SboExplorer(model, tiny_tokenizer, SENTENCES)
    explorer.controls["sentence"].value = SENTENCES[1]
    explorer.controls["start"].value = explorer.controls["start"].max
    explorer.controls["sentence"].value = SENTENCES[2]
    n = len(tiny_tokenizer(SENTENCES[2])["input_ids"])
    assert explorer.controls["start"].max == n - 3
    assert explorer.status.value == "" and "span" in explorer.summary()


def test_state_belongs_to_the_explorer_not_to_globals(model, tiny_tokenizer):
    first = SboExplorer(model, tiny_tokenizer, SENTENCES)
    second = SboExplorer(model, tiny_tokenizer, SENTENCES)
    before = first.summary()
    second.controls["length"].value = 1
    assert first.summary() == before


def test_static_figure_save_png_and_checkpoint_directory(model, tiny_tokenizer, tmp_path):
    fig = sbo_explorer_figure(model, tiny_tokenizer, SENTENCES[1], 4, 7)
    assert len(fig.axes) == 1 + 3  # the token strip + one panel per span position
    model.save_pretrained(tmp_path / "ckpt")
    tiny_tokenizer.save_pretrained(tmp_path / "ckpt")
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        explorer = SboExplorer.from_pretrained(tmp_path / "ckpt", SENTENCES)
    finally:
        hf_logging.set_verbosity(level)
    assert explorer.summary() == SboExplorer(model, tiny_tokenizer, SENTENCES).summary()
    path = explorer.save_png(tmp_path / "view.png")
    assert path.stat().st_size > 1000
    with pytest.raises(FileNotFoundError):
        load_spanbert(tmp_path / "missing")


def test_loss_plot_has_one_line_pair_per_series():
    fig = plot_sbo_losses({"mlm_loss": [5.0, 4.0, 3.5], "sbo_loss": [5.5, 4.8, 4.1]}, smooth=2)
    assert len(fig.axes[0].lines) == 4


def test_explorer_opens_on_the_span_it_is_given(model, tiny_tokenizer):
    """Given the static figure's span, the widget opens on the same view (same summary)."""
    explorer = SboExplorer(model, tiny_tokenizer, SENTENCES, start=4, length=3)
    assert (explorer.controls["start"].value, explorer.controls["length"].value) == (4, 3)
    view = sbo_predictions(model, tiny_tokenizer, SENTENCES[0], 4, 7)
    assert explorer.summary() == view.summary()
    default = SboExplorer(model, tiny_tokenizer, SENTENCES)
    assert (default.controls["start"].value, default.controls["length"].value) == (3, 2)
    with pytest.raises(ValueError, match="start=1"):
        SboExplorer(model, tiny_tokenizer, SENTENCES, start=1)
    with pytest.raises(ValueError, match="length=5"):
        SboExplorer(model, tiny_tokenizer, SENTENCES, length=5)
