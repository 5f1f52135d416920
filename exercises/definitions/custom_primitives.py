"""Exercise 7: exercise 6's VJPs registered with the engine, and a network trained with them."""

import numpy as np

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.referee.array_vjps import fixed_numbers
from autodiff_lab.grading.referee.custom_primitives import (
    loss_case,
    matmul_case,
    network_case,
    tanh_case,
    train_case,
)

NAME = "custom_primitives"
AFTER_LESSON = 16  # the lesson it practises; its number follows lesson order

INTRO = r"""
# Exercise 7: your VJPs inside the engine

*After lesson 16,
[From scalars to arrays](../../notebooks/16_from_scalars_to_arrays.ipynb), and
[exercise 6](array_vjps.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

The engine differentiates `np.tanh` because its table holds tanh's VJP. In
exercise 6 you wrote VJPs by hand and chained them yourself. Here you hand
them to the engine instead: a **primitive** is a function the engine runs on
plain numbers and records as one node, and `defvjp` gives it the VJP the
backward pass calls at that node. Then the engine does the chaining, and you
train a network whose every operation but `+` is yours.

The same two functions are HIPS autograd's (`autograd.extend`): `primitive(f)`
makes `f` a primitive, and `defvjp(f, maker_0, maker_1, …)` gives one **VJP
maker** per argument. A maker is called as `maker(ans, *args)` with the
primitive's output `ans` and its arguments, and returns the function
`g ↦` that argument's share of g. `None` in place of a maker says no gradient
flows into that argument.
"""

GIVEN = """
import numpy as np

from autodiff_lab import defvjp, primitive, value_and_grad
from autodiff_lab.grading import check
"""

TANH_PROMPT = r"""
## Part 1: tanh

`tanh` below is a primitive: it computes `np.tanh(x)` on a plain array. Write
its VJP maker: `tanh_vjp_maker(ans, x)` returns the function `g ↦ x's share
of g`. The slope is $1 - \tanh(x)^2$ (exercise 6, part 6), which the maker
can read from `ans`, tanh's output, without computing tanh again. The last
line of the cell registers it: `defvjp(tanh, tanh_vjp_maker)`.
"""

TANH_ANSWER = """
@primitive
def tanh(x):
    return np.tanh(x)


def tanh_vjp_maker(ans, x):
    \"\"\"tanh's VJP maker: the function g ↦ x's share of g, where ans = tanh(x).\"\"\"
    ### BEGIN SOLUTION
    return lambda g: g * (1 - ans**2)
    ### END SOLUTION


defvjp(tanh, tanh_vjp_maker)
"""

MATMUL_PROMPT = r"""
## Part 2: matmul, two arguments

`matmul(A, B)` returns `A @ B`. It has two arguments, so `defvjp` takes two
makers, in the order of the arguments: A's first, then B's. Each returns the
function giving *its own* argument's share of g: A's is `g @ B.T`, B's is
`A.T @ g` (exercise 6, part 1).
"""

MATMUL_ANSWER = """
@primitive
def matmul(A, B):
    return A @ B


def matmul_vjp_maker_A(ans, A, B):
    \"\"\"The function g ↦ A's share of g, for ans = A @ B.\"\"\"
    ### BEGIN SOLUTION
    return lambda g: g @ B.T
    ### END SOLUTION


def matmul_vjp_maker_B(ans, A, B):
    \"\"\"The function g ↦ B's share of g, for ans = A @ B.\"\"\"
    ### BEGIN SOLUTION
    return lambda g: A.T @ g
    ### END SOLUTION


defvjp(matmul, matmul_vjp_maker_A, matmul_vjp_maker_B)
"""

LOSS_PROMPT = r"""
## Part 3: the loss, and an argument with no gradient

`softmax_cross_entropy(logits, labels)` is exercise 6's stable loss (part
3). Its maker for the logits returns `g ↦ g` times exercise 6's part 4,
where g is the number the backward pass brings: 1 when the loss is the
output, but not when it is scaled or added to another. The labels are whole
numbers: no gradient flows into them, so their maker is `None`.
"""

