# %% [markdown]
# # Lesson 9 · Pitfalls
#
# An engine can be perfectly correct and still hand you a wrong number, because it
# does exactly what you asked, and what you asked was not what you meant. This lesson
# collects the four surprises that catch nearly everyone, in `autodiff_lab` and, with
# the differences noted below, in PyTorch:
#
# 1. gradients **add up** until you reset them;
# 2. **detaching** a value (or computing under `no_grad`) cuts the gradient's path;
# 3. changing `.data` **after** a value was used makes the recorded graph a lie;
# 4. `inf` and `nan` travel silently until `detect_anomaly` catches them.

# %%
import math

import matplotlib.pyplot as plt

from autodiff_lab import AnomalyError, Value, detect_anomaly, no_grad
from autodiff_lab.display.graph import draw_graph

# %% [markdown]
# ## 1. Gradients accumulate
#
# Take y = x² at x = 2. Its slope is 2x = 4. Call `backward()` once and `x.grad` is 4.
# Call it again, without doing anything in between, and `x.grad` is 8.

# %%
x = Value(2.0, label="x")
y = x**2
y.backward()
print("after one backward():  x.grad =", x.grad)
y.backward()
print("after two backward():  x.grad =", x.grad)

# %% [markdown]
# Nothing is broken. `backward()` *adds* ∂y/∂x into `x.grad` rather than overwriting
# it. (PyTorch adds too, but it would refuse this second call on the same graph: it
# frees the values a graph saved once its backward pass is done, so a second
# `y.backward()` raises "Trying to backward through the graph a second time" unless the
# first call said `retain_graph=True`; with that, `x.grad` is 8 there as well.)
#
# Adding is deliberate: when one parameter feeds several losses, or a batch is split
# into pieces that you run one after another, it is exactly what you want. Here the two
# losses x² and 3x, two separate graphs, are run one after the other (in PyTorch too),
# and the total is the slope of their sum, 2x + 3 = 7:

# %%
x = Value(2.0, label="x")
(x**2).backward()
(3 * x).backward()
print("x.grad =", x.grad, "  d/dx (x² + 3x) at 2 =", 2 * 2 + 3)

# %% [markdown]
# The price is that *you* must reset the gradients before each new pass:
# `y.zero_grad()` sets `.grad` to 0 on y and everything it was computed from (a model's
# `zero_grad()` or an optimiser's does the same for its parameters).

# %%
x = Value(2.0, label="x")
y = x**2
y.backward()
y.backward()
print("forgot to zero:  x.grad =", x.grad)
y.zero_grad()
y.backward()
print("zeroed first:    x.grad =", x.grad)

# %% [markdown]
# What does a forgotten reset do to training? Below, gradient descent minimises
# (w − 3)² from w = 0 with learning rate 0.1, once with `w.grad = 0.0` before each
# backward pass and once without. Without it, each step uses the sum of *all* past
# gradients, so w overshoots and swings between 0 and 6 for ever.


# %%
def descend(reset_gradient, steps=40, learning_rate=0.1):
    w = Value(0.0, label="w")
    path = [w.data]
    for _ in range(steps):
        loss = (w - 3.0) ** 2
        if reset_gradient:
            w.grad = 0.0
        loss.backward()
        w.data -= learning_rate * w.grad
        path.append(w.data)
    return path


fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.plot(descend(reset_gradient=True), "o-", markersize=3, label="w.grad reset each step")
ax.plot(descend(reset_gradient=False), "s-", markersize=3, label="never reset")
ax.axhline(3.0, color="black", linestyle=":", label="the minimum, w = 3")
ax.set_xlabel("step")
ax.set_ylabel("w")
ax.set_title("gradient descent on (w − 3)²")
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()

# %% [markdown]
# ## 2. Detaching stops the gradient
#
# `v.detach()` gives a new leaf with the same number as `v` but no memory of how it
# was made. Gradients cannot flow through it, so to the engine it is a constant.
#
# Take z = detach(x²)·x at x = 2. The value is 4·2 = 8, the same as x³. But only the
# second factor is connected to x, so ∂z/∂x = detach(x²) = 4, not 3x² = 12.

# %%
x = Value(2.0, label="x")
square = x**2
square.label = "x²"
frozen = square.detach()
frozen.label = "detach(x²)"
z = frozen * x
z.label = "z"
z.backward()
print(f"z = {z.data}   ∂z/∂x = {x.grad}   (3x² would be {3 * 2.0**2})")

# %% [markdown]
# Draw z together with x² and you can see the cut: the detached copy is a leaf of its
# own (highlighted), with no edge back to x², so the backward pass from z never reaches
# the `**` node. Its gradient stays 0.

