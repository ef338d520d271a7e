"""Relation extraction the SpanBERT / TACRED way, on sentences about the course world.

The paper fine-tunes on TACRED (``docs/spanbert-reference.md#qa``): the subject and object mentions
are *replaced* by typed marker tokens such as ``[SUBJ-PER]`` and ``[OBJ-LOC]`` and the relation is
classified from the ``[CLS]`` vector (through a pooler that is new for SpanBERT). The markers are
new tokens: the task declares them (:attr:`TaskSpec.added_tokens`), so loading a model for it adds
them to the tokenizer and gives each a fresh embedding row.

Here the sentences come from the course world's writer, which records every fact a sentence
states, so the labels are known by construction:

* a *positive* example is a stated fact whose subject and object are both named in the sentence;
* a ``no_relation`` example is a pair of named entities of the same sentence that the world
  relates in no way at all.

Train and test sentences come from documents about disjoint entities (focus id mod 5); the dev set
is drawn from the training documents' unused examples (:func:`relation_splits`). The score is
**macro-F1 over the relations** (``no_relation`` is not a class to be averaged; predicting it for a
true relation counts as a miss), and the paper's micro-F1 is reported beside it.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from spanbert_lab.contracts import TokenizerLike
from spanbert_lab.tasks.base import FinetuneConfig, Report, Row, TaskSpec, columns_to_rows
from spanbert_lab.world.build import make_world
from spanbert_lab.world.corpus import generate_documents
from spanbert_lab.world.world import World

__all__ = [
    "DATA_SEED",
    "LABELS",
    "MARKERS",
    "NO_RELATION",
    "RELATIONS",
    "SPLIT_SIZES",
    "TASK",
    "RelationExample",
    "balance",
    "entity_type",
    "first_per_class",
    "label_counts",
    "random_per_class",
    "related_pairs",
    "relation_examples",
    "relation_scores",
    "relation_splits",
]

RELATIONS: dict[str, str] = {
    "birthplace": "born in",
    "deathplace": "died in",
    "residence": "lived in",
    "employer": "worked for",
    "school": "educated at",
    "spouse": "married to",
    "parent": "child of",
    "founder": "founded by",
    "leader": "led by",
    "hq": "based in",
    "event_place": "held in",
    "organiser": "organised by",
}
"""The relations the world knows between named entities, with a plain-words gloss."""
NO_RELATION = "no_relation"
LABELS: tuple[str, ...] = (NO_RELATION, *RELATIONS)
_TYPES = {"P": "PER", "O": "ORG", "L": "LOC", "E": "EVENT"}
MARKERS: tuple[str, ...] = tuple(
    f"[{role}-{t}]" for role in ("SUBJ", "OBJ") for t in ("PER", "ORG", "LOC", "EVENT")
)
DATA_SEED = 14
"""The seed of the ``random.Random`` that writes the task's documents and draws its splits."""
SPLIT_SIZES: dict[str, int] = {
    "n_docs": 1500,
    "train_per_class": 60,
    "test_per_class": 60,
    "dev_per_class": 30,
}
"""The course splits (:func:`load`): documents written, examples per label in each split."""
KEYS = ("input_ids", "token_type_ids", "attention_mask", "labels")


@dataclass(frozen=True)
class RelationExample:
    """One sentence, a subject and an object mention ``(start, end, type)``, and the label."""

    text: str
    subj: tuple[int, int, str]
    obj: tuple[int, int, str]
    relation: str
    ids: tuple[str, str] = ("", "")  # world ids of subject and object (for checks, not a feature)

    def marked(self) -> str:
        """The sentence with both mentions replaced by typed markers (TACRED ``ner`` mode)."""
        parts = sorted([(self.subj, "SUBJ"), (self.obj, "OBJ")], key=lambda p: -p[0][0])
        text = self.text
        for (s, e, t), role in parts:  # right to left, so the left offsets stay valid
            text = f"{text[:s]}[{role}-{t}]{text[e:]}"
        return text


def entity_type(eid: str) -> str:
    """``PER``/``ORG``/``LOC``/``EVENT`` from a world id (``P12``, ``O3``, ``L40``, ``E7``)."""
    if eid[:1] not in _TYPES:
        raise ValueError(f"not a world entity id: {eid!r}")
    return _TYPES[eid[0]]


def related_pairs(world: World) -> set[frozenset[str]]:
    """Every unordered pair of entity ids the world relates in any way (for safe negatives)."""
    pairs: set[frozenset[str]] = set()

    def add(a: str, b: str) -> None:
        if a and b and a != b:
            pairs.add(frozenset((a, b)))

    for p in world.people.values():
        for other in (
            p.birthplace,
            p.deathplace,
            p.residence,
            p.employer,
            p.school,
            p.spouse,
            *p.parents,
            *p.siblings,
            *p.events,
        ):
            add(p.id, other)
    for o in world.orgs.values():
        for other in (o.founder, o.leader, o.hq):
            add(o.id, other)
    for pl in world.places.values():
        add(pl.id, pl.mayor)
        add(pl.id, pl.neighbour)
    for e in world.events.values():
        for other in (e.place, e.organiser, *e.participants):
            add(e.id, other)
    return pairs


