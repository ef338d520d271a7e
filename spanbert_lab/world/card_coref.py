"""The data card's coreference section: the file format, the splits' sizes, what makes the
documents hard, how many sentences the pretraining corpus holds verbatim, and the trivial
baseline's dev scores (all read back from the files just written)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from spanbert_lab.data.coref import (
    antecedent_accuracy,
    muc_scores,
    nearest_compatible,
    read_coref,
)
from spanbert_lab.data.corpus import parse_corpus_text, read_text
from spanbert_lab.data.tokenizer import load_tokenizer

__all__ = ["coref_lines", "coref_stats"]

SPLITS = ("train", "dev", "test")
FORMS = ("pronoun", "nominal", "surname", "first", "name")


def coref_stats(out: Path) -> dict:
    """Per split: documents, sentences, WordPieces, mentions, links by form, verbatim overlap
    with the corpus's train sentences; the baseline's and "always none"'s dev scores."""
    tok = load_tokenizer(out / "tokenizer")
    text = read_text(out / "corpus" / "train.txt.gz")
    corpus = {s for d in parse_corpus_text(text, "train") for s in d}
    stats: dict = {"size": sum(p.stat().st_size for p in (out / "coref").glob("*") if p.is_file())}
    for split in SPLITS:
        docs = read_coref(out / "coref" / f"{split}.jsonl.gz")
        sents = [s for d in docs for s in d["sentences"]]
        lengths = [len(ids) for ids in tok([d["text"] for d in docs])["input_ids"]]
        mentions = [m for d in docs for m in d["mentions"]]
        stats[split] = {
            "documents": len(docs),
            "sentences": len(sents),
            "pieces_mean": sum(lengths) / len(lengths),
            "pieces_max": max(lengths),
            "mentions": len(mentions),
            "links": Counter(m["form"] for m in mentions if m["antecedent"] is not None),
            "in_corpus": sum(s in corpus for s in sents),
            "entities": {m["entity"] for m in mentions},
            "people": Counter(
                min(len({m["entity"] for m in d["mentions"] if m["type"] == "PER"}), 4)
                for d in docs
            ),
        }
        if split == "dev":
            entities = [[m["entity"] for m in d["mentions"]] for d in docs]
            guess = [nearest_compatible(d["mentions"]) for d in docs]
            none = [[None] * len(e) for e in entities]
            stats["baseline"] = (antecedent_accuracy(entities, guess), muc_scores(entities, guess))
            stats["none"] = antecedent_accuracy(entities, none)
            stats["baseline_links"] = _link_accuracy(docs, guess)
    return stats


def _link_accuracy(docs: list[dict], guess: list[list[int | None]]) -> dict[str, float]:
    """Share of the links (all, and by form: pronouns, descriptions, names) whose guessed
    antecedent is the same entity; ``pronoun_other``: share of the person pronouns whose entity
    is not the document's first-named one."""
    hits: dict[str, list[bool]] = {"all": [], "pronoun": [], "nominal": [], "name": []}
    other: list[bool] = []
    for d, g in zip(docs, guess, strict=True):
        ms = d["mentions"]
        for m, j in zip(ms, g, strict=True):
            if m["form"] == "pronoun" and m["type"] == "PER":
                other.append(m["entity"] != ms[0]["entity"])
            if m["antecedent"] is not None:
                ok = j is not None and ms[j]["entity"] == m["entity"]
                hits["all"].append(ok)
                hits[m["form"] if m["form"] in ("pronoun", "nominal") else "name"].append(ok)
    out = {k: sum(v) / len(v) for k, v in hits.items()}
    return out | {"pronoun_other": sum(other) / len(other)}


