# %% [markdown]
# # Lesson 4 · Forward mode and dual numbers
#
# Forward mode walks the Wengert list from top to bottom, like the computation itself. Next
# to every value it carries one more number: how fast that value changes when the input
# moves. The neatest way to carry that pair of numbers around is a **dual number**.

# %%
import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Dual, Value, jacobian, jvp
from autodiff_lab.display import plots
from autodiff_lab.math import sin
from autodiff_lab.trace import trace
from autodiff_lab.widgets import ForwardStepper, forward_steps


def show(number):
    """A dual number as a + bε, rounded to 4 decimals."""
    tangent = round(number.tangent, 4)
    sign = "-" if tangent < 0 else "+"
    return f"{round(number.primal, 4):g} {sign} {abs(tangent):g}ε"


# %% [markdown]
# ## Dual numbers
#
# A dual number is written $a + b\varepsilon$, where $\varepsilon$ is a new symbol with one
# rule: $\varepsilon^2 = 0$ (and $\varepsilon$ itself is not 0). It is the same trick as the
# imaginary unit $i$ with $i^2 = -1$, only with a different rule. Arithmetic follows from
# ordinary algebra:
#
# $$(a + b\varepsilon) + (c + d\varepsilon) = (a + c) + (b + d)\varepsilon$$
# $$(a + b\varepsilon)(c + d\varepsilon) = ac + (ad + bc)\varepsilon + bd\,\varepsilon^2
#   = ac + (ad + bc)\varepsilon$$
#
# Look at the $\varepsilon$ parts: the sum rule and the product rule of calculus. The
# `Dual` class implements exactly this; `a + bε` is `Dual(a, b)`:

# %%
p = Dual(3.0, 1.0)
q = Dual(2.0, 5.0)
print("p     =", show(p))
print("q     =", show(q))
print("p + q =", show(p + q))
print("p · q =", show(p * q), "  (3·2 + (3·5 + 1·2)ε)")

# %% [markdown]
# ## Evaluating a function at a dual number
#
# Take $f(x) = x^2 + 1$ and feed it $x = 3 + \varepsilon$:
#
# $$f(3 + \varepsilon) = 9 + 6\varepsilon + \varepsilon^2 + 1 = 10 + 6\varepsilon.$$
#
# The real part is $f(3) = 10$. The $\varepsilon$ part is $6 = f'(3)$, since $f'(x) = 2x$.


# %%
def f(x):
    return x**2 + 1


print("f(3 + ε) =", show(f(Dual(3.0, 1.0))))

# %% [markdown]
# That is no coincidence. Expand any smooth $f$ in a Taylor series around $a$, with a step of
# $b\varepsilon$:
#
# $$f(a + b\varepsilon) = f(a) + f'(a)\,b\varepsilon + \tfrac{1}{2}f''(a)\,b^2\varepsilon^2
#   + \dots = f(a) + f'(a)\,b\,\varepsilon.$$
#
# Every term from $\varepsilon^2$ on is exactly zero, so the result is **exact**. It is not an
# approximation with a small step, as finite differences were: $\varepsilon$ is not small,
# it is a symbol whose square vanishes. So evaluating $f$ at $a + \varepsilon$ gives the
# value $f(a)$ and the derivative $f'(a)$ together.
#
# For each primitive the engine applies this rule directly:
# $\sin(a + b\varepsilon) = \sin a + b\cos a\,\varepsilon$,
# $e^{a + b\varepsilon} = e^a + b\,e^a\varepsilon$, and so on. Chained together they give the
# derivative of any composition. Here is $\sin(x^2)$ from lesson 1, at $1.5 + \varepsilon$:

# %%
result = sin(Dual(1.5, 1.0) ** 2)
print("sin((1.5 + ε)²) =", show(result))
print("exact f'(1.5) = 3·cos(2.25) =", round(3 * np.cos(2.25), 4))

# %% [markdown]
# ## The tangent trace
#
# A dual number is just a value and its derivative travelling together. Unpack them and you
# get the **tangent trace**: next to every line of the primal trace, a line that computes the
# derivative of that value, written $\dot v$ ("v dot"), from the derivatives above it.
#
# For $f(x_1, x_2) = (x_1 + x_2)(x_1 x_2)$ at $(2, 3)$, ask for $\partial f/\partial x_1$:
# *seed* the inputs with $\dot x_1 = 1$ (the input you move) and $\dot x_2 = 0$ (the one you
# hold still).

# %%
x1, x2 = 2.0, 3.0
dx1, dx2 = 1.0, 0.0  # the seed: move x1, hold x2

v1 = x1 + x2
dv1 = dx1 + dx2  # sum rule
v2 = x1 * x2
dv2 = dx1 * x2 + x1 * dx2  # product rule
v3 = v1 * v2
dv3 = dv1 * v2 + v1 * dv2  # product rule

print(f"v1 = {v1:g}    v̇1 = {dv1:g}")
print(f"v2 = {v2:g}    v̇2 = {dv2:g}")
print(f"v3 = {v3:g}   v̇3 = {dv3:g}   ← ∂f/∂x1")

