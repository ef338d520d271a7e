"""The course tokenizer: a cased WordPiece vocabulary trained on the course corpus.

Trained with Hugging Face ``tokenizers`` exactly as BERT's cased tokenizer works (BERT's basic
pre-tokenizer splits on whitespace and punctuation, no lower-casing, no accent stripping, ``##``
marks a continuation piece), then wrapped as a ``transformers`` ``BertTokenizer`` (the fast,
Rust-backed class in transformers 5) and saved with ``save_pretrained``, so that
``AutoTokenizer.from_pretrained("data/tokenizer")`` loads it. Special tokens are BERT's, with
``[PAD]`` = 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import AutoTokenizer, BertTokenizer, PreTrainedTokenizerBase

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
VOCAB_SIZE = 6144
"""Vocabulary size; see ``data/README.md`` for why (small embeddings, rare names split)."""


def train_wordpiece(
    sentences: Iterable[str], vocab_size: int = VOCAB_SIZE, min_frequency: int = 2
) -> dict[str, int]:
    """Train a cased WordPiece vocabulary on ``sentences``; returns ``token -> id``.

    The special tokens take ids 0–4 in :data:`SPECIAL_TOKENS` order. Training is deterministic.
    """
    if vocab_size < 256:
        raise ValueError(f"vocab_size must be at least 256, got {vocab_size}")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        continuing_subword_prefix="##",
        show_progress=False,
    )
    tok.train_from_iterator(sentences, trainer=trainer)
    return tok.get_vocab()


def make_tokenizer(vocab: dict[str, int], model_max_length: int = 512) -> BertTokenizer:
    """Wrap a vocabulary as a cased ``transformers`` BERT tokenizer (fast)."""
    return BertTokenizer(
        vocab=vocab,
        do_lower_case=False,
        strip_accents=False,
        tokenize_chinese_chars=True,
        model_max_length=model_max_length,
    )


def save_tokenizer(vocab: dict[str, int], folder: Path) -> None:
    """Save the tokenizer to ``folder`` (``tokenizer.json``, ``tokenizer_config.json``, ``vocab.txt``)."""  # noqa: E501
    folder.mkdir(parents=True, exist_ok=True)
    tok = make_tokenizer(vocab)
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
    from spanbert_lab.runtime import data_dir

    folder = Path(path) if path is not None else data_dir() / "tokenizer"
    if path is None or Path(path).exists() or str(path).startswith((".", "/", "~")):
        if not (folder / "tokenizer.json").is_file():
            raise FileNotFoundError(
                f"no tokenizer at {folder} (tokenizer.json missing); run `make data` to build it"
            )
        return AutoTokenizer.from_pretrained(str(folder))
    return AutoTokenizer.from_pretrained(str(path))
