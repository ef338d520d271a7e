"""``python -m spanbert_lab.applications``: run the application studies, store JSON results."""

from spanbert_lab.cli.applications import main

raise SystemExit(main())
