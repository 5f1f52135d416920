# %% [markdown]
# # Lesson 8 · Building the engine
#
# So far you have run reverse mode by hand and watched `autodiff_lab` do it. In this
# lesson you write the machine yourself: a class of about thirty lines that holds a
# number, remembers how it was made, and sends gradients back to its inputs. Then you
# put it next to `autodiff_lab.Value`, which is the same idea with every derivative
# kept in one table.
#
# You will:
#
# 1. give a number a memory: its **parents** and its **local partial derivatives**;
# 2. teach it `+`, `*`, `**` and ReLU;
# 3. write `backward`: one multiply-add per edge, from the output back to the inputs;
# 4. meet a neuron whose ReLU is switched off, so none of its weights can learn.

# %%
import math

from autodiff_lab import Dual, Value, derivative, rules
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.widgets import BackwardStepper

# %% [markdown]
# ## A number with a memory
#
# Every operation makes a new node. At the moment it is made, the node knows three
# things that it will never know more cheaply:
#
# * its value (`data`);
# * the nodes it was computed from (`parents`);
# * for each parent, the local partial derivative ∂node/∂parent (`partials`), worked
#   out from the numbers at hand: for `c = a * b` they are `b.data` and `a.data`.
#
# Storing the partials as plain numbers now means the backward pass later needs no
# calculus at all, only multiplication and addition.


# %%
def as_scalar(x):
    """A plain number becomes a leaf node, so it can take part in the graph."""
    return x if isinstance(x, Scalar) else Scalar(x)


