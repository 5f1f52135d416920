"""Forward mode: dual numbers a + b·ε with ε² = 0, pushed through the rule table.

A `Dual` carries a primal value and a tangent (the derivative along one
chosen input direction). Applying a primitive to it gives
``Dual(f(a), f'(a) · b)``: the value from the table's float implementation and
the tangent from its local partials.

Nested derivatives need tags. ``derivative`` gives every call a fresh tag, and
when duals with different tags meet, the newest tag is the outer layer and
the others are constants to it, so d/dx [x · d/dy (x + y)] at x = 1 is 1, as
it should be, not 2 (ForwardDiff.jl's fix for "perturbation confusion").
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

import numpy as np

from . import core, rules
from .reverse import MODES, AnomalyError, _is_finite, _short
from .rules import (
    ABS,
    ADD,
    COS,
    DIV,
    EXP,
    LOG,
    MOD,
    MUL,
    NEG,
    POW,
    POWC,
    RELU,
    SIGMOID,
    SIN,
    SQRT,
    SUB,
    TANH,
    Primitive,
    as_float,
)


def new_tag() -> int:
    """A tag no other derivative uses; later tags are outer layers.

    Tags and the levels of reverse mode come from one counter (`core.new_level`),
    so a Dual and a Value of different derivative passes always know which is outer.
    """
    return core.new_level()


def _operators(primitive: Primitive) -> tuple:
    """The methods for one arithmetic operator: plain and reflected (``__mul__``, ``__rmul__``).

    Their fast path covers the common case, a dual and a float or two duals of one
    tag, all parts floats: the table's value and partials, one layer deep. Parts that
    are duals themselves (a nested derivative) go one layer down through these same
    methods; every other case (mixed tags, ints, Values, unknown types) takes
    `_apply_or_defer`, or `_push` inside `detect_anomaly()`.
    """
    float_value, partials = primitive.float_value, primitive.partials

    def make(reflected: bool):
        def operator(self, other):
            kind = type(other)
            if kind is float:
                y, dy = other, 0.0
            elif kind is Dual and other.tag == self.tag:
                y, dy = other.primal, other.tangent
            else:
                operands = (other, self) if reflected else (self, other)
                return _apply_or_defer(primitive, *operands)
            x, dx = self.primal, self.tangent
            if reflected:
                x, dx, y, dy = y, dy, x, dx
            if (
                type(x) is not float
                or type(dx) is not float
                or type(y) is not float
                or type(dy) is not float
                or MODES.detect_anomaly
            ):
                if MODES.detect_anomaly or (type(x) is not Dual and type(y) is not Dual):
                    return _push(primitive, self.tag, (other, self) if reflected else (self, other))
                # A nested derivative: the value one layer down, through these same methods.
                out = plain(x, y) if type(x) is Dual else reflected_operator(y, x)
                return _new_dual(out, _tangent_sum(partials(x, y, out), (dx, dy)), self.tag)
            out = float_value(x, y)
            partial_x, partial_y = partials(x, y, out)
            # Exact zeros are skipped and the sum starts from the first term, as in
            # _tangent_sum (so the sign of a zero tangent is the same either way).
            if dx != 0.0:
                tangent = partial_x * dx
                if dy != 0.0:
                    tangent = tangent + partial_y * dy
            else:
                tangent = partial_y * dy if dy != 0.0 else 0.0
            result = Dual.__new__(Dual)  # written out, not _new_dual: this is the hot path
            result.primal = out
            result.tangent = tangent
            result.tag = self.tag
            return result

        operator.__name__ = f"__{'r' if reflected else ''}{primitive.name}__"
        return operator

    plain, reflected_operator = make(False), make(True)
    return plain, reflected_operator


_METHODS: dict = {}


def _methods(primitive: Primitive) -> tuple:
    """The operator methods of a two-input primitive, plain and reflected, made once."""
    methods = _METHODS.get(primitive)
    if methods is None:
        methods = _METHODS[primitive] = _operators(primitive)
    return methods


class Dual(rules.NumberLook):
    """A dual number ``primal + tangent·ε``.

    >>> x = Dual(3.0, 1.0)
    >>> x * x + 1
    Dual(10.0, 6.0)
    """

    __slots__ = ("primal", "tangent", "tag")

    def __init__(self, primal, tangent=0.0, *, tag: int = 0) -> None:
        self.primal = _as_component(primal, "primal")
        self.tangent = _as_component(tangent, "tangent")
        self.tag = tag

    def __repr__(self) -> str:
        tag = f", tag={self.tag}" if self.tag else ""
        return f"Dual({_short(self.primal)}, {_short(self.tangent)}{tag})"

    def __str__(self) -> str:
        return f"{_short(self.primal)} + {_short(self.tangent)}ε"

    # -- arithmetic ------------------------------------------------------------
    __add__, __radd__ = _methods(ADD)
    __sub__, __rsub__ = _methods(SUB)
    __mul__, __rmul__ = _methods(MUL)
    __truediv__, __rtruediv__ = _methods(DIV)

    def __pow__(self, exponent):
        if isinstance(exponent, Real):
            return _apply_or_defer(POWC, self, exponent)
        return _apply_or_defer(POW, self, exponent)

    def __rpow__(self, base):
        return _apply_or_defer(POW, base, self)

    def __mod__(self, other):
        return _apply_or_defer(MOD, self, other)

    def __rmod__(self, other):
        return _apply_or_defer(MOD, other, self)

    def __neg__(self):
        return _apply_unary(NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _apply_unary(ABS, self)

    def exp(self):
        return _apply_unary(EXP, self)

    def log(self):
        return _apply_unary(LOG, self)

    def sqrt(self):
        return _apply_unary(SQRT, self)

    def tanh(self):
        return _apply_unary(TANH, self)

    def sigmoid(self):
        return _apply_unary(SIGMOID, self)

    def relu(self):
        return _apply_unary(RELU, self)

    def sin(self):
        return _apply_unary(SIN, self)

    def cos(self):
        return _apply_unary(COS, self)

    # -- comparisons look at the primal ----------------------------------------
    def __lt__(self, other):
        return self.primal < _primal(other)

    def __le__(self, other):
        return self.primal <= _primal(other)

    def __gt__(self, other):
        return self.primal > _primal(other)

    def __ge__(self, other):
        return self.primal >= _primal(other)

    def __eq__(self, other):
        if isinstance(other, (Dual, Real)):
            return self.primal == _primal(other)
        return NotImplemented

    def __ne__(self, other):
        if isinstance(other, (Dual, Real)):
            return self.primal != _primal(other)
        return NotImplemented

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        """The truth of the primal, so ``if x:`` branches on the number."""
        return bool(self.primal)

    @staticmethod
    def _apply_primitive(primitive: Primitive, *args):
        """Value from the primal parts, tangent = Σ local partial × input tangent."""
        return _push(primitive, max(arg.tag for arg in args if type(arg) is Dual), args)


def _push(primitive: Primitive, tag: int, args: tuple) -> Dual:
    """A primitive on Duals of ``tag``: the primal one layer down, the tangent from the table."""
    primals = []
    tangents = []
    for arg in args:
        kind = type(arg)
        if kind is Dual and arg.tag == tag:
            primals.append(arg.primal)
            tangents.append(arg.tangent)
        else:  # a constant at this layer (maybe a dual or Value of an older pass)
            primals.append(arg if kind is float or not rules.is_number(arg) else as_float(arg))
            tangents.append(0.0)
    out = _one_layer_down(primitive, primals)
    tangent = _tangent_sum(primitive.partials(*primals, out), tangents)
    if MODES.detect_anomaly and not (_is_finite(out) and _is_finite(tangent)):
        shown = ", ".join(_short(arg) for arg in args)
        raise AnomalyError(
            f"forward mode: {primitive.name}({shown}) gave {_short(out)} "
            f"with tangent {_short(tangent)}"
        )
    return _new_dual(out, tangent, tag)


def _tangent_sum(partials, tangents):
    """Σ local partial × input tangent. Exact-zero tangents are skipped, so a constant
    input never turns 0 · inf into nan; a partial of exactly 1.0 (add's, sub's) adds the
    tangent without a product."""
    tangent = None
    for partial, input_tangent in zip(partials, tangents):
        if not (type(input_tangent) is float and input_tangent == 0.0):
            if type(partial) is float and partial == 1.0:
                term = input_tangent
            else:
                term = partial * input_tangent
            tangent = term if tangent is None else tangent + term
    return 0.0 if tangent is None else tangent


def _new_dual(primal, tangent, tag: int) -> Dual:
    result = Dual.__new__(Dual)
    result.primal = primal
    result.tangent = tangent
    result.tag = tag
    return result


def _one_layer_down(primitive: Primitive, primals: list):
    """The primitive on the primals: floats directly, Duals of one older tag (a nested
    derivative) straight through `_push`, anything else through the core's dispatch."""
    tag = -1
    for primal in primals:
        kind = type(primal)
        if kind is Dual:
            if tag not in (-1, primal.tag):
                return primitive(*primals)
            tag = primal.tag
        elif kind is not float:
            return primitive(*primals)
    if tag < 0:
        return primitive.float_value(*primals)
    if len(primals) == 1:
        return _apply_unary(primitive, primals[0])
    first, second = primals
    if type(first) is Dual:
        return _methods(primitive)[0](first, second)
    return _methods(primitive)[1](second, first)


