# %% [markdown]
# # 02 · Masking, three ways
#
# BERT learns by hiding tokens and guessing them back. *Which* tokens it hides turns out to matter:
# SpanBERT's first change to BERT is to hide **contiguous spans of whole words** instead of
# scattered sub-word pieces. In this notebook you build the three masking schemes — BERT's
# sub-word tokens, whole words, SpanBERT's geometric spans — check your code against the course
# library, and measure how much harder spans make the task. (Whether the harder task makes a
# better model is a question for notebooks 04 and 05, which pretrain and fine-tune.)
#
# **Goals**
#
# 1. Write down the masked-language-modelling (MLM) objective: its loss, the 15% budget, the
#    80/10/10 rule and why it exists.
# 2. Find word boundaries in WordPiece output and mask whole words.
# 3. Derive SpanBERT's span-length distribution (a *truncated* geometric: mean 3.8 **words**) and
#    sample from it.
# 4. Follow the official span-masking algorithm step by step: anchors, rejection, merging, the exact
#    budget, one 80/10/10 draw per span, random tokens from the corpus unigram distribution.
# 5. Measure how much harder spans are for a predictor that relies on neighbouring tokens.
# 6. Pack documents into pre-training blocks and collate reproducible batches.
#
# **What this notebook uses.** The course tokenizer and corpus — text about *Osterhal*, a fictional
# country generated from templates, whose invented names split into several WordPieces (the
# [data card](../data/README.md) describes it) — and the `span` scheme with
# `MaskingConfig()` defaults — the paper's settings: Geo(p = 0.2) truncated to 1..10 words,
# anchors over sub-words, per-span 80/10/10, unigram random tokens, 15% budget, at most 15 span
# boundary targets per span. Every other behaviour below is a named option of `MaskingConfig`.

# %%
from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
rt

# %%
import math
from collections import Counter, defaultdict

import torch
import torch.nn.functional as F
from torch.testing import assert_close

from spanbert_lab.data import load_corpus, load_tokenizer
from spanbert_lab.data.blocks import build_blocks, build_nsp_blocks
from spanbert_lab.masking import (
    MaskingConfig,
    mask_batch,
    sample_span_lengths,
    scheme_spec,
    span_length_pmf,
    unigram_counts,
    vocab_info,
)
from spanbert_lab.masking.collate import MaskingCollator

tokenizer = load_tokenizer()
train_docs = load_corpus("train").select(range(2500))
dev_docs = load_corpus("dev").select(range(300))
train_blocks = build_blocks(train_docs, tokenizer, max_length=128)
dev_blocks = build_blocks(dev_docs, tokenizer, max_length=128)
{"vocabulary": len(tokenizer), "train blocks": len(train_blocks), "dev blocks": len(dev_blocks)}

# %% [markdown]
# `build_blocks` packs **whole consecutive sentences of one document** into blocks of at most
# `max_length` tokens, `[CLS] … [SEP]` — SpanBERT's input ([reference: blocks](../docs/spanbert-reference.md#blocks); the paper
# uses 512, the course models 128). Here is one, with its WordPiece tokens:

# %%
passage = dev_blocks.blocks[0]
print(" ".join(tokenizer.convert_ids_to_tokens(passage.input_ids)))
len(passage.input_ids)

# %% [markdown]
# ## 1 · The MLM objective
#
# Pick a set $M$ of positions, corrupt the input there to get $\tilde x$, and train the model to
# recover the originals:
#
# $$\mathcal L_{\text{MLM}} = -\frac{1}{|M|}\sum_{i \in M} \log p_\theta\!\left(x_i \mid \tilde x\right)$$
#
# Only the positions in $M$ count. In code, the targets live in `labels`: the original id at every
# position of $M$, and `-100` everywhere else, which `cross_entropy` ignores.
#
# **How many positions?** About 15% — but implementations count differently
# ([reference: the budget](../docs/spanbert-reference.md#budget)). Google's original BERT takes
# $\max(1, \operatorname{round}(0.15\,n))$ with `[CLS]`/`[SEP]` counted in $n$ (they are never
# chosen) and caps it at 20 for 128-token inputs; transformers' `DataCollatorForLanguageModeling`
# flips an independent 15% coin per token, so the count varies from block to block. SpanBERT's
# re-implementation — and this course, for every scheme — masks **exactly**
# $|M| = \lceil 0.15\,n \rceil$ of the $n$ real tokens, never `[CLS]`, `[SEP]` or padding.
# (`[UNK]` is a real token: it stands for a word the vocabulary lacks, so it can be masked.)
#
# The corruption is the **80/10/10 rule**: of the chosen tokens, 80% become `[MASK]`, 10% become a
# random token and 10% stay unchanged. Why not always `[MASK]`? Because `[MASK]` never occurs when
# the model is fine-tuned: if only `[MASK]` positions were ever predicted, the model would have no
# reason to build a good representation of the tokens it *can* see. Random and unchanged targets
# make every position a possible target, so every output vector must describe its own token.
#
# Here is BERT's sub-word masking written out, with one generator for every draw:

# %%
info = vocab_info(tokenizer)
MASK_ID = tokenizer.mask_token_id
ids = torch.tensor(passage.input_ids)
n = len(ids) - 2  # real tokens between [CLS] and [SEP]
budget = math.ceil(0.15 * n)

g = torch.Generator().manual_seed(0)
chosen = torch.randperm(n, generator=g)[:budget].sort().values + 1  # skip [CLS]
u = torch.rand(budget, generator=g, dtype=torch.float64)  # one draw per token
allowed = torch.nonzero(~info.is_special).flatten()  # uniform random tokens: no specials

my_input, my_labels = ids.clone(), torch.full_like(ids, -100)
my_labels[chosen] = ids[chosen]
my_input[chosen[u < 0.8]] = tokenizer.mask_token_id
random_pos = chosen[(u >= 0.8) & (u < 0.9)]
my_input[random_pos] = allowed[torch.randint(len(allowed), (len(random_pos),), generator=g)]
{"real tokens n": n, "budget ⌈0.15 n⌉": budget}

# %% [markdown]
# The library's `mask_batch` does the same with `scheme="subword"` — with the same generator it
# draws the same numbers in the same order, so the results are identical:

# %%
config_bert = MaskingConfig(random_token_source="uniform")
lib = mask_batch(
    ids[None],
    tokenizer=tokenizer,
    scheme="subword",
    config=config_bert,
    generator=torch.Generator().manual_seed(0),
)
assert torch.equal(lib.input_ids[0], my_input) and torch.equal(lib.labels[0], my_labels)
{
    "targets": int((lib.labels != -100).sum()),
    "of which [MASK]": int((lib.input_ids == tokenizer.mask_token_id).sum()),
}

