"""Exercise 5: a 2-layer MLP built from autodiff_lab.Value learns XOR."""

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.referee.xor_mlp import (
    XOR_INPUTS,
    loss_case,
    network_case,
    train_case,
    training,
)

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
gives the same network. `parameters()` returns all of them in one list, in this
order: the hidden weights unit by unit (`w_11, w_12, w_21, w_22, …`), the hidden
biases `b_1 … b_n`, the output weights `v_1 … v_n`, then `c`. With 4 hidden
units that is 2·4 + 4 + 4 + 1 = 17 Values. (The check sets them to numbers of
its own through that list, then compares your network's outputs and gradients
with the engine's.)
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


TRAIN_PROMPT = """
## Part 3: gradient descent

`train(model, inputs, targets, steps, learning_rate)` repeats `steps` times:
compute the loss with `mse_loss(model, inputs, targets)`, set every
parameter's `grad` to 0, call `loss.backward()`, then
`p.data -= learning_rate * p.grad` for every parameter. It returns the list of
losses (as floats, `loss.data`), one per step. (The check swaps in a loss of
its own for `mse_loss`, so that it tests your loop alone.)
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


XOR_PROMPT = """
## Part 4: learning XOR

Your `train` on your `MLP`: the check starts the network from parameters of its
own and runs a few steps; each parameter and each loss must follow the engine's
gradient descent on that same network. Then see it learn XOR for real:

```python
model = MLP(n_hidden=4, seed=0)
losses = train(model, XOR_INPUTS, XOR_TARGETS, steps=500, learning_rate=2.0)
accuracy(model, XOR_INPUTS, XOR_TARGETS)
```

Try other seeds and rates in a cell of your own: how few hidden units still work?
"""


_START = [0.3, -0.6, 0.9, 0.2, -0.4, 0.7, 0.1, -0.8, 0.5]  # MLP(n_hidden=2): 2·2 + 2 + 2 + 1

# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "mlp": [
        network_case("outputs", _START, 2),
        network_case("gradients", _START, 2, [[1.0, -0.5]]),
        ("seeds", {"n_hidden": 4, "seeds": [3, 4]}),
    ],
    "mse_loss": [
        loss_case([0.25, 0.0, 0.0, 0.0], XOR_INPUTS, [1.0, 0.0, 0.0, 1.0]),
        loss_case([0.1, -0.3, 0.8, 0.5], XOR_INPUTS[:3], [0.0, 1.0, 0.5]),
    ],
    "train": [
        train_case([0.1, 0.2, -0.3, 0.4], XOR_INPUTS, 1, 0.05, [1.0] * 4, [0.0, 1.0, 1.0, 0.0]),
        train_case([0.1, 0.2, -0.3, 0.4], XOR_INPUTS, 3, 0.05, [1.0] * 4, [0.0, 1.0, 1.0, 0.0]),
    ],
    "xor": [
        network_case("train_network", _START, 2, XOR_INPUTS, **training(5, 1.0, [1.0] * 4)),
        ("seeds", {"n_hidden": 4, "seeds": [0, 1]}),
    ],
}


_ZEROING = """        for parameter in model.parameters():
            parameter.grad = 0.0
"""

# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
# A wrong network or a wrong train costs "xor" too: that part trains your network with your train.
MISTAKES = {
    "network: no sigmoid": Mistake(
        {"mlp_answer": [("return total.sigmoid()", "return total")]},
        ("mlp", "xor"),
        (".sigmoid() on the output unit",),
    ),
    "network: tanh on the output": Mistake(
        {"mlp_answer": [("return total.sigmoid()", "return total.tanh()")]},
        ("mlp", "xor"),
        (".sigmoid() on the output unit", "fix that first"),
    ),
    "network: relu for tanh": Mistake(
        {"mlp_answer": [("+ b).tanh()", "+ b).relu()")]},
        ("mlp", "xor"),
        ("hidden unit k is tanh",),
    ),
    "network: the seed ignored": Mistake(
        {
            "mlp_answer": [
                (
                    "self.output_bias = Value(rng.uniform(-1, 1))",
                    "self.output_bias = Value(random.uniform(-1, 1))",
                )
            ]
        },
        ("mlp", "xor"),
        ("same seed, same network",),
    ),
    "network: the output weights left out of parameters()": Mistake(
        {"mlp_answer": [("self.hidden_biases + self.output_weights +", "self.hidden_biases +")]},
        ("mlp", "xor"),
        ("parameters() lists",),
    ),
    "loss: the sum instead of the mean": Mistake(
        {"loss_answer": [("return total / len(inputs)", "return total")]},
        ("mse_loss",),
        ("divide by the number of examples",),
    ),
    "loss: a float, not a Value": Mistake(
        {"loss_answer": [("return total / len(inputs)", "return total.data / len(inputs)")]},
        ("mse_loss",),
        ("should return a Value",),
    ),
    "train: the grads never zeroed": Mistake(
        {"train_answer": [(_ZEROING, "")]},
        ("train", "xor"),
        ("set every parameter's grad to 0",),
    ),
    "train: uphill": Mistake(
        {"train_answer": [("parameter.data -= learning_rate", "parameter.data += learning_rate")]},
        ("train", "xor"),
        ("p.data -= learning_rate * p.grad",),
    ),
    "train: the loss Values kept": Mistake(
        {"train_answer": [("losses.append(loss.data)", "losses.append(loss)")]},
        ("train", "xor"),
        ("append loss.data",),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "data"),
        prompt(MLP_PROMPT, "mlp_prompt"),
        solution(MLP_ANSWER, "mlp_answer"),
        test_cell(NAME, "mlp", points=2),
        prompt(LOSS_PROMPT, "loss_prompt"),
        solution(LOSS_ANSWER, "loss_answer"),
        test_cell(NAME, "mse_loss", points=1),
        prompt(TRAIN_PROMPT, "train_prompt"),
        solution(TRAIN_ANSWER, "train_answer"),
        test_cell(NAME, "train", points=2),
        prompt(XOR_PROMPT, "xor_prompt"),
        test_cell(NAME, "xor", points=3),
    ]
