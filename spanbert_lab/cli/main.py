"""``python -m spanbert_lab {pretrain,finetune,data,applications,grade,study} …``: one entry point that
hands the rest of the command line to the command's own ``main``.

The commands' modules are imported only when chosen (each pulls in a different part of the
library; ``--help`` and ``data`` stay fast).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

__all__ = ["COMMANDS", "main"]

# command: (module with a main(argv) function, one-line description)
COMMANDS: dict[str, tuple[str, str]] = {
    "pretrain": ("spanbert_lab.cli.pretrain", "pretrain BERT / SpanBERT variants on the corpus"),
    "finetune": ("spanbert_lab.cli.finetune", "fine-tune on QA, NER or classification"),
    "data": ("spanbert_lab.cli.data", "build the course data; train a tokenizer on your own text"),
    "applications": ("spanbert_lab.cli.applications", "notebook 06's applications"),
    "grade": ("spanbert_lab.tools.grade.__main__", "run and grade handed-in student notebooks"),
    "study": ("spanbert_lab.cli.study", "the controlled pretraining study (study/protocol.toml)"),
}


def usage() -> str:
    """The help text listing the commands."""
    width = max(len(name) for name in COMMANDS)
    lines = [f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items()]
    return (
        "usage: python -m spanbert_lab COMMAND [ARGS …]\n\ncommands:\n"
        + "\n".join(lines)
        + "\n\n`python -m spanbert_lab COMMAND --help` describes a command's arguments."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the command's ``main``; return its exit status (2 on an unknown command)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in COMMANDS:
        print(f"unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    status = module.main(rest)
    return int(status or 0)
