# %% [markdown]
# # 06 · What SpanBERT is for: applications, and the real checkpoints
#
# Popular write-ups list many uses for SpanBERT — information extraction, search, summarisation,
# "feed the features to an SVM", even machine translation — and some get them wrong. This notebook
# tries each use on the course's own encoders and the course world, measures it, and says what
# the numbers show, including where a tiny encoder loses to a ten-line baseline.
#
# **Goals**
#
# 1. Relation extraction the SpanBERT/TACRED way: typed marker tokens for subject and object,
#    a classifier on top, macro-F1.
# 2. Semantic search: mean-pooled, `[CLS]` and span-pooled vectors against TF-IDF and BM25, with
#    recall@k and MRR on held-out queries.
# 3. Extractive summarisation: score sentences, keep the top k, count the key facts kept — and
#    why an encoder can extract but not generate.
# 4. Frozen features + a linear classifier per layer: the blog's "SVM" idea done properly.
# 5. Why not machine translation.
# 6. The released checkpoints, handled honestly: hub ids, tokenizer, and the missing MLM head.
#
# Every number comes with a 95% interval (seeds or bootstrap). Four encoders share one
# architecture, those of the course's pretraining study (notebook 04): `random-tiny` (never
# trained), `bert-tiny`, `span-tiny` (span masking, no SBO) and `spanbert-tiny`.
# The multi-seed studies were run from the command line and stored in `data/results/`; each
# section re-runs a short slice live.

# %%
from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
rt

# %% [markdown]
# ## The encoders and the stored studies
#
# Checkpoints are read **by name** from `data/checkpoints/`, so this notebook re-runs unchanged when
# better checkpoints replace today's. `random-tiny` is the same architecture with seeded random
# weights: the floor that shows what pretraining bought.

# %%
import json

from spanbert_lab.applications import ENCODERS, load_encoder
from spanbert_lab.runtime import data_dir

encoders = {name: load_encoder(name) for name in ENCODERS}
{name: sum(p.numel() for p in e.model.parameters()) for name, e in encoders.items()}

# %%
results = {
    study: json.loads((data_dir() / "results" / f"applications-{study}.json").read_text())
    for study in ("relations", "search", "summarise", "probe")
}
results["relations"]["command"]

# %% [markdown]
# That command (it takes a few minutes on a 2-core CPU) writes all four result files; the probe
# file was last rewritten by its own command (`python -m spanbert_lab.applications probe`). Each
# file holds the command that wrote it, the machine and the settings beside its numbers.
#
# ## 1 · Relation extraction, the SpanBERT way
#
# For TACRED the paper replaces the subject and object mentions by **typed marker tokens** —
# `[SUBJ-PER]`, `[OBJ-LOC]` … — and classifies the relation from the `[CLS]` vector through a
# pooler that is new for SpanBERT (it was pretrained without one). The course world records every
# fact its sentences state, so labels are known by construction: a stated fact is a positive
# example (born in, works for, founded by …); a pair of named entities that the world relates in
# no way is `no_relation`. Test sentences come from documents about other entities than the
# training sentences' documents. Relation extraction is a fine-tuning task like QA and NER
# (`spanbert_lab.tasks.relations`, run by `finetune("relations", ...)` or
# `python -m spanbert_lab finetune relations --model spanbert-tiny`); this section runs it on
# the four encoders.

# %%
from spanbert_lab.applications import relations, studies
from spanbert_lab.tasks.relations import label_counts

re_train, re_test = studies.relation_data()
example = next(ex for ex in re_train if ex.relation == "employer")
example.text, example.marked()

# %%
len(re_train), len(re_test), label_counts(re_test)

# %% [markdown]
# ### Exercise 06.1 — typed markers
#
# Write `mark_entities(text, subj, obj)`: `subj` and `obj` are `(start, end, TYPE)` character
# spans (`end` exclusive, as in Python slices; the subject may come before or after the object);
# return the text with each mention replaced by `[SUBJ-TYPE]` / `[OBJ-TYPE]`. Stuck?
# `ex.mark_entities.hint()` gives hints one by one, `ex.mark_entities.solution()` the answer.


# %%
from spanbert_lab.course.exercises import nb06_applications as ex


def mark_entities(text, subj, obj):
    ### BEGIN SOLUTION
    for (start, end, kind), role in sorted([(subj, "SUBJ"), (obj, "OBJ")], key=lambda m: -m[0][0]):
        text = text[:start] + f"[{role}-{kind}]" + text[end:]
    return text
    ### END SOLUTION


ex.mark_entities.check(mark_entities)

# %% [markdown]
# The markers are new tokens: they are added to the tokenizer and get fresh embedding rows.
# **Macro-F1** averages the F1 of each relation (not `no_relation`), so a rare relation counts as
# much as `born in`; the paper's TACRED score is the micro-F1, which the stored results keep
# beside it (`micro_f1`).
#
# ### Exercise 06.2 — macro-F1 over the relations
#
# Write `macro_f1(gold, pred)` for two equal-length lists of labels: the F1 of each relation that
# occurs in `gold` (not `no_relation`; a relation only ever predicted does not count), averaged.
# Stuck? `ex.macro_f1.hint()` and `ex.macro_f1.solution()`.


# %%
def macro_f1(gold, pred):
    ### BEGIN SOLUTION
    f1s = []
    for rel in sorted(set(gold) - {"no_relation"}):
        tp = sum(g == p == rel for g, p in zip(gold, pred, strict=True))
        n_pred = sum(p == rel for p in pred)
        n_gold = sum(g == rel for g in gold)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold
        f1s.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0
    ### END SOLUTION


ex.macro_f1.check(macro_f1)

# %% [markdown]
# A live run: fine-tune `spanbert-tiny` with seed 0, the settings of the stored study (on a
# 2-core CPU about 15 s).

# %% tags=["nbval-ignore-output"]
import time

import torch

from spanbert_lab.finetune import FinetuneConfig

settings = results["relations"]["settings"]
config = FinetuneConfig(learning_rate=settings["learning_rate"], epochs=settings["epochs"],
                        batch_size=settings["batch_size"], seed=0)  # fmt: skip
start = time.perf_counter()
torch.set_num_threads(1)  # as the stored study ran (and setup_notebook's default)
live_run = relations.run_relation_extraction("spanbert-tiny", re_train, re_test, config)
live_f1 = relations.fractions(live_run)["macro_f1"]
print(f"{time.perf_counter() - start:.0f} s, macro-F1 {live_f1:.3f}")

