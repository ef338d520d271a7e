"""Drive every control of the attention explorer across its range."""

from __future__ import annotations

import pytest
import torch
from transformers import BertConfig
from widget_driver import sweep

from spanbert_lab.course.widgets.attention import AttentionExplorer, attention_maps, load_encoder
from spanbert_lab.model.trunk import SpanBertModel

SENTENCES = ["The cat sat on the mat .", "Maria won the match in Paris .", "Aldov was a city ."]


@pytest.fixture()
def model(tiny_tokenizer):
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tiny_tokenizer.vocab_size,
        hidden_size=16,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=24,
    )
    return SpanBertModel(config).eval()


def test_every_control_changes_the_view(model, tiny_tokenizer):
    explorer = AttentionExplorer(model, tiny_tokenizer, SENTENCES)
    seen = sweep(explorer)
    for name, summaries in seen.items():
        assert len(summaries) >= 2, f"moving {name!r} never changed the view"
    assert explorer.figure is not None


def test_sentence_change_updates_query_tokens(model, tiny_tokenizer):
    explorer = AttentionExplorer(model, tiny_tokenizer, SENTENCES)
    explorer.controls["query"].value = 5
    explorer.controls["sentence"].value = SENTENCES[2]
    tokens, _ = attention_maps(model, tiny_tokenizer, SENTENCES[2])
    assert len(explorer.controls["query"].options) == len(tokens)
    assert repr(tokens[1]) in explorer.summary()


def test_state_belongs_to_the_explorer_not_to_globals(model, tiny_tokenizer):
    first = AttentionExplorer(model, tiny_tokenizer, SENTENCES)
    second = AttentionExplorer(model, tiny_tokenizer, SENTENCES[1:])
    before = first.summary()
    second.controls["layer"].value = 2
    assert first.summary() == before
    first.controls["layer"].value = 1
    assert first.summary() != before


def test_save_png_and_checkpoint_directory(model, tiny_tokenizer, tmp_path, monkeypatch):
    model.save_pretrained(tmp_path / "ckpt")
    tiny_tokenizer.save_pretrained(tmp_path / "ckpt")
    explorer = AttentionExplorer.from_pretrained(tmp_path / "ckpt", SENTENCES)
    path = explorer.save_png(tmp_path / "view.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.chdir(tmp_path)  # the button saves into the working folder: not the repository
    explorer.save_button.click()
    assert "saved" in explorer.status.value and (tmp_path / explorer.png_name).is_file()


def test_bad_inputs_are_explained(model, tiny_tokenizer, tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_encoder(tmp_path / "missing")
    with pytest.raises(ValueError, match="empty"):
        attention_maps(model, tiny_tokenizer, "   ")
    with pytest.raises(ValueError, match="at least one sentence"):
        AttentionExplorer(model, tiny_tokenizer, [])


def test_lesson_figures_draw_their_reference_lines():
    """Notebook 01's figures: the even-weights line 1/n_keys, T and T² references through the
    middle length (not the cache-bound last point), and an attention grid with the whole sentence
    in its title and readable tick labels."""
    import matplotlib.pyplot as plt

    from spanbert_lab.course.plots.attention import (
        attention_grid,
        plot_attention_cost,
        plot_score_statistics,
        score_statistics,
    )

    stats = score_statistics(
        [4, 16], n_keys=8, samples=50, generator=torch.Generator().manual_seed(0)
    )
    assert stats.n_keys == 8
    fig = plot_score_statistics(stats)
    levels = {round(float(line.get_ydata()[0]), 4) for line in fig.axes[1].lines[2:]}
    assert levels == {1.0, 0.125}
    plt.close(fig)

    lengths, seconds = [128, 256, 512, 1024, 2048], [1e-4, 4e-4, 2e-3, 2e-2, 4e-1]
    fig = plot_attention_cost(lengths, seconds)
    for line in fig.axes[0].lines[1:]:  # the two references pass through the T = 512 point
        assert abs(line.get_ydata()[2] - seconds[2]) < 1e-12, line.get_label()
        assert "T = 512" in line.get_label()
    plt.close(fig)

    tokens = ["[CLS]", *[f"word{i}" for i in range(30)], "[SEP]"]
    fig = attention_grid(torch.rand(2, 2, 32, 32), tokens)
    title = fig._suptitle.get_text().replace("\n", " ")
    assert title.endswith("word29") and "…" not in title
    assert min(t.get_fontsize() for t in fig.axes[0].get_xticklabels()) >= 7
    plt.close(fig)
