# %% [markdown]
# # 03 · The span boundary objective
#
# Notebook 02 hid whole **spans** of text instead of single tokens. SpanBERT adds a second
# training signal on top of masked-language modelling: the **span boundary objective** (SBO).
# In this notebook you build the SBO head yourself, check it against the course library, write
# the combined loss, train a small SpanBERT in under a minute, and look inside its predictions.
#
# **Goals**
#
# 1. Say in one sentence what the SBO asks of the model, and why it helps span tasks.
# 2. Know exactly which tokens get an SBO target, and what the head sees for each.
# 3. Build the head — $2h + 200 \to h \to h$, GeLU and LayerNorm, tied decoder — step by step.
# 4. Write the combined loss: mean MLM cross-entropy $+\; w \times$ mean SBO cross-entropy.
# 5. See why vocabulary logits are computed only at the targets.
# 6. Explore a trained model's SBO predictions, and know what SBO is *not*.

# %%
import math
import time

import torch
import torch.nn.functional as F
from torch.testing import assert_close

from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
rt

# %% [markdown]
# ## The idea in plain words
#
# Mask the span *"the Treaty of Hovesund"* in *"In June 1846, Hovesund hosted the Treaty of
# Hovesund ."*. Ordinary masked-LM predicts each hidden token from **its own** output vector, which
# has looked at the whole sentence through attention. The SBO asks something harder: predict each
# hidden token using **only the two tokens just outside the span** — here *"hosted"* and *"."* —
# plus the token's position inside the span.
#
# So the boundary vectors are pushed to *summarise the span they enclose*. That is exactly what
# span tasks need at fine-tuning time: an extractive QA model picks an answer by its start and end
# tokens, a coreference model represents a mention by its endpoints. In the paper's ablation
# (Table 7) adding SBO lifts coreference by 2.7 F1 and MRQA tasks by up to 0.7.
#
# ## The formula
#
# For a masked span $(x_s, \dots, x_e)$ and each token $x_i$ in it (paper §3.2), with
# $\mathbf{x}_{s-1}, \mathbf{x}_{e+1}$ the encoder's final-layer vectors of the **external**
# boundary tokens and $\mathbf{p}_{i-s}$ a learned relative-position embedding (we count
# positions from 0; the paper writes $\mathbf{p}_{i-s+1}$, counting from 1 — the same vector):
#
# $$\mathbf{h}_0 = [\mathbf{x}_{s-1};\, \mathbf{x}_{e+1};\, \mathbf{p}_{i-s}] \in \mathbb{R}^{2h + P}$$
# $$\mathbf{h}_1 = \operatorname{LayerNorm}(\operatorname{GeLU}(W_1 \mathbf{h}_0)) \in \mathbb{R}^{h},
# \qquad \mathbf{y}_i = \operatorname{LayerNorm}(\operatorname{GeLU}(W_2 \mathbf{h}_1)) \in \mathbb{R}^{h}$$
# $$\text{logits}_i = E\, \mathbf{y}_i + \mathbf{b}_{\text{SBO}} \in \mathbb{R}^{V}$$
#
# * $P = 200$ in the paper, for every model size: the first layer is $2h + 200 \to h$
#   (1736 → 768 for BERT-base), **not** $3h \to h$.
# * $E$ is the input word-embedding matrix (**tied**, as in the MLM head); the bias is SBO's own.
# * Relative positions run $0, 1, \dots$ from the span's first token; only the first $K = 15$
#   tokens of a span get an SBO target.
# * Both boundaries must be real text tokens: a span that touches `[CLS]` or `[SEP]` gets MLM loss
#   only ([course reference: SBO](../docs/spanbert-reference.md#sbo)).
#
# ### Exercise 1 — which tokens get an SBO target
#
# Token index 0 is `[CLS]` and index $n-1$ is `[SEP]`. Write `sbo_targets(start, end, n,
# max_targets)` for a span `[start, end)` (half-open): the list of `(left, right, position)` for
# each token that gets an SBO target — or `[]` when a boundary would be `[CLS]`/`[SEP]`.

# %%
from spanbert_lab.course.exercises import nb03_sbo as ex


def sbo_targets(start, end, n, max_targets):
    ### BEGIN SOLUTION
    if start - 1 < 1 or end > n - 2:  # a boundary would be [CLS] or [SEP]
        return []
    return [(start - 1, end, i - start) for i in range(start, min(end, start + max_targets))]
    ### END SOLUTION


ex.sbo_targets.check(sbo_targets)

# %% [markdown]
# Stuck? `ex.sbo_targets.hint()` gives hints one by one and `ex.sbo_targets.solution()` shows a
# reference answer (the same for every exercise).
#
# The course's masking library (notebook 02) produces these targets in the batch format every
# SpanBERT model of the course reads: `sbo_left`, `sbo_right`, `sbo_positions`, `sbo_labels`,
# padded with label `-100`. Your function must agree with it on a real sentence:

