"""``python -m spanbert_lab.finetune``: the same as ``python -m spanbert_lab finetune``."""

from spanbert_lab.cli.finetune import main

raise SystemExit(main())
