"""spanbert-lab: SpanBERT built from the ground up, as a small tested library behind a course.

The public surface is deliberately short; everything else is reachable by module path
(``spanbert_lab.masking``, ``spanbert_lab.model.pretraining``, ``spanbert_lab.qa`` …).
"""

from spanbert_lab.runtime import get_device, get_profile, setup_notebook

__all__ = ["get_device", "get_profile", "setup_notebook"]
__version__ = "0.1.0"
