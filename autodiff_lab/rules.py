"""The table of primitives: each one's value and its local partial derivatives.

This is the one place where calculus lives. Reverse mode (`Value`), forward mode
(`Dual`), the operation objects of `autodiff_lab.ops`, the symbolic
differentiator and the trace all read these entries; adding a primitive here
adds it everywhere.

Each entry has
  * a float implementation that follows IEEE semantics (log(0) is -inf,
    1/0 is inf, exp(1000) is inf) and never raises on a number, and
  * a partials function ``(inputs..., out) -> (∂out/∂input, ...)`` written with
    operators and other primitives only, so it works on floats, on dual numbers
    (for nested and higher derivatives) and on symbolic expressions alike.

Calling a primitive, ``EXP(x)``, evaluates it on whatever ``x`` is: a number
gives a float, and a `Value`, `Dual`, array node or symbolic expression records
the operation in its own way (the dispatch rule of `autodiff_lab.core`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from numbers import Real

import numpy as np

from . import core

INF = math.inf
NAN = math.nan


class Primitive:
    """One differentiable operation: a name, a float value and local partials."""

    __slots__ = (
        "name",
        "symbol",
        "arity",
        "float_value",
        "partials",
        "formula",
        "scalar",
        "_array_form",
    )

    is_array = False  # an operation on numbers; `array_form` is the same one on whole arrays

    def __init__(
        self,
        name: str,
        symbol: str,
        arity: int,
        float_value: Callable[..., float],
        partials: Callable[..., tuple],
        formula: str,
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.arity = arity
        self.float_value = float_value
        self.partials = partials
        self.formula = formula
        self.scalar = self  # the entry of the scalar table this is (array forms point here)
        self._array_form = None

    @property
    def array_form(self):
        """The same primitive on whole arrays, elementwise (made by `autodiff_lab.array_rules`)."""
        if self._array_form is None and _ARRAY_FORMS:
            self._array_form = _ARRAY_FORMS[0](self)
        return self._array_form

    def __call__(self, *args):
        """Apply the primitive to numbers, arrays, Values, Duals, array nodes or expressions."""
        if len(args) != self.arity:
            raise TypeError(f"{self.name}() takes {self.arity} argument(s), got {len(args)}")
        for arg in args:
            kind = type(arg)
            if kind is not float and kind is not int:
                return core.dispatch(self, args)
        return self.float_value(*(as_float(arg) for arg in args))

    def evaluate(self, args: tuple, kwargs: dict | None = None):
        """The primitive on plain numbers (or, elementwise, on numpy arrays of numbers)."""
        for arg in args:
            if is_number(arg):
                continue
            if _is_array_like(arg) and self.array_form is not None:
                return self.array_form.evaluate(args, kwargs)
            raise TypeError(
                f"{self.name}() needs a number, a Value or a Dual, "
                f"got {type(arg).__name__} ({arg!r:.40})"
            )
        return self.float_value(*(as_float(arg) for arg in args))

    def __repr__(self) -> str:
        return f"<primitive {self.name}: {self.formula}>"


def _is_array_like(x) -> bool:
    """A numpy array, or a complex number (which the array forms compute with)."""
    return isinstance(x, (np.ndarray, complex, np.complexfloating))


def new_level() -> int:
    """A level no other derivative pass uses (see `autodiff_lab.core`)."""
    return core.new_level()


_ARRAY_FORMS: list = []  # the one function that makes a primitive's array form


def register_array_forms(make: Callable) -> None:
    """Let ``make(primitive)`` give each primitive its elementwise form on arrays (the
    array engine registers it, so this module needs to know nothing about arrays)."""
    _ARRAY_FORMS[:] = [make]


def is_number(x) -> bool:
    """A real number in any of Python's or numpy's forms: float, int, bool, ``np.float32``,
    ``np.bool_``, a 0-d numeric array. These mix with Values and Duals as floats do."""
    if isinstance(x, (Real, np.bool_)):
        return True
    return isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf"


# ---------------------------------------------------------------------------
# Float implementations that follow IEEE 754 instead of raising.
# Python raises ZeroDivisionError, OverflowError and ValueError where C (and
# PyTorch in float64) return inf or nan; numpy's float64 gives the C answer.


def as_float(number) -> float:
    """A real number as a float; an int too large for a float rounds to ±inf, as IEEE says."""
    try:
        return float(number)
    except OverflowError:
        return INF if number > 0 else -INF


def _ieee(operation, *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(operation(*(np.float64(arg) for arg in args)))


def _divide(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        return _ieee(np.divide, a, b)


def _power(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):
        return _ieee(np.power, a, b)


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def _log(a: float) -> float:
    if a > 0:
        return math.log(a)
    return -INF if a == 0 else NAN


def _sqrt(a: float) -> float:
    return math.sqrt(a) if a >= 0 else NAN


def _sigmoid(a: float) -> float:
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = _exp(a)  # a < 0, so this cannot overflow; the other form could
    return e / (1.0 + e)


def _sin(a: float) -> float:
    return math.sin(a) if not math.isinf(a) else NAN


def _cos(a: float) -> float:
    return math.cos(a) if not math.isinf(a) else NAN


def _relu(a: float) -> float:
    return 0.0 if a <= 0 else a  # nan stays nan, as in PyTorch


def _sign(a) -> float:
    return 1.0 if a > 0 else (-1.0 if a < 0 else 0.0)  # sign(nan) is 0, as in PyTorch


def _step(a) -> float:
    # relu's slope: 0 where a <= 0, else 1; at nan that is 1, as in PyTorch,
    # which tests the output (nan <= 0 is false) to decide.
    return 0.0 if a <= 0 else 1.0


def _libm(function, numpy_function):
    """A float function from math, with numpy's IEEE answer where math raises."""

    def value(*args: float) -> float:
        try:
            return function(*args)
        except (OverflowError, ValueError):
            return _ieee(numpy_function, *args)

    return value