# %% [markdown]
# This is what the model reads — the passage above with the 12 targets corrupted:

# %%
print(" ".join(tokenizer.convert_ids_to_tokens(my_input.tolist())))
fate_counts = {
    "[MASK]": int((my_input[chosen] == tokenizer.mask_token_id).sum()),
    "random token": int(((my_input[chosen] != ids[chosen]) & (my_input[chosen] != MASK_ID)).sum()),
    "kept": int((my_input[chosen] == ids[chosen]).sum()),
}
fate_counts

# %% [markdown]
# And the loss: with any logits, `cross_entropy(..., ignore_index=-100)` is the mean negative
# log-likelihood over the targets only — changing the logits anywhere else changes nothing. For
# scale, the cell also gives $\ln |V|$, the loss of a model that spreads its probability evenly
# over the $|V| = 6{,}144$ tokens: chance level.

# %%
logits = torch.randn(len(ids), len(tokenizer), generator=torch.Generator().manual_seed(1))
loss = F.cross_entropy(logits, lib.labels[0], ignore_index=-100)
targets = lib.labels[0] != -100
manual = -logits.log_softmax(-1)[targets, lib.labels[0][targets]].mean()
assert_close(loss, manual)
logits[~targets] += 5.0 * torch.randn(int((~targets).sum()), len(tokenizer))
ln_v = math.log(len(tokenizer))
assert abs(loss.item() - (ln_v + 0.5)) < 0.3  # random N(0, 1) logits: about ln|V| + 1/2
{
    "loss": round(loss.item(), 4),
    "unchanged after editing non-target logits": bool(
        torch.isclose(F.cross_entropy(logits, lib.labels[0], ignore_index=-100), loss)
    ),
    "chance level ln|V|": round(ln_v, 2),
}

# %% [markdown]
# Random logits score 9.16, *worse* than the even guess's 8.72. That is expected: with
# standard-normal logits, $\log \sum_j e^{z_j} \approx \ln|V| + \tfrac12$ while the target's
# own logit averages 0, so the loss is about $\ln|V| + 0.5 \approx 9.2$ (the cell checks it). A
# trained model must get well below 8.72 to have learned anything.

# %% [markdown]
# ## 2 · Whole words
#
# WordPiece splits rare words into pieces; every piece after the first starts with `##`. A **word**
# is a run that starts with a piece *without* `##` ([reference: words](../docs/spanbert-reference.md#words)). The library keeps this as a lookup
# table over the vocabulary, `is_continuation[id]`:

# %%
word_start = ~info.is_continuation[ids]
pieces = tokenizer.convert_ids_to_tokens(ids.tolist())
words, current = [], []
for piece, start in zip(pieces[1:-1], word_start[1:-1].tolist(), strict=True):
    if start and current:
        words.append(current)
        current = []
    current.append(piece)
words.append(current)
multi = [w for w in words if len(w) > 1]
{"words": len(words), "sub-word tokens": n, "words of several pieces": multi[:4]}

# %% [markdown]
# Masking sub-word tokens one by one often hides *part* of a word — `Wex ##il [MASK]` is easy to
# complete from the rest of the word. **Whole-word masking** picks words in random order and masks
# all their pieces, up to the budget (a word that would overshoot it is skipped). With this seed
# it picks the two-piece name `Hollen ##amstone`, and both pieces go:

# %%
whole = mask_batch(
    ids[None],
    tokenizer=tokenizer,
    scheme="whole_word",
    config=config_bert,
    generator=torch.Generator().manual_seed(1),
)
print(" ".join(tokenizer.convert_ids_to_tokens(whole.input_ids[0].tolist())))

# %% [markdown]
# (Other words of that line are garbled too: those are the 10% *random* replacements, which
# BERT's scheme decides token by token — not a side effect of whole-word masking.)

# %%
word_index = torch.cumsum(word_start.long(), 0)  # which word each token belongs to


def words_hit(labels):
    """(words fully masked, words masked only in part), as lists of their pieces."""
    full, part = [], []
    for w in word_index[1:-1].unique().tolist():
        where = word_index == w
        hit = int((labels[where] != -100).sum())
        pieces_w = tokenizer.convert_ids_to_tokens(ids[where].tolist())
        if hit and hit == int(where.sum()):
            full.append(pieces_w)
        elif hit:
            part.append(pieces_w)
    return full, part


full_ww, part_ww = words_hit(whole.labels[0])
full_sw, part_sw = words_hit(lib.labels[0])
assert not part_ww and ["Hollen", "##amstone"] in full_ww
assert part_sw == [["V", "##aen", "##ailde"]]
{
    "whole words: words of several pieces masked": [w for w in full_ww if len(w) > 1],
    "whole words: words masked only in part": part_ww,
    "sub-word masking above: words masked only in part": part_sw,
}

# %% [markdown]
# Whole-word masking never splits a word; BERT's sub-word masking above hid only the last piece of
# `V ##aen ##ailde`, leaving `V ##aen [MASK]` — a guess the rest of the word almost gives away.
#
# ## 3 · Spans: the truncated geometric distribution
#
# SpanBERT draws a span length $\ell$, in **words**, from a geometric distribution with $p = 0.2$,
# restricted to $1 \le \ell \le 10$. The paper says the distribution is "clipped" at 10 with mean
# 3.8; the official code *truncates and renormalises*:
#
# $$P(L = \ell) = \frac{p(1-p)^{\ell-1}}{\sum_{k=1}^{10} p(1-p)^{k-1}}, \qquad \ell = 1, \dots, 10.$$
#
# A true clip is different: it draws $L$ from the untruncated geometric and takes
# $\min(L, 10)$, so all the mass of $L \ge 10$ lands on 10. The paper reports a mean of 3.8 words.
# Which of the two gives it?
#
# ### Exercise 1 — truncated or clipped: which has mean 3.8?
#
# Write `truncated_pmf(p, max_len)`, the probabilities of lengths `1..max_len` as a float64 tensor
# (the formula above), and `length_means(p, max_len)` returning the pair
# `(truncated mean, clipped mean)` in words, each computed from its distribution — work out the
# clipped pmf yourself: what is $P(\min(L, 10) = 10)$? (The untruncated geometric has mean
# $1/p = 5$.) The checker tries several $p$ and caps.

# %%
from spanbert_lab.course.exercises import nb02_masking as ex


def truncated_pmf(p, max_len):
    ### BEGIN SOLUTION
    lengths = torch.arange(1, max_len + 1, dtype=torch.float64)
    weights = p * (1 - p) ** (lengths - 1)
    return weights / weights.sum()
    ### END SOLUTION


