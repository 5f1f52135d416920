# ruff: noqa: E402, B018
# Lesson 05 source (percent format); build with: python tools/build_notebooks.py 05

# %% [markdown]
# # Lesson 5 · Reverse mode and adjoints
#
# Forward mode asks "if this *input* moves, how does everything downstream move?" and needs
# one pass per input. Reverse mode asks the opposite question: "how sensitive is this
# *output* to everything upstream?" It answers it for every input at once, in one backward
# pass. This is the algorithm behind `loss.backward()` in every deep-learning framework, and
# it is called *backpropagation* there.

# %%
import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Value, jacobian
from autodiff_lab.display import plots
from autodiff_lab.display.compare import compare_methods
from autodiff_lab.display.duality import duality_view
from autodiff_lab.display.paths import draw_path, paths
from autodiff_lab.math import sin
from autodiff_lab.reverse import topological_order
from autodiff_lab.trace import trace
from autodiff_lab.widgets import BackwardStepper, backward_steps

# %% [markdown]
# ## Adjoints
#
# Fix one output $f$. The **adjoint** of a value $v$, written $\bar v$ ("v bar"), is
# $\partial f / \partial v$: how much $f$ moves per unit nudge of $v$, everything else in the
# computation following along. Two facts give every adjoint:
#
# 1. The output's own adjoint is $\bar f = \partial f/\partial f = 1$.
# 2. If $v$ is used to compute $w$, then $v$ receives $\bar w \cdot \partial w/\partial v$:
#    the adjoint of its user times the *local* partial of that one operation. If $v$ has
#    several users, it adds up what each one sends.
#
# So you start at the output and work backwards through the Wengert list. Here it is by hand
# for $f(x_1, x_2) = (x_1 + x_2)\cdot(x_1 x_2)$ at $(2, 3)$, with $s = x_1 + x_2$ and
# $p = x_1 x_2$:

# %%
x1, x2 = 2.0, 3.0
s = x1 + x2  # forward pass: 5
p = x1 * x2  # 6
f = s * p  # 30

f_bar = 1.0  # backward pass, last line first
s_bar = f_bar * p  # ∂f/∂s = p
p_bar = f_bar * s  # ∂f/∂p = s
x1_bar = s_bar * 1.0 + p_bar * x2  # x1 is used twice: by s and by p
x2_bar = s_bar * 1.0 + p_bar * x1  # so is x2

print(f"f = {f:g}")
print(f"s̄ = {s_bar:g}   p̄ = {p_bar:g}")
print(f"∂f/∂x1 = {s_bar:g}·1 + {p_bar:g}·{x2:g} = {x1_bar:g}")
print(f"∂f/∂x2 = {s_bar:g}·1 + {p_bar:g}·{x1:g} = {x2_bar:g}")

# %% [markdown]
# ## The chain rule sums over paths
#
# Why the *sum*? Nudge $x_1$ and the effect reaches $f$ along two routes: through $s$ and
# through $p$. Each route multiplies the local partials on its edges, and the total effect is
# the sum over all routes. This is the multivariable chain rule. `paths` lists every route
# from the output back to an input:

# %%
x1 = Value(2.0, label="x1")
x2 = Value(3.0, label="x2")
s = x1 + x2
p = x1 * x2
f = s * p
s.label, p.label, f.label = "s", "p", "f"

print(paths(f, x1))
print()
print(paths(f, x2))

# %% [markdown]
# So $\partial f/\partial x_1 = 6\cdot 1 + 5\cdot 3 = 21$ and
# $\partial f/\partial x_2 = 6\cdot 1 + 5\cdot 2 = 16$. Here is the second path to $x_1$,
# through $p$, with its local partials on the edges:

# %%
draw_path(f, paths(f, x1)[1], show_grad=False)

# %% [markdown]
# Listing paths is fine for a picture, but their number can grow exponentially with the depth
# of the graph. Reverse mode never lists them. Each node adds up what arrives from its users
# and passes the total on *once*, so every edge is visited once. That is what `backward()`
# does:

# %%
f.backward()
print("∂f/∂x1 =", x1.grad)
print("∂f/∂x2 =", x2.grad)
f

# %% [markdown]
# The adjoint column of the trace holds the same numbers, one per line of the Wengert list:
# $\bar v_3 = 1$, $\bar v_2 = 5$, $\bar v_1 = 6$, $\bar x_2 = 16$, $\bar x_1 = 21$.

# %%
print(trace(lambda x1, x2: (x1 + x2) * (x1 * x2), 2, 3))

