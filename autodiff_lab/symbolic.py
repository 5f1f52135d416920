"""A tiny symbolic differentiator, to see expression swell with your own eyes.

Expressions are immutable trees of three kinds of node: a `Symbol` (``x``), a
`Constant` (``2``) and an `Apply` node holding a primitive of the rule table
and its argument expressions. Operators and the primitives themselves build
them, because expressions are registered with the rule table as a carrier:

>>> from autodiff_lab.math import sin
>>> x = symbols("x")
>>> f = sin(x**2)
>>> print(diff(f, x))
cos(x**2)*2*x

`diff` knows no calculus of its own. For every node it calls the rule
table's ``primitive.partials`` on expressions instead of numbers, which gives
the local partials as expressions, and joins them with the chain rule,
∂node/∂x = Σᵢ partialᵢ · ∂argᵢ/∂x.

The result is exact, but as a tree it repeats whole subexpressions: `size`
counts every repetition, `dag_size` counts each distinct subexpression once.
Automatic differentiation avoids the swell by never writing the tree out: it
keeps numbers, one per node of the original computation.

Where a partial in the table branches on its input's value, a formula cannot
choose the branch: abs and relu (``a > 0``) get a node such as ``abs'(x)``
that asks the table at evaluation time. A test for one single point
(``a == 0`` in the partials of ``a**b``) is answered structurally, so
``x**y`` gets the general formula ``x**y*log(x)``, which is nan exactly where
the base is 0 and the table's numbers use 0 instead.

Simplification (constant folding, ``x + 0 → x``, ``x*1 → x``, ``x*0 → 0``, …)
happens while expressions are built; inside ``with unsimplified():`` (or with
``diff(..., simplify=False)``) every node is kept exactly as the rules wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from numbers import Real

from . import core, rules
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
)

__all__ = [
    "Apply",
    "Constant",
    "Expr",
    "Symbol",
    "SymbolicComparisonError",
    "dag_size",
    "diff",
    "evaluate",
    "free_symbols",
    "simplify",
    "size",
    "symbols",
    "to_function",
    "unsimplified",
]


class SymbolicComparisonError(TypeError):
    """Raised when code asks whether an expression with symbols is > or < a number."""


class _Building:
    """Whether new expressions are simplified as they are built."""

    __slots__ = ("simplify",)

    def __init__(self) -> None:
        self.simplify = True


_BUILDING = _Building()


@contextmanager
def unsimplified() -> Iterator[None]:
    """Build expressions exactly as written: no folding, no ``x*1 → x``."""
    with _simplifying(False):
        yield


@contextmanager
def _simplifying(on: bool) -> Iterator[None]:
    previous = _BUILDING.simplify
    _BUILDING.simplify = on
    try:
        yield
    finally:
        _BUILDING.simplify = previous


# ---------------------------------------------------------------------------
# The nodes


class Expr:
    """A symbolic expression; build one from `symbols`, numbers and operators."""

    __slots__ = ("_hash",)
    args: tuple[Expr, ...] = ()

    def __setattr__(self, name, value):
        raise AttributeError(
            f"expressions are immutable: cannot set {name!r}; build a new expression instead"
        )

    # -- operators: each one is a primitive of the rule table ------------------
    def __add__(self, other):
        return ADD(self, other)

    def __radd__(self, other):
        return ADD(other, self)

    def __sub__(self, other):
        return SUB(self, other)

    def __rsub__(self, other):
        return SUB(other, self)

    def __mul__(self, other):
        return MUL(self, other)

    def __rmul__(self, other):
        return MUL(other, self)

    def __truediv__(self, other):
        return DIV(self, other)

    def __rtruediv__(self, other):
        return DIV(other, self)

    def __pow__(self, exponent):
        if isinstance(exponent, (Real, Constant)):
            return POWC(self, exponent)
        return POW(self, exponent)

    def __rpow__(self, base):
        return POW(base, self)

    def __mod__(self, other):
        return MOD(self, other)

    def __rmod__(self, other):
        return MOD(other, self)

    def __neg__(self):
        return NEG(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ABS(self)

    def exp(self):
        return EXP(self)

    def log(self):
        return LOG(self)

    def sqrt(self):
        return SQRT(self)

    def tanh(self):
        return TANH(self)

    def sigmoid(self):
        return SIGMOID(self)

    def relu(self):
        return RELU(self)

    def sin(self):
        return SIN(self)

    def cos(self):
        return COS(self)

    @staticmethod
    def _apply(primitive, level: int, args: tuple, kwargs: dict):
        return _build(primitive.scalar, args)

    # -- equality is structural: same tree, same expression ------------------
    def __eq__(self, other):
        if isinstance(other, Expr):
            return _same_tree(self, other)
        if isinstance(other, Real):
            return isinstance(self, Constant) and self.value == other
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    # -- order only makes sense for numbers ------------------------------------
    def __lt__(self, other):
        return _compare(self, other, "<", lambda a, b: a < b)

    def __le__(self, other):
        return _compare(self, other, "<=", lambda a, b: a <= b)

    def __gt__(self, other):
        return _compare(self, other, ">", lambda a, b: a > b)

    def __ge__(self, other):
        return _compare(self, other, ">=", lambda a, b: a >= b)

    # -- text --------------------------------------------------------------------
    def __str__(self) -> str:
        return _to_text(self)

    def __repr__(self) -> str:
        nodes = size(self)
        if nodes <= _REPR_MAX_NODES:
            return _to_text(self)
        # A swollen tree would flood the notebook; say how big it is instead.
        return f"<expression of {nodes} nodes ({dag_size(self)} distinct); print() it to see all>"


_REPR_MAX_NODES = 400


class Symbol(Expr):
    """A named variable, such as ``x``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"a symbol's name should be an identifier such as 'x', got {name!r}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_hash", hash(("symbol", name)))


