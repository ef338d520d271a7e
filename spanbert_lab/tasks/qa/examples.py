"""QA examples (SQuAD layout: ``id``, ``question``, ``context``, ``answers``): checked and listed,
and written as the official SQuAD JSON object the scorer reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["examples_to_list", "squad_json"]

_REQUIRED = ("id", "question", "context")


def examples_to_list(examples: Any) -> list[dict[str, Any]]:
    """Examples as a list of dicts, from a ``datasets.Dataset``, a list of dicts or a dict of lists.

    Raises:
        ValueError: an example lacks ``id``, ``question`` or ``context``, or a field has the wrong
            type.
    """
    if isinstance(examples, Mapping):  # a batch: dict of equal-length columns
        columns = {k: list(v) for k, v in examples.items()}
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of the examples batch differ in length: {sorted(lengths)}")
        n = lengths.pop() if lengths else 0
        rows = [{k: v[i] for k, v in columns.items()} for i in range(n)]
    else:
        rows = [dict(row) for row in examples]
    for i, row in enumerate(rows):
        for key in _REQUIRED:
            if key not in row:
                raise ValueError(f"QA example {i} has no {key!r} field (needs {_REQUIRED})")
        for key in ("question", "context"):
            if not isinstance(row[key], str):
                raise ValueError(f"QA example {row['id']!r}: {key} must be a str, got {row[key]!r}")
        if not row["context"].strip():
            raise ValueError(f"QA example {row['id']!r} has an empty context")
    return rows


def squad_json(examples: Any) -> dict[str, Any]:
    """The official SQuAD JSON object for QA examples (one paragraph per distinct context)."""
    articles: dict[str, dict[str, dict[str, Any]]] = {}
    for ex in examples_to_list(examples):
        paragraphs = articles.setdefault(str(ex.get("title", "")), {})
        para = paragraphs.setdefault(ex["context"], {"context": ex["context"], "qas": []})
        answers = ex.get("answers") or {"text": [], "answer_start": []}
        para["qas"].append(
            {
                "id": ex["id"],
                "question": ex["question"],
                "answers": [
                    {"text": t, "answer_start": int(s)}
                    for t, s in zip(answers["text"], answers["answer_start"], strict=True)
                ],
            }
        )
    data = [{"title": t, "paragraphs": list(p.values())} for t, p in articles.items()]
    return {"version": "course", "data": data}
