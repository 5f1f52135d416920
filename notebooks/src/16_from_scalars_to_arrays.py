# ruff: noqa: E402, B018
# Lesson 16 source (percent format); build with: python tools/build_notebooks.py 16

# %% [markdown]
# # Lesson 16 · From scalars to arrays
#
# Every graph so far had one node per number. A network that reads a thousand images
# of 64 pixels does millions of multiplications per forward pass, and as `Value`s each
# one would be a node. Frameworks record **one node per array operation** instead, and
# give each operation a **vector-Jacobian product** (VJP): a function that turns the
# gradient of its output array into the gradient of each input array. This lesson
# derives two VJPs from the scalar engine, measures why a VJP beats a Jacobian, and
# then trains a digit classifier on real data at numpy speed.

# %%
import tracemalloc

import matplotlib.pyplot as plt

import autodiff_lab.numpy as np
from autodiff_lab import (
    Value,
    grad,
    jacobian,
    label_array,
    matmul_paths,
    trace_arrays,
    value_and_grad,
    vjp,
)
from autodiff_lab.array_rules import BROADCAST_TO, MATMUL, SUM
from autodiff_lab.datasets import load_digits
from autodiff_lab.widgets import ArrayBackwardStepper

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)

# %% [markdown]
# `autodiff_lab.numpy` is numpy, thinly wrapped (like HIPS autograd's `autograd.numpy`):
# on plain arrays it gives numpy's answers, and inside `grad` it records. **Give `grad` a
# numpy array and your function receives one array node**, handled by the array engine;
# give it a list of floats and it keeps the scalar engine: a list of `Value`s, one per
# number, and the gradient comes back as a list too:


# %%
def f(x):
    print(f"f receives {type(x).__name__} of {len(x)}; x[0] is a Value: {isinstance(x[0], Value)}")
    return np.sum(np.tanh(x) * x)


print(np.round(grad(f)(np.array([0.5, -1.0, 2.0])), 4))
print(np.round(grad(f)([0.5, -1.0, 2.0]), 4))

# %% [markdown]
# Same gradient, two engines. The rest of the lesson opens up the array engine's rules.
#
# ## The matmul VJP, read off the scalar engine
#
# Build C = A·B for a 2 × 3 matrix A and a 3 × 2 matrix B out of `Value`s, one number
# at a time: $C_{ij} = \sum_k A_{ik} B_{kj}$. A backward pass needs a single number at
# the end, so take a weighted sum of C's entries, $L = \sum_{ij} \bar g_{ij} C_{ij}$,
# with weights $\bar g$ of C's shape. Then $\partial L / \partial C = \bar g$: the
# weights play the part of "the gradient arriving at C" from whatever comes after it.

# %%
A_numbers = np.array([[1.0, 2.0, 0.0], [-1.0, 3.0, 1.0]])
B_numbers = np.array([[2.0, -1.0], [0.0, 1.0], [1.0, 4.0]])
g_bar = np.array([[1.0, 0.0], [2.0, -1.0]])

A = [[Value(a) for a in row] for row in A_numbers]
B = [[Value(b) for b in row] for row in B_numbers]
C = [[sum(A[i][k] * B[k][j] for k in range(3)) for j in range(2)] for i in range(2)]
L = sum(g_bar[i, j] * C[i][j] for i in range(2) for j in range(2))
L.backward()

A_grad = np.array([[a.grad for a in row] for row in A])
B_grad = np.array([[b.grad for b in row] for row in B])
print("grads of A's Values:\n", A_grad)
print("g_bar @ B.T:\n", g_bar @ B_numbers.T)
print("grads of B's Values:\n", B_grad)
print("A.T @ g_bar:\n", A_numbers.T @ g_bar)

# %% [markdown]
# The pattern holds for any sizes. $A_{ik}$ appears in $C_{i1}, C_{i2}, \dots$, once
# per column j, multiplied by $B_{kj}$; summing over those paths (lesson 5) gives
#
# $$\frac{\partial L}{\partial A_{ik}} = \sum_j \bar g_{ij} B_{kj} = (\bar g\,B^\top)_{ik},
# \qquad \frac{\partial L}{\partial B_{kj}} = \sum_i A_{ik}\,\bar g_{ij} = (A^\top \bar g)_{kj}.$$
#
# Two matrix products, each the shape of what it is the gradient of. That is the rule
# the array engine stores for `@`. With `vjp`, which hands $\bar g$ to the backward pass
# of a one-node graph, it gives A's share and B's:

