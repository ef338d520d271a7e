"""The data card, ``data/README.md``: how the data is made, its statistics, how it differs.

Statistics are computed from the files just written (read back through the loaders), so the
card always describes the shipped bytes. Everything in it is deterministic: no timings, no dates.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from spanbert_lab.data.corpus import parse_corpus_text, read_text
from spanbert_lab.data.leakage import (
    context_overlap,
    corpus_sentences,
    leaked_questions,
    question_counts,
)
from spanbert_lab.data.loaders import load_classification, load_ner, load_qa, load_squad_json
from spanbert_lab.data.tokenizer import load_tokenizer
from spanbert_lab.world.card_baselines import baselines
from spanbert_lab.world.card_coref import coref_lines
from spanbert_lab.world.card_coverage import coverage_lines, coverage_stats
from spanbert_lab.world.tasks_ner import words

LICENCE = "MIT (the project's licence); the data is entirely synthetic"


def _hist(lengths: Iterable[int], top: int = 5) -> str:
    """``1: 41% · 2: 33% · … · 5+: 2%`` for a list of lengths."""
    c = Counter(min(n, top) for n in lengths)
    total = sum(c.values()) or 1
    cells = [f"{k if k < top else f'{top}+'}: {100 * c[k] / total:.0f}%" for k in range(1, top + 1)]
    return " · ".join(cells)


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}%" if b else "–"


def corpus_stats(out: Path, counts: Counter[str]) -> dict:
    """Documents, sentences, words, WordPieces and span statistics of the corpus files."""

    tok = load_tokenizer(out / "tokenizer")
    vocab_words = sorted(counts)
    lens = map(len, tok(vocab_words, add_special_tokens=False)["input_ids"])
    pieces = dict(zip(vocab_words, lens, strict=True))
    stats: dict = {"splits": {}, "vocab_size": len(tok), "word_types": len(counts)}
    stats["types_ge5"] = sum(1 for c in counts.values() if c >= 5)
    docs: dict[str, list[list[str]]] = {}
    for split in ("train", "dev"):
        docs[split] = parse_corpus_text(read_text(out / "corpus" / f"{split}.txt.gz"), split)
        sents = [s for d in docs[split] for s in d]
        stats["splits"][split] = {
            "documents": len(docs[split]),
            "sentences": len(sents),
            "unique": len(set(sents)),
            "words": sum(counts.values())
            if split == "train"
            else sum(len(words(s)) for s in sents),
            "chars": sum(len(s) for s in sents),
        }
    n_pieces = sum(counts[w] * pieces[w] for w in counts)
    stats["train_pieces"] = n_pieces
    stats["pieces_per_word"] = n_pieces / sum(counts.values())
    types: Counter[str] = Counter()
    span_texts: Counter[tuple[str, str]] = Counter()
    for line in read_text(out / "corpus" / "train.annotations.jsonl.gz").splitlines():
        rec = json.loads(line)
        sent = docs["train"][rec["doc"]][rec["sent"]]
        for a, b, t in rec["spans"]:
            span_texts[(t, sent[a:b])] += 1
    ent_len, np_len = Counter(), Counter()
    name_words: Counter[str] = Counter()
    for (t, text), n in span_texts.items():
        if t == "NP":
            np_len[len(words(text))] += n
        else:
            types[t] += n
            ent_len[len(words(text))] += n
            if t == "PER":
                for w in text.split():
                    name_words[w] += n
    stats["types"] = types
    stats["entity_len"] = _hist(ent_len.elements())
    stats["np_len"] = _hist(np_len.elements(), 8)
    stats["np_count"] = sum(np_len.values())
    distinct = sorted(name_words)
    name_lens = list(map(len, tok(distinct, add_special_tokens=False)["input_ids"]))
    total = sum(name_words.values())
    for k in (2, 3):
        hit = sum(name_words[w] for w, n in zip(distinct, name_lens, strict=True) if n >= k)
        stats[f"name_split{k}"] = _pct(hit, total)
    stats["example"] = " ".join(tok.tokenize(docs["train"][1][0]))
    train_sents = [x for d in docs["train"] for x in d]
    stats["question_lines"] = sum("?" in x for x in train_sents)
    stats["questions"] = sum(x.count("?") for x in train_sents)
    ask = next(x for d in docs["train"] for x in d if "?" in x)
    stats["question_example"] = " ".join(tok.tokenize(ask))
    return stats


def task_stats(out: Path) -> dict:
    """QA, NER and classification split sizes and distributions."""

    stats: dict = {"qa": {}, "ner": {}, "cls": {}}
    ans_len: list[int] = []
    for split in ("train", "dev", "test"):
        for version in ("1.1", "2.0"):
            ds = load_qa(split, version, out / "qa")
            n_imp = sum(1 for a in ds["answers"] if not a["text"])
            stats["qa"][(split, version)] = (len(set(ds["context"])), len(ds), n_imp)
            if version == "1.1":
                ans_len += [len(words(a["text"][0])) for a in ds["answers"]]
                ctx = sorted(set(ds["context"]))
                stats["qa"][(split, "ctx_words")] = sum(len(words(c)) for c in ctx) / len(ctx)
        ner = load_ner(split, out / "ner")
        names = ner.features["ner_tags"].feature.names
        tags = Counter(
            names[t] for row in ner["ner_tags"] for t in row if names[t].startswith("B-")
        )
        stats["ner"][split] = (len(ner), sum(len(t) for t in ner["tokens"]), tags)
        cls = load_classification(split, out / "classification")
        labels = cls.features["label"].names
        stats["cls"][split] = (len(cls), Counter(labels[i] for i in cls["label"]))
    stats["answer_len"] = _hist(ans_len)
    return stats


def qa_leakage_line(out: Path) -> str:
    """The data card's sentence on QA context sentences the pretraining corpus holds verbatim."""
    sentences = corpus_sentences([out / "corpus" / f"{s}.txt.gz" for s in ("train", "dev")])
    parts, questions = [], []
    for split in ("train", "dev", "test"):
        squad = load_squad_json(split, "1.1", path=out / "qa")
        found, total, hit, contexts = context_overlap(squad, sentences)
        parts.append(f"{split} {found:,} of {total:,} ({found / total:.1%}; {hit:,} of {contexts:,} contexts hold one)")  # fmt: skip
        n = question_counts(leaked_questions(squad, sentences))
        questions.append(f"{split} {n['leaked']:,} of {n['total']:,}")
    return (
        "- Leakage: the QA contexts and the pretraining corpus are written from the same world, and "
        "some context sentences occur verbatim in the corpus (train or dev documents; sentences "
        "split after `. ! ?` before a capital or a digit): "
        + "; ".join(parts)
        + ". Questions whose "
        "answer sits in such a sentence (*leaked*, `spanbert_lab.data.leakage`): "
        + ", ".join(questions)
        + " (v1.1). It is the same for every encoder; the ablation study "
        "reports its QA comparisons on leaked and clean questions separately.\n\n"
        "  ![QA v1.1 questions per split, leaked (red) and clean (blue)](../docs/img/leakage.png)"
        "\n\n  (`scripts/leakage_figure.py` draws the figure from the same counts.)"
    )


