"""``python -m spanbert_lab data build --output data [--scale 1.0] [--seed 0]``: rebuild the course data."""

from __future__ import annotations

import argparse
import time

from spanbert_lab.data.tokenizer import VOCAB_SIZE
from spanbert_lab.world.build import DEFAULT_SEED, BuildConfig, build


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m spanbert_lab.data", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
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
    args = parser.parse_args(argv)
    config = BuildConfig(
        seed=args.seed, scale=args.scale, vocab_size=args.vocab_size, tasks=not args.no_tasks
    )
    start = time.perf_counter()
    times = build(args.output, config, log=print)
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    print(f"built {args.output}/ in {time.perf_counter() - start:.1f} s ({stages})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
