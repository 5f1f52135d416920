"""Elementary functions that accept a float, a `Value` or a `Dual`.

``autodiff_lab.math.exp(x)`` is the rule table's ``exp`` primitive: a plain
number gives a plain float (with IEEE answers at the edges: ``log(0.0)`` is
``-inf``, ``exp(1000.0)`` is ``inf``), a `Value` records a node, and a `Dual`
carries its tangent along.
"""

from __future__ import annotations

from .rules import ABS, COS, EXP, LOG, RELU, SIGMOID, SIN, SQRT, TANH, Primitive

__all__ = ["exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "sin", "cos"]


def _public(primitive: Primitive):
    def function(x):
        return primitive(x)

    function.__name__ = function.__qualname__ = primitive.name
    function.__doc__ = f"{primitive.name}(x) for a float, Value or Dual ({primitive.formula})."
    return function


exp = _public(EXP)
log = _public(LOG)
sqrt = _public(SQRT)
abs = _public(ABS)  # noqa: A001 - mirrors the name every learner expects
tanh = _public(TANH)
sigmoid = _public(SIGMOID)
relu = _public(RELU)
sin = _public(SIN)
cos = _public(COS)
