# %% [markdown]
# # 04 · Pretraining on a laptop
#
# Notebooks 02 and 03 built the pieces: span masking, the span boundary objective (SBO) and the
# model. Here they meet in a training loop. You will read the recipe of the paper (blocks,
# dynamic masking, AdamW, warm-up and linear decay), run a small pretraining live, then study the
# encoders of the course's pretraining study — BERT-style (`subword` masking), span masking alone
# (`span`) and SpanBERT (`span_sbo`), trained by the same command with the same compute (20 M
# tokens each), plus an untrained control — and finally estimate what the paper's run would cost.
#
# **Goals**
#
# 1. Know every ingredient of SpanBERT's pretraining recipe, and why each is there.
# 2. Write the learning-rate schedule and the weight-decay rule yourself.
# 3. Train a tiny SpanBERT in seconds, read its loss curves, and compare it with a baseline.
# 4. Compare BERT, span masking and SpanBERT on the same masks: single tokens against spans,
#    accuracy by position and by span length, and filling in multi-token entities; then every
#    encoder of the ablation study, with its seeds.
# 5. Put numbers on scale: FLOPs and GPU-days of the paper vs ours.

# %%
import math
import time

import torch
from torch.testing import assert_close
from transformers.utils import logging as hf_logging

from spanbert_lab.runtime import setup_notebook

rt = setup_notebook()
hf_logging.set_verbosity_error()  # no load reports (BERT classes ignore the SBO head on purpose)
hf_logging.disable_progress_bar()  # no "Loading weights" bars
rt

# %% [markdown]
# ## The recipe (paper §4.2, [course reference: pretraining](../docs/spanbert-reference.md#pretraining))
#
# | ingredient | paper | this course (`tiny`) |
# |---|---|---|
# | data | BooksCorpus + Wikipedia | the course corpus (`data/corpus`) |
# | input | one segment of whole sentences, up to 512 tokens, no NSP | the same, up to 128 tokens |
# | masking | 15 % in geometric spans, new masks every epoch | the same |
# | objectives | MLM + SBO, weight 1 each | the same |
# | model | BERT-large: 24 layers, 1024 wide, 340 M parameters | 2 layers, 128 wide, 1.3 M |
# | optimiser | AdamW, β = (0.9, 0.999), ε = 1e-8, weight decay | the same; decay on matrices only |
# | schedule | 10 k warm-up steps to 1e-4, linear decay to 0 | 10 % warm-up to 2e-3, linear decay to 0 |
# | batch × steps | 256 sequences × 2.4 M steps | 32 blocks × 7,498 steps (20 M real tokens) |
#
# The course's numbers are those of its pretraining study (below): its learning rate, batch and
# model size were chosen by a short pilot sweep, and its step count gives every encoder 20 million
# real (non-padding) tokens. Its batches group blocks of similar length (`--batching bucketed`), so
# almost no compute is spent on padding.
#
# ### Blocks
#
# The corpus is cut into **blocks**: whole consecutive sentences of one document, packed until the
# next sentence would not fit, framed as `[CLS] … [SEP]`. Blocks never cross documents.
# `prepare_data` builds them (and caches them on disk — tokenizing the corpus takes a while the
# first time) together with the two collators of a run.

# %%
from spanbert_lab.data import load_tokenizer
from spanbert_lab.pretrain.recipes import OBJECTIVES, prepare_data

tokenizer = load_tokenizer()
objective = OBJECTIVES["span_sbo"]
train_blocks, dev_blocks, collator, dev_collator = prepare_data(
    objective, tokenizer, block_size=128, max_train_blocks=1280, max_eval_blocks=64
)
lengths = torch.tensor([len(b["input_ids"]) for b in train_blocks], dtype=torch.float)
len(train_blocks), len(dev_blocks), round(lengths.mean().item()), int(lengths.max())

# %%
tokenizer.decode(train_blocks[0]["input_ids"][:40])

# %% [markdown]
# Blocks are shorter than 128 on average: the documents of the course corpus are short, and a
# block never borrows sentences from the next document.
#
# ### Dynamic masking
#
# The collator masks every block when the batch is made, with a generator seeded by
# `(seed, epoch, index)`. The same block gets the same mask within an epoch — whatever the batch
# size or the number of processes — and a *new* mask in the next epoch (paper: "we use different
# masks at each epoch").

# %%
block = train_blocks[7]
collator.set_epoch(0)
epoch0 = collator([block])["labels"]
epoch0_again = collator([train_blocks[3], block])["labels"][1:, : epoch0.shape[1]]
collator.set_epoch(1)
epoch1 = collator([block])["labels"]
collator.set_epoch(0)
bool(torch.equal(epoch0, epoch0_again)), bool(torch.equal(epoch0, epoch1))

# %% [markdown]
# ### The optimiser: AdamW and which tensors decay
#
# AdamW applies weight decay *decoupled* from the gradient: each update also shrinks the weights by
# `lr × weight_decay × w`, outside Adam's normalisation. The course decays tensors with two or more
# dimensions (weight matrices, the embedding table) and leaves vectors (biases, LayerNorm gains)
# alone — nanoGPT's rule. The official SpanBERT code decays *every* parameter; at our scale the
# difference is small, but decaying LayerNorm gains towards 0 is hard to justify.
#
# The library's `param_groups` applies this rule. On the tiny model:

# %%
from spanbert_lab.pretrain.recipes import build_model
from spanbert_lab.training.schedule import param_groups

model = build_model(objective, "tiny", tokenizer, seed=0, block_size=128)
decay, no_decay = param_groups(model, weight_decay=0.01)
n_decay = sum(p.numel() for p in decay["params"])
n_total = sum(p.numel() for p in model.parameters())
len(decay["params"]), len(no_decay["params"]), round(n_decay / n_total, 3)

# %% [markdown]
# ### The schedule: warm-up, then linear decay
#
# Adam's first updates are noisy (its moment estimates start from zero), and a randomly
# initialised transformer diverges easily at full learning rate. So the rate **warms up**
# linearly, then **decays** linearly to 0 at the last step. Written as a pure function of the
# update index it can be plotted and tested.
#
# **Exercise 04.1.** Write `lr_schedule(step, peak_lr, warmup_steps, total_steps)` for 0-based
# updates: update `s < warmup_steps` uses `peak · (s + 1) / warmup_steps` (the first update is not
# wasted at 0); from `s = warmup_steps` on the rate falls linearly from the peak,
# `peak · (total_steps − s) / (total_steps − warmup_steps)`, reaching 0 at `s = total_steps` and
# staying 0 after. Stuck? `ex.lr_schedule.hint()` gives hints one by one,
# `ex.lr_schedule.solution()` the answer.


