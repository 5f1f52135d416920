"""Port of HIPS autograd's tests/test_systematic.py, the real-valued cases with rules here.

Source: https://github.com/HIPS/autograd, tests/test_systematic.py at commit
0215e8967c113c2e15cb66bc11f384af59b80706, with its helpers stat_check,
unary_ufunc_check and binary_ufunc_check from tests/numpy_utils.py (commit
03b7ac8ece9aa0d00ba54846af25ff914017de26), written again below, and
combo_check from autograd/test_util.py (in tests/autograd_adapter.py). Each check keeps autograd's
arguments, limits and combinations; ``check_grads`` is our adapter's
(tests/autograd_adapter.py), run for each argnum in turn. Scalars run on the
Value engine, arrays on the array engine.

Left out: the complex cases (neither engine has complex numbers), and the
functions without a rule here (all, any, ceil, floor, deg2rad, degrees,
fabs, rad2deg, radians, real, real_if_close, imag, conj, angle, logaddexp,
logaddexp2, sort, msort, partition).
"""

from __future__ import annotations

import operator as op

from autograd_adapter import combo_check, npr

import autodiff_lab.numpy as np

npr.seed(0)


def transform(lims, x):
    return x * (lims[1] - lims[0]) + lims[0]


def stat_check(fun):
    x = 3.5
    A = npr.randn()
    B = npr.randn(3)
    C = npr.randn(2, 3)
    D = npr.randn(1, 3)
    check = combo_check(fun, (0,))
    check([x, A])
    check([B, C, D], axis=[None, 0], keepdims=[True, False])
    check([C, D], axis=[None, 0, 1], keepdims=[True, False])


def unary_ufunc_check(fun, lims=(-2, 2)):
    scalar = transform(lims, 0.4)
    vector = transform(lims, npr.rand(2))
    mat = transform(lims, npr.rand(3, 2))
    mat2 = transform(lims, npr.rand(1, 2))
    check = combo_check(fun, (0,))
    check([scalar, vector, mat, mat2])


def binary_ufunc_check(fun, lims_A=(-2, 2), lims_B=(-2, 2)):
    def T_A(x):
        return transform(lims_A, x)

    def T_B(x):
        return transform(lims_B, x)

    scalar = 0.6
    vector = npr.rand(2)
    mat = npr.rand(3, 2)
    mat2 = npr.rand(1, 2)
    check = combo_check(fun, (0, 1))
    check(
        [T_A(scalar), T_A(vector), T_A(mat), T_A(mat2)],
        [T_B(scalar), T_B(vector), T_B(mat), T_B(mat2)],
    )


def binary_ufunc_check_no_same_args(fun, lims_A=(-2, 2), lims_B=(-2, 2)):
    def T_A(x):
        return transform(lims_A, x)

    def T_B(x):
        return transform(lims_B, x)

    scalar1 = 0.6
    scalar2 = 0.7
    vector1 = npr.rand(2)
    vector2 = npr.rand(2)
    mat11 = npr.rand(3, 2)
    mat12 = npr.rand(3, 2)
    mat21 = npr.rand(1, 2)
    mat22 = npr.rand(1, 2)
    check = combo_check(fun, (0, 1))
    check(
        [T_A(scalar1), T_A(vector1), T_A(mat11), T_A(mat21)],
        [T_B(scalar2), T_B(vector2), T_B(mat12), T_B(mat22)],
    )


# Array statistics functions
def test_max():
    stat_check(np.max)


def test_mean():
    stat_check(np.mean)


def test_min():
    stat_check(np.min)


def test_sum():
    stat_check(np.sum)


def test_var():
    stat_check(np.var)


# Unary ufunc tests
def test_abs():
    unary_ufunc_check(np.abs, lims=[0.1, 4.0])


def test_absolute():
    unary_ufunc_check(np.absolute, lims=[0.1, 4.0])


def test_arccosh():
    unary_ufunc_check(np.arccosh, lims=[1.1, 4.0])


def test_arcsinh():
    unary_ufunc_check(np.arcsinh, lims=[-0.9, 0.9])


def test_arctanh():
    unary_ufunc_check(np.arctanh, lims=[-0.9, 0.9])


def test_cos():
    unary_ufunc_check(np.cos)


def test_cosh():
    unary_ufunc_check(np.cosh)


def test_exp():
    unary_ufunc_check(np.exp)


def test_exp2():
    unary_ufunc_check(np.exp2)


def test_expm1():
    unary_ufunc_check(np.expm1)


def test_log():
    unary_ufunc_check(np.log, lims=[0.2, 2.0])


def test_log10():
    unary_ufunc_check(np.log10, lims=[0.2, 2.0])


def test_log1p():
    unary_ufunc_check(np.log1p, lims=[0.2, 2.0])


def test_log2():
    unary_ufunc_check(np.log2, lims=[0.2, 2.0])


def test_sign():
    unary_ufunc_check(np.sign)


def test_sin():
    unary_ufunc_check(np.sin)


def test_sinh():
    unary_ufunc_check(np.sinh)


