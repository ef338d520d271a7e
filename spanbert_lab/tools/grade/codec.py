"""The data that crosses between the grader and the learner's kernel, as JSON.

Inputs go to the kernel and outputs come back as plain JSON with tagged values — tensors (dtype,
shape and raw bytes in base64), numpy arrays, ``torch.Generator`` states, tuples, sets, dicts,
non-finite floats, ``...``. Decoding builds only these types and never runs code (no pickle), so
an output the learner's kernel sends cannot execute anything in the grader's process.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np
import torch

_TORCH_DTYPES = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (
        torch.float64,
        torch.float32,
        torch.float16,
        torch.bfloat16,
        torch.int64,
        torch.int32,
        torch.int16,
        torch.int8,
        torch.uint8,
        torch.bool,
    )
}
_NUMPY_KINDS = "biuf"  # bool, int, unsigned, float: nothing with objects in it


class Unsupported(TypeError):
    """A value of a type that does not cross (a module, a function, an object)."""


def encode(value: Any) -> Any:  # noqa: C901 (one branch per type)
    """``value`` as JSON-compatible data; :class:`Unsupported` for anything else."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        if str(t.dtype).removeprefix("torch.") not in _TORCH_DTYPES:
            raise Unsupported(f"a tensor of dtype {t.dtype}")
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        return {
            "__tensor__": str(t.dtype).removeprefix("torch."),
            "shape": list(t.shape),
            "data": base64.b64encode(raw).decode("ascii"),
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _NUMPY_KINDS:
            raise Unsupported(f"a numpy array of dtype {value.dtype}")
        arr = np.ascontiguousarray(value)
        return {
            "__ndarray__": arr.dtype.str,
            "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode("ascii"),
        }
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, torch.Generator):
        return {"__generator__": encode(value.get_state())}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, set | frozenset):
        return {"__set__": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in value.items()]}
    raise Unsupported(f"a value of type {type(value).__name__}")


def decode(data: Any) -> Any:  # noqa: C901 (one branch per tag)
    """Inverse of :func:`encode`; raises :class:`ValueError` on anything malformed."""
    if data is None or isinstance(data, bool | int | float | str):
        return data
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict) or len(data) == 0:
        raise ValueError(f"malformed value: {str(data)[:80]}")
    if "__float__" in data:
        return float(data["__float__"])
    if "__ellipsis__" in data:
        return Ellipsis
    if "__tensor__" in data:
        dtype = _TORCH_DTYPES[data["__tensor__"]]
        shape = [int(n) for n in data["shape"]]
        raw = bytearray(base64.b64decode(data["data"]))
        flat = (
            torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        )
        return flat.view(dtype).reshape(shape).clone()
    if "__ndarray__" in data:
        dtype = np.dtype(data["__ndarray__"])
        if dtype.kind not in _NUMPY_KINDS:
            raise ValueError(f"numpy dtype {dtype} does not cross")
        raw = base64.b64decode(data["data"])
        return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in data["shape"]]).copy()
    if "__generator__" in data:
        generator = torch.Generator()
        generator.set_state(decode(data["__generator__"]))
        return generator
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__set__" in data:
        return {decode(v) for v in data["__set__"]}
    if "__dict__" in data:
        return {decode(k): decode(v) for k, v in data["__dict__"]}
    raise ValueError(f"unknown tag in {sorted(data)[:3]}")
