# %% [markdown]
# # 01 · Attention from first principles
#
# Every layer of BERT and SpanBERT is built around one operation: **scaled dot-product attention**.
# In this notebook you write it yourself, piece by piece, and check each piece against the
# course library, against PyTorch's fused kernel and against 🤗 transformers' BERT.
#
# **Goals**
#
# 1. Read attention as "a weighted average of values, weighted by query–key similarity".
# 2. Measure *why* the scores are divided by $\sqrt{d_k}$.
# 3. Handle padding with a boolean mask, including the corner case of a query with no key.
# 4. Split attention into heads, and swap your attention into a real BERT with identical results.
# 5. Measure how the cost grows with sequence length, and explore the attention of a model.

# %%
import math
import time

import torch
from torch.testing import assert_close

from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
rt

# %% [markdown]
# ## The idea in plain words
#
# Each token asks a question (its **query**), every token advertises what it contains (its
# **key**), and every token offers some content (its **value**). A token's new representation is
# the average of all values, weighted by how well its query matches each key. Matching is a dot
# product: large when two vectors point the same way.
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right) V$$
#
# with $Q \in \mathbb{R}^{T_q \times d_k}$, $K \in \mathbb{R}^{T_k \times d_k}$,
# $V \in \mathbb{R}^{T_k \times d_v}$; the softmax runs over the keys, so each row of weights sums to 1.
#
# ### Dot products as similarity
#
# Four made-up 3-dimensional word vectors: two animals, two places.

# %%
words = ["cat", "dog", "Paris", "Rome"]
vectors = torch.tensor([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.0, 0.1, 1.0], [0.1, 0.0, 0.9]])
similarity = vectors @ vectors.T
similarity.round(decimals=2)

# %% [markdown]
# "cat" matches "dog" (1.8) far better than "Paris" (0.1). But look at the last row: "Rome"
# matches "Paris" (0.90) *better than itself* (0.82). A dot product is not a pure similarity: it
# also grows with the lengths of the two vectors, $q \cdot k = \lVert q\rVert\,\lVert k\rVert
# \cos\theta$, and "Paris" is the longer vector. Cosine similarity divides the lengths out;
# attention does not, so a long key gets larger scores from the queries that point towards it
# (and more negative ones from the queries that point away).

# %%
norms = vectors.norm(dim=-1)
cosine = similarity / (norms[:, None] * norms[None, :])
rome, paris = words.index("Rome"), words.index("Paris")
assert similarity[rome, paris] > similarity[rome, rome] and cosine[rome, rome] > cosine[rome, paris]
{
    "length of Paris, of Rome": (round(float(norms[paris]), 2), round(float(norms[rome]), 2)),
    "Rome·Paris vs Rome·Rome": (
        round(float(similarity[rome, paris]), 2),
        round(float(similarity[rome, rome]), 2),
    ),
    "cosine: Rome–Paris vs Rome–Rome": (
        round(float(cosine[rome, paris]), 2),
        round(float(cosine[rome, rome]), 2),
    ),
}

# %% [markdown]
# The **softmax** turns a row of scores into positive weights that sum to one:
# $\operatorname{softmax}(s)_j = e^{s_j} / \sum_l e^{s_l}$.

# %%
weights = similarity.softmax(dim=-1)
weights.round(decimals=3), weights.sum(dim=-1)

# %% [markdown]
# The last step of attention multiplies the weights by the **values**: each word's output is the
# weighted average of the value vectors. Here the values are the word vectors themselves (a real
# layer computes keys, queries and values by three learned projections):

# %%
outputs = weights @ vectors  # (4, 4) weights × (4, 3) values -> (4, 3): one new vector per word
cat = words.index("cat")
assert outputs[cat, :2].min() > 0.75 and outputs[rome, 2] > 0.6 and outputs[rome, :2].min() > 0.3
outputs.round(decimals=2)

# %% [markdown]
# "cat"'s new vector is mostly animal (0.81, 0.81 on the first two coordinates, 0.19 on the
# third); "Rome"'s is mostly place (0.66) but a third animal (0.34, 0.35), because unscaled scores
# this close give soft weights: every output is a blend. The next section is about how sharp
# those weights should be.