def _apply(primitive, level: int, args: tuple, kwargs: dict) -> Dual:
    """The core's call when a Dual is the outer layer of an operation on numbers: the
    operator methods where they apply (a Dual of ``level`` and a float or another),
    else `_push`."""
    primitive = primitive.scalar
    if len(args) == 1:
        (a,) = args
        if type(a) is Dual and a.tag == level:
            return _apply_unary(primitive, a)
    elif len(args) == 2:
        a, b = args
        if type(a) is Dual and a.tag == level and _same_layer(b, level):
            return _methods(primitive)[0](a, b)
        if type(b) is Dual and b.tag == level and type(a) is float:
            return _methods(primitive)[1](b, a)
    return _push(primitive, level, args)


def _same_layer(operand, level: int) -> bool:
    """A float, or a Dual of ``level``: what the operator methods take without deferring."""
    return type(operand) is float or (type(operand) is Dual and operand.tag == level)


core.register_kind(Dual, rank=20, family="forward", level_of=lambda dual: dual.tag, apply=_apply)
rules.install_methods(Dual)


def _primal(other):
    return other.primal if type(other) is Dual else other


def _as_component(part, name: str):
    kind = type(part)
    if kind is float or kind is Dual:
        return part
    if rules.is_number(part):
        return as_float(part)
    if kind in core.KINDS and core.KINDS[kind].family == "symbolic":
        return part  # a symbolic expression
    raise TypeError(f"Dual() needs a real number as its {name}, got {kind.__name__} ({part!r:.40})")