# %%
draw_graph([z, square], highlight=[frozen])

# %% [markdown]
# You detach on purpose when a number should act as a fixed target: the label in
# a learned "teacher" network, a running average, a baseline in reinforcement
# learning. `no_grad()` is the same idea for a whole block: inside it nothing is
# recorded, every result is a leaf, and it runs faster. Use it for evaluation,
# plotting and the parameter update itself.

# %%
x = Value(2.0, label="x")
with no_grad():
    w = x * 3
print("w =", w.data, "  is a leaf:", w.is_leaf, "  parents:", w.parents)

# %% [markdown]
# ## 3. Changing a value after it was used
#
# Every node records its local partials from the numbers it saw *when it was made*. If
# you then change a leaf's `.data`, the recorded graph describes a computation that no
# longer matches your numbers. Here y = x·x was recorded at x = 2; then x becomes 3:

# %%
x = Value(2.0, label="x")
y = x * x
y.label = "y"
x.data = 3.0
print("y.data is still", y.data, "and its local partials are still", y.local_partials)

# %% [markdown]
# A backward pass through this graph would report 2 + 2 = 4, the slope at the *old* x,
# while the slope at x = 3 is 6. A home-made engine (like last lesson's `Scalar`) gives
# you that 4 without a word. `autodiff_lab` keeps a version number on every value and
# refuses instead, telling you what changed and what to do:

# %%
try:
    y.backward()
except RuntimeError as error:
    print("RuntimeError:", error)

# %% [markdown]
# The fix is to recompute the forward pass after the change. That is why a training
# loop always goes: compute the loss, zero the gradients, `backward()`, update `.data`,
# and only then compute the *next* loss from the updated numbers.
#
# PyTorch guards only its real in-place operations: `a.mul_(2)` on a tensor the graph
# saved makes `backward()` raise "one of the variables needed for gradient computation
# has been modified by an inplace operation". Writing through `.data` goes around that
# check, and the same three lines, `y = x * x; x.data.fill_(3.0); y.backward()`, give
# `x.grad` = 6 without a word: the slope at the new x, for a y of 4 computed at the old
# one.

# %%
y = x * x
y.backward()
print("recomputed at x = 3:  y =", y.data, "  ∂y/∂x =", x.grad)

# %% [markdown]
# ## 4. inf and nan, and how to find where they started
#
# Plain Python raises an exception for log(0) and for exp(1000). Floating-point
# hardware (IEEE 754) instead answers −inf and inf, and so do numpy, PyTorch and
# `autodiff_lab`:

# %%
for expression, compute in (
    ("math.log(0.0)", lambda: math.log(0.0)),
    ("math.exp(1000.0)", lambda: math.exp(1000.0)),
):
    try:
        compute()
    except (ValueError, OverflowError) as error:
        print(f"{expression:17} raises {type(error).__name__}")
print("Value(0.0).log()     =", Value(0.0).log().data)
print("Value(1000.0).exp()  =", Value(1000.0).exp().data)

# %% [markdown]
# That keeps long computations running, but an `inf` rarely stays alone: 0·(−inf) is
# `nan`, and `nan` spreads through everything it touches. Here is x·log(x) at x = 0
# (its limit is 0, but the program does not know that):

# %%
x = Value(0.0, label="x")
loss = x * x.log()
loss.backward()
print("loss =", loss.data, "  x.grad =", x.grad)

# %% [markdown]
# In a real model the `nan` shows up many steps later, far from its cause. Inside
# `detect_anomaly()` the engine checks every result as it goes and stops at the first
# `inf` or `nan`, naming the operation and its inputs:

# %%
x = Value(0.0, label="x")
with detect_anomaly():
    try:
        loss = x * x.log()
    except AnomalyError as error:
        print("AnomalyError:", error)

# %% [markdown]
# It watches the backward pass too. √x is 0 at x = 0 (a fine, finite number), but its
# slope 1/(2√x) is infinite there, so the trouble only starts on the way back:

# %%
x = Value(0.0, label="x")
root = x.sqrt()
with detect_anomaly():
    try:
        root.backward()
    except AnomalyError as error:
        print("AnomalyError:", error)

# %% [markdown]
# Checking every number costs time, so switch it on while you hunt a `nan` and off
# again afterwards.
#
# ## Try it
#
# Before you run the cell, predict `x.grad` after each of three `backward()` calls on
# y = x³ at x = 1 (the slope is 3x² = 3). Then add one line so that all three print 3.

# %%
x = Value(1.0, label="x")
y = x**3
for call in range(1, 4):
    y.backward()
    print(f"after backward() number {call}: x.grad = {x.grad}")
