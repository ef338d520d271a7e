"""SQuAD's official nested layout flattened to one row per question (the ``squad`` schema)."""

from __future__ import annotations

import datasets

__all__ = ["QA_FEATURES", "flatten_squad"]

QA_FEATURES = datasets.Features(
    {
        "id": datasets.Value("string"),
        "title": datasets.Value("string"),
        "context": datasets.Value("string"),
        "question": datasets.Value("string"),
        "answers": datasets.Sequence(
            {"text": datasets.Value("string"), "answer_start": datasets.Value("int32")}
        ),
    }
)


def flatten_squad(data: dict) -> datasets.Dataset:
    """Official-layout SQuAD dict → one row per question (``id title context question answers``)."""
    rows: dict[str, list] = {k: [] for k in QA_FEATURES}
    for article in data["data"]:
        for para in article["paragraphs"]:
            for qa in para["qas"]:
                rows["id"].append(qa["id"])
                rows["title"].append(article.get("title", ""))
                rows["context"].append(para["context"])
                rows["question"].append(qa["question"])
                rows["answers"].append(
                    {
                        "text": [a["text"] for a in qa["answers"]],
                        "answer_start": [a["answer_start"] for a in qa["answers"]],
                    }
                )
    return datasets.Dataset.from_dict(rows, features=QA_FEATURES)
