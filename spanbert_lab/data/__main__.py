"""``python -m spanbert_lab.data build …`` (see :mod:`spanbert_lab.cli.data`)."""

from spanbert_lab.cli.data import main

raise SystemExit(main())