# %% [markdown]
# ## Why divide by $\sqrt{d_k}$? A measured experiment
#
# If the entries of $q$ and $k$ are independent with mean 0 and variance 1, then
# $q \cdot k = \sum_{i=1}^{d_k} q_i k_i$ has variance $d_k$. Large scores push the softmax into
# saturation: one weight near 1, the others near 0, and gradients near 0. Dividing by
# $\sqrt{d_k}$ brings the variance back to 1. Let us measure it rather than believe it.

# %%
from spanbert_lab.course.plots.attention import plot_score_statistics, score_statistics

N_KEYS = 16  # each query's softmax runs over 16 keys
stats = score_statistics(
    [4, 16, 64, 256, 1024], n_keys=N_KEYS, generator=torch.Generator().manual_seed(0)
)
print(f"{'d_k':>5} {'Var(q·k)':>9} {'Var(q·k/√d_k)':>14} {'max weight, raw':>16} {'… scaled':>9}")
for d, raw, scaled, sat_raw, sat_scaled in zip(
    stats.d_k,
    stats.variance_raw,
    stats.variance_scaled,
    stats.max_weight_raw,
    stats.max_weight_scaled,
    strict=True,
):
    print(f"{d:>5} {raw:>9.0f} {scaled:>14.2f} {sat_raw:>16.2f} {sat_scaled:>9.2f}")
at_64 = stats.d_k.index(64)
{
    "keys per query": N_KEYS,
    "uniform weight 1/16": round(1 / N_KEYS, 4),
    "mean largest weight at d_k=64, unscaled": round(stats.max_weight_raw[at_64], 2),
    "… scaled": round(stats.max_weight_scaled[at_64], 2),
}

# %%
fig = plot_score_statistics(stats)
# %% [markdown]
# **What to look for.** Left: the variance of the raw score grows like $d_k$ (the slope-1 line on
# log–log axes); scaled, it stays at 1. Right: each query's softmax runs over 16 keys, so
# perfectly even weights would be $1/16 \approx 0.06$ each (the dashed line). Unscaled, at
# $d_k = 64$ (BERT-base's
# head size) the largest of the 16 weights already takes most of the mass on average (the value in
# the dictionary above), and by $d_k = 1024$ almost all of it: the softmax drifts towards an argmax,
# whose gradient is almost 0 for every other key. Scaled, the largest weight stays the same
# whatever $d_k$ is.
#
# ### Exercise 1 — the score matrix
#
# Write `scaled_scores(q, k)`: the dot product of every query with every key, $QK^\top$, divided
# by the one constant that gives the scores variance 1 when the entries of `q` and `k` are
# independent with mean 0 and variance 1. Derive it first: what are the mean and the variance of
# one product $q_i k_i$, and of a sum of $d_k$ of them? Inputs are batched: `q` of shape
# `(..., T_q, d_k)` and `k` of shape `(..., T_k, d_k)` — `(B, T, d_k)` here, `(B, H, T, d_k)` once
# there are heads (the checker tries both, different `T_q` and `T_k`, and several $d_k$); return
# the scores, of shape `(..., T_q, T_k)`.

# %%
from spanbert_lab.course.exercises import nb01_attention as ex


def scaled_scores(q, k):
    ### BEGIN SOLUTION
    return q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    ### END SOLUTION


ex.scaled_scores.check(scaled_scores)

# %% [markdown]
# Stuck? `ex.scaled_scores.hint()` gives hints one by one (`hint(1)`, `hint(2)`…), and
# `ex.scaled_scores.solution()` shows a reference answer.
#
# ## Padding masks
#
# Sentences in a batch have different lengths, so short ones are padded. A padded position must
# receive **no** attention. We use a boolean mask, `True` = "may attend", broadcast to
# `(..., T_q, T_k)`. Masked scores are set to a very negative number before the softmax, so their
# weight is exactly 0.
#
# A subtle case: if *every* key of a query is masked, filling with $-\infty$ gives $0/0 = $ NaN,
# and filling with the most negative finite number gives a uniform row. The course library (like
# PyTorch) returns an all-zero row instead: it fills with the most negative number and then sets
# such a row to 0. (transformers' BERT adds a huge negative number and keeps the uniform row —
# harmless too, as the quiz at the end explains.) The mask below gives the first query of the
# second sentence no allowed key, to show it.

