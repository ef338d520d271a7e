# %% [markdown]
# # 00 · Welcome to spanbert-lab
#
# This course builds **SpanBERT** (Joshi, Chen, Liu, Weld, Zettlemoyer & Levy, *TACL* 2020,
# arXiv:1907.10529) from the ground up: attention, masked language modelling, span masking, the
# span boundary objective, pretraining and fine-tuning on span tasks. Every piece is written out
# in a notebook, then checked against a small tested library, `spanbert_lab`, and against PyTorch
# and 🤗 transformers.
#
# **Goals of this notebook**
#
# 1. Say what SpanBERT changes about BERT — precisely, because many write-ups get it wrong.
# 2. Show the course map and how to work through it (exercises, widgets, profiles).
# 3. Check that your environment is ready.

# %%
from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
rt

# %% [markdown]
# ## SpanBERT in one page
#
# BERT learns by **masked language modelling (MLM)**: hide about 15% of the WordPiece tokens of a
# text and predict each hidden token from its context. SpanBERT keeps this objective and changes
# three things around it.
#
# | | BERT | SpanBERT |
# |---|---|---|
# | what is hidden | 15% of sub-word tokens, chosen one by one | the same 15% budget, but in **contiguous spans of whole words** |
# | span length | 1 token | a number of **words** drawn from a geometric distribution Geo(p = 0.2) truncated to 1..10 and renormalised: mean **3.8 words** (the paper gives no WordPiece figure; ≈ 5 is an estimate for English, notebook 02) |
# | 80 / 10 / 10 rule | decided per token | decided **once per span**: the whole span becomes `[MASK]`, or random tokens, or stays unchanged |
# | training objectives | MLM + next-sentence prediction (NSP) | MLM + the **span boundary objective (SBO)**; no NSP |
# | input | two segments (for NSP) | one contiguous segment of up to 512 tokens |
#
# **The span boundary objective.** For every token $x_i$ inside a masked span $(x_s, \dots, x_e)$, a
# small two-layer network $f$ must predict $x_i$ from only the two tokens *just outside* the span,
# $x_{s-1}$ and $x_{e+1}$, and the position of $x_i$ inside the span:
#
# $$\mathbf{y}_i = f(\mathbf{x}_{s-1}, \mathbf{x}_{e+1}, \mathbf{p}_{i-s+1}), \qquad
# \mathcal{L}(x_i) = \mathcal{L}_{\text{MLM}}(x_i) + \mathcal{L}_{\text{SBO}}(x_i).$$
#
# The boundary vectors are forced to summarise what the span contains — exactly what span tasks
# such as question answering and coreference need at fine-tuning time. $f$ reads the two boundary
# vectors (each of the hidden size $h$) and a 200-dimensional relative-position embedding, so its
# first layer maps $2h + 200 \to h$; both layers use GeLU then LayerNorm; its output layer shares
# the word-embedding matrix with the MLM head.
#
# **Results, and where the gain comes from.** The paper compares four large models trained on the
# same data ([Table 1](../docs/spanbert-reference.md#results)), F1 on the SQuAD test sets:
#
# | model | SQuAD 1.1 | SQuAD 2.0 |
# |---|---|---|
# | Google BERT | 91.3 | 83.3 |
# | Our BERT (the authors' better-tuned replica, two segments + NSP) | 92.6 | 85.9 |
# | Our BERT-1seq (the same, on one segment, **without NSP**) | 93.3 | 86.6 |
# | SpanBERT (span masking + SBO, one segment, no NSP) | 94.6 | 88.7 |
#
# Not all of SpanBERT's gain over the replica is span masking: simply dropping NSP and training on
# one long segment (BERT-1seq) already brings about a third of it on SQuAD 1.1 (0.7 of 2.0 points)
# and a quarter on SQuAD 2.0 (0.7 of 2.8). These are **test-set** scores of the final models. The
# paper's ablation ([Table 7](../docs/spanbert-reference.md#ablations)) is a different
# experiment: models stopped at 1.2 M steps, scored on the **dev** sets. There SBO on top of span
# masking adds only +0.1 F1 on SQuAD 2.0 but +2.7 on coreference (76.3 → 79.0, dev). The final
# SpanBERT's 79.6 average F1 on OntoNotes coreference is a *test* score (Table 3), not comparable
# with the dev numbers. The course rebuilds all of these pieces so that you can tell them apart.
#
# **Next-sentence prediction (NSP), and why SpanBERT drops it.** BERT's second training task reads
# two segments, `[CLS] A [SEP] B [SEP]`. Half of the time B is the text that really follows A,
# half of the time a piece taken from another document, and a small classifier on the `[CLS]`
# output must say which. In transformers' `next_sentence_label`, and in this course, **0 means
# "B is the continuation of A"** and 1 means "B is random". SpanBERT removes both the NSP loss and
# the two-segment input and trains on one contiguous segment of up to 512 tokens (paper §3.3).
# The paper offers two possible reasons (it calls them a conjecture) why single segments work
# better: **(a) longer full-length contexts** — two half-segments share the 512 tokens, one
# segment gets them all; and **(b) noise** — conditioning on often unrelated context from another
# document adds noise to masked language modelling. Its ablation measures the effect: one segment
# without NSP beats two segments with NSP on every task but coreference (+1.3 F1 on SQuAD 2.0
# dev, Table 7). Notebook 02 builds such pairs for the ablation.
#
# The differences quoted above, computed from the paper's tables:

# %%
squad_f1 = {  # Table 1, test F1: (SQuAD 1.1, SQuAD 2.0)
    "Our BERT": (92.6, 85.9),
    "Our BERT-1seq": (93.3, 86.6),
    "SpanBERT": (94.6, 88.7),
}
table7 = {  # Table 7, dev: (SQuAD 2.0 F1, coreference F1)
    "span masking, two segments + NSP": (85.4, 76.4),
    "span masking, one segment": (86.7, 76.3),
    "span masking, one segment + SBO": (86.8, 79.0),
}


def gain(table, a, b, i):
    return round(table[b][i] - table[a][i], 1)


one_seq = [gain(squad_f1, "Our BERT", "Our BERT-1seq", i) for i in (0, 1)]
span_bert = [gain(squad_f1, "Our BERT", "SpanBERT", i) for i in (0, 1)]
assert 0.3 < one_seq[0] / span_bert[0] < 0.4 and 0.2 < one_seq[1] / span_bert[1] < 0.3
{
    "test: BERT-1seq gain / SpanBERT gain, SQuAD 1.1": f"{one_seq[0]} / {span_bert[0]}",
    "test: BERT-1seq gain / SpanBERT gain, SQuAD 2.0": f"{one_seq[1]} / {span_bert[1]}",
    "dev: dropping NSP, SQuAD 2.0": gain(
        table7, "span masking, two segments + NSP", "span masking, one segment", 0
    ),
    "dev: adding SBO, SQuAD 2.0 / coreference": (
        gain(table7, "span masking, one segment", "span masking, one segment + SBO", 0),
        gain(table7, "span masking, one segment", "span masking, one segment + SBO", 1),
    ),
}

