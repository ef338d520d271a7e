# %% [markdown]
# # 01b · The BERT encoder
#
# Notebook 01 built attention. A BERT layer wraps it with a few more pieces, and a BERT model puts
# an input layer in front of a stack of such layers. This notebook builds all of them, checks each
# against 🤗 transformers with the same weights, and ends with the one property of BERT that makes
# masked language modelling necessary: every token sees every other token.
#
# **Goals**
#
# 1. Read BERT's input: WordPiece tokens, `[CLS]` and `[SEP]`, segment ids (`token_type_ids`).
# 2. Build the input embeddings: token + position + segment, then LayerNorm.
# 3. Build one encoder layer — attention, feed-forward block, residual connections and
#    *post*-LayerNorm — and a whole encoder, equal to the course's trunk (the encoder that
#    notebooks 04 and 05 train) to 1e-6 in float32 — and, through it, to transformers'
#    `BertModel` (to about 2e-6: fused attention adds in another order).
# 4. Compare a bidirectional mask with a causal one, measure what each output depends on, and see
#    why that forces BERT to hide its inputs.
# 5. Follow one token's vector through the sublayers with the layer explorer.

# %%
from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
rt

# %%
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from spanbert_lab.data import load_tokenizer
from spanbert_lab.model.trunk import SpanBertModel
from spanbert_lab.runtime import data_dir, quiet_transformers

tokenizer = load_tokenizer()
with quiet_transformers():  # the checkpoint also holds MLM / SBO heads, unused here
    model = SpanBertModel.from_pretrained(data_dir() / "checkpoints" / "spanbert-tiny").eval()
config = model.config
{
    "vocabulary": config.vocab_size,
    "hidden size C": config.hidden_size,
    "layers": config.num_hidden_layers,
    "heads H": config.num_attention_heads,
    "feed-forward size": config.intermediate_size,
    "max positions": config.max_position_embeddings,
}

# %% [markdown]
# We use the course's pretrained tiny SpanBERT (`data/checkpoints/spanbert-tiny`, trained in
# notebook 04's recipe) — a real, trained BERT-family encoder, just small — loaded into the
# course's own encoder, `SpanBertModel` from `spanbert_lab.model.trunk`. That module is what this
# notebook has you build, and it is the module that pretraining (notebook 04) and fine-tuning
# (notebook 05) run: the model you write is the model you train. It uses transformers' BERT
# parameter names, so the same checkpoint also opens in transformers' `BertModel` (section 4
# checks that the two agree). Its text comes from
# the course corpus, which describes a fictional country, *Osterhal*, generated from templates so
# that every fact is known; its invented names are rare words that WordPiece splits into pieces.
# The [data card](../data/README.md) describes it.
#
# ## 1 · What BERT reads: WordPiece, `[CLS]`, `[SEP]` and segments
#
# **WordPiece** splits text into words and punctuation, then each word into the longest pieces
# found in a fixed vocabulary (here 6,144 pieces trained on the course corpus). Frequent words are
# one piece; a rare word becomes several, each continuation marked `##`.

# %%
sentence = "The painter Ormek Cormocroft is remembered chiefly for vivid colours."
pieces = tokenizer.tokenize(sentence)
words = sentence.replace(",", " ,").replace(".", " .").split()
{"words": len(words), "pieces": len(pieces), "split words": [p for p in pieces if "##" in p]}

# %%
pieces

# %% [markdown]
# The tokenizer then frames the pieces with two **special tokens**: `[CLS]` first (its output
# vector is what a sentence classifier reads) and `[SEP]` at the end of each segment. For a
# *pair* of texts — two consecutive sentences in BERT's next-sentence task, a question and a
# passage in notebook 05 — the two segments are
# `[CLS] A [SEP] B [SEP]` and **`token_type_ids`** (segment ids) say which segment each token
# belongs to: 0 for A, 1 for B. SpanBERT is pretrained on single segments (all 0); fine-tuning
# for QA uses both.

