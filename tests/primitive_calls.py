"""Call a primitive by name the way a learner would: through its operator or method.

Shared by the rule tests and the PyTorch comparison, so both exercise the same
code path on Values, Duals and tensors alike.
"""

import operator

from autodiff_lab import math as adl_math

_BINARY_OPERATORS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "powc": operator.pow,
    "mod": operator.mod,
}


def apply_unary(name: str, x):
    """The primitive through the operator or method a learner would write."""
    if name == "neg":
        return -x
    if name == "abs":
        return abs(x)
    return getattr(x, name)()


def apply_binary(name: str, a, b):
    """The primitive through its Python operator, or its method (``a.arctan2(b)``)."""
    if name in _BINARY_OPERATORS:
        return _BINARY_OPERATORS[name](a, b)
    if hasattr(a, name):
        return getattr(a, name)(b)
    return getattr(adl_math, name)(a, b)  # a plain number first
