# %% [markdown]
# # Lesson 10 · Vector functions and their Jacobians
#
# Until now every function had one output. Many have several: a layer of a network
# maps a vector to a vector, and so does **softmax**, which turns a classifier's raw
# scores into probabilities. The derivative of such a function is a matrix, the
# **Jacobian**:
#
# $$J_{ij} = \frac{\partial f_i}{\partial x_j}\qquad (m \text{ outputs} \times n \text{ inputs}).$$
#
# Row i says how output i reacts to each input; column j says how every output reacts
# to input j. You will see that forward mode builds J one column per pass and reverse
# mode one row per pass, and why that decides which one training uses.

# %%
import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import jacobian, jvp, vjp
from autodiff_lab import math as admath
from autodiff_lab.display.plots import jacobian_build_steps, plot_jacobian, plot_jacobian_build

np.set_printoptions(precision=4, suppress=True)

# %% [markdown]
# ## Softmax
#
# $$s_i = \frac{e^{x_i}}{\sum_k e^{x_k}}$$
#
# Every output is positive and together they add up to 1. The function below uses
# `autodiff_lab.math.exp`, which accepts a float, a `Value` or a `Dual`, so the same
# code runs plainly, in reverse mode and in forward mode.


# %%
def softmax(x):
    """Softmax of a sequence of numbers, Values or Duals, as a list."""
    exps = [admath.exp(xi) for xi in x]
    total = sum(exps)
    return [e / total for e in exps]


x = np.array([1.0, 2.0, 3.0])
s = np.array(softmax(x))
print("s =", s, "  sum =", round(s.sum(), 4))

# %% [markdown]
# ## Its Jacobian, by hand
#
# Each $s_i$ depends on *every* input, through the sum in the denominator. The quotient
# rule, with $S = \sum_k e^{x_k}$ and $\partial S / \partial x_j = e^{x_j}$, gives
#
# $$\frac{\partial s_i}{\partial x_j}
#   = \frac{\delta_{ij} e^{x_i} S - e^{x_i} e^{x_j}}{S^2}
#   = s_i\,(\delta_{ij} - s_j),$$
#
# where $\delta_{ij}$ is 1 if i = j and 0 otherwise. So the diagonal holds
# $s_i(1 - s_i)$ (raising your own score raises your own probability) and everything
# off it is $-s_i s_j$ (raising anyone else's score lowers yours).
#
# ## Its Jacobian, by autodiff
#
# `jacobian(f, x, mode=...)` builds the whole matrix. Our softmax returns a list, so
# `jacobian` returns a list too, one row per output; `np.array` stacks the rows into the
# matrix. Compare two of its entries with the formula:

# %%
J = np.array(jacobian(softmax, x, mode="forward"))
print(J)
print("J[0, 0] =", round(J[0, 0], 4), "  s0·(1 − s0) =", round(s[0] * (1 - s[0]), 4))
print("J[0, 1] =", round(J[0, 1], 4), "  −s0·s1      =", round(-s[0] * s[1], 4))

# %% [markdown]
# As a picture: red is positive, blue negative. The matrix is symmetric, since
# $-s_i s_j = -s_j s_i$. Its rows and its columns each add up to 0, for two different
# reasons:
#
# * **Rows sum to 0** because softmax does not change when every input moves by the
#   same amount: $s(x + t\mathbf{1}) = s(x)$, since the factor $e^t$ cancels between the
#   numerator and the sum. The sum of row i, $\sum_j \partial s_i/\partial x_j$, is the
#   rate of change of $s_i$ along that shift, so it is 0.
# * **Columns sum to 0** because the outputs always add up to 1. The sum of column j,
#   $\sum_i \partial s_i/\partial x_j$, is the derivative of $\sum_i s_i = 1$ with
#   respect to $x_j$, so it is 0.