# %%
pair = tokenizer(
    "The painter Ormek Cormocroft is remembered chiefly for vivid colours.",
    "In 1952 Ormek married Anulelle Kopovane.",
)
pair_tokens = tokenizer.convert_ids_to_tokens(pair["input_ids"])
{
    f"token_type_ids = {segment}": " ".join(
        t for t, s in zip(pair_tokens, pair["token_type_ids"], strict=True) if s == segment
    )
    for segment in (0, 1)
}

# %% [markdown]
# ## 2 · Input embeddings
#
# Attention treats its input as a *set*: permute the tokens and the outputs are permuted the same
# way, nothing else changes. Measured on the first attention block of the trained model:

# %%
attention_block = model.encoder.layer[0].attention
x = torch.randn(1, 5, config.hidden_size, generator=torch.Generator().manual_seed(0))
perm = torch.tensor([3, 0, 4, 1, 2])
with torch.no_grad():
    permuted_first = attention_block(x[:, perm], None)[0]  # no padding: no mask
    permuted_after = attention_block(x, None)[0][:, perm]
same_up_to_order = torch.allclose(permuted_first, permuted_after, atol=1e-5)
same_up_to_order

# %% [markdown]
# So word order must be put into the vectors themselves. BERT adds three learned embeddings for
# every position $t$ — the token, the position $t$, and the segment — and normalises the sum:
#
# $$\mathbf{x}_t = \operatorname{LayerNorm}\big(E_{\text{token}}[w_t] + E_{\text{position}}[t] +
# E_{\text{segment}}[s_t]\big).$$
#
# `LayerNorm` rescales each vector to mean 0 and variance 1 over its $C$ coordinates, then applies
# a learned gain and bias. (Dropout follows in training; this notebook is in eval mode.)
#
# ### Exercise 01b.1 — the embeddings
#
# Write `bert_embeddings(input_ids, token_type_ids, emb)` for a `(B, T)` batch, where `emb` is
# the trunk's `BertEmbeddings` module (`model.embeddings`): its tables are
# `emb.word_embeddings`, `emb.position_embeddings`, `emb.token_type_embeddings`, and its
# normalisation `emb.LayerNorm`. Build the result from these parts: the checker hands your
# function the parts only, and calling `emb(...)` itself — the module you are rebuilding — is
# refused. Return the `(B, T, C)` embeddings. Stuck? `ex.bert_embeddings.hint()` gives hints one
# by one, `ex.bert_embeddings.solution()` the answer.

# %%
from spanbert_lab.course.exercises import nb01b_bert_encoder as ex


def bert_embeddings(input_ids, token_type_ids, emb):
    ### BEGIN SOLUTION
    positions = torch.arange(input_ids.shape[1])  # (T,), broadcast over the batch
    x = (
        emb.word_embeddings(input_ids)
        + emb.token_type_embeddings(token_type_ids)
        + emb.position_embeddings(positions)
    )  # (B, T, C)
    return emb.LayerNorm(x)
    ### END SOLUTION


ex.bert_embeddings.check(bert_embeddings)

# %% [markdown]
# Your embeddings on a real padded batch, against the model's own, in float32:

# %%
batch = tokenizer(
    ["The painter Ormek Cormocroft is remembered chiefly for vivid colours.", "He had a son."],
    padding=True,
    return_tensors="pt",
)
input_ids, keep, segments = batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]
with torch.no_grad():
    mine = bert_embeddings(input_ids, segments, model.embeddings)
    theirs = model.embeddings(input_ids=input_ids, token_type_ids=segments)
assert_close(mine, theirs, atol=1e-6, rtol=0)
{
    "batch": tuple(input_ids.shape),
    "embeddings": tuple(mine.shape),
    "padding tokens": int((keep == 0).sum()),
}