class Scalar:
    """A float that records the operation, parents and local partials that made it."""

    def __init__(self, data, parents=(), partials=(), op=""):
        self.data = float(data)
        self.grad = 0.0
        self.parents = parents  # the nodes this one was computed from
        self.partials = partials  # ∂self/∂parent, one number per parent
        self.op = op

    def __repr__(self):
        return f"Scalar(data={self.data:.4g}, grad={self.grad:.4g})"

    def __add__(self, other):
        other = as_scalar(other)
        return Scalar(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = as_scalar(other)
        # ∂(a·b)/∂a = b and ∂(a·b)/∂b = a: each input's slope is the other input.
        return Scalar(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __pow__(self, n):
        # Only a plain-number exponent: ∂(x^n)/∂x = n·x^(n−1).
        return Scalar(self.data**n, (self,), (n * self.data ** (n - 1),), f"**{n}")

    def relu(self):
        slope = 1.0 if self.data > 0 else 0.0
        return Scalar(max(self.data, 0.0), (self,), (slope,), "relu")

    __radd__ = __add__
    __rmul__ = __mul__


# %% [markdown]
# Try it on e = ((a·b) + a)² at a = 2, b = 3. Nothing is differentiated yet, but the
# last node already holds the one local derivative it will ever need:
# ∂e/∂(ab + a) = 2·(ab + a) = 2·8 = 16.

# %%
a, b = Scalar(2.0), Scalar(3.0)
e = (a * b + a) ** 2
print("e =", e.data)
print("made by", e.op, "from a node holding", e.parents[0].data)
print("local partial ∂e/∂parent =", e.partials[0])

# %% [markdown]
# ## The backward pass
#
# To get ∂e/∂a, start at e with gradient 1 and walk back. When you reach a node, its
# gradient is complete (every path from e to it has been added in), so you can pass it
# on: each parent receives `node.grad × local partial`. A parent used twice (like `a`
# here) simply receives two contributions.
#
# "When you reach a node, its gradient is complete" needs an order: every node must be
# handled after all the nodes that use it. That is the reverse of a **topological
# order**, a list in which each node comes after its parents.


# %%
def topological_order(output):
    """Every node that output depends on, each one after all of its parents."""
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for parent in node.parents:
            visit(parent)
        order.append(node)  # only after all of its parents are in the list

    visit(output)
    return order


def backward(output):
    """Set node.grad = ∂output/∂node for every node that output depends on."""
    order = topological_order(output)
    for node in order:
        node.grad = 0.0
    output.grad = 1.0
    for node in reversed(order):  # users before the nodes they use
        for parent, partial in zip(node.parents, node.partials):
            parent.grad += node.grad * partial


backward(e)
print("∂e/∂a =", a.grad, "  by hand: 2·(ab + a)·(b + 1) =", 2 * (2 * 3 + 2) * (3 + 1))
print("∂e/∂b =", b.grad, "  by hand: 2·(ab + a)·a       =", 2 * (2 * 3 + 2) * 2)

# %% [markdown]
# Two remarks about this small `backward`:
#
# * `visit` calls itself once per level of the graph, and Python stops recursion at
#   about 1,000 levels: a chain of a few thousand operations would crash it.
#   `autodiff_lab` sorts with a loop and a stack of its own instead.
# * It resets every gradient to 0 first. `autodiff_lab` (like PyTorch) *adds* to the
#   gradients of the inputs instead, which is handy and a classic trap: lesson 9.
#
# One more check, the product at a zero that lesson 5 did by hand: for c = a·b at
# a = 1, b = 0, ∂c/∂a is b = 0 and ∂c/∂b is a = 1.

# %%
a, b = Scalar(1.0), Scalar(0.0)
c = a * b
backward(c)
print("∂c/∂a =", a.grad, "  ∂c/∂b =", b.grad)

# %% [markdown]
# ## The same thing in `autodiff_lab`
#
# `autodiff_lab.Value` records the same three things (`data`, `parents`,
# `local_partials`) and has a `backward()` method. It also takes labels, and
# `draw_graph` draws its graph: leaves in green, each operation as a circle. (A `Value`
# left as the last line of a cell draws itself the same way.)

# %%
a, b = Value(2.0, label="a"), Value(3.0, label="b")
e = (a * b + a) ** 2
e.label = "e"
e.backward()
print("e =", e.data, "  ∂e/∂a =", a.grad, "  ∂e/∂b =", b.grad)
print("e was made by", e.op.name, "with local partials", e.local_partials)
draw_graph(e)

# %% [markdown]
# Notice the second local partial, 0. In `x ** 2` the exponent 2 is a plain number, a
# constant (lesson 2): the engine draws it as a grey box so you see where it enters, but
# it differentiates only with respect to the base, so the 0 in the exponent's place means
# "nothing is sent here", not "∂e/∂2 = 0". A `Value` exponent would get a^b·ln a instead.

# %% [markdown]
# ## A neuron that cannot learn
#
# A neuron computes relu(w1·x1 + w2·x2 + b). Take x = (1, 2), w = (0.5, −0.5) and
# b = 0.1. The sum inside is 0.5 − 1 + 0.1 = −0.4, below zero, so ReLU outputs 0
# and its local partial is 0. Every gradient behind it is multiplied by that 0.

# %%
w1, w2, bias = Scalar(0.5), Scalar(-0.5), Scalar(0.1)
neuron = (w1 * 1.0 + w2 * 2.0 + bias).relu()
backward(neuron)
print("output:", neuron.data)
print("gradients of w1, w2, b:", w1.grad, w2.grad, bias.grad)

# %% [markdown]
# Here is the same neuron in `autodiff_lab`, drawn with the local partial on every
# edge (`show_partials=True`) and the ReLU node highlighted. Follow the 0 on the edge
# into `relu`: everything to its left is multiplied by it.

# %%
x1, x2 = Value(1.0, label="x1"), Value(2.0, label="x2")
w1, w2 = Value(0.5, label="w1"), Value(-0.5, label="w2")
bias = Value(0.1, label="b")
pre_activation = w1 * x1 + w2 * x2 + bias
pre_activation.label = "w·x + b"
out = pre_activation.relu()
out.label = "out"
out.backward()
print(f"pre-activation {pre_activation.data:.4g}, output {out.data}")
print("gradients of w1, w2, b:", w1.grad, w2.grad, bias.grad)
draw_graph(out, show_partials=True, highlight=[out, (pre_activation, out)])

# %% [markdown]
# Gradient descent moves each weight by `−learning rate × gradient`. With every
# gradient 0, nothing moves, and for this input the neuron stays silent: a **dead
# ReLU**. If it is dead for every input in the data set and it reads the data itself (a
# unit of the first layer), it never recovers: its weights get no gradient, and its
# inputs never change. A unit in a later layer can come back, because the layers before
# it keep learning and change what it reads. (A "leaky" ReLU, with a small slope below
# zero, is one common remedy.)
#
# Step through the backward pass and watch the zero spread: press **Next ▶**.

# %%
BackwardStepper(out)

# %% [markdown]
# ## One table instead of one method per operation
#
# In `Scalar`, each method carries its own derivative. `autodiff_lab` keeps all of
# them in one table, `autodiff_lab/rules.py`: one line per primitive with its name,
# its symbol, how to compute it on floats, and its local partials. Here are a few rows:

# %%
for name in ("add", "mul", "div", "pow", "exp", "log", "tanh", "relu"):
    primitive = rules.PRIMITIVES[name]
    print(f"{primitive.name:5} {primitive.symbol:5} {primitive.formula}")

# %% [markdown]
# The partials are a function of the inputs (and of the output, where that is
# cheaper: the slope of tanh is 1 − out²). `Value` calls it when it records a node:

# %%
print("mul partials at a = 2, b = 3: ", rules.MUL.partials(2.0, 3.0, 6.0))
out_tanh = math.tanh(0.5)
print("tanh partial at 0.5:          ", round(rules.TANH.partials(0.5, out_tanh)[0], 4))

# %% [markdown]
# Reverse mode is not the only reader. Forward mode (`Dual`), the symbolic
# differentiator and the drawings read the same table, and a primitive applies itself
# to whatever it is given:

# %%
print(round(rules.TANH(0.5), 4))  # a float gives a float
print(rules.TANH(Value(0.5)))  # a Value records a node
print(repr(rules.TANH(Dual(0.5, 1.0))))  # a Dual carries its tangent, 1 − tanh(0.5)²

# %% [markdown]
# So a new operation is one new line, and every mode gets it at once. Here is softplus,
# log(1 + eˣ), whose derivative is the sigmoid. It is written so that it cannot overflow
# for large x, and its partial reuses the table's own sigmoid.


# %%
def softplus_value(a):
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


SOFTPLUS = rules.Primitive(
    "softplus", "softplus", 1, softplus_value, lambda a, out: (rules.SIGMOID(a),), "∂/∂a = σ(a)"
)

x = Value(0.0, label="x")
y = SOFTPLUS(x)
y.backward()
print("reverse mode: softplus'(0) =", x.grad)
print("forward mode: softplus'(0) =", derivative(SOFTPLUS, 0.0))
print("at x = 1000:   softplus =", SOFTPLUS(1000.0))

# %% [markdown]
# ## Your turn: [exercise 3](../exercises/release/value_class.ipynb)
#
# `exercises/release/value_class.ipynb` gives you a class much like `Scalar` and asks
# you to add `exp`, `tanh`, division and a `backward()` method of its own. Questions to
# ask yourself before you write each one:
#
# * What is the local partial of eˣ, and do you already have it in hand?
# * tanh must work at x = 1000. Does your formula ever compute e²ˣ there?
# * a / b has two parents. What is ∂(a/b)/∂b? And `2 / b` puts the number on the left.
#
# Once those work, "the rest" (log, sin, sigmoid, …) is the same pattern again, and the
# table above lists the partials you need.
#
# ## Try it
#
# `Scalar` cannot subtract yet. The cell below adds subtraction by composing
# operations it already has (a − b = a + b·(−1)) and checks it on (a − b)² at a = 5,
# b = 3, where the gradients are 2(a − b) = 4 and −4. Then replace the lambda with a
# method that makes one node with local partials (1, −1) and check that the numbers
# stay the same, but the graph gets smaller.

# %%
Scalar.__sub__ = lambda self, other: self + as_scalar(other) * -1.0

a, b = Scalar(5.0), Scalar(3.0)
loss = (a - b) ** 2
backward(loss)
print("∂/∂a =", a.grad, "  ∂/∂b =", b.grad)
print("nodes in the graph:", len(topological_order(loss)))
