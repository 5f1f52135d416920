"""HIPS autograd's tests/test_core.py, ported: the core operators without numpy.

Source: https://github.com/HIPS/autograd, tests/test_core.py at commit
2df6a84afd94561591f3500f2245d6a70dae92be (the file's last change; MIT licence).
The helpers and tests below keep autograd's assertions exactly; ``grad`` is
autodiff_lab's, which, like autograd's, accepts the position of the argument.
A comparison returns a bool, which does not depend on the input: the
derivative is 0, with autograd's warning that the output seems independent.
"""

import warnings

from autodiff_lab import grad


# Non-numpy gradient checking functions.
def nd(f, x, eps=1e-4):
    return (f(x + eps / 2) - f(x - eps / 2)) / eps


def check_close(a, b, atol=1e-4, rtol=1e-4):
    assert abs(a - b) < atol + rtol * abs(b), f"Diffs are: {a - b}"


def check_binary_func(fun, independent=False):
    with warnings.catch_warnings(record=independent) as w:  # noqa: F841 (as in autograd)
        x, y = 0.7, 1.8
        a = grad(fun)(x, y)
        b = nd(lambda x: fun(x, y), x)
        check_close(a, b)

        a = grad(fun, 1)(x, y)
        b = nd(lambda y: fun(x, y), y)
        check_close(a, b)


def test_add():
    check_binary_func(lambda x, y: x + y)


def test_sub():
    check_binary_func(lambda x, y: x - y)


def test_div():
    check_binary_func(lambda x, y: x / y)


def test_mul():
    check_binary_func(lambda x, y: x * y)


def test_pow():
    check_binary_func(lambda x, y: x**y)


def test_mod():
    check_binary_func(lambda x, y: x % y)


def test_eq():
    check_binary_func(lambda x, y: x == y, independent=True)


def test_neq():
    check_binary_func(lambda x, y: x != y, independent=True)


def test_leq():
    check_binary_func(lambda x, y: x <= y, independent=True)


def test_geq():
    check_binary_func(lambda x, y: x >= y, independent=True)


def test_lt():
    check_binary_func(lambda x, y: x < y, independent=True)


def test_gt():
    check_binary_func(lambda x, y: x > y, independent=True)