# %% [markdown]
# ## 3 · One encoder layer
#
# A BERT layer has two **sublayers**, each wrapped the same way: the sublayer's output is added to
# its input (a **residual connection**, so the layer only has to learn a correction and gradients
# flow straight through), and the sum is normalised. BERT normalises *after* the sum —
# **post-LayerNorm**, as in the original Transformer (GPT-2 and most recent models normalise
# before the sublayer instead):
#
# $$\mathbf{a} = \operatorname{LayerNorm}\big(\mathbf{x} + \operatorname{MHA}(\mathbf{x})\big),
# \qquad
# \mathbf{y} = \operatorname{LayerNorm}\big(\mathbf{a} + W_2\,\operatorname{GeLU}(W_1 \mathbf{a} +
# b_1) + b_2\big).$$
#
# The second sublayer is the **feed-forward block**: the same two-layer network applied to every
# position separately, widening $C$ to the intermediate size (4C in BERT; here 128 → 512) and back.
# Attention mixes information *between* positions; the feed-forward block transforms each
# position on its own.
#
# ### Exercise 01b.2 — write the BERT layer
#
# Write `bert_layer(x, keep, layer)`: `x` is `(B, T, C)`, `keep` the `(B, T)` padding mask
# (1 = real token), `layer` the trunk's `BertLayer`. Read its weights from
# `layer.attention.self.query / key / value`, `layer.attention.output.dense / LayerNorm`,
# `layer.intermediate.dense` and `layer.output.dense / LayerNorm`; the number of heads is
# `layer.attention.self.num_attention_heads`. Attention is yours from notebook 01. As in 01b.1
# the checker passes only these parts — `layer(...)`, `layer.attention(...)` and the other
# composite modules refuse to run — and its cases use heads of different sizes. The GeLU is the
# exact (erf) form, `torch.nn.functional.gelu`'s default; return the `(B, T, C)` output, computed
# at every position as usual (padded positions are compared too). Stuck? `ex.bert_layer.hint()`
# and `ex.bert_layer.solution()`.


# %%
def bert_layer(x, keep, layer):
    ### BEGIN SOLUTION
    B, T, C = x.shape
    sa = layer.attention.self
    H = sa.num_attention_heads
    D = C // H

    def heads(t):  # (B, T, C) -> (B, H, T, D)
        return t.view(B, T, H, D).transpose(1, 2)

    q, k, v = heads(sa.query(x)), heads(sa.key(x)), heads(sa.value(x))
    scores = q @ k.transpose(-2, -1) / D**0.5  # (B, H, T, T)
    scores = scores.masked_fill(~keep.bool()[:, None, None, :], torch.finfo(x.dtype).min)
    context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)  # heads concatenated
    out = layer.attention.output
    a = out.LayerNorm(x + out.dense(context))  # residual, then LayerNorm (post-LN)
    ffn = layer.output.dense(F.gelu(layer.intermediate.dense(a)))  # C -> 4C -> C
    return layer.output.LayerNorm(a + ffn)  # residual, then LayerNorm
    ### END SOLUTION


ex.bert_layer.check(bert_layer)

# %% [markdown]
# Your layer against the trunk's `BertLayer` — the trained model's first layer, on the
# embeddings above, padding included, in float32. The trunk builds its mask once per batch,
# `(B, 1, 1, T)` booleans (True = this key may be read), and hands it to every layer. Asked for
# its attention weights (`output_attentions=True`), the layer runs the attention function you
# wrote in notebook 01, the same operations as yours:

# %%
from spanbert_lab.model.trunk import key_mask

with torch.no_grad():
    mine_layer = bert_layer(mine, keep, model.encoder.layer[0])
    theirs_layer, _ = model.encoder.layer[0](theirs, key_mask(keep), output_attentions=True)
assert_close(mine_layer, theirs_layer, atol=1e-6, rtol=0)
{
    "BertLayer output": tuple(theirs_layer.shape),
    "largest difference ≤ 1e-6": (mine_layer - theirs_layer).abs().max().item() <= 1e-6,
}

# %% [markdown]
# ## 4 · The whole encoder
#
# A BERT model is the embeddings followed by `num_hidden_layers` layers, each feeding the next.
# With your two functions:

# %%
with torch.no_grad():
    hidden = bert_embeddings(input_ids, segments, model.embeddings)
    for layer in model.encoder.layer:
        hidden = bert_layer(hidden, keep, layer)
    reference = model(**batch, output_attentions=True).last_hidden_state  # written-out attention
    fused = model(**batch).last_hidden_state  # PyTorch's fused attention: what training runs