# %% [markdown]
# ## What popular write-ups get wrong
#
# | claim you will find online | what the paper and the official code actually do |
# |---|---|
# | "SpanBERT has two losses, MLM and *S-MLM*" | There is no S-MLM. The two terms are the ordinary MLM loss on each masked token and the SBO loss from the boundaries; they are added with weight 1. |
# | "SpanBERT is trained only on the span boundary objective" | MLM is kept; SBO is added to it. |
# | "mean span length 3.8 tokens" | 3.8 **words**, from a *truncated and renormalised* geometric distribution (clipping at 10 would give 4.46). The paper gives no WordPiece figure: "about 5" is an estimate for English (3.8 × ≈ 1.3 pieces per word); notebook 02 measures 4.2 on the course corpus. |
# | "80/10/10 per token" | per **span**. |
# | "SBO is used when fine-tuning" | SBO only shapes pretraining; fine-tuning uses plain BERT heads. |
# | "load it with a masked-LM class and fill `[MASK]`" | The released checkpoints contain the encoder only — no MLM head, no SBO head, no pooler — so fill-mask output is meaningless. |
# | model id `spanbert-large-cased` | on the Hugging Face hub: `SpanBERT/spanbert-base-cased` and `SpanBERT/spanbert-large-cased` (cased BERT vocabulary, 28,996 entries). |
# | "developed at UW and Google" | University of Washington, Princeton, Allen Institute for AI and Facebook AI Research. |
# | "SpanBERT is a model for machine translation" | It is an **encoder**: it reads a text and produces one vector per token, with no decoder to generate a sentence in another language. The paper evaluates it on tasks that *select or classify* spans of the input — extractive QA, coreference, relation extraction — and on GLUE classification. |
#
# The course's own reference, with the paper's sections and the official code's file names, is
# [`docs/spanbert-reference.md`](../docs/spanbert-reference.md); its
# [misconceptions](../docs/spanbert-reference.md#misconceptions) section has more.

# %% [markdown]
# ## The course map
#
# | notebook | you build |
# |---|---|
# | `00_welcome` | this overview |
# | `01_attention` | scaled dot-product and multi-head attention, checked against PyTorch and BERT; attention explorer |
# | `01b_bert_encoder` | the rest of a BERT layer — embeddings, feed-forward, residual + LayerNorm, `[CLS]`/`[SEP]`, WordPiece — and a whole encoder checked against transformers' `BertModel`; layer explorer |
# | `02_masking` | BERT's token masking, whole words, SpanBERT's geometric spans, the span sampler written by you; mask explorer |
# | `03_span_boundary_objective` | the SBO head, the combined loss, the pretraining model; SBO explorer |
# | `04_pretraining` | the training loop, a live tiny pretraining run; the course's four encoders (untrained, BERT, span masking, SpanBERT) compared on the same masks, then the ablation study's 19 encoders with their seeds |
# | `05_finetuning` | extractive QA done properly (windows, offsets, n-best, SQuAD metric), NER, classification; the study's results over several seeds, with intervals |
# | `06_applications` | relation extraction, semantic search, extractive summaries, linear probes — each measured against simple baselines; the released checkpoints handled honestly |
#
# Everything runs offline: the course generates its own corpus and tokenizer (`data/`) and ships
# small pretrained checkpoints (`data/checkpoints/`). Real hub models and datasets are an opt-in.
#
# **The course's world.** The corpus is not English Wikipedia but text about a fictional country,
# *Osterhal* — its towns, rivers, companies, some 16,000 people and 400 events — generated from
# templates, so every fact, entity mention and answer is known exactly. Invented names such as
# *Ormek Cormocroft* are rare words that WordPiece splits into pieces (`Orm ##ek Corm ##ocroft`),
# which is what span masking is about; the [data card](../data/README.md) describes it all.
#
# How long each notebook takes on a 2-core CPU, as measured when the course was last built (the
# build writes [`notebooks/runtimes.json`](runtimes.json); the README shows the same numbers):

# %% tags=["nbval-ignore-output"]
from IPython.display import Markdown

from spanbert_lab.tools.runtimes import runtime_table

Markdown(runtime_table())

# %% [markdown]
# ## How to use the course
#
# * **Run cells top to bottom.** Each notebook starts with `setup_notebook()`, which fixes seeds,
#   threads and plot style so that your numbers match the stored ones.
# * **Profiles.** The default profile `fast` is sized for a laptop CPU (and is what the tests run).
#   Set `SPANBERT_LAB_PROFILE=full` before starting JupyterLab for longer runs; a GPU is used
#   automatically when present.
# * **Exercises.** Each exercise has `check()`, `hint()` and `solution()`. A wrong answer says
#   which quantity is wrong (a shape, a value…) without giving the answer away. The *student
#   edition* (`make student`, written to `build/student/`) replaces the solutions by `...` stubs.
# * **Widgets.** Explorers are plain ipywidgets with a static figure beside them, so the notebook
#   still reads well without a kernel; each has a *save PNG* button.
#
# Here is the first hint of exercise 01.1 — a hint nudges without giving the answer away.
# (`check()` then says *Correct*, or names the quantity that is wrong.)

