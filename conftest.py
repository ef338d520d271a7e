"""pytest settings for the strict nbval run over ``notebooks/*.ipynb`` (see the Makefile's NBVAL).

nbval's own options are set on purpose in the Makefile: ``--nbval-cell-timeout`` (a cell that
runs five times over the course's one-minute budget is a hang, not a slow machine) and
``--nbval-kernel-startup-timeout`` (a kernel importing torch on a busy 2-core machine can take
longer than nbval's default allows).

One more wait has no option: after a cell's reply, nbval reads the cell's outputs from the
kernel's IOPub channel and gives up when no message arrives for 5 seconds. A message that was
*dropped* never arrives, whatever the wait (see ``spanbert_lab/training/progress.py``: never flood IOPub);
a message that is merely *late*, because the machine is busy, should not fail the run. So the
wait is raised here to 30 seconds; it is only spent when something is already wrong.
"""

from __future__ import annotations

import pytest

NBVAL_OUTPUT_TIMEOUT_S = 30


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if hasattr(item, "output_timeout"):  # nbval's NotebookCell items
            item.output_timeout = NBVAL_OUTPUT_TIMEOUT_S
