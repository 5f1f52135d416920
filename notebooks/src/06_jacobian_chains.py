# ruff: noqa: E402, B018
# Lesson 06 source (percent format); build with: python tools/build_notebooks.py 06

# %% [markdown]
# # Lesson 6 · The chain rule as a product of Jacobians
#
# Lesson 2 multiplied the derivatives of one-number layers. When every layer maps a vector
# to a vector, each derivative is a Jacobian matrix (lessons 4 and 5 built them column by
# column and row by row) and the chain rule becomes a **product of matrices**. Matrix
# multiplication is associative: every order of multiplying gives the same matrix, but
# not at the same price. Forward and reverse mode are two of those orders; they also
# differ in what they must keep in memory; and for some chains an order that is neither
# beats both.

# %%
import numpy as np

from autodiff_lab import Value, jacobian
from autodiff_lab import math as admath
from autodiff_lab.reverse import topological_order

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# ## One product, its price
#
# The course writes every matrix product the same way: A (m × p) times B (p × n) is
# C = AB (m × n), and each of its m·n entries is a sum of p products, so it takes
# **m·p·n multiply-adds**. A chain of matrices is priced one product at a time.
#
# ## Three layers, three Jacobians
#
# Take f(x) = F(G(H(x))), each layer a matrix product followed by tanh, entry by entry.
# The chain rule says
#
# $$J_f(x) = J_F\big(G(H(x))\big)\; J_G\big(H(x)\big)\; J_H(x),$$
#
# each layer's Jacobian taken at the value that layer received. With x in ℝ³, hidden
# widths 4 and 4, and 2 outputs, the shapes are 2 × 4, 4 × 4 and 4 × 3:


# %%
def layer(matrix):
    """x ↦ tanh(matrix · x), for lists of numbers, Values or Duals."""
    return lambda x: [admath.tanh(sum(a * xi for a, xi in zip(row, x))) for row in matrix]


H, G, F = (layer(rng.normal(size=shape)) for shape in [(4, 3), (4, 4), (2, 4)])


def f(x):
    return F(G(H(x)))


x = [0.3, -0.5, 0.8]
h = H(x)
g = G(h)
# Each layer returns a list, so jacobian gives a list of rows; np.array stacks them.
J_H, J_G, J_F = (np.array(jacobian(fn, point)) for fn, point in ((H, x), (G, h), (F, g)))
print("shapes:", J_F.shape, J_G.shape, J_H.shape)
print("J_F · J_G · J_H =")
print(J_F @ J_G @ J_H)
print("jacobian(f) agrees to 1e-15:", bool(np.abs(J_F @ J_G @ J_H - np.array(jacobian(f, x))).max() < 1e-15))

# %% [markdown]
# ## Forward mode multiplies from the right, reverse mode from the left
#
# Forward mode pushes a tangent v through the layers: first $J_H v$, then $J_G (J_H v)$,
# then $J_F (J_G J_H v)$. That is the product taken **right to left**, one column at a
# time; seeding the inputs in turn gives the columns of $J_f$.
#
# Reverse mode pulls an adjoint row uᵀ back: first $u^\top J_F$, then $(u^\top J_F) J_G$,
# then $(u^\top J_F J_G) J_H$. That is the product taken **left to right**, one row at a
# time; seeding the outputs in turn gives the rows.
#
# Write a chain by its shapes as they stand in the product, left to right: p₀ × p₁,
# p₁ × p₂, …, so that `p = [2, 4, 4, 3]` above (p₀ outputs, p_L inputs). The two orders
# cost:


# %%
def right_to_left(p):
    """Multiply-adds of the chain with shapes p[0]×p[1], p[1]×p[2], … taken right to left."""
    last = len(p) - 1
    return sum(p[i] * p[i + 1] * p[last] for i in range(last - 1))


def left_to_right(p):
    """The same chain taken left to right."""
    return sum(p[0] * p[j - 1] * p[j] for j in range(2, len(p)))


