"""The course tokenizer: a cased WordPiece vocabulary trained on the course corpus.

Trained on words counted with Hugging Face ``tokenizers``' BERT normaliser and pre-tokeniser
(see :func:`train_wordpiece` for why the merge loop is our own), and built exactly as BERT's cased
tokenizer works (BERT's basic
pre-tokenizer splits on whitespace and punctuation, no lower-casing, no accent stripping, ``##``
marks a continuation piece), then wrapped as a ``transformers`` ``BertTokenizer`` (the fast,
Rust-backed class in transformers 5) and saved with ``save_pretrained``, so that
``AutoTokenizer.from_pretrained("data/tokenizer")`` loads it. Special tokens are BERT's, with
``[PAD]`` = 0.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from tokenizers import normalizers, pre_tokenizers
from transformers import AutoTokenizer, BertTokenizer, PreTrainedTokenizerBase

from spanbert_lab.runtime import data_dir

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
VOCAB_SIZE = 6144
"""Vocabulary size; see ``data/README.md`` for why (small embeddings, rare names split)."""


def count_words(sentences: Iterable[str], lowercase: bool = False) -> Counter[str]:
    """Word frequencies after BERT's normalisation and pre-tokenisation (``tokenizers``).

    Cased by default (no lower-casing, accents kept); ``lowercase=True`` is BERT's uncased
    normalisation (lower-case, accents stripped), as :func:`make_tokenizer` does with it.
    """
    normalizer = normalizers.BertNormalizer(
        clean_text=True,
        handle_chinese_chars=True,
        strip_accents=None if lowercase else False,
        lowercase=lowercase,
    )
    pre = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for sentence in sentences:
        counts.update(w for w, _ in pre.pre_tokenize_str(normalizer.normalize_str(sentence)))
    return counts


def _merge(a: str, b: str) -> str:
    return a + b[2:]  # b is always a continuation piece "##…"


def train_wordpiece(
    sentences: Iterable[str] | Counter[str],
    vocab_size: int = VOCAB_SIZE,
    min_frequency: int = 2,
) -> dict[str, int]:
    """Train a cased WordPiece vocabulary on ``sentences`` (or on word counts from
    :func:`count_words`); returns ``token -> id``.

    The procedure is the one of ``tokenizers``' ``WordPieceTrainer`` (BPE-style: start from
    characters, ``##`` marks a piece that continues a word, repeatedly merge the most frequent
    adjacent pair) with one change: ties are broken by the pair's text, so the result is the same
    on every run. (``WordPieceTrainer`` numbers the ``##`` characters in hash-map order, which
    changes how ties break from one process to the next.) Ids: the special tokens 0–4 in
    :data:`SPECIAL_TOKENS` order, then every character of the corpus in both forms, ``c`` and
    ``##c`` (sorted), then the merges in order.
    """
    counts = sentences if isinstance(sentences, Counter) else count_words(sentences)
    words = sorted(counts)  # fixed order
    if not words:
        raise ValueError("no words to train a vocabulary on (the text is empty)")
    freqs = [counts[w] for w in words]
    # Each word as a list of pieces: first character as is, the others as "##c".
    pieces = [[w[0]] + ["##" + c for c in w[1:]] for w in words]
    # Every character in both forms (word-initial and "##"), so that any word spelled with the
    # corpus's characters tokenizes without [UNK], wherever in the word a character stands.
    chars = {c for w in words for c in w}
    alphabet = sorted(chars | {"##" + c for c in chars})
    check_vocab_size(vocab_size, len(chars))
    vocab: dict[str, int] = {t: i for i, t in enumerate((*SPECIAL_TOKENS, *alphabet))}
    pair_count: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], set[int]] = {}
    for i, ps in enumerate(pieces):
        for pair in itertools.pairwise(ps):
            pair_count[pair] += freqs[i]
            where.setdefault(pair, set()).add(i)
    # Max-heap on (count, pair text); stale entries are skipped when popped.
    heap = [(-c, pair) for pair, c in pair_count.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -neg:
            continue  # stale
        if -neg < min_frequency:
            break
        new = _merge(*pair)
        if new not in vocab:
            vocab[new] = len(vocab)
        changed = _merge_everywhere(pair, new, pieces, freqs, where)
        for p, delta in sorted(changed.items()):
            if delta:
                pair_count[p] += delta
                if pair_count[p] > 0 and p != pair:
                    heapq.heappush(heap, (-pair_count[p], p))
        pair_count.pop(pair, None)
    return vocab


def _merged(ps: list[str], pair: tuple[str, str], new: str) -> list[str]:
    """``ps`` with every adjacent occurrence of ``pair`` replaced by ``new`` (left to right)."""
    j, out = 0, []
    while j < len(ps):
        if j < len(ps) - 1 and (ps[j], ps[j + 1]) == pair:
            out.append(new)
            j += 2
        else:
            out.append(ps[j])
            j += 1
    return out


def _merge_everywhere(
    pair: tuple[str, str],
    new: str,
    pieces: list[list[str]],
    freqs: list[int],
    where: dict[tuple[str, str], set[int]],
) -> Counter[tuple[str, str]]:
    """Apply one merge to every word that holds ``pair`` (``pieces`` and ``where`` change in
    place); return how the count of each adjacent pair changed."""
    changed: Counter[tuple[str, str]] = Counter()
    for i in sorted(where.pop(pair, set())):
        ps, f = pieces[i], freqs[i]
        out = _merged(ps, pair, new)
        for old in itertools.pairwise(ps):
            changed[old] -= f
        for nxt in itertools.pairwise(out):
            changed[nxt] += f
            where.setdefault(nxt, set()).add(i)
        pieces[i] = out
    return changed


def check_vocab_size(vocab_size: int, n_chars: int) -> None:
    """Refuse a vocabulary too small for the alphabet: the special tokens plus every one of the
    corpus's ``n_chars`` characters as a word start and as ``##c`` (else a word is ``[UNK]``).

    Raises:
        ValueError: ``vocab_size`` below ``len(SPECIAL_TOKENS) + 2 * n_chars``.
    """
    needed = len(SPECIAL_TOKENS) + 2 * n_chars
    if vocab_size < needed:
        raise ValueError(
            f"vocab_size={vocab_size} is below the alphabet: the text's {n_chars} distinct "
            f"characters need {needed} entries ({len(SPECIAL_TOKENS)} special tokens + each "
            f"character as a word start and as ##c); use at least {needed}, and more to leave "
            "room for whole words"
        )


def make_tokenizer(
    vocab: dict[str, int], model_max_length: int = 512, lowercase: bool = False
) -> BertTokenizer:
    """Wrap a vocabulary as a ``transformers`` BERT tokenizer (fast): cased, or with
    ``lowercase`` BERT's uncased normalisation (lower-case, accents stripped)."""
    return BertTokenizer(
        vocab=vocab,
        do_lower_case=lowercase,
        strip_accents=None if lowercase else False,
        tokenize_chinese_chars=True,
        model_max_length=model_max_length,
    )