# %%
stored_f1 = [r["macro_f1"] for r in results["relations"]["runs"]["spanbert-tiny"]]
min(stored_f1) - 0.02 <= live_f1 <= max(stored_f1) + 0.02

# %% [markdown]
# The live score lies within the range of the stored seeds (on the machine that ran the study it
# repeats the stored seed-0 run; other CPUs change the last digits, and small differences grow
# during training). The fine-tuned model in action on a test sentence:

# %%
test_example = next(e for e in re_test if e.relation == "birthplace")
probs = relations.classify_relation(live_run.trained_model, live_run.tokenizer, test_example)
test_example.marked(), "predicted: " + next(iter(probs)), "gold: " + test_example.relation

# %% [markdown]
# The stored study: every encoder, five seeds each (mean and 95% t interval over seeds).

# %%
from spanbert_lab.course.plots.applications import plot_intervals
from spanbert_lab.stats import fmt_ci, verdict

re_ci = results["relations"]["macro_f1_ci"]
{name: fmt_ci(*ci["macro_f1"]) for name, ci in re_ci.items()}

# %%
fig = plot_intervals({n: ci["macro_f1"] for n, ci in re_ci.items()},
                     title="relation extraction, 5 seeds", xlabel="macro-F1 (95% t interval)")  # fmt: skip

# %% [markdown]
# The differences are paired: seed *s* of one encoder against seed *s* of another, on the same
# test set, with a t interval over the five per-seed differences. That is a stricter and fairer
# test than whether the intervals in the figure above overlap (they can overlap while the paired
# difference excludes 0). `studies.paired_differences` recomputes them from the stored runs (the
# record's own `differences` are rounded to 4 decimals) and adds the SBO's own comparison,
# `spanbert-tiny − span-tiny`.

# %%
re_diffs = studies.paired_differences(results["relations"])
for pair, ci in re_diffs.items():
    print(verdict(*pair.split(" - "), ci))

# %%
re_claims = {
    "no pretrained encoder separates from random-tiny": all(
        ci[1] <= 0 <= ci[2] for pair, ci in re_diffs.items() if pair.endswith("random-tiny")
    ),
    "span-tiny below bert-tiny": re_diffs["span-tiny - bert-tiny"][2] < 0,
    "spanbert-tiny level with bert-tiny": re_diffs["spanbert-tiny - bert-tiny"][1]
    < 0
    < re_diffs["spanbert-tiny - bert-tiny"][2],
    "spanbert-tiny above span-tiny (the SBO)": re_diffs["spanbert-tiny - span-tiny"][1] > 0,
}
re_claims

# %%
seed_spread = {
    name: round(max(r["macro_f1"] for r in rs) - min(r["macro_f1"] for r in rs), 3)
    for name, rs in results["relations"]["runs"].items()
}
seed_spread

# %% [markdown]
# **Reading it honestly.** The untrained `random-tiny` already reaches about 0.96 macro-F1: with
# typed markers, the words between subject and object decide the relation, and about 60 examples
# per class teach that from scratch. `bert-tiny` and `spanbert-tiny` are higher on average (about
# 0.98) but over five seeds no difference to `random-tiny` separates from 0; `span-tiny` is below
# `bert-tiny` and `spanbert-tiny` level with it (every line of `re_claims` is `True`), and the SBO's
# own comparison, `spanbert-tiny` against `span-tiny`, is +0.018 with an interval above 0. The same
# encoders gain 10 to 44 F1 over the control on extractive QA v1.1 (notebook 05): this task simply
# leaves little room. The paper's TACRED gain (70.8 F1 against
# 67.5 for its own BERT) came on a far harder task, with full-size models.
#
# One learning rate for everyone is not quite fair: the paper picks the learning rate of each
# model on a dev set. The same study with that protocol (grid 1e-4, 2e-4, 5e-4, 1e-3; dev = up
# to 30 other training examples per class; then five seeds at the chosen rate):

# %%
tuned = json.loads((data_dir() / "results" / "applications-relations-lr-tuned.json").read_text())
tuned["command"], tuned["learning_rate_used"], tuned["dev_selection"]["random-tiny"]

# %%
{name: fmt_ci(*ci["macro_f1"]) for name, ci in tuned["macro_f1_ci"].items()}

# %%
tuned_diffs = studies.paired_differences(tuned)
for pair, ci in tuned_diffs.items():
    print(verdict(*pair.split(" - "), ci))


# %%
def scores_only(runs):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in runs]


tuned_claims = {
    "encoders that beat random-tiny": [
        pair.split(" - ")[0]
        for pair, ci in tuned_diffs.items()
        if pair.endswith("random-tiny") and ci[1] > 0
    ],
    "spanbert-tiny vs bert-tiny separated": tuned_diffs["spanbert-tiny - bert-tiny"][1] > 0
    or tuned_diffs["spanbert-tiny - bert-tiny"][2] < 0,
    "span-tiny below bert-tiny (upper end of the interval)": tuned_diffs["span-tiny - bert-tiny"][
        2
    ],
    "spanbert-tiny above span-tiny (the SBO)": tuned_diffs["spanbert-tiny - span-tiny"][1] > 0,
    "random-tiny's scores are those of the first study (same rate, same seeds)": scores_only(
        tuned["runs"]["random-tiny"]
    )
    == scores_only(results["relations"]["runs"]["random-tiny"]),
}
tuned_claims

# %% [markdown]
# The dev set picks the top of the grid, 1e-3, for the three pretrained encoders — so a wider
# grid might do better still — and 5e-4 for `random-tiny`, by a near tie (dev macro-F1 0.966
# against 0.962 at 1e-3, one seed), so its five test runs are exactly those of the first study.
# At these rates the pretrained encoders reach 0.98–0.99 macro-F1 against 0.96 for `random-tiny`,
# and now `bert-tiny` and `spanbert-tiny` separate above it (+0.028 and +0.027); `span-tiny` does
# not (its interval reaches below 0), `spanbert-tiny` stays level with `bert-tiny`, and `span-tiny`
# falls just below `bert-tiny` (−0.007, the interval's upper end four hundred-thousandths under 0;
# `tuned_claims`). So with 60 examples per label pretraining brings at most a small gain — about
# +0.03 macro-F1, with intervals from under +0.01 to about +0.05 — and it shows only when each
# encoder gets its own learning rate: the task leaves little room. (The same checkpoints gain 10
# to 44 F1 over `random-tiny` on extractive QA v1.1, notebook 05.)
#
# ### With few labels
#
# Pretraining is said to matter most when labelled examples are scarce. A follow-up study tests
# it. It was declared *after* the two studies above, and its protocol,
# [`study/relations-low-resource.md`](../study/relations-low-resource.md), was fixed before any
# run: train on only the first **5** or **15** examples of each label (65 and 195 examples), keep
# the same test set, and give every run learning rate 1e-3 (the rate the dev set chose for all
# four encoders when the protocol was fixed; in the re-run above it is `random-tiny`'s runner-up)
# and the same **392 updates** as a full-data run; five seeds each. With the learning-rate-tuned
# study (60 per label, the same updates, the rate dev chose) that makes three points of one curve:

# %%
from spanbert_lab.course.plots.applications import plot_label_curve

few = {
    n: json.loads((data_dir() / "results" / f"applications-relations-few-{n}.json").read_text())
    for n in (5, 15)
}
by_size = {**few, 60: tuned}
same_recipe = {
    # the tuned study ran 8 epochs of 49 batches: 392 updates, without a max_steps setting
    "392 updates in every run": all(
        r["settings"].get("max_steps", 392) == 392 for r in by_size.values()
    ),
    "1e-3 for every encoder at 5 and 15": all(
        r["learning_rate_used"][e] == 1e-3 for r in few.values() for e in ENCODERS
    ),
    "the rates at 60 (chosen on dev)": tuned["learning_rate_used"],
}
(
    {
        n: {e: fmt_ci(*ci["macro_f1"]) for e, ci in r["macro_f1_ci"].items()}
        for n, r in by_size.items()
    },
    same_recipe,
)

# %%
fig = plot_label_curve(
    {e: {n: r["macro_f1_ci"][e]["macro_f1"] for n, r in by_size.items()} for e in ENCODERS},
    title="relation extraction: test macro-F1, 5 seeds (the first examples per label)",
    ylabel="macro-F1 (95% t interval)",
)

# %%
for n, r in few.items():
    print(f"{n} examples per label")
    for pair, ci in studies.paired_differences(r).items():
        print("  " + verdict(*pair.split(" - "), ci))


# %%
def gain_over_control(r, encoder):
    return studies.paired_differences(r)[f"{encoder} - random-tiny"]


def beat_control(r):
    return [e for e in ENCODERS[1:] if gain_over_control(r, e)[1] > 0]


few_claims = {
    "encoders that beat random-tiny": {n: beat_control(r) for n, r in by_size.items()},
    "spanbert-tiny beats bert-tiny": {
        n: studies.paired_differences(r)["spanbert-tiny - bert-tiny"][1] > 0
        for n, r in by_size.items()
    },
    "spanbert-tiny's gain over random-tiny, 5 minus 60 per label (Welch 95%)": fmt_ci(
        *studies.gain_change(few[5], tuned, "spanbert-tiny")
    ),
    "the same, 5 minus 15": fmt_ci(*studies.gain_change(few[5], few[15], "spanbert-tiny")),
    "the same, 15 minus 60": fmt_ci(*studies.gain_change(few[15], tuned, "spanbert-tiny")),
}
few_claims

# %% [markdown]
# **With few labels, `spanbert-tiny` pays most.** With 5 examples per label only `spanbert-tiny`
# beats `random-tiny` (0.72 macro-F1 against 0.63, +0.08); `bert-tiny` (0.65) and `span-tiny`
# (0.67) do not separate from it. With 15, `bert-tiny` and `spanbert-tiny` beat it (+0.06 and
# +0.07), `span-tiny` does not; with 60 (each rate tuned on dev) the same two do, by less (+0.03).
# The gain of `spanbert-tiny` is larger with 5 labels per class than with 60 (+0.08 against +0.03;
# the change has an interval above 0), though 5 and 15 cannot be told apart, nor 15 and 60 — with
# enough examples even an untrained encoder learns the marker-and-keyword pattern.
# `spanbert-tiny` is measurably ahead of `bert-tiny` only at 5 per label (+0.07 macro-F1), the
# direction of the paper's TACRED result; at 15 (+0.02) and at 60 no difference shows, and span
# masking alone (`span-tiny`) never separates above `bert-tiny`. Read the follow-up with its caveat:
# it was declared after a null result (the first run of the two studies above showed no gain at
# 60 per label under either protocol), so it is one more question asked of the same test set, not
# a confirmation planned in advance.
#
# ### Which five? The same study with random draws
#
# Every run above trains on the *first* 5 or 15 examples of each label: its five seeds share one
# training set, so their spread is that of initialisation, order and dropout only. With few labels
# *which* examples you get may matter as much as how many. A second follow-up (declared in the
# same protocol file before its runs) repeats the study with seed *s* drawing its own 5 or 15
# examples per label at random — one draw per seed, the same draw for every encoder of that seed,
# so the differences stay paired.

# %%
import pandas as pd

drawn = {
    n: json.loads(
        (data_dir() / "results" / f"applications-relations-few-{n}-random.json").read_text()
    )
    for n in (5, 15)
}