# %%
from spanbert_lab.data import load_tokenizer
from spanbert_lab.masking import MaskingConfig, mask_batch

tokenizer = load_tokenizer()
sentence = "In June 1846, Hovesund hosted the Treaty of Hovesund. The treaty ended a long war."
ids = tokenizer(sentence, return_tensors="pt")["input_ids"]  # (1, T)
masked = mask_batch(
    ids,
    tokenizer=tokenizer,
    config=MaskingConfig(mask_ratio=0.3, random_token_source="uniform"),
    generator=torch.Generator().manual_seed(3),
)
n = ids.shape[1]
library_rows = [
    (int(left_), int(right_), int(position))
    for left_, right_, position, y in zip(
        masked.sbo_left[0],
        masked.sbo_right[0],
        masked.sbo_positions[0],
        masked.sbo_labels[0],
        strict=True,
    )
    if y != -100
]
yours = [row for s, e in masked.spans[0] for row in sbo_targets(s, e, n, 15)]
masked.spans[0], yours == library_rows

# %% [markdown]
# The same targets on real pretraining batches: the collator of notebook 02 masks 64 of the
# course's dev blocks (`[CLS] … [SEP]`, up to 128 tokens), and the batch carries the four `sbo_*`
# tensors, one slot per SBO target. The first targets of the first block, then how many MLM
# targets get an SBO target, and why the others do not:

# %%
from spanbert_lab.data import load_corpus
from spanbert_lab.data.blocks import build_blocks
from spanbert_lab.masking.collate import MaskingCollator

dev_examples = build_blocks(load_corpus("dev"), tokenizer, max_length=128).examples()
collator = MaskingCollator(tokenizer, "span", MaskingConfig(random_token_source="uniform"), seed=0)
real = collator(dev_examples[:64])
slots = (real["sbo_labels"][0] != -100).nonzero().flatten()[:4].tolist()
first_targets = [
    (
        int(real["sbo_left"][0, j]),
        int(real["sbo_right"][0, j]),
        int(real["sbo_positions"][0, j]),
        tokenizer.convert_ids_to_tokens(int(real["sbo_labels"][0, j])),
    )
    for j in slots
]
lost = {"span touches [CLS] or [SEP]": 0, "past the 15th token of a span": 0}
for b, row in enumerate(real["labels"] != -100):  # the merged spans are the runs of targets
    edges = torch.diff(torch.cat([torch.zeros(1), row.double(), torch.zeros(1)]))
    run_starts = (edges == 1).nonzero().flatten().tolist()
    run_ends = (edges == -1).nonzero().flatten().tolist()
    for s, e in zip(run_starts, run_ends, strict=True):
        if s == 1 or int(real["input_ids"][b, e]) == tokenizer.sep_token_id:
            lost["span touches [CLS] or [SEP]"] += e - s
        else:
            lost["past the 15th token of a span"] += max(0, e - s - 15)
n_mlm, n_sbo = int((real["labels"] != -100).sum()), int((real["sbo_labels"] != -100).sum())
assert n_mlm - n_sbo == sum(lost.values())  # nothing else loses its SBO target
assert round(n_sbo / n_mlm, 3) == 0.930 and lost["span touches [CLS] or [SEP]"] == 58
{
    "first SBO targets (left, right, position, token)": first_targets,
    "MLM targets": n_mlm,
    "with an SBO target": f"{n_sbo} ({n_sbo / n_mlm:.3f})",
    "without one": lost,
}

# %% [markdown]
# In these 128-token blocks 0.930 of the MLM targets get an SBO target. All the others (58) sit in
# spans that touch `[CLS]` or `[SEP]`; no span here is longer than 15 tokens. Longer blocks, like
# the paper's 512 tokens, have proportionally fewer spans at an edge.

# %% [markdown]
# ## Building the head step by step
#
# We start from a randomly initialised course-size model ("tiny": $h = 128$, 2 layers; nothing is
# downloaded) and the sentence above with one span masked.

# %%
from spanbert_lab.model.pretraining import SpanBertConfig, SpanBertForPreTraining

config = SpanBertConfig.preset(
    "tiny", vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id
)
torch.manual_seed(0)
model = SpanBertForPreTraining(config).eval()
tokens = tokenizer.convert_ids_to_tokens(ids[0])
start, end = 7, 11  # "the Treaty of Hovesund"
inputs = ids.clone()
inputs[0, start:end] = tokenizer.mask_token_id
with torch.no_grad():
    hidden = model.bert(inputs).last_hidden_state[0]  # (T, h)
tokens[start:end], (tokens[start - 1], tokens[end]), tuple(hidden.shape)

