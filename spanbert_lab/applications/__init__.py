"""What SpanBERT is for: relation extraction, semantic search, extractive summarisation and
frozen-feature probes, each on the course world, one module per application.

``encoders`` loads the four course encoders by name (``random-tiny``, ``bert-tiny``,
``span-tiny``, ``spanbert-tiny``) and pools their hidden states; :mod:`spanbert_lab.stats` gives the
confidence intervals every reported number carries; ``studies`` runs the multi-seed studies that
:mod:`spanbert_lab.cli.applications` (``python -m spanbert_lab.applications``) stores in
``data/results/applications-*.json``.
"""

from spanbert_lab.applications.encoders import ENCODERS, Encoder, load_encoder

__all__ = ["ENCODERS", "Encoder", "load_encoder"]