# %%
from spanbert_lab.course.exercises import nb04_pretraining as ex


def lr_schedule(step, peak_lr, warmup_steps, total_steps):
    ### BEGIN SOLUTION
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    if step >= total_steps:
        return 0.0
    return peak_lr * (total_steps - step) / (total_steps - warmup_steps)
    ### END SOLUTION


ex.lr_schedule.check(lr_schedule)

# %%
from spanbert_lab.course.plots.pretraining import plot_lr_schedule
from spanbert_lab.training.schedule import build_optimizer, build_scheduler, lr_at_step

ours = [lr_schedule(s, 1e-3, 40, 400) for s in range(400)]
library = [lr_at_step(s, peak_lr=1e-3, warmup_steps=40, total_steps=400) for s in range(400)]
optimizer = build_optimizer(model, lr=1e-3, weight_decay=0.01)
scheduler = build_scheduler(optimizer, warmup_steps=40, total_steps=400)
torch_lrs = []
for _ in range(400):
    torch_lrs.append(optimizer.param_groups[0]["lr"])
    optimizer.step()  # no gradients yet: changes nothing, but keeps PyTorch's order of calls
    scheduler.step()
assert_close(torch.tensor(ours), torch.tensor(library))
assert_close(torch.tensor(torch_lrs), torch.tensor(library))
fig = plot_lr_schedule(peak_lr=1e-3, warmup_steps=40, total_steps=400)
# %% [markdown]
# ## A live run: a tiny SpanBERT in seconds
#
# `spanbert_lab.pretrain.train` is a plain loop: collate (fresh masks) → forward → `loss.backward()`
# → clip the gradient norm to 1 → AdamW step → scheduler step. It evaluates on held-out blocks every
# `eval_every` updates (with fixed masks, so evaluations are comparable), can save atomic
# checkpoints and resume from them exactly, and returns a `History`. Dropout draws from torch's
# generator, which `train` seeds itself — two runs with the same seed agree bit for bit on a CPU.
#
# 80 updates of 16 blocks — about a twenty-fourth of a pass over the corpus. On a 2-core laptop
# this takes well under a minute (the cell prints its time), and the total loss (MLM + SBO) falls
# from about $2\ln V \approx 17.4$, both heads at chance over the $V$ = 6,144 tokens of the
# vocabulary. (The progress lines print the mean loss since the last line; the last printed value
# is the final update's alone. The figure further down shows each head's loss, starting near
# $\ln V \approx 8.7$.)

# %% tags=["nbval-ignore-output"]
from spanbert_lab.pretrain import TrainConfig, train

config = TrainConfig(
    max_steps=80, batch_size=16, lr=2e-3, warmup_steps=8, eval_every=20, seed=0, progress=True
)
live = build_model(objective, "tiny", tokenizer, seed=0, block_size=128)
torch.set_num_threads(
    1
)  # a 128-wide model gains little from a 2nd thread (and loses on a busy CPU)
start = time.perf_counter()
history = train(
    live, train_blocks, dev_blocks, config, collator=collator, eval_collator=dev_collator,
    device=rt.device,
)  # fmt: skip
print(f"{time.perf_counter() - start:.0f} s; last loss {history.losses[-1]:.3f}")
[{k: round(v, 3) for k, v in r.items() if k.endswith(("loss", "accuracy")) and v is not None}
 for r in history.eval]  # fmt: skip

# %% [markdown]
# What has it learned? Compare with the best model that ignores the context entirely: always
# predict the corpus's token frequencies (the *unigram* distribution). Its cross-entropy on the
# dev targets is a baseline any real model must beat.

# %%
from spanbert_lab.masking import unigram_counts

counts = unigram_counts(
    (b["input_ids"] for b in train_blocks), len(tokenizer), ignore_ids=tokenizer.all_special_ids
).double()
unigram = counts / counts.sum()
dev_batch = dev_collator(dev_blocks)
targets = dev_batch["labels"][dev_batch["labels"] != -100]
unigram_ce = -unigram[targets].clamp_min(1e-12).log().mean().item()
first, last = sum(history.losses[:5]) / 5, sum(history.losses[-5:]) / 5
(
    len(history.train),
    abs(first - 2 * math.log(len(tokenizer))) < 0.5,
    last < first - 2,
    abs(history.eval[-1]["mlm_loss"] - unigram_ce) < 0.4,
    round(unigram_ce, 1),
)

# %%
from spanbert_lab.course.plots.pretraining import plot_history

fig = plot_history(history, smooth=5)

# %% [markdown]
# After 80 updates the model has learned the token *frequencies* — its dev MLM loss sits at the
# unigram baseline — and little else: using the context takes many more updates (the study's
# encoders below had 7,498 updates of twice the batch). The SBO loss starts at the same value as the
# MLM loss (both predict one of $V$ tokens from nothing useful) and follows it down; the SBO head
# sees only the encoder's output vectors at the two boundary positions and a position embedding,
# never the masked token's own vector.
#
# ### Does it use the context? Take the context away
#
# "Learned the frequencies and little else" is a claim about the context, so test it on the
# context. Score the same dev targets twice: once as collated, and once with every non-target
# token of each block replaced by `[MASK]` (the special tokens stay), so that a model sees nothing
# but the targets' own inputs and positions. (About 10% of the targets keep their own token as
# input — the "keep" of 80/10/10 — so even without context a model can copy those.) A model that ignores the context scores the same both ways. Do
# the same with `spanbert-tiny`, the course's shipped SpanBERT (7,498 updates of 32 blocks,
# described below), and with the best context-free guess of all: always the corpus's most
# frequent token.

# %%
import pandas as pd

from spanbert_lab.model.pretraining import SpanBertForPreTraining
from spanbert_lab.runtime import data_dir

shipped = SpanBertForPreTraining.from_pretrained(data_dir() / "checkpoints" / "spanbert-tiny")
special = torch.tensor(tokenizer.all_special_ids)


def target_predictions(model, batch, *, blank_context: bool) -> torch.Tensor:
    """The model's top guess at every MLM target of ``batch`` (row-major order)."""
    ids = batch["input_ids"].clone()
    is_target = batch["labels"] != -100
    if blank_context:
        ids[~is_target & ~torch.isin(ids, special)] = tokenizer.mask_token_id
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(
            input_ids=ids.to(device),
            attention_mask=batch["attention_mask"].to(device),
            labels=batch["labels"].to(device),
        )
    return out.mlm_logits.argmax(-1).cpu()


