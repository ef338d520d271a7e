"""Fine-tuning tasks, one file each, found by name.

Every module or sub-package of this package except ``base`` and the scorers (``ner_metric``)
declares ``TASK = TaskSpec(...)`` (model class, default length, loader, encoder, reader of
predictions, scorer); it is registered on import. QA, the largest task, is the package
:mod:`spanbert_lab.tasks.qa` (features, decoding, metric, spec).
**Adding a task is one new file here**, or :func:`register_task` from your own code.
"""

from __future__ import annotations

import importlib
import pkgutil

from spanbert_lab.tasks.base import FinetuneConfig, Report, TaskSpec

__all__ = [
    "FinetuneConfig",
    "Report",
    "TaskSpec",
    "get_task",
    "register_task",
    "task_names",
    "unregister_task",
]

_REGISTRY: dict[str, TaskSpec] = {}
_NOT_TASKS = {"base", "ner_metric"}


def register_task(spec: TaskSpec, *, replace: bool = False) -> TaskSpec:
    """Make ``spec`` available as ``finetune(spec.name, …)``; returns it.

    Raises:
        ValueError: a task of that name exists and ``replace`` is false.
    """
    if spec.name in _REGISTRY and not replace and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"a fine-tuning task named {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def unregister_task(name: str) -> None:
    """Forget a task registered with :func:`register_task` (no error when unknown)."""
    _REGISTRY.pop(name, None)


def get_task(name: str) -> TaskSpec:
    """The task called ``name``.

    Raises:
        ValueError: no such task (the message lists the known ones).
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown task {name!r}; choose one of {task_names()}")
    return _REGISTRY[name]


def task_names() -> tuple[str, ...]:
    """The registered tasks, in registration order (the package's own first)."""
    return tuple(_REGISTRY)


def _discover() -> None:
    # Imported by name so that a new file needs no line here.
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name not in _NOT_TASKS:
            module = importlib.import_module(f"{__name__}.{info.name}")
            register_task(module.TASK)


_discover()