# %% [markdown]
# ### Exercise 2 — the SBO head as a module
#
# Write the head as a `torch.nn.Module`, `SBOHead(hidden_size, position_size, max_targets,
# word_embeddings)`. Its parts, under these names: `position_embeddings` (the $K \times P$
# relative-position table), `dense1` ($2h + P \to h$), `norm1`, `dense2` ($h \to h$), `norm2`
# (LayerNorms with `eps=1e-12`, as BERT's) and `bias` (one per vocabulary entry, SBO's own). The
# output projection is `word_embeddings`, the encoder's $(V, h)$ matrix: keep a reference to it,
# do not copy it. `forward(left, right, positions)` takes the `(N, h)` boundary vectors and the
# `(N,)` relative positions and returns `(N, V)` logits. Stuck? `ex.sbo_head.hint()` and
# `ex.sbo_head.solution()`.


# %%
class SBOHead(torch.nn.Module):
    def __init__(self, hidden_size, position_size, max_targets, word_embeddings, eps=1e-12):
        super().__init__()
        ### BEGIN SOLUTION
        h = hidden_size
        self.position_embeddings = torch.nn.Embedding(max_targets, position_size)  # (K, P)
        self.dense1 = torch.nn.Linear(2 * h + position_size, h)  # [left; right; pos] -> h
        self.norm1 = torch.nn.LayerNorm(h, eps=eps)
        self.dense2 = torch.nn.Linear(h, h)
        self.norm2 = torch.nn.LayerNorm(h, eps=eps)
        self.word_embeddings = word_embeddings  # (V, h): the tied output projection
        self.bias = torch.nn.Parameter(torch.zeros(word_embeddings.shape[0]))  # SBO's own
        ### END SOLUTION

    def forward(self, left, right, positions):
        ### BEGIN SOLUTION
        h0 = torch.cat([left, right, self.position_embeddings(positions)], dim=-1)  # (N, 2h+P)
        h1 = self.norm1(F.gelu(self.dense1(h0)))  # (N, h)
        y = self.norm2(F.gelu(self.dense2(h1)))  # (N, h)
        return y @ self.word_embeddings.T + self.bias  # (N, V)
        ### END SOLUTION


ex.sbo_head.check(SBOHead)

# %% [markdown]
# Now the two layers and the decoder, written out with the head's own parameters
# (`model.cls.span_boundary`), and compared with the library's head — then your module, given
# the same weights.

# %%
head = model.cls.span_boundary
N = end - start
left = torch.full((N,), start - 1)
right = torch.full((N,), end)
positions = torch.arange(N)

with torch.no_grad():
    h0 = torch.cat(
        [hidden[left], hidden[right], head.position_embeddings.weight[positions]], dim=-1
    )  # (N, 2h+P)
    h1 = F.layer_norm(
        F.gelu(h0 @ head.layer1.dense.weight.T + head.layer1.dense.bias),
        (config.hidden_size,),
        head.layer1.LayerNorm.weight,
        head.layer1.LayerNorm.bias,
        eps=config.layer_norm_eps,
    )  # (N, h)
    y = F.layer_norm(
        F.gelu(h1 @ head.layer2.dense.weight.T + head.layer2.dense.bias),
        (config.hidden_size,),
        head.layer2.LayerNorm.weight,
        head.layer2.LayerNorm.bias,
        eps=config.layer_norm_eps,
    )  # (N, h)
    word_embeddings = model.bert.embeddings.word_embeddings.weight  # E: (V, h)
    logits = y @ word_embeddings.T + head.bias  # (N, V)
    library_logits = head(hidden[left], hidden[right], positions)

assert_close(logits, library_logits)

word_embeddings = model.bert.embeddings.word_embeddings.weight
yours = SBOHead(
    config.hidden_size, config.sbo_position_embedding_size, config.sbo_max_targets, word_embeddings
)
with torch.no_grad():
    yours.position_embeddings.weight.copy_(head.position_embeddings.weight)
    for mine_dense, mine_norm, theirs in (
        (yours.dense1, yours.norm1, head.layer1),
        (yours.dense2, yours.norm2, head.layer2),
    ):
        mine_dense.load_state_dict(theirs.dense.state_dict())
        mine_norm.load_state_dict(theirs.LayerNorm.state_dict())
    yours.bias.copy_(head.bias)
    assert_close(yours(hidden[left], hidden[right], positions), library_logits)
tuple(h0.shape), tuple(head.layer1.dense.weight.shape), tuple(logits.shape)

# %% [markdown]
# The first layer's weight is $(h, 2h + P) = (128, 456)$: two boundary vectors of 128 plus a
# 200-dimensional position vector. Both decoders — MLM's and SBO's — *are* the word-embedding
# matrix (the same storage), and each head keeps its own bias:

# %%
(
    model.cls.span_boundary.decoder.weight.data_ptr() == word_embeddings.data_ptr(),
    model.cls.predictions.decoder.weight.data_ptr() == word_embeddings.data_ptr(),
    model.cls.span_boundary.bias.data_ptr() != model.cls.predictions.bias.data_ptr(),
)

# %% [markdown]
# ## The combined loss
#
# Both heads are trained with cross-entropy over the same vocabulary. The paper (§3.2) sums the two
# losses per token; the official code (`spanbert_loss.py`) averages each over its own targets and
# adds the two means, which we follow:
#
# $$\mathcal{L} = \frac{1}{N_{\text{MLM}}} \sum_{i \in \text{masked}} \operatorname{CE}_{\text{MLM}}(x_i)
# \;+\; w \cdot \frac{1}{N_{\text{SBO}}} \sum_{i \in \text{SBO targets}} \operatorname{CE}_{\text{SBO}}(x_i),
# \qquad w = 1.$$
#
# Two details the library makes explicit. The official code divides the SBO sum by
# $N_{\text{SBO}} + 1$ — a hidden $+1$ we do not copy. And a batch can have **no** SBO target at
# all (every span touching `[CLS]`/`[SEP]`): its SBO term is then an explicit 0, not 0/0 = NaN.
#
# ### Exercise 3 — the loss
#
# Write `spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight)`, where the logits
# are already gathered at the targets: `(N, V)` rows with `(N,)` labels. Return a scalar (0-dim)
# tensor; with no SBO rows the SBO term is 0. Stuck? `ex.spanbert_loss.hint()` and
# `ex.spanbert_loss.solution()`.


# %%
def spanbert_loss(mlm_logits, mlm_labels, sbo_logits, sbo_labels, weight):
    ### BEGIN SOLUTION
    mlm = F.cross_entropy(mlm_logits, mlm_labels)
    if len(sbo_labels) == 0:
        return mlm + 0.0 * sbo_logits.sum()
    return mlm + weight * F.cross_entropy(sbo_logits, sbo_labels)
    ### END SOLUTION


ex.spanbert_loss.check(spanbert_loss)

# %% [markdown]
# The model's `forward` takes the batch as produced by the masking library and returns a
# documented output: `loss`, `mlm_loss`, `sbo_loss`, and the logits **at the targets only**. Your
# loss, from those logits, matches the model's:

# %%
batch = masked.to_dict()
out = model(**batch)
keep_mlm = batch["labels"] != -100
keep_sbo = batch["sbo_labels"] != -100
assert_close(
    spanbert_loss(
        out.mlm_logits,
        batch["labels"][keep_mlm],
        out.sbo_logits,
        batch["sbo_labels"][keep_sbo],
        1.0,
    ),
    out.loss,
)
tuple(out.mlm_logits.shape), tuple(out.sbo_logits.shape)

# %% [markdown]
# At initialisation the model knows nothing, so each prediction is close to uniform over the
# $V$ tokens and each loss should be close to $\ln V$ (within 0.5 here: with only 7 targets, and
# the 80/10/10 rule leaving some of them visible, the average is noisy):

# %%
ln_v = math.log(len(tokenizer))
round(ln_v, 2), abs(out.mlm_loss.item() - ln_v) < 0.5, abs(out.sbo_loss.item() - ln_v) < 0.5

# %% [markdown]
# ## Gather first: logits only where there is a target
#
# 🤗 transformers' `BertForMaskedLM` multiplies **every** position's vector by the $V \times h$
# embedding matrix, then throws away the ~85% of positions without a label. The course model
# gathers the target rows first (`hidden[labels != -100]`) and scores only those. The decoder is
# the biggest matrix of a small model, so this matters:

# %%
B, T, h, V = 32, 128, config.hidden_size, config.vocab_size
targets = round(0.15 * (T - 2)) * B
decoder_flops_all = 2 * B * T * h * V  # one forward pass of the decoder at every position
decoder_flops_targets = 2 * targets * h * V
layer_flops = 2 * B * T * (4 * h * h + 2 * h * config.intermediate_size) + 4 * B * T * T * h
(
    round(decoder_flops_all / 1e9, 2),
    round(decoder_flops_targets / 1e9, 2),
    round(config.num_hidden_layers * layer_flops / 1e9, 2),
)

# %% [markdown]
# In GFLOPs for one forward pass of a 32 × 128 batch: the full decoder costs more than the whole
# encoder, the gathered one about a seventh of the full one; the softmax over $B \cdot T \cdot V$ logits is
# saved too. The course benchmark
# (`python benchmarks/bench_model.py`) measures a whole training step: on a 2-core CPU at this
# size, the MLM-only model ran about 2.7× as many tokens per second as `BertForMaskedLM`, and
# about 2.1× with SBO switched on (indicative: measured once, on the quietest steps of a shared
# machine; yours will differ). A quick measurement of the decoder alone:

# %% tags=["nbval-ignore-output"]
x = torch.randn(B, T, h)
labels = torch.full((B, T), -100)
labels[:, 1:20] = 5  # 19 of 128 positions are targets, about 15%
with torch.no_grad():
    start_time = time.perf_counter()
    for _ in range(3):
        model.cls.predictions(x)  # every position
    every = (time.perf_counter() - start_time) / 3
    start_time = time.perf_counter()
    for _ in range(3):
        model.cls.predictions(x[labels != -100])  # the targets only
    gathered = (time.perf_counter() - start_time) / 3
f"every position {every * 1e3:.0f} ms, targets only {gathered * 1e3:.0f} ms"

# %% [markdown]
# ## Training a small SpanBERT: a language where the boundaries say it all
#
# Synthetic first: a toy language where success is easy to judge. Each "sentence" counts upwards
# from a random number with a random step of 1, 2 or 3: `n12 n14 n16 n18 …`. Inside a masked span
# every token is fixed by the two boundaries and the position — with left boundary $a$, right
# boundary $b$ and $L$ hidden tokens, the step is $(b - a)/(L + 1)$ and token $i$ is
# $a + \text{step}\cdot(i - s + 1)$. So the SBO head *can* be perfect, but only if the boundary
# vectors tell it which numbers they are and the step (how many tokens lie between them, which
# they must gather through attention), and it combines them with the position.
#
# The vocabulary is the 5 special tokens plus `n0 … n99`; the tokenizer is a real cased WordPiece
# tokenizer over it, and spans are masked by the course's masking library (span masking, 80/10/10).

# %%
from spanbert_lab.data.tokenizer import make_tokenizer

specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
toy_tokenizer = make_tokenizer(
    {token: i for i, token in enumerate(specials + [f"n{k}" for k in range(100)])}
)


def counting_sentences(generator, batch=32, length=20):
    """(B, length + 2) ids: [CLS] start, start + step, … [SEP] with step in {1, 2, 3}."""
    first = torch.randint(0, 40, (batch, 1), generator=generator)
    step = torch.randint(1, 4, (batch, 1), generator=generator)
    numbers = first + step * torch.arange(length)  # (B, length), at most 39 + 3·19 = 96
    cls = torch.full((batch, 1), toy_tokenizer.cls_token_id)
    sep = torch.full((batch, 1), toy_tokenizer.sep_token_id)
    return torch.cat([cls, numbers + len(specials), sep], dim=1)


example = counting_sentences(torch.Generator().manual_seed(0), batch=1, length=8)
" ".join(toy_tokenizer.convert_ids_to_tokens(example[0]))

# %% [markdown]
# A small model ($h = 64$, 2 layers, a 32-d position embedding, up to 10 SBO targets per span),
# 250 steps of 32 sentences with AdamW. **On a 2-core CPU this takes well under a minute**; both
# losses fall from $\ln 105 \approx 4.7$ to below 2.5, SBO's fastest.

# %% tags=["nbval-ignore-output"]
from spanbert_lab.course.plots.sbo import plot_sbo_losses

toy_config = SpanBertConfig(
    vocab_size=len(toy_tokenizer),
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=128,
    max_position_embeddings=32,
    sbo_position_embedding_size=32,
    sbo_max_targets=10,
)
torch.manual_seed(0)
small = SpanBertForPreTraining(toy_config).train()
optimizer = torch.optim.AdamW(small.parameters(), lr=3e-3)
generator = torch.Generator().manual_seed(0)
history = {"mlm_loss": [], "sbo_loss": []}
uniform = MaskingConfig(random_token_source="uniform")  # random tokens: any number, equally likely
steps = 250
start_time = time.perf_counter()
for step in range(steps):
    batch = mask_batch(
        counting_sentences(generator), tokenizer=toy_tokenizer, config=uniform, generator=generator
    )
    out = small(**batch.to_dict())
    optimizer.zero_grad()
    out.loss.backward()
    optimizer.step()
    history["mlm_loss"].append(out.mlm_loss.item())
    history["sbo_loss"].append(out.sbo_loss.item())
    if step % 50 == 0 or step == steps - 1:
        print(f"step {step:3d}  mlm {out.mlm_loss.item():.2f}  sbo {out.sbo_loss.item():.2f}")
small.eval()
print(f"{steps} steps in {time.perf_counter() - start_time:.0f} s")

# %%
fig = plot_sbo_losses(history, smooth=20)

# %% [markdown]
# Exact values vary a little from machine to machine, so the check is coarse: both losses fell
# by more than 40%.

# %%
mlm_end = sum(history["mlm_loss"][-20:]) / 20
sbo_end = sum(history["sbo_loss"][-20:]) / 20
mlm_end < 0.6 * history["mlm_loss"][0], sbo_end < 0.6 * history["sbo_loss"][0]