def length_means(p, max_len):
    ### BEGIN SOLUTION
    lengths = torch.arange(1, max_len + 1, dtype=torch.float64)
    clipped = p * (1 - p) ** (lengths - 1)
    clipped[-1] = (1 - p) ** (max_len - 1)  # P(L >= max_len): the whole tail lands on max_len
    truncated = truncated_pmf(p, max_len)
    return float((lengths * truncated).sum()), float((lengths * clipped).sum())
    ### END SOLUTION


ex.length_means.check(length_means)

# %% [markdown]
# Stuck? `ex.length_means.hint()` gives hints one by one, `ex.length_means.solution()` the answer.
# Your pmf is the library's, and its mean is the paper's 3.8:

# %%
pmf = span_length_pmf()
assert_close(truncated_pmf(0.2, 10), pmf)
lengths = torch.arange(1, 11)
clip_mean = float((span_length_pmf(MaskingConfig(length_mode="clip")) * lengths).sum())
{
    "P(L = 1..10)": [round(x, 3) for x in pmf.tolist()],
    "mean, truncated": round(float((pmf * lengths).sum()), 3),
    "mean, clipped": round(clip_mean, 3),
}

# %% [markdown]
# Sampling: 20,000 lengths from one generator, against the analytic pmf (the library's tests run
# a chi-square test on exactly this):

# %%
from spanbert_lab.course.plots.masking import plot_span_length_distributions

samples = sample_span_lengths(20_000, generator=torch.Generator().manual_seed(0))
observed = torch.bincount(samples - 1, minlength=10).double()
chi_square = float(((observed - 20_000 * pmf) ** 2 / (20_000 * pmf)).sum())
fig = plot_span_length_distributions(samples=samples)

# %% [markdown]
# **What to look for.** The sampled bars sit on the truncated pmf, not on the clipped one, whose
# last bar (length 10) is inflated by the whole tail beyond 10.

# %%
{
    "sample mean": round(samples.double().mean().item(), 2),
    "chi-square below 33.72 (chi-square(9) at p = 1e-4)": chi_square < 33.72,
}

# %% [markdown]
# ## 4 · The span-masking algorithm, step by step
#
# What the official implementation does ([reference: span masking](../docs/spanbert-reference.md#span-masking)), for one
# block of $n$ real tokens:
#
# 1. **Budget** $\lceil 0.15\,n \rceil$ sub-word tokens, counted without `[CLS]`/`[SEP]`.
# 2. Repeat until the budget is reached: draw a length $\ell$ (words) and an **anchor** uniformly
#    over the *sub-word positions*; move the anchor left to the start of its word. If the anchor
#    token is already masked, discard the draw. Otherwise mask the anchor's word and the following
#    words until the span has $\ell$ words (or the block ends). Stop **the moment the budget is
#    reached**, even mid-word: the budget is exact.
# 3. **Merge** spans that overlap or touch.
# 4. **80/10/10 once per merged span**: the whole span becomes `[MASK]`, or every token becomes a
#    random token drawn from the **corpus unigram distribution**, or the span stays unchanged.
#
# Because anchors are uniform over sub-words, a word is a span start with probability proportional
# to its number of pieces: long words are favoured — the paper's "uniform" is approximate.
#
# **In code.** The unigram distribution is counted once over the training blocks and handed to
# `mask_batch` as `unigram_counts=` (it refuses to run without them rather than quietly drawing
# uniform tokens; uniform tokens, as in the BERT cell above, are stated with
# `MaskingConfig(random_token_source="uniform")`):

# %%
counts = unigram_counts(
    (b.input_ids for b in train_blocks.blocks),
    len(tokenizer),
    ignore_ids=tokenizer.all_special_ids,
)
{"tokens counted": int(counts.sum()), "most frequent": tokenizer.decode([int(counts.argmax())])}

# %% [markdown]
# Now the algorithm on our passage. `mask_batch` keeps the draws it accepted, before merging, in
# `.drawn` as `(start, end, words)`: token positions, and the number of **words** drawn for the
# span.

# %%
MERGE_SEED = 10  # a seed whose draws touch, so that merging shows
span_out = mask_batch(
    ids[None],
    tokenizer=tokenizer,
    unigram_counts=counts,
    generator=torch.Generator().manual_seed(MERGE_SEED),
)
print(" ".join(tokenizer.convert_ids_to_tokens(span_out.input_ids[0].tolist())))
drawn_here = [tuple(d) for d in span_out.drawn[0]]
last = span_out.drawn[0][-1]
assert sum(e - s for s, e in span_out.spans[0]) == budget  # exactly the budget
assert len(span_out.spans[0]) < len(drawn_here)  # two draws touch and are merged
{
    "drawn (start, end, words)": drawn_here,
    "merged spans": span_out.spans[0],
    "first draw: pieces": tokenizer.convert_ids_to_tokens(ids[slice(*drawn_here[0][:2])].tolist()),
    "last draw: tokens / words drawn": (last.end - last.start, last.length),
}

# %% [markdown]
# How to read the draws. The third number counts words, so it need not equal `end - start`:
# the first draw, 5 words, covers 6 tokens because `Fak ##rouard` is one word of two pieces; the
# last draw asked for 4 words but got only 2 tokens, because the budget of 12 ran out in the
# middle of it. That last draw starts exactly where the first one ends (45), so merging joins
# them into one span, `(39, 47)`: 3 draws, 2 merged spans, 12 masked tokens.

# %% [markdown]
# ### Exercise 2 — merging spans
#
# Write `merge_spans(spans)`: given half-open `(start, end)` spans in any order, return them sorted
# with overlapping **or touching** spans merged — `(1, 3)` and `(3, 6)` become `(1, 6)`. Return a
# list of tuples (`[]` for no spans). Stuck? `ex.merge_spans.hint()` gives hints one by one,
# `ex.merge_spans.solution()` the answer.


# %%
def merge_spans(spans):
    ### BEGIN SOLUTION
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
    ### END SOLUTION


ex.merge_spans.check(merge_spans)

# %%
yours_merged = merge_spans([(d.start, d.end) for d in span_out.drawn[0]])
{
    "drawn": len(span_out.drawn[0]),
    "after merging": len(yours_merged),
    "equal to mask_batch's spans": yours_merged == span_out.spans[0],
}

# %% [markdown]
# ### Exercise 3 — 80/10/10 per span
#
# Write `replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob, random_prob)`: one
# uniform draw `u[j]` in $[0, 1)$ per span decides its fate — with probability `mask_prob` (0.8 in
# SpanBERT) the whole span becomes `mask_id`, with probability `random_prob` (0.1) each of its
# tokens is replaced by `random_ids` at the same position, otherwise it stays. Work out which
# values of `u[j]` lead to which fate (comparisons are strict: `u[j] < mask_prob` means
# `[MASK]`); the checker also tries other splits than 80/10/10. Types: `input_ids` is a 1-D long
# tensor, `spans` a list of disjoint half-open `(start, end)` tuples, `u` a float64 tensor of
# length `len(spans)`, `random_ids` a tensor of the same shape as `input_ids`. Return a new tensor;
# do not modify `input_ids`. Stuck? `ex.replace_per_span.hint()` and
# `ex.replace_per_span.solution()`.