def relation_examples(
    world: World, n_docs: int, rng: random.Random, *, negatives_per_sentence: int = 1
) -> tuple[list[RelationExample], list[RelationExample]]:
    """``(train, test)`` examples from ``n_docs`` freshly written documents (draws from ``rng``).

    A document goes to test when its focus entity's number is a multiple of 5, so test sentences
    are about other entities than training sentences.
    """
    if n_docs < 1:
        raise ValueError(f"n_docs must be ≥ 1, got {n_docs}")
    related = related_pairs(world)
    train: list[RelationExample] = []
    test: list[RelationExample] = []
    for doc in generate_documents(world, n_docs, rng):
        out = test if int(doc.focus[1:]) % 5 == 0 else train
        for sent in doc.sents:
            text, refs = sent.piece.text, [r for r in sent.piece.refs if r[2][:1] in _TYPES]
            for f in sent.facts:
                if f.relation not in RELATIONS:
                    continue
                subj = next((r for r in refs if r[2] == f.subject), None)
                obj = next((r for r in refs if (r[0], r[1]) == (f.start, f.end)), None)
                if subj is None or obj is None or (subj[1] > obj[0] and obj[1] > subj[0]):
                    continue
                out.append(
                    RelationExample(
                        text,
                        (subj[0], subj[1], entity_type(subj[2])),
                        (obj[0], obj[1], entity_type(obj[2])),
                        f.relation,
                        (subj[2], obj[2]),
                    )
                )
            candidates = [
                (a, b)
                for a in refs
                for b in refs
                if a[2] != b[2]
                and (a[1] <= b[0] or b[1] <= a[0])
                and frozenset((a[2], b[2])) not in related
                and b[2][0] != "E"
            ]
            for a, b in rng.sample(candidates, min(negatives_per_sentence, len(candidates))):
                out.append(
                    RelationExample(
                        text,
                        (a[0], a[1], entity_type(a[2])),
                        (b[0], b[1], entity_type(b[2])),
                        NO_RELATION,
                        (a[2], b[2]),
                    )
                )
    return train, test


def balance(
    examples: Sequence[RelationExample], per_class: int, rng: random.Random
) -> list[RelationExample]:
    """At most ``per_class`` examples of each label (a random subset drawn from ``rng``)."""
    by_label: dict[str, list[RelationExample]] = {}
    for ex in examples:
        by_label.setdefault(ex.relation, []).append(ex)
    out: list[RelationExample] = []
    for label in LABELS:
        group = by_label.get(label, [])
        out += rng.sample(group, min(per_class, len(group)))
    rng.shuffle(out)
    return out


def first_per_class(examples: Sequence[RelationExample], per_class: int) -> list[RelationExample]:
    """The first ``per_class`` examples of each label, in the order given (a nested subset: the
    first 5 per class lie inside the first 10)."""
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    seen: Counter[str] = Counter()
    out = []
    for ex in examples:
        if seen[ex.relation] < per_class:
            seen[ex.relation] += 1
            out.append(ex)
    return out


