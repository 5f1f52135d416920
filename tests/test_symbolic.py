"""The symbolic differentiator: right answers from the rule table, and visible swell."""

import doctest
import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autodiff_lab.symbolic as symbolic
from autodiff_lab import Dual, Value, derivative, rules
from autodiff_lab import math as m
from autodiff_lab.forward import new_tag, tangent_of
from autodiff_lab.symbolic import (
    Apply,
    Constant,
    Expr,
    Symbol,
    SymbolicComparisonError,
    dag_size,
    diff,
    evaluate,
    free_symbols,
    simplify,
    size,
    symbols,
    to_function,
    unsimplified,
)

x, y = symbols("x y")

# Every primitive as a function of x and y; POWC is x to a constant power.
CASES = [(name, primitive(x, y) if primitive.arity == 2 else primitive(x))
         for name, primitive in sorted(rules.PRIMITIVES.items())]  # fmt: skip
CASES.append(("pow-constant", x**3))


def reverse_mode_gradient(expr, at):
    """∂expr/∂x and ∂expr/∂y by Value.backward on the same expression tree."""
    leaves = {name: Value(value) for name, value in at.items()}
    out = evaluate(expr, **leaves)
    if isinstance(out, Value):
        out.backward()
    return tuple(leaves[name].grad for name in ("x", "y"))


@pytest.mark.parametrize("name, expr", CASES, ids=[name for name, _ in CASES])
@pytest.mark.parametrize("at", [{"x": 1.3, "y": 0.6}, {"x": -0.7, "y": 2.5}])
def test_every_primitive_matches_reverse_and_forward_mode(name, expr, at):
    if name in ("log", "sqrt", "pow", "log2", "log10") and at["x"] < 0:
        at = {"x": 0.7, "y": at["y"]}  # stay inside the domain
    if name in ("arcsin", "arccos", "arctanh") and abs(at["x"]) >= 1:
        at = {"x": 0.4, "y": at["y"]}
    if name == "arccosh" and at["x"] < 1:
        at = {"x": 1.7, "y": at["y"]}
    symbolic_gradient = tuple(evaluate(diff(expr, s), **at) for s in ("x", "y"))
    assert symbolic_gradient == pytest.approx(reverse_mode_gradient(expr, at), rel=1e-12)

    tag = new_tag()
    along_x = evaluate(expr, x=Dual(at["x"], 1.0, tag=tag), y=at["y"])
    assert symbolic_gradient[0] == pytest.approx(tangent_of(along_x, tag), rel=1e-12)


def test_sin_of_x_squared_at_one_and_a_half():
    derivative = diff(m.sin(x**2), x)
    assert str(derivative) == "cos(x**2)*2*x"
    assert evaluate(derivative, x=1.5) == pytest.approx(-1.8845208681682175, rel=1e-12)
    assert evaluate(derivative, x=1.5) == pytest.approx(2 * 1.5 * math.cos(1.5**2))


def test_unsimplified_derivative_shows_what_the_chain_rule_writes():
    raw = diff(m.sin(x**2), x, simplify=False)
    assert str(raw) == "cos(x**2)*(2*x**(2 - 1)*1 + 0*0)"
    assert evaluate(raw, x=1.5) == evaluate(diff(m.sin(x**2), x), x=1.5)
    assert str(simplify(raw)) == "cos(x**2)*2*x"
    assert size(simplify(raw)) < size(raw)


def test_textbook_derivatives():
    assert str(diff(x * y, x)) == "y"
    assert str(diff(x**y, y)) == "x**y*log(x)"
    assert str(diff(m.exp(x), x)) == "exp(x)"
    assert str(diff(m.tanh(x), x)) == "1 - tanh(x)*tanh(x)"
    assert str(diff(m.sin(x) * m.cos(x), x)) == "cos(x)*cos(x) - sin(x)*sin(x)"
    assert str(diff(diff(m.sin(x), x), x)) == "-sin(x)"
    assert str(diff(m.abs(x), x)) == "abs'(x)"  # the sign, read from the table at evaluation
    assert evaluate(diff(m.abs(x), x), x=-2.0) == -1.0
    assert evaluate(diff(m.relu(x), x), x=3.0) == 1.0
    assert diff(7, x) == 0 and diff(y, "x") == 0


