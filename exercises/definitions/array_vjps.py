"""Exercise 6: the VJPs of matmul, broadcast add, softmax cross-entropy and tanh, by hand,
chained into the gradients of a classifier, a hidden layer and a skip connection."""

import numpy as np

from autodiff_lab.grading.authoring import Mistake, test_cell
from autodiff_lab.grading.notebook_format import given, prompt, solution
from autodiff_lab.grading.referee.array_vjps import (
    add_case,
    classifier_case,
    fixed_numbers,
    loss_case,
    matmul_case,
    network_case,
    tanh_case,
)

NAME = "array_vjps"
AFTER_LESSON = 16  # the lesson it practises; its number follows lesson order

INTRO = r"""
# Exercise 6: vector-Jacobian products for arrays

*After lesson 16,
[From scalars to arrays](../../notebooks/16_from_scalars_to_arrays.ipynb).
All lessons and exercises: [START-HERE](../../START-HERE.ipynb).*

An array engine never builds a Jacobian. Each operation instead knows its
**vector-Jacobian product** (VJP): given $g = \partial L / \partial C$, the
gradient of some scalar loss $L$ with respect to its output $C$ (an array of
$C$'s shape), it returns $\partial L / \partial A$ for each input $A$ (an
array of $A$'s shape). Reverse mode is nothing more than calling VJPs from the
loss back to the inputs.

You will write the VJPs of four operations, and then chain them by hand into
the gradients of a linear classifier, of a network with a hidden layer, and of
one where a value is used twice. Each check compares your answer with
numbers the grader computed beforehand with the engine's own VJPs. Use numpy
(`np`) only: the grader runs your notebook where there is no autodiff engine
at all (not this package's, nor PyTorch), so an answer that imports one fails
there; keep experiments with `autodiff_lab` in cells of their own.
"""

GIVEN = """
import numpy as np

from autodiff_lab.grading import check
"""

MATMUL_PROMPT = r"""
## Part 1: matmul

For $C = A B$ with $A$ of shape m × p and $B$ of shape p × n,
$C_{ij} = \sum_k A_{ik} B_{kj}$, so

$$\frac{\partial L}{\partial A_{ik}} = \sum_j g_{ij}\, B_{kj}, \qquad
\frac{\partial L}{\partial B_{kj}} = \sum_i A_{ik}\, g_{ij}.$$

Write both sums as matrix products. `matmul_vjp(g, A, B)` returns the pair
`(gA, gB)`: `gA` has A's shape, `gB` has B's. Shapes are a good guide: there
is only one way to multiply g (m × n) with B or its transpose and get m × p.
"""

MATMUL_ANSWER = '''
def matmul_vjp(g, A, B):
    """(dL/dA, dL/dB) for C = A @ B, given g = dL/dC."""
    ### BEGIN SOLUTION
    return g @ B.T, A.T @ g
    ### END SOLUTION
'''


ADD_PROMPT = r"""
## Part 2: add, with broadcasting

numpy adds arrays of different shapes by **broadcasting**: it lines the shapes
up from the right, puts size-1 axes in front of the shorter one, and stretches
every size-1 axis to the other array's size. So `a + b` with a of shape
(4, 1, 3) and b of shape (2, 1) has shape (4, 2, 3): each entry of b is used
4 · 3 times.

An entry used many times collects the gradient of every use. So
`add_vjp(g, a_shape, b_shape)` returns `(ga, gb)` where `ga` is g summed

* over the leading axes that broadcasting put in front of a (those axes are
  gone: `ga` has exactly `len(a_shape)` axes), and
* over every axis where a has size 1 and g does not (keep it, with size 1:
  `keepdims=True`),

and the same for `gb`. `ga.shape` must equal `a_shape` exactly, also when a is
a 0-d array (shape `()`): then `ga` is the sum of all of g. A helper
`unbroadcast(g, shape)` used twice keeps it short.
"""

