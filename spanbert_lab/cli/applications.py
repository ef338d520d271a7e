"""Command line for the application studies (notebook 06 reads what this writes).

Example (what produced the shipped results)::

    python -m spanbert_lab.applications all --seeds 0 1 2 3 4 --threads 1

writes ``data/results/applications-{relations,search,summarise,probe}.json``, each holding the
exact command, the library versions and the machine beside the numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
import transformers

from spanbert_lab.applications import studies
from spanbert_lab.applications.encoders import ENCODERS
from spanbert_lab.runtime import data_dir

STUDIES = ("relations", "search", "summarise", "probe")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spanbert_lab.applications",
        description="Run the application studies of notebook 06.",
    )
    p.add_argument("study", choices=[*STUDIES, "all"])
    p.add_argument(
        "--encoders",
        nargs="+",
        default=list(ENCODERS),
        help="encoder names (random-tiny, course checkpoint names, or folders)",
    )
    p.add_argument(
        "--seeds",
        nargs="+",
        type=int,
        default=[0, 1, 2, 3, 4],
        help="fine-tuning seeds (relation extraction)",
    )
    p.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="where to write applications-<study>.json (default data/results)",
    )
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    p.add_argument(
        "--lr-grid",
        nargs="+",
        type=float,
        default=None,
        help="relations: pick each encoder's learning rate on a dev set from this grid",
    )
    p.add_argument(
        "--lr", type=float, default=None, help="relations: one learning rate for every encoder"
    )
    p.add_argument(
        "--train-subset",
        type=int,
        default=None,
        help="relations: train on the first N examples of each label only (same test set)",
    )
    p.add_argument(
        "--subset-draw",
        choices=("first", "random"),
        default="first",
        help="relations, with --train-subset: the first N per label, or a random draw per seed",
    )
    p.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="relations: updates per run (instead of the epochs), e.g. to keep the full study's",
    )
    p.add_argument(
        "--tag", default="", help="suffix of the result file: applications-<study>-<tag>.json"
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    out_dir = args.output_dir or data_dir() / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    command = "python -m spanbert_lab.applications " + " ".join(
        sys.argv[1:] if argv is None else argv
    )

    for study in STUDIES if args.study == "all" else (args.study,):
        start = time.perf_counter()
        if study == "relations":
            settings = dict(studies.RE_SETTINGS)
            if args.lr_grid:
                settings["lr_grid"] = args.lr_grid
            if args.lr is not None:
                settings["learning_rate"] = args.lr
            if args.train_subset is not None:
                settings["train_subset_per_class"] = args.train_subset
                if args.subset_draw == "random":
                    settings["train_subset_draw"] = "random"
            if args.max_steps is not None:
                settings["max_steps"] = args.max_steps
            result = studies.relation_study(args.encoders, args.seeds, settings, log=print)
        elif study == "search":
            result = studies.search_study(args.encoders)
        elif study == "summarise":
            result = studies.summary_study(args.encoders)
        else:
            result = studies.probe_study(args.encoders)
        record = {
            "study": study,
            "command": command,
            "encoders": args.encoders,
            "seconds": round(time.perf_counter() - start, 1),
            "machine": f"{platform.machine()}, {torch.get_num_threads()} torch threads, "
            f"Python {platform.python_version()}, torch {torch.__version__}, "
            f"transformers {transformers.__version__}",
            **result,
        }
        path = out_dir / f"applications-{study}{'-' + args.tag if args.tag else ''}.json"
        path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{study}: {record['seconds']} s -> {path}")
    return 0
