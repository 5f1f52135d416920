"""Call a primitive by name the way a learner would: through its operator or method.

Shared by the rule tests, the PyTorch comparisons and the finite-difference checks
of the array engine, so all exercise the same code path on Values, Duals, arrays and
tensors alike; with the inputs each primitive is tested on (its domain).
"""

import operator

from hypothesis import strategies as st

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


def finite_floats(low: float, high: float):
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _away_from_zero(low: float, high: float):
    return st.one_of(finite_floats(low, high), finite_floats(-high, -low))


UNARY_DOMAINS = {
    "neg": finite_floats(-1e3, 1e3),
    "exp": finite_floats(-30.0, 30.0),
    "log": finite_floats(1e-3, 1e3),
    "sqrt": finite_floats(1e-3, 1e3),
    "abs": _away_from_zero(1e-6, 1e3),
    "tanh": finite_floats(-20.0, 20.0),
    "sigmoid": finite_floats(-40.0, 40.0),
    "relu": _away_from_zero(1e-6, 1e3),
    "sin": finite_floats(-20.0, 20.0),
    "cos": finite_floats(-20.0, 20.0),
    "tan": finite_floats(-1.5, 1.5),
    "sinh": finite_floats(-20.0, 20.0),
    "cosh": finite_floats(-20.0, 20.0),
    "arcsin": finite_floats(-0.99, 0.99),
    "arccos": finite_floats(-0.99, 0.99),
    "arctan": finite_floats(-1e3, 1e3),
    "arcsinh": finite_floats(-1e3, 1e3),
    "arccosh": finite_floats(1.01, 1e3),
    "arctanh": finite_floats(-0.99, 0.99),
    "log2": finite_floats(1e-3, 1e3),
    "log10": finite_floats(1e-3, 1e3),
    "log1p": finite_floats(-0.99, 1e3),
    "expm1": finite_floats(-30.0, 30.0),
    "exp2": finite_floats(-30.0, 30.0),
    "sign": _away_from_zero(1e-6, 1e3),
}

BINARY_DOMAINS = {
    "add": (finite_floats(-1e3, 1e3), finite_floats(-1e3, 1e3)),
    "sub": (finite_floats(-1e3, 1e3), finite_floats(-1e3, 1e3)),
    "mul": (finite_floats(-1e3, 1e3), finite_floats(-1e3, 1e3)),
    "div": (finite_floats(-1e3, 1e3), _away_from_zero(1e-2, 1e3)),
    "pow": (finite_floats(1e-2, 10.0), finite_floats(-4.0, 4.0)),
    "mod": (finite_floats(-1e3, 1e3), _away_from_zero(1e-2, 1e3)),
    "maximum": (finite_floats(-1e3, 1e3), finite_floats(-1e3, 1e3)),
    "minimum": (finite_floats(-1e3, 1e3), finite_floats(-1e3, 1e3)),
    "arctan2": (finite_floats(-1e3, 1e3), _away_from_zero(1e-2, 1e3)),
}