def test_second_derivative_of_abs_and_relu_is_zero_like_the_engine():
    assert evaluate(diff(diff(m.abs(x) * x, x), x), x=-1.5) == -2.0
    assert evaluate(diff(diff(m.relu(x), x), x), x=1.0) == 0.0


def test_pow_at_zero_base_follows_the_table():
    # ∂(0**y)/∂y: the table says 0 where the base is 0 and y >= 0, and
    # 0**y · log 0 = -inf for y < 0 (as PyTorch does); a formula cannot branch,
    # so the derivative asks the table.
    derivative = diff(Constant(0) ** y, y)
    assert evaluate(derivative, y=2.0) == 0
    assert evaluate(derivative, y=-1.0) == -math.inf
    assert str(diff(x**0, x)) == "0"


# ---------------------------------------------------------------------------
# Expression swell


def product_of_factors(n):
    """x·(x+1)·(x+2)·…·(x+n-1)."""
    product = x
    for k in range(1, n):
        product = product * (x + k)
    return product


def logistic_map(n):
    """n steps of v ← 4·v·(1 - v), starting from x."""
    v = x
    for _ in range(n):
        v = 4 * v * (1 - v)
    return v


def test_swell_of_a_product():
    sizes = {}
    for n in (4, 8, 16, 32):
        f = product_of_factors(n)
        df = diff(f, x)
        sizes[n] = (size(f), size(df), dag_size(df))
        # the formula grows linearly (only the leaf x repeats)
        assert size(f) == 4 * n - 3 and dag_size(f) == 3 * n - 2
        # written out, the derivative grows quadratically: n terms of n - 1 factors
        assert size(df) > n * (n - 1)
        # shared, it stays linear
        assert dag_size(df) < 6 * n
    assert sizes[32][1] / sizes[32][0] > 3 * sizes[8][1] / sizes[8][0]
    # and the derivative is right: d/dx ∏(x + k) = Σ_j ∏_{k≠j} (x + k)
    n, at = 6, 0.3
    expected = sum(math.prod(at + k for k in range(n) if k != j) for j in range(n))
    assert evaluate(diff(product_of_factors(n), x), x=at) == pytest.approx(expected)


def test_swell_of_the_logistic_map():
    previous_tree, previous_dag = None, None
    for n in range(1, 11):
        f = logistic_map(n)
        df = diff(f, x)
        # each step uses v twice: the tree doubles while the shared graph grows by a constant
        assert dag_size(f) == 3 * n + 3
        assert dag_size(df) <= 8 * n
        if previous_tree is not None:
            assert size(df) > 2 * previous_tree
            assert dag_size(df) - previous_dag <= 8
        previous_tree, previous_dag = size(df), dag_size(df)
    assert size(logistic_map(10)) > 100 * dag_size(logistic_map(10))


def test_unsimplified_swell_is_larger_still():
    f = product_of_factors(8)
    assert size(diff(f, x, simplify=False)) > size(diff(f, x))
    assert evaluate(diff(f, x, simplify=False), x=0.5) == pytest.approx(evaluate(diff(f, x), x=0.5))


def test_repr_of_a_swollen_expression_stays_short():
    huge = diff(logistic_map(12), x)
    text = repr(huge)
    assert text.startswith("<expression of ") and f"({dag_size(huge)} distinct)" in text
    assert len(text) < 100
    assert repr(x + 1) == "x + 1"


# ---------------------------------------------------------------------------
# Agreement with reverse and forward mode on random expressions

UNARY = [rules.NEG, rules.EXP, rules.LOG, rules.SQRT, rules.ABS, rules.TANH, rules.SIGMOID,
         rules.RELU, rules.SIN, rules.COS]  # fmt: skip
BINARY = [rules.ADD, rules.SUB, rules.MUL, rules.DIV, rules.POW]

leaves = st.one_of(
    st.sampled_from([x, y]),
    st.integers(-3, 3).map(Constant),
    st.sampled_from([0.5, -1.5, 2.25]).map(Constant),
)


def extend(children):
    return st.one_of(
        st.builds(lambda p, a: p(a), st.sampled_from(UNARY), children),
        st.builds(lambda p, a, b: p(a, b), st.sampled_from(BINARY), children, children),
        st.builds(lambda a, n: a**n, children, st.integers(-2, 3)),
    )