# %%
def replace_per_span(input_ids, spans, u, mask_id, random_ids, mask_prob=0.8, random_prob=0.1):
    ### BEGIN SOLUTION
    out = input_ids.clone()
    for (start, end), draw in zip(spans, u.tolist(), strict=True):
        if draw < mask_prob:  # P(u < a) = a
            out[start:end] = mask_id
        elif draw < mask_prob + random_prob:  # an interval of width random_prob
            out[start:end] = random_ids[start:end]
    return out
    ### END SOLUTION


ex.replace_per_span.check(replace_per_span)

# %% [markdown]
# Per span versus per token, measured over the dev blocks: with per-span replacement every merged
# span is all-`[MASK]` or has no `[MASK]` at all; per token, 43% of the merged spans mix fates
# (one-token spans included, which cannot mix).

# %%
dev_ids = torch.full((len(dev_blocks), 128), tokenizer.pad_token_id)
for i, block in enumerate(dev_blocks.blocks):
    dev_ids[i, : len(block.input_ids)] = torch.tensor(block.input_ids)


def mixed_share(replacement):
    out = mask_batch(
        dev_ids,
        tokenizer=tokenizer,
        config=MaskingConfig(replacement=replacement),
        unigram_counts=counts,
        generator=torch.Generator().manual_seed(0),
    )
    mixed = total = 0
    for b, spans in enumerate(out.spans):
        for s, e in spans:
            is_mask = out.input_ids[b, s:e] == tokenizer.mask_token_id
            mixed += bool(is_mask.any() and not is_mask.all())
            total += 1
    return round(mixed / total, 3)


{
    "mixed spans, per-span draw": mixed_share("span"),
    "mixed spans, per-token draws": mixed_share("token"),
}

# %% [markdown]
# ### Exercise 4 — span lengths by inverse-CDF sampling
#
# A sampler that must draw *exactly* what the library draws has to use the same uniforms in the
# same way. Inverse-CDF sampling turns one uniform $u \in [0, 1)$ into one length: the smallest
# $\ell$ with $u < \text{CDF}(\ell)$, i.e. 1 + the number of CDF values $\le u$. Write
# `sample_lengths(n, p, max_len, generator)` returning `n` lengths (a long tensor of shape `(n,)`)
# from the truncated pmf, drawing the uniforms as
# `torch.rand(n, generator=generator, dtype=torch.float64)` — from the generator you are given,
# never from the global one, so that the same seed gives the same lengths. (Stuck?
# `ex.sample_lengths.hint()` and `ex.sample_lengths.solution()`.) The checker compares
# your lengths with `sample_span_lengths` on the same seed, and where your generator ends up.


# %%
def sample_lengths(n, p, max_len, generator):
    ### BEGIN SOLUTION
    cdf = torch.cumsum(truncated_pmf(p, max_len), 0)  # cdf[l - 1] = P(L <= l)
    u = torch.rand(n, generator=generator, dtype=torch.float64)  # one uniform per length
    return (torch.searchsorted(cdf, u, right=True) + 1).clamp(max=max_len)
    ### END SOLUTION


ex.sample_lengths.check(sample_lengths)

# %% [markdown]
# ### Exercise 5 — the span sampler, draw for draw
#
# Now the whole algorithm (stuck? `ex.span_sampler.hint()` gives hints one by one,
# `ex.span_sampler.solution()` the answer). Write `span_sampler(n, word_starts, budget,
# generator)` for one block of `n` real tokens (positions `0..n-1`, no `[CLS]`/`[SEP]`; `word_starts` lists where words start).
# Return `(spans, fate)`: the merged half-open spans, and a long tensor of shape `(n,)` with the
# fate of every token — 0 not selected, 1 `[MASK]`, 2 random token, 3 kept.
#
# **The random-number protocol.** Every random choice comes from `generator`, in this order, so
# that the same seed gives `mask_batch`'s spans and fates:
#
# - the span draws read uniforms in pairs. `pairs = ex.uniform_pairs(generator, budget)` replays
#   the library's reading: each `next(pairs)` gives `(u_length, u_anchor)` for one draw (the
#   library draws `torch.rand(3 * max(8, budget), dtype=torch.float64)` at a time and uses three
#   per draw: length, anchor, and a coin only the entity / noun-phrase schemes read); a rejected
#   draw still uses its pair;
# - after the last span, one `torch.rand(len(spans), generator=generator, dtype=torch.float64)`
#   gives one uniform per **merged** span, in span order, for its 80/10/10 fate.
#
# Then, for each draw:
#
# 1. **length** in words: inverse-CDF sampling, as in exercise 4, applied to $u_{\text{length}}$;
# 2. **anchor** `int(u_anchor * n)`, a sub-word position; if it is already masked, **reject** the
#    draw and take the next pair;
# 3. **snap** the anchor to the start of its word and **extend** by whole words until the span
#    has $\ell$ words (or the block ends), masking token by token; a token already masked by an
#    earlier span is passed over (it does not count toward the budget again), while the span's
#    range still covers it (`word_starts[0]` is always 0);
# 4. stop **the moment** the count of masked tokens reaches the budget — even mid-word;
# 5. **merge** the spans (your `merge_spans`), then draw **one** uniform per merged span,
#    `torch.rand(len(spans), generator=generator, dtype=torch.float64)`: below 0.8 `[MASK]`, below
#    0.9 random, else kept.


