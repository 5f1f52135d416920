"""HIPS autograd's tutorial examples, with only the import changed, and with plain numpy.

The examples are those of autograd's README and docs/tutorial.md (the Taylor
sine: loops and branches on a traced scalar; logistic regression with
np.dot, np.tanh, np.sum, np.log and bool targets), written here again.
"""

from __future__ import annotations

import numpy
import pytest
from installs import need

import autodiff_lab.numpy as np
from autodiff_lab import elementwise_grad, grad, hessian

INPUTS = numpy.array(
    [[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]]
)
TARGETS = numpy.array([True, True, False, True])


def taylor_sine(x):
    ans = currterm = x
    i = 0
    while np.abs(currterm) > 0.001:
        currterm = -currterm * x**2 / ((2 * i + 2) * (2 * i + 3))
        ans = ans + currterm
        i += 1
    return ans


def test_taylor_sine_has_the_slope_of_sine():
    assert grad(taylor_sine)(np.pi) == pytest.approx(numpy.cos(numpy.pi), abs=1e-3)
    assert grad(grad(taylor_sine))(0.5) == pytest.approx(-numpy.sin(0.5), abs=1e-3)


def make_loss(np):
    def sigmoid(x):
        return 0.5 * (np.tanh(x / 2.0) + 1)

    def training_loss(weights):
        preds = sigmoid(np.dot(INPUTS, weights))
        label_probabilities = preds * TARGETS + (1 - preds) * (1 - TARGETS)
        return -np.sum(np.log(label_probabilities))

    return training_loss


def torch_loss_gradient_and_hessian(weights):
    torch = need("torch")
    x, y = torch.tensor(INPUTS), torch.tensor(TARGETS, dtype=torch.float64)

    def loss(w):
        preds = torch.sigmoid(x @ w)
        return -torch.log(preds * y + (1 - preds) * (1 - y)).sum()

    w = torch.tensor(weights, requires_grad=True)
    (g,) = torch.autograd.grad(loss(w), w)
    return g.numpy(), torch.autograd.functional.hessian(loss, w).numpy()


@pytest.mark.parametrize("module", [np, numpy], ids=["autodiff_lab.numpy", "plain numpy"])
def test_logistic_regression_trains_and_matches_torch(module):
    training_loss = make_loss(module)
    weights = numpy.array([0.0, 0.0, 0.0])
    assert training_loss(weights) == pytest.approx(4 * numpy.log(2.0))
    for _ in range(100):
        weights -= grad(training_loss)(weights) * 0.01
    assert training_loss(weights) == pytest.approx(1.0672706757870163, rel=1e-12)  # autograd 1.9.1
    g, h = torch_loss_gradient_and_hessian(weights)
    numpy.testing.assert_allclose(grad(training_loss)(weights), g, rtol=1e-10)
    numpy.testing.assert_allclose(hessian(training_loss, weights), h, rtol=1e-10)


def test_elementwise_grad_of_plain_numpy_tanh_nests():
    x = numpy.linspace(-7, 7, 9)
    second = elementwise_grad(elementwise_grad(numpy.tanh))(x)
    th = numpy.tanh(x)
    numpy.testing.assert_allclose(second, -2 * th * (1 - th**2), rtol=1e-12, atol=1e-15)