context_use = {}
for name, model in {"live run (80 updates)": live, "spanbert-tiny (shipped)": shipped}.items():
    context_use[name] = {
        condition: (target_predictions(model, dev_batch, blank_context=blank) == targets)
        .float()
        .mean()
        .item()
        for condition, blank in (("with context", False), ("context blanked", True))
    }
most_frequent = (targets == unigram.argmax()).float().mean().item()
context_use["always the most frequent token"] = dict.fromkeys(
    ("with context", "context blanked"), most_frequent
)
pd.DataFrame(context_use).T.round(3)

# %% [markdown]
# The live model scores 0.075 with the context and 0.075 without — exactly the most-frequent-token
# guess, because that is what it does: it answers `.` at every target. It has learned which token
# is common, not which token fits. The shipped encoder falls from 0.389 to 0.125 when the context
# goes: two thirds of what it gets right, it gets from the context. Here are the first targets of
# one dev block, with each model's guess (context intact):

# %%
row_targets = dev_batch["labels"][0][dev_batch["labels"][0] != -100][:12]
n_row = len(row_targets)
live_guess = target_predictions(live, dev_batch, blank_context=False)[:n_row]
shipped_guess = target_predictions(shipped, dev_batch, blank_context=False)[:n_row]
block = dev_batch["input_ids"][0][dev_batch["attention_mask"][0].bool()]
print(tokenizer.decode(block))
pd.DataFrame(
    {
        "answer": tokenizer.convert_ids_to_tokens(row_targets.tolist()),
        "live run": tokenizer.convert_ids_to_tokens(live_guess.tolist()),
        "spanbert-tiny": tokenizer.convert_ids_to_tokens(shipped_guess.tolist()),
    }
)

# %% [markdown]
# The block hides three spans: `Born`, then `. He and Vaenailde`, then `in 1909 in Helamouth .`.
# `spanbert-tiny` gets half of the twelve targets — the function words and punctuation (`Born`,
# `.`, `and`, `in`) — and misses the pronoun, the name and the year, filling them with common
# words: a 1.3-million-parameter model after one short pretraining run uses its context, but not
# yet well. Checked rather than trusted: the live model's
# two scores are equal and equal to the most-frequent-token guess, and the shipped encoder's drop
# without context is more than 20 points:

# %%
live_acc, shipped_acc = context_use["live run (80 updates)"], context_use["spanbert-tiny (shipped)"]
(
    round(live_acc["with context"], 3) == round(live_acc["context blanked"], 3) == 0.075,
    round(most_frequent, 3) == 0.075,
    set(
        tokenizer.convert_ids_to_tokens(
            target_predictions(live, dev_batch, blank_context=False).unique().tolist()
        )
    ),
    (round(shipped_acc["with context"], 3), round(shipped_acc["context blanked"], 3)),
    shipped_acc["with context"] - shipped_acc["context blanked"] > 0.2,
)

# %% [markdown]
# ### Several processes: `torchrun`
#
# The same loop runs data-parallel: `torchrun --nproc-per-node 2 -m spanbert_lab.pretrain …`.
# Every process draws the same global batch and keeps every second example; masks depend only on
# `(seed, epoch, index)`, so the global batch is exactly the single-process one. One subtlety: the
# losses are means over *tokens*, and the two halves of a batch hold different numbers of masked
# tokens. Averaging the two processes' mean losses (what DDP's gradient averaging does by default)
# would weight tokens unequally. `spanbert_lab.pretrain.distributed.shard_loss` rescales each process's mean
# into its share of the global sum; the test-suite checks that 2 processes reproduce 1.

# %% [markdown]
# ## The study's encoders: same compute, three objectives
#
# `data/checkpoints/` holds the encoders of the course's pretraining study
# ([`study/README.md`](../study/README.md); its protocol was fixed before any result was seen).
# Three were pretrained by the command line with exactly the same recipe — data, seed, updates,
# batch, learning rate and schedule — and differ only in the objective; the fourth is the
# control:
#
# | encoder | objective | what it is |
# |---|---|---|
# | `random-tiny` | none | the same architecture, randomly initialised, never trained |
# | `bert-tiny` | `subword` | BERT's masked LM: random WordPieces, 80/10/10 per token |
# | `span-tiny` | `span` | SpanBERT's span masking, MLM only (no SBO) |
# | `spanbert-tiny` | `span_sbo` | span masking + the span boundary objective: SpanBERT |
#
# The recipe (learning rate, batch, size) was picked by a short pilot sweep run on the *baseline*
# objective only, so that if its tuning favours any objective, it favours BERT's. Each folder has
# a model card with the exact command and the final numbers.

# %%
import json

from spanbert_lab.model.pretraining import SpanBertForPreTraining
from spanbert_lab.runtime import data_dir

ENCODERS = ("random-tiny", "bert-tiny", "span-tiny", "spanbert-tiny")
PRETRAINED = ENCODERS[1:]
checkpoints = data_dir() / "checkpoints"
cards = {name: json.loads((checkpoints / name / "metrics.json").read_text()) for name in PRETRAINED}
models = {
    name: SpanBertForPreTraining.from_pretrained(checkpoints / name).eval() for name in ENCODERS
}
print(cards["spanbert-tiny"]["command"])
{
    name: {
        "objective": c["objective"],
        "updates": c["steps"],
        "real tokens seen": f"{c['tokens_seen']:,}",
        "dev MLM acc (own masks)": round(c["dev"]["mlm_accuracy"], 3),
        "dev SBO acc": c["dev"]["sbo_accuracy"] and round(c["dev"]["sbo_accuracy"], 3),
    }
    for name, c in cards.items()
}

# %% [markdown]
# Same recipe for all three, checked rather than trusted — every training setting on the cards
# is equal except the objective:

# %%
same_recipe = {
    key: len({json.dumps(c["train_config"][key]) for c in cards.values()}) == 1
    for key in ("max_steps", "batch_size", "lr", "warmup_steps", "weight_decay", "seed")
}
same_data = len({c["data_fingerprint"] for c in cards.values()}) == 1
same_recipe, same_data

# %% [markdown]
# ### Learning curves
#
# Every 500 updates each run logged its mean training loss since the previous record and a
# held-out evaluation (`metrics.jsonl`; the study keeps a copy in
# `data/results/study/pretrain/`). Each curve is measured with the run's *own* masking, so the
# curves of different objectives are not comparable with each other — a span is harder to guess
# than a single token (next section) — but every one is still rising at the end, if only slightly,
# even as the learning rate decays to 0: more pretraining might still help.