LOSS_ANSWER = """
@primitive
def softmax_cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(log_probabilities[np.arange(len(labels)), labels])


def loss_vjp_maker(ans, logits, labels):
    \"\"\"The function g ↦ the logits' share of g: g · (softmax - one_hot) / N.\"\"\"
    ### BEGIN SOLUTION
    exps = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probabilities = exps / np.sum(exps, axis=1, keepdims=True)
    probabilities[np.arange(len(labels)), labels] -= 1.0
    return lambda g: g * probabilities / len(labels)
    ### END SOLUTION


defvjp(softmax_cross_entropy, loss_vjp_maker, None)
"""


NETWORK_PROMPT = r"""
## Part 4: the network, from your primitives

`network_loss(params, X, labels)` takes `params = [W1, b1, W2, b2]` and
returns the loss of exercise 6's part 7 network:

    h = tanh(matmul(X, W1) + b1)
    logits = matmul(h, W2) + b2

Use your primitives, not `@` or `np.tanh`: then `value_and_grad(network_loss)`
gives the four gradients with your VJPs, in a list like `params`. (The `+`
is the engine's own, broadcasting and all.) The check runs it with its own
primitives in place of yours, and counts that each is called.
"""

NETWORK_ANSWER = """
def network_loss(params, X, labels):
    \"\"\"The loss of softmax_cross_entropy(tanh(X @ W1 + b1) @ W2 + b2, labels).\"\"\"
    ### BEGIN SOLUTION
    W1, b1, W2, b2 = params
    h = tanh(matmul(X, W1) + b1)
    return softmax_cross_entropy(matmul(h, W2) + b2, labels)
    ### END SOLUTION
"""

TRAIN_PROMPT = r"""
## Part 5: training

`train_network(params, X, labels, steps, learning_rate)` runs `steps` steps
of gradient descent from `params` and returns `(params, losses)`: the
parameters after the last step (a list like `params`) and the loss before
each step. One step is `loss, grads = value_and_grad(network_loss)(params,
X, labels)`, then every parameter moves against its gradient,
`p - learning_rate * g`. Make new arrays; leave the `params` you were given
as they are.
"""

TRAIN_ANSWER = """
def train_network(params, X, labels, steps, learning_rate):
    \"\"\"(parameters after ``steps`` steps of gradient descent, the loss before each).\"\"\"
    ### BEGIN SOLUTION
    losses = []
    for _ in range(steps):
        loss, grads = value_and_grad(network_loss)(params, X, labels)
        losses.append(float(loss))
        params = [p - learning_rate * g for p, g in zip(params, grads)]
    return params, losses
    ### END SOLUTION
"""

DEMO_PROMPT = r"""
## Your network learns two moons

Two interleaved half circles of 100 points, which no straight line
separates. The cell trains 8 tanh units with your primitives and prints
the loss and the accuracy. Change the number of hidden units, or the
learning rate, and run it again.
"""

DEMO = """
rng = np.random.default_rng(0)
angles = rng.uniform(0, np.pi, 100)
upper = np.arange(100)[:, None] < 50
moons = np.where(upper, np.c_[np.cos(angles), np.sin(angles)],
                 np.c_[1 - np.cos(angles), 0.5 - np.sin(angles)])
moons = moons + rng.normal(0, 0.1, moons.shape)
moon_labels = (np.arange(100) >= 50).astype(int)
start = [rng.normal(0, 1, (2, 8)), np.zeros(8), rng.normal(0, 1, (8, 2)), np.zeros(2)]
try:
    trained, moon_losses = train_network(start, moons, moon_labels, 300, 0.5)
except Exception as error:  # parts 1-5 not done yet: their checks say what is missing
    print(f"train_network does not run yet ({type(error).__name__}): finish parts 1-5 first.")
else:
    W1, b1, W2, b2 = trained
    predicted = np.argmax(np.tanh(moons @ W1 + b1) @ W2 + b2, axis=1)
    print(f"loss {moon_losses[0]:.3f} at first, {moon_losses[-1]:.3f} after 300 steps")
    print(f"accuracy: {np.mean(predicted == moon_labels):.0%}")
"""


_PARAMS = [
    fixed_numbers((2, 3), 21),
    fixed_numbers((3,), 22),
    fixed_numbers((3, 2), 23),
    fixed_numbers((2,), 24),
]

# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "tanh_primitive": [
        tanh_case(fixed_numbers((2, 3), 1), fixed_numbers((2, 3), 2)),
        tanh_case(fixed_numbers((4,), 3) * 2, np.ones(4)),
    ],
    "matmul_primitive": [
        matmul_case(fixed_numbers((2, 3), 4), fixed_numbers((3, 4), 5), fixed_numbers((2, 4), 6)),
        matmul_case(fixed_numbers((2, 2), 7), fixed_numbers((2, 2), 8), fixed_numbers((2, 2), 9)),
    ],
    "loss_primitive": [
        loss_case(fixed_numbers((3, 4), 10), [2, 0, 3], 1.0),
        loss_case(fixed_numbers((2, 3), 11) + [[1000.0], [0.0]], [1, 2], 2.5),
    ],
    "network_loss": [network_case(fixed_numbers((4, 2), 20), _PARAMS, [0, 1, 1, 0])],
    "train_network": [train_case(fixed_numbers((4, 2), 20), _PARAMS, [0, 1, 1, 0], 3, 0.5)],
}

_TANH_SHARE = "return lambda g: g * (1 - ans**2)"
_STEP = "params = [p - learning_rate * g for p, g in zip(params, grads)]"

# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
MISTAKES = {
    "tanh: the slope from the input": Mistake(
        {"tanh_answer": [(_TANH_SHARE, _TANH_SHARE.replace("ans**2", "x**2"))]},
        ("tanh_primitive",),
        ("not 1 - x ** 2",),
    ),
    "tanh: g missing": Mistake(
        {"tanh_answer": [(_TANH_SHARE, "return lambda g: 1 - ans**2")]},
        ("tanh_primitive",),
        ("multiply by g",),
    ),
    "tanh: the share, not a function of g": Mistake(
        {"tanh_answer": [(_TANH_SHARE, "return 1 - ans**2")]},
        ("tanh_primitive",),
        ("returns a function of g",),
    ),
    "tanh: the engine's own": Mistake(
        {"tanh_answer": "import autodiff_lab.numpy as anp\n\ntanh = anp.tanh"},
        ("tanh_primitive",),
        ("should be your own primitive",),
    ),
    "matmul: each maker gives the other's share": Mistake(
        {
            "matmul_answer": [
                ("return lambda g: g @ B.T", "return lambda g: @@"),
                ("return lambda g: A.T @ g", "return lambda g: g @ B.T"),
                ("return lambda g: @@", "return lambda g: A.T @ g"),
            ]
        },
        ("matmul_primitive",),
        ("each maker returns its own argument's share",),
    ),
    "loss: g missing": Mistake(
        {"loss_answer": [("lambda g: g * probabilities", "lambda g: probabilities")]},
        ("loss_primitive",),
        ("multiply by g",),
    ),
    "network: @ and np.tanh, not the primitives": Mistake(
        {
            "network_answer": [
                ("h = tanh(matmul(X, W1) + b1)", "h = np.tanh(X @ W1 + b1)"),
                ("softmax_cross_entropy(matmul(h, W2) + b2", "softmax_cross_entropy(h @ W2 + b2"),
            ]
        },
        ("network_loss",),
        ("network_loss never called",),
    ),
    "train: up the gradient": Mistake(
        {"train_answer": [(_STEP, _STEP.replace("p - learning_rate", "p + learning_rate"))]},
        ("train_network",),
        ("step against the gradient",),
    ),
    "train: the loss after the step": Mistake(
        {
            "train_answer": [
                ("        losses.append(float(loss))\n", ""),
                (_STEP, _STEP + "\n        losses.append(float(network_loss(params, X, labels)))"),
            ]
        },
        ("train_network",),
        ("these are the losses after",),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt(TANH_PROMPT, "tanh_prompt"),
        solution(TANH_ANSWER, "tanh_answer"),
        test_cell(NAME, "tanh_primitive", points=1),
        prompt(MATMUL_PROMPT, "matmul_prompt"),
        solution(MATMUL_ANSWER, "matmul_answer"),
        test_cell(NAME, "matmul_primitive", points=2),
        prompt(LOSS_PROMPT, "loss_prompt"),
        solution(LOSS_ANSWER, "loss_answer"),
        test_cell(NAME, "loss_primitive", points=1),
        prompt(NETWORK_PROMPT, "network_prompt"),
        solution(NETWORK_ANSWER, "network_answer"),
        test_cell(NAME, "network_loss", points=2),
        prompt(TRAIN_PROMPT, "train_prompt"),
        solution(TRAIN_ANSWER, "train_answer"),
        test_cell(NAME, "train_network", points=2),
        prompt(DEMO_PROMPT, "demo_prompt"),
        given(DEMO, "demo"),
    ]