# %%
print("rule:", MATMUL.formula)
_, vjp_for_A = vjp(lambda A: A @ B_numbers, A_numbers)
_, vjp_for_B = vjp(lambda B: A_numbers @ B, B_numbers)
print("array engine, A's share:\n", vjp_for_A(g_bar))
print("same as the scalar engine:", np.array_equal(vjp_for_A(g_bar), A_grad))
print("array engine, B's share:\n", vjp_for_B(g_bar))
print("same as the scalar engine:", np.array_equal(vjp_for_B(g_bar), B_grad))

# %% [markdown]
# The scalar computation above made 12 multiplications for 4 outputs; A (m × p) times
# B (p × n) makes m·p·n of them. As one array node it is one `@` forward and two `@`
# backward, each done by numpy's compiled matrix product.

# %% [markdown]
# Here are both pictures of the same product. On the left, the array engine's graph:
# one `matmul` node. On the right, the scalar graph the cells above built, with the
# paths from one entry, $A_{10}$, up to L highlighted. $A_{10}$ reaches L through
# $C_{10}$ and $C_{11}$, and each path's product of local derivatives is
# $B_{0j}\,\bar g_{1j}$; their sum is entry (1, 0) of $\bar g\,B^\top$.

# %%
matmul_paths(A_numbers, B_numbers, g_bar, entry=(1, 0))

# %% [markdown]
# ## The same rule from differentials
#
# The paths give the rule one entry at a time. Lesson 6's linearise-then-transpose gives
# it for the whole matrix in two lines. **Linearise**: nudge A and B by dA and dB; to
# first order C = AB moves by
#
# $$dC = dA\,B + A\,dB.$$
#
# **Transpose**: the loss moves by $dL = \langle \bar g, dC\rangle$, where
# $\langle X, Y\rangle = \sum_{ij} X_{ij} Y_{ij}$. Moving a matrix factor to the other
# side of the product transposes it,
# $\langle \bar g, dA\,B\rangle = \langle \bar g B^\top, dA\rangle$ and
# $\langle \bar g, A\,dB\rangle = \langle A^\top \bar g, dB\rangle$ (each side is the same
# sum of $\bar g_{ij}\, dA_{ik} B_{kj}$, or of $\bar g_{ij} A_{ik}\, dB_{kj}$), so
#
# $$dL = \langle \bar g B^\top, dA\rangle + \langle A^\top \bar g, dB\rangle,$$
#
# and whatever multiplies dA is A's gradient: $\bar A = \bar g B^\top$, $\bar B = A^\top \bar g$,
# the rule the paths gave. Check the two moves on random nudges:

# %%
dA, dB = rng.normal(size=A_numbers.shape), rng.normal(size=B_numbers.shape)
print(
    "⟨ḡ, dA·B⟩ =",
    round(np.sum(g_bar * (dA @ B_numbers)), 10),
    "  ⟨ḡ·Bᵀ, dA⟩ =",
    round(np.sum((g_bar @ B_numbers.T) * dA), 10),
)
print(
    "⟨ḡ, A·dB⟩ =",
    round(np.sum(g_bar * (A_numbers @ dB)), 10),
    "  ⟨Aᵀ·ḡ, dB⟩ =",
    round(np.sum((A_numbers.T @ g_bar) * dB), 10),
)

# %% [markdown]
# ## Broadcasting's VJP: sum over the copies
#
# Adding a bias b of shape (3,) to X of shape (4, 3) adds b to every row: numpy
# *broadcasts* b, using each $b_j$ four times. Each use is a path from $b_j$ to the
# output, so its gradient sums the arriving gradient over the four rows, ḡ summed over
# axis 0. The scalar engine sees those four uses directly: make b an array of `Value`s
# and numpy's broadcasting builds them.