# %%
from spanbert_lab.course.plots.pretraining import plot_history
from spanbert_lab.pretrain.metrics_log import history_from_log, read_metrics_log

logs = {
    name: read_metrics_log(data_dir() / "results" / "study" / "pretrain" / f"{name}.jsonl")
    for name in PRETRAINED
}
fig = plot_history({name: history_from_log(rows) for name, rows in logs.items()}, smooth=1)

# %% [markdown]
# ### One set of masks for every model
#
# For a fair comparison, mask the same 256 dev blocks twice — once with BERT's single-token
# masking, once with SpanBERT's span masking — and score every model's MLM head on exactly the
# same targets. The intervals are 95% Wilson intervals (`spanbert_lab.stats.wilson_interval`);
# they treat the targets as independent, which tokens of one span are not, so read them as the
# least uncertainty there is.

# %%
import pandas as pd

from spanbert_lab.pretrain.evaluation import evaluate_pretraining
from spanbert_lab.stats import wilson_interval

_, eval_blocks, _, span_masks = prepare_data(
    objective, tokenizer, block_size=128, max_train_blocks=1280, max_eval_blocks=256
)
_, _, _, token_masks = prepare_data(
    OBJECTIVES["subword"], tokenizer, block_size=128, max_train_blocks=1280, max_eval_blocks=256
)
same_masks = {}
for name, m in models.items():
    for masks, collator_ in (("single tokens", token_masks), ("spans", span_masks)):
        r = evaluate_pretraining(m, eval_blocks, collator_)
        low, high = wilson_interval(round(r["mlm_accuracy"] * r["mlm_targets"]), r["mlm_targets"])
        same_masks[name, masks] = (r["mlm_accuracy"], float(low), float(high), r["mlm_targets"])
pd.DataFrame(
    {
        f"{masks} ({same_masks['bert-tiny', masks][3]} targets)": [
            "{:.3f} [{:.3f}, {:.3f}]".format(*same_masks[name, masks][:3]) for name in ENCODERS
        ]
        for masks in ("single tokens", "spans")
    },
    index=ENCODERS,
)

# %% [markdown]
# What the table shows:
#
# * **Single tokens are much easier than spans**, for every pretrained model: a lone masked token
#   has both neighbours in view, a token inside a span may have neither.
# * On single tokens, `bert-tiny` — trained on exactly that — is far ahead (0.77 against about
#   0.5).
# * On spans, the task span masking trains for, the three pretrained models are within 0.03 of
#   each other (0.39–0.42), `bert-tiny` on top: at 20 M tokens, span masking did **not** make a
#   better span-filler than BERT's masking. (Overlapping intervals alone would not show that two
#   models are equal; here the span-trained ones are not even ahead.)
# * The untrained control gets none right: all of the above was learned.
#
# The cell below checks each of these statements against the numbers above.


# %%
def above(a, b):  # a's interval lies entirely above b's
    return a[1] > b[2]


spans = [same_masks[name, "spans"] for name in PRETRAINED]
{
    "single tokens easier than spans, every model": all(
        above(same_masks[n, "single tokens"], same_masks[n, "spans"]) for n in PRETRAINED
    ),
    "bert-tiny best on single tokens": all(
        above(same_masks["bert-tiny", "single tokens"], same_masks[n, "single tokens"])
        for n in ("span-tiny", "spanbert-tiny")
    ),
    "spans: within 0.03, intervals overlap": max(a[0] for a in spans) - min(a[0] for a in spans)
    < 0.03
    and max(a[1] for a in spans) < min(a[2] for a in spans),
    "untrained control below 1%": all(
        same_masks["random-tiny", masks][0] < 0.01 for masks in ("single tokens", "spans")
    ),
}

# %% [markdown]
# ### The same masks, every encoder of the ablation study
#
# The three encoders above are one pretraining run each, so a difference of a few hundredths
# between them could be the luck of one run. The course's second study, the ablation study
# ([`study/ablations.md`](../study/ablations.md); notebook 05 reads its fine-tuning results),
# pretrains every masking scheme of the paper's Table 6 and every objective of its Table 7 with
# this recipe and budget, two or three times with different seeds: 19 encoders.
#
# | arm | what it masks and predicts | seeds |
# |---|---|---|
# | `subword` | random WordPieces, BERT's masking (as `bert-tiny`) | 3 |
# | `subword+nsp` | the same on two segments, plus next-sentence prediction (BERT as released) | 2 |
# | `whole_word` | whole words | 2 |
# | `entity` | whole entity mentions half of the time, geometric spans otherwise | 2 |
# | `noun_phrase` | whole noun phrases half of the time, geometric spans otherwise | 2 |
# | `span` | geometric spans, MLM only (as `span-tiny`) | 3 |
# | `span+nsp` | geometric spans on two segments, plus next-sentence prediction | 2 |
# | `span_sbo` | geometric spans + the SBO: SpanBERT (as `spanbert-tiny`) | 3 |
# | `random` | nothing: untrained (two initialisations) | 2 |
#
# Each encoder was scored on the two sets of masks above when it finished
# (`spanbert_lab.tools.study.ablations.filling`), and the scores are stored in
# `data/results/ablations/span_filling.json`. Only `span_sbo`'s seed-0 encoder ships with the
# course (`data/checkpoints/span_sbo-tiny-ablation`); the next cell scores it here, live, on the
# masks built above, and compares the result with the stored number.

# %%
shipped = SpanBertForPreTraining.from_pretrained(checkpoints / "span_sbo-tiny-ablation").eval()
filling = json.loads((data_dir() / "results" / "ablations" / "span_filling.json").read_text())
live = {
    masks: evaluate_pretraining(shipped, eval_blocks, collator_)["mlm_accuracy"]
    for masks, collator_ in (("single tokens", token_masks), ("spans", span_masks))
}
stored = {masks: filling["span_sbo"]["seed0"][masks] for masks in live}
assert all(math.isclose(live[m], stored[m], abs_tol=1e-6) for m in live), (live, stored)
{masks: round(value, 4) for masks, value in live.items()}

# %%
from spanbert_lab.course.plots.ablations import plot_span_filling

ARMS = ("random", "subword", "subword+nsp", "whole_word", "entity", "noun_phrase", "span",
        "span+nsp", "span_sbo")  # fmt: skip


