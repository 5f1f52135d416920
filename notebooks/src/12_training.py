# %% [markdown]
# # Lesson 12 · Training
#
# Everything so far pays off here. A neural network is a function built from many
# small operations with many adjustable numbers (its **parameters**). Training means:
# measure how wrong the network is with one number, the **loss**; get the gradient of
# the loss with respect to every parameter with one backward pass; nudge every
# parameter a little against its gradient; repeat.
#
# You will build up from one neuron to a network that learns XOR, using
# `autodiff_lab.nn`, and finish by checking its gradients against PyTorch.

# %%
import importlib
import random

import matplotlib.pyplot as plt
import numpy as np

from autodiff_lab import Value
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.display.plots import plot_decision_boundary, plot_training
from autodiff_lab.nn import MLP, SGD, Neuron, binary_accuracy, binary_cross_entropy, mse_loss

# %% [markdown]
# ## A neuron
#
# A neuron takes n inputs, multiplies each by a weight, adds a bias and passes the sum
# through an **activation** such as tanh: tanh(w0·x0 + w1·x1 + b). `Neuron(2)` draws
# its two weights at random (from a seeded generator, so you get the same ones each
# time) and starts the bias at 0. Calling it on an input records the graph you know:

# %%
neuron = Neuron(2, activation="tanh", rng=random.Random(1))
print(neuron, "with weights", [round(w.data, 4) for w in neuron.w], "and bias", neuron.b.data)
output = neuron([1.0, -2.0])
output.backward()
draw_graph(output)

# %% [markdown]
# The gradients in the picture answer the training question for this one input: which
# way, and how strongly, should each weight move to raise the output?
#
# ## Layers and networks
#
# A **layer** is several neurons that all see the same inputs; a **multi-layer
# perceptron** (MLP) feeds each layer's outputs into the next. `MLP(2, [4, 1])` has
# 2 inputs, a hidden layer of 4 tanh neurons and 1 output neuron: 4·(2 + 1) + 1·(4 + 1)
# = 17 parameters.

# %%
model = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
print(model)
print("layers:", model.layers)
print("parameters:", len(model.parameters()))

# %% [markdown]
# Its output for one input is one `Value` at the end of a graph about fifty values
# long. The picture is larger, but there is nothing new in it: weights, products, sums,
# tanh, and one sigmoid at the end.

# %%
draw_graph(model([1.0, 0.0]), show_grad=False)

# %% [markdown]
# ## Loss and gradient descent, with one parameter
#
# Start small. The data (1, 2), (2, 4), (3, 6) follow y = 2x, and the model is y = w·x.
# The **mean squared error** averages (prediction − target)² over the data; here it is
# (14/3)·(w − 2)², a parabola with its bottom at w = 2.
#
# **Gradient descent** repeats one update: w ← w − learning rate × ∂loss/∂w. Each step
# has the same four moves you will see in every training loop: compute the loss, zero
# the gradient, `backward()`, update.

# %%
xs, ys = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0]
w = Value(0.0, label="w")
learning_rate = 0.05
path = []
for step in range(12):
    loss = mse_loss([w * x for x in xs], ys)
    path.append((w.data, loss.data))
    w.grad = 0.0
    loss.backward()
    if step < 3:
        print(f"step {step}: w = {w.data:.4f}, loss = {loss.data:.4f}, ∂loss/∂w = {w.grad:.4f}")
    w.data -= learning_rate * w.grad
print(f"after 12 steps: w = {w.data:.4f}")

grid = np.linspace(-0.5, 4.5, 200)
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(grid, 14 / 3 * (grid - 2) ** 2, color="gray", label="loss(w)")
ax.plot(*zip(*path), "o-", color="tab:red", markersize=4, label="gradient descent steps")
ax.set_xlabel("w")
ax.set_ylabel("mean squared error")
ax.legend()
plt.show()

# %% [markdown]
# Steps are long where the slope is steep and shrink as the bottom flattens out. Try a
# learning rate of 0.25 in your head: each step would overshoot the bottom by more than
# it started from, and the steps would grow instead of shrink.
#
# ## Logistic regression
#
# Now a real, if tiny, classification problem: ten points in the plane, five labelled 1
# and five labelled 0. One neuron with a **sigmoid** activation outputs a number
# between 0 and 1, read as "the probability of label 1". Its loss is the **binary
# cross-entropy**, −log p for a point labelled 1 and −log(1 − p) for a point labelled
# 0, which punishes confident mistakes hard. `SGD` does the update for every parameter.

# %%
points = [
    [2.0, 1.5], [2.5, 2.5], [1.5, 2.5], [3.0, 2.0], [2.2, 3.0],
    [0.5, 0.5], [1.0, 0.0], [0.0, 1.0], [1.2, 1.0], [0.3, 1.8],
]  # fmt: skip
labels = [1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]

classifier = Neuron(2, activation="sigmoid", rng=random.Random(0))
optimiser = SGD(classifier.parameters(), lr=0.5)
losses = []
for _ in range(200):
    loss = binary_cross_entropy([classifier(p) for p in points], labels)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    losses.append(loss.data)