def _mod(a: float, b: float) -> float:
    try:
        return a % b  # Python's mod: the result has the sign of b, as torch.remainder
    except ZeroDivisionError:
        return NAN


def _maximum(a: float, b: float) -> float:
    return NAN if a != a or b != b else (a if a >= b else b)  # nan wins, as in PyTorch


def _minimum(a: float, b: float) -> float:
    return NAN if a != a or b != b else (a if a <= b else b)


class NeedsANumber(TypeError):
    """A partial that depends on where it is evaluated, as a step does, asked on a
    symbolic expression that has no number to look at."""


def _number_in(x) -> float:
    """The float at the bottom of a Value or Dual (of any depth)."""
    while not isinstance(x, (int, float)):
        inner = getattr(x, "primal", None)
        if inner is None:
            inner = getattr(x, "_data", None)
        if inner is None and core.is_node(x):
            inner = getattr(x, "value", None)  # a 0-d array node; a bigger one fails just below
        if inner is None:
            raise NeedsANumber(f"a piecewise-constant partial needs a number, got {x!r:.40}")
        x = inner
    return float(x)


def _floor_quotient(a, b) -> float:
    """floor(a / b) as PyTorch computes it for ∂(a % b)/∂b = -floor(a / b).

    Piecewise constant in a and b, so from the numbers alone (its own derivative is 0).
    """
    a, b = _number_in(a), _number_in(b)
    if b == 0:
        return _divide(a, b)
    mod = _ieee(np.fmod, a, b)
    quotient = (a - mod) / b
    if mod != 0 and (b < 0) != (mod < 0):
        quotient -= 1.0
    if quotient != 0:
        if math.isnan(quotient) or math.isinf(quotient):
            return quotient
        floor = float(math.floor(quotient))
        return floor + 1.0 if quotient - floor > 0.5 else floor
    return math.copysign(0.0, _divide(a, b))


def _max_partials(a, b) -> tuple:
    # PyTorch's choice: the larger input gets the gradient, a tie splits it, and
    # with a nan both inputs get it.
    if a == b:
        return (0.5, 0.5)
    return (0.0 if a < b else 1.0, 0.0 if a > b else 1.0)