def seed_spread(arm, masks):
    """Mean, lowest and highest accuracy over an arm's pretraining seeds."""
    values = [scores[masks] for scores in filling[arm].values()]
    return sum(values) / len(values), min(values), max(values)


pd.DataFrame(
    {
        "seeds": {arm: len(filling[arm]) for arm in ARMS},
        **{
            f"{masks}: mean (lowest–highest)": {
                arm: "{:.3f} ({:.3f}–{:.3f})".format(*seed_spread(arm, masks)) for arm in ARMS
            }
            for masks in ("single tokens", "spans")
        },
    }
)

# %%
fig = plot_span_filling(filling, ARMS[1:])  # the untrained control (0) left out

# %% [markdown]
# What the seeds add (the figure's axes fit the data and do not start at 0; the cell below checks
# each statement):
#
# * **One run can mislead.** `subword`'s three seeds score 0.684, 0.689 and 0.770 on single
#   tokens: the first study's `bert-tiny` (0.769) was at the top of that range, not its middle.
#   On spans the seeds of one arm lie within about 0.03 of each other.
# * **Single tokens** are filled best by the arms that train on them: every seed of `subword`,
#   `subword+nsp` and `whole_word` scores at least 0.66, every seed of every span-masking arm at
#   most 0.52.
# * **Spans:** plain span masking (`span`) is the weaker span filler here — each of its seeds is
#   below each seed of `subword`. With the SBO added (`span_sbo`) every seed is above every seed
#   of `span`, level with `subword`: the boundary objective made the MLM head itself better at
#   spans. Entity and noun-phrase masking do no better than `span`. The untrained control fills
#   nothing.
# * These are descriptions of 19 encoders on one set of masks, not tests of an effect. Whether
#   filling spans better carries over to answering questions is notebook 05's question: it puts
#   each encoder's span score beside its QA score.


# %%
def every_seed(arm, masks):
    return [scores[masks] for scores in filling[arm].values()]


SINGLE_TOKEN_ARMS = ("subword", "subword+nsp", "whole_word")
SPAN_ARMS = ("entity", "noun_phrase", "span", "span+nsp", "span_sbo")
{
    "pretrained encoders scored": sum(len(filling[a]) for a in ARMS[1:]),
    "subword single-token seeds": [round(v, 3) for v in every_seed("subword", "single tokens")],
    "spans: seeds of one arm within 0.035": all(
        max(every_seed(a, "spans")) - min(every_seed(a, "spans")) < 0.035 for a in ARMS
    ),
    "single tokens: single-token arms >= 0.66, span arms <= 0.52": min(
        v for a in SINGLE_TOKEN_ARMS for v in every_seed(a, "single tokens")
    )
    >= 0.66
    and max(v for a in SPAN_ARMS for v in every_seed(a, "single tokens")) <= 0.52,
    "spans: every span seed below every subword seed": max(every_seed("span", "spans"))
    < min(every_seed("subword", "spans")),
    "spans: every span_sbo seed above every span seed": min(every_seed("span_sbo", "spans"))
    > max(every_seed("span", "spans")),
    "spans: span_sbo mean within 0.01 of subword's": abs(
        seed_spread("span_sbo", "spans")[0] - seed_spread("subword", "spans")[0]
    )
    < 0.01,
    "spans: entity and noun_phrase means no more than 0.005 above span's": all(
        seed_spread(a, "spans")[0] <= seed_spread("span", "spans")[0] + 0.005
        for a in ("entity", "noun_phrase")
    ),
    "untrained control: 0": max(
        every_seed("random", "spans") + every_seed("random", "single tokens")
    )
    < 0.001,
}

# %% [markdown]
#
# ### Accuracy inside the span
#
# Split the span-masked targets above by their **relative position** in the masked span
# (0 = first token) and by the **span's length**. Inside a long span a token's neighbours are
# masked too, so a model has less to go on towards the middle of long spans; span masking trains
# exactly this situation. The SBO head of `spanbert-tiny` (last curve) predicts each token from
# the output vectors at the two boundary positions and the position alone. Each point has its 95% Wilson interval; the bars
# below count the targets behind it.

# %%
from spanbert_lab.course.plots.pretraining import plot_span_accuracy
from spanbert_lab.pretrain.evaluation import span_accuracy

acc = {name: span_accuracy(models[name], eval_blocks, span_masks, max_position=8, max_length=8)
       for name in PRETRAINED}  # fmt: skip


def counts(accuracy, by, bins):
    """Targets right and total over some bins (pooled), and their Wilson interval."""
    correct = getattr(accuracy, f"correct_by_{by}")[bins].sum()
    total = getattr(accuracy, f"total_by_{by}")[bins].sum()
    low, high = wilson_interval(correct, total)
    return float(correct / total), float(low), float(high)


curves = {f"{name} MLM": acc[name]["mlm"] for name in PRETRAINED}
curves["spanbert-tiny SBO"] = acc["spanbert-tiny"]["sbo"]
fig = plot_span_accuracy(curves, by="position", title="dev accuracy by position in the span")
# %%
fig = plot_span_accuracy(curves, by="length", title="dev accuracy by span length")
# %%
inside = list(range(1, 8))  # every position after a span's first token
{
    "by position": {name: [round(x, 3) for x in c.by_position.tolist()] for name, c in curves.items()},
    "positions 1+, pooled": {name: round(counts(c, "position", inside)[0], 3) for name, c in curves.items()},
    "spans of 8+ tokens": {name: round(counts(c, "length", [7])[0], 3) for name, c in curves.items()},
    "targets in spans of 8+ tokens": int(curves["bert-tiny MLM"].total_by_length[7]),
}  # fmt: skip

# %% [markdown]
# Reading the curves:
#
# * `bert-tiny` is clearly best at position 0, the first token of a span (0.59 against 0.43). The
#   by-length figure shows where that comes from: spans of one and two tokens (0.82 and 0.70
#   against 0.5–0.55), a lone masked token with visible neighbours — the situation BERT's masking
#   trains for.
# * After the first token, the span-trained MLM heads are ahead of `bert-tiny` at positions 1 to 5
#   and level after; pooled over positions 1 and beyond, 0.388 (`span-tiny`) and 0.377
#   (`spanbert-tiny`) against 0.356. A small edge for span masking inside spans, in the situation
#   it trains for — and `bert-tiny`'s lead at the first token outweighs it overall (previous
#   section).
# * Everyone falls as spans get longer. On the longest spans (8 tokens or more, 773 targets)
#   `span-tiny` is ahead of `bert-tiny` (0.34 against 0.26) with Wilson intervals apart — but read
#   that as exploratory: the intervals count the 773 targets as independent, while they come from
#   far fewer spans whose tokens succeed or fail together, and this is one bin of eight.
# * The SBO head, which sees only the output vectors at the two boundary positions and a position
#   embedding, beats its own model's MLM head at the start of a span (0.55 against 0.43 at position
#   0), but falls behind it deep inside (positions 4 and beyond, pooled: about 0.28 against 0.38):
#   far from both boundaries, two vectors and a position are not enough.
#
# Checked:


# %%
deep = list(range(4, 8))
{
    "position 0: bert-tiny above both span-trained MLMs": all(
        above(counts(curves["bert-tiny MLM"], "position", [0]), counts(curves[c], "position", [0]))
        for c in ("span-tiny MLM", "spanbert-tiny MLM")
    ),
    "spans of 1 and 2 tokens: bert-tiny above both span-trained MLMs": all(
        above(counts(curves["bert-tiny MLM"], "length", [k]), counts(curves[c], "length", [k]))
        for k in (0, 1)
        for c in ("span-tiny MLM", "spanbert-tiny MLM")
    ),
    "positions 1-5: both span-trained MLMs above bert-tiny at each (point estimates)": all(
        curves[c].by_position[k] > curves["bert-tiny MLM"].by_position[k]
        for k in range(1, 6)
        for c in ("span-tiny MLM", "spanbert-tiny MLM")
    ),
    "spans of 8+ tokens: span-tiny above bert-tiny (exploratory)": above(
        counts(curves["span-tiny MLM"], "length", [7]),
        counts(curves["bert-tiny MLM"], "length", [7]),
    ),
    "position 0: SBO above its own MLM": above(
        counts(curves["spanbert-tiny SBO"], "position", [0]),
        counts(curves["spanbert-tiny MLM"], "position", [0]),
    ),
    "positions 4+: SBO below its own MLM": above(
        counts(curves["spanbert-tiny MLM"], "position", deep),
        counts(curves["spanbert-tiny SBO"], "position", deep),
    ),
}

# %% [markdown]
# ### Filling in multi-token entities
#
# Mask a whole named entity of a dev sentence and let each model fill it in (top-1 per token).
# A name of several word pieces is exactly the kind of span SpanBERT practises on.

# %%
from spanbert_lab.data import load_corpus
from spanbert_lab.pretrain.evaluation import fill_spans

items = []
for doc in load_corpus("dev").select(range(60)):
    for sentence, entities in zip(doc["sentences"], doc["entities"], strict=True):
        for e in entities:
            if e["label"] in ("PER", "ORG", "LOC"):
                items.append((sentence, e["start"], e["end"]))
fills = {name: fill_spans(m, tokenizer, items) for name, m in models.items()}
multi = [i for i, f in enumerate(fills["bert-tiny"]) if len(f.original) >= 2]


def piece_counts(fill_list):
    pairs = [
        pair for i in multi for pair in zip(fill_list[i].mlm, fill_list[i].original, strict=True)
    ]
    return sum(p == o for p, o in pairs), len(pairs)


entity_table = {
    name: {
        "whole entities right": sum(fills[name][i].mlm_exact for i in multi),
        "pieces right": "{} of {}".format(*piece_counts(fills[name])),
    }
    for name in ENCODERS
}
len(multi), entity_table

# %%
rows = []
for i in multi[:8]:
    row = {"entity": " ".join(fills["bert-tiny"][i].original)}
    row |= {f"{name} MLM": " ".join(fills[name][i].mlm) for name in PRETRAINED}
    row["spanbert-tiny SBO"] = " ".join(fills["spanbert-tiny"][i].sbo or ())
    rows.append(row)
pd.DataFrame(rows)

# %% [markdown]
# Names stay hard, and here span masking does not help. Of the 407 entities of two or more word
# pieces, `bert-tiny` fills in 4 completely and the span-trained models none; `bert-tiny` gets
# 3.8% of the pieces right (49 of 1,298), the span-trained models about 2% (24 and 29), filling
# names with frequent words. A name of a fictional world occurs only a handful of times in the
# corpus: it is what a small model learns last, and 20 M tokens are not enough. Filling in names is
# not what the paper measured: its gains are on downstream tasks (notebook 05), with about seven
# million times our compute (final section).
#
# ## Looking inside: attention of the trained SpanBERT
#
# The attention explorer of notebook 01, now on the trained model. A static view of every head for
# one sentence first (for readers without a kernel), then the interactive explorer.

# %%
from spanbert_lab.course.plots.attention import attention_grid
from spanbert_lab.course.widgets.attention import AttentionExplorer, attention_maps

sentences = [items[i][0] for i in multi[:5]]
explorer = AttentionExplorer.from_pretrained(
    data_dir() / "checkpoints" / "spanbert-tiny", sentences
)
tokens, maps = attention_maps(explorer.model, explorer.tokenizer, sentences[0])
fig = attention_grid(maps, tokens)
# %% tags=["nbval-ignore-output"]
explorer

# %% [markdown]
# ## What would scaling up cost?
#
# A common rule of thumb: training costs about **6 FLOPs per parameter per token** — 2 for the
# forward pass (a multiply and an add per weight) and 4 for the backward pass (gradients with
# respect to the inputs and to the weights). Attention scores add a little on top. Two parameter
# groups break the rule. The **embedding table** is read by a lookup, a copy with no arithmetic, so
# only the *non-embedding* parameters count per token. But the same table is also the output
# matrix of the MLM and SBO heads, which multiply by it only at the **targets**: about 6·V·h more
# per target, and SpanBERT has about 0.3 targets per token (15% masked for MLM, and SBO targets for
# nearly all of them). Our tiny model is mostly embedding table (62% of its parameters), so
# counting it per token would nearly double our compute (×1.8).
#
# The paper's run: BERT-large (340 M parameters), 2.4 M steps of 256 sequences of up to 512
# tokens, on 32 V100 GPUs for 15 days. Ours: the numbers on `spanbert-tiny`'s card.

# %%
from spanbert_lab.course.plots.pretraining import plot_costs

TARGETS_PER_TOKEN = 0.3  # MLM (15%) + SBO (about as many), an approximation for both models


def training_flops(n_params, n_embedding, vocab_size, hidden, n_tokens):
    per_token = 6 * (n_params - n_embedding)  # the rule of thumb, without the lookup table
    at_targets = TARGETS_PER_TOKEN * 6 * vocab_size * hidden  # output projection at the targets
    return (per_token + at_targets) * n_tokens