# %% [markdown]
# Top-1 accuracy on 256 fresh sentences, for both heads, against guessing (1 in 100 numbers):

# %% tags=["nbval-ignore-output"]
with torch.no_grad():
    held_out = mask_batch(
        counting_sentences(torch.Generator().manual_seed(1), batch=256),
        tokenizer=toy_tokenizer,
        config=uniform,
        generator=torch.Generator().manual_seed(2),
    ).to_dict()
    out = small(**held_out)
mlm_labels = held_out["labels"][held_out["labels"] != -100]
sbo_labels = held_out["sbo_labels"][held_out["sbo_labels"] != -100]
accuracy = {
    "mlm": (out.mlm_logits.argmax(-1) == mlm_labels).float().mean().item(),
    "sbo": (out.sbo_logits.argmax(-1) == sbo_labels).float().mean().item(),
}
{name: round(value, 2) for name, value in accuracy.items()}

# %%
accuracy["sbo"] > 0.3, accuracy["mlm"] > 0.1

# %% [markdown]
# In our run SBO reached about 0.6 and MLM about 0.3 after 250 steps — each on its own targets (the
# MLM's include spans at `[CLS]`/`[SEP]`, which have no SBO target), so read the gap as a rough
# one: in this language two boundary vectors and a position look like an easier route to the
# answer than a masked token's own vector, which must first gather its neighbours through
# attention. The comparison on the same targets comes in the section on real text below. Real text is different:
# the section on the course's pretrained SpanBERT below compares the two heads there.
#
# ## The SBO explorer
#
# Pick a sentence and a span: the explorer masks the span, runs the model, and shows — for each
# position inside it — the SBO head's top guesses made from the two boundary tokens (blue) and
# the relative position alone; the true token is green. Each panel's title also gives the
# probability of the true token under the MLM head, for comparison. It takes any
# `SpanBertForPreTraining` with its tokenizer, or a checkpoint directory:
# `SboExplorer.from_pretrained("path/to/checkpoint", sentences)`.
#
# A static view first, for readers without a running kernel:

# %%
from spanbert_lab.course.widgets.sbo import SboExplorer, sbo_explorer_figure, sbo_predictions

toy_sentences = [
    " ".join(toy_tokenizer.convert_ids_to_tokens(row[1:-1]))
    for row in counting_sentences(torch.Generator().manual_seed(5), batch=4, length=12)
]
TOY_SPAN = (4, 7)  # the span the static figure shows and the explorer opens on
fig = sbo_explorer_figure(small, toy_tokenizer, toy_sentences[0], *TOY_SPAN)

# %% [markdown]
# And the interactive explorer, opening on the same span as the figure above (*save PNG* writes
# the current view to `sbo.png`):

# %% tags=["nbval-ignore-output"]
explorer = SboExplorer(
    small, toy_tokenizer, toy_sentences, start=TOY_SPAN[0], length=TOY_SPAN[1] - TOY_SPAN[0]
)
explorer

# %% [markdown]
# Its text summary lists, per relative position, the target, both heads' probability of it, and
# the SBO guesses. The probabilities depend on the training run, so the cell after it checks only
# what the data fixes — the span and its boundaries — and that the explorer opened on the
# figure's view.

# %% tags=["nbval-ignore-output"]
print(explorer.summary())

# %%
view = sbo_predictions(small, toy_tokenizer, toy_sentences[0], *TOY_SPAN)
view.boundaries, view.targets, explorer.summary() == view.summary()

# %% [markdown]
# ### The course's pretrained SpanBERT
#
# The course ships a tiny SpanBERT pretrained on the course corpus
# (`data/checkpoints/spanbert-tiny`, 20 million tokens, made by the course's pretraining study:
# notebook 04), on real sentences of the dev set. The static view first: the span *"birth took
# place"* in *"His birth took place on 16 October 1942 in Port Ysslund."*, predicted from
# *"His"* and *"on"* alone:

# %%
from transformers.utils import logging as hf_logging

from spanbert_lab.course.widgets.sbo import load_spanbert
from spanbert_lab.runtime import data_dir

hf_logging.set_verbosity_error()  # load reports are read from `output_loading_info` below
hf_logging.disable_progress_bar()
checkpoint = data_dir() / "checkpoints" / "spanbert-tiny"
pretrained, pretrained_tokenizer = load_spanbert(checkpoint)
sentences = [
    s for document in load_corpus("dev").select(range(4)) for s in document["sentences"][:2]
]
sentences.insert(0, sentences.pop(5))  # the figure's sentence first: the explorer opens on it
REAL_SPAN = (2, 5)  # "birth took place"
fig = sbo_explorer_figure(pretrained, pretrained_tokenizer, sentences[0], *REAL_SPAN)

