"""Earlier parts replaced by the grader's numbers while a later part is measured.

A later part often calls an earlier one (``tangent_trace`` calls
``primal_trace``, ``classifier_gradients`` calls the VJPs). While it is
measured, the earlier function in the student's namespace is swapped for a
table of the grader's numbers for exactly the calls the later part should
make, so one mistake costs points once. A table is not an implementation: it
answers those calls and no others.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..cases import WrongAnswer

_MISSING = object()


@contextmanager
def replaced(namespace: Mapping[str, Any], name: str, value) -> Iterator[None]:
    """``namespace[name]`` is ``value`` inside the block, and what it was after it."""
    before = namespace.get(name, _MISSING)
    namespace[name] = value
    try:
        yield
    finally:
        if before is _MISSING:
            namespace.pop(name, None)
        else:
            namespace[name] = before


@contextmanager
def all_replaced(namespace: Mapping[str, Any], values: Mapping[str, Any]) -> Iterator[None]:
    with _nested(namespace, list(values.items())):
        yield


@contextmanager
def _nested(namespace, items) -> Iterator[None]:
    if not items:
        yield
        return
    (name, value), *rest = items
    with replaced(namespace, name, value), _nested(namespace, rest):
        yield


def answers(
    name: str,
    table: Sequence[tuple[tuple, Any]],
    convert=None,
    calls: str = "",
    wrong: Sequence[tuple[tuple, str]] = (),
):
    """A stand-in for the student's ``name`` that answers the calls in ``table``.

    ``table`` lists (arguments, result) pairs; arguments match when they are
    numerically close (arrays and shapes included). ``convert`` turns the stored
    result into what the real function returns (numpy arrays, say). ``calls``
    names, in words, the calls the part should make, for the hint of any other;
    ``wrong`` lists (arguments, hint) pairs for calls a known mistake makes.
    """
    entries = list(table)

    def stand_in(*args):
        for key, result in entries:
            if _same(args, key):
                result = copy.deepcopy(result)
                return convert(result) if convert else result
        for key, hint in wrong:
            if _same(args, key):
                raise WrongAnswer(
                    f"it called {name} with other arguments than the check expected", hint
                )
        raise WrongAnswer(
            f"it called {name} with other arguments than the check expected",
            f"the check replaced your {name} by its own numbers for the calls this part "
            "should make; use your earlier functions exactly as the prompt describes"
            + (f": {calls}." if calls else "."),
        )

    stand_in.__name__ = name
    return stand_in


def _same(args, key) -> bool:
    """Whether the call's arguments are the table's (numbers and shapes alike, numerically)."""
    if len(args) != len(key):
        return False
    for given, wanted in zip(args, key):
        try:
            left = np.asarray(given, dtype=float)
            right = np.asarray(wanted, dtype=float)
        except (TypeError, ValueError):
            return False
        if left.shape != right.shape or not np.allclose(left, right, rtol=1e-12, atol=1e-12):
            return False
    return True
