# %% [markdown]
# # Lesson 11 · Differentiating programs
#
# A symbolic differentiator needs a formula. Automatic differentiation needs much less:
# a program that runs. It records the arithmetic that actually happens, one primitive
# at a time, and differentiates that. Loops, `if` statements, early returns and helper
# functions are just Python deciding *which* arithmetic happens; none of it is recorded
# and none of it needs a derivative.
#
# In this lesson you differentiate a loop that stops when it has done enough, see that
# each input gets its own graph, and meet the one thing to watch out for: at the
# border between two branches, you get the derivative of the branch that ran.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Dual, Value, derivative, grad
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.reverse import walk
from autodiff_lab.trace import trace
from autodiff_lab.widgets import Explorer

# %% [markdown]
# ## A sine made of a loop
#
# The Taylor series of sine is x − x³/3! + x⁵/5! − … Each term is the one before times
# −x²/((2n)(2n + 1)), so a loop can add terms until the next one is too small to matter.
# How many terms that takes depends on x: nothing in this function is a fixed formula.


# %%
def taylor_sin(x, tolerance=1e-12):
    """sin(x) from its Taylor series, adding terms until one is below tolerance."""
    term = x
    total = x
    n = 1
    while abs(term) > tolerance:
        term = -term * x * x / ((2 * n) * (2 * n + 1))
        total = total + term
        n += 1
    return total


# %% [markdown]
# Run it on a `Value` and call `backward()`. The derivative of sine is cosine, and that
# is what comes out, although no line of the program mentions a cosine:

# %%
x = Value(1.0, label="x")
y = taylor_sin(x)
y.backward()
print(f"taylor_sin(1) = {y.data:.12f}   math.sin(1) = {math.sin(1.0):.12f}")
print(f"reverse mode:   {x.grad:.12f}   math.cos(1) = {math.cos(1.0):.12f}")

# %% [markdown]
# Forward mode needs nothing new either: the same function, given a dual number, carries
# the tangent through every iteration of the loop.

# %%
print(repr(taylor_sin(Dual(1.0, 1.0))))
print(f"forward mode:   {derivative(taylor_sin, 1.0):.12f}")

# %% [markdown]
# Why does this work? Each comparison (`abs(term) > tolerance`) looks only at the
# number inside the `Value` or `Dual` and gives a plain `True` or `False`; the counter
# `n` is an ordinary integer. Neither is recorded. What the engine sees is a straight
# line of multiplications, divisions and additions, a polynomial in x, and it
# differentiates that polynomial exactly. The derivative of a truncated sine series is
# a truncated cosine series, so it is as close to cos(x) as the loop's tolerance.
#
# ## Each input gets its own graph
#
# Because the loop runs a different number of times for different x, the recorded graph
# has a different shape for each input. With a loose tolerance (10⁻³, to keep the
# pictures small), x = 0.5 needs two extra terms and x = 2 needs five:

# %%
small = Value(0.5, label="x")
y_small = taylor_sin(small, tolerance=1e-3)
y_small.label = "sin(0.5)"
print("values in the graph:", sum(1 for _ in walk(y_small)))
draw_graph(y_small, show_grad=False)

# %%
large = Value(2.0, label="x")
y_large = taylor_sin(large, tolerance=1e-3)
y_large.label = "sin(2)"
print("values in the graph:", sum(1 for _ in walk(y_large)))
draw_graph(y_large, show_grad=False)

# %% [markdown]
# Across a whole range of inputs: on top, the derivative that forward mode finds for
# `taylor_sin` lies on cos(x); below, the size of the graph it was read from grows in
# steps as |x| grows and the loop needs more terms. (At x = 0 exactly the first term is
# already 0, the loop never runs, and the graph is x alone.)

# %%
xs = np.linspace(-6.0, 6.0, 241)
slopes = [derivative(taylor_sin, float(point)) for point in xs]
sizes = [sum(1 for _ in walk(taylor_sin(Value(float(point))))) for point in xs]
largest_error = max(abs(slope - math.cos(point)) for slope, point in zip(slopes, xs))
print("largest |derivative − cos(x)| on [−6, 6] is below 1e-12:", largest_error < 1e-12)

fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5), sharex=True, layout="constrained")
top.plot(xs, np.cos(xs), color="lightgray", linewidth=5, label="cos(x)")
top.plot(xs, slopes, "--", label="derivative of taylor_sin")
top.set_ylabel("slope")
top.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, frameon=False)
bottom.step(xs, sizes, where="mid")
bottom.set_xlabel("x")
bottom.set_ylabel("values recorded")
plt.show()

# %% [markdown]
# ## Branches
#
# An `if` works the same way. Here is an absolute value written with a branch:


# %%
def branchy_abs(x):
    if x < 0:
        return -x
    return x


# %% [markdown]
# For x = −3 the program negates x, so the graph has one `neg` node and the slope is
# −1. For x = 2 it returns x untouched: the "graph" is the input alone and the slope is
# 1. The Wengert lists (see lesson 3) show the two different programs that ran:

# %%
print(trace(branchy_abs, -3.0))
print()
print(trace(branchy_abs, 2.0))

# %% [markdown]
# Move the slider across 0 and watch the graph change shape and the slope jump
# between −1 and 1.

# %%
Explorer(branchy_abs, x=(-3.0, 3.0, -1.5))

# %% [markdown]
# ## The catch: the branch that ran is all the engine knows
#
# At x = 0 exactly, `branchy_abs` takes the second branch and reports slope 1. The
# engine's own `abs` primitive uses sign(x) and reports 0. |x| has no slope at 0, and
# both answers are defensible choices, but they differ, and only the code decides.

# %%
print("branchy_abs'(0) =", derivative(branchy_abs, 0.0))
print("abs'(0)         =", derivative(abs, 0.0))

# %% [markdown]
# It can be worse. This function returns x everywhere, so its slope is 1 everywhere,
# but it takes a shortcut at 0, returning a constant that has no connection to x:


# %%
def identity_with_shortcut(x):
    if x == 0:
        return 0.0  # the right value, but the program forgets that it came from x
    return x


print("slope at 0.1:", grad(identity_with_shortcut)(0.1))
print("slope at 0.0:", grad(identity_with_shortcut)(0.0), " (the true slope is 1)")

# %% [markdown]
# Autodiff differentiates the program, not the mathematical function you had in mind.
# Special cases for "nice" inputs (0, 1, an empty list) are exactly where the two
# part ways, so when you check a gradient, check it there too.
#
# ## Try it
#
# Newton's method finds √a by repeating guess ← (guess + a/guess)/2. The derivative of
# the result with respect to a should approach that of √a, which is 1/(2√a) = 0.25 at
# a = 4. Change `steps` (try 1, 2, 3, 6) and see how the derivative converges along
# with the value.


# %%
def newton_sqrt(a, steps=6):
    guess = 1.0
    for _ in range(steps):
        guess = (guess + a / guess) / 2
    return guess


a = Value(4.0, label="a")
root = newton_sqrt(a, steps=6)
root.backward()
print(f"value {root.data:.10f}   derivative {a.grad:.10f}   (1/(2√a) = {0.25:.10f})")
