"""The data card's reference points on dev: majority class and naive Bayes for the reviews,
tagging by memorisation for NER — where "chance" and "easy" lie for a fine-tuned model."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from pathlib import Path

from spanbert_lab.data.loaders import load_classification, load_ner

__all__ = ["baselines", "naive_bayes_accuracy"]


def naive_bayes_accuracy(out: Path, split: str = "dev") -> tuple[float, float]:
    """Review sentiment: the majority class's and naive Bayes's accuracy on ``split``.

    Naive Bayes on lower-cased words and word pairs, add-one smoothing, trained on ``train``.
    """
    tr = load_classification("train", out / "classification")
    ev = load_classification(split, out / "classification")

    def feats(text: str) -> list[str]:
        w = re.findall(r"\w+|[^\w\s]", text.lower())
        return w + [a + "_" + b for a, b in itertools.pairwise(w)]

    counts = [Counter() for _ in range(3)]
    prior = Counter(tr["label"])
    for text, label in zip(tr["text"], tr["label"], strict=True):
        counts[label].update(feats(text))
    vocab = len(set().union(*counts))
    totals = [sum(c.values()) for c in counts]

    def nb(text: str) -> int:
        f = feats(text)
        return max(
            range(3),
            key=lambda k: (
                math.log(prior[k])
                + sum(math.log((counts[k][x] + 1) / (totals[k] + vocab)) for x in f)
            ),
        )

    majority = max(Counter(ev["label"]).values()) / len(ev)
    correct = sum(nb(t) == y for t, y in zip(ev["text"], ev["label"], strict=True))
    return majority, correct / len(ev)


def baselines(out: Path) -> dict[str, float]:
    """Simple reference points on dev: majority class, naive Bayes, NER by memorisation.

    They show where "chance" and "easy" lie, so a fine-tuned model can be judged against them.
    """
    majority, nb = naive_bayes_accuracy(out, "dev")
    res = {"cls_majority": majority, "cls_nb": nb}
    ntr, ndv = load_ner("train", out / "ner"), load_ner("dev", out / "ner")
    names = ntr.features["ner_tags"].feature.names
    best: dict[str, Counter[int]] = {}
    for toks, tags in zip(ntr["tokens"], ntr["ner_tags"], strict=True):
        for tok, tag in zip(toks, tags, strict=True):
            best.setdefault(tok, Counter())[tag] += 1

    def spans(tags: list[int]) -> set[tuple[int, int, str]]:
        found, cur = set(), None
        for i, t in enumerate([*tags, 0]):
            n = names[t]
            if cur and not (n.startswith("I-") and n[2:] == cur[1]):
                found.add((cur[0], i, cur[1]))
                cur = None
            if n.startswith("B-") or (n.startswith("I-") and cur is None):
                cur = (i, n[2:])
        return found

    tp = fp = fn = unseen = n_tok = 0
    for toks, tags in zip(ndv["tokens"], ndv["ner_tags"], strict=True):
        guess = [best[t].most_common(1)[0][0] if t in best else 0 for t in toks]
        unseen += sum(t not in best for t in toks)
        n_tok += len(toks)
        gold, pred = spans(list(tags)), spans(guess)
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    res["ner_memorise_f1"] = 2 * tp / (2 * tp + fp + fn)
    res["ner_unseen"] = unseen / n_tok
    return res
