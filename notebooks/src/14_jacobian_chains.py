# %% [markdown]
# # Lesson 14 · The chain rule as a product of Jacobians
#
# Lesson 2 multiplied derivatives of one-number layers. When every layer maps a vector
# to a vector, each derivative is a Jacobian matrix (lesson 9) and the chain rule becomes
# a **product of matrices**. Matrix multiplication is associative, so every order of
# multiplying gives the same answer, but not at the same price. This lesson shows that
# the order is the *whole* difference between forward and reverse mode.

# %%
import numpy as np

from autodiff_lab import jacobian
from autodiff_lab import math as admath
from autodiff_lab.display.compare import compare_methods

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## Three layers, three Jacobians
#
# Take f(x) = F(G(H(x))) with H: ℝⁿ → ℝᵏ, G: ℝᵏ → ℝᵏ and F: ℝᵏ → ℝᵐ. Each layer is a
# matrix product followed by tanh, applied entry by entry. The chain rule says
#
# $$J_f(x) = J_F\big(G(H(x))\big)\; J_G\big(H(x)\big)\; J_H(x),$$
#
# an m × k matrix times a k × k matrix times a k × n matrix: each layer's Jacobian taken
# at the value that layer received. Check it on small sizes, n = 3, k = 4, m = 2:


# %%
def layer(matrix):
    """x ↦ tanh(matrix · x), for numbers, Values or Duals."""
    return lambda x: [admath.tanh(sum(a * xi for a, xi in zip(row, x))) for row in matrix]


n, k, m = 3, 4, 2
H, G, F = (
    layer(rng.normal(size=(k, n))),
    layer(rng.normal(size=(k, k))),
    layer(rng.normal(size=(m, k))),
)


def f(x):
    return F(G(H(x)))


x = np.array([0.3, -0.5, 0.8])
h = np.array(H(x))
g = np.array(G(h))
J_H, J_G, J_F = jacobian(H, x), jacobian(G, h), jacobian(F, g)
print("shapes:", J_F.shape, J_G.shape, J_H.shape)
print("J_F · J_G · J_H =")
print(J_F @ J_G @ J_H)
print("jacobian(f) agrees to 1e-15:", bool(np.abs(J_F @ J_G @ J_H - jacobian(f, x)).max() < 1e-15))

# %% [markdown]
# ## Two orders, one answer
#
# With three matrices there are two ways to multiply:
#
# $$\text{right to left: } J_F\,(J_G\,J_H) \qquad\qquad \text{left to right: } (J_F\,J_G)\,J_H.$$
#
# Multiplying an a × b matrix by a b × c matrix takes a·b·c multiply-adds. So right to
# left costs k·k·n + m·k·n, and left to right costs m·k·k + m·k·n. The function below
# multiplies in a given order and counts the multiply-adds as it goes:


# %%
def chain_product(matrices, order):
    """The product of `matrices` (outermost layer first) and the multiply-adds it took."""
    count = 0
    if order == "right to left":  # start from the input side, J_H
        product = matrices[-1]
        for matrix in reversed(matrices[:-1]):
            count += matrix.shape[0] * matrix.shape[1] * product.shape[1]
            product = matrix @ product
    else:  # "left to right": start from the output side, J_F
        product = matrices[0]
        for matrix in matrices[1:]:
            count += product.shape[0] * product.shape[1] * matrix.shape[1]
            product = product @ matrix
    return product, count


for order in ("right to left", "left to right"):
    product, count = chain_product([J_F, J_G, J_H], order)
    same = np.allclose(product, J_F @ J_G @ J_H)
    print(f"{order:>13}: {count:>3} multiply-adds, same matrix: {same}")

