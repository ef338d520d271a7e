"""Command-line defaults read from the library's config dataclasses, so each has one source."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["default_of"]


def default_of(cls: type, name: str) -> Any:
    """The default of field ``name`` of dataclass ``cls`` (``TrainConfig``, ``FinetuneConfig`` …).

    Raises:
        KeyError: ``cls`` has no such field.
        TypeError: the field has no plain default (none, or a ``default_factory``).
    """
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is dataclasses.MISSING:
                raise TypeError(f"{cls.__name__}.{name} has no plain default")
            return f.default
    raise KeyError(f"{cls.__name__} has no field {name!r}")
