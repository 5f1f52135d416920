"""Exercise 6: the VJPs of matmul, broadcast add and softmax cross-entropy, by hand."""

from autodiff_lab.grading.notebook_format import given, prompt, solution, test

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

You will write the VJPs of three operations, and then chain them by hand into
the gradients of a linear classifier. Each check compares your answer with
finite differences (`numerical_derivative`) and with the engine
(`autodiff_lab.vjp` and `grad` on `autodiff_lab.numpy`), imported below for
the tests. In your own code use numpy (`np`) and `autodiff_lab.numpy` (`anp`)
only: `grad`, `vjp`, `numerical_derivative`, PyTorch and the library's
ready-made `softmax`, `log_softmax` and `logsumexp` would do the work for you,
and the grader flags any cell of yours that uses them (so delete experiments
with them before you hand in).
"""

GIVEN = """
import numpy as np

import autodiff_lab.numpy as anp
from autodiff_lab import grad, numerical_derivative, vjp
from autodiff_lab.grading import check

rng = np.random.default_rng(0)
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

MATMUL_TESTS = """
check("matmul_vjp", strict=True)
### BEGIN HIDDEN TESTS
A, B, g = rng.normal(size=(3, 5)), rng.normal(size=(5, 2)), rng.normal(size=(3, 2))
gA, gB = matmul_vjp(g, A, B)
assert np.shape(gA) == (3, 5) and np.shape(gB) == (5, 2), "gA has A's shape, gB has B's"
assert np.allclose(gA, numerical_derivative(lambda a: np.sum(g * (a @ B)), A)), "gA, numerically"
assert np.allclose(gB, numerical_derivative(lambda b: np.sum(g * (A @ b)), B)), "gB, numerically"
_, pullback = vjp(lambda a: anp.matmul(a, B), A)
assert np.allclose(gA, pullback(g)), "gA against the engine's vjp"
row, column = rng.normal(size=(1, 4)), rng.normal(size=(4, 1))
g_row, g_column = matmul_vjp(np.array([[2.0]]), row, column)
assert np.allclose(g_row, 2 * column.T) and np.allclose(g_column, 2 * row.T), "a 1×1 product"
### END HIDDEN TESTS
"""

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

ADD_TESTS = """
check("add_vjp", strict=True)
### BEGIN HIDDEN TESTS
for a_shape, b_shape in [((3, 1, 2), (4, 1)), ((1,), (2, 3)), ((2, 1, 1), (2, 1, 5)), ((), (3,))]:
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    g = rng.normal(size=np.broadcast_shapes(a_shape, b_shape))
    ga, gb = add_vjp(g, a_shape, b_shape)
    assert np.shape(ga) == a_shape and np.shape(gb) == b_shape, f"shapes for {a_shape} + {b_shape}"
    by_engine = grad(lambda x, y: anp.sum(g * (x + y)), argnums=(0, 1))(a, b)
    assert np.allclose(ga, by_engine[0]) and np.allclose(gb, by_engine[1]), f"{a_shape} + {b_shape}"
    by_differences = numerical_derivative(lambda x: np.sum(g * (x + b)), a)
    assert np.allclose(ga, by_differences), f"ga for {a_shape} + {b_shape}, numerically"
### END HIDDEN TESTS
"""

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

