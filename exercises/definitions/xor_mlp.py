"""Exercise 5: a 2-layer MLP built from autodiff_lab.Value learns XOR."""

from autodiff_lab.grading.notebook_format import given, prompt, solution, test

NAME = "xor_mlp"
AFTER_LESSON = 13  # the lesson it practises; its number follows lesson order

INTRO = """
# Exercise 5: a network that learns XOR

*After lessons 12 and 13,
[Training](../../notebooks/12_training.ipynb) and
[XOR, watching every gradient](../../notebooks/13_xor_every_gradient.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

XOR is 1 when exactly one of its two inputs is 1. No straight line separates
its 1s from its 0s, so a single neuron cannot learn it; one hidden layer can.

You will build the whole training loop from `autodiff_lab.Value`:

1. `MLP`: 2 inputs → `n_hidden` tanh units → 1 sigmoid output;
2. `mse_loss`: the mean squared error over a data set, as a `Value`;
3. `train`: gradient descent, one step = loss, zero the grads, `backward()`,
   move every parameter against its gradient;

and then watch it reach 100% accuracy on the four XOR points.
"""

GIVEN = '''
import random

from autodiff_lab import Value
from autodiff_lab.grading import check

XOR_INPUTS = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
XOR_TARGETS = [0.0, 1.0, 1.0, 0.0]


def accuracy(model, inputs, targets):
    """The fraction of inputs whose output is on the right side of 0.5."""
    right = sum((model(x).data > 0.5) == (t > 0.5) for x, t in zip(inputs, targets))
    return right / len(inputs)
'''

MLP_PROMPT = """
## Part 1: the network

Hidden unit k computes `tanh(w_k1 * x1 + w_k2 * x2 + b_k)`; the output is
`sigmoid(v_1 * h_1 + ... + v_n * h_n + c)`. Draw every weight and bias from
`rng.uniform(-1, 1)` with the `rng` made from `seed`, so the same seed always
gives the same network. `parameters()` returns all of them in a list: with 4
hidden units that is 2·4 + 4 + 4 + 1 = 17 Values.
"""

MLP_ANSWER = '''
class MLP:
    """Two inputs, one layer of n_hidden tanh units, one sigmoid output."""

    def __init__(self, n_hidden=4, seed=0):
        rng = random.Random(seed)
        ### BEGIN SOLUTION
        self.hidden_weights = [
            [Value(rng.uniform(-1, 1)), Value(rng.uniform(-1, 1))] for _ in range(n_hidden)
        ]
        self.hidden_biases = [Value(rng.uniform(-1, 1)) for _ in range(n_hidden)]
        self.output_weights = [Value(rng.uniform(-1, 1)) for _ in range(n_hidden)]
        self.output_bias = Value(rng.uniform(-1, 1))
        ### END SOLUTION

    def __call__(self, x):
        """The output for one input pair x = (x1, x2): a Value between 0 and 1."""
        ### BEGIN SOLUTION
        hidden = [
            (w[0] * x[0] + w[1] * x[1] + b).tanh()
            for w, b in zip(self.hidden_weights, self.hidden_biases)
        ]
        total = self.output_bias
        for v, h in zip(self.output_weights, hidden):
            total = total + v * h
        return total.sigmoid()
        ### END SOLUTION

    def parameters(self):
        """Every weight and bias, as one list of Values."""
        ### BEGIN SOLUTION
        weights = [w for row in self.hidden_weights for w in row]
        return weights + self.hidden_biases + self.output_weights + [self.output_bias]
        ### END SOLUTION
'''

MLP_TESTS = """
check("mlp", strict=True)
### BEGIN HIDDEN TESTS
assert len(MLP(n_hidden=3, seed=5).parameters()) == 13, "3 hidden units: 13 parameters"
outputs = [MLP(n_hidden=4, seed=seed)((0.0, 1.0)).data for seed in range(4)]
assert len(set(outputs)) == 4, "different seeds should give different networks"
assert all(isinstance(p, Value) for p in MLP(n_hidden=2, seed=1).parameters())
### END HIDDEN TESTS
"""

LOSS_PROMPT = """
## Part 2: the loss

`mse_loss(model, inputs, targets)` is the mean over the examples of
`(model(x) - target) ** 2`. Keep it a `Value` (don't take `.data`), so that
`loss.backward()` reaches every parameter.
"""