expressions = st.recursive(leaves, extend, max_leaves=8)
points = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


def finite(*numbers):
    return all(math.isfinite(n) and abs(n) < 1e8 for n in numbers)


def zero_base_of_a_power(expr, at):
    """Whether some a**b in expr has a == 0 at the point.

    There the table special-cases the partials (∂/∂b of 0**b is taken as 0, as
    in PyTorch); "a == 0" cannot be decided for a symbolic a, so the symbolic
    derivative keeps the general formula, which is nan at that single point.
    """
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Apply):
            if node.primitive is rules.POW and evaluate(node.args[0], **at) == 0:
                return True
            stack.extend(node.args)
    return False


@given(expr=expressions, x0=points, y0=points)
def test_symbolic_derivative_equals_reverse_mode(expr, x0, y0):
    at = {"x": x0, "y": y0}
    value = evaluate(expr, **at)
    expected = reverse_mode_gradient(expr, at)
    assume(finite(value, *expected))
    assume(not zero_base_of_a_power(expr, at))
    got = tuple(evaluate(diff(expr, name), **at) for name in ("x", "y"))
    assert got == pytest.approx(expected, rel=1e-7, abs=1e-7)


@given(expr=expressions, x0=points, y0=points)
def test_unsimplified_derivative_is_forward_mode_exactly(expr, x0, y0):
    # The raw chain rule does the same float operations as a Dual, in the same order.
    tag = new_tag()
    out = evaluate(expr, x=Dual(x0, 1.0, tag=tag), y=y0)
    expected = tangent_of(out, tag)
    value = evaluate(expr, x=x0, y=y0)
    assume(finite(value, expected))
    raw = diff(expr, x, simplify=False)
    got = evaluate(raw, x=x0, y=y0)
    assume(math.isfinite(got))  # 0·inf terms a Dual skips can make the raw sum nan
    assert got == expected
    assert evaluate(simplify(raw), x=x0, y=y0) == pytest.approx(expected, rel=1e-7, abs=1e-7)


@given(expr=expressions, x0=points, y0=points)
def test_simplify_keeps_the_value_and_never_grows(expr, x0, y0):
    with unsimplified():
        raw = diff(expr, x)
    assert raw == diff(expr, x, simplify=False)
    simpler = simplify(raw)
    assert size(simpler) <= size(raw)
    a, b = evaluate(raw, x=x0, y=y0), evaluate(simpler, x=x0, y=y0)
    assume(finite(a))
    assert b == pytest.approx(a, rel=1e-7, abs=1e-7)


# ---------------------------------------------------------------------------
# Building, printing, evaluating


def test_primitives_build_expressions_through_the_carrier_table():
    node = rules.EXP(x)
    assert isinstance(node, Apply) and node.primitive is rules.EXP and node.args == (x,)
    assert isinstance(m.sin(x + 1), Expr)
    assert isinstance(x * 2.5, Apply)
    assert (x**2).primitive is rules.POWC
    assert (x**y).primitive is rules.POW
    assert (2**x).primitive is rules.POW


def test_a_value_holding_an_expression_records_symbolic_partials():
    node = Value(x) * Value(y)
    assert node.data == x * y
    assert node.local_partials == (y, x)


def test_forward_and_reverse_mode_on_symbols_write_the_same_formula():
    # A Dual or a Value holding expressions pushes symbols through the same table.
    f = lambda t: m.sin(t**2) * t  # noqa: E731
    by_diff = diff(f(x), x)
    assert derivative(f, x) == by_diff
    leaf = Value(x)
    f(leaf).backward()
    assert evaluate(leaf.grad, x=0.9) == pytest.approx(evaluate(by_diff, x=0.9))


