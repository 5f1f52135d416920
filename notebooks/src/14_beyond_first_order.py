# %% [markdown]
# # Lesson 14 · Beyond first order
#
# *For the curious.* A gradient says which way is downhill. A second derivative says
# how the slope itself changes: whether the ground curves up like a bowl or down like
# a ridge, and how sharply. For a function of n inputs the second derivatives form the
# n × n **Hessian** matrix, H_ij = ∂²f/∂x_i∂x_j.
#
# You already have everything needed to compute it: run reverse mode on values that
# are themselves dual numbers. This lesson shows how that works, what it buys you
# (Newton's method, Hessian-vector products), and the one subtle bug that nesting
# derivatives invites: **perturbation confusion**.

# %%
import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Dual, Value, derivative, grad, hessian, hvp, value_and_grad
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.forward import new_tag, primal_of, tangent_of

# %% [markdown]
# ## Curvature, in one dimension
#
# For f(x) = x⁴ − 3x² + x, `grad` gives f′ and `hessian` (here a single number) gives
# f″. Where f″ < 0 (shaded) the curve bends downwards; the bottoms of its two valleys
# are where f′ = 0 and f″ > 0.


# %%
def quartic(x):
    return x**4 - 3 * x**2 + x


xs = np.linspace(-2.2, 2.2, 221)
values = [quartic(float(x)) for x in xs]
slopes = [grad(quartic)(float(x)) for x in xs]
curvatures = [hessian(quartic, float(x)) for x in xs]
print("at x = 1:  f′ =", grad(quartic)(1.0), "  f″ =", hessian(quartic, 1.0), " (12x² − 6 = 6)")

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.plot(xs, values, label="f(x)")
ax.plot(xs, slopes, "--", label="f′(x), by reverse mode")
ax.plot(xs, curvatures, ":", label="f″(x), by forward over reverse")
ax.fill_between(xs, -10, 15, where=np.array(curvatures) < 0, color="gray", alpha=0.2)
ax.axhline(0.0, color="black", linewidth=0.5)
ax.set_ylim(-10, 15)
ax.set_xlabel("x")
ax.legend(loc="upper center", fontsize="small")
plt.show()

# %% [markdown]
# ## Forward over reverse
#
# Give a `Value` a dual number as its data: x = 3 + 1·ε. The forward pass computes
# with duals, so every recorded local partial is a dual too, and so is every gradient
# that the backward pass adds up. The real part of x.grad is f′(3); its ε-part is how
# f′ changes as x moves, f″(3). For f(x) = x³ that is 3·3² = 27 and 6·3 = 18, and the
# graph shows both in the `grad` box of x:

# %%
x = Value(Dual(3.0, 1.0), label="x")
cube = x**3
cube.label = "x³"
cube.backward()
print("x.grad =", x.grad, "  f′(3) =", x.grad.primal, "  f″(3) =", x.grad.tangent)
draw_graph(cube)

# %% [markdown]
# With several inputs, seed the ε-parts with a direction v. One backward pass then
# gives the gradient (the real parts) and, in the ε-parts, the **Hessian-vector
# product** H·v: how the gradient changes as you move along v. That is all
# `autodiff_lab.hvp` does.
#
# ## The Rosenbrock valley
#
# f(x, y) = (1 − x)² + 100·(y − x²)² has its minimum at (1, 1) at the bottom of a long,
# curved, narrow valley: a classic test for optimisers. Its Hessian at (1, 1) is
# [[802, −400], [−400, 200]]. One `hvp` with v = (1, 0) gives the first column, and
# `hessian` runs one `hvp` per column:


# %%
def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


minimum = np.array([1.0, 1.0])
print("H·(1, 0) =", hvp(rosenbrock, minimum, [1.0, 0.0]))
print("H =")
print(hessian(rosenbrock, minimum))

# %% [markdown]
# Check it against finite differences, at a point away from the minimum, (−1, 2). Two
# numerical routes: central differences of the (exact) gradient, and the classic
# four-point second difference of f itself. Both land close to autodiff, but neither
# exactly: they carry the usual truncation and round-off errors of lesson 1, and the
# second difference, which divides by h², carries more.