def spread(r, encoder):
    values = [run["macro_f1"] for run in r["runs"][encoder]]
    mean = sum(values) / len(values)
    return mean, (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5


pd.DataFrame(
    {
        (f"{n} per label", design): {e: "{:.3f} ± {:.3f}".format(*spread(r, e)) for e in ENCODERS}
        for n in (5, 15)
        for design, r in (("first examples", few[n]), ("random draws", drawn[n]))
    }
)

# %% [markdown]
# The same curve with random draws (at 60 per label every run already trains on all 60, so that
# point is unchanged): the bars at 5 widen for every encoder, at 15 for the three pretrained ones
# (`random-tiny`'s narrows).

# %%
fig = plot_label_curve(
    {e: {**{n: r["macro_f1_ci"][e]["macro_f1"] for n, r in drawn.items()},
         60: tuned["macro_f1_ci"][e]["macro_f1"]} for e in ENCODERS},
    title="relation extraction: test macro-F1, 5 seeds (a random draw per seed)",
    ylabel="macro-F1 (95% t interval)",
)  # fmt: skip

# %%
for n, r in drawn.items():
    print(f"{n} examples per label, a random draw per seed")
    for pair, ci in studies.paired_differences(r).items():
        print("  " + verdict(*pair.split(" - "), ci))

# %%
draw_claims = {
    "a different training set for each seed": all(
        len({tuple(ix) for ix in r["train_subsets"].values()}) == len(r["train_subsets"])
        for r in drawn.values()
    ),
    "spread (sd over seeds) at 5 per label, first vs random, per encoder": {
        e: (round(spread(few[5], e)[1], 3), round(spread(drawn[5], e)[1], 3)) for e in ENCODERS
    },
    "encoders that beat random-tiny, random draws": {n: beat_control(r) for n, r in drawn.items()},
    "spanbert-tiny beats bert-tiny, random draws": {
        n: studies.paired_differences(r)["spanbert-tiny - bert-tiny"][1] > 0
        for n, r in drawn.items()
    },
    "spanbert-tiny beats span-tiny (the SBO), random draws": {
        n: studies.paired_differences(r)["spanbert-tiny - span-tiny"][1] > 0
        for n, r in drawn.items()
    },
    "spanbert-tiny's gain over random-tiny, 5 minus 60 per label, random draws (Welch 95%)": fmt_ci(
        *studies.gain_change(drawn[5], tuned, "spanbert-tiny")
    ),
}
draw_claims

# %% [markdown]
# **The draw matters, and one claim depended on it.** With random draws every encoder's spread over
# seeds at 5 per label is larger, up to three times (standard deviation 0.044 to 0.065 macro-F1,
# against 0.019 to 0.034 on the first examples). `spanbert-tiny` still beats `random-tiny` at
# both sizes (+0.14 [+0.03, +0.25] at 5, +0.06 [+0.03, +0.09] at 15), and its gain is larger at 5
# than at 60 per label; `bert-tiny` beats `random-tiny` at 15 (+0.06) but not at 5, where its
# interval reaches below 0. But `spanbert-tiny`'s lead over `bert-tiny` at 5 per label does not
# survive: +0.05 [−0.03, +0.12]. It belonged to the first five examples of each label, not to
# five examples in general. The SBO's own comparison, `spanbert-tiny` against `span-tiny`,
# separates at 15 per label in both designs and at 5 on random draws (+0.059 [+0.009, +0.109]);
# on the first five examples its interval just reaches 0 (+0.046 [−0.004, +0.096]). What holds in
# both designs: with few labels pretraining helps, and `spanbert-tiny` is never behind `span-tiny`;
# what does not: that `spanbert-tiny` helps more than `bert-tiny`.

# %% [markdown]
# ## 2 · Semantic search
#
# Passages are the first sentences of freshly written documents about the world. Two kinds of
# held-out queries, with the passages that answer them known by construction:
#
# * **fact queries** — a paraphrased question ("Which town is X a native of?"); relevant: the
#   passages stating that fact;
# * **entity queries** — just an entity's name; relevant: the passages mentioning it.
#
# Retrievers: **TF-IDF** (scikit-learn's `TfidfVectorizer`) and **BM25** (written out in
# `spanbert_lab/applications/lexical.py`), both word overlap, and each encoder as a dense retriever —
# **mean-pooled** or **`[CLS]`** vectors compared by cosine — plus, for entity queries,
# **span pooling**: a passage scores the best cosine between the query and any of its entity
# mentions, each mention being the mean of its tokens' vectors in context (the representation
# span tasks use).

# %%
from spanbert_lab.applications import search

passages, queries = studies.search_data()
fact_q = next(q for q in queries if q.kind == "fact")
(
    len(passages),
    sum(q.kind == "fact" for q in queries),
    sum(q.kind == "entity" for q in queries),
    fact_q.text,
)

# %% [markdown]
# **Recall@k**: the share of queries with a relevant passage in the top k. **MRR**: the mean of
# 1 / (rank of the first relevant passage).
#
# ### Exercise 06.3 — reciprocal rank
#
# Write `reciprocal_rank(scores, relevant)`: `scores` is a 1-D tensor, one score per passage
# (higher is better); `relevant` is a set of passage indices. Return 1 / the rank of the first
# relevant passage in score order (rank 1 = the best-scoring passage), or 0.0 when `relevant` is
# empty. Stuck? `ex.reciprocal_rank.hint()` gives hints one by one,
# `ex.reciprocal_rank.solution()` the answer.


# %%
import torch


def reciprocal_rank(scores, relevant):
    ### BEGIN SOLUTION
    order = torch.argsort(scores, descending=True).tolist()
    for rank, passage in enumerate(order, start=1):
        if passage in relevant:
            return 1.0 / rank
    return 0.0
    ### END SOLUTION


ex.reciprocal_rank.check(reciprocal_rank)

# %% [markdown]
# Live: the lexical baselines and `spanbert-tiny` (mean-pooled) on every fact query, checked
# against the stored study. The retrievers built here also drive the search box below.

# %%
from spanbert_lab.applications.lexical import BM25Index, TfidfIndex

texts = [p.text for p in passages]
retrievers = {
    "tfidf": TfidfIndex(texts).scores,
    "bm25": BM25Index(texts).scores,
    "spanbert-tiny/mean": search.dense_retriever(encoders["spanbert-tiny"], texts),
}
fact_queries = [q for q in queries if q.kind == "fact"]
live_mrr = {
    m: round(float(search.rank_metrics(fn([q.text for q in fact_queries]), fact_queries)["rr"].mean()), 2)
    for m, fn in retrievers.items()
}  # fmt: skip
live_mrr

# %%
all(abs(v - results["search"]["fact"][m]["mrr"][0]) < 0.01 + 0.005 for m, v in live_mrr.items())

# %% [markdown]
# The stored study, every retriever (recall@5 with a 95% bootstrap interval over queries):

# %%
from spanbert_lab.course.plots.applications import plot_search_recall

fig = plot_search_recall(results["search"]["fact"], title="fact queries")

# %%
fig = plot_search_recall(results["search"]["entity"], title="entity queries")

# %%
search_table = {
    kind: {m: {"R@1": r["hit@1"][0], "R@5": r["hit@5"][0], "MRR": r["mrr"][0]}
           for m, r in results["search"][kind].items()}
    for kind in ("fact", "entity")
}  # fmt: skip
search_table["entity"]


# %%
def best(kind, dense_only=False, metric="hit@5"):
    rows = results["search"][kind]
    pool = {m: r for m, r in rows.items() if not dense_only or "/" in m}
    return max(pool, key=lambda m: pool[m][metric][0])


def r5(kind, method):
    return results["search"][kind][method]["hit@5"]


def lexical_low(kind):
    return max(r5(kind, "tfidf")[1], r5(kind, "bm25")[1])


search_claims = {
    "fact queries: lexical beats every dense retriever": r5("fact", best("fact", True))[2]
    < lexical_low("fact"),
    "best dense retriever": {kind: best(kind, dense_only=True) for kind in ("fact", "entity")},
    "fact queries: random-tiny/mean beats every pretrained encoder": all(
        r5("fact", "random-tiny/mean")[1] > r5("fact", f"{e}/{p}")[2]
        for e in ENCODERS[1:]
        for p in ("mean", "cls")
    ),
    "entity queries: dense retrievers level with lexical": [
        m
        for m in results["search"]["entity"]
        if "/" in m and r5("entity", m)[2] >= lexical_low("entity")
    ],
    "mean pooling >= [CLS] for every encoder": all(
        r5(kind, f"{e}/mean")[0] >= r5(kind, f"{e}/cls")[0]
        for e in ENCODERS
        for kind in ("fact", "entity")
    ),
    "span > mean pooling for the pretrained encoders (entity queries)": all(
        r5("entity", f"{e}/span")[1] > r5("entity", f"{e}/mean")[2] for e in ENCODERS[1:]
    ),
    "span < mean pooling for random-tiny (entity queries)": r5("entity", "random-tiny/span")[2]
    < r5("entity", "random-tiny/mean")[1],
}
search_claims

# %%
# fact queries, recall@5 in percent: the lowest and highest pretrained encoder, per pooling
pretrained_fact_recall = {
    pooling: [round(100 * f(r5("fact", f"{e}/{pooling}")[0] for e in ENCODERS[1:]), 1) for f in (min, max)]
    for pooling in ("mean", "cls")
}  # fmt: skip
pretrained_fact_recall

# %% [markdown]
# **Where the tiny encoders lose.** On fact queries TF-IDF and BM25 put a relevant passage in
# the top 5 for 99% of queries; the best dense retriever, the *untrained* `random-tiny`
# (mean-pooled), does so for 60%, and every pretrained encoder does worse still: 9.5% to 35.8% when
# mean-pooled, and 2.5% to 8.5% with the `[CLS]` vector (`pretrained_fact_recall`), each interval
# below `random-tiny`'s. The queries share rare words — the names — with their passages,
# and word overlap finds them. On entity queries (just a name) the lexical baselines are perfect,
# and one dense retriever matches them: `bert-tiny` with span pooling (`search_claims`).
#
# Why do the pretrained encoders fall below the untrained one with mean pooling? It is not that
# their passage vectors are all alike — `random-tiny`'s are the most alike (mean cosine between
# different passages, below):

# %%
import torch.nn.functional as F

from spanbert_lab.applications.encoders import embed


def mean_cosine(encoder, texts):
    v = F.normalize(embed(encoder, texts), dim=-1)
    c = v @ v.T
    return round(float((c.sum() - c.diagonal().sum()) / (c.numel() - len(c))), 3)


first_100 = [p.text for p in passages[:100]]
passage_cosine = {name: mean_cosine(enc, first_100) for name, enc in encoders.items()}
passage_cosine, max(passage_cosine, key=passage_cosine.get) == "random-tiny"

# %% [markdown]
# A likely reason: an untrained network's mean-pooled vector is close to a hashed *bag of its
# words*, so what little varies between passages is which words — names included — they contain.
# Pretraining makes each token's vector describe its role in context, which the corpus's
# templates share across passages, more than the identity of a rare name; so passages about
# different people look alike, and a question does not land near the passage about its subject.
#
# Two smaller lessons hold in the table (`search_claims`): mean pooling is never worse than
# `[CLS]` (a `[CLS]` vector only summarises a sentence after fine-tuning for that), and for entity
# queries **span pooling** lifts all three pretrained encoders above their mean pooling (`bert-tiny`
# from 62% to 100%, `span-tiny` from 21% to 89%, `spanbert-tiny` from 14% to 34%), because it
# compares the name with each of its mentions *in context* instead of with the average of a whole
# passage. For the untrained `random-tiny` span pooling is worse than mean pooling: its vectors
# carry no context worth comparing, only the bag of words. Which pretrained encoder retrieves
# best is not what the study was built to test (one checkpoint each, no seeds), so read the
# spread between them as a property of these three checkpoints, not of BERT or SpanBERT. Real dense
# retrievers are encoders **fine-tuned on (query, passage) pairs** with a contrastive loss; a
# pretrained MLM encoder out of the box is not one, SpanBERT included.
#
# ### Try it: a search box over the world's passages
#
# Pick an example query or type your own; relevant passages are green. The figure below the
# widget is the same view, drawn statically for readers without a kernel.

# %%
from spanbert_lab.course.widgets.search import SearchExplorer, search_static_figure

for name in ("random-tiny", "bert-tiny"):
    retrievers[f"{name}/mean"] = search.dense_retriever(encoders[name], texts)
examples = [q for q in queries if q.kind == "fact"][:6] + [
    q for q in queries if q.kind == "entity"
][:6]
explorer = SearchExplorer(retrievers, passages, examples)

# %% tags=["nbval-ignore-output"]
explorer

# %%
print(explorer.summary())

# %%
fig = search_static_figure(retrievers["spanbert-tiny/mean"], passages, examples[0],
                           method="spanbert-tiny/mean")  # fmt: skip


# %%
# the passages in the figure that are not relevant to its query, and the same count for TF-IDF
def wrong_in_top5(method, query=examples[0]):
    hits = search.search(retrievers[method]([query.text]), passages, 0, 5)
    return sum(index not in query.relevant for index, _, _ in hits)


wrong_shown = {m: wrong_in_top5(m) for m in ("spanbert-tiny/mean", "tfidf")}
wrong_shown

# %% [markdown]
# **All five passages in the figure are wrong**: not one of `spanbert-tiny`'s top 5 for this
# fact query is relevant (none is green), while TF-IDF's top 5 holds a relevant passage
# (`wrong_shown`: 5 wrong against 4; pick `tfidf` in the search box to compare). This is not an
# unlucky query: it is the 9.5% recall@5 of the table above, seen from one query. The
# mean-pooled (and still more the `[CLS]`) vector of a tiny encoder pretrained only on
# masked-token prediction is a poor retrieval embedding, and on this collection the lexical
# baselines win. Use the figure to see what a dense retriever gets wrong, not as a search engine
# to copy.

# %% [markdown]
# ## 3 · Extractive summarisation
#
# An encoder gives each sentence a vector. A classic extractive summariser keeps the sentences
# closest to the document's **centroid** (the mean of its sentence vectors): they say what the
# document is mostly about. The course world knows what matters in a biography — the facts about
# its subject — so a summary is scored by **key-fact recall**: the share of the subject's
# distinct facts that the chosen sentences state. Baselines: the first k sentences (lead-k), k
# random sentences, and the TF-IDF centroid.

# %%
from spanbert_lab.applications import summarise

docs = studies.summary_data()
doc = docs[0]
chosen = summarise.top_k(summarise.encoder_scorer(encoders["spanbert-tiny"])(doc.sentences), 3)
[doc.sentences[i] for i in chosen], round(summarise.key_fact_recall(doc, chosen), 3)

# %%
live_recall = summarise.evaluate_summaries(
    docs, summarise.encoder_scorer(encoders["spanbert-tiny"]), 3
)
stored_recall = results["summarise"]["key_fact_recall"]["spanbert-tiny/mean"][0]
abs(float(live_recall.mean()) - stored_recall) < 0.01

# %%
summary_ci = results["summarise"]["key_fact_recall"]
fig = plot_intervals(summary_ci, title="extractive summaries, top 3 sentences",
                     xlabel="key-fact recall (95% bootstrap interval over documents)")  # fmt: skip

# %%
{m: fmt_ci(*v) for m, v in summary_ci.items()}

# %%
summary_ok = {m: v[1] > summary_ci["random"][2] for m, v in summary_ci.items() if m != "random"}
summary_claims = {
    "beat random sentences (separated intervals)": sorted(m for m, ok in summary_ok.items() if ok),
    "nothing separates above TF-IDF": all(
        v[1] <= summary_ci["tfidf"][2] for m, v in summary_ci.items() if m != "tfidf"
    ),
}
summary_claims

# %% [markdown]
# A method is better than another only where their intervals separate. The methods listed in
# `summary_claims` beat random sentences; none separates above the TF-IDF centroid, so with
# these checkpoints an encoder adds nothing over word statistics here. The ceiling is low for
# everyone: three sentences cannot hold all of a biography's facts.
#
# **Why an encoder extracts but cannot generate.** SpanBERT is a bidirectional encoder: every
# output vector depends on the whole input, and its pretraining heads predict tokens *at masked
# positions of a given text* (MLM) or inside a span from its boundaries (SBO). There is no
# decoder that writes a new sequence one token at a time conditioned on what it already wrote.
# So it can *score and select* spans and sentences — extraction — but abstractive summaries need
# an encoder–decoder (BART, T5) or a decoder-only language model. (The released checkpoints do
# not even keep their MLM head; see section 6.)
#
# ## 4 · Frozen features + a linear classifier, per layer
#
# The blog's "extract SpanBERT features and feed them to an SVM", done properly: freeze the
# encoder; take one vector per example **from each layer** (0 = embeddings); fit a linear
# classifier on training features only; score held-out examples; plot accuracy by layer — a
# *probe curve*. The classifier is the one you would reach for: scikit-learn's `LogisticRegression`
# (L2 penalty, L-BFGS) after a `StandardScaler` fitted on the training features —
# `probe.make_probe` builds that pipeline (`spanbert_lab/applications/probe.py`), and
# `kind="svm"` swaps in `LinearSVC`, the blog's SVM. Two probes: review **sentiment** from
# mean-pooled vectors, and **entity type** (PER, ORG, LOC, DATE …) from span-pooled mention
# vectors.

# %%
from spanbert_lab.applications import probe
from spanbert_lab.applications.encoders import layer_features

probe_inputs = studies.probe_data()
xtr, _, ytr, xte, _, yte, _ = probe_inputs["sentiment"]
features_tr = layer_features(encoders["spanbert-tiny"], xtr)
features_te = layer_features(encoders["spanbert-tiny"], xte)
correct = probe.probe_curve(features_tr, torch.tensor(ytr), features_te, torch.tensor(yte))
live_acc = [round(float(c.mean()), 2) for c in correct]
stored_acc = [row[0] for row in results["probe"]["sentiment"]["accuracy_by_layer"]["spanbert-tiny"]]
live_acc, all(abs(a - b) < 0.015 for a, b in zip(live_acc, stored_acc, strict=True))

# %% [markdown]
# The same curve with the SVM: a different loss (squared hinge, one class against the rest) on the
# same features, and a similar boundary — the accuracies stay within a few points.

# %%
svm_correct = probe.probe_curve(
    features_tr, torch.tensor(ytr), features_te, torch.tensor(yte), kind="svm"
)
svm_acc = [round(float(c.mean()), 2) for c in svm_correct]
svm_acc, all(abs(a - b) < 0.05 for a, b in zip(svm_acc, live_acc, strict=True))

# %%
from spanbert_lab.course.plots.applications import plot_probe_curves

fig = plot_probe_curves(results["probe"]["sentiment"]["accuracy_by_layer"],
                        title="sentiment probe (mean-pooled)")  # fmt: skip

# %%
fig = plot_probe_curves(results["probe"]["entity_type"]["accuracy_by_layer"],
                        title="entity-type probe (span-pooled)")  # fmt: skip

# %% [markdown]
# On the whole 0–1 scale the three pretrained encoders lie on top of each other near 1. The same
# curves without `random-tiny` and the majority class, on an axis fitted to their intervals
# (`ylim="data"`), show the point or two between them that the text below compares:

# %%
entity_rows = results["probe"]["entity_type"]["accuracy_by_layer"]
fig = plot_probe_curves({e: entity_rows[e] for e in ENCODERS[1:]}, ylim="data",
                        title="entity-type probe, pretrained encoders (axis fitted)")  # fmt: skip
[round(float(v), 3) for v in fig.axes[0].get_ylim()]

# %%
probe_top = {
    task: {name: max(r[0] for r in rows) for name, rows in results["probe"][task]["accuracy_by_layer"].items()
           if name != "majority"}
    for task in ("sentiment", "entity_type")
}  # fmt: skip
probe_top


# %% [markdown]
# Overlapping intervals in these figures do not mean "no difference": every probe is scored on the
# *same* test items, so the right test is paired — for each layer, the difference in accuracy of
# two encoders with a paired bootstrap over the test items (`differences_by_layer` in the stored
# results). The accuracies' intervals are Wilson intervals, which stay honest at 100%.


# %%
def separated(task, a, b):
    """Per layer: does a − b's paired 95% interval lie entirely above 0?"""
    return [low > 0 for _, low, _ in results["probe"][task]["differences_by_layer"][f"{a} - {b}"]]


probe_claims = {
    "entity type: every pretrained encoder > random-tiny at every layer": all(
        all(separated("entity_type", e, "random-tiny")) for e in ENCODERS[1:]
    ),
    "entity type: spanbert-tiny > bert-tiny, per layer": separated("entity_type", "spanbert-tiny", "bert-tiny"),
    "entity type: spanbert-tiny > span-tiny (the SBO), per layer": separated("entity_type", "spanbert-tiny", "span-tiny"),
    "entity type: bert-tiny > spanbert-tiny at any layer": any(high < 0 for _, _, high in
        results["probe"]["entity_type"]["differences_by_layer"]["spanbert-tiny - bert-tiny"]),
    "sentiment: spanbert-tiny > random-tiny, per layer": separated("sentiment", "spanbert-tiny", "random-tiny"),
    "sentiment: random-tiny > bert-tiny, per layer": [high < 0 for _, _, high in
        results["probe"]["sentiment"]["differences_by_layer"]["bert-tiny - random-tiny"]],
    "sentiment: span-tiny vs random-tiny separated at any layer": any(
        low > 0 or high < 0 for _, low, high in results["probe"]["sentiment"]["differences_by_layer"]["span-tiny - random-tiny"]
    ),
    "sentiment: lowest and highest accuracy over encoders and layers": min(
        ((r[0], e, layer) for e in ENCODERS for layer, r in enumerate(results["probe"]["sentiment"]["accuracy_by_layer"][e])),
    ) + max((r[0],) for e in ENCODERS for r in results["probe"]["sentiment"]["accuracy_by_layer"][e]),
}  # fmt: skip
probe_claims

# %% [markdown]
# Every probe is far above the majority class — even on `random-tiny`: a linear classifier on
# random features of words still finds the sentiment words and the shapes of names and dates.
# That is the honest caveat of probing: compare with an untrained encoder before crediting
# pretraining. Then the two probes tell different stories (`probe_claims`, paired intervals):
#
# * **entity type** (span-pooled): all three pretrained encoders beat `random-tiny` at every
#   layer — about 98% to 100% against 60% — already in the word embeddings (layer 0): pretraining
#   taught them which pieces make up names, places and dates. Between the pretrained encoders the
#   differences are a point or two; `spanbert-tiny` is ahead of `bert-tiny` and of `span-tiny` at
#   the last layer only (the layers marked `True`; +0.011 and +0.015), and never behind.
# * **sentiment** (mean-pooled): all between 68% and 78% (the lowest, 0.676, is `bert-tiny`'s
#   layer 2), and pretraining shows no consistent effect: `spanbert-tiny`'s word embeddings
#   (layer 0) are 5 points ahead of `random-tiny`'s (+0.054, paired interval above 0), its later
#   layers are not; `bert-tiny`'s last layer is 6 points *behind* `random-tiny` (−0.056); `span-tiny`
#   does not separate anywhere. A plausible reading — not tested here — is that the sentiment
#   words alone decide most reviews, and random features of words carry them.
#
# Fine-tuning the whole encoder (notebook 05) usually beats any frozen probe.
#
# ## 5 · Why not machine translation
#
# Some write-ups list machine translation among SpanBERT's uses. It was never evaluated on
# translation (the paper tests QA, coreference, relation extraction and GLUE), and it cannot
# translate by itself: it is an **encoder only**, with no decoder to generate the target sentence,
# and it is English-only (cased English WordPiece vocabulary, English pretraining text). To use
# it for translation you would need a decoder trained on parallel text — e.g. initialise the
# encoder of a sequence-to-sequence model from SpanBERT and train the decoder and cross-attention
# on millions of sentence pairs — at which point a multilingual encoder–decoder (mBART, mT5,
# MarianMT) is the better starting point.
#
# ## 6 · The real checkpoints, honestly
#
# The released models are on the Hugging Face hub as **`SpanBERT/spanbert-base-cased`** and
# **`SpanBERT/spanbert-large-cased`**. Their tokenizer is **BERT's cased WordPiece vocabulary**
# (`bert-base-cased`; 28,996 entries) — there is no uncased and no Chinese SpanBERT. The weights
# are the **encoder only: no MLM head, no SBO head, no pooler.** Loading them into a masked-LM
# class creates the MLM head afresh, at random, so fill-mask returns noise. (The authors later
# shared a raw fairseq checkpoint of the *large* model with both heads, in fairseq's format, not
# transformers'; there is none for the base model.)
# `spanbert_lab.model.hub.load_spanbert` reads transformers' load report and warns. Downloading is an
# explicit opt-in (`allow_download=True`):
#
# ```python
# from spanbert_lab.model.hub import load_spanbert
# model, tokenizer, report = load_spanbert("base", allow_download=True)  # ~215 MB, online
# # MissingMLMHeadWarning: SpanBERT/spanbert-base-cased has no MLM head: ...
# ```
#
# Offline — the default here — a local **stand-in** shows the same thing: the course's
# `spanbert-tiny` encoder saved without its heads, exactly the shape of the released files.

# %%
import tempfile
import warnings
from pathlib import Path

from spanbert_lab.model import hub

hub.HUB_IDS, hub.TOKENIZER_IDS["SpanBERT/spanbert-base-cased"]

# %%
standin = hub.save_encoder_only(data_dir() / "checkpoints" / "spanbert-tiny",
                                Path(tempfile.mkdtemp()) / "spanbert-standin")  # fmt: skip
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    standin_mlm, standin_tok, report = hub.load_spanbert(standin)
[
    (w.category.__name__, str(w.message)[:120])
    for w in caught
    if w.category is hub.MissingMLMHeadWarning
]

# %%
report.mlm_head_missing, hub.missing_head_keys(report)

# %% [markdown]
# The load report lists the MLM head's weights as newly initialised. Compare fill-mask from the
# stand-in (random head) with the same encoder *with* its trained head:

# %%
with_head, head_tok, head_report = hub.load_spanbert(data_dir() / "checkpoints" / "spanbert-tiny")
sentence = "Restomund Hendelowe was born in [MASK] in 1925."
{
    "no head (random)": hub.fill_mask(standin_mlm, standin_tok, sentence, k=3),
    "trained head": hub.fill_mask(with_head, head_tok, sentence, k=3),
    "head missing?": head_report.mlm_head_missing,
}

# %% [markdown]
# Without the head, the top tokens are arbitrary and nearly uniform in probability — noise.
# (Our tiny trained head is weak too, but its guesses are at least common words of the corpus.)
# A hub id without the opt-in never reaches the network:

# %%
try:
    hub.load_spanbert("SpanBERT/spanbert-large-cased")
except hub.HubOptInRequired as err:
    refused = str(err)
refused

# %% [markdown]
# **The right way to use the released checkpoints** is to fine-tune them on a span task with
# the standard heads — `AutoModelForQuestionAnswering` for extractive QA,
# `AutoModelForSequenceClassification` with typed markers for relation extraction,
# `AutoModelForTokenClassification` for tagging — using the paper's settings:

# %%
qa_model, _, qa_report = hub.load_spanbert(standin, task="qa")
{"new weights (the QA head)": list(qa_report.missing_keys), "squad": hub.PAPER_FINETUNING["squad"]}

# %% [markdown]
# With the large model, the official SQuAD command trained in fp16; with recent libraries people
# report NaN losses for spanbert-large in fp16 and none in fp32 — use bf16 where the hardware has
# it, or fp32. More questions are answered in the course [FAQ](../docs/faq.md).
#
# ## Summary
#
# * **Relation extraction** the paper's way — typed markers replacing the mentions, a classifier
#   on `[CLS]` — works on the course world. With 60 examples per label and one shared learning
#   rate no pretrained encoder separates from an untrained one; with each encoder's rate tuned on
#   dev, `bert-tiny` and `spanbert-tiny` gain about 0.03 macro-F1. With fewer labels the gain of
#   `spanbert-tiny` over the untrained encoder is larger (+0.08 at 5 per label on the first
#   examples, +0.14 on random draws, against +0.03 at 60). Its lead over `bert-tiny` at 5 per
#   label (+0.07 on the first examples) does not survive random draws (+0.05, interval across 0):
#   with few labels, which examples you have matters. Report what the intervals show, not what
#   the paper found.
# * **Search:** on fact queries TF-IDF and BM25 beat every tiny encoder, and out of the box the
#   pretrained encoders retrieve worse than an untrained one (perhaps because its vectors behave
#   like a bag of words; not tested here). Mean pooling is never worse than `[CLS]`; span pooling is the fit for entity queries
#   (with it `bert-tiny` matches the lexical baselines). Dense retrieval needs contrastive
#   fine-tuning on query–passage pairs.
# * **Summarisation:** an encoder can rank and extract sentences; it cannot generate text. Here
#   no encoder separates above the TF-IDF centroid.
# * **Frozen features + linear probes:** compare with `random-tiny` before crediting pretraining —
#   on sentiment pretraining shows no consistent gain (one encoder's first layer ahead, another's
#   last layer behind), while span-pooled entity types show a clear gain (about 98% against 60%)
#   for all three pretrained encoders. Compare on the same test items with a paired interval.
# * **No machine translation:** encoder only, English only, never evaluated on it.
# * **Released checkpoints:** `SpanBERT/spanbert-base-cased` and `SpanBERT/spanbert-large-cased`,
#   BERT's cased tokenizer, **no MLM head** — fine-tune them, don't fill masks with them.
#
# Terms in English and Chinese: the [glossary](../docs/glossary.md) (术语表). Learners' questions:
# the [FAQ](../docs/faq.md).
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "Applications quiz",
    (
        "You load `SpanBERT/spanbert-large-cased` into `AutoModelForMaskedLM` and fill `[MASK]`. What do you get?",
        [
            ("Good predictions: SpanBERT was trained with MLM.", False,
             "It was, but the released files keep only the encoder; the MLM head is created at random on loading."),
            ("Noise, and a load report listing `cls.predictions.*` as newly initialised.", True,
             "The encoder is fine; the head that maps vectors to words is random."),
            ("An error: the id does not exist.", False,
             "The id is right; the bare name `spanbert-large-cased` is the one that does not resolve on the hub."),
        ],
    ),
    (
        "How does the SpanBERT paper feed a TACRED example to the model?",
        [
            ("Subject and object words replaced by typed markers such as `[SUBJ-PER]`, then a classifier on `[CLS]`.", True,
             "That is the recipe used in section 1."),
            ("The sentence as is, with the SBO head predicting the relation.", False,
             "The SBO is a pretraining objective only; fine-tuning uses ordinary heads."),
            ("Only the two entity mentions, without the sentence.", False,
             "The words between and around the mentions carry the relation."),
        ],
    ),
    (
        "In section 1, how does spanbert-tiny's gain over the untrained encoder change with the number of labelled examples?",
        [
            ("It is larger with few labels: about +0.08 macro-F1 at 5 per label (+0.14 on random draws) against +0.03 at 60.", True,
             "Labels are what an untrained encoder lacks; with 60 per label it learns most of the pattern anyway."),
            ("It grows: more labelled data lets pretraining show.", False,
             "The untrained encoder gains more from extra labels than the pretrained ones do."),
            ("There is none: relation extraction with markers needs no pretraining.", False,
             "With 5 examples per label spanbert-tiny is ahead by about 0.08 macro-F1, an interval well above 0."),
        ],
    ),
    (
        "In section 2, TF-IDF beats the tiny encoders on recall@5 for fact queries. What follows?",
        [
            ("Dense retrieval is useless.", False,
             "Retrievers fine-tuned on query–passage pairs beat BM25 on many benchmarks; a raw MLM encoder is not such a retriever."),
            ("Always compare with a lexical baseline: queries that share rare words with their passages favour it.", True,
             "Names are rare words, and word overlap finds them."),
            ("Mean pooling is wrong; use `[CLS]`.", False,
             "In the stored table `[CLS]` is never better than mean pooling, and usually worse."),
        ],
    ),
    (
        "Why can SpanBERT extract a summary but not write one?",
        [
            ("It is an encoder without a decoder: it scores the given text but has no way to generate new tokens in sequence.", True,
             "Abstractive summaries need an encoder–decoder or a decoder-only model."),
            ("Its vocabulary is too small.", False, "The vocabulary is BERT's; the missing piece is a generator."),
            ("Because SBO only predicts spans of at most 10 words.", False,
             "The SBO is not used after pretraining at all."),
        ],
    ),
)  # fmt: skip
