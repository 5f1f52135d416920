"""Exercise 3: finish a small reverse-mode Value class (exp, tanh, division, backward)."""

from autodiff_lab.grading.notebook_format import given, prompt, solution, test

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

EXP_TESTS = """
check("exp", strict=True)
### BEGIN HIDDEN TESTS
x = Value(0.75)
y = (x * 2).exp()
y.backward()
assert math.isclose(y.data, math.exp(1.5)), "exp of 2x: wrong value"
assert math.isclose(x.grad, 2 * math.exp(1.5)), "d/dx exp(2x) should be 2 exp(2x)"
x = Value(-0.4)
y = x.exp() * x.exp()
y.backward()
assert math.isclose(x.grad, 2 * math.exp(-0.8)), "exp(x) used twice: both paths count"
### END HIDDEN TESTS
"""

TANH_TESTS = """
check("tanh", strict=True)
### BEGIN HIDDEN TESTS
for big in (1000.0, -1000.0, 710.0):
    x = Value(big)
    y = x.tanh()
    y.backward()
    assert y.data == math.copysign(1.0, big), f"tanh({big}) should be {math.copysign(1, big)}"
    assert abs(x.grad) < 1e-12, f"the slope of tanh at {big} is 0"
x = Value(0.7)
y = x.tanh() * x
y.backward()
expected = math.tanh(0.7) + 0.7 * (1 - math.tanh(0.7) ** 2)
assert math.isclose(x.grad, expected), "x is used twice in tanh(x) * x"
x = Value(-0.3)
y = x.tanh()
y.backward()
assert math.isclose(x.grad, 1 - math.tanh(-0.3) ** 2), "slope of tanh at -0.3"
### END HIDDEN TESTS
"""

DIVISION_TESTS = """
check("division", strict=True)
### BEGIN HIDDEN TESTS
x = Value(1.7)
y = x / x
y.backward()
assert math.isclose(y.data, 1.0) and abs(x.grad) < 1e-12, "x / x is 1, with slope 0"
a, b = Value(-1.5), Value(-0.5)
y = (a / b) / b
y.backward()
assert math.isclose(y.data, -6.0), "(a / b) / b at a = -1.5, b = -0.5"
assert math.isclose(a.grad, 4.0) and math.isclose(b.grad, -24.0), "(a / b) / b: wrong grads"
x = Value(3.0)
y = (x + 1) / (x - 1)
y.backward()
assert math.isclose(x.grad, -0.5), "d/dx (x + 1)/(x - 1) at 3 is -2/(x - 1)**2"
### END HIDDEN TESTS
"""

BACKWARD_TESTS = """
check("backward", strict=True)
### BEGIN HIDDEN TESTS
a, b = Value(2.0), Value(3.0)
e = (a * b + a) ** 2
e.backward()
assert (e.data, a.grad, b.grad) == (64.0, 64.0, 32.0), "e = (a*b + a)**2 at a=2, b=3"
x = Value(0.5)
y = x
for _ in range(3000):
    y = y * 1.0 + 0.0
y.backward()
assert math.isclose(x.grad, 1.0), "a chain of 6000 nodes"
x = Value(1.5)
top, bottom = x * 2.0, x * 3.0
d = (top * bottom).relu()
d.backward()
assert math.isclose(x.grad, 12 * 1.5), "a diamond: two paths from x to d"
d.zero_grad()
d.backward()
assert math.isclose(x.grad, 18.0), "after zero_grad(), backward() gives the same grads again"
x = Value(2.0)
t = x * 3.0
y = t**2
for calls in (1, 2, 3):
    y.backward()
    assert math.isclose(x.grad, 36.0 * calls), f"(3x)**2 at x = 2 after {calls} backward()"
    assert math.isclose(t.grad, 12.0), "the interior node 3x holds this pass's grad only"
a, b = Value(1.5), Value(-2.0)
h = a * b
e = (h + a) * h
e.backward()
e.backward()
# de/dh = 2h + a = -4.5, so de/da = -4.5 b + h = 6 and de/db = -4.5 a = -6.75, twice over
assert math.isclose(a.grad, 12.0) and math.isclose(b.grad, -13.5), "(h + a) * h twice"
leaf = Value(4.0)
leaf.backward()
leaf.backward()
assert leaf.grad == 2.0, "backward() on a leaf adds 1 to its grad each time"
### END HIDDEN TESTS
"""


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
        test(EXP_TESTS, "exp_tests", points=1),
        prompt(
            "## Part 2: tanh\n\nThe check includes x = 1000, where e^(2x) is far beyond the "
            "largest float.",
            "tanh_prompt",
        ),
        test(TANH_TESTS, "tanh_tests", points=2),
        prompt(
            "## Part 3: division\n\n`a / b` needs `__truediv__`; `2 / b` needs `__rtruediv__`.",
            "division_prompt",
        ),
        test(DIVISION_TESTS, "division_tests", points=2),
        prompt(
            "## Part 4: backward\n\nA node used twice must collect both contributions, and "
            "calling `backward()` twice without `zero_grad()` adds the leaves' gradients "
            "again: for y = (3x)² at x = 2, x.grad is 36, then 72 (as in PyTorch), "
            "never 108.",
            "backward_prompt",
        ),
        test(BACKWARD_TESTS, "backward_tests", points=3),
    ]