# %%
g = torch.Generator().manual_seed(1)
q = torch.randn(2, 4, 8, generator=g, dtype=torch.float64)
k = torch.randn(2, 4, 8, generator=g, dtype=torch.float64)
v = torch.randn(2, 4, 3, generator=g, dtype=torch.float64)
lengths = torch.tensor([4, 2])  # the second sentence has two padding positions
key_mask = torch.arange(4)[None, :] < lengths[:, None]  # (B, T_k)
mask = key_mask[:, None, :].expand(2, 4, 4).clone()  # (B, T_q, T_k)
mask[1, 0] = False  # a query with no allowed key
mask.int()

# %% [markdown]
# ### Exercise 2 — softmax with a mask
#
# Write `masked_softmax(scores, mask)`: weights that are exactly 0 where `mask` is False, rows
# that sum to 1, and an all-zero row (not NaN) for a query with no allowed key. The mask only has
# to *broadcast* to the scores' shape — a padding mask of shape `(B, 1, 1, T_k)` serves every head
# and every query — and the scores may be float32 numbers of any size, as a trained model's are
# (what does `exp` do to a float32 score of 100?).


# %%
def masked_softmax(scores, mask):
    ### BEGIN SOLUTION
    filled = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
    return filled.softmax(-1) * mask.any(-1, keepdim=True)
    ### END SOLUTION


ex.masked_softmax.check(masked_softmax)

# %% [markdown]
# Stuck? `ex.masked_softmax.hint()` gives hints one by one, `ex.masked_softmax.solution()` the
# answer.

# %% [markdown]
# ### Exercise 3 — attention
#
# Put the pieces together: `attention(q, k, v, mask)` returns the attention output, of shape
# `(..., T_q, d_v)`, for any number of leading dimensions — multi-head attention below calls it on
# `(B, H, T, D)` tensors. `mask` is always a boolean tensor that broadcasts to `(..., T_q, T_k)`.
# Stuck? `ex.attention.hint()` and `ex.attention.solution()`. Before you run it, work out what the output row of a query with no
# allowed key is, and check your answer on one.


# %%
def attention(q, k, v, mask):
    ### BEGIN SOLUTION
    return masked_softmax(scaled_scores(q, k), mask) @ v
    ### END SOLUTION


ex.attention.check(attention)

# %% [markdown]
# Now compare your inline version with the course library and with PyTorch's fused kernel, in
# float64, masks included.

# %%
from spanbert_lab.model.attention import scaled_dot_product_attention

ours_out, ours_weights = scaled_dot_product_attention(q, k, v, mask)
torch_out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
assert_close(attention(q, k, v, mask), ours_out, atol=1e-12, rtol=0)
assert_close(ours_out, torch_out, atol=1e-12, rtol=0)
assert not ours_out.isnan().any() and not ours_weights[1, 0].any() and not torch_out[1, 0].any()
ours_weights[1].round(decimals=2)

# %% [markdown]
# The padded keys (last two columns of the second sentence) get weight 0.00 in every row, and
# the query with no allowed key (the first row) gets an all-zero row — in our version, the
# library's and PyTorch's alike (checked above), so its output is a zero vector, not NaN.
#
# ## Multi-head attention: parallel subspaces
#
# One attention pattern per layer would be restrictive: a token may need to look at its
# syntactic head *and* at a co-referent name at once. **Multi-head attention** projects the
# $C$-dimensional hidden states to queries, keys and values, splits the $C$ channels into $H$
# heads of $D = C / H$ channels, runs attention in each head independently, concatenates the heads
# and mixes them with an output projection:
#
# $$\operatorname{MHA}(X) = \big[\operatorname{head}_1; \dots; \operatorname{head}_H\big] W^O, \qquad
# \operatorname{head}_h = \operatorname{Attention}(X W^Q_h, X W^K_h, X W^V_h).$$
#
# Splitting into heads costs no parameters: it only reshapes. BERT stores the four projections as
# `attention.self.query / key / value` and `attention.output.dense`. The course's BERT —
# `spanbert_lab.model.trunk`, the encoder that notebooks 04 and 05 train — uses the same names.
# Written inline, on one of its attention blocks:

# %%
from transformers import BertConfig

from spanbert_lab.model.trunk import BertAttention

