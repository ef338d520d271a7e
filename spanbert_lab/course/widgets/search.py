"""A search box over passages about the course world: type a query, see the top hits and scores.

Thin over :mod:`spanbert_lab.applications.search` (scores) and
:func:`spanbert_lab.course.plots.applications.plot_search_hits` (the view). The retrievers are given as
*scoring functions* ``(queries) -> (Q, P) tensor`` so the widget works with the lexical baselines
and any encoder; :func:`search_static_figure` draws the same view without a kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import ipywidgets as w
import torch
from matplotlib.figure import Figure

from spanbert_lab.applications.search import Passage, Query, search
from spanbert_lab.course.plots.applications import plot_search_hits
from spanbert_lab.course.widgets.base import Explorer

__all__ = ["TYPED", "SearchExplorer", "search_static_figure"]

TYPED = -1  # the "example" value meaning: use the typed query
Retriever = Callable[[Sequence[str]], torch.Tensor]


def search_static_figure(
    retriever: Retriever,
    passages: Sequence[Passage],
    query: Query | str,
    *,
    method: str,
    k: int = 5,
) -> Figure:
    """The explorer's view for one query."""
    text = query if isinstance(query, str) else query.text
    relevant = () if isinstance(query, str) else tuple(query.relevant)
    hits = search(retriever([text]), passages, 0, k)
    return plot_search_hits(hits, query=text, method=method, relevant=relevant)


class SearchExplorer(Explorer):
    """Search the passages with several retrievers; compare their top hits.

    Args:
        retrievers: ``{name: fn(queries) -> (Q, P) scores}`` (e.g. ``tfidf``, ``spanbert-tiny/mean``).
        passages: the passages searched.
        queries: example queries (with their relevant passages, shown in green).
        typed: initial text of the typed query.
    """

    def __init__(
        self,
        retrievers: Mapping[str, Retriever],
        passages: Sequence[Passage],
        queries: Sequence[Query],
        *,
        typed: str = "",
    ) -> None:
        if not retrievers:
            raise ValueError("SearchExplorer needs at least one retriever")
        self.retrievers = dict(retrievers)
        self.passages = list(passages)
        self.queries = list(queries)
        options = [(f"{i}: [{q.kind}] {q.text[:50]}", i) for i, q in enumerate(self.queries)]
        controls = {
            "example": w.Dropdown(
                options=[*options, ("✎ typed query", TYPED)],
                value=0 if options else TYPED,
                description="query",
            ),
            "method": w.Dropdown(options=list(self.retrievers), description="retriever"),
            "k": w.IntSlider(value=5, min=1, max=10, description="top k"),
            "typed": w.Text(
                value=typed or (self.queries[0].text if self.queries else ""),
                description="typed",
                continuous_update=False,
                layout=w.Layout(width="60%"),
            ),
        }
        super().__init__(controls, png_name="search_hits.png")

    def draw(self, *, example: int, method: str, k: int, typed: str) -> tuple[Figure, str]:
        """Top-k hits of the chosen query; the summary lists them with their scores."""
        if example == TYPED:
            if not typed.strip():
                raise ValueError("type a query first")
            text, relevant = typed.strip(), ()
        else:
            q = self.queries[example]
            text, relevant = q.text, tuple(q.relevant)
        hits = search(self.retrievers[method]([text]), self.passages, 0, k)
        fig = plot_search_hits(hits, query=text, method=method, relevant=relevant)
        found = [i for i, _, _ in hits if i in relevant]
        lines = [f"{method} | {text!r} | top {k}: relevant found {len(found)}"]
        lines += [f"  #{i} {s:+.3f} {'*' if i in relevant else ' '} {t[:50]}" for i, s, t in hits]
        return fig, "\n".join(lines)