assert_close(hidden, reference, atol=1e-6, rtol=0)
assert_close(hidden, fused, atol=1e-5, rtol=0)
{
    "trunk output": tuple(reference.shape),
    "largest difference, written-out attention ≤ 1e-6": (hidden - reference).abs().max().item()
    <= 1e-6,
    "largest difference, fused attention ≤ 1e-5": (hidden - fused).abs().max().item() <= 1e-5,
}

# %% [markdown]
# Your encoder reproduces the course's trunk to 1e-6 in float32, padded positions included. In
# training the trunk runs the same maths through PyTorch's fused attention kernel, which adds in
# a different order; float32 rounding then moves the outputs by a few millionths at most (the
# cell checks 1e-5). The same checkpoint opened in 🤗 transformers' own `BertModel` gives the fused trunk's
# numbers: the trunk is BERT, written by the course.

# %%
from transformers import BertModel

with quiet_transformers():
    hf_model = BertModel.from_pretrained(
        data_dir() / "checkpoints" / "spanbert-tiny", add_pooling_layer=False
    ).eval()
with torch.no_grad():
    hf_reference = hf_model(**batch).last_hidden_state
assert_close(fused, hf_reference, atol=1e-6, rtol=0)
{
    "transformers BertModel output": tuple(hf_reference.shape),
    "largest difference to the trunk ≤ 1e-6": (fused - hf_reference).abs().max().item() <= 1e-6,
}

# %% [markdown]
# The library's `spanbert_lab.model.trace.encoder_trace` runs the trunk's own sub-modules one
# by one, keeping every intermediate vector — the layer explorer below uses it:

# %%
from spanbert_lab.model.trace import encoder_trace

trace = encoder_trace(model, input_ids, keep, segments)
assert_close(trace.output, reference, atol=1e-6, rtol=0)
[name for name, _ in trace.stages]

# %% [markdown]
# ## 5 · Bidirectional vs causal attention, and why BERT must mask
#
# BERT's attention is **bidirectional**: apart from padding, every token may read every token,
# before and after it. A left-to-right language model (GPT) uses a **causal** mask: token $t$
# reads only tokens $1..t$, so it can be trained to predict token $t+1$ without seeing it.

# %%
from spanbert_lab.course.plots.encoder import plot_input_dependency, plot_masks_side_by_side

short = tokenizer("He and Vaenailde Fakrouard had seven children.", return_tensors="pt")[
    "input_ids"
]
short_tokens = tokenizer.convert_ids_to_tokens(short[0].tolist())
fig = plot_masks_side_by_side(short_tokens)

# %% [markdown]
# **What to look for.** Left, every cell is allowed; right, only the lower triangle: a row (a
# query) may read its own column and those to its left.
#
# The mask is not just a picture: we can *measure* what each output depends on. Nudge the input
# embedding at one position and see how far each output vector moves (the same trained weights,
# run once with each mask):

# %%
from spanbert_lab.model.trace import input_dependency

dep_bi = input_dependency(model, short, causal=False)
dep_causal = input_dependency(model, short, causal=True)
fig = plot_input_dependency(dep_bi, dep_causal, short_tokens)

# %%
T = len(short_tokens)
row_scaled = dep_bi / dep_bi.amax(dim=1, keepdim=True)  # as drawn: each row's strongest = 1
weaker = 1 / row_scaled.amin(dim=1)  # per row: strongest input / weakest input
assert 6.5 < float(weaker.min()) < 7.5 and 16.5 < float(weaker.max()) < 17.5  # as the text says
{
    "bidirectional: weakest cell of a row, times weaker than its strongest": (
        f"{float(weaker.min()):.0f} to {float(weaker.max()):.0f}"
    ),
    "causal: outputs moved by a later input": int((dep_causal.triu(1) > 0).sum()),
    "bidirectional: outputs moved by a later input": int((dep_bi.triu(1) > 0).sum()),
    "bidirectional: rows whose strongest input is the token itself": (
        f"{int((dep_bi.argmax(1) == torch.arange(T)).sum())} of {T}"
    ),
}