accuracy = binary_accuracy([classifier(p) for p in points], labels)
print(f"final loss {losses[-1]:.4f}, accuracy {accuracy:.0%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
plot_training(losses, ax=left)
plot_decision_boundary(classifier, points, labels, ax=right)
plt.show()

# %% [markdown]
# The boundary, where the neuron outputs exactly 0.5, is where w0·x0 + w1·x1 + b = 0:
# always a straight line. That is the limit of a single neuron.
#
# ## XOR: where one neuron is not enough
#
# XOR is 1 when exactly one of its two inputs is 1. No straight line puts (0, 1) and
# (1, 0) on one side and (0, 0) and (1, 1) on the other. Trained the same way, a single
# neuron gives up and answers 0.5 for everything (a loss of log 2 ≈ 0.6931):

# %%
xor_inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
xor_targets = [0.0, 1.0, 1.0, 0.0]

lonely = Neuron(2, activation="sigmoid", rng=random.Random(0))
optimiser = SGD(lonely.parameters(), lr=0.5)
for _ in range(500):
    loss = binary_cross_entropy([lonely(p) for p in xor_inputs], xor_targets)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
print(f"loss {loss.data:.4f}; outputs", [round(lonely(p).data, 2) for p in xor_inputs])

# %% [markdown]
# A hidden layer fixes it: its four tanh neurons bend the plane so that the output
# neuron *can* draw its line. Here is the `MLP(2, [4, 1])` from before, trained with
# mean squared error, learning rate 1 and 500 steps of gradient descent. The whole
# training loop is the same four moves as before.


# %%
def train_xor(model, steps=500, learning_rate=1.0):
    """Gradient descent on the mean squared error over the four XOR points."""
    optimiser = SGD(model.parameters(), lr=learning_rate)
    losses = []
    for _ in range(steps):
        loss = mse_loss([model(p) for p in xor_inputs], xor_targets)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.data)
    return losses


network = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
losses = train_xor(network)
print(f"final loss {losses[-1]:.4f}")
print("outputs:", [round(network(p).data, 3) for p in xor_inputs], "targets:", xor_targets)
print(f"accuracy {binary_accuracy([network(p) for p in xor_inputs], xor_targets):.0%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
plot_training(losses, ax=left, log=True)
plot_decision_boundary(network, xor_inputs, xor_targets, ax=right)
plt.show()

# %% [markdown]
# The boundary is no longer a line. It bends around the four points so that (0, 1) and
# (1, 0) sit in red regions and (0, 0) and (1, 1) in blue ones, which no single
# straight cut can do. Lesson 13 builds this network from `Value` alone, and after it
# [exercise 5](../exercises/release/xor_mlp.ipynb) has you write one and its training
# loop yourself.
#
# ## The same gradients from PyTorch
#
# Is the engine right? PyTorch computes the same loss from the same 17 numbers in its
# own way: matrices instead of single numbers, its own backward pass. Below, a fresh
# network's parameters are copied into float64 tensors, both engines compute the
# gradient of the XOR loss, and the largest disagreement is compared with 10⁻¹².


# %%
def torch_gradients(torch, model, inputs, targets):
    """The MSE loss gradient of model, computed by PyTorch, in model.parameters() order."""
    weights, biases = [], []
    for layer in model.layers:
        rows = [[w.data for w in neuron.w] for neuron in layer.neurons]
        weights.append(torch.tensor(rows, dtype=torch.float64, requires_grad=True))
        bias = [neuron.b.data for neuron in layer.neurons]
        biases.append(torch.tensor(bias, dtype=torch.float64, requires_grad=True))
    h = torch.tensor(inputs, dtype=torch.float64)
    for index, (weight, bias) in enumerate(zip(weights, biases)):
        h = h @ weight.T + bias
        h = torch.sigmoid(h) if index == len(weights) - 1 else torch.tanh(h)
    loss = ((h[:, 0] - torch.tensor(targets, dtype=torch.float64)) ** 2).mean()
    loss.backward()
    gradients = []
    for weight, bias in zip(weights, biases):  # neuron by neuron: its weights, then its bias
        for row, bias_gradient in zip(weight.grad.tolist(), bias.grad.tolist()):
            gradients += [*row, bias_gradient]
    return gradients


fresh = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
loss = mse_loss([fresh(p) for p in xor_inputs], xor_targets)
fresh.zero_grad()
loss.backward()
ours = [parameter.grad for parameter in fresh.parameters()]

try:
    torch = importlib.import_module("torch")
except ImportError:
    print("PyTorch is not installed here, so there is nothing to compare with.")
else:
    theirs = torch_gradients(torch, fresh, xor_inputs, xor_targets)
    difference = max(abs(a - b) for a, b in zip(ours, theirs))
    print(f"{len(ours)} gradients compared")
    print("max |ours − torch| < 1e-12:", difference < 1e-12)

# %% [markdown]
# The two agree to within rounding: the same chain rule, organised differently.
#
# Lesson 13 writes `Neuron`, `Layer` and `MLP` from scratch and steps through an XOR
# training run, watching every weight and gradient change.
#
# ## Try it
#
# How small can the hidden layer be? Change `hidden` (try 1, 2 and 3) and `seed`, and
# watch the loss and the boundary. With 2 hidden units XOR is possible in principle,
# but not every starting point finds the solution.

# %%
hidden, seed = 3, 0
trial = MLP(2, [hidden, 1], output_activation="sigmoid", seed=seed)
trial_losses = train_xor(trial)
trial_accuracy = binary_accuracy([trial(p) for p in xor_inputs], xor_targets)
print(f"{hidden} hidden units, seed {seed}:", end=" ")
print(f"loss {trial_losses[-1]:.4f}, accuracy {trial_accuracy:.0%}")
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
plot_training(trial_losses, ax=left, log=True)
plot_decision_boundary(trial, xor_inputs, xor_targets, ax=right)
plt.show()