# %%
point = np.array([-1.0, 2.0])
exact = hessian(rosenbrock, point)
gradient = grad(rosenbrock)
h = 1e-5
from_gradients = np.column_stack(
    [(gradient(point + h * e) - gradient(point - h * e)) / (2 * h) for e in np.eye(2)]
)


def second_difference(f, p, i, j, h=1e-4):
    di, dj = h * np.eye(2)[i], h * np.eye(2)[j]
    return (f(p + di + dj) - f(p + di - dj) - f(p - di + dj) + f(p - di - dj)) / (4 * h * h)


from_values = np.array(
    [[second_difference(rosenbrock, point, i, j) for j in range(2)] for i in range(2)]
)
print("autodiff:")
print(exact)
print("gradient differences agree to 1e-6:   ", bool(np.abs(from_gradients - exact).max() < 1e-6))
print("second differences of f agree to 1e-4:", bool(np.abs(from_values - exact).max() < 1e-4))
print("…but not to 1e-7:                     ", bool(np.abs(from_values - exact).max() < 1e-7))

# %% [markdown]
# ## What curvature buys: Newton's method
#
# Gradient descent takes a step of a fixed size times the slope. In the Rosenbrock
# valley that is hopeless: steps large enough to make progress along the valley floor
# bounce off its steep walls. **Newton's method** uses the Hessian to rescale the step,
# solving H·step = −gradient, and jumps to the bottom of the local quadratic. From
# (−1.2, 1) it reaches (1, 1) in five steps; gradient descent, after 2,000 steps, is
# still on its way. Newton is not a descent method, though: it jumps to the stationary
# point of the local quadratic, and that point can lie higher up. Here f goes *up*
# twice. Step 2 lands high on the valley wall, because the quadratic it trusts is a
# poor guess that far out; step 4 rises again, from 0.056 to 0.31, as it overshoots
# across the narrow valley. Only near (1, 1), where the quadratic fits well, does every
# step go down.

# %%
value_and_gradient = value_and_grad(rosenbrock)
start = np.array([-1.2, 1.0])

newton = [start]
for _ in range(5):
    _, g = value_and_gradient(newton[-1])
    newton.append(newton[-1] - np.linalg.solve(hessian(rosenbrock, newton[-1]), g))
for step, p in enumerate(newton):
    print(f"Newton step {step}: ({p[0]:7.4f}, {p[1]:7.4f})   f = {rosenbrock(p):.4f}")
heights = [rosenbrock(p) for p in newton]
print("steps where f goes up:", [k for k in range(1, 6) if heights[k] > heights[k - 1]])

descent = [start]
for _ in range(2000):
    _, g = value_and_gradient(descent[-1])
    descent.append(descent[-1] - 0.001 * g)
end = descent[-1]
print(f"gradient descent after 2,000 steps: ({end[0]:.4f}, {end[1]:.4f})")

grid_x, grid_y = np.meshgrid(np.linspace(-1.6, 1.6, 200), np.linspace(-3.5, 2.5, 200))
fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
ax.contour(
    grid_x, grid_y, np.log10(rosenbrock([grid_x, grid_y]) + 1e-3), levels=20, colors="silver"
)
ax.plot(*np.array(descent).T, color="tab:blue", label="gradient descent (2,000 steps)")
ax.plot(*np.array(newton).T, "o-", color="tab:red", label="Newton (5 steps)")
ax.plot([1.0], [1.0], "*", color="black", markersize=12, label="minimum (1, 1)")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
plt.show()

# %% [markdown]
# Newton's method needs the whole Hessian, n forward-over-reverse passes, and a linear
# solve. For a network with a million weights that is a matrix of 10¹² entries: out of
# reach. A Hessian-vector product is not. It costs a small multiple of one gradient,
# which is why methods that only ever need H·v (conjugate gradients, "Hessian-free"
# optimisation, measuring the sharpness of a minimum) are practical at that size.
#
# ## Derivatives of derivatives, and why duals need tags
#
# Forward mode nests too: the second derivative of y³ at 2 is the derivative of the
# function "x ↦ derivative of y³ at x":