ADD_ANSWER = '''
def add_vjp(g, a_shape, b_shape):
    """(dL/da, dL/db) for c = a + b (numpy broadcasting), given g = dL/dc."""
    ### BEGIN SOLUTION
    def unbroadcast(g, shape):
        g = np.sum(g, axis=tuple(range(np.ndim(g) - len(shape))))
        stretched = tuple(axis for axis, size in enumerate(shape) if size == 1)
        return np.sum(g, axis=stretched, keepdims=True)

    return unbroadcast(g, a_shape), unbroadcast(g, b_shape)
    ### END SOLUTION
'''


CROSS_ENTROPY_PROMPT = r"""
## Part 3: softmax cross-entropy

A classifier gives each of N examples C scores, `logits` (N × C); `labels`
holds each example's right class (N integers in 0 … C−1). Its loss is the
mean over the batch of −log of the softmax probability of the right class:

$$L = \frac{1}{N}\sum_{n} \Big(\log \sum_c e^{z_{nc}} - z_{n y_n}\Big).$$

Two requirements for `softmax_cross_entropy(logits, labels)`:

* it returns one number (not an array of N);
* it is stable: logits like 1000 overflow `exp`. Since
  $\log\sum_c e^{z_c} = m + \log\sum_c e^{z_c - m}$ for any m, subtract each
  row's largest logit first.

Write it with numpy (`np.max`, `np.exp`, `np.log`, `np.sum` with
`axis=1, keepdims=True`, and `z[np.arange(N), labels]` to pick one entry per
row).
"""

CROSS_ENTROPY_ANSWER = '''
def softmax_cross_entropy(logits, labels):
    """The mean over the batch of -log softmax(logits)[n, labels[n]], as one number."""
    ### BEGIN SOLUTION
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probabilities = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(log_probabilities[np.arange(len(labels)), labels])
    ### END SOLUTION
'''


CROSS_ENTROPY_VJP_PROMPT = r"""
## Part 4: the VJP of softmax cross-entropy

The loss is a scalar, so its VJP with g = 1 is its gradient, an N × C array.
Differentiating the formula above: $\partial/\partial z_{nc}$ of
$\log\sum_c e^{z_{nc}}$ is the softmax $p_{nc}$, and of $z_{n y_n}$ it is 1
when c = y_n, else 0 (the one-hot encoding of the label). With the 1/N:

$$\frac{\partial L}{\partial z_{nc}} = \frac{p_{nc} - [c = y_n]}{N}.$$

`softmax_cross_entropy_vjp(logits, labels)` returns that array; compute p
stably too (subtract each row's largest logit before `np.exp`).
"""

CROSS_ENTROPY_VJP_ANSWER = '''
def softmax_cross_entropy_vjp(logits, labels):
    """dL/dlogits for L = softmax_cross_entropy(logits, labels): (softmax - one_hot) / N."""
    ### BEGIN SOLUTION
    exps = np.exp(logits - np.max(logits, axis=1, keepdims=True))
    probabilities = exps / np.sum(exps, axis=1, keepdims=True)
    one_hot = np.zeros_like(probabilities)
    one_hot[np.arange(len(labels)), labels] = 1.0
    return (probabilities - one_hot) / len(labels)
    ### END SOLUTION
'''


CLASSIFIER_PROMPT = r"""
## Part 5: reverse mode by hand

A linear classifier scores examples X (N × D) with weights W (D × C) and
biases b (C,): `logits = X @ W + b` (b broadcasts over the rows). Its loss is
`softmax_cross_entropy(logits, labels)`.

`classifier_gradients(X, W, b, labels)` returns `(gW, gb)`, the loss's
gradients, using only your VJPs from parts 1, 2 and 4, from the loss back:
`g_logits` from part 4, then `add_vjp` splits it between `X @ W` and `b`,
then `matmul_vjp` gives `gW`. This is what an engine's backward pass does
inside. The check answers your calls to parts 1, 2 and 4 with its own numbers,
so this part counts your chain alone.
"""

