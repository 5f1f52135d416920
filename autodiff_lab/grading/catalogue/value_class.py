"""Measures for `value_class`: exp, tanh, division and backward on the student's Value.

exp, tanh and division each make one node, as ``__mul__`` does: their measures
read the node's value and the local partial on its edge to each operand, so
they pass or fail independently of the student's ``backward``. The backward
measures build programs from the given ``ValueBase`` arithmetic only (+, -,
*, ** and plain numbers), so a mistake in exp or division does not cost
backward's points too. The sandbox of this exercise holds no engine at all:
no Value with a backward to import.
"""

from __future__ import annotations

import math

from ..cases import Measure, Part, WrongAnswer
from ..programs import leaf_indices, leaves_text, program_text, run_program

EXERCISE = "value_class"
ENGINE: tuple[str, ...] = ()
EXPORTS: dict[str, str] = {}


def _new_value(namespace, data):
    return namespace["Value"](data)


def _one_node(result, operands: dict[str, object], who: str) -> list[float]:
    """[result's value, the local partial on its edges to each operand], from one node."""
    if not hasattr(result, "parents") or not hasattr(result, "local_partials"):
        raise WrongAnswer(
            f"{who} should return a new Value (made with self._new(...)), "
            f"got {type(result).__name__}"
        )
    parents, partials = tuple(result.parents), tuple(result.local_partials)
    if len(parents) != len(partials):
        raise WrongAnswer(
            f"{who} made a node with {len(parents)} parent(s) but {len(partials)} local partial(s)",
            "give self._new one local partial per parent.",
        )
    values = [float(result.data)]
    for name, operand in operands.items():
        edges = [float(local) for parent, local in zip(parents, partials) if parent is operand]
        if not edges:
            raise WrongAnswer(
                f"{name} is not a parent of the node that {who} returned",
                f"{who} should make one new node whose parents are its operands, as "
                "__mul__ does: self._new(data, (self, other), (partial, partial), op).",
            )
        values.append(sum(edges))
    return values


def _exp(namespace, inputs):
    x = _new_value(namespace, inputs[0])
    return _one_node(x.exp(), {"x": x}, "x.exp()")


def _tanh(namespace, inputs):
    x = _new_value(namespace, inputs[0])
    return _one_node(x.tanh(), {"x": x}, "x.tanh()")


def _divide(namespace, inputs):
    a, b = (_new_value(namespace, number) for number in inputs)
    return _one_node(a / b, {"a": a, "b": b}, "a / b")


def _divide_by_number(namespace, inputs):
    a = _new_value(namespace, inputs[0])
    return _one_node(a / inputs[1], {"a": a}, f"a / {inputs[1]:g}")


def _number_divided_by(namespace, inputs):
    b = _new_value(namespace, inputs[1])
    result = inputs[0] / b
    return _one_node(result, {"b": b}, f"{inputs[0]:g} / b")


def _backward(namespace, inputs):
    """[output, then the grads of the watched nodes after each backward() call]."""
    program = inputs["program"]
    nodes = run_program(program, lambda x: _new_value(namespace, x), {})
    output = nodes[-1]
    watched = [nodes[index] for index in _watched(inputs)]
    seen = [output.data]
    for _ in range(inputs.get("calls", 1)):
        output.backward()
        seen += [node.grad for node in watched]
    return seen


def _watched(inputs) -> list[int]:
    return inputs.get("watch") or leaf_indices(inputs["program"])


_TIMES = ("one", "two", "three", "four")


def _backward_labels(inputs) -> list[str]:
    names = inputs.get("names") or [f"leaf {i + 1}" for i in range(len(_watched(inputs)))]
    calls = inputs.get("calls", 1)
    if calls == 1:
        return ["output", *(f"{name}.grad" for name in names)]
    return ["output", *(f"{name}.grad after {_TIMES[c]}" for c in range(calls) for name in names)]


def _backward_text(inputs) -> str:
    program, names = inputs["program"], inputs.get("names")
    if inputs.get("text"):
        text = f"{inputs['text']} at {leaves_text(program, names)}"
    else:
        text = program_text(program, names)
    calls = inputs.get("calls", 1)
    return text if calls == 1 else f"{text}, backward() {calls} times without zero_grad()"


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
    return "d(a/b)/da = 1/b and d(a/b)/db = -a/b**2."


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
_NO_SEED = "every grad is 0: add 1 to the output's own grad before the pass."
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
_SEED_ASSIGNED = (
    "backward() on a leaf set its grad to 1 instead of adding 1: a leaf's grad keeps adding "
    "up, so seed with self.grad += 1.0 (after resetting the interior nodes)."
)