# %%
def span_sampler(n, word_starts, budget, generator, p=0.2, max_words=10):
    ### BEGIN SOLUTION
    # lengths: inverse CDF of the truncated, renormalised geometric on 1..max_words
    weights = [p * (1 - p) ** (length - 1) for length in range(1, max_words + 1)]
    cdf = [sum(weights[: i + 1]) / sum(weights) for i in range(max_words)]
    word_ends = [*word_starts[1:], n]
    word_of = [0] * n  # token -> index of its word
    for w, (a, b) in enumerate(zip(word_starts, word_ends, strict=True)):
        word_of[a:b] = [w] * (b - a)
    masked = [False] * n
    drawn, count = [], 0
    pairs = ex.uniform_pairs(generator, budget)
    while count < budget:
        u_length, u_anchor = next(pairs)
        length = min(1 + sum(c <= u_length for c in cdf), max_words)
        anchor = min(int(u_anchor * n), n - 1)  # uniform over sub-word positions
        if masked[anchor]:
            continue  # reject a masked anchor: draw length and anchor again
        w = word_of[anchor]  # snap to the start of the anchor's word ...
        start = word_starts[w]
        end = word_ends[min(w + length, len(word_starts)) - 1]  # ... extend by whole words
        for t in range(start, end):
            if not masked[t]:
                masked[t] = True
                count += 1
                if count == budget:  # the budget is exact: stop, even mid-word
                    end = t + 1
                    break  # out of this span; the while loop ends too
        drawn.append((start, end))
    spans = merge_spans(drawn)
    fate = torch.zeros(n, dtype=torch.long)  # 0 = not selected
    u = torch.rand(len(spans), generator=generator, dtype=torch.float64)  # one draw per span
    for (s, e), draw in zip(spans, u.tolist(), strict=True):
        fate[s:e] = 1 if draw < 0.8 else 2 if draw < 0.9 else 3  # [MASK] / random / kept
    return spans, fate
    ### END SOLUTION


ex.span_sampler.check(span_sampler)

# %% [markdown]
# The checker compared your sampler with `mask_batch(scheme="span")` on small synthetic blocks.
# Now on the course's dev blocks, with the same generator, spans *and* fates: `[MASK]` exactly
# where your fate is 1, the original token where it is 0 or 3, and every changed token a "random"
# one. Each block gets its own generator seeded with its index.


# %%
def fates_agree(block_ids, seed):
    ids_b = torch.tensor(block_ids)
    n_b = len(ids_b) - 2
    starts_b = [t for t in range(n_b) if not bool(info.is_continuation[ids_b[t + 1]])]
    spans_b, fate_b = span_sampler(
        n_b, starts_b, budget_of(n_b), torch.Generator().manual_seed(seed)
    )
    lib_b = mask_batch(
        ids_b[None],
        tokenizer=tokenizer,
        unigram_counts=counts,
        generator=torch.Generator().manual_seed(seed),
    )
    got, original = lib_b.input_ids[0, 1:-1], ids_b[1:-1]
    return (
        spans_b == [(s - 1, e - 1) for s, e in lib_b.spans[0]]
        and torch.equal(fate_b == 1, got == tokenizer.mask_token_id)
        and torch.equal(fate_b == 0, lib_b.labels[0, 1:-1] == -100)
        and bool((fate_b[(got != original) & (fate_b != 1)] == 2).all())
    )


def budget_of(n_tokens):
    return math.ceil(0.15 * n_tokens - 1e-9)


agree = [fates_agree(block.input_ids, i) for i, block in enumerate(dev_blocks.blocks[:200])]
assert all(agree)
{"dev blocks compared": len(agree), "identical to mask_batch": sum(agree)}

# %% [markdown]
# ### How long are the spans in sub-words?
#
# 3.8 is a number of *words*. On the course corpus: the mean drawn length in words; the sub-words
# those words cover, counted from each drawn span's start (before the budget cuts the last span
# short); the merged spans the model actually sees (merging joins touching spans); and the corpus'
# sub-words per word.

# %%
span_dev = mask_batch(
    dev_ids, tokenizer=tokenizer, unigram_counts=counts, generator=torch.Generator().manual_seed(1)
)
real = (dev_ids != tokenizer.pad_token_id) & ~info.is_control[dev_ids]  # [UNK] is text
starts_dev = (real & ~info.is_continuation[dev_ids]).tolist()


def pieces_in_words(row, start, n_words):
    """Sub-word tokens covered by ``n_words`` whole words from ``start`` (stops at the block end)."""
    end, seen = start, 0
    while end < len(starts_dev[row]) and bool(real[row, end]):
        seen += starts_dev[row][end]
        if seen > n_words:
            break
        end += 1
    return end - start


drawn = [(b, d) for b, row in enumerate(span_dev.drawn) for d in row]
words_per_span = sum(d.length for _, d in drawn) / len(drawn)
pieces_per_span = sum(pieces_in_words(b, d.start, d.length) for b, d in drawn) / len(drawn)
merged = [e - s for row in span_dev.spans for s, e in row]
pieces_per_word = real.sum() / (real & ~info.is_continuation[dev_ids]).sum()
cut_per_span = sum(d.end - d.start for _, d in drawn) / len(drawn)
budgets = [budget_of(int(r.sum())) for r in real]
english_estimate = 3.8 * 1.3  # the paper's 3.8 words × ≈ 1.3 pieces per English word (an estimate)
assert abs(pieces_per_span - words_per_span * float(pieces_per_word)) < 0.1
{
    "drawn: words per span": round(words_per_span, 2),
    "drawn: sub-words those words cover": round(pieces_per_span, 2),
    "drawn: sub-words after the budget cut": round(cut_per_span, 2),
    "merged spans: sub-words": round(sum(merged) / len(merged), 2),
    "sub-words per word (corpus)": round(float(pieces_per_word), 2),
    "drawn spans per block": round(len(drawn) / len(span_dev.drawn), 2),
    "merged spans per block": round(len(merged) / len(span_dev.spans), 2),
    "budget per block (tokens)": round(sum(budgets) / len(budgets), 1),
    "real tokens per block": round(float(real.sum(1).double().mean()), 1),
    "3.8 words × 1.3 pieces (English estimate)": round(english_estimate, 1),
}

# %% [markdown]
# **Reading the numbers, from the 3.8 words to the merged spans.**
#
# 1. The drawn lengths average 3.82 words — the truncated geometric's 3.8.
# 2. Those words cover 4.22 sub-words: 3.82 words × about 1.1 pieces per word. The paper gives span lengths only in words; the
#    "≈ 5 sub-words" you will read elsewhere is an estimate, not a number from the paper:
#    3.8 words × about 1.3 pieces per word, typical of English text with BERT's vocabulary, ≈ 4.9.
# 3. The **budget cuts them**: a course block has on average only 12.8 tokens to mask (⌈15%⌉ of
#    about 82 real tokens), so a span of 4 is a third of the budget, and the last span of a block
#    often stops where the budget runs out. After the cut, drawn spans average 3.54
#    sub-words. With the paper's 512-token blocks (a budget of 77) the cut matters far less.
# 4. **Merging** joins touching or overlapping spans (3.70 drawn → 3.43 merged spans per block),
#    which lengthens the average back to 3.73 — what the model actually sees.
#
# (Punctuation marks are words of their own: the official corpus was pre-split by BERT's basic
# tokenizer, and WordPiece does the same. More in the [reference](../docs/spanbert-reference.md#span-statistics).)
#
# ## 5 · The same passage, five ways
#
# The library's schemes on one passage with one seed: BERT's sub-words, whole words, SpanBERT's
# spans, and the paper's two linguistic ablations — **named entities** and **noun phrases**, which
# mask a whole annotated span half of the time and a geometric span otherwise (`annotation_prob`).
# That is what the official code does and what the course follows; the paper's own description
# (§5.1) differs in one sentence's worth: there the other half are random *whole words*, and
# numerical entities are not candidates, while the code masks any tagged span, dates and numbers
# included (`MaskingConfig(annotation_fallback="whole_word")` gives the paper's other half).

