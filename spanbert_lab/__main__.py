"""``python -m spanbert_lab COMMAND …`` (see :mod:`spanbert_lab.cli.main`)."""

from spanbert_lab.cli.main import main

raise SystemExit(main())