def _min_partials(a, b) -> tuple:
    if a == b:
        return (0.5, 0.5)
    return (0.0 if a > b else 1.0, 0.0 if a < b else 1.0)


def _arctan2_partials(a, b) -> tuple:
    radius2 = a * a + b * b
    if radius2 == 0:  # at the origin PyTorch takes both as 0, not 0/0
        return (0.0, 0.0)
    return (DIV(b, radius2), DIV(-a, radius2))


def _base_partial(a, b):
    # ∂(a**b)/∂a = b·a^(b-1). Where b == 0, a**b is the constant 1, so this is 0
    # (as in PyTorch), where the formula would give 0·inf = nan at a == 0. A
    # variable exponent (a Dual or Value) keeps the formula wherever a != 0, so
    # that its own derivative in b, a^(b-1)·(1 + b·log a), stays right.
    if b == 0 and (type(b) is float or a == 0):
        return 0.0
    return b * POW(a, b - 1.0)


def _exponent_partial(a, b, out):
    # ∂(a**b)/∂b = a**b · log(a). PyTorch takes it as 0 where a == 0 and b >= 0
    # (0**b is constant there); for b < 0 the formula stands: inf · -inf = -inf.
    return 0.0 if a == 0 and b >= 0 else out * LOG(a)


LN2 = math.log(2.0)
LN10 = math.log(10.0)


# ---------------------------------------------------------------------------
# The table. One primitive a line: name, symbol, float value, local partials.
# In the partials, ``out`` is the primitive's own output, reused where the
# derivative is cheapest written in terms of it (exp, tanh, sigmoid, sqrt).