# %%
paper_vs_code = MaskingConfig()
assert paper_vs_code.annotation_prob == 0.5 and paper_vs_code.annotation_fallback == "span"
{"annotation_prob": paper_vs_code.annotation_prob, "fallback": paper_vs_code.annotation_fallback}

# %% [markdown]
# Each panel shows what the model reads: a `[MASK]` (dark blue) or a random token (vermillion)
# with the hidden original in brackets under it, a target kept unchanged (yellow), or an ordinary
# token (white).

# %%
from spanbert_lab.course.plots.masking import plot_schemes_side_by_side, token_view

FIVE_WAY_SEED = 31  # a seed where [MASK], random and kept all show (every panel but noun_phrase)
views = {}
for scheme in ["subword", "whole_word", "span", "entity", "noun_phrase"]:
    key = scheme_spec(scheme).annotation_kind  # the registry says which annotations it reads
    out = mask_batch(
        ids[None],
        tokenizer=tokenizer,
        scheme=scheme,
        annotations=[passage.annotations[key]] if key else None,
        unigram_counts=counts,
        generator=torch.Generator().manual_seed(FIVE_WAY_SEED),
    )
    views[scheme] = token_view(tokenizer, ids, out.input_ids[0], out.labels[0], out.spans[0])
fig = plot_schemes_side_by_side(views)

# %% [markdown]
# **What to look for.** Every panel hides the same *number* of tokens, 12 (the budget) — not the
# same tokens. Sub-word masking scatters them one by one (and may hide only part of a word);
# whole-word masking hides whole words, still scattered; spans hide runs of several words, and
# the two linguistic schemes hide annotated names or noun phrases for about half of their spans
# and geometric spans for the rest (the official code's rule), and the budget can cut an
# annotated span short. In the span schemes a whole run
# shares one fate: all `[MASK]`, all random, or all kept. Count the masked runs and the fates:

# %%
fates_per_scheme = {
    name: {fate: view.fates.count(fate) for fate in ("[MASK]", "random", "kept")}
    for name, view in views.items()
}
assert all(sum(f.values()) == budget for f in fates_per_scheme.values())
{name: (len(view.spans), fates_per_scheme[name]) for name, view in views.items()}

# %% [markdown]
# ## 6 · Why spans are harder
#
# A masked token next to visible neighbours can often be guessed from them alone; inside a span its
# neighbours are masked too. Let us measure it with the simplest possible predictor: count, over the
# training blocks, which token appears most often between a given left and right neighbour, after a
# given left neighbour, and before a given right neighbour. To predict a masked token, use the
# most specific count whose context is visible (both neighbours, else one, else the most frequent
# token overall).

# %%
between, after, before, overall = (
    defaultdict(Counter),
    defaultdict(Counter),
    defaultdict(Counter),
    Counter(),
)
for block in train_blocks.blocks:
    x = block.input_ids
    for i in range(1, len(x) - 1):
        between[x[i - 1], x[i + 1]][x[i]] += 1
        after[x[i - 1]][x[i]] += 1
        before[x[i + 1]][x[i]] += 1
        overall[x[i]] += 1
best = {
    name: {context: c.most_common(1)[0][0] for context, c in table.items()}
    for name, table in [("between", between), ("after", after), ("before", before)]
}
most_common = overall.most_common(1)[0][0]
MASK = tokenizer.mask_token_id


def predict(masked_ids, i):
    left, right = masked_ids[i - 1], masked_ids[i + 1]
    if left != MASK and right != MASK and (left, right) in best["between"]:
        return best["between"][left, right]
    if left != MASK and left in best["after"]:
        return best["after"][left]
    if right != MASK and right in best["before"]:
        return best["before"][right]
    return most_common


def dev_masks(scheme):
    return mask_batch(
        dev_ids,
        tokenizer=tokenizer,
        scheme=scheme,
        config=MaskingConfig(mask_prob=1.0, random_prob=0.0),  # every target is [MASK]
        generator=torch.Generator().manual_seed(0),
    )


def accuracy(scheme):
    out = dev_masks(scheme)
    hits = total = 0
    for row, labels in zip(out.input_ids.tolist(), out.labels.tolist(), strict=True):
        for i, y in enumerate(labels):
            if y != -100:
                hits += predict(row, i) == y
                total += 1
    return hits / total


acc = {scheme: accuracy(scheme) for scheme in ["subword", "whole_word", "span"]}
{scheme: round(a, 3) for scheme, a in acc.items()}

# %%
from spanbert_lab.course.plots.masking import plot_accuracy_by_context

fig = plot_accuracy_by_context(
    {"sub-word tokens": acc["subword"], "whole words": acc["whole_word"], "spans": acc["span"]},
    title="Neighbour-count predictor on masked dev tokens",
)

# %% [markdown]
# **What to look for.** Each bar has the same number of targets; only *which* tokens are hidden
# changes. Spans cut the accuracy of a predictor that leans on the immediate neighbours by more
# than half. The reason is in the neighbours themselves — for each target, are its left and right
# neighbours visible, or hidden too?


# %%
def neighbours_hidden(scheme):
    hidden = dev_masks(scheme).labels != -100  # (B, T), the same masks as above
    target = hidden[:, 1:-1]
    n_hidden = hidden[:, :-2].int() + hidden[:, 2:].int()  # 0, 1 or 2 hidden neighbours
    return {k: round(float((n_hidden[target] == k).double().mean()), 2) for k in (0, 1, 2)}


context = {scheme: neighbours_hidden(scheme) for scheme in acc}
assert context["span"][2] > 0.5 and context["span"][0] < 0.1 and context["subword"][0] > 0.7
context

# %% [markdown]
# The share of targets with 0, 1 or 2 hidden neighbours. A scattered sub-word target usually has
# both neighbours in view (0.74), and then the "between" table answers. In spans only 0.06 of the
# targets do; 0.42 have one neighbour hidden, and a little over half, 0.52, have **no** visible
# neighbour at all — for those the counting predictor can only fall back on the most frequent
# token.
#
# A counting predictor is a crude model. The course ships *trained* tiny models
# (`data/checkpoints/`, notebook 04), among them **bert-tiny**, pretrained with BERT's sub-word
# masking, and **spanbert-tiny**, pretrained with span masking + SBO, on the same 20 M tokens.
# Score their MLM heads on the same dev blocks, masked once with sub-word tokens and once with
# spans (every target `[MASK]`, fixed masks, all 342 dev blocks, about 4,400 targets per scheme):