CLASSIFIER_ANSWER = '''
def classifier_gradients(X, W, b, labels):
    """(dL/dW, dL/db) for L = softmax_cross_entropy(X @ W + b, labels), from your VJPs."""
    ### BEGIN SOLUTION
    product = X @ W
    g_logits = softmax_cross_entropy_vjp(product + b, labels)
    g_product, gb = add_vjp(g_logits, product.shape, b.shape)
    _, gW = matmul_vjp(g_product, X, W)
    return gW, gb
    ### END SOLUTION
'''


TANH_PROMPT = r"""
## Part 6: tanh, entry by entry

`y = np.tanh(x)` acts on each entry alone: $y_i$ depends on $x_i$ only, with
slope $1 - \tanh(x_i)^2 = 1 - y_i^2$. Its Jacobian is diagonal, so its VJP
never builds it: multiply g by the slopes, entry by entry.

`tanh_vjp(g, x)` returns $\partial L/\partial x$, an array of x's shape, given
g = $\partial L/\partial y$ and tanh's *input* x.
"""

TANH_ANSWER = '''
def tanh_vjp(g, x):
    """dL/dx for y = np.tanh(x), given g = dL/dy."""
    ### BEGIN SOLUTION
    return g * (1 - np.tanh(x) ** 2)
    ### END SOLUTION
'''


MLP_PROMPT = r"""
## Part 7: a hidden layer

Put a layer of tanh units between the inputs and the classifier:

    a = X @ W1 + b1        # N × H, the hidden units' inputs
    h = np.tanh(a)         # N × H
    logits = h @ W2 + b2   # N × C

`mlp_gradients(X, W1, b1, W2, b2, labels)` returns `(gW1, gb1, gW2, gb2)`, the
gradients of `softmax_cross_entropy(logits, labels)`, from your VJPs alone,
from the loss back: part 4 gives `g_logits`; `add_vjp` and `matmul_vjp` take
it through the top layer to `g_h` (and `gW2`, `gb2`); `tanh_vjp(g_h, a)` takes
it through tanh (give it tanh's input a, not its output h); `add_vjp` and
`matmul_vjp` once more give `gb1` and `gW1`. As in part 5, the check answers
your VJP calls with its own numbers, so this part counts your chain alone.
"""

MLP_ANSWER = '''
def mlp_gradients(X, W1, b1, W2, b2, labels):
    """(dL/dW1, dL/db1, dL/dW2, dL/db2) for h = np.tanh(a), a = X @ W1 + b1."""
    ### BEGIN SOLUTION
    product1 = X @ W1
    a = product1 + b1
    h = np.tanh(a)
    product2 = h @ W2
    g_logits = softmax_cross_entropy_vjp(product2 + b2, labels)
    g_product2, gb2 = add_vjp(g_logits, product2.shape, b2.shape)
    g_h, gW2 = matmul_vjp(g_product2, h, W2)
    g_a = tanh_vjp(g_h, a)
    g_product1, gb1 = add_vjp(g_a, product1.shape, b1.shape)
    _, gW1 = matmul_vjp(g_product1, X, W1)
    return gW1, gb1, gW2, gb2
    ### END SOLUTION
'''


RESIDUAL_PROMPT = r"""
## Part 8: a value used twice

A *skip connection* lets the hidden units' input past the tanh as well:

    a = X @ W1 + b1
    h = a + np.tanh(a)     # a is used twice: by the sum, and by tanh
    logits = h @ W2 + b2

A value used twice gets a share of the gradient from each use, and its
gradient is their **sum** (lesson 02's rule of adding the paths). Here the
sum passes `g_h` to a unchanged, and tanh passes `tanh_vjp(g_h, a)`, so
`g_a = g_h + tanh_vjp(g_h, a)`. Forgetting one share is the classic bug of
hand-written backward passes; an engine cannot forget, because it adds every
share it receives.

`residual_gradients(X, W1, b1, W2, b2, labels)` returns
`(gW1, gb1, gW2, gb2)`, as in part 7.
"""

