"""Write the model card (README.md) of every fine-tuned model the study has shipped.

``python -m spanbert_lab study report`` writes the cards when it ships the models; this script
rewrites them for folders already in ``data/checkpoints/`` (each ``<task>-<encoder>-seed<N>``
folder with a ``study.json``), reading every number from the stored result files::

    .venv/bin/python scripts/write_model_cards.py [study/protocol.toml]
"""

from __future__ import annotations

import sys
from pathlib import Path

from spanbert_lab.tools.study.cards import write_model_card
from spanbert_lab.tools.study.protocol import load_protocol


def main(argv: list[str]) -> int:
    protocol = load_protocol(argv[0] if argv else "study/protocol.toml")
    folders = sorted(p.parent for p in protocol.checkpoints_dir.glob("*/study.json"))
    for folder in folders:
        print(write_model_card(protocol, Path(folder)))
    return 0 if folders else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