# %% [markdown]
# ## Order matters: topological order
#
# A node may pass its adjoint on only when it is *complete*, when every user has sent its
# share. Processing nodes in the reverse of a **topological order** (every node after all the
# nodes it was computed from) guarantees that.
#
# To see what goes wrong otherwise, take $b = 3x$ and $y = (b + 1)\cdot b$. The node $b$ is
# used twice. With $y = 9x^2 + 3x$, the true derivative at $x = 2$ is $18x + 3 = 39$. The
# helper below runs a backward pass in whatever order you hand it:


# %%
def backward_in_order(output, nodes):
    """Send adjoints from each node to its parents, visiting `nodes` in the given order."""
    adjoint = {output: 1.0}
    for node in nodes:
        for parent, local in zip(node.parents, node.local_partials):
            adjoint[parent] = adjoint.get(parent, 0.0) + adjoint.get(node, 0.0) * local
    return adjoint


x = Value(2.0, label="x")
b = 3 * x
b_plus_1 = b + 1
y = b_plus_1 * b
b.label, b_plus_1.label, y.label = "b", "b+1", "y"

good = [node for node in reversed(topological_order([y])) if not node.is_leaf]
bad = [y, b, b_plus_1]  # b passes its adjoint on before b+1 has sent its share

print("good order:", [node.label for node in good], "→ dy/dx =", backward_in_order(y, good)[x])
print("bad order: ", [node.label for node in bad], "→ dy/dx =", backward_in_order(y, bad)[x])

# %% [markdown]
# In the bad order $b$ forwards an adjoint of $7$ (only the share from the multiplication)
# instead of the full $7 + 6 = 13$, and $x$ gets $21$ instead of $39$.
#
# ## Step through a backward pass
#
# The stepper replays `backward()` on $d = a\cdot(b + c)$ at $a = 2.2$, $b = -1.8$,
# $c = 0.1$, one node at a time. Each step shows the products *upstream × local* travelling
# along the edges. It simulates the pass, so it leaves every `.grad` untouched.

# %%
a = Value(2.2, label="a")
b = Value(-1.8, label="b")
c = Value(0.1, label="c")
e = b + c
d = a * e
e.label, d.label = "e", "d"
BackwardStepper(d)

# %% [markdown]
# The same steps as text:

# %%
for step in backward_steps(d):
    print(step.caption)

# %% [markdown]
# Multiplication sends each input the *other* factor: $\partial d/\partial a = e = -1.7$.
# Addition passes its adjoint through unchanged: $b$ and $c$ both get $2.2$. The engine
# agrees:

# %%
d.backward()
print("d =", round(d.data, 4))
print("∂d/∂a =", round(a.grad, 4), "  ∂d/∂b =", round(b.grad, 4), "  ∂d/∂c =", round(c.grad, 4))

# %% [markdown]
# ## Three more to check by hand
#
# Try each one on paper before you read the output.
#
# **A product at a zero.** $c = a\cdot b$ at $a = 1$, $b = 0$. Each factor's gradient is the
# other factor, so $\partial c/\partial a = b = 0$ and $\partial c/\partial b = a = 1$.

# %%
a, b = Value(1.0), Value(0.0)
c = a * b
c.backward()
print("∂c/∂a =", a.grad, "  ∂c/∂b =", b.grad)

# %% [markdown]
# **An input used twice.** $z = x\cdot y + x^2$ at $x = 2$, $y = 3$. Here $x$ reaches $z$
# through the product ($y = 3$) and through the square ($2x = 4$), so
# $\partial z/\partial x = 3 + 4 = 7$ and $\partial z/\partial y = x = 2$.

# %%
x, y = Value(2.0, label="x"), Value(3.0, label="y")
z = x * y + x**2
z.backward()
print("z =", z.data, "  ∂z/∂x =", x.grad, "  ∂z/∂y =", y.grad)
print(paths(z, x))

# %% [markdown]
# **A square on top.** $e = ((a\cdot b) + a)^2$ at $a = 2$, $b = 3$. The inner value is
# $ab + a = 8$, so $e = 64$ and $\bar e = 1$ gives the inner value an adjoint of
# $2 \cdot 8 = 16$. Then $\partial e/\partial a = 16\cdot(b + 1) = 64$ and
# $\partial e/\partial b = 16\cdot a = 32$.

# %%
a, b = Value(2.0, label="a"), Value(3.0, label="b")
e = ((a * b) + a) ** 2
e.backward()
print("e =", e.data, "  ∂e/∂a =", a.grad, "  ∂e/∂b =", b.grad)

