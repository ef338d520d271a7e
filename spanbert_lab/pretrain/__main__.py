"""``python -m spanbert_lab.pretrain``: the same as ``python -m spanbert_lab pretrain``."""

from spanbert_lab.cli.pretrain import main

raise SystemExit(main())