def coref_lines(out: Path) -> list[str]:
    """The card's "Coreference" section (Markdown lines)."""
    c = coref_stats(out)
    lines = ["\n### Coreference in miniature (`coref/`)\n"]
    lines.append(
        f"`coref/{{train,dev,test}}.jsonl.gz` ({c['size'] / 1e3:.0f} kB, not counted in the size "
        'above): one short document per line, `{"id", "kind", "sentences", "text", "mentions"}`; '
        '`text` is the sentences joined by one space; each mention is `{"start", "end", "text", '
        '"entity", "type", "form", "gender", "antecedent"}` (character offsets into `text`, in '
        "text order, never overlapping): the world entity it refers to, its type, how it refers "
        "(`name`, `surname`, `first` name, `pronoun` — she, his, its —, `nominal` — the painter, "
        "the company, the town, the festival), a person's gender, and the index of the closest preceding "
        "mention of the same entity (`null` for a first mention). The writer records each "
        "mention's entity while it writes the text, so the clusters are exact. Load with "
        "`spanbert_lab.data.coref.load_coref`. Provinces, rivers, landmarks, the country, dates, "
        "numbers and merely descriptive noun phrases are not mentions.\n"
    )
    lines.append(
        "| split | documents | sentences | WordPieces per document (mean / max) | mentions | "
        + " | ".join(f"links: {f}" for f in FORMS)
        + " |"
    )
    lines.append("|---" * (5 + len(FORMS)) + "|")
    for split in SPLITS:
        s = c[split]
        links = " | ".join(f"{s['links'][f]:,}" for f in FORMS)
        lines.append(
            f"| {split} | {s['documents']:,} | {s['sentences']:,} | {s['pieces_mean']:.0f} / "
            f"{s['pieces_max']} | {s['mentions']:,} | {links} |"
        )
    tr, dv, te = (c[s] for s in SPLITS)
    shared = len((dv["entities"] | te["entities"]) & tr["entities"])
    people = Counter()
    for split in SPLITS:
        people.update(c[split]["people"])
    n_docs = sum(c[split]["documents"] for split in SPLITS)
    lines.append(
        "\n- A link is a mention with an antecedent (`links: name` = a full name repeated). "
        "Documents (3–8 sentences) are written by the task's own writer "
        "(`spanbert_lab/world/docs_coref.py`), not taken from the corpus: each is about a person, "
        "an organisation, a place or an event together with other people — relatives, colleagues, "
        "founders, fellow participants, chosen of the same gender most of the time — and their "
        "organisations and places; "
        + ", ".join(
            f"{people[k] / n_docs:.0%} have {k if k < 4 else '4 or more'} people" for k in (2, 3, 4)
        )
        + ". Every sentence states facts of the world. A pronoun that opens a sentence continues "
        "the previous sentence's subject, even past a person of the same gender named after it; "
        "elsewhere a pronoun is used only where its gender picks one person (in the previous "
        "sentence, or so far). A description names a stated occupation (`the painter`), kind "
        "(`the port`) or organisation / event kind that no other entity named so far shares; a "
        "first name or surname alone is used only when no other person named so far shares it. "
        f"{c['baseline_links']['pronoun_other']:.0%} of the dev person pronouns refer to someone "
        "other than the document's first-named entity. Train, dev and test are about disjoint main "
        f"entities, though other entities recur ({shared:,} of the dev and test entities are also "
        "mentioned in train)."
    )
    lines.append(
        "- Leakage: the sentences are templated and describe the corpus's world, but few are "
        "phrased as the corpus's; those occur verbatim in the pretraining corpus (train): "
        + ", ".join(
            f"{split} {c[split]['in_corpus']:,} of {c[split]['sentences']:,} "
            f"({c[split]['in_corpus'] / c[split]['sentences']:.1%})"
            for split in SPLITS
        )
        + ". It is the same for every encoder."
    )
    (right, total), muc = c["baseline"]
    none, _ = c["none"]
    bl = c["baseline_links"]
    lines.append(
        f"- Reference points (dev): the nearest compatible earlier mention (a pronoun's nearest "
        f"person of its gender, `its`'s nearest non-person, a description's nearest mention of "
        f"its type, a surname's nearest person holding it, a name's nearest identical mention) "
        f"gives antecedent accuracy {right / total:.1%} and MUC F1 {muc['f1']:.1%}: the right "
        f"antecedent for {bl['all']:.1%} of the links — {bl['pronoun']:.1%} of the pronouns, "
        f"{bl['nominal']:.1%} of the descriptions, {bl['name']:.1%} of the names, surnames and "
        f'first names; answering "no antecedent" everywhere, {none / total:.1%} and 0. The '
        "pronouns and descriptions it misses are the ones that need the context (the previous "
        "subject, a stated occupation or kind); names are matched by their words, which a model "
        "has to learn from the pieces."
    )
    return lines
