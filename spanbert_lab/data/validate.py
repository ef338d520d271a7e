"""Checks on data read from disk: every error names the file and the item that is wrong.

Used by the loaders on every file they read (the course's own and the user's), and by the tests
on freshly built data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spanbert_lab.contracts import ENTITY_TYPES, NP

SPAN_TYPES = (*ENTITY_TYPES, NP)
_SPAN_SET = frozenset(SPAN_TYPES)


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


def validate_squad(data: Any, source: str) -> None:
    """Check the official SQuAD layout (v1.1 or v2.0) and that every answer sits at its offset.

    Raises:
        ValueError: naming ``source`` and the article / question at fault.
    """
    _require(isinstance(data, dict), f"{source}: expected a JSON object with a 'data' list")
    _require(isinstance(data.get("data"), list), f"{source}: missing the top-level 'data' list")
    seen: set[str] = set()
    for a, article in enumerate(data["data"]):
        where = f"{source}: article {a}"
        _require(isinstance(article, dict), f"{where}: expected an object")
        _require(isinstance(article.get("paragraphs"), list), f"{where}: missing 'paragraphs'")
        for p, para in enumerate(article["paragraphs"]):
            here = f"{where}, paragraph {p}"
            _require(isinstance(para, dict), f"{here}: expected an object")
            context = para.get("context")
            _require(isinstance(context, str), f"{here}: 'context' must be a string")
            _require(bool(context.strip()), f"{here}: empty context")
            _require(isinstance(para.get("qas"), list), f"{here}: missing 'qas'")
            for k, qa in enumerate(para["qas"]):
                _require(isinstance(qa, dict), f"{here}, question {k}: expected an object")
                qid = qa.get("id")
                _require(isinstance(qid, str) and bool(qid), f"{here}, question {k}: missing 'id'")
                _require(qid not in seen, f"{source}: question id {qid!r} appears twice")
                seen.add(qid)
                _require(
                    isinstance(qa.get("question"), str) and bool(qa["question"].strip()),
                    f"{source}: question {qid!r}: missing or empty 'question'",
                )
                answers = qa.get("answers")
                _require(
                    isinstance(answers, list),
                    f"{source}: question {qid!r}: 'answers' must be a list",
                )
                impossible = bool(qa.get("is_impossible", False))
                _require(
                    impossible or bool(answers),
                    f"{source}: question {qid!r} has no answer and is not marked is_impossible",
                )
                _require(
                    not (impossible and answers),
                    f"{source}: question {qid!r} is marked is_impossible but has answers",
                )
                for ans in [*answers, *qa.get("plausible_answers", [])]:
                    _check_answer(ans, context, f"{source}: question {qid!r}")


def _check_answer(ans: Any, context: str, where: str) -> None:
    _require(
        isinstance(ans, dict) and isinstance(ans.get("text"), str) and "answer_start" in ans,
        f"{where}: each answer needs 'text' and 'answer_start'",
    )
    start, text = ans["answer_start"], ans["text"]
    _require(isinstance(start, int) and start >= 0, f"{where}: bad answer_start {start!r}")
    found = context[start : start + len(text)]
    _require(
        found == text,
        f"{where}: answer {text!r} is not at answer_start {start} (the context there reads {found!r})",
    )


def validate_spans(sentence: str, spans: Sequence[Sequence[Any]], source: str, item: str) -> None:
    """Check ``[start, end, type]`` spans lie inside ``sentence`` and have a known type."""
    n = len(sentence)
    try:  # fast path; the loop below finds and names the culprit
        if all(0 <= s < e <= n and t in _SPAN_SET for s, e, t in spans):
            return
    except (TypeError, ValueError):
        pass
    for span in spans:
        _require(len(span) == 3, f"{source}: {item}: span {span!r} is not [start, end, type]")
        start, end, label = span
        _require(
            isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(sentence),
            f"{source}: {item}: span {span!r} is outside the sentence ({len(sentence)} characters)",
        )
        _require(label in SPAN_TYPES, f"{source}: {item}: unknown span type {label!r}")


def validate_documents(docs: Sequence[Sequence[str]], source: str) -> None:
    """Check there is at least one document and that none is empty."""
    _require(len(docs) > 0, f"{source}: no document found")
    for i, doc in enumerate(docs):
        _require(len(doc) > 0 and all(s.strip() for s in doc), f"{source}: document {i} is empty")


def validate_ner_row(row: Any, tag_names: Sequence[str], source: str, line: int) -> None:
    """Check one NER record: ``id``, equally long ``tokens`` and known ``ner_tags``."""
    _require(isinstance(row, dict), f"{source}: line {line}: expected a JSON object")
    rid = row.get("id", f"line {line}")
    tokens, tags = row.get("tokens"), row.get("ner_tags")
    _require(
        isinstance(tokens, list) and bool(tokens), f"{source}: {rid}: empty or missing 'tokens'"
    )
    _require(
        isinstance(tags, list) and len(tags) == len(tokens),
        f"{source}: {rid}: 'ner_tags' must be a list as long as 'tokens'",
    )
    for tag in tags:
        _require(tag in tag_names, f"{source}: {rid}: unknown tag {tag!r}")


def validate_classification_row(row: Any, names: Sequence[str], source: str, line: int) -> None:
    """Check one classification record: ``id``, non-empty ``text``, a known ``label``."""
    _require(isinstance(row, dict), f"{source}: line {line}: expected a JSON object")
    rid = row.get("id", f"line {line}")
    _require(
        isinstance(row.get("text"), str) and bool(row["text"].strip()),
        f"{source}: {rid}: empty 'text'",
    )
    _require(row.get("label") in names, f"{source}: {rid}: unknown label {row.get('label')!r}")