def write_card(
    out: Path, config: object, counts: Counter[str], managed: Iterable[str] = ()
) -> None:
    """Compute the statistics and write ``out / "README.md"``; ``managed`` names the folders
    of ``out`` whose size the card states (what the build owns)."""
    c = corpus_stats(out, counts)
    t = task_stats(out)
    tr, dv = c["splits"]["train"], c["splits"]["dev"]
    size = sum(p.stat().st_size for name in managed for p in (out / name).rglob("*") if p.is_file())
    head = TEMPLATE_HEAD.format(
        scale=getattr(config, "scale", 1.0), seed=getattr(config, "seed", 0), size=size / 1e6
    )
    lines = [head]
    lines.append("## Statistics\n\n### Pretraining corpus (`corpus/`)\n")
    lines.append("| | train | dev |\n|---|---|---|")
    for key in ("documents", "sentences", "unique", "words", "chars"):
        label = {
            "unique": "distinct sentences",
            "words": "words (BERT pre-tokenisation)",
            "chars": "characters",
        }.get(key, key)
        lines.append(f"| {label} | {tr[key]:,} | {dv[key]:,} |")
    lines.append(
        f"| sentences per document | {tr['sentences'] / tr['documents']:.1f} | {dv['sentences'] / dv['documents']:.1f} |"
    )
    lines.append(
        f"\n- WordPieces in train: **{c['train_pieces']:,}**; WordPieces per word: **{c['pieces_per_word']:.2f}** (BERT's cased vocabulary on English Wikipedia: about 1.2–1.3)."
    )
    lines.append(
        f"- Distinct word types in train: {c['word_types']:,} ({c['types_ge5']:,} occur at least 5 times); vocabulary: {c['vocab_size']:,} WordPieces."
    )
    lines.append(
        f"- Words of person names (first names, surnames) split into 2 or more WordPieces: {c['name_split2']}; into 3 or more: {c['name_split3']}."
    )
    lines.append(f"- First sentence, tokenised: `{c['example']}`")
    lines.append(
        f"- Lines holding a question (interviews, letters, FAQ pages, quizzes, customers' questions): {c['question_lines']:,} of {tr['sentences']:,} ({_pct(c['question_lines'], tr['sentences'])}), with {c['questions']:,} questions; the first, tokenised: `{c['question_example']}`"
    )
    total = sum(c["types"].values())
    lines.append("\nEntity mentions in train (types, counts, share):\n")
    lines.append("| type | mentions | share |\n|---|---|---|")
    for ty, n in sorted(c["types"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {ty} | {n:,} | {_pct(n, total)} |")
    lines.append(f"\n- Entity length in words: {c['entity_len']}")
    lines.append(
        f"- Noun phrases (`NP`, not counting bare entity mentions): {c['np_count']:,}; length in words: {c['np_len']}"
    )
    lines.append("\n### Extractive QA (`qa/`, official SQuAD layout)\n")
    lines.append(
        "| split | contexts | v1.1 questions | v2.0 questions | unanswerable (v2.0) | context words |"
    )
    lines.append("|---|---|---|---|---|---|")
    for split in ("train", "dev", "test"):
        ctx, n1, _ = t["qa"][(split, "1.1")]
        _, n2, imp = t["qa"][(split, "2.0")]
        lines.append(
            f"| {split} | {ctx} | {n1:,} | {n2:,} | {imp:,} ({_pct(imp, n2)}) | {t['qa'][(split, 'ctx_words')]:.0f} |"
        )
    lines.append(f"\n- Answer length in words (all v1.1 answers): {t['answer_len']}")
    lines.append(qa_leakage_line(out))
    lines.append("\n### Named-entity recognition (`ner/`)\n")
    ner_types = sorted(x.removeprefix("B-") for x in t["ner"]["train"][2])
    lines.append("Entity mentions (B- tags) per type:\n")
    lines.append("| split | sentences | tokens | " + " | ".join(ner_types) + " |")
    lines.append("|---" * (3 + len(ner_types)) + "|")
    for split in ("train", "dev", "test"):
        n, ntok, tags = t["ner"][split]
        cells = " | ".join(f"{tags['B-' + x]:,}" for x in ner_types)
        lines.append(f"| {split} | {n:,} | {ntok:,} | {cells} |")
    lines.append("\n### Review sentiment (`classification/`)\n")
    lines.append("| split | reviews | negative | mixed | positive |\n|---|---|---|---|---|")
    for split in ("train", "dev", "test"):
        n, lab = t["cls"][split]
        lines.append(
            f"| {split} | {n:,} | {lab['negative']:,} | {lab['mixed']:,} | {lab['positive']:,} |"
        )
    if (out / "coref").is_dir():
        lines.extend(coref_lines(out))
    lines.extend(coverage_lines(coverage_stats(out)))
    base = baselines(out)
    lines.append("\n### Reference points (dev)\n")
    lines.append(
        f"- Review sentiment: majority class {base['cls_majority']:.1%}; naive Bayes on words and word pairs {base['cls_nb']:.1%}. A fine-tuned model should beat the second; the reviews' hidden ratings make 100% unreachable."
    )
    lines.append(
        f"- NER: tagging each word with its most frequent training tag gives entity F1 {base['ner_memorise_f1']:.1%} ({base['ner_unseen']:.1%} of dev words never occur in train, mostly rare names), the floor a model must clear by using context."
    )
    lines.append(
        "- QA: every answerable question's context holds at least two mentions of the answer's type, so guessing by type alone is at best a coin toss."
    )
    lines.append(FINETUNED_FIGURES)
    v = c["vocab_size"]
    lines.append(
        TEMPLATE_TAIL.format(
            vocab=v,
            params=v * 128 / 1e6,
            mb=v * 128 * 4 / 1e6,
            pieces_m=c["train_pieces"] / 1e6,
            licence=LICENCE,
        )
    )
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


# Where the fine-tuned numbers live: the study's results, not the data build (the card describes
# the shipped data bytes only).
FINETUNED_FIGURES = """
### Fine-tuned scores

How the course's encoders do on these tasks — pretrained or not, BERT's masking or SpanBERT's,
several seeds with confidence intervals, on the test splits — is measured by the pretraining
study (`make study`): `data/results/study/summary.md`. The reference points above are the floors
a fine-tuned model must clear; the ceilings are 100 for QA (oracle decoding recovers every
answer) and NER, and below 100 for the reviews (hidden ratings)."""

TEMPLATE_HEAD = """# Data card: the spanbert-lab course data

Everything in this folder except other parts' outputs (`checkpoints/`, `results/`) is generated by
`make data` (`python -m spanbert_lab.data build --output data`, seed {seed}, scale {scale}) and is
rebuilt byte-identically by it (a test checks this). Nothing is downloaded. The generated files
take {size:.1f} MB (all gzipped).

## What it is

A fictional country, **Osterhal**, with its provinces, towns, rivers, companies, colleges,
newspapers, clubs, parties, hospitals and societies, some 16,000 people and 400 events (fairs,
floods, treaties, strikes, regattas, expeditions). `spanbert_lab.world.world` draws the world
(entities with attributes and relations); `docs_people`, `docs_world` and `docs_events` write
documents about it (biographies, places, organisations, events) and `reviews` writes customer
reviews. `docs_interviews`, `docs_faq` and `reviews` also write the genres that ask questions:
interviews, letters, FAQ pages, quizzes and customers' questions ("Where did you grow up?", "How
many people live in Vellmouth?", "Which of these lies in Kestmark: …?", "What were the nurses
like at the Royal Ostvik Hospital?"), each question on one line with its answer, so that
pretraining sees the question words and `?` that the QA task's questions use. They are about one
statement document in five, come from their own generator (the statement documents are the same
with or without them), never ask a question whose subject is an entity that a QA dev or test
document is about, and share no question template with the QA task.
Sentences are assembled from templates, several phrasings per fact, with coreference (pronouns,
surnames, "the company"), lists, nested noun phrases, dates in six styles (`12 March 1843`,
`March 12, 1843`, `the 12th of March 1843`, `1843-03-12`, `March 1843`, `1843`), counts as digits,
with separators, in words or in millions, and distractor facts about related entities.
Names are built from syllables, so most are rare and split into several WordPieces.

Every entity mention and noun phrase is annotated with character offsets and a type while the
sentence is being built (never by searching the text afterwards): `PER`, `ORG`, `LOC`, `DATE`,
`NUM`, `EVENT`, `MISC` for entities, `NP` for other noun phrases (a noun phrase that is just an
entity mention is not repeated as `NP`; nested spans are allowed).

## Files

| path | content |
|---|---|
| `corpus/{{train,dev}}.txt.gz` | pretraining text: one sentence per line, a blank line between documents (the official SpanBERT input format); no sentence occurs twice |
| `corpus/{{train,dev}}.annotations.jsonl.gz` | one record per sentence: `{{"doc": i, "sent": j, "spans": [[start, end, type], ...]}}`, offsets within the sentence |
| `tokenizer/` | cased WordPiece tokenizer (`tokenizer.json`, `tokenizer_config.json`, `vocab.txt`); `AutoTokenizer.from_pretrained("data/tokenizer")` |
| `qa/squad-v{{1.1,2.0}}-{{train,dev,test}}.json.gz` | extractive QA in the official SQuAD layouts (gzipped JSON) |
| `ner/{{train,dev,test}}.jsonl.gz` | `{{"id", "tokens", "ner_tags"}}`, BIO tag names |
| `classification/{{train,dev,test}}.jsonl.gz` | `{{"id", "text", "label"}}`, label names `negative`, `mixed`, `positive` |

Load them with `spanbert_lab.data.load_corpus`, `load_tokenizer`, `load_qa` (or
`load_squad_json` for the raw layout), `load_ner` and `load_classification`.

Corpus train/dev are disjoint documents. The task sets are written from *fresh* documents (not
the corpus documents), and train, dev and test are written about disjoint main entities
(entity ids bucketed by number), so no test context is a training context. They describe the
same world as the corpus, as SQuAD's Wikipedia paragraphs overlap BERT's pretraining text.

- **QA**: each context is one document; questions paraphrase the facts its sentences state
  ("Where did X pass away?" for "X died in Y"), and a fact is only asked about when the context
  mentions at least two entities of the answer's type. Dev and test list every mention of the
  answer in the context as an accepted answer, train lists the first. SQuAD 2.0 adds about one
  unanswerable question per two answerable ones: a relation of a mentioned entity that the text
  does not state, or an answerable question with its subject swapped for an absent entity of
  the same kind (its original answer kept as `plausible_answers`).
- **NER**: sentences of fresh documents, CoNLL-style words (numbers with separators stay whole,
  possessive `'s` is its own word), BIO tags over the seven entity types.
- **Classification**: reviews whose hidden star rating sets each aspect sentence's chance of
  being positive; negation, contrast and a verdict that is only sometimes present make it a task
  of weighing evidence, not of spotting one keyword; some reviews are genuinely ambiguous.
"""

TEMPLATE_TAIL = """
## Tokenizer

Cased WordPiece (no lower-casing, no accent stripping, BERT's punctuation splitting, `##`
continuations), special tokens `[PAD]`=0, `[UNK]`=1, `[CLS]`=2, `[SEP]`=3, `[MASK]`=4. The
vocabulary has **{vocab:,}** entries. Why that size: the tiny course models must stay a few MB,
and the embedding matrix is vocab × hidden ({vocab:,} × 128 = {params:.2f}M parameters, {mb:.1f} MB in
float32, shared with the MLM and SBO output layers). The corpus's frequent words (English function words,
the template vocabulary, common place-name parts) all fit as whole words, which is why pieces per
word sit a little below BERT's on real English, while the rare personal names still split into
several pieces — which is what makes whole-word and span masking differ from sub-word masking.
A smaller vocabulary would mostly split ordinary words; a larger one would start storing whole
names. {vocab:,} is
a multiple of 64 (friendly to matrix kernels). The merges are learned from word counts taken with
`tokenizers`' BERT pre-tokeniser by a small deterministic trainer (most frequent pair first, ties
by text), because `tokenizers`' own WordPiece trainer breaks ties differently from run to run.

## How it differs from real text

- Templated: a few hundred sentence frames, so syntax is far less varied than in books or
  Wikipedia; a model can learn the frames. Vocabulary is small (thousands of word types, not
  millions) and there is almost no rare common-noun vocabulary.
- Every fact is consistent inside the world (one birthplace per person) but documents are
  short (a few to a dozen sentences) and have no discourse beyond lists of facts.
- Names are syllable-built and unusually regular; there are no spelling errors, no quotes and
  no tables; the only dialogue is the interviews' question-and-answer lines.
- Reviews follow a simple rating model; real reviews carry sarcasm and off-topic text.
- The corpus is small (about {pieces_m:.1f} million WordPieces, no sentence repeated): a pretraining run that
  reads fewer tokens than that (say 500 steps of 32 blocks of 128 tokens) never sees a sentence
  twice. Use `--scale` for a larger one (`python -m spanbert_lab.data build --output /tmp/big
  --scale 4`); the world, the tokenizer's procedure and the task sets stay the same.
- NER has few `EVENT` mentions (events are rarely named outside their own documents).

## Licence

{licence}. All people, places and organisations are fictional; any resemblance to real
ones is accidental.
"""