# %%
from spanbert_lab.model.pretraining import SpanBertForPreTraining
from spanbert_lab.pretrain.evaluation import evaluate_pretraining
from spanbert_lab.runtime import data_dir

shipped = {
    name: SpanBertForPreTraining.from_pretrained(data_dir() / "checkpoints" / name).eval()
    for name in ("bert-tiny", "spanbert-tiny")
}
all_mask = MaskingConfig(mask_prob=1.0, random_prob=0.0)
eval_blocks = dev_blocks.examples()  # all the dev blocks
trained = {
    (name, scheme): evaluate_pretraining(
        m, eval_blocks, MaskingCollator(tokenizer, scheme, all_mask, seed=0)
    )
    for name, m in shipped.items()
    for scheme in ("subword", "span")
}
{
    f"{name}, {scheme} masks": (
        f"{r['mlm_accuracy']:.3f} ± {2 * math.sqrt(r['mlm_accuracy'] * (1 - r['mlm_accuracy']) / r['mlm_targets']):.3f}"
        f" ({r['mlm_targets']} targets)"
    )
    for (name, scheme), r in trained.items()
}


# %%
def interval(name, scheme):
    r = trained[name, scheme]
    a = r["mlm_accuracy"]
    half = 2 * math.sqrt(a * (1 - a) / r["mlm_targets"])
    return a - half, a + half


def below(x, y):  # x's interval lies entirely below y's
    return interval(*x)[1] < interval(*y)[0]


def drop(name):
    return trained[name, "subword"]["mlm_accuracy"] - trained[name, "span"]["mlm_accuracy"]


bert_share = drop("bert-tiny") / trained["bert-tiny", "subword"]["mlm_accuracy"]
on_spans = [("bert-tiny", "span"), ("spanbert-tiny", "span")]
quoted = {"bert-tiny": (0.75, 0.37), "spanbert-tiny": (0.48, 0.38)}  # the numbers in the text
for name, (on_subword, on_span) in quoted.items():
    assert abs(trained[name, "subword"]["mlm_accuracy"] - on_subword) < 0.005
    assert abs(trained[name, "span"]["mlm_accuracy"] - on_span) < 0.006
{
    "both models lower on spans": all(below((m, "span"), (m, "subword")) for m in shipped),
    "bert-tiny loses about half": 0.4 < bert_share < 0.6,
    "spanbert-tiny loses less": drop("spanbert-tiny") < drop("bert-tiny"),
    "on spans the two are level": not below(*on_spans) and not below(*on_spans[::-1]),
}

# %% [markdown]
# **What to look for.** Compare each model's two numbers (± two binomial standard errors): the
# same number of hidden tokens, in spans instead of scattered pieces. Both trained models score
# lower on spans (the cell above checks each statement). `bert-tiny` loses about half its
# accuracy, 0.75 → 0.37, a drop like the counting predictor's, if somewhat smaller: a scattered
# target usually has a visible neighbour on each side, and it is plausible (not measured here)
# that BERT's masking trained it to lean on them. `spanbert-tiny`,
# trained on spans, is far weaker on scattered tokens (0.48) and therefore loses less; on spans
# the two are level (0.373 and 0.375).
#
# So what do these numbers show, and what not? Spans are harder for every predictor, trained or
# not. Training on spans did **not** make this model better at filling spans — it is level with
# BERT's there and worse on scattered tokens. Nothing here measures whether a span-trained model
# "looks further"; the paper's case for span masking is made on downstream span tasks (its
# Table 6), which notebooks 04 and 05 take up, and notebook 04 breaks the same accuracy down by
# position inside the span.
#
# SpanBERT's second idea, the **span boundary objective** (notebook 03), adds a training signal
# aimed at spans directly: predict each span token from the two tokens just outside the span,
# $x_{s-1}$ and $x_{e+1}$, plus its relative position.
#
# ## 7 · The collator: masks that do not depend on the batch
#
# For training, the collator wraps `mask_batch` for a `DataLoader` (or transformers' `Trainer`):
# it pads and masks, and it gives each example its own generator seeded from (seed, epoch,
# index). So a mask never depends on the batch size or the number of workers, and each epoch
# gets new masks.
#
# **In code.** `MaskingCollator(tokenizer, scheme, seed=..., unigram_counts=counts)`; like
# `mask_batch` it needs the unigram counts unless no target ever gets a random token
# (`random_prob=0`, as in the evaluation above). Its batches also carry four `sbo_*` tensors, the
# span boundary targets that notebook 03 explains.

# %%
collator = MaskingCollator(tokenizer, "span", seed=0, unigram_counts=counts)
batch = collator(train_blocks.examples()[:8])
{key: tuple(value.shape) for key, value in batch.items()}

# %%
again = collator(train_blocks.examples()[4:8])  # a different batch size and composition
collator.set_epoch(1)
next_epoch = collator(train_blocks.examples()[:8])
collator.set_epoch(0)
same = torch.equal(again["labels"][0], batch["labels"][4, : again["labels"].shape[1]])
{
    "same mask in another batch": same,
    "new mask next epoch": bool((next_epoch["labels"] != batch["labels"]).any()),
}

# %% [markdown]
# For the paper's NSP ablation (next-sentence prediction, explained in notebook 00),
# `build_nsp_blocks` makes `[CLS] A [SEP] B [SEP]` pairs: B is the true continuation of A or, half
# of the time, text from another document. The label follows transformers' convention:
# **`next_sentence_label` 0 means "B continues A"**, 1 means "B is random". Each segment is masked
# separately and the collator adds the label:

# %%
from spanbert_lab.data.blocks import tokenize_documents

nsp_docs = train_docs.select(range(200))
nsp_blocks = build_nsp_blocks(nsp_docs, tokenizer, 128, generator=torch.Generator().manual_seed(0))
nsp_batch = MaskingCollator(tokenizer, "span", unigram_counts=counts)(nsp_blocks.examples()[:4])
doc_sentences = tokenize_documents(nsp_docs, tokenizer)


def b_continues_a(block):
    """A then B is exactly the run of sentences of A's document that the block records."""
    first, end = block.sentences
    text = [t for s in doc_sentences[block.doc_index][first:end] for t in s.input_ids]
    frame = (tokenizer.cls_token_id, tokenizer.sep_token_id)
    return [t for t in block.input_ids if t not in frame] == text


