"""Relation extraction the SpanBERT / TACRED way, on sentences about the course world.

The paper fine-tunes on TACRED (``docs/spanbert-reference.md#qa``): the subject and object mentions are *replaced*
by typed marker tokens such as ``[SUBJ-PER]`` and ``[OBJ-LOC]`` and the relation is classified
from the ``[CLS]`` vector (through a pooler that is new for SpanBERT). Here the sentences come
from the course world's writer, which records every fact a sentence states, so the labels are
known by construction:

* a *positive* example is a stated fact whose subject and object are both named in the sentence;
* a ``no_relation`` example is a pair of named entities of the same sentence that the world
  relates in no way at all.

Train and test sentences come from documents about disjoint entities (focus id mod 5). The score
is **macro-F1 over the relations** (``no_relation`` is not a class to be averaged; predicting it
for a true relation counts as a miss), and the paper's micro-F1 is reported beside it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from transformers import BertConfig, BertForSequenceClassification

from spanbert_lab.finetune import (
    FinetuneConfig,
    load_tokenizer_for,
    predict,
    resolve_model_path,
    train_loop,
)
from spanbert_lab.runtime import quiet_transformers
from spanbert_lab.tasks import classify
from spanbert_lab.world.corpus import generate_documents
from spanbert_lab.world.world import World

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
            stated = set()
            for f in sent.facts:
                if f.relation not in RELATIONS:
                    continue
                subj = next((r for r in refs if r[2] == f.subject), None)
                obj = next((r for r in refs if (r[0], r[1]) == (f.start, f.end)), None)
                if subj is None or obj is None or (subj[1] > obj[0] and obj[1] > subj[0]):
                    continue
                stated.add((subj, obj))
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


def label_counts(examples: Sequence[RelationExample]) -> dict[str, int]:
    counts = Counter(ex.relation for ex in examples)
    return {label: counts.get(label, 0) for label in LABELS}


# --- scores ----------------------------------------------------------------------------------------


def relation_scores(gold: Sequence[str], pred: Sequence[str]) -> dict[str, Any]:
    """Macro-F1 over the relations (not ``no_relation``), the paper's micro P/R/F1, per-class F1.

    Micro (TACRED): a prediction counts when it is not ``no_relation``; it is right when it equals
    the gold label. Macro: per relation, F1 of "is this relation"; their unweighted mean over the
    relations present in ``gold``.
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


# --- fine-tuning -----------------------------------------------------------------------------------


def relation_model(encoder: str, *, seed: int) -> tuple[torch.nn.Module, Any]:
    """``BertForSequenceClassification`` over ``LABELS`` with the markers added to the vocabulary.

    ``random-tiny`` is the ``bert-tiny`` architecture with weights drawn from ``seed``; the new
    head, pooler and marker embeddings are drawn inside ``fork_rng`` seeded with ``seed``.
    """

    random_init = encoder.startswith("random-")
    path = resolve_model_path("bert-" + encoder[7:] if random_init else encoder)
    labels = {
        "num_labels": len(LABELS),
        "id2label": dict(enumerate(LABELS)),
        "label2id": {name: i for i, name in enumerate(LABELS)},
    }
    tokenizer = load_tokenizer_for(path)
    tokenizer.add_special_tokens({"additional_special_tokens": list(MARKERS)})
    with torch.random.fork_rng(devices=[]), quiet_transformers():
        torch.manual_seed(seed)
        if random_init:
            model = BertForSequenceClassification(BertConfig.from_pretrained(path, **labels))
        else:
            model = BertForSequenceClassification.from_pretrained(
                path, local_files_only=True, **labels
            )
        model.resize_token_embeddings(len(tokenizer))
    return model, tokenizer


def encode_examples(
    examples: Sequence[RelationExample], tokenizer: Any, max_length: int = 96
) -> list[dict[str, Any]]:
    """Rows for :func:`spanbert_lab.finetune.train_loop`: the marked text and the label id."""
    enc = tokenizer([ex.marked() for ex in examples], truncation=True, max_length=max_length)
    return [
        {
            "input_ids": enc["input_ids"][i],
            "token_type_ids": enc["token_type_ids"][i],
            "attention_mask": enc["attention_mask"][i],
            "labels": LABELS.index(ex.relation),
        }
        for i, ex in enumerate(examples)
    ]


@dataclass
class RelationRun:
    """One fine-tuning run: encoder, seed, scores, test predictions, seconds."""

    encoder: str
    seed: int
    scores: dict[str, Any]
    predictions: list[str]
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_relation_extraction(
    encoder: str,
    train: Sequence[RelationExample],
    test: Sequence[RelationExample],
    *,
    seed: int,
    config: FinetuneConfig | None = None,
) -> tuple[RelationRun, torch.nn.Module, Any]:
    """Fine-tune ``encoder`` on ``train`` and score it on ``test``.

    Returns the run record, the fine-tuned model and its tokenizer.
    """

    if not train or not test:
        raise ValueError("relation extraction needs training and test examples")
    config = config or FinetuneConfig(learning_rate=5e-4, epochs=8, batch_size=16, seed=seed)
    start = time.perf_counter()
    model, tokenizer = relation_model(encoder, seed=seed)
    train_loop(model, encode_examples(train, tokenizer), config, progress=False)
    logits = predict(model, encode_examples(test, tokenizer), read=classify.read)
    preds = [LABELS[int(torch.as_tensor(x).argmax())] for x in logits]
    scores = relation_scores([ex.relation for ex in test], preds)
    run = RelationRun(encoder, seed, scores, preds, time.perf_counter() - start)
    return run, model, tokenizer


def classify_relation(model: Any, tokenizer: Any, example: RelationExample) -> dict[str, float]:
    """Probabilities of each label for one example (sorted, most likely first)."""
    logits = predict(model, encode_examples([example], tokenizer), read=classify.read)[0]
    probs = torch.as_tensor(logits).softmax(-1).tolist()
    return dict(sorted(zip(LABELS, probs, strict=True), key=lambda kv: -kv[1]))