class Constant(Expr):
    """A number inside an expression."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        if not isinstance(value, Real) or isinstance(value, bool):
            raise TypeError(f"Constant() needs a real number, got {type(value).__name__}")
        object.__setattr__(self, "value", float(value))
        object.__setattr__(self, "_hash", hash(self.value))  # so Constant(2) == 2 hash alike


class Apply(Expr):
    """A primitive of the rule table applied to argument expressions."""

    __slots__ = ("primitive", "args")

    def __init__(self, primitive: Primitive, args: tuple[Expr, ...]) -> None:
        if len(args) != primitive.arity:
            raise TypeError(
                f"{primitive.name} takes {primitive.arity} argument(s), got {len(args)}"
            )
        object.__setattr__(self, "primitive", primitive)
        object.__setattr__(self, "args", tuple(args))
        object.__setattr__(
            self, "_hash", hash((primitive.name, primitive.arity, *(arg._hash for arg in args)))
        )


# Calling any primitive on an expression builds an expression. The core looks
# kinds up by exact type, so each kind of node is registered. Rank 10: a
# Dual (20) or Value (30) holding expressions records the operation itself.
for _kind in (Expr, Symbol, Constant, Apply):
    core.register_kind(_kind, rank=10, family="symbolic", apply=Expr._apply)
rules.install_methods(Expr)


def symbols(names: str):
    """``symbols("x y")`` gives ``(x, y)``; a single name gives a single `Symbol`."""
    parts = [part for part in re.split(r"[\s,]+", names) if part]
    if not parts:
        raise ValueError('symbols() needs at least one name, e.g. symbols("x y")')
    made = tuple(Symbol(part) for part in parts)
    return made[0] if len(made) == 1 else made


def _as_expr(thing) -> Expr:
    if isinstance(thing, Expr):
        return thing
    if isinstance(thing, Real) and not isinstance(thing, bool):
        return Constant(thing)
    raise TypeError(
        f"cannot put {type(thing).__name__} ({thing!r:.40}) into an expression; "
        "use numbers, symbols and expressions"
    )


def _compare(expr: Expr, other, symbol: str, compare: Callable) -> bool:
    if isinstance(expr, Constant) and isinstance(other, (Real, Constant)):
        return compare(expr.value, other.value if isinstance(other, Constant) else other)
    raise SymbolicComparisonError(
        f"cannot decide whether {_shortened(expr)} {symbol} {_shortened(other)}: the answer "
        "depends on the values of its symbols. Evaluate the expression at a point first."
    )


def _shortened(thing) -> str:
    text = repr(thing)
    return text if len(text) <= 60 else text[:57] + "..."


def _same_tree(first: Expr, second: Expr) -> bool:
    """Structural equality without recursion; shared subtrees are compared once."""
    pending = [(first, second)]
    checked: set[tuple[int, int]] = set()
    while pending:
        a, b = pending.pop()
        if a is b:
            continue
        if a._hash != b._hash or type(a) is not type(b):
            return False
        key = (id(a), id(b))
        if key in checked:
            continue
        checked.add(key)
        if type(a) is Symbol:
            if a.name != b.name:
                return False
        elif type(a) is Constant:
            if not (a.value == b.value or (a.value != a.value and b.value != b.value)):
                return False
        elif a.primitive is not b.primitive:
            return False
        else:
            pending.extend(zip(a.args, b.args))
    return True


# ---------------------------------------------------------------------------
# Building, with simplification


_ARITHMETIC = (ADD, SUB, MUL, DIV, POW, POWC, NEG)


def _build(primitive: Primitive, args) -> Expr:
    """The node ``primitive(*args)``, simplified if simplification is on."""
    args = tuple(_as_expr(arg) for arg in args)
    if _BUILDING.simplify:
        simpler = _simplified(primitive, args)
        if simpler is not None:
            return simpler
    return Apply(primitive, args)


def _is(expr: Expr, number: float) -> bool:
    return type(expr) is Constant and expr.value == number


def _simplified(primitive: Primitive, args: tuple[Expr, ...]) -> Expr | None:
    """A simpler expression equal to ``primitive(*args)``, or None to keep the node."""
    if all(type(arg) is Constant for arg in args):
        values = [arg.value for arg in args]
        result = primitive.float_value(*values)
        # Fold arithmetic always; fold exp, log, sin… only when the answer is a
        # whole number (exp(0) = 1), so log(2) stays log(2) rather than 0.693147.
        if primitive in _ARITHMETIC or all(float(v).is_integer() for v in (*values, result)):
            return Constant(result)
        return None
    if primitive is ADD or primitive is SUB:
        a, b = args
        if _is(b, 0):
            return a
        if _is(a, 0):
            return b if primitive is ADD else _build(NEG, (b,))
        if _is_negation(b):  # a + (-b) → a - b, a - (-b) → a + b
            return _build(SUB if primitive is ADD else ADD, (a, _negated(b)))
    elif primitive is MUL:
        a, b = args
        if _is(a, 0) or _is(b, 0):
            return Constant(0.0)
        swapped = type(b) is Constant and type(a) is not Constant
        if swapped:  # constants in front: 2*x, not x*2
            a, b = b, a
        if _is(a, 1):
            return b
        if _is(a, -1):
            return _build(NEG, (b,))
        if type(b) is Apply and b.primitive is NEG:  # a*(-b) → -(a*b)
            return _build(NEG, (_build(MUL, (a, b.args[0])),))
        if type(a) is Apply and a.primitive is NEG:  # (-a)*b → -(a*b)
            return _build(NEG, (_build(MUL, (a.args[0], b)),))
        if type(a) is Constant and type(b) is Apply and b.primitive is MUL:
            if type(b.args[0]) is Constant:  # 2*(3*x) → 6*x
                return _build(MUL, (a.value * b.args[0].value, b.args[1]))
        if swapped:
            return Apply(MUL, (a, b))
    elif primitive is DIV:
        a, b = args
        if _is(b, 1):
            return a
        if _is(a, 0):
            return Constant(0.0)
    elif primitive is POW or primitive is POWC:
        a, b = args
        if _is(b, 1):
            return a
        if _is(b, 0) or _is(a, 1):
            return Constant(1.0)
    elif primitive is NEG:
        (a,) = args
        if type(a) is Apply and a.primitive is NEG:
            return a.args[0]
    return None


def _is_negation(expr: Expr) -> bool:
    """-e or a negative number."""
    if type(expr) is Constant:
        return expr.value < 0
    return type(expr) is Apply and expr.primitive is NEG


def _negated(expr: Expr) -> Expr:
    """e for -e, and 3 for -3."""
    return Constant(-expr.value) if type(expr) is Constant else expr.args[0]


def simplify(expr) -> Expr:
    """Rebuild ``expr`` bottom-up with simplification on."""
    expr = _as_expr(expr)
    rebuilt: dict[int, Expr] = {}
    with _simplifying(True):
        for node in _postorder(expr):
            if type(node) is Apply:
                rebuilt[id(node)] = _build(node.primitive, [rebuilt[id(a)] for a in node.args])
            else:
                rebuilt[id(node)] = node
    return rebuilt[id(expr)]


# ---------------------------------------------------------------------------
# Differentiation: the rule table's partials, on expressions


_ZERO = Constant(0.0)
_ONE = Constant(1.0)


def diff(expr, symbol: Symbol | str, *, simplify: bool | None = None) -> Expr:
    """∂expr/∂symbol as an expression, built from the rule table's partials.

    With ``simplify=False`` (or inside ``with unsimplified():``) nothing is
    tidied away, not even ``cos(x)*1``: the raw output of the chain rule, to
    see the full swell.
    """
    if simplify is None:
        simplify = _BUILDING.simplify
    expr = _as_expr(expr)
    name = symbol.name if isinstance(symbol, Symbol) else Symbol(symbol).name
    derivative: dict[int, Expr] = {}
    with _simplifying(simplify):
        for node in _postorder(expr):
            if type(node) is Symbol:
                derivative[id(node)] = _ONE if node.name == name else _ZERO
            elif type(node) is Constant:
                derivative[id(node)] = _ZERO
            else:
                derivative[id(node)] = _chain_rule(node, derivative, simplify)
    return derivative[id(expr)]


def _chain_rule(node: Apply, derivative: dict[int, Expr], simplify: bool) -> Expr:
    """Σ local partial × derivative of that argument."""
    arguments = [derivative[id(arg)] for arg in node.args]
    if simplify and all(_is(d, 0) for d in arguments):
        return _ZERO  # a constant subexpression: no partial needed (it may not exist)
    terms = [
        _build(MUL, (partial, d))
        for partial, d in zip(_local_partials(node), arguments)
        # Skip arguments that do not depend on the symbol, as forward mode does:
        # their partial may be inf (log at 0), and inf·0 would make the sum nan.
        if not (simplify and _is(d, 0))
    ]
    total = terms[0]
    for term in terms[1:]:
        total = _build(ADD, (total, term))
    return total


def _local_partials(node: Apply) -> tuple:
    """``node.primitive.partials`` called on the argument expressions and the node."""
    try:
        return tuple(node.primitive.partials(*node.args, node))
    except (SymbolicComparisonError, rules.NeedsANumber):
        # This partial branches on its input's value (abs: the sign; relu: a
        # step). Keep it as a node that asks the table at evaluation time.
        return tuple(
            _build(_partial_primitive(node.primitive, index), node.args)
            for index in range(node.primitive.arity)
        )


_PARTIAL_PRIMITIVES: dict[tuple[int, int], Primitive] = {}


def _partial_primitive(primitive: Primitive, index: int) -> Primitive:
    """A primitive whose value is the table's partial ``index`` of ``primitive``.

    Only partials that branch on their input's value end up here; they are
    piecewise constant (sign, step), so their own partials are 0, as in the
    engine.
    """
    key = (id(primitive), index)
    if key not in _PARTIAL_PRIMITIVES:
        arity = primitive.arity
        name = f"{primitive.name}'" if arity == 1 else f"d{primitive.name}/d{'ab'[index]}"

        def value(*inputs):
            return primitive.partials(*inputs, primitive(*inputs))[index]

        _PARTIAL_PRIMITIVES[key] = Primitive(
            name,
            name,
            arity,
            value,
            lambda *inputs_and_out: (0.0,) * arity,
            f"the partial of {primitive.name}: {primitive.formula} (piecewise constant)",
        )
    return _PARTIAL_PRIMITIVES[key]


# ---------------------------------------------------------------------------
# Walking, measuring, evaluating


def _postorder(root: Expr) -> list[Expr]:
    """Each distinct node object under ``root`` once, arguments before their users."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((arg, False) for arg in reversed(node.args) if id(arg) not in seen)
    return order