# %% [markdown]
# **What to look for.** The colour scale is logarithmic and each row is divided by its largest
# entry. In the bidirectional panel even the palest cell of a row is only 7 to 17 times weaker
# than the darkest (the cell above measures it): no input is negligible. Under the causal mask everything
# above the diagonal is grey — exactly 0: a token's output never depends on a later token. Under
# the bidirectional mask every cell is coloured: every output depends on every input, and most
# strongly on **its own** input (the dark diagonal).
#
# That is why BERT cannot be trained like GPT. If the task were "predict token $t$ from output
# $t$", a bidirectional model would simply copy its input through the residual connections. So
# BERT **hides** the tokens it must predict: replace them by `[MASK]` (or a random token, or leave
# them, see notebook 02) and predict the originals from the corrupted input — **masked language
# modelling**. The price is that only the hidden ~15% of the tokens give a training signal, where
# GPT learns from every token. SpanBERT keeps this bidirectional encoder and changes *which*
# tokens are hidden (notebook 02) and what predicts them (notebook 03).
#
# ## 6 · Layer explorer: one token through the sublayers
#
# The static view first (for readers without a kernel): the vector of `Orm` — the first piece of
# the split name `Orm ##ek` — after the embeddings and after each sublayer, for the pretrained model.

# %%
from spanbert_lab.course.plots.encoder import plot_token_trace
from spanbert_lab.course.widgets.encoder import LayerExplorer, token_trace

explorer_sentences = [
    "The painter Ormek Cormocroft is remembered chiefly for vivid colours.",
    "In 1952 Ormek married Anulelle Kopovane; the couple had seven children.",
    "He and Vaenailde Fakrouard had seven children.",
]
trace_tokens, stage_names, vectors = token_trace(model, tokenizer, explorer_sentences[0], 3)
fig = plot_token_trace(stage_names, vectors, trace_tokens[3])

# %% [markdown]
# **What to look for.** The rows after a LayerNorm (the embeddings and every `+ residual,
# LayerNorm`) have lengths of the same order. The sums they normalise are not drawn: the cell below
# rebuilds each one — the three embeddings added up, then the running vector plus its sublayer's
# correction — checks that LayerNorm turns it into the row above, and prints the lengths before and
# after. Before its learned gain $\gamma$ and bias $\beta$, a LayerNorm output has mean 0 and
# variance 1 over its $C$ coordinates, so its length is exactly $\sqrt{C}$; the cell also undoes
# $\gamma$ and $\beta$ and checks that:

# %%
layer_norms = [model.embeddings.LayerNorm] + [
    norm
    for layer in model.encoder.layer
    for norm in (layer.attention.output.LayerNorm, layer.output.LayerNorm)
]
after_norm = [i for i, name in enumerate(stage_names) if "LN" in name or "LayerNorm" in name]
token_id = tokenizer.convert_tokens_to_ids(trace_tokens[3])
with torch.no_grad():
    emb = model.embeddings
    sums = (
        [  # what each LayerNorm receives, for this token
            emb.word_embeddings.weight[token_id]
            + emb.position_embeddings.weight[3]
            + emb.token_type_embeddings.weight[0]
        ]
        + [vectors[i - 2] + vectors[i - 1] for i in after_norm[1:]]
    )  # running vector + correction
    for total, i, norm in zip(sums, after_norm, layer_norms, strict=True):
        assert_close(norm(total), vectors[i], atol=1e-5, rtol=0)
    undone = [
        (vectors[i] - norm.bias) / norm.weight
        for i, norm in zip(after_norm, layer_norms, strict=True)
    ]
before_lengths = [round(float(total.norm()), 1) for total in sums]
after_lengths = [round(float(vectors[i].norm()), 1) for i in after_norm]
assert max(before_lengths) / min(before_lengths) > 5 and max(after_lengths) / min(after_lengths) < 2
{
    "lengths before LayerNorm": before_lengths,
    "lengths after LayerNorm": after_lengths,
    "lengths with γ and β undone": [round(float(v.norm()), 3) for v in undone],
    "√C": round(config.hidden_size**0.5, 3),
}