def test_sqrt():
    unary_ufunc_check(np.sqrt, lims=[1.0, 3.0])


def test_square():
    unary_ufunc_check(np.square)


def test_tan():
    unary_ufunc_check(np.tan, lims=[-1.1, 1.1])


def test_tanh():
    unary_ufunc_check(np.tanh)


# Binary ufunc tests
def test_add():
    binary_ufunc_check(np.add)


def test_remainder():
    binary_ufunc_check_no_same_args(np.remainder, lims_A=[-0.9, 0.9], lims_B=[0.7, 1.9])


def test_true_divide():
    binary_ufunc_check(np.true_divide, lims_B=[0.3, 2.0])


def test_mod():
    binary_ufunc_check_no_same_args(np.mod, lims_B=[0.8, 2.1])


def test_true_divide_neg():
    binary_ufunc_check(np.true_divide, lims_B=[-0.3, -2.0])


def test_mod_neg():
    binary_ufunc_check_no_same_args(np.mod, lims_B=[-0.3, -2.0])


def test_op_mul():
    binary_ufunc_check(op.mul)


def test_op_add():
    binary_ufunc_check(op.add)


def test_op_sub():
    binary_ufunc_check(op.sub)


def test_op_mod():
    binary_ufunc_check_no_same_args(op.mod, lims_B=[0.3, 2.0])


def test_op_mod_neg():
    binary_ufunc_check_no_same_args(op.mod, lims_B=[-0.3, -2.0])


def test_op_div():
    binary_ufunc_check(op.truediv, lims_B=[0.5, 2.0])  # op.div in Python 2


def test_op_pow():
    binary_ufunc_check(op.pow, lims_A=[0.7, 2.0])


# Misc tests
def test_transpose():
    combo_check(np.transpose, [0])(
        [npr.randn(2, 3, 4)],
        axes=[None, [0, 1, 2], [0, 2, 1], [2, 0, 1], [2, 1, 0], [1, 0, 2], [1, 2, 0]],
    )


R = npr.randn


def test_dot():
    combo_check(np.dot, [0, 1])([1.5, R(3), R(2, 3)], [0.3, R(3), R(3, 4)])


# Need custom tests because gradient is undefined when arguments are identical.
def test_maximum():
    combo_check(np.maximum, [0, 1])([R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)])


def test_minimum():
    combo_check(np.minimum, [0, 1])([R(1), R(1, 4), R(3, 4)], [R(1), R(1, 4), R(3, 4)])


# Added with their rules, from the same file at the same commit.


def test_prod():
    stat_check(np.prod)


def test_std():
    stat_check(np.std)


R = npr.randn


def test_tensordot_1():
    combo_check(np.tensordot, [0, 1])(
        [R(1, 3), R(2, 3, 2)], [R(3), R(3, 1), R(3, 4, 2)], axes=[[(1,), (0,)]]
    )


def test_tensordot_2():
    combo_check(np.tensordot, [0, 1])(
        [R(3), R(3, 1), R(3, 4, 2)], [R(1, 3), R(2, 3, 2)], axes=[[(0,), (1,)]]
    )


def test_tensordot_3():
    combo_check(np.tensordot, [0, 1])(
        [R(2, 3), R(2, 3, 4)],
        [R(1, 2, 3), R(2, 2, 3, 4)],
        axes=[[(0, 1), (1, 2)], [(1, 0), (2, 1)]],
    )


def test_tensordot_4():
    combo_check(np.tensordot, [0, 1])([R(2, 2), R(4, 2, 2)], [R(2, 2), R(2, 2, 4)], axes=[1, 2])


def test_atleast_1d():
    combo_check(np.atleast_1d, [0])([1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)])


def test_atleast_2d():
    combo_check(np.atleast_2d, [0])([1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5)])


def test_atleast_3d():
    combo_check(np.atleast_3d, [0])([1.2, R(1), R(7), R(1, 4), R(2, 4), R(2, 4, 5), R(2, 4, 3, 5)])


def test_trace():
    combo_check(np.trace, [0])([R(5, 5), R(4, 5), R(5, 4)], offset=[-1, 0, 1])


def test_einsum_transpose():
    combo_check(np.einsum, [1])(["ij->ji"], [R(1, 1), R(4, 4), R(3, 4)])


def test_einsum_matmult():
    combo_check(np.einsum, [1, 2])(["ij,jk->ik"], [R(2, 3)], [R(3, 4)])


def test_einsum_covsum():
    combo_check(np.einsum, [1, 2])(["ijk,lji->lki"], [R(3, 4, 4)], [R(4, 4, 3)])


def test_einsum_ellipses():
    combo_check(np.einsum, [1, 2])(
        ["...jk,...lj->...lk", "...,...->..."], [R(3, 4, 4)], [R(3, 4, 4)]
    )


def test_einsum_three_args():
    combo_check(np.einsum, [1, 2])(["ijk,lji,lli->lki"], [R(3, 4, 4)], [R(4, 4, 3)], [R(4, 4, 3)])