paper_tokens = 2.4e6 * 256 * 512
paper_embedding = (28996 + 512 + 2) * 1024  # word, position and segment tables of BERT-large
paper_flops = training_flops(340e6, paper_embedding, 28996, 1024, paper_tokens)
paper_gpu_days = 32 * 15
paper_rate = paper_flops / (paper_gpu_days * 86400)  # achieved FLOP/s per GPU
card = cards["spanbert-tiny"]
cfg = json.loads((checkpoints / "spanbert-tiny" / "config.json").read_text())
h = cfg["hidden_size"]
our_embedding = (cfg["vocab_size"] + cfg["max_position_embeddings"] + cfg["type_vocab_size"]) * h
our_flops = training_flops(
    card["parameters"], our_embedding, cfg["vocab_size"], h, card["tokens_seen"]
)
our_rate = our_flops / card["wall_time_s"]  # achieved on our CPU, FLOP/s
costs = {
    "embedding share of our parameters": round(our_embedding / card["parameters"], 2),
    "paper FLOPs": f"{paper_flops:.2g}",
    "paper TFLOP/s per V100 (achieved)": round(paper_rate / 1e12, 1),
    "ours FLOPs": f"{our_flops:.2g}",
    "paper / ours": f"{paper_flops / our_flops:.1g}",
    "paper on our CPU (years)": f"{paper_flops / our_rate / (365 * 86400):.1g}",
    "ours on one V100 at the paper's rate (s)": round(our_flops / paper_rate, 2),
}
costs

# %%
stated = {
    "about seven million times ours": round(paper_flops / our_flops / 1e6) == 7,
    "about six seconds of a V100": round(our_flops / paper_rate) == 6,
    "about four centuries of our CPU": round(paper_flops / our_rate / (100 * 365 * 86400)) == 4,
    "counting the table per token: x1.8": round(
        6 * card["parameters"] * card["tokens_seen"] / our_flops, 1
    )
    == 1.8,
    "over 600x the parameters used per token": (340e6 - paper_embedding)
    / (card["parameters"] - our_embedding)
    > 600,
}
assert all(stated.values()), stated
stated

# %%
fig = plot_costs(["SpanBERT (paper)", "spanbert-tiny (ours)"], [paper_flops, our_flops])
# %% [markdown]
# The paper's model used about 480 GPU-days at roughly 15 TFLOP/s per V100 — about an eighth of the
# V100's fp16 tensor-core peak, a typical utilisation for 2019 mixed-precision training. Its
# compute is about seven million times ours. Our whole pretraining (20 M tokens) would take that
# GPU about six seconds; the paper's would keep our CPU busy for about four centuries. That gap, not the method, is why this course trains a 1.3 M-parameter model on a
# fictional world.
#
# ## Exercises for the road to fine-tuning
#
# A pretrained encoder is only useful once fine-tuned. Notebook 05 fine-tunes these checkpoints
# for extractive question answering, where two decisions are easy to get subtly wrong. Build
# them here, on small inputs, before you meet them inside a full pipeline.
#
# First, what a **window** is (notebook 05 builds them step by step). A QA input is
# `[CLS] question [SEP] passage window [SEP]`; a passage longer than the model's budget is cut
# into overlapping windows, each starting `doc_stride` tokens after the previous one, and every
# window is scored on its own. With a tiny budget (48 tokens, stride 16), the longest passage of
# the course's QA dev set needs nine windows, and most of its tokens sit in more than one. The
# dark part of each window is where its tokens have their **maximum context**, the rule the next
# exercise writes; the red line is the gold answer, labelled only in windows that hold all of it:

# %%
from spanbert_lab.course.plots.qa import plot_qa_windows
from spanbert_lab.data import load_qa
from spanbert_lab.tasks.qa.features import prepare_qa_features

qa_dev = load_qa("dev")
passage = max(qa_dev, key=lambda example: len(example["context"]))
window_features = prepare_qa_features([passage], tokenizer, max_length=48, doc_stride=16)
fig = plot_qa_windows(window_features, passage["id"])

# %%
{"windows": len(window_features["input_ids"]), "passage characters": len(passage["context"])}

# %% [markdown]
# ### Exercise 04.2 — the max-context rule
#
# A passage longer than the model's input is cut into overlapping **windows**, so a passage token
# can sit in several windows: near the edge of one (little context on one side) and in the middle
# of another. An answer is only accepted from the window where its start token has its **maximum
# context**: the window where the token has the most tokens on its *shorter* side,
# $\min(\text{left}, \text{right})$, plus a $0.01 \times$ window-length bonus that prefers longer
# windows; on a tie the first window wins ([course reference](../docs/spanbert-reference.md#max-context)).
#
# Write `max_context_windows(windows, n_tokens)`: `windows` is a list of `(start, length)` over
# passage positions `0..n_tokens-1`; return, for every token, the index of its max-context window.
# Stuck? `ex.max_context_windows.hint()` and `ex.max_context_windows.solution()`.


# %%
def max_context_windows(windows, n_tokens):
    ### BEGIN SOLUTION
    best_score = [-1.0] * n_tokens
    best_window = [-1] * n_tokens
    for w, (start, length) in enumerate(windows):
        for j in range(start, start + length):
            score = min(j - start, start + length - 1 - j) + 0.01 * length
            if score > best_score[j]:
                best_score[j], best_window[j] = score, w
    return best_window
    ### END SOLUTION


ex.max_context_windows.check(max_context_windows)

# %% [markdown]
# The library's QA decoder (`spanbert_lab.tasks.qa.features.max_context_mask`, used in notebook 05) applies the
# same rule to real windows, identified by character offsets. Yours agrees with it:

# %%
from spanbert_lab.tasks.qa.features import max_context_mask

windows = [(0, 8), (4, 8), (8, 5)]  # 13 passage tokens, stride 4, a short last window
offsets = [[(j, j + 1) for j in range(s, s + length)] for s, length in windows]
library_choice = {}
for w, (mask_row, (s, _length)) in enumerate(zip(max_context_mask(offsets), windows, strict=True)):
    library_choice.update({s + i: w for i, keep in enumerate(mask_row) if keep})
{
    "yours": max_context_windows(windows, 13),
    "library agrees": max_context_windows(windows, 13) == [library_choice[j] for j in range(13)],
}