# %%
real_view = sbo_predictions(pretrained, pretrained_tokenizer, sentences[0], *REAL_SPAN)
top_guesses = [top[0] for top in real_view.sbo_top]
assert [token for token, _ in top_guesses[:2]] == ["death", "came"]
assert max(real_view.mlm_target_prob) < 0.2  # the MLM head does not know either
real_view.boundaries, real_view.targets, [(t, round(p, 2)) for t, p in top_guesses]

# %% [markdown]
# **What to look for.** The head's top guesses for the three slots are *death / came / came*
# (0.98, 0.99, 0.59) against the true *"birth took place"*: it knows what kind of phrase fits
# between the boundaries (*"His death came on …"*), but not a coherent three-token one. Two
# boundary vectors say what kind of phrase fits between them, not always which one; the MLM head,
# which reads the whole sentence, is no better here. Then the live explorer, opening on the same
# span: try *"of modest means"* (tokens 15–17 of *"Born in Pemamarra …"*), where the boundaries
# do fix the phrase, and spans inside names and dates.

# %% tags=["nbval-ignore-output"]
shipped = SboExplorer(
    pretrained,
    pretrained_tokenizer,
    sentences,
    start=REAL_SPAN[0],
    length=REAL_SPAN[1] - REAL_SPAN[0],
)
shipped

# %% [markdown]
# Which head is better on real text? Its model card records both heads on the same held-out dev
# blocks and masks:

# %%
import json

card = json.loads((checkpoint / "metrics.json").read_text())
heads = {
    head: {
        "accuracy": round(card["dev"][f"{head}_accuracy"], 3),
        "targets": card["dev"][f"{head}_targets"],
    }
    for head in ("mlm", "sbo")
}
heads

# %% [markdown]
# But these two numbers are not measured on the same tokens: every token of a span is an MLM
# target (15,360), while only the span tokens with two real boundaries are SBO targets (14,394), so
# the two accuracies average over different sets. To compare the heads, score both on exactly the
# SBO targets: mask all 1,216 dev blocks once (every target `[MASK]`), and at each SBO target read
# the SBO head's guess and the MLM head's guess for the same token. About 13 s on a 2-core CPU:

# %%
from spanbert_lab.stats import paired_difference, verdict

all_masked = MaskingCollator(
    tokenizer, "span", MaskingConfig(mask_prob=1.0, random_prob=0.0), seed=0
)
sbo_right, mlm_right, mlm_all = [], [], []
for i in range(0, len(dev_examples), 64):
    batch = all_masked(dev_examples[i : i + 64])
    with torch.no_grad():
        out = pretrained(**batch)
    is_target = batch["labels"] != -100
    mlm_guess = torch.full_like(batch["labels"], -1)
    mlm_guess[is_target] = out.mlm_logits.argmax(-1)  # the MLM head's guess at every target
    has_sbo = batch["sbo_labels"] != -100
    rows = torch.arange(has_sbo.shape[0])[:, None].expand_as(has_sbo)[has_sbo]
    positions = (batch["sbo_left"] + 1 + batch["sbo_positions"])[has_sbo]  # the token s + (i - s)
    truth = batch["sbo_labels"][has_sbo]
    assert torch.equal(batch["labels"][rows, positions], truth)  # the same tokens, both heads
    sbo_right.append(out.sbo_logits.argmax(-1) == truth)
    mlm_right.append(mlm_guess[rows, positions] == truth)
    mlm_all.append(mlm_guess[is_target] == batch["labels"][is_target])
sbo_right, mlm_right, mlm_all = (torch.cat(x).double() for x in (sbo_right, mlm_right, mlm_all))
difference = paired_difference(sbo_right, mlm_right, generator=torch.Generator().manual_seed(0))
assert difference[1] > 0.03  # SBO ahead on the same targets, by more than 3 points
quoted = {"SBO": (sbo_right, 0.441), "MLM": (mlm_right, 0.385), "MLM, all": (mlm_all, 0.386)}
for name, (right, value) in quoted.items():  # the numbers in the text below
    assert abs(float(right.mean()) - value) < 0.0005, name
{
    "SBO targets": len(sbo_right),
    "SBO head on them": round(float(sbo_right.mean()), 3),
    "MLM head on the same tokens": round(float(mlm_right.mean()), 3),
    "MLM head on every MLM target": round(float(mlm_all.mean()), 3),
    "paired": verdict("SBO", "MLM", difference),
}

# %% [markdown]
# On the same 14,312 tokens the SBO head is right 0.441 of the time and the MLM head 0.385: the
# SBO head is ahead on real text too, by about 6 points (the interval treats tokens as
# independent; tokens of one span are not, so read it as a lower bound on the uncertainty). It
# is ahead by less than in the toy language, where the boundaries fix the span. The MLM head's
# accuracy hardly changes between all its targets and the SBO targets (0.386 and 0.385), so the
# card's gap was not an artefact of the different sets here. These masks differ from the card's
# (every target `[MASK]`, another seed), hence 0.441 / 0.385 rather than 0.430 / 0.399. Notebook
# 04 shows where the difference comes from: the SBO head is better near the start of a span and
# worse deep inside long spans, far from both boundaries.

