# ruff: noqa: E402, B018
# Lesson 13 source (percent format); build with: python tools/build_notebooks.py 13

# %% [markdown]
# # Lesson 13 · XOR, watching every gradient
#
# Lesson 12 trained a network from `autodiff_lab.nn`. Here you write the network
# yourself, in about 25 lines, on top of nothing but `Value`; then you look at every
# gradient of its loss after one `backward()`, and step through the training run while
# the weights, their gradients, the loss and the decision boundary change together.

# %%
import random

from autodiff_lab import Value
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.reverse import topological_order
from autodiff_lab.widgets import TrainingStepper

# %% [markdown]
# ## A neuron, a layer, a network
#
# A **neuron** holds one weight per input and a bias, and outputs
# tanh(w0·x0 + w1·x1 + … + b). A **layer** is a list of neurons that all read the same
# inputs. A **network** (a multi-layer perceptron, MLP) feeds each layer's outputs to the
# next. Each class also lists its `parameters()`, the Values that training will change.


# %%
class Neuron:
    def __init__(self, nin, rng):
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)

    def __call__(self, x):
        return sum((wi * xi for wi, xi in zip(self.w, x)), self.b).tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin, nout, rng):
        self.neurons = [Neuron(nin, rng) for _ in range(nout)]

    def __call__(self, x):
        outputs = [neuron(x) for neuron in self.neurons]
        return outputs[0] if len(outputs) == 1 else outputs

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    def __init__(self, nin, nouts, rng):
        sizes = [nin] + nouts
        self.layers = [Layer(sizes[i], sizes[i + 1], rng) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


# %% [markdown]
# XOR needs a hidden layer (lesson 12 showed one neuron failing). Two hidden neurons
# are enough: `MLP(2, [2, 1])` has 2·(2 + 1) + (2 + 1) = 9 parameters. Name them, so
# that you can find them in the pictures below: `w` for weights, `b` for biases, then
# the layer and the neuron.

# %%
model = MLP(2, [2, 1], random.Random(2))
for layer_number, layer in enumerate(model.layers, start=1):
    for neuron_number, neuron in enumerate(layer.neurons):
        for k, weight in enumerate(neuron.w):
            weight.label = f"w{layer_number}.{neuron_number}.{k}"
        neuron.b.label = f"b{layer_number}.{neuron_number}"
print(len(model.parameters()), "parameters:", [p.label for p in model.parameters()])

# %% [markdown]
# ## The loss, and every gradient after one backward()
#
# The loss is the mean squared error over the four XOR points. One call of `backward()`
# fills in the gradient of every node; the nine parameters' grads say which way (and how
# hard) each one pulls the loss.

# %%
xor_inputs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
xor_targets = [0.0, 1.0, 1.0, 0.0]

loss = sum((model(x) - y) ** 2 for x, y in zip(xor_inputs, xor_targets)) / 4
loss.backward()
print(f"loss {loss.data:.4f}")
for p in model.parameters():
    print(f"  ∂loss/∂{p.label:<8} = {p.grad:+.4f}")
loss_grads = [p.grad for p in model.parameters()]
print("values in the loss's graph:", len(topological_order([loss])))

# %% [markdown]
# That graph holds four copies of the network, one per XOR point: far too wide for a
# screen. One copy fits. Here is the loss term of the point (1, 0) on its own, after its
# own `backward()` (`zero_grad()` first, so that the boxes show this term's gradients
# only). Each box shows its `data` and its `grad`. The green boxes are the nine
# parameters; the grey boxes are constants (the inputs 1 and 0, the target, the 2 of the
# square, the 4 of the mean), which are not differentiated.

# %%
term = (model([1.0, 0.0]) - 1.0) ** 2 / 4
term.zero_grad()
term.backward()
draw_graph(term, rankdir="TB")

# %% [markdown]
# Every parameter appears once per XOR point, four times in all, and its grad in the
# loss is the sum of what comes back along all four copies: the chain rule's sum over
# paths (lesson 5). Add up the four terms' gradients, each from its own `backward()`:

# %%
shares = []
for x, y in zip(xor_inputs, xor_targets):
    term = (model(x) - y) ** 2 / 4
    term.zero_grad()
    term.backward()
    shares.append([p.grad for p in model.parameters()])
summed = [sum(column) for column in zip(*shares)]
difference = max(abs(a - b) for a, b in zip(summed, loss_grads))
print("the four terms' grads add up to the loss's:", difference < 1e-12)
#
# ## Step through the training
#
# `TrainingStepper` runs gradient descent on your model (each iteration: loss, zero the
# grads, `backward()`, move every parameter by −learning rate × grad) and keeps a
# snapshot every 10 iterations. Each snapshot shows, *before* that iteration's update,
#
# * every parameter (blue) and every gradient (orange), each on one scale for the whole
#   run, so a bar that grows really grows (the gradients on a logarithmic scale, since
#   they shrink a hundredfold);
# * the loss curve so far;
# * the model's output over the plane, with the 0.5 line as the decision boundary.
#
# Press Next ▶ or Play and watch them together: the gradients are large while the loss
# falls fast, the boundary bends until it separates the red points from the blue ones,
# and the gradients shrink as the loss flattens out.

# %%
stepper = TrainingStepper(model, xor_inputs, xor_targets, steps=300, every=10, learning_rate=0.3)
stepper

# %% [markdown]
# The run the stepper recorded, in numbers:

# %%
first, last = stepper.run.snapshots[0], stepper.run.snapshots[-1]
print(first.caption)
print(last.caption)
print("outputs after training:", [round(model(x).data, 2) for x in xor_inputs])

# %% [markdown]
# ## Your turn: [exercise 5](../exercises/release/xor_mlp.ipynb)
#
# `exercises/release/xor_mlp.ipynb` has you write such a network (with a sigmoid
# output), its loss and its training loop, and checks each part.
#
# ## Try it
#
# * Change the seed in `random.Random(2)` (build the model again): some starts get stuck
#   with one hidden neuron doing nothing. What do its gradients look like in the stepper?
# * Try `learning_rate=1.0`, then 2.0: the loss curve starts to jump. Which gradients
#   are large when it does?
# * Replace `tanh` in `Neuron` by `relu()`. Which parameters stop getting gradient?