RESIDUAL_ANSWER = '''
def residual_gradients(X, W1, b1, W2, b2, labels):
    """(dL/dW1, dL/db1, dL/dW2, dL/db2) for h = a + np.tanh(a), a = X @ W1 + b1."""
    ### BEGIN SOLUTION
    product1 = X @ W1
    a = product1 + b1
    h = a + np.tanh(a)
    product2 = h @ W2
    g_logits = softmax_cross_entropy_vjp(product2 + b2, labels)
    g_product2, gb2 = add_vjp(g_logits, product2.shape, b2.shape)
    g_h, gW2 = matmul_vjp(g_product2, h, W2)
    g_a = g_h + tanh_vjp(g_h, a)  # the skip's share plus tanh's share
    g_product1, gb1 = add_vjp(g_a, product1.shape, b1.shape)
    _, gW1 = matmul_vjp(g_product1, X, W1)
    return gW1, gb1, gW2, gb2
    ### END SOLUTION
'''


MAX_NOTE = r"""
## Why the max in the stable loss does no harm

Parts 3 and 4 subtract each row's largest logit, $m = \max_c z_c$. An engine
that differentiates `softmax_cross_entropy` as written (lesson 16 does) sends
a gradient through that `max` too, and `max` has a kink wherever two logits
tie. Why is the result still exactly the gradient of part 4?

Because the loss does not depend on m at all: $m + \log\sum_c e^{z_c - m}$ is
$\log\sum_c e^{z_c}$ for every m. Follow the path through m: the two places m
appears pass back $1$ and $-\sum_c p_c$, and the softmax sums to 1, so m's
share is $1 - \sum_c p_c = 0$ (up to rounding). Whatever the `max` then does
with a zero, at a tie or not, adds nothing. The cell below shows the share,
row by row, for logits with a tie.
"""

MAX_DEMO = """
z = np.array([[2.0, 2.0, -1.0], [1000.0, 0.5, 999.0]])  # a tie in the first row
p = np.exp(z - z.max(axis=1, keepdims=True))
p = p / p.sum(axis=1, keepdims=True)
print("the max's share, row by row:", np.round(1 - p.sum(axis=1), 15))
"""


_LOGITS, _LABELS = fixed_numbers((3, 4), 40), [2, 0, 3]

# The fixed cases of each part (the check shows them); the grader draws more of its own.
CASES = {
    "matmul_vjp": [
        matmul_case(
            fixed_numbers((2, 4), 12), fixed_numbers((2, 3), 10), fixed_numbers((3, 4), 11)
        ),
        matmul_case(
            fixed_numbers((1, 1), 13), fixed_numbers((1, 4), 14), fixed_numbers((4, 1), 15)
        ),
        matmul_case(
            fixed_numbers((3, 3), 22), fixed_numbers((3, 3), 20), fixed_numbers((3, 3), 21)
        ),
    ],
    "add_vjp": [
        add_case(fixed_numbers(out, seed), a, b)
        for out, a, b, seed in [
            ((2, 3), (2, 3), (2, 3), 1),
            ((2, 3), (2, 3), (3,), 2),
            ((2, 3), (2, 3), (2, 1), 3),
            ((4, 2, 3), (4, 1, 3), (2, 1), 4),
            ((2, 3), (2, 3), (), 5),
            ((3, 3), (3, 3), (3, 1), 6),
        ]
    ],
    "cross_entropy": [
        loss_case(_LOGITS, _LABELS),
        loss_case(_LOGITS + np.array([[1000.0], [-1000.0], [0.0]]), _LABELS),
        loss_case(np.zeros((1, 5)), [1]),
    ],
    "cross_entropy_vjp": [
        loss_case(_LOGITS, _LABELS, "loss_vjp"),
        loss_case(_LOGITS + np.array([[1000.0], [-1000.0], [0.0]]), _LABELS, "loss_vjp"),
        loss_case([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]], [2, 1], "loss_vjp"),
    ],
    "classifier_gradients": [
        classifier_case(
            fixed_numbers((5, 3), 50),
            fixed_numbers((3, 4), 51),
            fixed_numbers((4,), 52),
            [0, 1, 2, 3, 0],
        ),
        classifier_case(
            fixed_numbers((1, 2), 60), fixed_numbers((2, 3), 61), fixed_numbers((3,), 62), [0]
        ),
    ],
    "tanh_vjp": [
        tanh_case(fixed_numbers((2, 3), 70), fixed_numbers((2, 3), 71)),
        tanh_case(fixed_numbers((4,), 72), fixed_numbers((4,), 73) * 3),
        tanh_case(0.5, 0.0),
    ],
    "mlp_gradients": [
        network_case(
            fixed_numbers((4, 2), 80),
            fixed_numbers((2, 3), 81),
            fixed_numbers((3,), 82),
            fixed_numbers((3, 2), 83),
            fixed_numbers((2,), 84),
            [0, 1, 1, 0],
            residual=False,
        ),
    ],
    "residual_gradients": [
        network_case(
            fixed_numbers((3, 2), 90),
            fixed_numbers((2, 3), 91),
            fixed_numbers((3,), 92),
            fixed_numbers((3, 4), 93),
            fixed_numbers((4,), 94),
            [3, 0, 2],
            residual=True,
        ),
    ],
}