# %%
print("d²/dx² x³ at 2 =", derivative(lambda x: derivative(lambda y: y**3, x), 2.0))

# %% [markdown]
# Now a harder case, famous for breaking early implementations:
#
# $$\frac{d}{dx}\Big[\,x \cdot \frac{d}{dy}(x + y)\Big|_{y=1}\Big]_{x=1}.$$
#
# The inner derivative d/dy (x + y) is 1, whatever x is, so the whole thing is
# d/dx [x · 1] = **1**. Here is a derivative that ignores tags: every `Dual` it makes
# has the default tag 0, so all of them carry "the same" ε.


# %%
def untagged_derivative(f, x):
    return f(Dual(x, 1.0)).tangent  # every call uses the same ε


def untagged_example():
    return untagged_derivative(lambda x: x * untagged_derivative(lambda y: x + y, 1.0), 1.0)


def tagged_example():
    return derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0)


print("without tags:", untagged_example())
print("with tags:   ", tagged_example())

# %% [markdown]
# Without tags the answer is 2. Inside the inner derivative, x is already 1 + ε (the
# outer derivative's perturbation) and y is 1 + ε (the inner one's). With one shared
# ε, x + y = 2 + 2ε, and the inner derivative reads off 2: it has counted x's
# perturbation as if it were y's. This is **perturbation confusion**.
#
# `autodiff_lab.derivative` gives each call a fresh tag, so the two perturbations stay
# apart, ε_x and ε_y. A dual number with tag y whose parts are dual numbers with tag x
# holds both: x + y = (2 + 1·ε_x) + 1·ε_y. The inner derivative reads off the ε_y part,
# 1, and leaves the ε_x part alone:

# %%
tag_x, tag_y = new_tag(), new_tag()
x = Dual(1.0, 1.0, tag=tag_x)
y = Dual(1.0, 1.0, tag=tag_y)
total = x + y
real_part = primal_of(total, tag_y)
print(f"x + y = ({real_part.primal} + {real_part.tangent}·ε_x) + {tangent_of(total, tag_y)}·ε_y")
print("d/dy (x + y) =", tangent_of(total, tag_y))

# %% [markdown]
# The same bug can hide in any nested use of forward mode: a derivative inside a loss
# that is itself differentiated, an optimiser tuned by gradients. Tags (ForwardDiff.jl
# in Julia calls them the same) are the standard fix.
#
# Reverse mode has the same trap: an inner `backward()` that adds into the outer x's
# `.grad` would count x's gradient twice. So every `grad` works at its own *level*,
# drawn from the same counter as the tags, and a `Value` of an outer level is a
# constant to an inner pass. Mixing the two modes either way round is just as safe:

# %%
print("reverse in reverse:", grad(lambda x: x * grad(lambda y: x + y)(1.0))(1.0))
print("forward in reverse:", grad(lambda x: x * derivative(lambda y: x + y, 1.0))(1.0))
print("reverse in forward:", derivative(lambda x: x * grad(lambda y: x + y)(1.0), 1.0))

# %% [markdown]
# ## Reverse over reverse: a backward pass that records itself
#
# Forward over reverse is one way to a second derivative. The other is to
# differentiate the backward pass itself. `backward(create_graph=True)` (PyTorch's
# name) runs the backward pass on `Value`s instead of plain numbers, so every step it
# takes is recorded, and `x.grad` is a `Value` with a graph of its own. First the graph
# of y = x³ that the pass walked:

# %%
x = Value(1.5, label="x")
y = x**3
y.label = "y"
y.backward(create_graph=True)
slope = x.grad
slope.label = "dy/dx"
print("dy/dx =", slope.data, "  (3x² = 6.75)")
draw_graph(y, show_grad=False)