# fmt: off
ADD     = Primitive("add",     "+",       2, lambda a, b: a + b, lambda a, b, out: (1.0, 1.0),                                "∂/∂a = 1, ∂/∂b = 1")  # noqa: E501
SUB     = Primitive("sub",     "-",       2, lambda a, b: a - b, lambda a, b, out: (1.0, -1.0),                               "∂/∂a = 1, ∂/∂b = -1")  # noqa: E501
MUL     = Primitive("mul",     "*",       2, lambda a, b: a * b, lambda a, b, out: (b, a),                                    "∂/∂a = b, ∂/∂b = a")  # noqa: E501
DIV     = Primitive("div",     "/",       2, _divide,            lambda a, b, out: (DIV(1.0, b), -DIV(out, b)),               "∂/∂a = 1/b, ∂/∂b = -a/b²")  # noqa: E501
POW     = Primitive("pow",     "**",      2, _power,             lambda a, b, out: (_base_partial(a, b), _exponent_partial(a, b, out)), "∂/∂a = b·a^(b-1), ∂/∂b = a^b·log a")  # noqa: E501
POWC    = Primitive("pow",     "**",      2, _power,             lambda a, n, out: (0.0 if n == 0 else n * POWC(a, n - 1.0), 0.0), "∂/∂a = n·a^(n-1) (n a constant)")  # noqa: E501
NEG     = Primitive("neg",     "-",       1, lambda a: -a,       lambda a, out: (-1.0,),                                      "∂/∂a = -1")  # noqa: E501
EXP     = Primitive("exp",     "exp",     1, _exp,               lambda a, out: (out,),                                       "∂/∂a = exp(a)")  # noqa: E501
LOG     = Primitive("log",     "log",     1, _log,               lambda a, out: (DIV(1.0, a),),                               "∂/∂a = 1/a")  # noqa: E501
SQRT    = Primitive("sqrt",    "sqrt",    1, _sqrt,              lambda a, out: (DIV(0.5, out),),                             "∂/∂a = 1/(2·sqrt(a))")  # noqa: E501
ABS     = Primitive("abs",     "abs",     1, abs,                lambda a, out: (_sign(a),),                                  "∂/∂a = sign(a)")  # noqa: E501
TANH    = Primitive("tanh",    "tanh",    1, math.tanh,          lambda a, out: (1.0 - out * out,),                           "∂/∂a = 1 - tanh(a)²")  # noqa: E501
SIGMOID = Primitive("sigmoid", "sigmoid", 1, _sigmoid,           lambda a, out: (out * (1.0 - out),),                         "∂/∂a = σ(a)·(1 - σ(a))")  # noqa: E501
RELU    = Primitive("relu",    "relu",    1, _relu,              lambda a, out: (_step(a),),                                  "∂/∂a = 1 if a > 0 else 0")  # noqa: E501
SIN     = Primitive("sin",     "sin",     1, _sin,               lambda a, out: (COS(a),),                                    "∂/∂a = cos(a)")  # noqa: E501
COS     = Primitive("cos",     "cos",     1, _cos,               lambda a, out: (-SIN(a),),                                   "∂/∂a = -sin(a)")  # noqa: E501
TAN     = Primitive("tan",     "tan",     1, _libm(math.tan, np.tan),     lambda a, out: (1.0 + out * out,),                  "∂/∂a = 1 + tan(a)²")  # noqa: E501
SINH    = Primitive("sinh",    "sinh",    1, _libm(math.sinh, np.sinh),   lambda a, out: (COSH(a),),                          "∂/∂a = cosh(a)")  # noqa: E501
COSH    = Primitive("cosh",    "cosh",    1, _libm(math.cosh, np.cosh),   lambda a, out: (SINH(a),),                          "∂/∂a = sinh(a)")  # noqa: E501
ARCSIN  = Primitive("arcsin",  "arcsin",  1, _libm(math.asin, np.arcsin), lambda a, out: (DIV(1.0, SQRT(1.0 - a * a)),),      "∂/∂a = 1/sqrt(1 - a²)")  # noqa: E501
ARCCOS  = Primitive("arccos",  "arccos",  1, _libm(math.acos, np.arccos), lambda a, out: (DIV(-1.0, SQRT(1.0 - a * a)),),     "∂/∂a = -1/sqrt(1 - a²)")  # noqa: E501
ARCTAN  = Primitive("arctan",  "arctan",  1, _libm(math.atan, np.arctan), lambda a, out: (DIV(1.0, 1.0 + a * a),),            "∂/∂a = 1/(1 + a²)")  # noqa: E501
ARCSINH = Primitive("arcsinh", "arcsinh", 1, _libm(math.asinh, np.arcsinh), lambda a, out: (DIV(1.0, SQRT(a * a + 1.0)),),    "∂/∂a = 1/sqrt(a² + 1)")  # noqa: E501
ARCCOSH = Primitive("arccosh", "arccosh", 1, _libm(math.acosh, np.arccosh), lambda a, out: (DIV(1.0, SQRT(a * a - 1.0)),),    "∂/∂a = 1/sqrt(a² - 1)")  # noqa: E501
ARCTANH = Primitive("arctanh", "arctanh", 1, _libm(math.atanh, np.arctanh), lambda a, out: (DIV(1.0, 1.0 - a * a),),          "∂/∂a = 1/(1 - a²)")  # noqa: E501
LOG2    = Primitive("log2",    "log2",    1, _libm(math.log2, np.log2),   lambda a, out: (DIV(1.0, a * LN2),),                "∂/∂a = 1/(a·ln 2)")  # noqa: E501
LOG10   = Primitive("log10",   "log10",   1, _libm(math.log10, np.log10), lambda a, out: (DIV(1.0, a * LN10),),               "∂/∂a = 1/(a·ln 10)")  # noqa: E501
LOG1P   = Primitive("log1p",   "log1p",   1, _libm(math.log1p, np.log1p), lambda a, out: (DIV(1.0, a + 1.0),),                "∂/∂a = 1/(1 + a)")  # noqa: E501
EXPM1   = Primitive("expm1",   "expm1",   1, _libm(math.expm1, np.expm1), lambda a, out: (out + 1.0,),                        "∂/∂a = exp(a)")  # noqa: E501
EXP2    = Primitive("exp2",    "exp2",    1, lambda a: _power(2.0, a),    lambda a, out: (out * LN2,),                        "∂/∂a = 2^a·ln 2")  # noqa: E501
SIGN    = Primitive("sign",    "sign",    1, _sign,                       lambda a, out: (0.0,),                              "∂/∂a = 0")  # noqa: E501
MOD     = Primitive("mod",     "%",       2, _mod,                        lambda a, b, out: (1.0, -_floor_quotient(a, b)),    "∂/∂a = 1, ∂/∂b = -floor(a/b)")  # noqa: E501
MAXIMUM = Primitive("maximum", "maximum", 2, _maximum,                    lambda a, b, out: _max_partials(a, b),              "∂/∂a = 1 if a > b, ½ if a = b, else 0")  # noqa: E501
MINIMUM = Primitive("minimum", "minimum", 2, _minimum,                    lambda a, b, out: _min_partials(a, b),              "∂/∂a = 1 if a < b, ½ if a = b, else 0")  # noqa: E501
ARCTAN2 = Primitive("arctan2", "arctan2", 2, _libm(math.atan2, np.arctan2), lambda a, b, out: _arctan2_partials(a, b),           "∂/∂a = b/(a² + b²), ∂/∂b = -a/(a² + b²)")  # noqa: E501
# fmt: on