# %% [markdown]
# ## One pass per output: the Jacobian row by row
#
# One backward pass gives the derivatives of **one** output with respect to every input: one
# *row* of the Jacobian. Take $F(x_1, x_2) = (x_1 x_2,\; x_1 + x_2^2,\; \sin x_1)$ from the
# last lesson again:


# %%
def F(x):
    return [x[0] * x[1], x[0] + x[1] ** 2, sin(x[0])]


print(np.round(jacobian(F, [2.0, 3.0], mode="reverse"), 4))
plots.plot_jacobian_build(F, [2.0, 3.0], mode="reverse")
plt.show()

# %% [markdown]
# Same matrix as forward mode, built the other way: 3 passes (one per output) instead of 2
# (one per input). For this $F$ forward mode is cheaper. Lesson 6 prices both ways, and
# orders that are neither, as products of Jacobian matrices.
#
# ## Why training uses reverse mode
#
# A training loss has the opposite shape: millions of inputs (the weights) and **one**
# output. Forward mode needs one pass per weight; reverse mode needs one forward evaluation
# and one backward pass, whatever the number of weights. Count the work with
# `compare_methods` on a loss of $n$ weights:


# %%
def loss(w):
    return sum((w[i] - 0.1 * i) ** 2 for i in range(len(w)))


print(f"{'n':>4}  {'forward: passes':>15}  {'operations':>10}  {'reverse: passes':>15}  ", end="")
print(f"{'operations':>10}  {'nodes kept':>10}")
for n in (1, 10, 100):
    table = compare_methods(loss, np.ones(n))
    fwd, rev = table["forward mode"], table["reverse mode"]
    print(f"{n:>4}  {fwd.evaluations:>15}  {fwd.operations:>10}  ", end="")
    print(f"{rev.backward_passes:>15}  {rev.operations:>10}  {rev.nodes_kept:>10}")

# %% [markdown]
# Forward mode's work grows like $n^2$ here ($n$ passes over a function of size $n$); reverse
# mode's grows like $n$. For a million weights that is the difference between one pass and a
# million.
#
# ## The price: memory
#
# The last column above shows what reverse mode pays. The backward pass needs every local
# partial, so whatever they are computed from must be kept until `backward()` has run;
# this engine simply keeps every node. (A smarter engine keeps less: tanh's partial
# 1 − tanh² needs only tanh's output, and lesson 16 measures what an array engine keeps.)
# Forward mode forgets each value as soon as it is used. The graph grows with the length
# of the computation, here a loop of $k$ steps:


# %%
def repeat(x, steps):
    y = x
    for _ in range(steps):
        y = sin(y) * x
    return y


for steps in (10, 100, 1000):
    kept = len(topological_order([repeat(Value(0.5), steps)]))
    print(f"{steps:>5} steps: {kept:>5} nodes kept for the backward pass")

# %% [markdown]
# Deep-learning frameworks spend a lot of effort here: freeing nodes as soon as the backward
# pass is done with them, or recomputing parts of the forward pass instead of storing them
# ("gradient checkpointing").
#
# ## Two readings of one matrix
#
# Forward mode pushes an input direction $v$ through the graph and gets $Jv$. Reverse mode
# pulls output weights $u$ back and gets $J^\top u$. Both use the same local partials on the
# same edges, only in opposite directions, so for any $u$ and $v$
#
# $$\langle u, Jv\rangle = \langle J^\top u, v\rangle.$$
#
# `duality_view` runs both modes on one graph and writes each node's tangent $\dot x$ and
# adjoint $\bar x$ onto it:

# %%
duality_view(F, [2.0, 3.0], v=[1.0, 0.5], u=[1.0, 2.0, -1.0])

# %% [markdown]
# ## Try it
#
# Take $g(a, b, c) = ab + bc + ca$ at $(1, 2, 3)$. Predict the three gradients on paper
# (each input appears in two products, so each receives two contributions), then run the
# cell. Change the function or the point and predict again. Step through the backward pass
# with the stepper if a number surprises you.
#
# **Your turn: [exercise 2](../exercises/release/wengert_list.ipynb)**, all three traces by hand.

# %%
a, b, c = Value(1.0, label="a"), Value(2.0, label="b"), Value(3.0, label="c")
g = a * b + b * c + c * a  # change me
g.label = "g"

g.backward()
print("g =", round(g.data, 4))
print("∂g/∂a =", round(a.grad, 4), "  ∂g/∂b =", round(b.grad, 4), "  ∂g/∂c =", round(c.grad, 4))
BackwardStepper(g)