# %% [markdown]
# and then the graph the pass built for dy/dx. Read it from the right: the seed 1
# (∂y/∂y) times the rule table's partial of x**3, 3·x^(3−1). The table writes its
# partials with its own operations, so the pass computed this one from x's node
# itself, and the new graph ends at x:

# %%
draw_graph(slope, show_grad=False)

# %% [markdown]
# A backward pass over that graph gives the second derivative, 6x = 9:

# %%
x.grad = 0.0
slope.backward()
print("d²y/dx² =", x.grad)

# %% [markdown]
# ## Three ways to a Hessian, and what each costs
#
# `hessian(f, x, mode=...)` nests the two modes any way round. The outer derivative
# follows the inner one's result along each of the n input directions; the inner one
# is where they differ. Forward over reverse (the default) runs one reverse pass whose
# numbers each carry n tangents, one per direction. Reverse over reverse runs f once,
# recording it and its gradient, then walks back through the gradient once per input.
# Forward over forward needs no graph at all: each number carries n tangents, and each
# of those n more. This engine, like PyTorch's `torch.func`, which pushes a batch of
# tangents through one traced pass (`vmap`), carries every direction in the same call,
# so every mode calls f once, on numbers and on arrays. Counting the calls of f for n
# inputs:


# %%
def counted(f):
    """f, counting its calls in ``.calls``."""

    def wrapper(v):
        wrapper.calls += 1
        return f(v)

    wrapper.calls = 0
    return wrapper


modes = ["forward-over-reverse", "reverse-over-reverse", "forward-over-forward"]
table = ["n   " + "".join(f"{mode:>24}" for mode in modes)]
for n in (2, 4, 8):
    calls, hessians = [], []
    for mode in modes:
        f = counted(lambda v: np.sum(v**3) * v[0])
        hessians.append(hessian(f, np.linspace(0.5, 1.5, n), mode=mode))
        calls.append(f.calls)
    assert all(np.allclose(h, hessians[0]) for h in hessians)  # the same matrix each way
    table.append(f"{n:<4}" + "".join(f"{c:>24}" for c in calls))
print("\n".join(table))

# %% [markdown]
# Calls are not the whole cost. Reverse over reverse keeps two levels of graph in
# memory, and each of its n backward passes walks the gradient's graph, a few times
# the size of f's; forward over reverse carries n tangents on every number of one
# reverse pass; forward over forward carries n² on every number of f. Which wins
# depends on the engine and the function. For a dozen inputs on arrays, forward over
# reverse and forward over forward take about the same time here, but the n² of
# forward over forward grows fastest: it is the one to avoid as n grows, or where f's
# intermediate arrays are large. Forward over reverse, the default here as in JAX and
# PyTorch, is the quickest on a list of numbers, and on arrays the one that stays quick
# as they grow (`benchmarks/hessian_peers.py` times every mode, on numbers and on
# arrays, beside PyTorch's and autograd's).
#
# ## Try it
#
# Pick your own function of two inputs and a direction v. Check that one `hvp` equals
# the full Hessian times v, then try a few directions of length 1: which one makes
# ‖H·v‖ largest? (Without fixing the length the question has no answer: doubling v
# doubles H·v. For a symmetric H the answer is the eigenvector whose eigenvalue is
# largest in *absolute value*; at (1, −2) below, the eigenvalues are −4 and −12, and the
# eigenvector of the larger one, −4, is the wrong guess.)


# %%
def my_function(p):
    x, y = p[0], p[1]
    return x**2 * y + y**3 - 2 * x * y


at = np.array([1.0, -2.0])
v = np.array([1.0, 1.0]) / np.sqrt(2)  # length 1
print("hvp:         ", np.round(hvp(my_function, at, v), 4))
print("hessian @ v: ", np.round(hessian(my_function, at) @ v, 4))
eigenvalues, eigenvectors = np.linalg.eigh(hessian(my_function, at))
for value, vector in zip(eigenvalues, eigenvectors.T):
    size = np.linalg.norm(hvp(my_function, at, vector))
    print(f"eigenvalue {value:g}: ‖H·v‖ = {size:g} along v = {np.abs(vector).round(3)}")