p = [2, 4, 4, 3]
print("right to left (forward mode):", right_to_left(p), "multiply-adds")
print("left to right (reverse mode):", left_to_right(p), "multiply-adds")

# %% [markdown]
# For three layers of shapes m × k, k × k and k × n that is k·k·n + m·k·n against
# m·k·k + m·k·n. The last product, m·k·n, is the same either way: the whole difference
# lies in the **middle** matrix, k²n against k²m. So for a chain like this one, with one
# width k inside, the ends decide: many inputs and few outputs (a loss of a million
# weights) favour left to right, reverse mode; few inputs and many outputs favour
# forward mode.
#
# ## When the inside is uneven, the ends do not decide
#
# Give the two inner widths different sizes, with 10 inputs and 10 outputs. Both ends are
# the same, so an "ends decide" rule would call it a tie:

# %%
for p in ([10, 100, 1, 10], [10, 1, 100, 10]):
    shapes = " · ".join(f"{a}×{b}" for a, b in zip(p, p[1:]))
    print(f"{shapes:>18}:  forward {right_to_left(p):>6,}   reverse {left_to_right(p):>6,}")

# %% [markdown]
# Ten times apart, and which one wins swaps with the inner widths. Reverse mode wins the
# first chain because its first product, 10 × 100 by 100 × 1, leaves a 10 × 1 column,
# and everything after it is cheap; forward mode first forms the 100 × 10 block J·Jᵢ.
#
# ## A mixed order can beat both
#
# Now four layers with widths 10, 100, 1, 100, 10:

# %%
p = [10, 100, 1, 100, 10]
print(f"forward (right to left): {right_to_left(p):,}")
print(f"reverse (left to right): {left_to_right(p):,}")
print(f"(J₄ J₃)(J₂ J₁):          {10 * 100 * 1 + 1 * 100 * 10 + 10 * 1 * 10:,}")

# %% [markdown]
# Multiplying each half on its own first, and the two halves last, costs 2,100 instead of
# 12,000: the width-1 layer in the middle squeezes each half to a single column or row.
# Finding the cheapest bracketing of a chain is the textbook **matrix-chain problem**. A
# chain of L matrices has a Catalan number of bracketings (5 for 4 matrices, 4,862 for
# 10), too many to try one by one, but a dynamic program finds the best in L³ steps: the
# cheapest way to multiply matrices i to j splits them somewhere, at k, into two runs that
# are each multiplied the cheapest way, plus one last product of p_i × p_(k+1) by
# p_(k+1) × p_(j+1).


# %%
def cheapest_order(p):
    """The fewest multiply-adds for the chain p[0]×p[1], p[1]×p[2], …, and its bracketing."""
    count = len(p) - 1
    cost = {(i, i): 0 for i in range(count)}
    split = {}
    for length in range(2, count + 1):
        for i in range(count - length + 1):
            j = i + length - 1
            cost[i, j], split[i, j] = min(
                (cost[i, k] + cost[k + 1, j] + p[i] * p[k + 1] * p[j + 1], k) for k in range(i, j)
            )

    def bracketing(i, j):  # matrices named from the output end: J_L first
        if i == j:
            return f"J{count - i}"
        k = split[i, j]
        return f"({bracketing(i, k)} {bracketing(k + 1, j)})"

    return cost[0, count - 1], bracketing(0, count - 1)


for p in ([2, 4, 4, 3], [10, 100, 1, 10], [10, 1, 100, 10], [10, 100, 1, 100, 10]):
    best, order = cheapest_order(p)
    print(f"{str(p):>22}: {best:>6,} multiply-adds for {order}")

# %% [markdown]
# ## The same three orders in the engine
#
# The engine never forms a layer's Jacobian. A forward pass applies each layer's
# Jacobian to one tangent as it goes, one multiply-add per edge of the graph; a backward
# pass does the same with one adjoint. So its price is **passes × edges**: forward mode
# needs one pass per input, reverse mode one per output. The mixed order is also
# available: split the chain at the width-1 layer, take the first half with reverse mode
# (1 output: one backward pass), the second half with forward mode (1 input: one forward
# pass), and multiply the column by the row.
#
# Build the four layers with these widths and count the edges each half records (edges
# from constants, such as the matrix entries, carry nothing and are not counted):