def _apply_unary(primitive: Primitive, a: Dual) -> Dual:
    """Apply a one-input primitive, with the same fast path as two-input ones."""
    x, dx = a.primal, a.tangent
    if type(x) is not float or type(dx) is not float or MODES.detect_anomaly:
        if type(x) is not Dual or MODES.detect_anomaly:
            return _push(primitive, a.tag, (a,))
        out = _apply_unary(primitive, x)  # a nested derivative: one layer down
        return _new_dual(out, _tangent_sum(primitive.partials(x, out), (dx,)), a.tag)
    out = primitive.float_value(x)
    (partial,) = primitive.partials(x, out)
    result = Dual.__new__(Dual)
    result.primal = out
    result.tangent = partial * dx if dx != 0.0 else 0.0
    result.tag = a.tag
    return result


def _apply_or_defer(primitive: Primitive, a, b):
    """Apply a two-input primitive through the rule table; an unknown type defers.

    The table's dispatch hands the call to the outermost layer: this Dual, or a
    Value or Dual of a newer derivative pass.
    """
    only_duals_and_numbers = True
    for operand in (a, b):
        kind = type(operand)
        if kind is Dual or kind is float or kind is int:
            continue
        if kind in core.KINDS:
            only_duals_and_numbers = False
        elif isinstance(operand, (complex, np.complexfloating)):
            only_duals_and_numbers = False  # a complex constant: the array engine takes it
        elif not rules.is_number(operand):
            return NotImplemented  # an array broadcasts; anything else gets its say
    if only_duals_and_numbers:  # no other layer to ask
        return Dual._apply_primitive(primitive, a, b)
    return primitive(*(_complex_as_array(operand) for operand in (a, b)))


def _complex_as_array(operand):
    return np.asarray(operand) if isinstance(operand, (complex, np.complexfloating)) else operand


def tangent_of(result, tag: int):
    """The ε-part of ``result`` for ``tag`` (0 if the result does not depend on it)."""
    if type(result) is Dual:
        if result.tag == tag:
            return result.tangent
        if result.tag > tag:  # an outer layer: take the tag's tangent inside it
            return dual(tangent_of(result.primal, tag), tangent_of(result.tangent, tag), result.tag)
    _refuse_newer_value(result, tag)
    return 0.0


def primal_of(result, tag: int):
    """``result`` with the ε-part for ``tag`` dropped."""
    if type(result) is Dual:
        if result.tag == tag:
            return result.primal
        if result.tag > tag:
            return dual(primal_of(result.primal, tag), primal_of(result.tangent, tag), result.tag)
    _refuse_newer_value(result, tag)
    return result


def _refuse_newer_value(result, tag: int) -> None:
    if core.level_of(result) > tag:
        raise ValueError(
            f"forward mode: f returned a {type(result).__name__} of a derivative pass that "
            "started inside this derivative and has finished; it cannot carry this tangent. "
            "Return numbers (or the inner derivative itself) from the inner derivative instead."
        )


def dual(primal, tangent, tag: int) -> Dual:
    """A Dual of ``tag`` whose parts may be Values or Duals of older passes (no checks)."""
    result = Dual.__new__(Dual)
    result.primal = as_float(primal) if rules.is_number(primal) else primal
    result.tangent = as_float(tangent) if rules.is_number(tangent) else tangent
    result.tag = tag
    return result


def to_output_array(result, convert: Callable, who: str):
    """Convert every element of a list/array result with ``convert``.

    Gives a float array, or an object array where some entries are still
    Values or Duals (of an outer derivative pass).
    """
    try:
        items = np.asarray(result, dtype=object)
    except (TypeError, ValueError):
        raise TypeError(f"{who}: f returned {type(result).__name__}, not numbers") from None
    # A forgotten `return` gives None: say so rather than report a derivative of 0.
    for item in items.flat:
        if not (rules.is_number(item) or core.is_node(item)):
            raise TypeError(
                f"{who}: f returned {type(item).__name__} ({item!r:.40}), not a number; "
                "check that f returns its result"
            )
    return array_of([convert(item) for item in items.flat], items.shape)


def array_of(numbers: list, shape: tuple) -> np.ndarray:
    """A float array, or an object array where some entries are still Values or Duals."""
    dtype = float if all(isinstance(n, float) for n in numbers) else object
    return np.array(numbers, dtype=dtype).reshape(shape)
