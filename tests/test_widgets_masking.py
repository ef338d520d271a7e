"""Drive every control of the mask explorer across its range; the static figure agrees."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from test_masking_fixtures import synthetic_documents, wordpiece_tokenizer
from widget_driver import sweep

from spanbert_lab.course.widgets.masking import MaskExplorer, mask_explorer_figure
from spanbert_lab.data.blocks import build_blocks
from spanbert_lab.masking import unigram_counts


@pytest.fixture(scope="module")
def passage():
    tok = wordpiece_tokenizer()
    blocks = build_blocks(synthetic_documents(4), tok, 28)
    counts = unigram_counts(
        (b.input_ids for b in blocks.blocks), len(tok), ignore_ids=tok.all_special_ids
    )
    return tok, blocks.blocks[0], counts  # few tokens: fast redraws


def test_every_control_changes_the_view(passage):
    tok, block, counts = passage
    explorer = MaskExplorer(
        tok, block.input_ids, annotations=block.annotations, unigram_counts=counts, n_masks=16
    )
    assert list(explorer.controls["scheme"].options) == [
        "subword",
        "whole_word",
        "span",
        "entity",
        "noun_phrase",
    ]
    seen = sweep(explorer)
    for name, summaries in seen.items():
        assert len(summaries) >= 2, f"moving {name!r} never changed the view"
    assert plt.get_fignums() == [], "the explorer leaked pyplot figures"


def test_static_figure_matches_widget(passage, tmp_path):
    tok, block, counts = passage
    explorer = MaskExplorer(tok, block.input_ids, unigram_counts=counts, n_masks=16)
    assert "entity" not in explorer.controls["scheme"].options, "entity offered without annotations"
    fig, summary = mask_explorer_figure(tok, block.input_ids, unigram_counts=counts, n_masks=16)
    plt.close(fig)
    assert summary == explorer.summary()
    assert "scheme=span p=0.20 max_span=10 ratio=0.15 replacement=span seed=0" in summary
    assert explorer.save_png(tmp_path / "view.png").stat().st_size > 1000


def test_invalid_settings_reported(passage):
    tok, block, counts = passage
    with pytest.raises(ValueError, match="entities"):
        mask_explorer_figure(tok, block.input_ids, scheme="entity", unigram_counts=counts)
    with pytest.raises(ValueError, match="geometric_p"):
        mask_explorer_figure(tok, block.input_ids, p=0.0, unigram_counts=counts)
    with pytest.raises(ValueError, match="unigram_counts="):
        mask_explorer_figure(tok, block.input_ids)


def test_plots_return_figures(passage):
    import torch

    from spanbert_lab.course.plots.masking import (
        plot_accuracy_by_context,
        plot_masked_tokens,
        plot_schemes_side_by_side,
        plot_span_length_distributions,
        token_view,
    )
    from spanbert_lab.masking import mask_batch, sample_span_lengths

    tok, block, counts = passage
    ids = torch.tensor(block.input_ids)
    out = mask_batch(
        ids[None], tokenizer=tok, unigram_counts=counts, generator=torch.Generator().manual_seed(0)
    )
    view = token_view(tok, ids, out.input_ids[0], out.labels[0], out.spans[0])
    targets = [i for i, f in enumerate(view.fates) if f in ("[MASK]", "random", "kept")]
    assert targets == (out.labels[0] != -100).nonzero().flatten().tolist()
    assert view.fates[0] == view.fates[-1] == "special"
    lengths = sample_span_lengths(500, generator=torch.Generator().manual_seed(0))
    figures = [
        plot_masked_tokens(view),
        plot_schemes_side_by_side({"span": view, "again": view}),
        plot_span_length_distributions(samples=lengths),
        plot_accuracy_by_context({"a": 0.5, "b": 0.2}),
    ]
    assert [len(f.axes) for f in figures] == [1, 2, 1, 1]
    for figure in figures:
        plt.close(figure)


def test_token_view_shows_what_the_model_reads(passage):
    """The boxes show the model's input — [MASK], the random token, the kept original — with each
    hidden original in brackets under its [MASK] or random token."""
    import torch

    from spanbert_lab.course.plots.masking import FATE_COLOURS, plot_masked_tokens, token_view
    from spanbert_lab.masking import MaskingConfig, mask_batch

    tok, block, counts = passage
    ids = torch.tensor(block.input_ids)
    config = MaskingConfig(mask_ratio=0.5, replacement="token")  # many targets, mixed fates
    fates: set[str] = set()
    for seed in range(20):
        out = mask_batch(
            ids[None],
            tokenizer=tok,
            config=config,
            unigram_counts=counts,
            generator=torch.Generator().manual_seed(seed),
        )
        view = token_view(tok, ids, out.input_ids[0], out.labels[0], out.spans[0])
        assert view.shown == tuple(tok.convert_ids_to_tokens(out.input_ids[0].tolist()))
        for i, fate in enumerate(view.fates):
            if fate == "[MASK]":
                assert view.seen(i) == "[MASK]"
            elif fate == "random":
                assert view.seen(i) != view.tokens[i]
            else:
                assert view.seen(i) == view.tokens[i]
        fates |= set(view.fates)
        if {"[MASK]", "random", "kept"} <= fates and "random" in view.fates:
            break
    assert {"[MASK]", "random", "kept"} <= fates, f"no seed showed every fate: {fates}"
    fig = plot_masked_tokens(view)
    texts = [t.get_text() for t in fig.axes[0].texts]
    hidden = [i for i, f in enumerate(view.fates) if f in ("[MASK]", "random")]
    for i in hidden:
        assert view.seen(i) in texts and f"({view.tokens[i]})" in texts
    assert len(texts) == len(view.tokens) + len(hidden)  # one extra line per hidden original
    colours = list(FATE_COLOURS.values())
    assert len(set(colours)) == len(colours)
    plt.close(fig)