# %% [markdown]
# `trace` builds both columns for you. (Its third column, the adjoint, belongs to the next
# lesson.) The `seed` argument chooses which input moves:


# %%
def f2(x1, x2):
    return (x1 + x2) * (x1 * x2)


print(trace(f2, 2, 3, seed=(1, 0)))

# %%
print(trace(f2, 2, 3, seed=(0, 1)))

# %% [markdown]
# With the seed $(0, 1)$ the tangent column ends in $\partial f/\partial x_2 = 16$.
#
# With dual numbers the tangent column needs no extra code at all: pass $2 + 1\varepsilon$
# and $3 + 0\varepsilon$ to the ordinary function, and the $\varepsilon$ part of the answer
# is the last line of the tangent trace.

# %%
print("f(2 + ε, 3) =", show(f2(Dual(2.0, 1.0), Dual(3.0, 0.0))))
print("f(2, 3 + ε) =", show(f2(Dual(2.0, 0.0), Dual(3.0, 1.0))))

# %% [markdown]
# ## Step through it
#
# The stepper below runs the forward pass over the graph of $f$ one node at a time. Each step
# fills in a value and its tangent (seeded on `x1`) and shows the rule that produced it.
# Press **Next ▶** or **Play**.

# %%
x1 = Value(2.0, label="x1")
x2 = Value(3.0, label="x2")
s = x1 + x2
p = x1 * x2
f_graph = s * p
s.label, p.label, f_graph.label = "s", "p", "f"
ForwardStepper(f_graph, seed=x1)

# %% [markdown]
# The same steps as text, for reading without the widget:

# %%
for step in forward_steps(f_graph, seed=x1):
    print(step.caption)

# %% [markdown]
# ## One pass per input direction
#
# A forward pass answers one question: how does the output change when the inputs move in
# *one* direction $v$? For $v = (1, 0)$ that is $\partial f/\partial x_1$; for $v = (0, 1)$ it
# is $\partial f/\partial x_2$; for any other $v$ it is the *directional derivative*
# $\nabla f \cdot v$. The function `jvp` (Jacobian-vector product) does one such pass and
# returns the value and the tangent of the output:


# %%
def f_vec(x):
    return (x[0] + x[1]) * (x[0] * x[1])


for direction in ([1.0, 0.0], [0.0, 1.0], [1.0, 1.0]):
    value, tangent = jvp(f_vec, [2.0, 3.0], direction)
    print(f"v = {direction}:  f = {value:g},  tangent = {tangent:g}")

# %% [markdown]
# Moving both inputs at once gives $21 + 16 = 37$. To get the whole gradient you need one pass
# per input: 2 passes here, a million for a model with a million weights.
#
# ## The Jacobian, column by column
#
# For a function with several outputs, one forward pass along input $j$ gives the derivative
# of *every* output with respect to $x_j$: one **column** of the Jacobian matrix
# $J_{ij} = \partial f_i / \partial x_j$. Here is a function from $\mathbb{R}^2$ to
# $\mathbb{R}^3$:
#
# $$F(x_1, x_2) = \big(x_1 x_2,\;\; x_1 + x_2^2,\;\; \sin x_1\big).$$


# %%
def F(x):
    return [x[0] * x[1], x[0] + x[1] ** 2, sin(x[0])]


J = jacobian(F, [2.0, 3.0], mode="forward")
print(np.round(J, 4))

# %% [markdown]
# Two inputs, so two passes, each filling one column, however many outputs there are.
# (`jacobian` runs the two side by side: it calls `F` once, and each dual carries a
# vector of two tangents, one per direction. That saves Python's repeated work, not the
# arithmetic: every operation still computes one tangent per input.)

# %%
plots.plot_jacobian_build(F, [2.0, 3.0], mode="forward")
plt.show()

# %% [markdown]
# ## What forward mode costs
#
# * **Time:** each pass costs a small constant times one evaluation of $f$ (every operation
#   also does its derivative rule). A full Jacobian takes one pass per *input*.
# * **Memory:** almost nothing extra. A dual value is used and forgotten as the computation
#   moves on; no graph is kept.
#
# That makes forward mode ideal for functions with few inputs and many outputs, and slow for
# the opposite shape, a loss with millions of weights and one output. The next lesson turns
# the computation around.
#
# **Your turn: [exercise 1](../exercises/release/dual_numbers.ipynb)**, dual numbers from scratch.
#
# ## Try it
#
# Pick a function and a point. Work out $f'(a)$ on paper, then check it against the
# $\varepsilon$ part of $f(a + \varepsilon)$. For the starting example,
# $f(x) = x^3 - 2x$ at $a = 2$, you should find $f'(2) = 3 \cdot 2^2 - 2 = 10$.


# %%
def my_f(x):
    return x**3 - 2 * x  # change me


a = 2.0  # and me
print("f(a + ε) =", show(my_f(Dual(a, 1.0))))