# %%
sizes = [10, 100, 1, 100, 10]  # input width first
L1, L2, L3, L4 = (
    layer(rng.normal(size=(sizes[i + 1], sizes[i])) / np.sqrt(sizes[i])) for i in range(4)
)


def first_half(x):
    return L2(L1(x))  # ℝ¹⁰ → ℝ¹


def second_half(t):
    return L4(L3(t))  # ℝ¹ → ℝ¹⁰


def whole(x):
    return second_half(first_half(x))


def edges(output_values):
    """Multiply-adds in one pass over the graph of these outputs: its non-constant edges."""
    nodes = topological_order(output_values)
    return sum(not parent.is_constant for node in nodes for parent in node.parents)


x = list(rng.normal(size=10))
inputs = [Value(v) for v in x]
middle = first_half(inputs)
outputs = second_half(middle)
first_edges = edges(middle)
second_edges = edges(outputs) - first_edges
print(f"edges: first half {first_edges:,}, second half {second_edges:,}")

# %% [markdown]
# Each edge stands for one multiply-add of a matrix entry (the product a·x), one of the
# running sum, or one of tanh, so a pass costs about three times the matrices' own
# Σ pᵢ pᵢ₊₁. Now compute the whole Jacobian all three ways, check that they agree, and
# count. Reverse mode also keeps every node of the graph it walks back through (the next
# section):

# %%
J_forward = np.array(jacobian(whole, x, mode="forward"))  # 10 forward passes
J_reverse = np.array(jacobian(whole, x, mode="reverse"))  # 10 backward passes
row = np.array(jacobian(first_half, x, mode="reverse"))  # 1 × 10: one backward pass
column = np.array(jacobian(second_half, [first_half(x)[0]], mode="forward"))  # 10 × 1, one pass
J_mixed = column @ row  # 10 × 1 by 1 × 10: 100 multiply-adds
agree = np.allclose(J_forward, J_reverse) and np.allclose(J_mixed, J_reverse)
print("the three Jacobians agree:", agree)

total = first_edges + second_edges
kept_whole = len(topological_order(outputs))
kept_first = len(topological_order(middle))
table = [
    ("forward mode", right_to_left(sizes[::-1]), f"10 × {total:,}", 10 * total, 0),
    ("reverse mode", left_to_right(sizes[::-1]), f"10 × {total:,}", 10 * total, kept_whole),
    ("mixed", cheapest_order(sizes[::-1])[0], f"{first_edges:,} + {second_edges:,} + 100",
     total + 100, kept_first),
]  # fmt: skip
print(f"{'order':<13}{'matrix count':>13}{'engine: passes × edges':>32}{'nodes kept':>12}")
for name, matrix_count, how, engine_count, kept in table:
    print(f"{name:<13}{matrix_count:>13,}{how:>22} = {engine_count:>7,}{kept:>12,}")

