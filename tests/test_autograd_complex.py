"""Port of HIPS autograd's tests/test_complex.py: autograd's convention for complex inputs.

Source: https://github.com/HIPS/autograd, tests/test_complex.py at commit
f35fccaaae27927c78f047f633c5b10c10e48694 (the file's last change; snapshot
bff107b8d71a444a1160deade3e1cbd0b92f4fa6; MIT licence). The convention is
autograd's docs/tutorial.md, "Complex numbers": for f(z) = u(x, y) + i·v(x, y),
grad f = ∂u/∂x - i·∂u/∂y (the complex derivative where f is holomorphic, the
conjugate of the steepest-ascent direction where f is real). Every test and
assertion is autograd's, with ``autograd.numpy`` replaced by
``autodiff_lab.numpy`` and ``check_grads`` by the adapter's
(tests/autograd_adapter.py), which draws complex directions and takes autograd's
inner product Re Σ conj(a)·b. Nothing is left out.
"""

# ruff: noqa: E731
from autograd_adapter import check_grads, npr

import autodiff_lab.numpy as np
from autodiff_lab import grad

npr.seed(1)


def test_real_type():
    fun = lambda x: np.sum(np.real(x))
    df = grad(fun)
    assert np.isrealobj(df(2.0))
    assert np.iscomplexobj(df(1.0j))


def test_real_if_close_type():
    fun = lambda x: np.sum(np.real(x))
    df = grad(fun)
    assert np.isrealobj(df(1.0))
    assert np.iscomplexobj(df(1.0j))


def test_angle_real():
    fun = lambda x: np.angle(x)
    d_fun = lambda x: grad(fun)(x)
    check_grads(fun)(npr.rand())
    check_grads(d_fun)(npr.rand())


def test_angle_complex():
    fun = lambda x: np.angle(x)
    d_fun = lambda x: grad(fun)(x)
    check_grads(fun)(npr.rand() + 1j * npr.rand())
    check_grads(d_fun)(npr.rand() + 1j * npr.rand())


def test_abs_real():
    fun = lambda x: np.abs(x)
    d_fun = lambda x: grad(fun)(x)
    check_grads(fun)(1.1)
    check_grads(d_fun)(2.1)


def test_abs_complex():
    fun = lambda x: np.abs(x)
    d_fun = lambda x: grad(fun)(x)
    check_grads(fun)(1.1 + 1.2j)
    check_grads(d_fun)(1.1 + 1.3j)