Write it with `anp` (`anp.max`, `anp.exp`, `anp.log`, `anp.sum` with
`axis=1, keepdims=True`, and `z[np.arange(N), labels]` to pick one entry per
row), so that the engine's `grad` can differentiate it.
"""

CROSS_ENTROPY_ANSWER = '''
def softmax_cross_entropy(logits, labels):
    """The mean over the batch of -log softmax(logits)[n, labels[n]], as one number."""
    ### BEGIN SOLUTION
    shifted = logits - anp.max(logits, axis=1, keepdims=True)
    log_probabilities = shifted - anp.log(anp.sum(anp.exp(shifted), axis=1, keepdims=True))
    return -anp.mean(log_probabilities[np.arange(len(labels)), labels])
    ### END SOLUTION
'''

CROSS_ENTROPY_TESTS = """
check("cross_entropy", strict=True)
### BEGIN HIDDEN TESTS
logits, labels = rng.normal(size=(6, 4)), np.array([0, 3, 1, 1, 2, 0])
p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
loss = softmax_cross_entropy(logits, labels)
assert np.ndim(loss) == 0, "one number for the whole batch"
assert np.isclose(loss, -np.mean(np.log(p[np.arange(6), labels]))), "a batch of 6"
assert np.isclose(softmax_cross_entropy(logits + 1000.0, labels), loss), "logits + 1000"
assert np.isclose(softmax_cross_entropy(logits - 1000.0, labels), loss), "logits - 1000"
assert np.isclose(softmax_cross_entropy(np.zeros((1, 5)), np.array([2])), np.log(5)), "log 5"
### END HIDDEN TESTS
"""

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

CROSS_ENTROPY_VJP_TESTS = """
check("cross_entropy_vjp", strict=True)
### BEGIN HIDDEN TESTS
logits, labels = rng.normal(size=(5, 3)), np.array([2, 0, 0, 1, 2])
g = softmax_cross_entropy_vjp(logits, labels)
assert np.shape(g) == (5, 3), "one gradient entry per logit"
assert np.allclose(g, grad(softmax_cross_entropy)(logits, labels)), "against the engine"
by_differences = numerical_derivative(lambda z: softmax_cross_entropy(z, labels), logits)
assert np.allclose(g, by_differences), "against finite differences"
assert np.allclose(g.sum(axis=1), 0.0), "each row adds up to 0"
big = softmax_cross_entropy_vjp(np.array([[1000.0, 0.0], [0.0, -1000.0]]), np.array([1, 0]))
assert np.allclose(big, [[0.5, -0.5], [0.0, 0.0]]), "logits of ±1000"
### END HIDDEN TESTS
"""

CLASSIFIER_PROMPT = r"""
## Part 5: reverse mode by hand

A linear classifier scores examples X (N × D) with weights W (D × C) and
biases b (C,): `logits = X @ W + b` (b broadcasts over the rows). Its loss is
`softmax_cross_entropy(logits, labels)`.

`classifier_gradients(X, W, b, labels)` returns `(gW, gb)`, the loss's
gradients, using only your VJPs from parts 1, 2 and 4, from the loss back:
`g_logits` from part 4, then `add_vjp` splits it between `X @ W` and `b`,
then `matmul_vjp` gives `gW`. The check compares your chain with the engine's
`grad` of the same loss: this is what it does inside.
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

CLASSIFIER_TESTS = """
check("classifier_gradients", strict=True)
### BEGIN HIDDEN TESTS
X, W, b = rng.normal(size=(7, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
labels = np.array([0, 1, 2, 3, 3, 2, 1])
gW, gb = classifier_gradients(X, W, b, labels)
by_engine = grad(lambda w, c: softmax_cross_entropy(X @ w + c, labels), argnums=(0, 1))(W, b)
assert np.allclose(gW, by_engine[0]) and np.allclose(gb, by_engine[1]), "against the engine"
### END HIDDEN TESTS
"""


def cells():
    return [
        prompt(INTRO, "intro"),
        given(GIVEN, "imports"),
        prompt(MATMUL_PROMPT, "matmul_prompt"),
        solution(MATMUL_ANSWER, "matmul_answer"),
        test(MATMUL_TESTS, "matmul_tests", points=2),
        prompt(ADD_PROMPT, "add_prompt"),
        solution(ADD_ANSWER, "add_answer"),
        test(ADD_TESTS, "add_tests", points=2),
        prompt(CROSS_ENTROPY_PROMPT, "cross_entropy_prompt"),
        solution(CROSS_ENTROPY_ANSWER, "cross_entropy_answer"),
        test(CROSS_ENTROPY_TESTS, "cross_entropy_tests", points=1),
        prompt(CROSS_ENTROPY_VJP_PROMPT, "cross_entropy_vjp_prompt"),
        solution(CROSS_ENTROPY_VJP_ANSWER, "cross_entropy_vjp_answer"),
        test(CROSS_ENTROPY_VJP_TESTS, "cross_entropy_vjp_tests", points=2),
        prompt(CLASSIFIER_PROMPT, "classifier_prompt"),
        solution(CLASSIFIER_ANSWER, "classifier_answer"),
        test(CLASSIFIER_TESTS, "classifier_tests", points=1),
    ]
