# %% [markdown]
# # Lesson 1 · Three ways to a derivative
#
# A derivative answers one question: *if I nudge this input a little, how much does the
# output move?* Training a model is that question asked millions of times. The loss is one
# number, the weights are the inputs, and the derivative of the loss with respect to each
# weight tells you which way to nudge that weight to make the loss smaller.
#
# There are three ways to get a derivative out of a computer:
#
# | method | idea | good | bad |
# |---|---|---|---|
# | **symbolic** | apply calculus rules to the formula | exact formula | formulas swell |
# | **numerical** | call f twice, close together, divide | no rules needed | inexact, slow |
# | **automatic** | apply the rules to each operation as it runs | exact, cheap | needs an engine |
#
# This lesson runs all three on one example,
#
# $$f(x) = \sin(x^2), \qquad f'(x) = 2x\cos(x^2),$$
#
# at $x = 1.5$, where $f'(1.5) = 3\cos(2.25) \approx -1.8845$.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Value, derivative, numerical_derivative
from autodiff_lab.display import plots
from autodiff_lab.display.compare import compare_methods
from autodiff_lab.math import sin
from autodiff_lab.reverse import topological_order
from autodiff_lab.symbolic import dag_size, diff, evaluate, size, symbols


def f(x):
    return sin(x**2)


exact = 3 * math.cos(2.25)  # 2x·cos(x²) at x = 1.5
print("f(1.5)  =", round(f(1.5), 4))
print("f'(1.5) =", round(exact, 4))

# %% [markdown]
# `sin` here comes from `autodiff_lab.math`. It works on plain numbers and on the special
# numbers the engine uses, so the *same* `f` serves every method below.
#
# ## 1. Symbolic: differentiate the formula
#
# Symbolic differentiation treats `f` as a formula and rewrites it with the rules you learned
# at school. Give `f` a symbol instead of a number and it builds an expression:

# %%
x = symbols("x")
formula = f(x)
slope_formula = diff(formula, x)
print("f(x)  =", formula)
print("f'(x) =", slope_formula)
print("f'(1.5) =", round(evaluate(slope_formula, x=1.5), 4))

# %% [markdown]
# Exact, and you get a formula you can read. So why not always do this?
#
# Because formulas **swell**. A program computes a value once and reuses it; a formula has to
# write that value out again every place it is used. The derivative makes it worse: the
# product rule turns one product into a sum of two products, each holding copies of the
# factors.
#
# Take a small loop that reuses its running value twice per step, `g = sin(g) * g`. For each
# number of steps, count three things:
#
# * **graph nodes**: the values a program (or the autodiff engine) actually stores,
# * **f written out**: nodes in the formula for the function,
# * **f′ written out**: nodes in the formula for its derivative.


# %%
def looped(x, steps):
    g = x
    for _ in range(steps):
        g = sin(g) * g
    return g


def graph_nodes(steps):
    """How many values the engine stores when it runs `looped` once."""
    return len(topological_order([looped(Value(0.5), steps)]))


step_counts = range(1, 9)
rows = []
for steps in step_counts:
    expression = looped(x, steps)
    rows.append((steps, graph_nodes(steps), size(expression), size(diff(expression, x))))

