"""How numbers, shapes and arrays are written in drawings, captions and tables: one place,
so every view of a pass shows the same digits."""

from __future__ import annotations

import math
import re
from numbers import Real

import numpy as np

_ADDRESS = re.compile(r"\s*(?:at\s+)?0x[0-9a-fA-F]+")

SMALL = 6  # arrays with at most this many entries are shown with their numbers


def format_number(number) -> str:
    """A number for a picture: 4 significant digits, dual numbers as ``a + bε``."""
    if isinstance(number, bool):
        return str(number)
    if isinstance(number, Real):
        number = float(number)
        if number == 0:
            return "0"  # also for -0.0, which would only distract
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return f"{number:.4g}"
    primal = getattr(number, "primal", None)
    tangent = getattr(number, "tangent", None)
    if primal is not None and tangent is not None:
        return f"{format_number(primal)} + {format_number(tangent)}ε"
    text = _ADDRESS.sub("", repr(number))
    return text if len(text) <= 40 else text[:39] + "…"


def shape_text(shape: tuple) -> str:
    """``(100, 64)`` as ``100×64``; a 0-d array is a ``scalar``."""
    return "×".join(str(n) for n in shape) if shape else "scalar"


def array_text(array) -> str:
    """An array's numbers (4 significant digits) if it is small, else its shape."""
    array = np.asarray(array)
    if array.size > SMALL:
        return shape_text(array.shape)
    if array.ndim == 0:
        return format_number(array.item())

    def nested(part) -> str:
        if part.ndim == 0:
            return format_number(part.item())
        return "[" + ", ".join(nested(row) for row in part) + "]"

    return nested(array)


__all__ = ["SMALL", "array_text", "format_number", "shape_text"]