def size(expr) -> int:
    """Nodes in the tree, counting a repeated subexpression every time it appears.

    This is the length of the formula written out: the measure that swells.
    """
    expr = _as_expr(expr)
    counts: dict[int, int] = {}
    for node in _postorder(expr):
        counts[id(node)] = 1 + sum(counts[id(arg)] for arg in node.args)
    return counts[id(expr)]


def dag_size(expr) -> int:
    """Distinct subexpressions: the size once every repetition is shared."""
    canonical: dict[tuple, int] = {}
    number_of: dict[int, int] = {}
    for node in _postorder(_as_expr(expr)):
        if type(node) is Symbol:
            key = ("symbol", node.name)
        elif type(node) is Constant:
            key = ("constant", repr(node.value))
        else:
            key = (id(node.primitive), *(number_of[id(arg)] for arg in node.args))
        number_of[id(node)] = canonical.setdefault(key, len(canonical))
    return len(canonical)


def free_symbols(expr) -> tuple[Symbol, ...]:
    """The symbols in ``expr``, sorted by name."""
    found = {node.name: node for node in _postorder(_as_expr(expr)) if type(node) is Symbol}
    return tuple(found[name] for name in sorted(found))


def evaluate(expr, **values):
    """The expression's value with ``values`` for its symbols: ``evaluate(f, x=1.5)``.

    Numbers give a float. A `Value` or `Dual` goes through the same primitives,
    so ``evaluate(f, x=Value(1.5))`` records a graph you can call backward() on.
    """
    expr = _as_expr(expr)
    results: dict[int, object] = {}
    for node in _postorder(expr):
        if type(node) is Constant:
            results[id(node)] = node.value
        elif type(node) is Symbol:
            if node.name not in values:
                given = ", ".join(sorted(values)) or "none"
                raise NameError(
                    f"evaluate() needs a value for the symbol {node.name!r} "
                    f"(given: {given}); pass {node.name}=..."
                )
            value = values[node.name]
            results[id(node)] = float(value) if isinstance(value, Real) else value
        else:
            results[id(node)] = node.primitive(*(results[id(arg)] for arg in node.args))
    return results[id(expr)]


