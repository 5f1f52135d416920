"""Checks for the `value_class` exercise: exp, tanh, division and backward on the student's Value.

The exp, tanh and division checks read the student's nodes (their
``parents`` and ``local_partials``) with a walk of our own, so they pass or
fail independently of the student's ``backward``.
"""

from __future__ import annotations

import math

from ..cases import Case, Part, Probe, WrongAnswer
from ..programs import chain, leaf_indices, random_program, run_program

EXERCISE = "value_class"


def _new_value(namespace, data):
    return namespace["Value"](data)


def _require_node(result, who: str):
    if not hasattr(result, "parents") or not hasattr(result, "local_partials"):
        raise WrongAnswer(
            f"{who} should return a new Value (made with self._new(...)), "
            f"got {type(result).__name__}"
        )
    return result


def walked_gradients(output, leaves) -> list[float]:
    """d output / d leaf for each leaf, by our own walk over parents and local_partials."""
    order, visited, stack = [], set(), [(output, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        parents, partials = tuple(node.parents), tuple(node.local_partials)
        if len(parents) != len(partials):
            raise WrongAnswer(
                f"a node with op {getattr(node, 'op', '?')!r} has {len(parents)} parent(s) but "
                f"{len(partials)} local partial(s); give self._new one local partial per parent"
            )
        stack.append((node, True))
        stack.extend((parent, False) for parent in parents if id(parent) not in visited)
    adjoints = {id(output): 1.0}
    for node in reversed(order):
        upstream = adjoints.get(id(node), 0.0)
        for parent, local in zip(node.parents, node.local_partials):
            adjoints[id(parent)] = adjoints.get(id(parent), 0.0) + upstream * float(local)
    return [adjoints.get(id(leaf), 0.0) for leaf in leaves]


# -- what each check measures --------------------------------------------------------------


def exp_at(namespace, x: float) -> tuple[float, float]:
    value = _new_value(namespace, x)
    result = _require_node(value.exp(), "x.exp()")
    return result.data, walked_gradients(result, [value])[0]


def tanh_at(namespace, x: float) -> tuple[float, float]:
    value = _new_value(namespace, x)
    result = _require_node(value.tanh(), "x.tanh()")
    return result.data, walked_gradients(result, [value])[0]


def divide(namespace, a: float, b: float) -> tuple[float, float, float]:
    numerator, denominator = _new_value(namespace, a), _new_value(namespace, b)
    result = _require_node(numerator / denominator, "a / b")
    return (result.data, *walked_gradients(result, [numerator, denominator]))


def divide_by_number(namespace, a: float, b: float) -> tuple[float, float]:
    numerator = _new_value(namespace, a)
    result = _require_node(numerator / b, f"a / {b:g}")
    return result.data, walked_gradients(result, [numerator])[0]


def number_divided_by(namespace, a: float, b: float) -> tuple[float, float]:
    denominator = _new_value(namespace, b)
    result = _require_node(a / denominator, f"{a:g} / b")
    return result.data, walked_gradients(result, [denominator])[0]


def backward_grads(namespace, build, *inputs: float) -> list[float]:
    """Run the student's backward() on ``build(*leaves)``; the leaves' grads."""
    leaves = [_new_value(namespace, x) for x in inputs]
    build(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def backward_twice(namespace, build, x: float) -> tuple[float, float]:
    """x.grad after one and after two backward() calls on ``build(x)``, without zero_grad()."""
    leaf = _new_value(namespace, x)
    output = build(leaf)
    output.backward()
    first = leaf.grad
    output.backward()
    return first, leaf.grad


def interior_grad_twice(namespace, x: float) -> tuple[float, float]:
    """t.grad for t = 3x in y = t ** 2, after one and after two backward() calls."""
    leaf = _new_value(namespace, x)
    interior = leaf * 3.0
    output = interior**2
    output.backward()
    first = interior.grad
    output.backward()
    return first, interior.grad


# -- hints ---------------------------------------------------------------------------------

_OVERFLOW_TANH = (
    "tanh(x) = (e^2x - 1)/(e^2x + 1) is fine on paper, but math.exp(2x) overflows for x "
    "above about 355. Use math.tanh(x), or a form that only takes exp of -2|x|."
)


def _tanh_hint(actual, expected):
    data, local = actual
    if math.isnan(data) or math.isnan(local):
        return "inf / inf gave nan: for large x, use math.tanh(x) rather than a ratio of exps."
    if not math.isclose(data, expected[0], rel_tol=1e-9, abs_tol=1e-12):
        return "the forward value is off: compare your formula with math.tanh."
    if math.isclose(local, 1 - expected[0], abs_tol=1e-9):
        return "the local partial is 1 - tanh(x)**2: the tanh is squared."
    return "the local partial of tanh is 1 - tanh(x)**2; reuse the value you just computed."


def _exp_hint(actual, expected):
    if not math.isclose(actual[0], expected[0], rel_tol=1e-9):
        return "the forward value is e ** x, that is math.exp(x.data)."
    return "the local partial of e^x is e^x itself: pass the output's data as the partial."


_DIVISION_SIGN = (
    "d(a/b)/db = -a/b**2: check the minus sign in __truediv__ "
    "(2 / b goes through __truediv__ too, once __rtruediv__ has made 2 a Value)."
)


def _division_hint(actual, expected):
    if len(actual) == 3 and math.isclose(actual[2], -expected[2], rel_tol=1e-9):
        return _DIVISION_SIGN
    if len(actual) == 3 and math.isclose(actual[1], expected[2], rel_tol=1e-9):
        return "the two partials are swapped: d(a/b)/da = 1/b and d(a/b)/db = -a/b**2."
    return "d(a/b)/da = 1/b and d(a/b)/db = -a/b**2 (or write a / b as a * b**-1)."


_RDIVISION = "2 / b calls b.__rtruediv__(2): turn 2 into a Value, then divide it by self."


def _rdivision_hint(actual, expected):
    data, slope = actual
    if math.isclose(data, expected[0], rel_tol=1e-9) and math.isclose(
        slope, -expected[1], rel_tol=1e-9
    ):
        return _DIVISION_SIGN  # the value is right, so __rtruediv__ works: the sign is wrong
    if math.isclose(data, 1 / expected[0], rel_tol=1e-9):
        return (
            "2 / b came out as b / 2: b.__rtruediv__(2) must compute other / self, "
            "with other = 2 on top."
        )
    return _RDIVISION


# What each way of getting backward() wrong does, found by experiments on the student's Value.
_FORGOT_LOCAL = (
    "every grad is 1 (2 for a node used twice): backward() passed node.grad on without "
    "the local partial. Multiply by it on each edge: parent.grad += local * node.grad."
)
_NO_SEED = "every grad is 0: set the output's own grad to 1.0 before the pass."
_WRONG_ORDER = (
    "grads stop one step from the output (every grad further back is 0): visit the nodes "
    "in reversed(self.topological_order()), so each node's grad is complete before it is "
    "passed on to its parents."
)
_ASSIGNED = (
    "x feeds two operations (x*y and x**2), and x.grad kept only one of them: "
    "accumulate with parent.grad += ..., never parent.grad = ..."
)
_RESETS_LEAVES = (
    "the second backward() gave the same x.grad instead of adding to it: your backward() "
    "sets every grad to 0 first, as lesson 08's does. Reset only interior nodes (those with "
    "parents); leaves keep adding up until zero_grad(), as in PyTorch."
)
_KEEPS_INTERIOR = (
    "the second backward() counted the first one twice: the interior node 3x kept its "
    "grad from the first call and passed it on again (micrograd has this bug). Before the "
    "pass, set grad = 0 on every node with parents; only leaves keep adding up."
)


def diagnose_backward(namespace) -> str | None:
    """Name the mistake in the student's backward(), by small experiments of our own."""

    def grads(build, *inputs):
        return backward_grads(namespace, build, *inputs)

    single = grads(lambda x: x * 3.0, 2.0)[0]  # one path, local partial 3
    if math.isclose(single, 1.0):
        return _FORGOT_LOCAL
    if single == 0.0:
        return _NO_SEED
    if grads(lambda x: (x * 3.0) * 2.0, 2.0)[0] == 0.0:
        return _WRONG_ORDER
    if not math.isclose(grads(lambda x, y: x * y + x**2, 2.0, 3.0)[0], 7.0):
        return _ASSIGNED
    first, second = backward_twice(namespace, lambda x: x * 3.0, 2.0)
    if math.isclose(second, first):
        return _RESETS_LEAVES
    first, second = backward_twice(namespace, lambda x: (x * 3.0) ** 2, 2.0)
    if second > 2 * first + 1e-9:
        return _KEEPS_INTERIOR
    return None


def _general_backward_hint(actual, expected):
    if all(math.isclose(a, 2 * e, rel_tol=1e-9) for a, e in zip(actual, expected) if e):
        return (
            "every grad is exactly twice too big: is each contribution added twice, or did "
            "backward() run twice without zero_grad()?"
        )
    return (
        "for each node, from the output back: parent.grad += local_partial * node.grad; "
        "a node used twice collects both contributions."
    )


# -- the catalogue -------------------------------------------------------------------------


def _exp_cases():
    return [
        Case(
            f"x.exp() at x = {x:g}",
            lambda ns, x=x: exp_at(ns, x),
            (math.exp(x), math.exp(x)),
            ("data", "d/dx"),
            hint=_exp_hint,
        )
        for x in (1.0, -2.0, 0.0)
    ]


def _tanh_cases():
    return [
        Case(
            f"x.tanh() at x = {x:g}",
            lambda ns, x=x: tanh_at(ns, x),
            (math.tanh(x), 1 - math.tanh(x) ** 2),
            ("data", "d/dx"),
            hint=_tanh_hint,
            error_hints={OverflowError: _OVERFLOW_TANH},
        )
        for x in (0.5, -2.0, 0.0, 1000.0)
    ]


def _division_cases():
    return [
        Case(
            "a / b at a = 3, b = 2",
            lambda ns: divide(ns, 3.0, 2.0),
            (1.5, 0.5, -0.75),
            ("data", "d/da", "d/db"),
            hint=_division_hint,
        ),
        Case(
            "a / 4 at a = 3 (a plain-number divisor)",
            lambda ns: divide_by_number(ns, 3.0, 4.0),
            (0.75, 0.25),
            ("data", "d/da"),
            hint=_division_hint,
        ),
        Case(
            "2 / b at b = 4 (a plain-number numerator)",
            lambda ns: number_divided_by(ns, 2.0, 4.0),
            (0.5, -0.125),
            ("data", "d/db"),
            hint=_rdivision_hint,
            error_hints={TypeError: _RDIVISION},
        ),
    ]


def _backward_case(description, run, expected, labels):
    return Case(
        description,
        run,
        expected,
        labels,
        hint=_general_backward_hint,
        diagnose=diagnose_backward,
    )


def _backward_cases():
    return [
        _backward_case(
            "c = a * b at a = 1, b = 0",
            lambda ns: backward_grads(ns, lambda a, b: a * b, 1.0, 0.0),
            (0.0, 1.0),
            ("a.grad", "b.grad"),
        ),
        _backward_case(
            "d = a * (b + c) at a = 2.2, b = -1.8, c = 0.1",
            lambda ns: backward_grads(ns, lambda a, b, c: a * (b + c), 2.2, -1.8, 0.1),
            (-1.7, 2.2, 2.2),
            ("a.grad", "b.grad", "c.grad"),
        ),
        _backward_case(
            "z = x * y + x ** 2 at x = 2, y = 3 (x is used twice)",
            lambda ns: backward_grads(ns, lambda x, y: x * y + x**2, 2.0, 3.0),
            (7.0, 2.0),
            ("x.grad", "y.grad"),
        ),
        _backward_case(
            "y = x ** 2 at x = 2, backward() twice without zero_grad()",
            lambda ns: backward_twice(ns, lambda x: x**2, 2.0),
            (4.0, 8.0),
            ("x.grad after one", "x.grad after two"),
        ),
        _backward_case(
            "y = (3 * x) ** 2 at x = 2, backward() twice (3x is an interior node)",
            lambda ns: backward_twice(ns, lambda x: (x * 3.0) ** 2, 2.0),
            (36.0, 72.0),
            ("x.grad after one", "x.grad after two"),
        ),
        _backward_case(
            "t = 3 * x in y = t ** 2 at x = 2: t.grad after each backward()",
            lambda ns: interior_grad_twice(ns, 2.0),
            (12.0, 12.0),
            ("t.grad after one", "t.grad after two"),
        ),
    ]


PARTS = [
    Part("exp", EXERCISE, "exp on your Value (value and local partial)", ("Value",), _exp_cases),
    Part("tanh", EXERCISE, "tanh on your Value, large inputs too", ("Value",), _tanh_cases),
    Part("division", EXERCISE, "a / b, a / 4 and 2 / b on your Value", ("Value",), _division_cases),
    Part(
        "backward",
        EXERCISE,
        "backward() on +, * and **, twice too",
        ("Value",),
        _backward_cases,
    ),
]


# -- grader-side probes: random programs, answers computed outside the kernel -------------

_STUDENT_OPS = {"exp": lambda node: node.exp(), "tanh": lambda node: node.tanh()}


def program_at(namespace, program, use_backward: bool = False) -> list[float]:
    """[output, d output/d leaf, ...] of a random program built from the student's Value.

    The gradients come from our own walk over the student's nodes, or from the
    student's ``backward()`` with ``use_backward``.
    """
    nodes = run_program(program, lambda x: _new_value(namespace, x), _STUDENT_OPS)
    output = _require_node(nodes[-1], "the program's output")
    leaves = [nodes[index] for index in leaf_indices(program)]
    if not use_backward:
        return [output.data, *walked_gradients(output, leaves)]
    output.backward()
    return [output.data, *(leaf.grad for leaf in leaves)]


def _signed_large(rng) -> float:
    return rng.choice((-1.0, 1.0)) * rng.uniform(400.0, 5000.0)


def _leaves(rng, count: int = 2) -> list[float]:
    return [rng.uniform(-2.0, 2.0) for _ in range(count)]


_ARITHMETIC = ("add", "mul", "sub", "addc", "mulc", "neg")


def _programs(rng, operations, must_use, count: int = 2, length: int = 6) -> list:
    return [random_program(rng, operations, _leaves(rng), length, must_use) for _ in range(count)]


def _backward_inputs(rng) -> dict:
    programs = _programs(rng, (*_ARITHMETIC, "pow"), ("mul", "add"), length=9)
    factor = 1.0 + rng.uniform(-1e-4, 1e-4)
    deep = [
        ["leaf", rng.uniform(-1.0, 1.0)],
        chain(0, factor, rng.uniform(-0.01, 0.01), rng.randint(2500, 3500)),
    ]
    return {"programs": [*programs, deep]}


PROBES = [
    Probe(
        "exp_tests",
        lambda rng: {"programs": _programs(rng, (*_ARITHMETIC, "exp"), ("exp",))},
        lambda ns, inputs: [program_at(ns, program) for program in inputs["programs"]],
    ),
    Probe(
        "tanh_tests",
        lambda rng: {
            "program": random_program(rng, (*_ARITHMETIC, "tanh"), _leaves(rng), 6, ("tanh",)),
            "large": [_signed_large(rng) for _ in range(2)],
        },
        lambda ns, inputs: (
            [program_at(ns, inputs["program"])] + [tanh_at(ns, x) for x in inputs["large"]]
        ),
    ),
    Probe(
        "division_tests",
        lambda rng: {
            "programs": _programs(
                rng, (*_ARITHMETIC, "div", "divc", "rdiv"), ("div", "divc", "rdiv")
            )
        },
        lambda ns, inputs: [program_at(ns, program) for program in inputs["programs"]],
    ),
    Probe(
        "backward_tests",
        _backward_inputs,
        lambda ns, inputs: [
            program_at(ns, program, use_backward=True) for program in inputs["programs"]
        ],
    ),
]
