"""Operations as objects, for chaining the chain rule by hand.

An operation remembers what it saw in ``forward`` and, in ``backward``,
multiplies the gradient arriving from above by its local partial derivative
for each input. Wiring several of them together by hand is exactly what
`Value.backward` later does automatically:

>>> add, mul = Add(), Multiply()
>>> e = add.forward(-1.8, 0.1)         # e = b + c
>>> d = mul.forward(2.2, e)            # d = a * e
>>> grad_a, grad_e = mul.backward(1.0)
>>> grad_b, grad_c = add.backward(grad_e)
>>> round(grad_a, 10), grad_b, grad_c
(-1.7, 2.2, 2.2)

Each class is a thin view of one entry of the rule table
(`autodiff_lab.rules`): the value comes from the primitive and the local
partials from ``primitive.partials``, so no derivative is written here.
"""

from __future__ import annotations

from .rules import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LOG,
    MUL,
    NEG,
    POW,
    PRIMITIVES,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    Primitive,
)

__all__ = [
    "Operation",
    "Add",
    "Subtract",
    "Multiply",
    "Divide",
    "Power",
    "Negate",
    "Exp",
    "Log",
    "Sqrt",
    "Abs",
    "Tanh",
    "Sigmoid",
    "ReLU",
    "Sin",
    "Cos",
    "OPERATIONS",
]

_INPUT_NAMES = ("a", "b")


class Operation:
    """One primitive with a ``forward`` that remembers and a ``backward`` that uses it.

    Subclasses only name their primitive; everything else is read from it.
    """

    primitive: Primitive

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__doc__ is None:
            names = ", ".join(_INPUT_NAMES[: cls.primitive.arity])
            cls.__doc__ = (
                f"The {cls.primitive.name} operation of {names}; local partials: "
                f"{cls.primitive.formula}."
            )

    def __init__(self) -> None:
        self.inputs: tuple | None = None
        self.output = None
        self.local_partials: tuple | None = None

    @property
    def arity(self) -> int:
        """How many inputs ``forward`` takes."""
        return self.primitive.arity

    def forward(self, *inputs):
        """Compute the output and remember the inputs and the local partials."""
        if len(inputs) != self.arity:
            names = ", ".join(_INPUT_NAMES[: self.arity])
            raise TypeError(
                f"{type(self).__name__}.forward() takes {self.arity} input(s) ({names}), "
                f"got {len(inputs)}: call it as forward({names})"
            )
        output = self.primitive(*inputs)
        self.inputs = inputs
        self.output = output
        self.local_partials = tuple(self.primitive.partials(*inputs, output))
        return output

    def backward(self, incoming_grad):
        """Gradient for each input: ``incoming_grad × local partial``.

        A tuple ``(grad_a, grad_b)`` for a binary operation, one number for a
        unary one.
        """
        if self.local_partials is None:
            names = ", ".join(_INPUT_NAMES[: self.arity])
            raise RuntimeError(
                f"{type(self).__name__}.backward() was called before forward(): there are "
                f"no inputs to differentiate at yet. Call forward({names}) first."
            )
        grads = tuple(incoming_grad * partial for partial in self.local_partials)
        return grads if self.arity > 1 else grads[0]

    def __repr__(self) -> str:
        name = type(self).__name__
        if self.inputs is None:
            return f"{name}()"
        inputs = ", ".join(_number(value) for value in self.inputs)
        partials = ", ".join(_number(value) for value in self.local_partials)
        return f"{name}(inputs=({inputs}), output={_number(self.output)}, partials=({partials}))"


def _number(value) -> str:
    """Six significant digits for floats; other things as they print themselves."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


class Add(Operation):
    primitive = ADD


class Subtract(Operation):
    primitive = SUB


class Multiply(Operation):
    primitive = MUL


class Divide(Operation):
    primitive = DIV


class Power(Operation):
    primitive = POW


class Negate(Operation):
    primitive = NEG


class Exp(Operation):
    primitive = EXP


class Log(Operation):
    primitive = LOG


class Sqrt(Operation):
    primitive = SQRT


class Abs(Operation):
    primitive = ABS


class Tanh(Operation):
    primitive = TANH


class Sigmoid(Operation):
    primitive = SIGMOID


class ReLU(Operation):
    primitive = RELU


class Sin(Operation):
    primitive = SIN


class Cos(Operation):
    primitive = COS


#: Every operation class, by its primitive's name (``"mul"`` → `Multiply`).
OPERATIONS: dict[str, type[Operation]] = {
    operation.primitive.name: operation
    for operation in (
        Add,
        Subtract,
        Multiply,
        Divide,
        Power,
        Negate,
        Exp,
        Log,
        Sqrt,
        Abs,
        Tanh,
        Sigmoid,
        ReLU,
        Sin,
        Cos,
    )
}
"""The operation class for each primitive in `rules.PRIMITIVES`, by name."""

# Every other primitive of the table gets its class by name: Tan, Arcsin, Log2, Mod...
for _name, _primitive in PRIMITIVES.items():
    if _name not in OPERATIONS:
        _class = type(_name.capitalize(), (Operation,), {"primitive": _primitive})
        _class.__module__ = __name__
        OPERATIONS[_name] = globals()[_class.__name__] = _class
        __all__.append(_class.__name__)