# %% [markdown]
# ### Exercise 04.3 — the SQuAD 2.0 null threshold, chosen on dev
#
# In SQuAD 2.0 some questions have no answer. The model scores "no answer" with the `[CLS]`
# position; `na_score` = null score − best non-null score, and the prediction is the empty answer
# when `na_score > threshold` ([course reference](../docs/spanbert-reference.md#null-threshold)).
# The threshold is chosen on development data, by F1.
#
# Write `choose_null_threshold(na_scores, is_impossible, answer_f1)`: for each dev question its
# na score, whether it is unanswerable, and the F1 (0..1) its best non-null answer would get.
# Return the threshold with the highest mean F1; only the values $-\infty$ (always abstain) and the
# na scores themselves need to be tried, and on a tie return the smallest. Stuck?
# `ex.choose_null_threshold.hint()` and `ex.choose_null_threshold.solution()`.


# %%
def choose_null_threshold(na_scores, is_impossible, answer_f1):
    ### BEGIN SOLUTION
    candidates = [-math.inf, *sorted(na_scores)]

    def f1_at(t):  # "" when na > t: F1 1 for an unanswerable question, else 0
        rows = zip(na_scores, is_impossible, answer_f1, strict=True)
        return sum(float(imp) if na > t else f1 for na, imp, f1 in rows) / len(na_scores)

    scores = [f1_at(t) for t in candidates]
    return candidates[scores.index(max(scores))]
    ### END SOLUTION


ex.choose_null_threshold.check(choose_null_threshold)

# %% [markdown]
# Why "on dev" matters: a threshold tuned on the very questions it is scored on is optimistic —
# it adapts to their noise. The official script's `best_f1` does exactly that. Below, simulated
# na scores for 400 questions (unanswerable ones score higher on average; answers have random
# F1): choose the threshold on one half and score the other half, versus tuning on the half
# that is scored.

# %%
g = torch.Generator().manual_seed(0)
impossible = (torch.rand(400, generator=g) < 0.5).tolist()
na = (torch.randn(400, generator=g) + 1.0 * torch.tensor(impossible, dtype=torch.float)).tolist()
f1s = [
    0.0 if imp else u
    for imp, u in zip(impossible, torch.rand(400, generator=g).tolist(), strict=True)
]
half_a, half_b = slice(0, 200), slice(200, 400)
chosen_on_a = choose_null_threshold(na[half_a], impossible[half_a], f1s[half_a])
tuned_on_b = choose_null_threshold(na[half_b], impossible[half_b], f1s[half_b])
{
    "threshold chosen on half A": round(chosen_on_a, 3),
    "F1 on half B, threshold from A (honest)": round(
        100 * ex.dev_f1(chosen_on_a, na[half_b], impossible[half_b], f1s[half_b]), 1
    ),
    "F1 on half B, threshold tuned on B (best_f1)": round(
        100 * ex.dev_f1(tuned_on_b, na[half_b], impossible[half_b], f1s[half_b]), 1
    ),
}

# %% [markdown]
# **What to look for.** The threshold tuned on half B scores higher on half B than the one chosen
# on half A — by construction, since it is the best possible threshold for exactly those
# questions. Only the first number is an estimate of what the model will do on new questions.
#
# ## Summary
#
# *(Terms in English and Chinese: the [glossary](../docs/glossary.md), 术语表.)*
#
# * Blocks: whole sentences of one document, up to the block size; no NSP, one segment.
# * Dynamic masking: each block's mask depends on `(seed, epoch, index)` — new every epoch,
#   independent of batch size and process count.
# * AdamW with decoupled weight decay on matrices; warm-up then linear decay, as a pure function
#   of the step; gradient clipping at 1.
# * Data parallelism must weight the per-token means by token counts to match one process.
# * The study's encoders (20 M tokens each): every pretrained model finds single tokens far easier
#   than spans; on spans, span masking did not make a better filler than BERT's masking
#   (0.39–0.42, `bert-tiny` on top, from its lead at a span's first token); after the first token
#   the span-trained heads are a little ahead. The SBO head beats the MLM head near a span's start
#   and loses deep inside long spans. The models almost never fill in a whole name.
# * Over the ablation study's 19 encoders (two or three seeds per arm) on the same masks: one
#   run can mislead (`subword`'s seeds score 0.68 to 0.77 on single tokens); plain span masking
#   fills spans worse than BERT's masking at every seed, and span masking with the SBO is level
#   with it.
# * Compute ≈ 6 · non-embedding parameters · tokens, plus the output projection at the targets:
#   the paper's run is about seven million times ours.
#
# ## Quiz

# %%
from spanbert_lab.course.exercises.quiz import quiz

quiz(
    "Pretraining quiz",
    (
        "Why does the learning rate warm up instead of starting at its peak?",
        [
            ("Adam's early updates are unreliable and a fresh transformer diverges easily at full rate",
             True, "Adam's moment estimates start at zero; small early steps keep training stable."),
            ("To save compute in the first steps", False,
             "Every update costs the same FLOPs, whatever the learning rate."),
            ("Because the data loader is slower at the start", False,
             "The schedule is a pure function of the step; it knows nothing about data loading."),
        ],
    ),
    (
        "Two processes each hold half of a batch: 10 and 30 masked tokens, mean losses 2.0 and "
        "1.0. What is the loss of the whole batch?",
        [
            ("1.25", True, "(2.0·10 + 1.0·30) / 40 = 1.25: a mean over all 40 tokens."),
            ("1.5", False, "That is the mean of the two means, which over-weights the shard "
                           "with fewer tokens."),
            ("3.0", False, "That is the sum of the two means."),
        ],
    ),
    (
        "Which parameters does the course's AdamW *not* decay?",
        [
            ("Biases and LayerNorm weights (1-D tensors)", True,
             "The rule is by dimension: vectors are exempt, matrices and embeddings decay."),
            ("The embedding table", False, "It is a 2-D tensor, so it decays."),
            ("Nothing: every parameter decays", False,
             "That is what the official SpanBERT code does, not this course."),
        ],
    ),
    (
        "Where does most of the paper's compute advantage over ours come from?",
        [
            ("Both a much larger model and ~10⁴× more tokens", True,
             "Compute ≈ 6·N·D grows with both factors (N counting the parameters used per token: "
             "over 600× ours); together about 7·10⁶."),
            ("The SBO head", False, "The SBO head adds a few percent of FLOPs at the targets only."),
            ("Longer blocks only", False,
             "512 vs 128 tokens per block is a factor of 4 at most."),
        ],
    ),
)  # fmt: skip