def to_function(expr, *variables: Symbol | str) -> Callable:
    """A Python function of ``variables`` (default: the free symbols by name)."""
    expr = _as_expr(expr)
    if not variables:
        variables = free_symbols(expr)
    names = [v.name if isinstance(v, Symbol) else Symbol(v).name for v in variables]
    if len(set(names)) != len(names):
        raise ValueError(f"to_function(): the variables {names} repeat a name")
    missing = [s.name for s in free_symbols(expr) if s.name not in names]
    if missing:
        raise ValueError(
            f"to_function(): the expression also depends on {', '.join(missing)}; "
            "list every symbol it uses"
        )

    def function(*arguments):
        if len(arguments) != len(names):
            raise TypeError(
                f"this function takes {len(names)} argument(s) ({', '.join(names)}), "
                f"got {len(arguments)}"
            )
        return evaluate(expr, **dict(zip(names, arguments)))

    function.__name__ = function.__qualname__ = "expression"
    function.__doc__ = f"({', '.join(names)}) ↦ {expr!r}"
    return function


# ---------------------------------------------------------------------------
# Printing: infix with as few parentheses as the maths needs

_INFIX = {ADD: " + ", SUB: " - ", MUL: "*", DIV: "/", MOD: " % ", POW: "**", POWC: "**"}
# % binds as * does in Python, but sits just below it here, so a product of a
# mod reads a*(b % c) rather than a*b % c, which Python would group the other way.
_PRECEDENCE = {ADD: 1, SUB: 1, MOD: 1.5, MUL: 2, DIV: 2, NEG: 3, POW: 4, POWC: 4}
_NEGATIVE = 3  # a negation, or a negative number
_ATOM = 5  # a symbol, a number, a function call