def _grads(namespace, build, *inputs):
    leaves = [_new_value(namespace, x) for x in inputs]
    build(*leaves).backward()
    return [leaf.grad for leaf in leaves]


def _twice(namespace, build, x):
    leaf = _new_value(namespace, x)
    output = build(leaf)
    output.backward()
    first = leaf.grad
    output.backward()
    return first, leaf.grad


def diagnose_backward(namespace) -> str | None:
    """Name the mistake in the student's backward(), by small experiments of our own."""
    single = _grads(namespace, lambda x: x * 3.0, 2.0)[0]  # one path, local partial 3
    if math.isclose(single, 1.0):
        return _FORGOT_LOCAL
    if single == 0.0:
        return _NO_SEED
    if _grads(namespace, lambda x: (x * 3.0) * 2.0, 2.0)[0] == 0.0:
        return _WRONG_ORDER
    if not math.isclose(_grads(namespace, lambda x, y: x * y + x**2, 2.0, 3.0)[0], 7.0):
        return _ASSIGNED
    first, second = _twice(namespace, lambda x: x * 3.0, 2.0)
    if math.isclose(second, first):
        return _RESETS_LEAVES
    first, second = _twice(namespace, lambda x: (x * 3.0) ** 2, 2.0)
    if second > 2 * first + 1e-9:
        return _KEEPS_INTERIOR
    first, second = _twice(namespace, lambda x: x, 4.0)
    if math.isclose(second, first):
        return _SEED_ASSIGNED
    return None


def _general_backward_hint(actual, expected):
    if all(math.isclose(a, 2 * e, rel_tol=1e-9) for a, e in zip(actual[1:], expected[1:]) if e):
        return (
            "every grad is exactly twice too big: is each contribution added twice, or did "
            "backward() run twice without zero_grad()?"
        )
    return (
        "for each node, from the output back: parent.grad += local_partial * node.grad; "
        "a node used twice collects both contributions."
    )


def _at(names: str, inputs) -> str:
    return ", ".join(f"{name} = {value:g}" for name, value in zip(names.split(), inputs))


PARTS = [
    Part(
        "exp",
        "exp_tests",
        "exp on your Value (value and local partial)",
        ("Value",),
        {
            "exp": Measure(
                _exp,
                lambda inputs: f"x.exp() at {_at('x', inputs)}",
                lambda inputs: ("data", "d/dx"),
                hint=_exp_hint,
            )
        },
    ),
    Part(
        "tanh",
        "tanh_tests",
        "tanh on your Value, large inputs too",
        ("Value",),
        {
            "tanh": Measure(
                _tanh,
                lambda inputs: f"x.tanh() at {_at('x', inputs)}",
                lambda inputs: ("data", "d/dx"),
                hint=_tanh_hint,
                error_hints={OverflowError: _OVERFLOW_TANH},
            )
        },
    ),
    Part(
        "division",
        "division_tests",
        "a / b, a / 4 and 2 / b on your Value",
        ("Value",),
        {
            "divide": Measure(
                _divide,
                lambda inputs: f"a / b at {_at('a b', inputs)}",
                lambda inputs: ("data", "d/da", "d/db"),
                hint=_division_hint,
            ),
            "divide_by_number": Measure(
                _divide_by_number,
                lambda inputs: f"a / {inputs[1]:g} at a = {inputs[0]:g} (a plain-number divisor)",
                lambda inputs: ("data", "d/da"),
                hint=_division_hint,
            ),
            "number_divided_by": Measure(
                _number_divided_by,
                lambda inputs: f"{inputs[0]:g} / b at b = {inputs[1]:g} (a plain-number numerator)",
                lambda inputs: ("data", "d/db"),
                hint=_rdivision_hint,
                error_hints={TypeError: _RDIVISION},
            ),
        },
    ),
    Part(
        "backward",
        "backward_tests",
        "backward() on +, -, * and **, twice too",
        ("Value",),
        {
            "backward": Measure(
                _backward,
                _backward_text,
                _backward_labels,
                hint=_general_backward_hint,
                diagnose=diagnose_backward,
            )
        },
    ),
]