torch.manual_seed(0)
B, T, C, H = 2, 5, 12, 3
block = BertAttention(BertConfig(hidden_size=C, num_attention_heads=H)).double().eval()
x = torch.randn(B, T, C, dtype=torch.float64)
padding = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])


def split_heads(t):
    return t.view(B, T, H, C // H).transpose(1, 2)  # (B, T, C) -> (B, H, T, D)


projections = (block.self.query, block.self.key, block.self.value)
q_h, k_h, v_h = (split_heads(proj(x)) for proj in projections)
mask_h = padding.bool()[:, None, None, :]  # (B, 1, 1, T): broadcast over heads and queries
context = attention(q_h, k_h, v_h, mask_h.expand(B, H, T, T))  # (B, H, T, D)
inline = context.transpose(1, 2).reshape(B, T, C)  # heads side by side again: (B, T, C)

with torch.no_grad():
    library_out, library_weights = block.self(x, mask_h, output_attentions=True)
assert_close(inline, library_out, atol=1e-12, rtol=0)
{
    "heads concatenated (B, T, C)": tuple(library_out.shape),
    "weights (B, H, T, T)": tuple(library_weights.shape),
}

# %% [markdown]
# The block then mixes the heads with `attention.output.dense` (the $W^O$ above). When nobody
# asks for the weights, the trunk runs the same maths through PyTorch's fused
# `scaled_dot_product_attention`, which never stores the $T \times T$ matrix; it gives the same
# numbers:

# %%
with torch.no_grad():
    fused, no_weights = block.self(x, mask_h)
assert_close(fused, inline, atol=1e-12, rtol=0)
{
    "fused kernel = your attention": bool(torch.allclose(fused, inline, atol=1e-12)),
    "weights returned": no_weights,
}

# %% [markdown]
# ### Checking against 🤗 transformers' BERT
#
# A randomly initialised tiny `BertModel` (nothing is downloaded, 2 layers of 4 heads), and the
# course's whole trunk given the very same weights: the parameter names are identical, so the state
# dict loads as it is. Both run a padded batch of 3 sequences; the trunk is asked for its attention
# weights (`output_attentions=True`), so every one of its attention blocks runs the written-out
# attention checked above. The final hidden states of the real tokens must agree to 1e-9.

# %%
from transformers import BertModel

from spanbert_lab.model.trunk import SpanBertModel

config = BertConfig(
    vocab_size=99,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=37,
)
torch.manual_seed(0)
reference = BertModel(config, add_pooling_layer=False).double().eval()
trunk = SpanBertModel(config).double().eval()
trunk.load_state_dict(reference.state_dict())

input_ids = torch.randint(5, 99, (3, 7), generator=torch.Generator().manual_seed(2))
attention_mask = torch.ones(3, 7, dtype=torch.long)
attention_mask[0, 4:] = 0
with torch.no_grad():
    want = reference(input_ids, attention_mask=attention_mask).last_hidden_state
    got = trunk(input_ids, attention_mask=attention_mask, output_attentions=True).last_hidden_state
real = attention_mask.bool()
assert_close(got[real], want[real], atol=1e-9, rtol=0)
{
    "same parameter names": sorted(trunk.state_dict()) == sorted(reference.state_dict()),
    "same final hidden states": bool(torch.allclose(got[real], want[real], atol=1e-9)),
}

# %% [markdown]
# Splitting into heads costs no parameters, as said above: one block has four $C \times C$
# projections with their biases, whatever the number of heads.

# %%
{
    heads: sum(
        p.numel()
        for name, p in BertAttention(
            BertConfig(hidden_size=768, num_attention_heads=heads)
        ).named_parameters()
        if "LayerNorm" not in name
    )
    for heads in (1, 12)
}

# %% [markdown]
# ## Cost in sequence length
#
# The score matrix has $T^2$ entries per head, so its memory grows exactly quadratically with the
# sequence length $T$, and so does the time once $T$ is large enough that the matrix products
# dominate the fixed cost of a call. This is why BERT and SpanBERT stop at 512 tokens, and why the
# course's tiny models use 128. Each length gets one warm-up call first (the first call pays for
# memory allocation), then the median of 5 timed calls. Timings depend on your machine, so this
# cell is not compared by the tests; the memory is computed, and shown and checked below.

# %% tags=["nbval-ignore-output"]
import itertools

from spanbert_lab.course.plots.attention import plot_attention_cost, score_matrix_bytes

lengths, seconds, HEADS = [128, 256, 512, 1024, 2048], [], 4
for length in lengths:
    q_t = torch.randn(1, HEADS, length, 32)
    scaled_dot_product_attention(q_t, q_t, q_t)  # warm-up
    calls = []
    for _ in range(5):
        start = time.perf_counter()
        scaled_dot_product_attention(q_t, q_t, q_t)
        calls.append(time.perf_counter() - start)
    seconds.append(sorted(calls)[2])
score_bytes = [score_matrix_bytes(length, heads=HEADS) for length in lengths]
fig = plot_attention_cost(lengths, seconds, score_bytes)
{f"time ×, T {t1} → {t2}": round(s2 / s1, 1)
 for (t1, s1), (t2, s2) in itertools.pairwise(zip(lengths, seconds, strict=True))}  # fmt: skip

# %% [markdown]
# **What to look for.** On the right, every doubling of $T$ multiplies the score matrix's memory by
# 4: 4 heads × 512² float32 values are 4 MiB; at 2,048 tokens, 64 MiB for one layer of one
# sequence — and training with written-out attention keeps such a matrix for every layer for the
# backward pass. On the left, compare the slope of the measured line with the two grey references,
# both drawn through the measured point at $T = 512$: it is much steeper than the $T$ line and
# close to the $T^2$ line — on a CPU often steeper still at the longest length, once the matrix
# outgrows the caches. The time ratios per doubling are printed with the figure: about 4 means
# quadratic. (Timings vary
# between machines and runs; this cell is not checked by the tests.)

# %%
assert all(b2 == 4 * b1 for b1, b2 in itertools.pairwise(score_bytes))
{f"T={t}": f"{b / 2**20:g} MiB" for t, b in zip(lengths, score_bytes, strict=True)}
# %% [markdown]
# ## Exploring the attention of a model
#
# The sentences below come from the course corpus. It is not English Wikipedia but text about a
# fictional country, *Osterhal* — its towns, people, companies and events — generated from
# templates so that every fact is known exactly; its invented names (*Ormek
# Cormocroft*) are rare words that WordPiece splits into pieces (`Orm ##ek Corm ##ocroft`). The [data card](../data/README.md) describes
# it.
#
# The explorer below shows, for a sentence from the course corpus, where each token attends in
# each layer and head. It uses the course's pretrained tiny SpanBERT when it is present in
# `data/checkpoints/`; otherwise a **randomly initialised** tiny BERT, whose attention patterns
# mean nothing yet (notebook 04 shows the trained ones). It works with any local BERT-family
# checkpoint directory: `AttentionExplorer.from_pretrained("path/to/checkpoint", sentences)`.

# %%
from spanbert_lab.course.widgets.attention import AttentionExplorer, attention_maps
from spanbert_lab.data import load_corpus, load_tokenizer
from spanbert_lab.runtime import data_dir

checkpoint = data_dir() / "checkpoints" / "spanbert-tiny"
sentences = [s for doc in load_corpus("dev").select(range(3)) for s in doc["sentences"][:2]]
if (checkpoint / "config.json").is_file():
    explorer = AttentionExplorer.from_pretrained(checkpoint, sentences)
    model_kind = "pretrained course SpanBERT (tiny)"
else:
    tokenizer = load_tokenizer()
    torch.manual_seed(0)
    tiny = BertModel(
        BertConfig(
            vocab_size=tokenizer.vocab_size,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
            attn_implementation="eager",
        ),
        add_pooling_layer=False,
    )
    explorer = AttentionExplorer(tiny, tokenizer, sentences)
    model_kind = "randomly initialised tiny BERT"
model_kind

# %% [markdown]
# A static view first (every head of every layer for the first sentence), for readers without a
# running kernel:

# %%
from spanbert_lab.course.plots.attention import attention_grid

tokens, maps = attention_maps(explorer.model, explorer.tokenizer, sentences[0])
fig = attention_grid(maps, tokens)
# %% [markdown]
# **What to look for.** All panels share one colour scale (the bar on the right). Rows are the
# querying tokens, columns the tokens they attend to. A stripe just *beside* the diagonal is a
# head that reads a neighbour. Measure it: each head's mean weight on the previous and on the next
# token, against the $1/T$ an evenly spread head would give each token.

# %%
weights = torch.as_tensor(maps)  # (layers, heads, queries, keys)
n_tokens = weights.shape[-1]
neighbours = {
    f"layer {layer} · head {head}": {
        "previous": round(float(weights[layer, head].diagonal(-1).mean()), 2),
        "next": round(float(weights[layer, head].diagonal(1).mean()), 2),
    }
    for layer in range(weights.shape[0])
    for head in range(weights.shape[1])
}
uniform = 1 / n_tokens
neighbours, round(uniform, 2)

# %%
{
    "layer 0 · head 1 reads the next token": neighbours["layer 0 · head 1"]["next"]
    > max(2 * uniform, neighbours["layer 0 · head 1"]["previous"]),
    "layer 1 · head 0 reads the previous token": neighbours["layer 1 · head 0"]["previous"]
    > max(2 * uniform, neighbours["layer 1 · head 0"]["next"]),
}

# %% [markdown]
# Two of the four heads of the course's tiny SpanBERT have learned to read a neighbour: layer 0 ·
# head 1 the **next** token, layer 1 · head 0 the **previous** one — each more than twice the even
# share. Of the other two, layer 0 · head 0 spreads its weight almost evenly, and layer 1 · head 1
# ignores its neighbours and gathers on a few content words.
# Positional heads like these are common in larger BERTs too, next to heads that follow syntax
# or gather on `[SEP]` and punctuation.
#
# And the interactive explorer: choose a sentence, a layer, a head and a query token. The bars list
# the tokens it attends to most; *save PNG* writes the current view to `attention.png`.

# %% tags=["nbval-ignore-output"]
explorer

# %%
explorer.summary()

# %% [markdown]
# **What to look for in the explorer.** Pick a rare name split into pieces (`##…`): do its pieces
# attend to each other? Step through the heads of one layer with the same query token: different
# heads pick different partners — the point of having several.
#
# ## Summary
#
# *(Terms in English and Chinese: the [glossary](../docs/glossary.md), 术语表.)*
#
# * Attention is a softmax-weighted average of values; the weights come from query–key dot products.
# * Dividing by $\sqrt{d_k}$ keeps the score variance near 1; without it the softmax saturates as
#   $d_k$ grows (you measured it).
# * A boolean mask removes padded keys; a query with no allowed key gets zeros, not NaN.
# * Multi-head attention splits the channels into subspaces at no parameter cost; with BERT's
#   parameter layout, our attention reproduces transformers' BERT exactly.
# * The score matrix's memory grows as $T^2$, and the time at least as fast once $T$ is a few
#   hundred tokens (faster still on a CPU once the matrix outgrows its caches).
#
# Next, notebook 01b builds the rest of a BERT layer around this attention, then notebook 02 hides
# tokens — one at a time like BERT, then in spans like SpanBERT.
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "Attention quiz",
    (
        "Why are scores divided by √d_k?",
        [
            (
                "To keep the variance of the scores near 1",
                True,
                "q·k sums d_k products of unit variance, so its variance is d_k.",
            ),
            (
                "To make attention cheaper",
                False,
                "It costs one division; the cost is in the T² score matrix.",
            ),
            (
                "Because softmax needs inputs in [0, 1]",
                False,
                "Softmax accepts any real numbers; the problem is saturation.",
            ),
        ],
    ),
    (
        "What does splitting 768 channels into 12 heads do to the parameter count?",
        [
            (
                "Multiplies it by 12",
                False,
                "The same four 768×768 projections are only reshaped into 12 groups.",
            ),
            (
                "Nothing",
                True,
                "Heads are views of the same projections: 4·(768² + 768) either way.",
            ),
        ],
    ),
    (
        "A query whose keys are all masked. Which of these results is a real problem?",
        [
            (
                "NaN weights",
                True,
                "NaN spreads: the next layer mixes it into every token of the sequence.",
            ),
            (
                "Uniform weights over the masked keys",
                False,
                "Harmless: transformers' BERT adds a huge negative number to masked scores, so "
                "such a row comes out uniform — and a query loses all its keys only when its "
                "whole sequence is padding, whose outputs no real token ever reads.",
            ),
            (
                "An all-zero row",
                False,
                "Harmless too: that is what the library and PyTorch's fused kernel return.",
            ),
        ],
    ),
)