def _number_text(value: float) -> str:
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def _to_text(expr: Expr) -> str:
    texts: dict[int, tuple[str, int]] = {}
    for node in _postorder(expr):
        texts[id(node)] = _node_text(node, [texts[id(arg)] for arg in node.args])
    return texts[id(expr)][0]


def _node_text(node: Expr, arguments: list[tuple[str, int]]) -> tuple[str, int]:
    """The text of one node and its precedence, from its arguments' texts."""
    if type(node) is Symbol:
        return node.name, _ATOM
    if type(node) is Constant:
        text = _number_text(node.value)
        return text, (_NEGATIVE if text.startswith("-") else _ATOM)
    primitive = node.primitive
    if primitive is NEG:
        text, precedence = arguments[0]
        return "-" + (f"({text})" if precedence <= _NEGATIVE else text), _NEGATIVE
    if primitive in _INFIX:
        own = _PRECEDENCE[primitive]
        (left, left_precedence), (right, right_precedence) = arguments
        right_assoc = own == _PRECEDENCE[POW]
        if left_precedence < own or (right_assoc and left_precedence == own):
            left = f"({left})"
        if (
            right_precedence < own
            or (right_precedence == own and primitive in (SUB, DIV, MOD))
            or right.startswith("-")  # a + (-b), a*(-1*b), a**(-1)
        ):
            right = f"({right})"
        return left + _INFIX[primitive] + right, own
    return f"{primitive.symbol}({', '.join(text for text, _ in arguments)})", _ATOM