def save_tokenizer(vocab: dict[str, int], folder: Path, lowercase: bool = False) -> None:
    """Save the tokenizer to ``folder`` (``tokenizer.json``, ``tokenizer_config.json``, ``vocab.txt``)."""
    folder.mkdir(parents=True, exist_ok=True)
    tok = make_tokenizer(vocab, lowercase=lowercase)
    tok.save_pretrained(str(folder))
    ordered = sorted(vocab.items(), key=lambda kv: kv[1])
    (folder / "vocab.txt").write_text("".join(t + "\n" for t, _ in ordered), encoding="utf-8")


def load_tokenizer(path: str | Path | None = None) -> PreTrainedTokenizerBase:
    """The course tokenizer (or any tokenizer folder / hub name given as ``path``).

    Args:
        path: a tokenizer folder; ``None`` = ``data_dir() / "tokenizer"``. A string that is not an
            existing folder is passed to ``AutoTokenizer`` as a hub name (needs the network).

    Returns:
        A fast ``transformers`` tokenizer; for the course folder a cased ``BertTokenizer`` with
        ``[PAD]`` = 0, ``[UNK]`` = 1, ``[CLS]`` = 2, ``[SEP]`` = 3, ``[MASK]`` = 4.

    Raises:
        FileNotFoundError: the course folder (or a local-looking path) does not exist.
    """

    folder = Path(path) if path is not None else data_dir() / "tokenizer"
    if path is None or Path(path).exists() or str(path).startswith((".", "/", "~")):
        if not (folder / "tokenizer.json").is_file():
            raise FileNotFoundError(
                f"no tokenizer at {folder} (tokenizer.json missing); run `make data` to build it"
            )
        return AutoTokenizer.from_pretrained(str(folder))
    return AutoTokenizer.from_pretrained(str(path))
