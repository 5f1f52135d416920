"""Finite differences, the derivative you can get without any of this machinery.

They need no rules at all, only evaluations of f, and pay for it twice: the
step h trades truncation error (h too big) against round-off error (h too
small), and a gradient costs 2n evaluations for n inputs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .functional import as_point, grad

_EPS = sys.float_info.epsilon
_METHODS = ("central", "forward", "backward")


def default_step(x: float, method: str = "central") -> float:
    """The usual best h: ∛ε for central differences, √ε for one-sided ones, scaled by |x|."""
    scale = max(1.0, abs(x))
    return (_EPS ** (1 / 3) if method == "central" else _EPS**0.5) * scale


def _difference(f: Callable, x: float, h: float, method: str) -> float:
    if method == "central":
        return (f(x + h) - f(x - h)) / (2 * h)
    if method == "forward":
        return (f(x + h) - f(x)) / h
    return (f(x) - f(x - h)) / h


def numerical_derivative(f: Callable, x, h: float | None = None, method: str = "central"):
    """Estimate f'(x) (or the gradient, for an array x) by finite differences.

    ``method`` is "central" (error O(h²), 2 evaluations per input), "forward"
    or "backward" (error O(h), 1 extra evaluation per input each).
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if h is not None and not h > 0:
        raise ValueError(f"the step h must be a positive number, got {h!r}")
    point = as_point(x)
    if isinstance(point, float):
        step = h if h is not None else default_step(point, method)
        return float(_difference(lambda t: float(f(t)), point, step, method))
    gradient = np.empty(point.shape)
    for index, number in np.ndenumerate(point):

        def along(t, index=index):
            moved = point.copy()
            moved[index] = t
            return float(f(moved))

        step = h if h is not None else default_step(number, method)
        gradient[index] = _difference(along, number, step, method)
    return gradient


@dataclass(frozen=True)
class GradCheck:
    """How far reverse mode and central differences disagree."""

    max_abs_error: float
    max_rel_error: float
    analytic: tuple
    numeric: tuple
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.max_rel_error <= self.tolerance

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"GradCheck({verdict}: largest error {self.max_abs_error:.3g} absolute, "
            f"{self.max_rel_error:.3g} relative; tolerance {self.tolerance:g})"
        )


def _largest(errors: list) -> float:
    """The largest error over every input; nan if any is nan (so the check fails: Python's
    max() would skip a nan that comes after a number)."""
    every = np.concatenate([np.ravel(error) for error in errors])
    return float(np.max(every)) if every.size else 0.0


def check_grad(f: Callable, *xs, tolerance: float = 1e-6) -> GradCheck:
    """Compare reverse-mode gradients of ``f(*xs)`` with central differences.

    Reports the largest absolute and relative error over every input; the
    relative error divides by ``max(1, |numeric|)`` so tiny gradients do not blow up.
    """
    if not xs:
        raise TypeError("check_grad(f, *xs) needs at least one point to check at")
    points = [as_point(x, f"argument {i}") for i, x in enumerate(xs)]
    analytic = grad(f, argnums=tuple(range(len(points))))(*points)
    numeric = []
    for i, point in enumerate(points):

        def partial_function(t, i=i):
            args = list(points)
            args[i] = t
            return float(f(*args))

        numeric.append(numerical_derivative(partial_function, point))
    abs_errors = [np.abs(np.asarray(a) - np.asarray(n)) for a, n in zip(analytic, numeric)]
    rel_errors = [e / np.maximum(1.0, np.abs(np.asarray(n))) for e, n in zip(abs_errors, numeric)]
    return GradCheck(
        max_abs_error=_largest(abs_errors),
        max_rel_error=_largest(rel_errors),
        analytic=tuple(analytic),
        numeric=tuple(numeric),
        tolerance=tolerance,
    )