PRIMITIVES: dict[str, Primitive] = {
    primitive.name: primitive
    for primitive in (
        ADD,
        SUB,
        MUL,
        DIV,
        POW,
        MOD,
        NEG,
        EXP,
        LOG,
        SQRT,
        ABS,
        TANH,
        SIGMOID,
        RELU,
        SIN,
        COS,
        TAN,
        SINH,
        COSH,
        ARCSIN,
        ARCCOS,
        ARCTAN,
        ARCSINH,
        ARCCOSH,
        ARCTANH,
        LOG2,
        LOG10,
        LOG1P,
        EXPM1,
        EXP2,
        SIGN,
        MAXIMUM,
        MINIMUM,
        ARCTAN2,
    )
}
"""Every primitive by name (``POWC``, pow with a constant exponent, is reached through ``**``)."""

FUNCTIONS: dict[str, Primitive] = {
    name: primitive for name, primitive in PRIMITIVES.items() if primitive.symbol == name
}
"""The primitives written as functions (``exp(x)``, ``arctan2(y, x)``), not operators."""


class NumberLook:
    """What numpy-minded code asks of a scalar node (Value, Dual): a float64 of shape ()."""

    __slots__ = ()
    dtype = np.dtype(np.float64)
    shape = ()
    ndim = 0

    def item(self) -> float:
        """The number inside, as a plain float (no derivative flows through it)."""
        return _number_in(self)

    def astype(self, dtype):
        """Itself for a float type; plain numbers for a bool or integer type (slope 0)."""
        return core.as_type(self, dtype, self.item())


def install_methods(kind: type) -> None:
    """Give a carrier class a method for every function of the table it lacks:
    ``x.tan()``, ``y.arctan2(x)``; numpy's ufuncs on object arrays call these."""
    for name, primitive in FUNCTIONS.items():
        written = kind.__dict__.get(name)
        if written is not None:  # written out in the class (a fast path): the same docstring
            written.__doc__ = written.__doc__ or _method_doc(name, primitive)
            continue

        def method(self, *others, primitive=primitive):
            return primitive(self, *others)

        method.__name__ = method.__qualname__ = name
        method.__doc__ = _method_doc(name, primitive)
        method.__signature__ = _method_signature(primitive.arity)  # help(): tan(self)
        setattr(kind, name, method)


def _method_signature(arity: int) -> inspect.Signature:
    only = inspect.Parameter.POSITIONAL_ONLY
    names = ("self", "other")[:arity]
    return inspect.Signature([inspect.Parameter(name, only) for name in names])


def _method_doc(name: str, primitive: Primitive) -> str:
    return f"{name} of this number; its derivative: {primitive.formula}."