def random_per_class(
    examples: Sequence[RelationExample], per_class: int, generator: torch.Generator
) -> list[RelationExample]:
    """``per_class`` examples of each label drawn at random (``generator``), in the order given.

    Raises:
        ValueError: ``per_class`` < 1, or a label has fewer than ``per_class`` examples.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    by_label: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_label.setdefault(ex.relation, []).append(i)
    keep: list[int] = []
    for label in sorted(by_label):
        index = by_label[label]
        if len(index) < per_class:
            raise ValueError(f"label {label!r} has {len(index)} examples, fewer than {per_class}")
        draw = torch.randperm(len(index), generator=generator)[:per_class]
        keep += [index[int(j)] for j in draw]
    return [examples[i] for i in sorted(keep)]


def label_counts(examples: Sequence[RelationExample]) -> dict[str, int]:
    """How many examples of each label, in the order of :data:`LABELS`."""
    counts = Counter(ex.relation for ex in examples)
    return {label: counts.get(label, 0) for label in LABELS}


@functools.lru_cache(maxsize=4)
def relation_splits(
    n_docs: int = SPLIT_SIZES["n_docs"],
    train_per_class: int = SPLIT_SIZES["train_per_class"],
    test_per_class: int = SPLIT_SIZES["test_per_class"],
    dev_per_class: int = SPLIT_SIZES["dev_per_class"],
    *,
    seed: int = DATA_SEED,
) -> tuple[tuple[RelationExample, ...], ...]:
    """``(train, test, dev)``: balanced splits of ``n_docs`` documents of the course world.

    One ``random.Random(seed)`` writes the documents, then draws train (at most
    ``train_per_class`` per label, from the training documents), test (from the test documents)
    and last dev (from the training documents' examples that train did not take), so the size of
    dev never changes train or test. Cached: the same arguments give the same tuples.
    """
    rng = random.Random(seed)
    pool, test_pool = relation_examples(make_world(), n_docs, rng)
    train = balance(pool, train_per_class, rng)
    test = balance(test_pool, test_per_class, rng)
    used = set(map(id, train))
    dev = balance([ex for ex in pool if id(ex) not in used], dev_per_class, rng)
    return tuple(train), tuple(test), tuple(dev)


# --- scores ----------------------------------------------------------------------------------------


def relation_scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Macro-F1 over the relations (not ``no_relation``), the paper's micro P/R/F1, per-class F1.

    Micro (TACRED): a prediction counts when it is not ``no_relation``; it is right when it equals
    the gold label. Macro: per relation, F1 of "is this relation"; their unweighted mean over the
    relations present in ``gold``. All on a 0–1 scale.
    """
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    per_class = {}
    for rel in RELATIONS:
        tp = sum(g == p == rel for g, p in zip(gold, pred, strict=True))
        n_pred, n_gold = sum(p == rel for p in pred), sum(g == rel for g in gold)
        if n_gold == 0:
            continue
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold
        per_class[rel] = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    correct = sum(g == p != NO_RELATION for g, p in zip(gold, pred, strict=True))
    guessed = sum(p != NO_RELATION for p in pred)
    real = sum(g != NO_RELATION for g in gold)
    p_mi = correct / guessed if guessed else 0.0
    r_mi = correct / real if real else 0.0
    return {
        "macro_f1": sum(per_class.values()) / len(per_class) if per_class else 0.0,
        "micro_p": p_mi,
        "micro_r": r_mi,
        "micro_f1": 2 * p_mi * r_mi / (p_mi + r_mi) if p_mi + r_mi else 0.0,
        "per_class_f1": per_class,
    }


# --- the fine-tuning task --------------------------------------------------------------------------


def encode(
    examples: Sequence[RelationExample],
    tokenizer: TokenizerLike,
    _config: FinetuneConfig,
    max_length: int,
) -> tuple[list[Row], list[RelationExample]]:
    """The marked sentence (:meth:`RelationExample.marked`) → features, the relation → its index
    in :data:`LABELS`. The tokenizer must know the :data:`MARKERS` (a model loaded for this task
    has them)."""
    examples = list(examples)
    enc = tokenizer([ex.marked() for ex in examples], truncation=True, max_length=max_length)
    enc["labels"] = [LABELS.index(ex.relation) for ex in examples]
    return columns_to_rows(enc, KEYS), examples


def read(output: Any, b: int, _n: int) -> Any:
    """Row ``b``'s logits over :data:`LABELS`."""
    return output.logits[b].cpu().numpy()


def score(
    _examples: Any,
    meta: Sequence[RelationExample],
    outputs: Sequence[Any],
    _config: FinetuneConfig,
    _labels: Sequence[str],
) -> Report:
    """Macro-F1, micro P/R/F1 and ``f1_<relation>`` per relation present (0–100); the predicted
    label names; per example whether it was right."""
    predicted = [LABELS[int(np.argmax(o))] for o in outputs]
    gold = [ex.relation for ex in meta]
    scores = relation_scores(gold, predicted)
    metrics = {k: 100 * scores[k] for k in ("macro_f1", "micro_p", "micro_r", "micro_f1")}
    metrics.update({f"f1_{rel}": 100 * v for rel, v in scores["per_class_f1"].items()})
    return {
        "metrics": metrics,
        "predictions": predicted,
        "example_scores": {
            "ids": [str(i) for i in range(len(meta))],
            "columns": ["correct"],
            "scores": [[float(g == p)] for g, p in zip(gold, predicted, strict=True)],
        },
    }


def load(split: str, _version: str) -> list[RelationExample]:
    """The course split (``train``, ``dev`` or ``test``) of :func:`relation_splits` with
    :data:`SPLIT_SIZES`: 775, 331 and 580 examples."""
    names = ("train", "test", "dev")
    if split not in names:
        raise ValueError(f"relations has the splits {names}, not {split!r}")
    return list(relation_splits()[names.index(split)])


TASK = TaskSpec(
    name="relations",
    model_class="BertForSequenceClassification",
    default_max_length=96,
    load=load,
    encode=encode,
    read=read,
    score=score,
    class_names=LABELS,
    added_tokens=MARKERS,
    main_metric="macro_f1",
)
