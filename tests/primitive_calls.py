"""Call a primitive by name the way a learner would: through its operator or method.

Shared by the rule tests and the PyTorch comparison, so both exercise the same
code path on Values, Duals and tensors alike.
"""

import operator

_BINARY_OPERATORS = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
    "powc": operator.pow,
}


def apply_unary(name: str, x):
    """The primitive through the operator or method a learner would write."""
    if name == "neg":
        return -x
    if name == "abs":
        return abs(x)
    return getattr(x, name)()


def apply_binary(name: str, a, b):
    """The primitive through its Python operator."""
    return _BINARY_OPERATORS[name](a, b)