print(f"{'steps':>5}  {'graph nodes':>11}  {'f written out':>13}  {'f′ written out':>14}")
for steps, nodes, f_size, slope_size in rows:
    print(f"{steps:>5}  {nodes:>11}  {f_size:>13}  {slope_size:>14}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.semilogy(step_counts, [r[1] for r in rows], "o-", label="graph nodes (autodiff keeps these)")
ax.semilogy(step_counts, [r[2] for r in rows], "s-", label="f written out")
ax.semilogy(step_counts, [r[3] for r in rows], "^-", label="f′ written out")
ax.set_xlabel("steps of g = sin(g) · g")
ax.set_ylabel("nodes (log scale)")
ax.set_title("expression swell: formulas double, the graph grows by 2")
ax.legend()
plt.show()

# %% [markdown]
# The graph grows by two nodes per step. The written-out derivative roughly doubles each step.
# Most of it is repetition: `dag_size` counts each *distinct* subexpression once, and shows
# how little of the derivative is new.

# %%
expression = looped(x, 8)
print("f′ written out:         ", size(diff(expression, x)), "nodes")
print("distinct subexpressions:", dag_size(diff(expression, x)), "nodes")

# %% [markdown]
# Symbolic tools can share the repeated pieces, but then they are storing a graph of shared
# subexpressions, and that is most of the way to automatic differentiation.
#
# ## 2. Numerical: finite differences
#
# The definition of the derivative suggests a shortcut: pick a small step $h$ and compute
#
# $$\text{forward:}\ \frac{f(x+h) - f(x)}{h} \qquad\qquad
#   \text{central:}\ \frac{f(x+h) - f(x-h)}{2h}.$$
#
# No rules needed, only calls of `f`. But which $h$? Watch the error as $h$ shrinks:

# %%
print(f"{'h':>7}  {'forward error':>13}  {'central error':>13}")
for h in [1e-1, 1e-3, 1e-5, 1e-7, 1e-9, 1e-11, 1e-13]:
    forward = numerical_derivative(f, 1.5, h=h, method="forward")
    central = numerical_derivative(f, 1.5, h=h, method="central")
    print(f"{h:>7.0e}  {abs(forward - exact):>13.1e}  {abs(central - exact):>13.1e}")

# %% [markdown]
# The error first falls, then *rises* again. Two errors pull in opposite directions:
#
# * **Truncation error.** The difference quotient is only the slope of a chord, not of the
#   tangent. It shrinks with $h$: like $h$ for the forward difference, like $h^2$ for the
#   central one.
# * **Round-off error.** Floating-point numbers carry about 16 significant digits. When
#   $h$ is tiny, $f(x+h)$ and $f(x)$ agree in almost all of them, the subtraction cancels
#   those digits, and dividing by a tiny $h$ magnifies what is left. It grows like
#   $\varepsilon/h$, where $\varepsilon \approx 2.2\times10^{-16}$.
#
# Plot the error for many steps on log-log axes and the two effects make a V:

# %%
plots.plot_fd_error(f, 1.5, exact=exact)
plt.show()

# %% [markdown]
# The best you can do is the bottom of the V: about 8 correct digits for the forward
# difference and about 11 for the central one, and only if you guess the right $h$.
#
# The second problem is cost. A function of $n$ inputs needs a separate nudge for every
# input: the central difference calls $f$ twice per input, $2n$ calls in all. Count them:


# %%
def loss(w):
    """A loss of 5 parameters: the squared distance from (1, 2, 3, 4, 5)."""
    return sum((w[i] - (i + 1)) ** 2 for i in range(len(w)))


calls = 0


def counted_loss(w):
    global calls
    calls += 1
    return loss(w)


gradient = numerical_derivative(counted_loss, np.zeros(5))
print("gradient:", np.round(gradient, 4))
print("calls of the loss:", calls)
print(f"for a model with 1,000,000 parameters: {2 * 1_000_000:,} calls per gradient")

# %% [markdown]
# ## 3. Automatic: apply the rules to each operation
#
# Automatic differentiation (autodiff) takes the middle road. Like symbolic differentiation
# it uses the exact rules, $\frac{d}{du}\sin u = \cos u$, $\frac{d}{dx}x^2 = 2x$. Like
# numerical differentiation it works with numbers, not formulas: as the program runs, each
# operation computes its value *and* the number its rule gives at that point. Nothing swells,
# and there is no step $h$ to choose.
#
# The engine does it in two ways, which the next lessons open up. Forward mode carries a
# derivative along with each number:

# %%
forward_mode = derivative(f, 1.5)
print("forward mode:", round(forward_mode, 4), "  error:", abs(forward_mode - exact))

# %% [markdown]
# Reverse mode records the operations as the function runs, then walks back through them
# with `backward()`:

# %%
x_value = Value(1.5)
y = f(x_value)
y.backward()
print("f(1.5) =", round(y.data, 4))
print("reverse mode:", round(x_value.grad, 4), "  error:", abs(x_value.grad - exact))

# %% [markdown]
# Both errors are 0 here. In general autodiff is exact up to the rounding of each operation
# (a few units in the last digit), which is as good as evaluating the formula itself.
#
# And the cost is a small constant times the cost of `f`: forward mode does about two or
# three times the arithmetic of `f`; reverse mode does one run of `f` plus one backward pass
# of similar size, **whatever the number of inputs**.
#
# ## All three side by side
#
# `compare_methods` differentiates a function five ways: symbolically, with forward and
# central differences, and with the two modes of autodiff. Here are the answers, their
# errors and how many times each method called `f`:

# %%
compare_methods(f, 1.5).only("derivative", "error", "f evaluations")

# %% [markdown]
# With one input, every method is cheap. Now give the function many inputs and one output,
# which is the shape of a training loss. Here is a 20-parameter version of `loss`:

# %%
compare_methods(loss, np.linspace(0.0, 1.0, 20)).only("error", "f evaluations")

# %% [markdown]
# Finite differences call `f` 21 or 40 times; forward mode needs one pass per input (20);
# reverse mode needs **one** evaluation and then one pass backwards. That is why every
# deep-learning framework is built around reverse mode. Lessons 4 and 5 open up both modes,
# and lesson 5 counts their arithmetic and the memory reverse mode pays for it.
#
# ## Try it
#
# Change `g` below to another function (use `sin`, `exp`, `cos`, `tanh` … from
# `autodiff_lab.math`, and `+ - * / **`) and the point `x0`. Then look at:
#
# * Does the symbolic formula stay small?
# * Where is the bottom of the V, and how many digits does the best finite difference get?
# * Do forward and reverse mode still agree with the symbolic derivative?

# %%
from autodiff_lab.math import exp


def g(x):
    return exp(-(x**2)) * sin(3 * x)  # change me


x0 = 0.7  # and me

print("symbolic: g'(x) =", diff(g(x), x))
print(compare_methods(g, x0).only("derivative", "error", "f evaluations"))
plots.plot_fd_error(g, x0)
plt.show()