# %%
X = rng.normal(size=(4, 3)).round(1)
b = np.array([0.1, 0.2, 0.3])
g_bar = rng.normal(size=(4, 3)).round(1)

b_values = np.array([Value(v) for v in b], dtype=object)
np.sum(g_bar * (X + b_values)).backward()  # 12 additions, each b_j in four of them
print("scalar engine:    ", np.array([v.grad for v in b_values]))

_, bias_vjp = vjp(lambda b: X + b, b)
print("array engine:     ", bias_vjp(g_bar))
print("g_bar.sum(axis=0):", g_bar.sum(axis=0))

# %% [markdown]
# A column c of shape (4, 1) is copied along the other axis, so its gradient is ḡ
# summed over axis 1, keeping the column's shape:

# %%
c = np.array([[1.0], [2.0], [3.0], [4.0]])
_, column_vjp = vjp(lambda c: X + c, c)
print(np.hstack([column_vjp(g_bar), g_bar.sum(axis=1, keepdims=True)]))

# %% [markdown]
# Broadcasting and `sum` are linear maps, and each is the other's **transpose**: for
# b of shape (3,) copied over 4 rows and any ḡ of shape (4, 3),
# ⟨ḡ, broadcast(b)⟩ = Σᵢⱼ ḡᵢⱼ bⱼ = ⟨sum over rows of ḡ, b⟩. The VJP of a linear map is
# its transpose (lesson 6), so summing an axis away sends ḡ back by broadcasting it over
# that axis, and broadcasting sends it back by summing. The rule table says so:

# %%
print("broadcast_to:", BROADCAST_TO.formula)
print("sum:         ", SUM.formula)

# %% [markdown]
# ## Why store VJPs and not Jacobians
#
# tanh applied to an N × M array has NM inputs and NM outputs, so its Jacobian has
# (NM)² entries. Output i depends only on input i, so all but NM of them are zero. Build
# it for a 50 × 40 array, then measure with `tracemalloc` what the array engine keeps
# between the forward and the backward pass instead:

# %%
X_small = rng.normal(size=(50, 40))
J = jacobian(np.tanh, X_small)
print(f"the array: {X_small.size:,} numbers, {X_small.nbytes:,} bytes")
print(f"Jacobian:  shape {J.shape}, {J.size:,} entries, {np.count_nonzero(J):,} nonzero")
print(f"           {J.nbytes:,} bytes, {J.nbytes / X_small.nbytes:,.0f}× the array")

tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
y, tanh_vjp = vjp(np.tanh, X_small)  # the forward pass, recorded
kept = tracemalloc.get_traced_memory()[0] - before
tracemalloc.stop()
print(f"kept by the array engine for the backward pass: {kept / X_small.nbytes:.0f}× the array")

g_bar = rng.normal(size=X_small.shape)
dense = (g_bar.reshape(1, 2000) @ J.reshape(2000, 2000)).reshape(50, 40)
print("its VJP is ḡ times the Jacobian:", np.allclose(tanh_vjp(g_bar), dense))
print("rule:", np.tanh.formula)

# %% [markdown]
# The engine keeps the input and the output, two arrays of the input's size; tanh's VJP
# needs only the output y, since it is ḡ ⊙ (1 − y²), one multiply per entry. The dense
# Jacobian is NM times the array: (NM)² numbers against the engine's 2NM, a gap that
# grows with the size. For the hidden layer of the network below, run on all 1,797
# digits (N × M = 1,797 × 32):

# %%
N, M = 1797, 32
print(f"dense Jacobian: {(N * M) ** 2 * 8 / 1e9:.1f} GB")
print(f"input + output: {2 * N * M * 8 / 1e6:.2f} MB")

# %% [markdown]
# Nobody builds that Jacobian; every framework (autograd, JAX, PyTorch) stores a VJP per
# operation, as this engine does.
#
# ## Training a classifier on the digits
#
# `load_digits()` gives the 1,797 handwritten digits that ship with the package
# (scikit-learn's copy of a UCI data set; see `autodiff_lab/datasets/DIGITS.md`): 8 × 8
# images with pixels from 0 to 16, and the digit each one shows.