# %% [markdown]
# ## Forward mode multiplies from the right, reverse mode from the left
#
# Forward mode pushes a tangent vector v through the layers: first $J_H v$, then
# $J_G (J_H v)$, then $J_F (J_G J_H v)$. That is the right-to-left order, one column at
# a time; seeding the n inputs in turn gives the n columns of $J_f$.
#
# Reverse mode pulls an adjoint row vector uᵀ back: first $u^\top J_F$, then
# $(u^\top J_F) J_G$, then $(u^\top J_F J_G) J_H$. That is the left-to-right order, one
# row at a time; seeding the m outputs in turn gives the m rows.
#
# Nothing else distinguishes the two modes. Which one is cheaper depends only on the
# shapes at the two ends of the chain.
#
# ## Measuring both orders
#
# Two shapes matter in practice. A **wide-in** function has many inputs and one output,
# like a loss of a million weights. A **wide-out** function has one input and many
# outputs, like a curve traced in a high-dimensional space. Count both orders for
# n = 1000 or m = 1000, with k = 50 in the middle (random matrices stand in for the
# Jacobians; only their shapes matter for the count):

# %%
shapes = {
    "wide-in  (n=1000, k=50, m=1)": (1000, 50, 1),
    "wide-out (n=1, k=50, m=1000)": (1, 50, 1000),
}
print(f"{'':30} {'right to left (forward)':>24} {'left to right (reverse)':>24}")
for name, (n_big, k_mid, m_big) in shapes.items():
    matrices = [
        rng.normal(size=(m_big, k_mid)),
        rng.normal(size=(k_mid, k_mid)),
        rng.normal(size=(k_mid, n_big)),
    ]
    counts = [chain_product(matrices, order)[1] for order in ("right to left", "left to right")]
    print(f"{name:30} {counts[0]:>24,} {counts[1]:>24,}")

# %% [markdown]
# For the wide-in function, left to right (reverse mode) is about 50 times cheaper: it
# never forms the k × n block $J_G J_H$, only a row times each matrix. For the wide-out
# function it is the other way round. The middle of the chain costs the same either way;
# the ends decide.
#
# ## The same measurement with the engine
#
# The engine never builds these matrices: a forward pass multiplies by each layer's
# Jacobian implicitly, one primitive at a time, and so does a backward pass. Its cost
# still follows the same rule. `compare_methods` counts the primitive operations and
# the multiply-adds each mode does, charging both modes the same way: n forward passes
# against m backward passes.

# %%
n_in, k_mid = 40, 5
A = rng.normal(size=(k_mid, n_in)) / np.sqrt(n_in)
B = rng.normal(size=(k_mid, k_mid))
c = rng.normal(size=k_mid)


def wide_in(x):
    """ℝ⁴⁰ → ℝ: 40 inputs, one output."""
    hidden = layer(B)(layer(A)(x))
    return sum(ci * hi for ci, hi in zip(c, hidden))


a_col = rng.normal(size=k_mid)
D = rng.normal(size=(n_in, k_mid))


def wide_out(t):
    """ℝ → ℝ⁴⁰: one input, 40 outputs."""
    hidden = layer(B)([admath.tanh(ai * t) for ai in a_col])
    return np.array(layer(D)(hidden))


for name, function, point in (
    ("wide-in", wide_in, np.linspace(-1, 1, n_in)),
    ("wide-out", wide_out, 0.3),
):
    table = compare_methods(function, point)
    forward, reverse = table["forward mode"], table["reverse mode"]
    print(
        f"{name:>8}: forward mode {forward.operations:>6,} operations"
        f" in {forward.evaluations} pass(es)"
    )
    print(f"{'':>8}  reverse mode {reverse.operations:>6,} operations in 1 evaluation", end="")
    print(f" and {reverse.backward_passes} backward pass(es)")

# %% [markdown]
# The engine agrees with the matrix count: reverse mode wins by a wide margin when the
# inputs are many and the outputs few, forward mode when it is the other way round.
#
# ## Try it
#
# Change the sizes below, predicting first from the two formulas: for which n and m does
# right to left (forward mode) win? (Compare k²n + mkn with mk² + mkn.)

# %%
n_try, k_try, m_try = 50, 50, 1  # change me
right_to_left = k_try * k_try * n_try + m_try * k_try * n_try
left_to_right = m_try * k_try * k_try + m_try * k_try * n_try
print(f"right to left (forward): {right_to_left:,}   left to right (reverse): {left_to_right:,}")