def test_simplification_while_building():
    assert x + 0 is x and 0 + x is x and x * 1 is x and 1 * x is x
    assert x * 0 == 0 and 0 / x == 0 and x / 1 is x and x**1 is x and x**0 == 1
    assert str(x * 2) == "2*x"
    assert str(2 * (3 * x)) == "6*x"
    negative = -x
    assert -negative is x
    assert str(x + (-y)) == "x - y" and str(x - (-y)) == "x + y"
    assert Constant(2) * 3 + 1 == 7
    assert str(m.log(Constant(2))) == "log(2)"  # not folded to 0.693147
    assert m.exp(Constant(0)) == 1
    with unsimplified():
        raw = x * 1 + 0
    assert str(raw) == "x*1 + 0"
    assert str(simplify(raw)) == "x"


@pytest.mark.parametrize(
    "build, text",
    [
        (lambda: x - (y - x), "x - (y - x)"),
        (lambda: (x - y) - x, "x - y - x"),
        (lambda: x / (y * x), "x/(y*x)"),
        (lambda: (x + y) * y, "(x + y)*y"),
        (lambda: x * (x + y), "x*(x + y)"),
        (lambda: (x**y) ** x, "(x**y)**x"),
        (lambda: x ** (y**x), "x**y**x"),
        (lambda: (-x) ** 2, "(-x)**2"),
        (lambda: -(x**2), "-x**2"),
        (lambda: -(x + y), "-(x + y)"),
        (lambda: x**-1, "x**(-1)"),
        (lambda: 2 ** (-x), "2**(-x)"),
        (lambda: x + 0.25, "x + 0.25"),
        (lambda: m.sigmoid(x * y) / 3, "sigmoid(x*y)/3"),
    ],
)
def test_printing_uses_minimal_parentheses(build, text):
    assert str(build()) == text


def test_printed_text_evaluates_to_the_same_number():
    expr = x - (y - x) * (x + y) ** 2 / (x * y) ** (x - 1)
    text = str(expr).replace("**", "^").replace("^", "**")
    assert eval(text, {"x": 1.7, "y": 0.4}) == pytest.approx(evaluate(expr, x=1.7, y=0.4))


def test_evaluate_and_to_function():
    f = x**2 * y + m.exp(y)
    assert evaluate(f, x=3, y=0.0) == 1.0
    g = to_function(f, y, "x")
    assert g(1.0, 2.0) == pytest.approx(4 + math.e)
    assert to_function(f)(2.0, 1.0) == pytest.approx(4 + math.e)  # free symbols by name
    with pytest.raises(NameError, match="needs a value for the symbol 'y'"):
        evaluate(f, x=1.0)
    with pytest.raises(ValueError, match="also depends on y"):
        to_function(f, x)
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(y, x\), got 1"):
        g(1.0)


def test_evaluating_on_values_gives_a_graph():
    f = m.sin(x) * x
    xv = Value(0.8)
    out = to_function(f)(xv)
    out.backward()
    assert xv.grad == pytest.approx(evaluate(diff(f, x), x=0.8))


def test_symbols_and_free_symbols():
    assert symbols("a") == Symbol("a")
    a, b, c = symbols("a, b c")
    assert (a.name, b.name, c.name) == ("a", "b", "c")
    assert free_symbols(c * a + b * a) == (a, b, c)
    with pytest.raises(ValueError, match="identifier"):
        symbols("x 2y")
    with pytest.raises(ValueError, match="at least one name"):
        symbols("  ")


def test_structural_equality_and_sizes():
    first = m.sin(x) * m.sin(x)
    second = m.sin(x) * m.sin(x)
    assert first == second and hash(first) == hash(second)
    assert first != m.sin(x) * m.cos(x)
    assert len({first, second}) == 1
    assert size(first) == 5  # mul, sin, x, sin, x
    assert dag_size(first) == 3  # mul, sin(x), x
    assert size(x) == 1 and size(3) == 1
    assert Constant(2) == 2 and x != 2


def test_expressions_are_immutable():
    with pytest.raises(AttributeError, match="immutable"):
        x.name = "z"
    with pytest.raises(AttributeError, match="immutable"):
        (x + y).args = ()


def test_comparisons_need_numbers():
    assert Constant(2) > 1 and Constant(-1) < Constant(0)
    with pytest.raises(SymbolicComparisonError, match="cannot decide whether x > 0"):
        x > 0  # noqa: B015
    with pytest.raises(TypeError, match=r"add\(\) needs a number"):
        x + "one"


def test_module_doctest():
    failures, _ = doctest.testmod(symbolic)
    assert failures == 0