LOSS_ANSWER = '''
def mse_loss(model, inputs, targets):
    """The mean squared error of model over the examples, as a Value."""
    ### BEGIN SOLUTION
    total = 0.0
    for x, target in zip(inputs, targets):
        total = total + (model(x) - target) ** 2
    return total / len(inputs)
    ### END SOLUTION
'''

LOSS_TESTS = """
check("mse_loss", strict=True)
### BEGIN HIDDEN TESTS
class Constant:
    def __init__(self, c):
        self.c = Value(c)

    def __call__(self, x):
        return self.c

    def parameters(self):
        return [self.c]


model = Constant(0.25)
loss = mse_loss(model, XOR_INPUTS, [1.0, 0.0, 0.0, 1.0])
loss.backward()
assert abs(loss.data - (2 * 0.75**2 + 2 * 0.25**2) / 4) < 1e-12, "a constant model's loss"
assert abs(model.c.grad - (2 * (-0.75) * 2 + 2 * 0.25 * 2) / 4) < 1e-12, "its gradient"
perfect = mse_loss(lambda x: Value(x[0]), XOR_INPUTS, [0.0, 0.0, 1.0, 1.0])
assert perfect.data == 0.0, "a perfect model has loss 0"
### END HIDDEN TESTS
"""

TRAIN_PROMPT = """
## Part 3: gradient descent

`train(model, inputs, targets, steps, learning_rate)` repeats `steps` times:
compute the loss, set every parameter's `grad` to 0, call `loss.backward()`,
then `p.data -= learning_rate * p.grad` for every parameter. It returns the
list of losses (as floats, `loss.data`), one per step.
"""

TRAIN_ANSWER = '''
def train(model, inputs, targets, steps=500, learning_rate=2.0):
    """Gradient descent on mse_loss; returns the loss (a float) at each step."""
    ### BEGIN SOLUTION
    losses = []
    for _ in range(steps):
        loss = mse_loss(model, inputs, targets)
        for parameter in model.parameters():
            parameter.grad = 0.0
        loss.backward()
        for parameter in model.parameters():
            parameter.data -= learning_rate * parameter.grad
        losses.append(loss.data)
    return losses
    ### END SOLUTION
'''

TRAIN_TESTS = """
check("train", strict=True)
### BEGIN HIDDEN TESTS
class Line:
    def __init__(self, w):
        self.w = Value(w)

    def __call__(self, x):
        return self.w * x[0]

    def parameters(self):
        return [self.w]


model = Line(-0.5)
losses = train(model, XOR_INPUTS, XOR_TARGETS, steps=2, learning_rate=0.2)
w = -0.5
for _ in range(2):
    w -= 0.2 * (2 * (w - 1.0) * 1.0 + 2 * w * 1.0) / 4
assert abs(model.w.data - w) < 1e-12, "two steps of gradient descent on w * x1"
losses = train(Line(2.0), XOR_INPUTS, XOR_TARGETS, steps=5, learning_rate=0.1)
assert all(b < a for a, b in zip(losses, losses[1:])), "a small rate: the loss falls each step"
### END HIDDEN TESTS
"""

XOR_PROMPT = """
## Part 4: learning XOR

The test below trains `MLP(n_hidden=4, seed=0)` for 500 steps at learning
rate 2.0 and expects all four XOR points right. Try other seeds and rates in a
cell of your own: how few hidden units still work?
"""

XOR_TESTS = """
check("xor", strict=True)
### BEGIN HIDDEN TESTS
for seed in (1, 2):
    model = MLP(n_hidden=4, seed=seed)
    losses = train(model, XOR_INPUTS, XOR_TARGETS, steps=500, learning_rate=2.0)
    assert accuracy(model, XOR_INPUTS, XOR_TARGETS) == 1.0, f"XOR with seed {seed}"
    assert losses[-1] < 0.05 < losses[0], f"the loss should fall below 0.05 (seed {seed})"
### END HIDDEN TESTS
"""


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "data"),
        prompt(MLP_PROMPT, "mlp_prompt"),
        solution(MLP_ANSWER, "mlp_answer"),
        test(MLP_TESTS, "mlp_tests", points=2),
        prompt(LOSS_PROMPT, "loss_prompt"),
        solution(LOSS_ANSWER, "loss_answer"),
        test(LOSS_TESTS, "loss_tests", points=1),
        prompt(TRAIN_PROMPT, "train_prompt"),
        solution(TRAIN_ANSWER, "train_answer"),
        test(TRAIN_TESTS, "train_tests", points=2),
        prompt(XOR_PROMPT, "xor_prompt"),
        test(XOR_TESTS, "xor_tests", points=3),
    ]