# %% [markdown]
# Before LayerNorm the lengths run from 1.6 (the three embeddings added up are short) to 16.0
# (layer 0's sum after the feed-forward block), a factor of 10; after it they stay between 7.6
# and 12.8. So LayerNorm resets the scale in both directions: it stretches a short sum (the
# embeddings, 1.6 → 7.6) and shrinks a long one (16.0 → 8.0). Every normalised vector has length
# exactly $\sqrt{C}$ before $\gamma$ and $\beta$; the trained gains then stretch some
# coordinates and shrink others, which is why the bars are not all the same length. The
# `attention output` and `feed-forward output` rows are the *corrections* added to the running
# vector; compare their lengths with the vector they are added to to see how much each sublayer
# changes the token.
#
# The live explorer: choose a sentence, a token and the mask (*save PNG* writes
# `layer_explorer.png`). With the causal mask the first tokens can read almost nothing, and their
# vectors change differently.

# %% tags=["nbval-ignore-output"]
explorer = LayerExplorer(model, tokenizer, explorer_sentences)
explorer

# %%
explorer.summary()

# %% [markdown]
# **What to look for in the explorer.** Switch the mask for the same token: the embedding row is
# identical (no attention yet), then the rows diverge. Compare `[CLS]` with a word: `[CLS]` is the
# same token in every sentence, so its embedding row never changes, but with the bidirectional
# mask its output does — it has read the sentence. (Under the causal mask `[CLS]`, at position 0,
# reads only itself, so its output never changes either.)
#
# ## Summary
#
# *(Terms in English and Chinese: the [glossary](../docs/glossary.md), 术语表.)*
#
# * BERT reads WordPiece tokens framed by `[CLS]` … `[SEP]`; `token_type_ids` mark the segment of
#   each token in a pair.
# * Attention ignores order, so the input embedding is token + position + segment, then
#   LayerNorm.
# * A layer = attention and a position-wise feed-forward block, each inside a residual connection
#   followed by LayerNorm (post-LN). Stacked, they reproduce the course's trunk to 1e-6 — you
#   checked it — and through it transformers' `BertModel` (to about 2e-6, fused attention). That trunk is what notebooks 04 and 05 train.
# * Bidirectional attention lets every output see every input, its own above all; that is why BERT
#   must hide the tokens it predicts: masked language modelling.
#
# Next, notebook 02: *which* tokens to hide — BERT's scattered sub-words, or SpanBERT's spans.
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "BERT encoder quiz",
    (
        "Why does BERT add position embeddings?",
        [
            (
                "Attention alone ignores word order",
                True,
                "Permuting the inputs only permutes the outputs; positions break the symmetry.",
            ),
            (
                "To tell the two segments apart",
                False,
                "That is the job of the segment embeddings (token_type_ids).",
            ),
            (
                "To mark the padding",
                False,
                "Padding is handled by the attention mask, not by an embedding.",
            ),
        ],
    ),
    (
        "Where is LayerNorm in a BERT layer?",
        [
            (
                "After each residual sum: LayerNorm(x + sublayer(x))",
                True,
                "Post-LN, as in the original Transformer; your layer matched BertLayer this way.",
            ),
            (
                "Before each sublayer: x + sublayer(LayerNorm(x))",
                False,
                "That is pre-LN (GPT-2 and later); it gives different outputs with BERT's weights.",
            ),
        ],
    ),
    (
        "Why can't BERT be trained to predict each token from its own output, like GPT?",
        [
            (
                "Its outputs see their own inputs, so it would learn to copy",
                True,
                "Bidirectional attention (and the residuals) let output t read input t: hide it.",
            ),
            (
                "Because BERT has no decoder",
                False,
                "GPT has no separate decoder either; the difference is the attention mask.",
            ),
            (
                "Because [CLS] must be predicted first",
                False,
                "[CLS] is never a prediction target in pretraining.",
            ),
        ],
    ),
)
