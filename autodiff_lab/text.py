"""How numbers, names, shapes and arrays are written in drawings, captions and tables:
one place, so every view of a pass shows the same digits and the same names."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from numbers import Real

import numpy as np

from . import core

_ADDRESS = re.compile(r"\s*(?:at\s+)?0x[0-9a-fA-F]+")

SMALL = 6  # arrays with at most this many entries are shown with their numbers


MINUS = "-"  # one minus sign everywhere, in numbers and formulas, as Python prints them
DOT_ABOVE = "\u0307"  # combining dot: v̇ is the tangent of v


def format_number(number, point: bool = False) -> str:
    """A number in 4 significant digits, dual numbers as ``a + bε``.

    Pictures write ``2`` and ``0``; captions and tables (``point=True``) write a
    float as Python does, ``2.0`` and ``-1.7``. Minus zero is written as zero.
    """
    if isinstance(number, bool):
        return str(number)
    if isinstance(number, Real):
        number = float(number)
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        if number == 0:
            return "0.0" if point else "0"  # also for -0.0, which would only distract
        text = f"{number:.4g}"
        if point and not any(mark in text for mark in ".e"):
            text += ".0"
        return text
    primal = getattr(number, "primal", None)
    tangent = getattr(number, "tangent", None)
    if primal is not None and tangent is not None:
        return f"{format_number(primal, point)} + {format_number(tangent, point)}ε"
    text = _ADDRESS.sub("", repr(number))
    return text if len(text) <= 40 else text[:39] + "…"


def node_names(order: Iterable) -> dict:
    """Every scalar node's name, as drawings, steppers and captions show it.

    A node's label if it has one; a constant by its number; else x1, x2, … for
    inputs and v1, v2, … for operations, counted in ``order`` (a topological
    order, as `trace` numbers its operations). Given one output node instead, the
    names of every node it was computed from.
    """
    if core.is_node(order):
        order = core.topological_order([order])
    names = {}
    counts = {"x": 0, "v": 0}
    for node in order:
        if node.label is not None:
            names[node] = node.label
        elif node.is_constant:
            names[node] = format_number(node.data)
        else:
            letter = "x" if node.is_leaf else "v"
            counts[letter] += 1
            names[node] = f"{letter}{counts[letter]}"
    return names


def tangent_name(name: str) -> str:
    """The tangent of a named node: a dot over its letter (ȧ, ẋ1, v̇3)."""
    if re.fullmatch(r"[A-Za-z][0-9_]*", name):
        return name[0] + DOT_ABOVE + name[1:]
    return f"({name}){DOT_ABOVE}"


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


__all__ = [
    "DOT_ABOVE",
    "MINUS",
    "SMALL",
    "array_text",
    "format_number",
    "node_names",
    "shape_text",
    "tangent_name",
]