# %%
plot_jacobian(J, title="softmax Jacobian at x = (1, 2, 3)", decimals=3)
plt.show()
print("symmetric:", bool(np.allclose(J, J.T)))
print("row sums:   ", np.round(J.sum(axis=1), 12) + 0.0)
print("column sums:", np.round(J.sum(axis=0), 12) + 0.0)

# %% [markdown]
# For softmax the two facts come together, so it is easy to mix them up. Two other
# functions pull them apart. Dividing by the sum, $x / \sum_k x_k$, keeps the outputs
# adding up to 1 but changes when you shift the inputs; squaring the distances from the
# mean, $(x_i - \bar x)^2$, ignores a shift but its outputs have no fixed sum.


# %%
def share(x):
    """Each input's share of the total: outputs add up to 1."""
    total = sum(x)
    return [xi / total for xi in x]


def squared_deviation(x):
    """Each input's squared distance from the mean: unchanged by a shift."""
    mean = sum(x) / len(x)
    return [(xi - mean) ** 2 for xi in x]


for function in (softmax, share, squared_deviation):
    jac = np.array(jacobian(function, x))
    rows, columns = np.round(jac.sum(axis=1), 12) + 0.0, np.round(jac.sum(axis=0), 12) + 0.0
    print(f"{function.__name__:>17}:  row sums {rows}   column sums {columns}")

# %% [markdown]
# ## Columns in forward mode, rows in reverse mode
#
# Forward mode pushes one tangent direction through the function. Seeding input j
# with tangent 1 (and the others with 0) gives ∂f/∂x_j for every output at once:
# **column j**. A Jacobian with n inputs takes n forward passes.

# %%
fig = plot_jacobian_build(softmax, x, mode="forward", decimals=3)
plt.show()

# %% [markdown]
# Reverse mode pulls one output's sensitivity back. Seeding output i with adjoint 1
# gives ∂f_i/∂x for every input at once: **row i**. A Jacobian with m outputs takes m
# backward passes.

# %%
fig = plot_jacobian_build(softmax, x, mode="reverse", decimals=3)
plt.show()

# %% [markdown]
# Both modes give the same matrix, to rounding:

# %%
J_reverse = np.array(jacobian(softmax, x, mode="reverse"))
print("forward and reverse agree to 1e-15:", bool(np.abs(J - J_reverse).max() < 1e-15))

# %% [markdown]
# You rarely need the whole matrix. A forward pass with tangent v computes the
# product J·v directly (a **Jacobian-vector product**, `jvp`), and a backward pass with
# seed u computes uᵀJ (a **vector-Jacobian product**, `vjp`). Neither ever forms J:

# %%
v = np.array([1.0, 0.0, -1.0])
_, Jv = jvp(softmax, x, v)  # a list, as softmax returns
print("jvp:  J·v  =", np.array(Jv), "  from the matrix:", J @ v)

u = [0.0, 0.0, 1.0]  # shaped like softmax's output: a list
_, pull_back = vjp(softmax, x)
print("vjp:  uᵀJ  =", pull_back(u), "  from the matrix:", np.array(u) @ J)

# %% [markdown]
# ## Why training uses reverse mode
#
# A classifier's loss is one number computed from many inputs. Take the cross-entropy
# of softmax, −log s_k for the right class k, here with five scores and k = 2. Its
# Jacobian is one row: the gradient. Forward mode needs five passes, one per input,
# and each fills a single entry. Reverse mode gets the whole row in one pass.


# %%
def cross_entropy(scores, right_class=2):
    return -admath.log(softmax(scores)[right_class])


scores = np.array([0.5, -1.0, 2.0, 0.0, 1.5])
passes = {
    mode: len(jacobian_build_steps(cross_entropy, scores, mode)) for mode in ("forward", "reverse")
}
print("passes needed:", passes)
fig = plot_jacobian_build(cross_entropy, scores, mode="forward", decimals=3)
plt.show()