# %%
images, labels = load_digits()
print(images.shape, labels.shape, "digits per class:", np.bincount(labels))
fig, axes = plt.subplots(1, 10, figsize=(8, 1.2), layout="constrained")
for digit, ax in enumerate(axes):
    ax.imshow(images[labels == digit][0], cmap="gray_r")
    ax.set_title(str(digit))
    ax.axis("off")
plt.show()

# %% [markdown]
# Hold a quarter of the images out as a test set (the model never trains on them), and
# scale the pixels to [0, 1]:

# %%
rng = np.random.default_rng(16)  # a seed of its own: the cells above do not change what follows
X_all = images.reshape(len(images), 64) / 16
order = rng.permutation(len(images))
test, train = order[:450], order[450:]
X_train, y_train = X_all[train], labels[train]
X_test, y_test = X_all[test], labels[test]
print("train", X_train.shape, " test", X_test.shape)

# %% [markdown]
# The network: 64 pixels → 32 tanh units → 10 scores, one per digit. The loss is the
# softmax cross-entropy of lesson 10, the mean of −log(probability of the right digit);
# `np.log_softmax` computes the log-probabilities stably (it subtracts the logsumexp).
# All four parameter arrays get their gradient from one backward pass over a handful
# of array nodes. At the start the network guesses about evenly, so the loss is near
# log 10, the cross-entropy of a uniform guess among 10 digits.

# %%
onehot = np.eye(10)[y_train]


def scores(W1, b1, W2, b2, X):
    return np.tanh(X @ W1 + b1) @ W2 + b2


def loss(W1, b1, W2, b2):
    log_p = np.log_softmax(scores(W1, b1, W2, b2, X_train), axis=1)
    return -np.sum(onehot * log_p) / len(X_train)


start = [rng.normal(size=(64, 32)) / 8, np.zeros(32), rng.normal(size=(32, 10)) / 6, np.zeros(10)]
loss_and_grads = value_and_grad(loss, argnums=(0, 1, 2, 3))
value, grads = loss_and_grads(*start)
print(f"loss at the start {value:.4f} (log 10 = {np.log(10):.4f})")
for name, p, g in zip(["W1", "b1", "W2", "b2"], start, grads):
    print(f"  {name}: shape {p.shape}, gradient shape {g.shape}")

# %% [markdown]
# Plain gradient descent on the whole training set, 300 steps with learning rate 0.5:

# %%
params, losses = start, []
for _ in range(300):
    value, grads = loss_and_grads(*params)
    losses.append(value)
    params = [p - 0.5 * g for p, g in zip(params, grads)]

predicted = np.argmax(scores(*params, X_test), axis=1)
train_accuracy = np.mean(np.argmax(scores(*params, X_train), axis=1) == y_train)
print(f"loss: {losses[0]:.4f} at step 0, {losses[-1]:.4f} at step 299")
print(f"accuracy: train {train_accuracy:.1%}, test {np.mean(predicted == y_test):.1%}")
print(f"misclassified test digits: {np.sum(predicted != y_test)} of {len(y_test)}")

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(losses)
ax.set(xlabel="step", ylabel="training loss", yscale="log", title="softmax cross-entropy")
plt.show()

# %% [markdown]
# The test digits it gets wrong, with the right label and the network's answer. Some
# are hard to read for a person too.

