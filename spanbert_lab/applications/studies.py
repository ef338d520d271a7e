"""The four application studies, each a function of its settings that returns plain JSON data.

``python -m spanbert_lab.applications`` runs them (several seeds, every encoder) and stores the
results in ``data/results/applications-<study>.json``; notebook 06 reads those files and re-runs a
short slice live. Every number carries a 95% interval: a t interval over fine-tuning seeds
(relation extraction) or a percentile bootstrap over held-out examples (generator seeded with
:data:`BOOTSTRAP_SEED`) for the studies without training.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import torch

from spanbert_lab.applications import probe, relations, search, summarise
from spanbert_lab.applications.encoders import layer_features, load_encoder
from spanbert_lab.applications.lexical import BM25Index, TfidfIndex
from spanbert_lab.data import load_classification
from spanbert_lab.finetune import FinetuneConfig
from spanbert_lab.stats import (
    bootstrap_interval,
    paired_difference,
    t_interval,
    welch_interval,
    wilson_interval,
)
from spanbert_lab.tasks import relations as relation_task
from spanbert_lab.world.build import make_world

BOOTSTRAP_SEED = 0
# Each study writes its own documents from its own generator (never the corpus files' draws).
DATA_SEEDS = {"relations": relation_task.DATA_SEED, "search": 15, "summarise": 16, "probe": 17}
RE_SETTINGS = {
    "n_docs": 1500,
    "train_per_class": 60,
    "test_per_class": 60,
    "learning_rate": 5e-4,
    "epochs": 8,
    "batch_size": 16,
}
SEARCH_SETTINGS = {"n_docs": 200, "max_sentences": 6, "fact_queries_per_doc": 2}
SUMMARY_SETTINGS = {"n_docs": 150, "k": 3}
PROBE_SETTINGS = {"sentiment_train": 600, "mention_docs": 800, "mention_per_type": 80}


def _ci(values: torch.Tensor | Sequence[float], generator: torch.Generator) -> list[float]:
    value, low, high = bootstrap_interval(values, generator=generator)
    return [round(value, 4), round(low, 4), round(high, 4)]


def relation_data(
    settings: dict[str, Any] = RE_SETTINGS, *, with_dev: bool = False
) -> tuple[list, ...]:
    """The balanced train and test examples of the relation study (and a dev set if asked):
    :func:`spanbert_lab.tasks.relations.relation_splits` with the study's sizes.

    The dev set (``dev_per_class`` per label, default 30) is drawn after train and test from the
    training documents' unused examples, so its size leaves train and test unchanged. With
    ``train_subset_per_class`` the training set is cut to the first that many examples of each
    label *after* every draw: test and dev stay exactly those of the full-data study (with
    ``train_subset_draw="random"`` the cut is made per seed by :func:`relation_study` instead, and
    this returns the full training set).
    """
    train, test, dev = map(
        list,
        relation_task.relation_splits(
            settings["n_docs"],
            settings["train_per_class"],
            settings["test_per_class"],
            settings.get("dev_per_class", relation_task.SPLIT_SIZES["dev_per_class"]),
            seed=DATA_SEEDS["relations"],
        ),
    )
    per_class = settings.get("train_subset_per_class")
    if per_class is not None and settings.get("train_subset_draw", "first") == "first":
        train = relation_task.first_per_class(train, per_class)  # 0 is refused, not ignored
    return (train, test, dev) if with_dev else (train, test)


def _re_config(settings: dict[str, Any], seed: int, lr: float) -> FinetuneConfig:
    return FinetuneConfig(
        learning_rate=lr,
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        seed=seed,
        max_steps=settings.get("max_steps"),
    )


def _training_sets(
    settings: dict[str, Any], seeds: Sequence[int]
) -> tuple[list, list, list, dict[int, list]]:
    """The full training set, test, dev, and each seed's training set (seed 0's always)."""
    draw = settings.get("train_subset_draw", "first")
    if draw not in ("first", "random"):
        raise ValueError(f"train_subset_draw = {draw!r}: choose 'first' or 'random'")
    per_class = settings.get("train_subset_per_class")
    if draw == "random" and per_class is None:
        raise ValueError("train_subset_draw = 'random' needs train_subset_per_class")
    full, test, dev = relation_data(settings, with_dev=True)
    if draw == "random":
        subsets = {
            seed: relation_task.random_per_class(full, per_class, torch.Generator().manual_seed(seed))
            for seed in {0, *seeds}
        }  # fmt: skip
    else:
        subsets = dict.fromkeys({0, *seeds}, full)
    return full, test, dev, subsets


def relation_study(
    encoders: Sequence[str],
    seeds: Sequence[int],
    settings: dict[str, Any] = RE_SETTINGS,
    log: Any = None,
) -> dict[str, Any]:
    """Fine-tune every encoder with every seed on the registered task ``"relations"``
    (:func:`spanbert_lab.finetune.finetune`); macro-F1 per run, t intervals, paired differences.

    With ``settings["train_subset_draw"] == "random"`` (and ``train_subset_per_class``), seed *s*
    trains every encoder on its own random draw of that many examples per label
    (:func:`~spanbert_lab.tasks.relations.random_per_class`, generator seeded with *s*; a
    learning-rate grid is run on seed 0's draw); the record lists each seed's draw.
    """
    full, test, dev, subsets = _training_sets(settings, seeds)
    train = subsets[0]
    runs: dict[str, list[dict[str, Any]]] = {}
    selection: dict[str, dict[str, float]] = {}
    chosen: dict[str, float] = {}
    for name in encoders:
        lr = settings["learning_rate"]
        if settings.get("lr_grid"):  # the paper's protocol: pick the LR on dev, seed 0
            for grid_lr in settings["lr_grid"]:
                result = relations.run_relation_extraction(
                    name, train, dev, _re_config(settings, 0, grid_lr)
                )
                f1 = relations.fractions(result)["macro_f1"]
                selection.setdefault(name, {})[str(grid_lr)] = round(f1, 4)
                if log:
                    log(f"relations {name} lr {grid_lr}: dev macro-F1 {f1:.3f}")
            lr = float(max(selection[name], key=lambda k: selection[name][k]))
        chosen[name] = lr
        for seed in seeds:
            result = relations.run_relation_extraction(
                name, subsets[seed], test, _re_config(settings, seed, lr)
            )
            scores = relations.fractions(result)
            runs.setdefault(name, []).append(
                {
                    "seed": seed,
                    "seconds": round(result.seconds, 1),
                    **{k: round(v, 4) for k, v in scores.items() if k != "per_class_f1"},
                    "per_class_f1": {k: round(v, 4) for k, v in scores["per_class_f1"].items()},
                }
            )
            if log:
                log(f"relations {name} seed {seed}: macro-F1 {scores['macro_f1']:.3f}")
    summary = {}
    for name, rs in runs.items():
        summary[name] = {
            m: [round(x, 4) for x in t_interval([r[m] for r in rs])]
            for m in ("macro_f1", "micro_f1")
        }
    diffs = {}
    pairs = [(a, "random-tiny") for a in encoders if a != "random-tiny" and "random-tiny" in runs]
    pairs += [
        (a, "bert-tiny")
        for a in ("span-tiny", "spanbert-tiny")
        if a in runs and "bert-tiny" in runs
    ]
    for a, b in pairs:
        d = [x["macro_f1"] - y["macro_f1"] for x, y in zip(runs[a], runs[b], strict=True)]
        diffs[f"{a} - {b}"] = [round(x, 4) for x in t_interval(d)]
    drawn = {}
    if (
        settings.get("train_subset_draw") == "random"
    ):  # each seed's draw, as positions in the full training set
        position = {id(ex): i for i, ex in enumerate(full)}
        drawn = {"train_subsets": {str(s): [position[id(ex)] for ex in subsets[s]] for s in seeds}}
    return {
        "settings": settings,
        **drawn,
        "n_train": len(train),
        "n_test": len(test),
        "train_counts": relation_task.label_counts(train),
        "test_counts": relation_task.label_counts(test),
        "n_dev": len(dev),
        "dev_selection": selection,
        "learning_rate_used": chosen,
        "runs": runs,
        "macro_f1_ci": summary,
        "differences": diffs,
    }


RE_PAIRS = (
    ("bert-tiny", "random-tiny"),
    ("span-tiny", "random-tiny"),
    ("spanbert-tiny", "random-tiny"),
    ("span-tiny", "bert-tiny"),
    ("spanbert-tiny", "bert-tiny"),
    ("spanbert-tiny", "span-tiny"),  # the SBO's own comparison
)


def paired_differences(
    record: dict[str, Any], pairs: Sequence[tuple[str, str]] = RE_PAIRS, metric: str = "macro_f1"
) -> dict[str, tuple[float, float, float]]:
    """``{"a - b": (mean, low, high)}``: the per-seed paired difference of a relation study's
    ``metric`` with its 95% t interval, recomputed from the stored runs (not rounded, unlike the
    record's ``differences``; and for any pair, e.g. ``spanbert-tiny - span-tiny``)."""
    runs = record["runs"]
    out = {}
    for a, b in pairs:
        if a in runs and b in runs:
            seeds_a = {r["seed"]: r[metric] for r in runs[a]}
            seeds_b = {r["seed"]: r[metric] for r in runs[b]}
            if seeds_a.keys() != seeds_b.keys():
                raise ValueError(
                    f"{a} and {b} ran different seeds: {sorted(seeds_a)} vs {sorted(seeds_b)}"
                )
            out[f"{a} - {b}"] = t_interval([seeds_a[s] - seeds_b[s] for s in sorted(seeds_a)])
    return out


def gain_change(
    small: dict[str, Any], large: dict[str, Any], encoder: str, control: str = "random-tiny"
) -> tuple[float, float, float]:
    """How much larger ``encoder``'s per-seed gain over ``control`` is in the study ``small``
    than in the study ``large`` (e.g. 5 against 60 examples per label), with a 95% Welch
    interval: the two studies' runs are independent."""

    def gains(record: dict[str, Any]) -> list[float]:
        ref = {r["seed"]: r["macro_f1"] for r in record["runs"][control]}
        return [r["macro_f1"] - ref[r["seed"]] for r in record["runs"][encoder]]

    return welch_interval(gains(small), gains(large))


def search_data(settings: dict[str, Any] = SEARCH_SETTINGS) -> tuple[list, list]:
    rng = random.Random(DATA_SEEDS["search"])
    return search.search_collection(
        make_world(),
        settings["n_docs"],
        rng,
        max_sentences=settings["max_sentences"],
        fact_queries_per_doc=settings["fact_queries_per_doc"],
    )


def search_methods(
    encoders: Sequence[str], passages: Sequence[search.Passage], queries: Sequence[search.Query]
) -> dict[str, torch.Tensor]:
    """(Q, P) scores of every retriever: ``tfidf``, ``bm25`` and ``<encoder>/<pooling>``."""
    texts, qtexts = [p.text for p in passages], [q.text for q in queries]
    scores = {"tfidf": TfidfIndex(texts).scores(qtexts), "bm25": BM25Index(texts).scores(qtexts)}
    for name in encoders:
        enc = load_encoder(name)
        for pooling in ("mean", "cls"):
            scores[f"{name}/{pooling}"] = search.dense_scores(enc, texts, qtexts, pooling=pooling)
        scores[f"{name}/span"] = search.span_scores(enc, passages, qtexts)
    return scores


def search_study(
    encoders: Sequence[str], settings: dict[str, Any] = SEARCH_SETTINGS
) -> dict[str, Any]:
    """Recall@k and MRR of every retriever on the fact and the entity queries."""
    passages, queries = search_data(settings)
    scores = search_methods(encoders, passages, queries)
    out: dict[str, Any] = {"settings": settings, "n_passages": len(passages)}
    for kind in ("fact", "entity"):
        idx = [i for i, q in enumerate(queries) if q.kind == kind]
        sub = [queries[i] for i in idx]
        out[f"n_{kind}_queries"] = len(sub)
        table = {}
        for method, s in scores.items():
            if method.endswith("/span") and kind != "entity":
                continue
            m = search.rank_metrics(s[idx], sub)
            g = torch.Generator().manual_seed(BOOTSTRAP_SEED)
            table[method] = {
                "mrr": _ci(m["rr"], g),
                **{k: _ci(v, g) for k, v in m.items() if k != "rr"},
            }
        out[kind] = table
    return out


def summary_data(settings: dict[str, Any] = SUMMARY_SETTINGS) -> list[summarise.SummaryDoc]:
    rng = random.Random(DATA_SEEDS["summarise"])
    return summarise.summary_documents(make_world(), settings["n_docs"], rng)


def summary_study(
    encoders: Sequence[str], settings: dict[str, Any] = SUMMARY_SETTINGS
) -> dict[str, Any]:
    """Key-fact recall of the top-k sentences for lead-k, random, TF-IDF and each encoder."""
    docs, k = summary_data(settings), settings["k"]
    per_doc = {
        "lead": summarise.evaluate_summaries(docs, summarise.lead_scorer, k),
        "random": torch.stack(
            [
                summarise.evaluate_summaries(
                    docs, None, k, generator=torch.Generator().manual_seed(s)
                )
                for s in range(10)
            ]
        ).mean(0),
        "tfidf": summarise.evaluate_summaries(docs, summarise.tfidf_scorer, k),
    }
    for name in encoders:
        enc = load_encoder(name)
        for pooling in ("mean", "cls"):
            per_doc[f"{name}/{pooling}"] = summarise.evaluate_summaries(
                docs, summarise.encoder_scorer(enc, pooling), k
            )
    g = torch.Generator().manual_seed(BOOTSTRAP_SEED)
    return {
        "settings": settings,
        "n_docs": len(docs),
        "mean_sentences": round(sum(len(d.sentences) for d in docs) / len(docs), 2),
        "mean_key_facts": round(sum(len(d.all_key_facts) for d in docs) / len(docs), 2),
        "key_fact_recall": {m: _ci(v, g) for m, v in per_doc.items()},
    }


def probe_data(settings: dict[str, Any] = PROBE_SETTINGS) -> dict[str, Any]:
    """Texts, spans and labels of the two probes (sentiment; entity type)."""

    rng = random.Random(DATA_SEEDS["probe"])
    train, test = load_classification("train"), load_classification("dev")
    keep = probe.subsample(range(len(train)), settings["sentiment_train"], rng)
    m_train, m_test = probe.mention_examples(
        make_world(), settings["mention_docs"], rng, per_type=settings["mention_per_type"]
    )
    return {
        "sentiment": (
            [train[i]["text"] for i in keep],
            None,
            [train[i]["label"] for i in keep],
            list(test["text"]),
            None,
            list(test["label"]),
            3,
        ),
        "entity_type": (
            [r[0] for r in m_train],
            [r[1] for r in m_train],
            [r[2] for r in m_train],
            [r[0] for r in m_test],
            [r[1] for r in m_test],
            [r[2] for r in m_test],
            len(probe.ENTITY_TYPES),
        ),
    }


def probe_study(
    encoders: Sequence[str], settings: dict[str, Any] = PROBE_SETTINGS
) -> dict[str, Any]:
    """Probe accuracy per layer (95% Wilson intervals: a bootstrap of a perfect score has no
    width), the majority-class baseline, and per layer the paired difference of the pairs of
    :data:`RE_PAIRS` on the same test items (paired bootstrap over items, 95%)."""

    data = probe_data(settings)
    out: dict[str, Any] = {"settings": settings}
    for task, (xtr, str_, ytr, xte, ste, yte, _n_classes) in data.items():
        ytr_t, yte_t = torch.tensor(ytr), torch.tensor(yte)
        majority = int(torch.bincount(ytr_t).argmax())
        g = torch.Generator().manual_seed(BOOTSTRAP_SEED)
        table: dict[str, Any] = {"majority": _wilson((yte_t == majority).double())}
        correct_by: dict[str, torch.Tensor] = {}
        for name in encoders:
            enc = load_encoder(name)
            correct = probe.probe_curve(
                layer_features(enc, xtr, str_),
                ytr_t,
                layer_features(enc, xte, ste),
                yte_t,
            )
            table[name] = [_wilson(row) for row in correct]
            correct_by[name] = correct.double()
        diffs = {
            f"{a} - {b}": [_rounded(paired_difference(ra, rb, generator=g))
                           for ra, rb in zip(correct_by[a], correct_by[b], strict=True)]
            for a, b in RE_PAIRS
            if a in correct_by and b in correct_by
        }  # fmt: skip
        out[task] = {"n_train": len(ytr), "n_test": len(yte), "accuracy_by_layer": table,
                     "differences_by_layer": diffs}  # fmt: skip
    return out


def _rounded(interval: Sequence[float]) -> list[float]:
    return [round(float(v), 4) for v in interval]


def _wilson(correct: torch.Tensor) -> list[float]:
    """Accuracy of 0/1 ``correct`` with its 95% Wilson interval."""
    low, high = wilson_interval(float(correct.sum()), len(correct))
    return _rounded([correct.mean(), low, high])