# %% [markdown]
# With a million weights instead of five scores, that is a million forward passes
# against one backward pass. (The gradient has a tidy form too: s − e_k, the
# probabilities minus the one-hot target.)

# %%
gradient = jacobian(cross_entropy, scores, mode="reverse")
one_hot = np.eye(5)[2]
print("gradient by reverse mode:", gradient)
print("s − e_k:                 ", np.array(softmax(scores)) - one_hot)

# %% [markdown]
# ## A crack in this softmax
#
# Try large scores. e¹⁰⁰⁰ is larger than any float, so it becomes `inf`, and inf/inf
# is `nan`:

# %%
print(softmax([1000.0, 1001.0, 1002.0]))

# %% [markdown]
# ## Your turn: [exercise 4](../exercises/release/softmax_jacobian.ipynb)
#
# `exercises/release/softmax_jacobian.ipynb` asks you to
#
# 1. write a softmax that also works at [1000, 1001, 1002] (hint: softmax does not
#    change when you add the same number to every input; which number keeps every
#    exponent at or below 0?);
# 2. turn the formula $J_{ij} = s_i(\delta_{ij} - s_j)$ into a function that returns the
#    n × n matrix;
# 3. check your matrix against `jacobian` in both modes.

# %% [markdown]
# ## Does a saturated softmax learn slowly?
#
# Make one score much larger than the others, say x = (0, 0, 8). Softmax is then almost
# sure of class 2, and every entry of its Jacobian is close to 0: the outputs hardly move
# when the scores do.

# %%
saturated = np.array([0.0, 0.0, 8.0])
J_saturated = np.array(jacobian(softmax, saturated))
plot_jacobian(J_saturated, title="softmax Jacobian at x = (0, 0, 8)", decimals=4)
plt.show()
print("largest entry:", round(float(np.abs(J_saturated).max()), 4))

# %% [markdown]
# Does that make learning slow? It depends on the loss. Say the right class is k = 0, so
# the model is confidently wrong.
#
# * With **squared error on the probabilities**, $\tfrac12\lVert s - e_k\rVert^2$, the
#   gradient is $J^\top (s - e_k)$. The error $s - e_k$ is large, but it is multiplied by
#   the tiny Jacobian, so the gradient is tiny: this is the case where a saturated
#   softmax learns slowly.
# * With **cross-entropy**, $-\log s_k$, the log cancels the small factor. Its derivative
#   $-1/s_k$ is huge exactly when $s_k$ is tiny, and
#   $\frac{\partial(-\log s_k)}{\partial x_j} = -\frac{1}{s_k}\, s_k(\delta_{kj} - s_j)
#   = s_j - \delta_{kj}$. The gradient is $s - e_k$, as large as the mistake.


# %%
def squared_error(scores, right_class=0):
    probabilities = softmax(scores)
    return sum((p - float(i == right_class)) ** 2 for i, p in enumerate(probabilities)) / 2


for loss in (squared_error, cross_entropy):
    g = jacobian(lambda z, loss=loss: loss(z, right_class=0), saturated, mode="reverse")
    print(f"{loss.__name__:>13}: gradient {np.round(g, 4)}   size {np.linalg.norm(g):.4f}")
print(f"{'s - e_0':>13}: {np.round(np.array(softmax(saturated)) - np.eye(3)[0], 4)}")

# %% [markdown]
# So softmax with cross-entropy, the pair every classifier uses, keeps learning when it
# is confidently wrong. Squared error on the probabilities stalls there.
#
# ## Try it
#
# Change the saturated scores below, or the right class, and predict first: which
# gradient shrinks as the largest score grows, and which one stays near $s - e_k$?

# %%
scores_try, right_try = np.array([0.0, 0.0, 12.0]), 0  # change me
for loss in (squared_error, cross_entropy):
    g = jacobian(lambda z, loss=loss: loss(z, right_class=right_try), scores_try)
    print(f"{loss.__name__:>13}: size of the gradient {np.linalg.norm(g):.6f}")
