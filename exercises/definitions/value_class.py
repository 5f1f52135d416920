"""Exercise 3: finish a small reverse-mode Value class (exp, tanh, division, backward)."""

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.programs import chain
from autodiff_lab.grading.referee.value_class import program_case

NAME = "value_class"
AFTER_LESSON = 8  # the lesson it practises; its number follows lesson order

INTRO = """
# Exercise 3: a Value class of your own

*After lesson 8,
[Building the engine](../../notebooks/08_building_the_engine.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

A `Value` holds a number and remembers how it was made: its **parents** and,
for each parent, the **local partial derivative** of the node with respect to
that parent, computed when the node is created. `backward()` then walks the
graph from the output back to the inputs and multiplies these local partials
along every path (the chain rule).

The cell below gives you `ValueBase` with `+`, `*`, `**` (plain-number
exponents) and `relu`. Read one method, say `__mul__`: it makes the new node
with `self._new(data, parents, local_partials, op)`. Your `Value` adds four
things in the same style:

1. `exp()`: the value e^x and its local partial;
2. `tanh()`: the same for tanh, and it must work for large inputs such as
   x = 1000 (a ratio of exponentials overflows there);
3. division, `a / b`, also with a plain number on either side (`a / 4`, `2 / b`);

   each of these makes **one** new node whose parents are its operands, as
   `__mul__` does;
4. `backward()`: for each node, from the output back to the leaves, add
   `local partial × node.grad` into each parent's `grad`. Use
   `self.topological_order()` (parents come before children). The leaves' grads
   keep adding up from one `backward()` to the next until `zero_grad()`, as in
   PyTorch. An interior node (one with parents) holds only this pass's gradient
   (PyTorch keeps none by default): set those to 0 before the pass, then add 1 to
   the output's grad.

After each part run its check, for example `check("tanh")`: it tells you what
it tried, what it expected and what it got.
"""

GIVEN = '''
import math

from autodiff_lab.grading import check


class ValueBase:
    """A number that remembers its parents and the local partial on each edge to them."""

    def __init__(self, data, parents=(), local_partials=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local_partials = tuple(local_partials)
        self.op = op

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def _new(self, data, parents, local_partials, op):
        """A new node of the same class as self, so your subclass's methods work on it."""
        return type(self)(data, parents, local_partials, op)

    def _lift(self, other):
        """A plain number becomes a leaf node, so it can take part in the graph."""
        return other if isinstance(other, ValueBase) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        return self._new(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = self._lift(other)
        return self._new(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, exponent):
        """self ** exponent, for a plain-number exponent such as 2 or -1."""
        if isinstance(exponent, ValueBase):
            raise TypeError("this Value supports plain-number exponents only, as in x ** 2")
        local = exponent * self.data ** (exponent - 1)
        return self._new(self.data**exponent, (self,), (local,), f"**{exponent}")

    def relu(self):
        local = 1.0 if self.data > 0 else 0.0
        return self._new(max(self.data, 0.0), (self,), (local,), "relu")

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    __radd__ = __add__
    __rmul__ = __mul__

    def topological_order(self):
        """Every node self depends on (and self), each after all of its parents."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:  # a loop with a stack, not recursion: long chains are fine
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        return order

    def zero_grad(self):
        """Set grad to 0 on self and every node it depends on."""
        for node in self.topological_order():
            node.grad = 0.0
'''

ANSWER = '''
class Value(ValueBase):
    """ValueBase plus exp, tanh, division and backward: your part."""

    def exp(self):
        """e ** self; its local partial is d(e^x)/dx = e^x."""
        ### BEGIN SOLUTION
        out = math.exp(self.data)
        return self._new(out, (self,), (out,), "exp")
        ### END SOLUTION

    def tanh(self):
        """tanh(self), for any input (x = 1000 too); local partial 1 - tanh(x)**2."""
        ### BEGIN SOLUTION
        out = math.tanh(self.data)
        return self._new(out, (self,), (1.0 - out * out,), "tanh")
        ### END SOLUTION

    def __truediv__(self, other):
        """self / other, where other is a Value or a plain number."""
        ### BEGIN SOLUTION
        other = self._lift(other)
        partials = (1.0 / other.data, -self.data / other.data**2)
        return self._new(self.data / other.data, (self, other), partials, "/")
        ### END SOLUTION

    def __rtruediv__(self, other):
        """other / self, for a plain number other (as in 2 / b)."""
        ### BEGIN SOLUTION
        return self._lift(other) / self
        ### END SOLUTION

    def backward(self):
        """Add d(self)/d(leaf) into every leaf's grad; interior nodes get this pass's alone."""
        ### BEGIN SOLUTION
        order = self.topological_order()
        for node in order:
            if node.parents:  # interior: this pass only, or an earlier pass counts twice
                node.grad = 0.0
        self.grad += 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_partials):
                parent.grad += local * node.grad
        ### END SOLUTION
'''


# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "exp": [("exp", [1.0]), ("exp", [-2.0]), ("exp", [0.0])],
    "tanh": [("tanh", [0.5]), ("tanh", [-2.0]), ("tanh", [0.0]), ("tanh", [1000.0])],
    "division": [
        ("divide", [3.0, 2.0]),
        ("divide_by_number", [3.0, 4.0]),
        ("number_divided_by", [2.0, 4.0]),
    ],
    "backward": [
        program_case([["leaf", 1.0], ["leaf", 0.0], ["mul", 0, 1]], names="ab", text="a * b"),
        program_case(
            [["leaf", 2.2], ["leaf", -1.8], ["leaf", 0.1], ["add", 1, 2], ["mul", 0, 3]],
            names="abc",
            text="a * (b + c)",
        ),
        program_case(
            [["leaf", 2.0], ["leaf", 3.0], ["mul", 0, 1], ["pow", 0, 2], ["add", 2, 3]],
            names="xy",
            text="x * y + x ** 2 (x is used twice)",
        ),
        program_case([["leaf", 2.0], ["rsub", 5.0, 0]], names="x", text="5 - x"),
        program_case([["leaf", 2.0], ["pow", 0, 2]], names="x", text="x ** 2", calls=2),
        program_case(
            [["leaf", 2.0], ["mulc", 0, 3.0], ["pow", 1, 2]],
            names="xt",
            text="(3 * x) ** 2 with t = 3 * x an interior node",
            calls=2,
            watch=[0, 1],
        ),
        program_case([["leaf", 4.0]], names="x", text="backward() on a leaf x", calls=2),
        program_case(
            [["leaf", 0.5], chain(0, 1.0, 0.0, 3000)],
            names="x",
            text="a chain of 6000 operations (deeper than Python's recursion limit)",
        ),
    ],
}


_RESET = """        for node in order:
            if node.parents:  # interior: this pass only, or an earlier pass counts twice
                node.grad = 0.0
        self.grad += 1.0"""
_RESET_ALL = """        for node in order:
            node.grad = 0.0
        self.grad = 1.0"""
_RECURSIVE_ORDER = """        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(self)"""

# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
MISTAKES = {
    "exp: local partial 1": Mistake(
        {"value_answer": [('(out,), "exp"', '(1.0,), "exp"')]},
        ("exp",),
        ("the local partial of e^x is e^x itself",),
    ),
    "tanh: a ratio of exponentials": Mistake(
        {
            "value_answer": [
                (
                    "out = math.tanh(self.data)",
                    "e = math.exp(2 * self.data)\n        out = (e - 1) / (e + 1)",
                )
            ]
        },
        ("tanh",),
        ("OverflowError", "math.tanh", "line"),
    ),
    "tanh: partial not squared": Mistake(
        {"value_answer": [("(1.0 - out * out,)", "(1.0 - out,)")]},
        ("tanh",),
        ("the tanh is squared",),
    ),
    "division: the sign of d/db": Mistake(
        {"value_answer": [("-self.data / other.data**2", "self.data / other.data**2")]},
        ("division",),
        ("d/db = -0.75", "d/db = 0.75", "minus sign in __truediv__"),
    ),
    "division: 2 / b computed as b / 2": Mistake(
        {"value_answer": [("return self._lift(other) / self", "return self / self._lift(other)")]},
        ("division",),
        ("2 / b came out as b / 2",),
    ),
    "backward: = instead of +=": Mistake(
        {"value_answer": [("parent.grad += local", "parent.grad = local")]},
        ("backward",),
        ("never parent.grad = ...",),
    ),
    "backward: forward order": Mistake(
        {"value_answer": [("for node in reversed(order):", "for node in order:")]},
        ("backward",),
        ("reversed(self.topological_order())",),
    ),
    "backward: no seed": Mistake(
        {"value_answer": [("self.grad += 1.0", "pass")]},
        ("backward",),
        ("every grad is 0",),
    ),
    "backward: the output's grad set to 1": Mistake(
        {"value_answer": [("self.grad += 1.0", "self.grad = 1.0")]},
        ("backward",),
        ("backward() on a leaf x", "instead of adding 1"),
    ),
    "backward: forgot the local partial": Mistake(
        {"value_answer": [("parent.grad += local * node.grad", "parent.grad += node.grad")]},
        ("backward",),
        ("without the local partial",),
    ),
    "backward: lesson 08's, which resets every grad": Mistake(
        {
            "value_answer": [
                (_RESET, _RESET_ALL),
            ]
        },
        ("backward",),
        ("x.grad after two = 8", "as lesson 08's does"),
    ),
    "backward: micrograd's, which never resets interior nodes": Mistake(
        {"value_answer": [(_RESET, "        self.grad = 1.0")]},
        ("backward",),
        ("micrograd",),
    ),
    "backward: a recursive topological sort": Mistake(
        {"value_answer": [("        order = self.topological_order()", _RECURSIVE_ORDER)]},
        ("backward",),
        ("RecursionError", "a chain of 6000 operations"),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "value_base"),
        prompt(
            "## Your Value\n\nFill in the five methods below, then run the cell.",
            "answer_prompt",
        ),
        solution(ANSWER, "value_answer"),
        prompt(
            '## Part 1: exp\n\nRun the check; `check("exp")` works anywhere in the notebook.',
            "exp_prompt",
        ),
        test_cell(NAME, "exp", points=1),
        prompt(
            "## Part 2: tanh\n\nThe check includes x = 1000, where e^(2x) is far beyond the "
            "largest float.",
            "tanh_prompt",
        ),
        test_cell(NAME, "tanh", points=2),
        prompt(
            "## Part 3: division\n\n`a / b` needs `__truediv__`; `2 / b` needs `__rtruediv__`.",
            "division_prompt",
        ),
        test_cell(NAME, "division", points=2),
        prompt(
            "## Part 4: backward\n\nA node used twice must collect both contributions, and "
            "calling `backward()` twice without `zero_grad()` adds the leaves' gradients "
            "again: for y = (3x)² at x = 2, x.grad is 36, then 72, never 108 (PyTorch gives "
            "the same, once the first call keeps its graph with `retain_graph=True`; without "
            "it, PyTorch refuses a second `backward()`).",
            "backward_prompt",
        ),
        test_cell(NAME, "backward", points=3),
    ]
