"""Elementary functions that accept a float, a `Value` or a `Dual`.

``autodiff_lab.math.exp(x)`` is the rule table's ``exp`` primitive: a plain
number gives a plain float (with IEEE answers at the edges: ``log(0.0)`` is
``-inf``, ``exp(1000.0)`` is ``inf``), a `Value` records a node, and a `Dual`
carries its tangent along. There is one function for every primitive of the
table written as a function (`rules.FUNCTIONS`): exp, log, sqrt, abs, tanh,
sigmoid, relu, sin, cos, tan, sinh, cosh, arcsin, arccos, arctan, arcsinh,
arccosh, arctanh, log2, log10, log1p, expm1, exp2, sign, maximum, minimum and
arctan2, named as in numpy.
"""

from __future__ import annotations

from .rules import FUNCTIONS, Primitive


def _public(primitive: Primitive):
    def function(*args):
        return primitive(*args)

    function.__name__ = function.__qualname__ = primitive.name
    arguments = "x" if primitive.arity == 1 else "a, b"
    function.__doc__ = (
        f"{primitive.name}({arguments}) for floats, Values or Duals ({primitive.formula})."
    )
    return function


globals().update({name: _public(primitive) for name, primitive in FUNCTIONS.items()})
__all__ = list(FUNCTIONS)