_LEADING = "g = np.sum(g, axis=tuple(range(np.ndim(g) - len(shape))))"
_STRETCHED = "return np.sum(g, axis=stretched, keepdims=True)"
_RESULT = "return (probabilities - one_hot) / len(labels)"
_SHIFT = "np.exp(logits - np.max(logits, axis=1, keepdims=True))"
_MEAN = "return -np.mean(log_probabilities[np.arange(len(labels)), labels])"


def _matmul(body: str) -> dict:
    return {"matmul_answer": [("return g @ B.T, A.T @ g", body)]}


# Wrong answers the cases must catch: the parts each gets wrong, and what the check says.
MISTAKES = {
    "matmul: the transpose of B missing": Mistake(
        _matmul("return g @ B, A.T @ g"), ("matmul_vjp",), ("the transpose of B is missing",)
    ),
    "matmul: the transpose of A missing": Mistake(
        _matmul("return g @ B.T, A @ g"), ("matmul_vjp",), ("the transpose of A is missing",)
    ),
    "matmul: B.T first": Mistake(
        _matmul("return B.T @ g, A.T @ g"), ("matmul_vjp",), ("g comes first",)
    ),
    "matmul: A.T second": Mistake(
        _matmul("return g @ B.T, g @ A.T"), ("matmul_vjp",), ("A.T comes first",)
    ),
    "matmul: gB transposed": Mistake(
        _matmul("return g @ B.T, g.T @ A"), ("matmul_vjp",), ("came out transposed",)
    ),
    "matmul: the pair swapped": Mistake(
        _matmul("return A.T @ g, g @ B.T"), ("matmul_vjp",), ("returns (gA, gB) in that order",)
    ),
    "matmul: a shape that is neither": Mistake(
        _matmul("return np.zeros(A.size), A.T @ g"),
        ("matmul_vjp",),
        ("gA has shape (6,), not (2, 3)",),
    ),
    "add: g returned unsummed": Mistake(
        {"add_answer": "def add_vjp(g, a_shape, b_shape):\n    return g, g"},
        ("add_vjp",),
        ("that is g itself",),
    ),
    "add: a size-1 axis summed away": Mistake(
        {"add_answer": [(_STRETCHED, "return np.sum(g, axis=stretched)")]},
        ("add_vjp",),
        ("summed away a size-1 axis",),
    ),
    "add: the leading axes kept": Mistake(
        {"add_answer": [(_LEADING, _LEADING[:-1] + ", keepdims=True)")]},
        ("add_vjp",),
        ("axis(es) in front", "np.sum(g), shape ()"),
    ),
    "add: the mean for the sum": Mistake(
        {"add_answer": [(_STRETCHED, _STRETCHED.replace("np.sum", "np.mean"))]},
        ("add_vjp",),
        ("np.sum, not np.mean",),
    ),
    "cross-entropy: the sum for the mean": Mistake(
        {"cross_entropy_answer": [(_MEAN, _MEAN.replace("np.mean", "np.sum"))]},
        ("cross_entropy",),
        ("divide by N for the mean",),
    ),
    "cross-entropy: the sign": Mistake(
        {"cross_entropy_answer": [(_MEAN, _MEAN.replace("-np.mean", "np.mean"))]},
        ("cross_entropy",),
        ("check the sign",),
    ),
    "cross-entropy: not stable": Mistake(
        {"cross_entropy_answer": [("logits - np.max(logits, axis=1, keepdims=True)", "logits")]},
        ("cross_entropy",),
        ("Subtract each row's largest logit",),
    ),
    "cross-entropy: the batch's largest logit subtracted": Mistake(
        {"cross_entropy_answer": [("np.max(logits, axis=1, keepdims=True)", "np.max(logits)")]},
        ("cross_entropy",),
        ("Subtract each row's largest logit",),
    ),
    "cross-entropy: one loss per example": Mistake(
        {
            "cross_entropy_answer": [
                (_MEAN, "return -log_probabilities[np.arange(len(labels)), labels]")
            ]
        },
        ("cross_entropy",),
        ("one per example",),
    ),
    "cross-entropy: np.max without keepdims": Mistake(
        {
            "cross_entropy_answer": [
                ("np.max(logits, axis=1, keepdims=True)", "np.max(logits, axis=1)")
            ]
        },
        ("cross_entropy",),
        ("keep it with np.max(logits, axis=1, keepdims=True)",),
    ),
    "cross-entropy VJP: no division by N": Mistake(
        {"cross_entropy_vjp_answer": [(_RESULT, "return probabilities - one_hot")]},
        ("cross_entropy_vjp",),
        ("divide by N",),
    ),
    "cross-entropy VJP: no one-hot": Mistake(
        {"cross_entropy_vjp_answer": [(_RESULT, "return probabilities / len(labels)")]},
        ("cross_entropy_vjp",),
        ("subtract the one-hot of the label",),
    ),
    "cross-entropy VJP: the sign": Mistake(
        {"cross_entropy_vjp_answer": [(_RESULT, "return (one_hot - probabilities) / len(labels)")]},
        ("cross_entropy_vjp",),
        ("check the sign",),
    ),
    "cross-entropy VJP: not stable": Mistake(
        {"cross_entropy_vjp_answer": [(_SHIFT, "np.exp(logits)")]},
        ("cross_entropy_vjp",),
        ("Subtract each row's largest logit",),
    ),
    "cross-entropy VJP: the batch's largest logit subtracted": Mistake(
        {"cross_entropy_vjp_answer": [(_SHIFT, "np.exp(logits - np.max(logits))")]},
        ("cross_entropy_vjp",),
        ("each row's own largest logit, not the largest of the whole batch",),
    ),
    "classifier: gb not summed over the batch": Mistake(
        {
            "classifier_answer": "def classifier_gradients(X, W, b, labels):\n"
            "    g_logits = softmax_cross_entropy_vjp(X @ W + b, labels)\n"
            "    return matmul_vjp(g_logits, X, W)[1], g_logits[0]"
        },
        ("classifier_gradients",),
        ("add_vjp(g_logits, (X @ W).shape, b.shape)",),
    ),
    "classifier: the first of matmul_vjp's pair": Mistake(
        {
            "classifier_answer": [
                ("_, gW = matmul_vjp(g_product, X, W)", "gW, _ = matmul_vjp(g_product, X, W)")
            ]
        },
        ("classifier_gradients",),
        ("gW has shape (5, 3), not (3, 4)",),
    ),
    "tanh: g missing": Mistake(
        {"tanh_answer": [("return g * (1 - np.tanh(x) ** 2)", "return 1 - np.tanh(x) ** 2")]},
        ("tanh_vjp",),
        ("multiply by g",),
    ),
    "tanh: the input for the output": Mistake(
        {"tanh_answer": [("np.tanh(x) ** 2", "x ** 2")]},
        ("tanh_vjp",),
        ("x is tanh's input, not its output",),
    ),
    "tanh: the slope not squared": Mistake(
        {"tanh_answer": [("np.tanh(x) ** 2", "np.tanh(x)")]},
        ("tanh_vjp",),
        ("square tanh(x)",),
    ),
    "tanh: a matrix product": Mistake(
        {"tanh_answer": [("g * (1", "g @ (1")]},
        ("tanh_vjp",),
        ("multiplies entry by entry",),
    ),
    "hidden layer: tanh's output for its input": Mistake(
        {"mlp_answer": [("g_a = tanh_vjp(g_h, a)", "g_a = tanh_vjp(g_h, h)")]},
        ("mlp_gradients",),
        ("give tanh_vjp tanh's input a = X @ W1 + b1, not its output h",),
    ),
    "hidden layer: tanh skipped": Mistake(
        {"mlp_answer": [("g_a = tanh_vjp(g_h, a)", "g_a = g_h")]},
        ("mlp_gradients",),
        ("the gradient reaches a through tanh",),
    ),
    "hidden layer: gb1 not summed over the batch": Mistake(
        {"mlp_answer": [("return gW1, gb1, gW2, gb2", "return gW1, g_a, gW2, gb2")]},
        ("mlp_gradients",),
        ("gb1 has shape (4, 3), not (3,)", "a bias is added to every row"),
    ),
    "skip: only tanh's share": Mistake(
        {"residual_answer": [("g_a = g_h + tanh_vjp(g_h, a)", "g_a = tanh_vjp(g_h, a)")]},
        ("residual_gradients",),
        ("add both shares",),
    ),
    "skip: only the skip's share": Mistake(
        {"residual_answer": [("g_a = g_h + tanh_vjp(g_h, a)", "g_a = g_h")]},
        ("residual_gradients",),
        ("add tanh's share",),
    ),
    "skip: the layer's output for tanh's input": Mistake(
        {"residual_answer": [("g_h + tanh_vjp(g_h, a)", "g_h + tanh_vjp(g_h, h)")]},
        ("residual_gradients",),
        ("give tanh_vjp tanh's input a = X @ W1 + b1, not its output h",),
    ),
}


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt(MATMUL_PROMPT, "matmul_prompt"),
        solution(MATMUL_ANSWER, "matmul_answer"),
        test_cell(NAME, "matmul_vjp", points=2),
        prompt(ADD_PROMPT, "add_prompt"),
        solution(ADD_ANSWER, "add_answer"),
        test_cell(NAME, "add_vjp", points=2),
        prompt(CROSS_ENTROPY_PROMPT, "cross_entropy_prompt"),
        solution(CROSS_ENTROPY_ANSWER, "cross_entropy_answer"),
        test_cell(NAME, "cross_entropy", points=1),
        prompt(CROSS_ENTROPY_VJP_PROMPT, "cross_entropy_vjp_prompt"),
        solution(CROSS_ENTROPY_VJP_ANSWER, "cross_entropy_vjp_answer"),
        test_cell(NAME, "cross_entropy_vjp", points=2),
        prompt(CLASSIFIER_PROMPT, "classifier_prompt"),
        solution(CLASSIFIER_ANSWER, "classifier_answer"),
        test_cell(NAME, "classifier_gradients", points=1),
        prompt(TANH_PROMPT, "tanh_prompt"),
        solution(TANH_ANSWER, "tanh_answer"),
        test_cell(NAME, "tanh_vjp", points=1),
        prompt(MLP_PROMPT, "mlp_prompt"),
        solution(MLP_ANSWER, "mlp_answer"),
        test_cell(NAME, "mlp_gradients", points=2),
        prompt(RESIDUAL_PROMPT, "residual_prompt"),
        solution(RESIDUAL_ANSWER, "residual_answer"),
        test_cell(NAME, "residual_gradients", points=2),
        prompt(MAX_NOTE, "max_note"),
        given(MAX_DEMO, "max_demo"),
    ]