labels_nsp = [b.next_sentence_label for b in nsp_blocks.blocks]
assert all(b_continues_a(b) == (b.next_sentence_label == 0) for b in nsp_blocks.blocks)
{
    "keys": sorted(nsp_batch),
    "next_sentence_label": nsp_batch["next_sentence_label"].tolist(),
    "label 0 ⇔ B continues A": True,
    "share of label 1 (random B)": round(sum(labels_nsp) / len(labels_nsp), 2),
}

# %% [markdown]
# ## 8 · Misconceptions, set right
#
# | you may read | what the paper and the official code do |
# |---|---|
# | "span length 3.8 tokens" | 3.8 **words**; the paper gives no sub-word figure (≈ 5 is an estimate for English; on this corpus 4.2 as drawn, 3.5 after the budget cut) |
# | "lengths clipped at 10" (i.e. $\min(L, 10)$) | truncated *and renormalised*: a true clip has mean 4.46, not 3.8 |
# | "80/10/10 per token, as in BERT" | **once per span**: the whole span is `[MASK]`, random or kept |
# | "span start chosen uniformly over words" | anchor uniform over **sub-words**, moved to its word start; long words are favoured |
# | "random replacement tokens are uniform over the vocabulary" | drawn from the corpus token stream, i.e. the **unigram** distribution |
# | "spans never overlap" | later spans may run into masked tokens; overlapping or touching spans are **merged** and share one 80/10/10 draw |
# | "SpanBERT is trained only on the span boundary objective" | MLM is kept; SBO is added to it (notebook 03) |
#
# More, with sources, in the course reference: [span masking](../docs/spanbert-reference.md#span-masking) and
# [misconceptions](../docs/spanbert-reference.md#misconceptions).
#
# Each alternative is an option of `MaskingConfig` — `length_mode="clip"`, `replacement="token"`,
# `anchor="word"`, `random_token_source="uniform"` — so you can measure what it changes.
#
# ## 9 · Mask explorer
#
# Choose the scheme, the geometric $p$, the maximum span length, the mask ratio, the replacement
# unit and the seed; the explorer colours the passage, lists the spans and shows statistics over
# 64 masks. First the static view (default settings), for readers without a running kernel:

# %%
from spanbert_lab.course.widgets.masking import MaskExplorer, mask_explorer_figure

figure, summary = mask_explorer_figure(
    tokenizer, passage.input_ids, annotations=passage.annotations, unigram_counts=counts
)
print(summary)

# %% [markdown]
# And the live explorer (*save PNG* writes the current view to `mask_explorer.png`):

# %% tags=["nbval-ignore-output"]
explorer = MaskExplorer(
    tokenizer, passage.input_ids, annotations=passage.annotations, unigram_counts=counts
)
explorer

# %%
explorer.summary() == summary

# %% [markdown]
# **What to look for in the explorer.** Raise the mask ratio: spans merge more often and the
# mean span grows. Lower $p$: longer spans, fewer of them, the same number of targets. Switch the
# replacement unit to "token": the `[MASK]` colour starts to mix inside spans. The statistics
# line counts over 64 masks, so it moves little with the seed; the passage view moves a lot.
# (Its last figure, the share of targets with span boundary targets, belongs to notebook 03.)
#
# ## Summary
#
# *(Terms in English and Chinese: the [glossary](../docs/glossary.md), 术语表.)*
#
# * MLM predicts the original tokens at a set of positions ($\lceil 15\% \rceil$ of the real
#   tokens); labels are `-100` everywhere else, so only targets count in the loss.
# * The 80/10/10 rule keeps the model from relying on `[MASK]`, which never appears at fine-tuning.
# * Words come from the WordPiece `##` rule; whole-word masking never leaves half a word visible.
# * SpanBERT's span lengths follow a **truncated, renormalised** Geo(0.2) on 1..10 words: mean 3.8
#   words (4.2 sub-words as drawn on this corpus, 3.5 after the budget cut; ≈ 5 is only an
#   estimate for English). Anchors are uniform
#   over sub-words, masked anchors are
#   rejected, spans are merged, the budget is exact, and 80/10/10 is decided **per span** with
#   unigram random tokens — you wrote the whole sampler and matched the library draw for draw.
# * Spans are much harder for neighbour-based guessing (you measured less than half the accuracy:
#   most span targets have a hidden neighbour) and for trained models too. A model trained on spans
#   was no better at filling them here and worse on scattered tokens; the case for span masking
#   rests on downstream span tasks (notebooks 04–05). The span boundary objective (notebook 03)
#   adds a signal aimed at spans.
# * The collator's masks depend only on (seed, epoch, index): reproducible with any batch size or
#   worker count, and new every epoch.
#
# Next, notebook 03 builds the SpanBERT model: the MLM head and the span boundary objective.
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "Masking quiz",
    (
        "What is the mean span length in SpanBERT?",
        [
            (
                "3.8 sub-word tokens",
                False,
                "3.8 counts words; in sub-words it depends on the text (4.2 as drawn on this corpus).",
            ),
            ("3.8 words", True, "Truncated, renormalised Geo(0.2) on 1..10 words has mean 3.797."),
            ("5 words", False, "1/p = 5 is the mean of the untruncated geometric distribution."),
        ],
    ),
    (
        "A merged span of 6 tokens is chosen for masking. With the paper's settings…",
        [
            (
                "each token independently becomes [MASK] with probability 0.8",
                False,
                "That is BERT's per-token rule; SpanBERT draws once for the whole span.",
            ),
            (
                "all 6 tokens become [MASK] with probability 0.8",
                True,
                "One draw per merged span: all [MASK], all random, or all unchanged.",
            ),
            (
                "the span is never left unchanged",
                False,
                "10% of spans stay as they are — and still count as targets.",
            ),
        ],
    ),
    (
        "Why does BERT replace some targets with random or unchanged tokens?",
        [
            (
                "To make training faster",
                False,
                "It costs the same; the point is what the model must represent.",
            ),
            (
                "Because [MASK] never appears at fine-tuning time",
                True,
                "Any position may be a target, so every output must describe its own token.",
            ),
            (
                "To add label noise as regularisation",
                False,
                "The labels stay the original tokens; only the input is corrupted.",
            ),
        ],
    ),
    (
        "Which tokens can never be selected for masking?",
        [
            (
                "[CLS], [SEP] and padding",
                True,
                "The budget counts only real text tokens; special tokens stay untouched.",
            ),
            (
                "Continuation pieces (##…)",
                False,
                "They can be chosen: alone under sub-word masking, with their word under whole-word and span masking (where spans start at a word start).",
            ),
            (
                "Tokens already inside another span",
                False,
                "Later spans may run into them (a no-op); overlapping spans are merged.",
            ),
        ],
    ),
)
