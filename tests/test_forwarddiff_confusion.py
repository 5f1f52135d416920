"""ForwardDiff.jl's test/ConfusionTest.jl, translated: perturbation confusion, every pairing.

Source: https://github.com/JuliaDiff/ForwardDiff.jl, test/ConfusionTest.jl at
commit 569af354272d6148a1d88f548a12dd5f102dc4ea (MIT licence). ForwardDiff has
forward mode only; here every example runs with each of its derivative
operators in forward and in reverse mode (and each Hessian in all three
modes), so every forward/reverse pairing is tested. The assertions are the
Julia ones (``==``, exact), with Julia's 1-based indices written 0-based.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autodiff_lab import derivative, grad, hessian, jacobian

# Nested reverse passes whose inner result does not depend on the inner input
# warn that the output seems independent; that is the point of these examples.
pytestmark = pytest.mark.filterwarnings("ignore:.*output seems independent:UserWarning")

MODES = ("forward", "reverse")
HESSIAN_MODES = ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward")


def D(mode):
    """ForwardDiff.derivative in either mode."""
    if mode == "forward":
        return lambda f, x: derivative(f, x)
    return lambda f, x: grad(f)(x)


def gradient(mode):
    """ForwardDiff.gradient: the gradient of a scalar function of a vector."""
    if mode == "forward":
        return lambda f, x: jacobian(f, x, mode="forward")
    return lambda f, x: grad(f)(x)


def jacobian_in(mode):
    return lambda f, x: jacobian(f, x, mode=mode)


def norm(v):
    return np.sum(v * v) ** 0.5


PAIRS = list(itertools.product(MODES, MODES))


# Perturbation Confusion (Issue #83)


@pytest.mark.parametrize("outer, inner", PAIRS)
def test_issue_83_derivative_of_a_derivative(outer, inner):
    D_outer, D_inner = D(outer), D(inner)
    assert D_outer(lambda x: x * D_inner(lambda y: x + y, 1), 1) == 1


@pytest.mark.parametrize("outer, inner", PAIRS)
def test_issue_83_gradient_of_a_derivative(outer, inner):
    g, D_inner = gradient(outer), D(inner)
    assert g(lambda v: sum(v) * D_inner(lambda y: y * norm(v), 1), np.array([1.0])) == g(
        lambda v: sum(v) * norm(v), np.array([1.0])
    )


@pytest.mark.parametrize("outer, inner", PAIRS)
def test_issue_83_jacobian_of_a_gradient(outer, inner):
    rng = np.random.default_rng(83)
    A = rng.random((10, 8))
    y = rng.random(10)
    x = rng.random(8)
    J, g = jacobian_in(outer), gradient(inner)
    assert (A == J(lambda x: g(lambda y: np.dot(y, np.dot(A, x)), y), x)).all()


# Issue #238

m, g = 1, 9.8
t = 1


def L(t, q, qdot):
    return m / 2 * np.dot(qdot, qdot) - m * g * q[1]


@pytest.mark.parametrize("outer, inner", PAIRS)
def test_issue_238_mixed_second_derivative_of_a_lagrangian(outer, inner):
    q = np.array([1, 2])
    qdot = np.array([3, 4])

    def dL_dqdot(L, t, q, qdot):
        return gradient(inner)(lambda a: L(t, q, a), qdot)

    def D_q_qdot(L, t, q, qdot):
        return jacobian_in(outer)(lambda a: dL_dqdot(L, t, a, qdot), q)

    assert (D_q_qdot(L, t, q, qdot) == np.full((2, 2), 0.0)).all()


@pytest.mark.parametrize(
    "outer, inner, hessian_mode", list(itertools.product(MODES, MODES, HESSIAN_MODES))
)
def test_issue_238_hamiltonian_by_legendre_transformation(outer, inner, hessian_mode):
    q = np.array([1, 2])
    p = np.array([5, 6])

    def Legendre_transformation(F, w):
        z = np.full(np.shape(w), 0.0)
        M = hessian(F, z, mode=hessian_mode)
        b = gradient(inner)(F, z)
        cholesky = np.linalg.cholesky(M)
        v = np.linalg.solve(cholesky.T, np.linalg.solve(cholesky, w - b))
        return np.dot(w, v) - F(v)

    def Lagrangian2Hamiltonian(Lagrangian, t, q, p):
        return Legendre_transformation(lambda qdot: Lagrangian(t, q, qdot), p)

    Lagrangian2Hamiltonian(L, t, q, p)
    assert (gradient(outer)(lambda a: Lagrangian2Hamiltonian(L, t, a, p), q) == [0.0, g]).all()


# #267: let scoping


@pytest.mark.parametrize("hessian_mode", HESSIAN_MODES)
def test_issue_267_hessian_through_closures(hessian_mode):
    def f83a(z, x):
        return x[0]

    z83a = [(1, (2), [(3, (4, 5, [1, 2, (3, (4, 5), [5])]), (5))])]
    z = z83a

    def g(x):
        return f83a(z, x)

    def h(x):
        return g(x)

    assert (hessian(h, [1.0], mode=hessian_mode) == np.zeros((1, 1))).all()


@pytest.mark.parametrize("outer, inner", PAIRS)
def test_derivative_at_the_outer_variable_of_a_function_of_it(outer, inner):
    assert D(outer)(lambda x: D(inner)(lambda y: x, x), 1.0) == 0.0