# %% [markdown]
# The engine's counts follow the matrices': the two pure modes cost the same here, and
# the mixed order is about ten times cheaper. The engine does three multiply-adds per
# matrix entry in each pass (6,600 for the 2,200 entries of the four matrices), and its
# pure modes start from the identity (one seed per input, or per output), so forward
# mode's 66,000 is 3 × (12,000 + 100·10·10): the right-to-left product with one more
# product in front, J₁ times the 10 × 10 identity.
# Frameworks use such mixtures where a chain has a narrow waist; JAX lets you write them
# as `jacfwd` of one part and `jacrev` of another.
#
# ## The other difference: memory
#
# Forward mode can start multiplying as soon as the first layer is evaluated, because
# J₁ is the first Jacobian it needs: each tangent is used once and forgotten, and no
# graph is kept (`nodes kept` is 0). Reverse mode starts from the **output** end, and
# that end is known only after the whole evaluation; so until the backward pass reaches
# a layer, it must keep what that layer's Jacobian needs. Here the engine keeps every
# node of the graph (the table's last column); the mixed order keeps only the first
# half's, because its backward pass can run as soon as that half is evaluated.
#
# What a layer must keep depends on its operations: tanh's Jacobian needs only tanh's
# output, a product needs both factors (lesson 16 measures this on arrays). Memory, not
# arithmetic, is what long chains run out of first in reverse mode; frameworks trade it
# back for arithmetic by recomputing parts of the forward pass ("checkpointing").
#
# ## Reverse mode as linearise-then-transpose
#
# Lesson 5 ended with ⟨u, Jv⟩ = ⟨Jᵀu, v⟩: the two modes read one matrix in two
# directions. That identity is also a recipe for reverse mode, and JAX builds its reverse
# mode this way ("Autodidax" walks through it):
#
# 1. **Linearise**: fix the point. The forward pass has recorded every local partial, so
#    the map v ↦ Jv is a small *linear* program, one line per node, with those numbers as
#    its coefficients.
# 2. **Transpose** that program: run its lines backwards, turning each line
#    dy = a·dx + b·dz into x̄ += a·ȳ and z̄ += b·ȳ. A value read twice (fan-out) becomes a
#    sum of two contributions; a sum becomes a copy to each summand.
#
# Here are both for lesson 5's f(x₁, x₂) = (x₁ + x₂)·(x₁x₂) at (2, 3), written only with
# the partials the engine recorded:

# %%
x1, x2 = Value(2.0, label="x1"), Value(3.0, label="x2")
s, p = x1 + x2, x1 * x2
out = s * p
s.label, p.label, out.label = "s", "p", "f"
nodes = topological_order([out])


def linearised(v):
    """Jv: one line per node, dy = Σ (recorded partial) · (d of that input)."""
    tangent = {x1: v[0], x2: v[1]}
    for node in nodes:
        if node.parents:
            tangent[node] = sum(
                local * tangent[parent] for parent, local in zip(node.parents, node.local_partials)
            )
    return tangent[out]


def transposed(u):
    """Jᵀu: the same lines, last first, each one transposed."""
    adjoint = {node: 0.0 for node in nodes}
    adjoint[out] = u
    for node in reversed(nodes):
        for parent, local in zip(node.parents, node.local_partials):
            adjoint[parent] += local * adjoint[node]
    return [adjoint[x1], adjoint[x2]]


for node in nodes:  # the linear program, with the recorded partials as coefficients
    if node.parents:
        pairs = zip(node.local_partials, node.parents)
        print(f"d{node.label} = " + " + ".join(f"{a:g}·d{parent.label}" for a, parent in pairs))
print("transposed(1) =", transposed(1.0), "  (lesson 5: ∂f/∂x₁ = 21, ∂f/∂x₂ = 16)")

# %% [markdown]
# The transposed program is `backward()`, line for line. The identity checks it for any
# u and v, not only for the seed 1:

# %%
for _ in range(3):
    v, u = rng.normal(size=2), rng.normal()
    print(f"⟨u, Jv⟩ = {u * linearised(v):+.12f}   ⟨Jᵀu, v⟩ = {np.dot(transposed(u), v):+.12f}")

# %% [markdown]
# On a chain of layers it is the same rule one level up: (J_F J_G J_H)ᵀ = J_Hᵀ J_Gᵀ J_Fᵀ,
# so transposing the linearised chain applies the layers' transposes in reverse order,
# which is reverse mode's left-to-right product. Lesson 16 derives the matmul's backward
# rule the same way, from its linearisation.
#
# ## Try it
#
# Change the widths below (input width first). Before you run the cell, predict: which
# pure mode is cheaper, and does a mixed order beat both? Try a waist of width 1 in
# different places, and a chain that only widens.

# %%
widths = [1000, 50, 50, 1]  # change me: a loss of 1,000 inputs
p = widths[::-1]  # as the product is written: output end first
print(f"forward mode {right_to_left(p):,}, reverse mode {left_to_right(p):,}")
print("cheapest: {:,} multiply-adds for {}".format(*cheapest_order(p)))