# %%
wrong = np.flatnonzero(predicted != y_test)[:10]
fig, axes = plt.subplots(1, len(wrong), figsize=(8, 1.4), layout="constrained")
for ax, i in zip(axes, wrong):
    ax.imshow(X_test[i].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{y_test[i]} → {predicted[i]}", fontsize=9)
    ax.axis("off")
fig.suptitle("true → predicted", fontsize=9)
plt.show()

# %% [markdown]
# ## The network's graph, one node per array operation
#
# `trace_arrays` records one call of a function as a graph you can look at; its
# keywords name the inputs, and `label_array` names a node inside (outside a trace it
# does nothing, so the same code still runs under `grad`). Here is one evaluation of
# the trained network's loss, every node with its shape:


# %%
def network_loss(X, W1, b1, W2, b2):
    H = label_array(np.tanh(X @ W1 + b1), "H")
    log_p = label_array(np.log_softmax(H @ W2 + b2, axis=1), "log_p")
    return label_array(-np.sum(onehot * log_p) / len(X), "L")


W1, b1, W2, b2 = params
graph = trace_arrays(network_loss, X=X_train, W1=W1, b1=b1, W2=W2, b2=b2)
graph.backward()
graph

# %% [markdown]
# 1,347 × 64 inputs and a few thousand weights, yet the graph has 10 operations:

# %%
print(f"weights: {sum(p.size for p in params):,} = 64·32 + 32 + 32·10 + 10")
operations = sum(node.op is not None for node in graph.nodes)
print(f"graph nodes: {len(graph.nodes)}, of them operations: {operations}")

# %% [markdown]
# Its backward pass gives the gradients `value_and_grad` gave during training:

# %%
_, grads = loss_and_grads(*params)
print(
    "same gradients:",
    all(np.allclose(graph.grads[n], g) for n, g in zip(["W1", "b1", "W2", "b2"], grads)),
)

# %% [markdown]
# Step through that backward pass. Each step is one VJP: the node being processed, the
# formula from the rule table, and the shapes going in and coming out. Watch the step
# for `add` with b1: a gradient of shape 1,347 × 32 arrives and leaves as 32 numbers,
# summed over the broadcast axis, as in the bias example above.

# %%
ArrayBackwardStepper(graph)

# %% [markdown]
# The last step sends a gradient to X, the data: ḡ·W1ᵀ, a 1,347 × 64 array that costs
# as many multiply-adds as W1's own gradient, 1,347·32·64, and that nothing uses, since
# training changes the weights, never the pixels. `trace_arrays` made X an input so that
# the picture shows where the data enters. Frameworks skip that work: PyTorch computes
# gradients only for tensors created with `requires_grad=True` (data is created without
# it), JAX only for the `argnums` you ask for, and so did this engine during training:
# `loss` reads `X_train` as a constant, and a constant gets no VJP at all. (A gradient
# with respect to the input does have uses, such as saliency maps and adversarial
# examples; then you ask for it.)

# %%
print("gradient shapes during training:", [g.shape for g in grads])
print("X's gradient in the traced graph:", graph.grads["X"].shape, "(computed, unused)")

# %% [markdown]
# ## The same model in PyTorch
#
# PyTorch records the same kind of graph, one node per tensor operation, each with its
# VJP. Give it the trained parameters in float64 and compare its gradients with ours.
# (PyTorch is not part of `make lab`; the cell tells you how to install it if needed.)

# %%
try:
    import torch
except ImportError:
    torch = None
    print("This part needs PyTorch: pip install torch==2.13.0")

# %%
if torch is not None:
    tensors = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    W1, b1, W2, b2 = tensors
    hidden = torch.tanh(torch.tensor(X_train) @ W1 + b1)
    log_p = torch.log_softmax(hidden @ W2 + b2, dim=1)
    torch_loss = -(torch.tensor(onehot) * log_p).sum() / len(X_train)
    torch_loss.backward()

    value, grads = loss_and_grads(*params)
    difference = max(np.max(np.abs(g - t.grad.numpy())) for g, t in zip(grads, tensors))
    print(f"loss: ours {value:.6f}, PyTorch {torch_loss.item():.6f}")
    print("largest gradient difference below 1e-12:", bool(difference < 1e-12))

# %% [markdown]
# ## Your turn: [exercise 6](../exercises/release/array_vjps.ipynb)
#
# `exercises/release/array_vjps.ipynb` asks you to write VJPs of array operations
# yourself and checks them against the array engine. The list of every lesson and
# exercise is on the [start page](../START-HERE.ipynb).
#
# ## Try it
#
# * What is the VJP with respect to b of X * b, which scales each column of X by one
#   entry of b? Derive it with an array of `Value`s as above, then check it with `vjp`.
# * Change the hidden layer from 32 units to 8, or the learning rate from 0.5 to 2.0.
#   What happens to the loss curve and the test accuracy?
# * In `loss`, replace `np.log_softmax(z, axis=1)` by `np.log(np.softmax(z, axis=1))`
#   and compute the loss with W2 a thousand times larger: which version gives `nan`,
#   and why? (Hint: what is 0 · log 0 in floating point?)