# %% [markdown]
# ## What SBO is not
#
# * **Not used at fine-tuning.** SBO only shapes pretraining. A saved SpanBERT opens directly in
#   🤗 transformers' task classes; they keep the encoder and ignore both pretraining heads. For
#   extractive QA only a fresh start/end layer is new:

# %%
import tempfile

from transformers import BertForQuestionAnswering

with tempfile.TemporaryDirectory() as folder:
    small.save_pretrained(folder)
    qa_model, info = BertForQuestionAnswering.from_pretrained(folder, output_loading_info=True)
sorted(info["missing_keys"]), sorted({key.split(".")[1] for key in info["unexpected_keys"]})

# %% [markdown]
# * **Not a "local-context S-MLM".** Blog posts sometimes describe two losses, "MLM for global and
#   S-MLM for local context". There is no separate local encoder: both heads read the same fully
#   bidirectional final layer. MLM reads the token's own vector; SBO reads two *other* vectors.
# * **Not a replacement for MLM.** SpanBERT keeps MLM and adds SBO with weight 1.
# * **Not a span classifier.** Each token of a span is predicted separately (with its own
#   position embedding), with the same cross-entropy as MLM — nothing scores whole spans.
# * **Not applied to every masked token.** Spans touching `[CLS]`/`[SEP]` and tokens past the
#   15th of a span get MLM loss only.
#
# ## Summary
#
# *(Terms in English and Chinese: the [glossary](../docs/glossary.md), 术语表.)*
#
# * The SBO predicts each token of a masked span from the two **external** boundary vectors and a
#   200-d relative-position embedding: $2h + 200 \to h \to h$ with GeLU + LayerNorm, then the tied
#   embedding matrix and SBO's own bias.
# * The loss is mean MLM cross-entropy $+\; w \cdot$ mean SBO cross-entropy ($w = 1$), with an
#   explicit zero for a batch without SBO targets.
# * Scoring only the target rows against the vocabulary is the paper's definition and, at the
#   course's size, more than doubles training speed over `BertForMaskedLM`.
# * On a toy language where a span is fixed by its boundaries, a small model learns the SBO in
#   under a minute; the explorer shows its per-position guesses, and opens any checkpoint.
# * On real text, scored on the same tokens, the course's tiny SpanBERT's SBO head beats its own
#   MLM head (0.44 against 0.39); two boundaries often tell the kind of phrase, not always which.
# * At fine-tuning, the SBO head is simply dropped.
#
# Next, notebook 04 pretrains BERT and SpanBERT side by side.
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "Span boundary objective quiz",
    (
        "For BERT-base (h = 768), what is the input size of the SBO head's first layer?",
        [
            ("3 × 768 = 2304", False, "The position vector is 200-dimensional, not h-dimensional."),
            (
                "2 × 768 + 200 = 1736",
                True,
                "Two boundary vectors of 768 plus a 200-d relative-position embedding.",
            ),
            ("768", False, "That is the MLM head's input: one token's own vector."),
        ],
    ),
    (
        "Which vectors does the SBO head read to predict the 3rd token of the span x_5..x_8?",
        [
            (
                "x_4, x_9 and the position embedding for offset 2",
                True,
                "External boundaries s-1 and e+1, offset i - s = 7 - 5 = 2.",
            ),
            (
                "x_5, x_8 and the position embedding for offset 3",
                False,
                "Those are the span's own first and last tokens; SBO uses the tokens just outside, and offsets start at 0.",
            ),
            ("x_7, the token's own vector", False, "That is what the MLM head reads."),
        ],
    ),
    (
        "A batch where every span touches [CLS] or [SEP] has an SBO loss of…",
        [
            ("NaN", False, "0/0 would be NaN; the library returns an explicit 0 instead."),
            (
                "0, and the loss is the MLM loss",
                True,
                "No SBO target means no SBO term; training continues on MLM.",
            ),
            ("ln V", False, "That is the loss of a uniform guess on an existing target."),
        ],
    ),
    (
        "What happens to the SBO head when SpanBERT is fine-tuned for question answering?",
        [
            (
                "It is fine-tuned along with the QA head",
                False,
                "Task classes do not have an SBO head; its weights are ignored on loading.",
            ),
            (
                "It is dropped; only the encoder is kept",
                True,
                "SBO shapes the encoder during pretraining only.",
            ),
            (
                "It predicts the answer span",
                False,
                "QA uses its own start/end classifier over the encoder output.",
            ),
        ],
    ),
)