# %%
from spanbert_lab.course.exercises import nb01_attention as ex01

ex01.scaled_scores.hint(1)

# %% [markdown]
# ## Environment check
#
# The versions below are what this notebook was run with (your machine may differ; the check
# under it is what matters).

# %% tags=["nbval-ignore-output"]
import platform

import ipywidgets
import matplotlib
import tokenizers
import torch
import transformers

{
    "python": platform.python_version(),
    "torch": torch.__version__,
    "transformers": transformers.__version__,
    "tokenizers": tokenizers.__version__,
    "ipywidgets": ipywidgets.__version__,
    "matplotlib": matplotlib.__version__,
    "device": str(rt.device),
    "threads": torch.get_num_threads(),
}

# %%
from spanbert_lab.runtime import data_dir

ready = {
    "torch >= 2.4": tuple(int(x) for x in torch.__version__.split(".")[:2]) >= (2, 4),
    "transformers 5.x": transformers.__version__.startswith("5."),
    "course tokenizer shipped": (data_dir() / "tokenizer" / "tokenizer.json").is_file(),
    "profile": rt.profile,
}
ready

# %% [markdown]
# ## Questions and terms
#
# Learners' questions — why SpanBERT beats BERT and where it does not, which tasks it suits, the
# model ids and tokenizers, fine-tuning tips, compute and data, whether there is an uncased or a
# Chinese SpanBERT, and popular claims corrected in English and Chinese — are answered in the
# [FAQ](../docs/faq.md). The course's terms in English and Chinese (span masking 片段掩码, span
# boundary objective 片段边界目标 …) are in the [glossary](../docs/glossary.md).

# %% [markdown]
# ## Summary
#
# *(Terms in English and Chinese: the [glossary](../docs/glossary.md), 术语表.)*
#
# * SpanBERT = BERT's MLM with **span masking** (whole words, Geo(0.2) lengths truncated to 1..10,
#   mean 3.8 words, 80/10/10 per span) + the **span boundary objective**, on single segments, without NSP.
# * NSP (0 = "B continues A") is dropped: the paper suspects two segments give shorter contexts and
#   add noise from unrelated text. Part of the gain over BERT comes from that alone (BERT-1seq);
#   SBO matters most for coreference (+2.7 dev F1 in the ablation).
# * SBO predicts each span token from the two boundary vectors and a relative-position embedding;
#   its loss is added to MLM's. It is not used at fine-tuning time.
# * The course runs offline on a laptop; exercises have `check()` / `hint()` / `solution()`.
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "Welcome quiz",
    (
        "How long is an average SpanBERT span?",
        [
            (
                "3.8 WordPiece tokens",
                False,
                "The lengths are counted in words; in WordPieces it depends on the text.",
            ),
            (
                "3.8 words",
                True,
                "Geo(0.2) truncated to 1..10 words and renormalised has mean 3.797.",
            ),
            (
                "5 words, the mean of Geo(0.2)",
                False,
                "That is the untruncated mean; truncating at 10 words lowers it to 3.8.",
            ),
        ],
    ),
    (
        "Which losses does SpanBERT add up?",
        [
            (
                "MLM and NSP",
                False,
                "SpanBERT drops next-sentence prediction and trains on single segments.",
            ),
            (
                "MLM and SBO",
                True,
                "Both are cross-entropy over the vocabulary, summed with weight 1.",
            ),
            (
                "MLM and S-MLM",
                False,
                "There is no 'S-MLM' in the paper or code; that name comes from blog posts.",
            ),
        ],
    ),
    (
        "Can you fill in [MASK] with the released SpanBERT checkpoint?",
        [
            (
                "Yes, with a masked-LM class",
                False,
                "The released weights have no MLM head; it would be randomly initialised.",
            ),
            (
                "No, the checkpoints hold the encoder only",
                True,
                "Fine-tune them, or use the course's own checkpoints, which keep their heads.",
            ),
        ],
    ),
)
