# ruff: noqa: E402, B018
# Lesson 15 source (percent format); build with: python tools/build_notebooks.py 15

# %% [markdown]
# # Lesson 15 · Debugging a wrong gradient
#
# An autodiff engine is only as right as the local derivative rule of each primitive.
# When you add a primitive of your own, a slip in its rule gives gradients that are wrong
# but look perfectly plausible: training still runs, just worse. This lesson plants such
# a slip and finds it the way practitioners do: first `check_grad` on the whole function
# says *that* something is wrong, then a check node by node says *where*.

# %%
import math

import numpy as np

from autodiff_lab import Value, check_grad
from autodiff_lab import math as admath
from autodiff_lab.numeric import numerical_derivative
from autodiff_lab.reverse import topological_order
from autodiff_lab.rules import Primitive

# %% [markdown]
# ## A primitive of your own
#
# **Swish**, $\operatorname{swish}(a) = a\,\sigma(a)$ with the sigmoid σ, is an activation
# used in some networks. As one primitive it needs a value and a local partial. By the
# product rule, with $\sigma'(a) = \sigma(a)(1 - \sigma(a))$,
#
# $$\operatorname{swish}'(a) = \sigma(a) + a\,\sigma(a)\big(1 - \sigma(a)\big)
#   = \sigma(a) + \text{out}\cdot\big(1 - \sigma(a)\big).$$
#
# Here is the primitive as someone might write it late at night. The partial function
# receives the input `a` and the output `out`, and returns one partial per input:


# %%
def swish_value(a):
    return a / (1.0 + math.exp(-a)) if a > -700 else 0.0


def swish_partial(a, out):
    s = admath.sigmoid(a)
    return (s + out * (1 - out),)  # the planted bug is in this line


SWISH = Primitive("swish", "swish", 1, swish_value, swish_partial, "s + out·(1 − s)")

# %% [markdown]
# `SWISH(v)` works on a `Value` like any built-in primitive. Use it in a small model:
# one neuron with a swish activation and a squared error over three points.

# %%
points = [(-1.0, 0.2), (0.5, 0.4), (2.0, 1.9)]


def loss(w, b):
    return sum((SWISH(w * x + b) - y) ** 2 for x, y in points) / len(points)


w, b = Value(0.8, label="w"), Value(-0.3, label="b")
total = loss(w, b)
total.backward()
print(f"loss {total.data:.4f}   ∂loss/∂w = {w.grad:.6f}   ∂loss/∂b = {b.grad:.6f}")

# %% [markdown]
# Nothing looks wrong: the numbers are of a sensible size and have the right signs.
# Only a comparison with something independent can tell.
#
# ## Step 1: check the whole gradient
#
# `check_grad(f, *inputs)` compares reverse mode with central differences of f itself:

# %%
report = check_grad(loss, 0.8, -0.3)
print(report)
print("reverse mode:       ", np.round(report.analytic, 6))
print("central differences:", np.round(report.numeric, 6))

# %% [markdown]
# A relative error of 0.19 is far above the 1e-10 or so that central differences reach
# on a smooth function (about 11 correct digits at the bottom of lesson 1's V): a rule
# is wrong somewhere. (After the fix below the error is 2e-11.) But the loss is built
# from many primitives. Which one?
#
# ## Step 2: check every node
#
# Every operation node recorded its local partials at forward time. Each one can be
# checked on its own: perturb one input of that node, re-run *just that primitive* on
# plain floats, and compare the difference quotient with the recorded partial. Walk
# the graph in topological order and report each node:


# %%
def check_nodes(output, tolerance=1e-6):
    """Each operation's recorded local partials against central differences of its primitive."""
    suspects = []
    for node in topological_order([output]):
        if node.op is None:
            continue
        inputs = [parent.data for parent in node.parents]
        for slot, recorded in enumerate(node.local_partials):
            if node.parents[slot].is_constant:
                continue  # nothing is differentiated with respect to a constant (lesson 2)

            def one_input(t, op=node.op, inputs=inputs, slot=slot):
                moved = list(inputs)
                moved[slot] = t
                return op.float_value(*moved)

            numeric = numerical_derivative(one_input, inputs[slot])
            error = abs(recorded - numeric) / max(1.0, abs(numeric))
            if error > tolerance:
                suspects.append((node.op.name, slot, inputs, recorded, numeric))
    return suspects


for name, slot, inputs, recorded, numeric in check_nodes(total):
    at = ", ".join(f"{v:.4g}" for v in inputs)
    print(f"{name}({at}): partial {slot} recorded {recorded:.6f}, differences {numeric:.6f}")

# %% [markdown]
# Three nodes fail, all of them `swish`, and no other primitive. The bug is in the rule
# of swish. Compare the rule with the formula above: `out * (1 - out)` should be
# `out * (1 - s)`. (It came from the sigmoid's own rule, σ·(1 − σ), copied one line too
# far.)
#
# Notice also where it does *not* show: at a = 0 both versions give 0.5, so a check at
# zero alone would pass. Check a rule at a few ordinary points, never only at 0 or 1.

# %%
for a in (0.0, 1.5):
    out = swish_value(a)
    s = 1 / (1 + math.exp(-a))
    print(f"a = {a}: buggy {s + out * (1 - out):.6f}   right {s + out * (1 - s):.6f}")

# %% [markdown]
# ## Step 3: fix, and check again
#
# Fix the rule and build the graph again (the old graph keeps the partials it recorded):


# %%
def swish_partial(a, out):  # noqa: F811 - the corrected rule replaces the buggy one
    s = admath.sigmoid(a)
    return (s + out * (1 - s),)


SWISH = Primitive("swish", "swish", 1, swish_value, swish_partial, "s + out·(1 − s)")

w, b = Value(0.8, label="w"), Value(-0.3, label="b")
total = loss(w, b)
total.backward()
print("nodes that disagree:", check_nodes(total))
print(check_grad(loss, 0.8, -0.3))

# %% [markdown]
# Both checks pass now. That is the routine whenever you write a rule by hand: check
# the whole gradient against differences, and if it fails, check node by node until
# you find the primitive whose recorded partials disagree with its own values.
#
# ## Try it
#
# Plant a bug of your own below, say forget the `s +` in the rule, or write `a` where
# `out` belongs, and predict which of the three swish nodes `check_nodes` flags. Is
# there a point where your bug is invisible?


# %%
def swish_partial_try(a, out):
    s = admath.sigmoid(a)
    return (out * (1 - s),)  # change me


SWISH = Primitive("swish", "swish", 1, swish_value, swish_partial_try, "try")
w, b = Value(0.8), Value(-0.3)
total = loss(w, b)
for name, _slot, inputs, recorded, numeric in check_nodes(total):
    print(f"{name} at a = {inputs[0]:.4g}: recorded {recorded:.6f}, differences {numeric:.6f}")
