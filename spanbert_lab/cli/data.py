"""``python -m spanbert_lab data {build,tokenizer,sample-corpus}``: the course data and your own text.

Examples::

    python -m spanbert_lab data build --output data [--scale 1.0] [--seed 0]
    python -m spanbert_lab data tokenizer --corpus my_text/ --vocab-size 8000 --output my_tok [--lowercase]
    python -m spanbert_lab data sample-corpus --size 1MB --output /tmp/sample.txt

``tokenizer`` trains a WordPiece vocabulary on a ``.txt`` file or folder (one sentence per line
with a blank line between documents, as the official SpanBERT code reads it, or plain paragraphs:
see ``--corpus-format``) or on JSONL, saves it where ``AutoTokenizer.from_pretrained(DIR)`` opens
it, and prints its coverage of the corpus. ``sample-corpus`` writes text generated from the
course's world, for trying the commands when you have no text of your own at hand.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from spanbert_lab.data.corpus import TEXT_FORMATS
from spanbert_lab.data.own_tokenizer import TokenizerReport, train_tokenizer
from spanbert_lab.data.tokenizer import VOCAB_SIZE
from spanbert_lab.world.build import DEFAULT_SEED, BuildConfig, build, make_world
from spanbert_lab.world.corpus import SAMPLE_FORMATS, sample_corpus

_UNITS = {"": 1, "b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3}
_UNITS |= {"kib": 1024, "mib": 1024**2, "gib": 1024**3}


def parse_size(text: str) -> int:
    """``"1MB"`` → 1,000,000 bytes (``KB MB GB`` are powers of 1000, ``KiB MiB GiB`` of 1024)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if m is None or m.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (examples: 500KB, 1MB, 2MiB)")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def _add_build(sub: argparse._SubParsersAction) -> None:
    b = sub.add_parser("build", help="regenerate the course data folder byte-identically")
    b.add_argument("--output", default="data", help="data folder to write (default: data)")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED, help="master seed (default: 0)")
    b.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="corpus size multiplier: 1.0 = the shipped corpus, 4 = four times as many documents",
    )
    b.add_argument("--vocab-size", type=int, default=VOCAB_SIZE, help="WordPiece vocabulary size")
    b.add_argument(
        "--no-tasks", action="store_true", help="corpus and tokenizer only (no task sets, no card)"
    )


def _add_tokenizer(sub: argparse._SubParsersAction) -> None:
    t = sub.add_parser("tokenizer", help="train a WordPiece tokenizer on your own text")
    t.add_argument("--corpus", required=True, type=Path, help=".txt / .jsonl file or folder")
    t.add_argument("--vocab-size", required=True, type=int, help="largest vocabulary size")
    t.add_argument("--output", required=True, type=Path, help="tokenizer folder to write")
    t.add_argument(
        "--lowercase", action="store_true", help="uncased (lower-case, strip accents), as BERT"
    )
    t.add_argument(
        "--corpus-format",
        choices=TEXT_FORMATS,
        default="auto",
        help="lines: one sentence per line, blank line between documents; paragraphs: plain "
        "prose, cut into sentences after . ! ? before a capital, one document per paragraph; "
        "auto (default): lines when 80%% of the lines are one sentence each, else paragraphs",
    )
    t.add_argument("--text-field", default="text", help="the JSONL field with the text")
    t.add_argument(
        "--min-frequency", type=int, default=2, help="merge only pairs seen this often (default 2)"
    )


def _add_sample(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("sample-corpus", help="write generated text to try the own-text commands")
    s.add_argument("--size", required=True, type=parse_size, help="at least this much: 1MB, 500KB")
    s.add_argument("--output", required=True, type=Path, help="the file to write")
    s.add_argument("--format", choices=SAMPLE_FORMATS, default="lines", help="(default: lines)")
    s.add_argument("--seed", type=int, default=0, help="draws of the documents (default: 0)")


def build_parser() -> argparse.ArgumentParser:
    """The ``data`` command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m spanbert_lab data",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_build(sub)
    _add_tokenizer(sub)
    _add_sample(sub)
    return parser


def _print_report(r: TokenizerReport) -> None:
    c, fp = r.coverage, r.corpus
    print(
        f"corpus {fp.path}: {fp.files} file(s), {fp.bytes:,} bytes, sha256 {fp.sha256[:16]}…; "
        f"{r.documents:,} documents, {r.sentences:,} sentences"
    )
    print(
        f"vocabulary: {r.vocab_size:,} tokens ({'uncased' if r.lowercase else 'cased'}; "
        f"alphabet {r.alphabet} characters)"
    )
    print(
        f"coverage on the corpus: {c.words:,} words -> {c.pieces:,} pieces, "
        f"{c.pieces_per_word:.3f} pieces per word, [UNK] rate {c.unk_rate:.4%} ({c.unk:,} pieces)"
    )
    print(f"saved to {r.folder} (AutoTokenizer.from_pretrained({r.folder!r})) in {r.seconds:.1f} s")


def _run(args: argparse.Namespace) -> int:
    if args.command == "build":
        config = BuildConfig(
            seed=args.seed, scale=args.scale, vocab_size=args.vocab_size, tasks=not args.no_tasks
        )
        start = time.perf_counter()
        times = build(args.output, config, log=print)
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
        print(f"built {args.output}/ in {time.perf_counter() - start:.1f} s ({stages})")
    elif args.command == "tokenizer":
        report = train_tokenizer(
            args.corpus,
            args.output,
            args.vocab_size,
            lowercase=args.lowercase,
            text_format=args.corpus_format,
            text_field=args.text_field,
            min_frequency=args.min_frequency,
        )
        _print_report(report)
    else:
        text = sample_corpus(make_world(), args.size, seed=args.seed, text_format=args.format)
        data = text.encode("utf-8")
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_bytes(data)
        lines = text.count("\n")
        print(f"wrote {args.output}: {len(data):,} bytes, {lines:,} lines ({args.format})")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit status (1 on bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
