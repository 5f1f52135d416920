"""The adaptation layer for the ports of HIPS autograd's tests (written here, not copied).

Ported tests keep autograd's assertions exactly; these stand-ins give the
names they use the same meaning on autodiff_lab:

* ``check_grads(f, argnum=0, modes=None, order=2)(*args)``: autograd's checker.
  It compares a forward-mode jvp and a reverse-mode vjp against central
  differences with random directions, then, for ``order`` > 1, checks the
  jvp and the vjp themselves as functions of (x, v) the same way, so order 2
  covers forward over forward, reverse over forward, forward over reverse and
  reverse over reverse. Tolerances and step are autograd's (1e-6).
* ``np``: numpy, whose ufuncs already work on Values and Duals (they call the
  methods the rule table installs), with the few functions numpy cannot apply
  to objects (rad2deg, degrees, deg2rad, radians, sinc) written with primitives.
* ``npr``: a seeded random generator with numpy.random's ``rand``/``randn``.
"""

from __future__ import annotations

import itertools
import math

import numpy

from autodiff_lab import jvp, vjp

TOL = 1e-6
RTOL = 1e-6
EPS = 1e-6

_directions = numpy.random.RandomState(0)  # the random directions of check_grads


class _AutogradNumpy:
    """``autograd.numpy`` for scalars: numpy, plus what numpy cannot do on objects."""

    def __getattr__(self, name):
        return getattr(numpy, name)

    @staticmethod
    def rad2deg(x):
        return x * (180.0 / math.pi)

    degrees = rad2deg

    @staticmethod
    def deg2rad(x):
        return x * (math.pi / 180.0)

    radians = deg2rad

    @staticmethod
    def sinc(x):
        return numpy.sin(math.pi * x) / (math.pi * x)


np = _AutogradNumpy()
npr = numpy.random.RandomState(1)  # autograd's tests seed numpy.random with 1


def scalar_close(a, b) -> bool:
    return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


def _random_like(x):
    shape = numpy.shape(x)
    return float(_directions.randn()) if shape == () else _directions.randn(*shape)


def _inner(a, b) -> float:
    return float(numpy.sum(numpy.asarray(a, dtype=float) * numpy.asarray(b, dtype=float)))


def _numerical_jvp(f, x):
    def along(v):
        plus = numpy.asarray(f(x + v * (EPS / 2)), dtype=float)
        minus = numpy.asarray(f(x - v * (EPS / 2)), dtype=float)
        return (plus - minus) / EPS

    return along


def _check_vjp(f, x):
    y, vjp_fn = vjp(f, x)
    x_v, y_v = _random_like(x), _random_like(y)
    vjp_y = vjp_fn(y_v)
    assert numpy.shape(vjp_y) == numpy.shape(x)
    exact = _inner(x_v, vjp_y)
    numeric = _inner(y_v, _numerical_jvp(f, x)(x_v))
    assert scalar_close(numeric, exact), f"VJP check failed at {x}: {exact} vs {numeric}"


def _check_jvp(f, x):
    x_v = _random_like(x)
    exact = jvp(f, x, x_v)[1]
    numeric = _numerical_jvp(f, x)(x_v)
    assert numpy.shape(exact) == numpy.shape(numeric)
    v = _random_like(numeric)
    assert scalar_close(_inner(exact, v), _inner(numeric, v)), f"JVP mismatch: {exact}, {numeric}"


def _of_pair(g, x_shape, v_shape):
    """``g(x, v)`` as a function of one flat array holding x then v."""
    x_size = int(numpy.prod(x_shape))

    def unpack(flat, start, size, shape):
        return flat[start] if shape == () else flat[start : start + size].reshape(shape)

    def h(flat):
        x = unpack(flat, 0, x_size, x_shape)
        v = unpack(flat, x_size, int(numpy.prod(v_shape)), v_shape)
        return g(x, v)

    return h


def _pair(x, v):
    return numpy.concatenate([numpy.ravel(x), numpy.ravel(v)]).astype(float)


def _check(f, x, modes, order):
    if "fwd" in modes:
        _check_jvp(f, x)
        if order > 1:
            v = _random_like(x)
            tangent = _of_pair(lambda x, v: jvp(f, x, v)[1], numpy.shape(x), numpy.shape(v))
            _check(tangent, _pair(x, v), modes, order - 1)
    if "rev" in modes:
        _check_vjp(f, x)
        if order > 1:
            v = _random_like(f(x))
            cotangent = _of_pair(lambda x, v: vjp(f, x)[1](v), numpy.shape(x), numpy.shape(v))
            _check(cotangent, _pair(x, v), modes, order - 1)


def _joint(f, args: tuple, argnums: tuple):
    """f as a function of one flat array holding the arguments at ``argnums`` in turn
    (autograd checks a tuple of arguments as one point of a product space)."""
    shapes = [numpy.shape(args[i]) for i in argnums]
    sizes = [int(numpy.prod(shape)) for shape in shapes]

    def h(flat):
        filled, start = list(args), 0
        for i, shape, size in zip(argnums, shapes, sizes):
            filled[i] = flat[start] if shape == () else flat[start : start + size].reshape(shape)
            start += size
        return f(*filled)

    flat = numpy.concatenate([numpy.ravel(numpy.asarray(args[i], float)) for i in argnums])
    return h, flat


def check_grads(f, argnum: int | tuple = 0, modes=None, order: int = 2):
    """autograd's ``check_grads``: derivatives in ``modes`` up to ``order`` against numbers."""
    modes = ["fwd", "rev"] if modes is None else modes
    assert all(m in ["fwd", "rev"] for m in modes)

    def check(*args):
        if isinstance(argnum, tuple):
            _check(*_joint(f, args, argnum), modes, order)
            return

        def of_one(x):
            return f(*args[:argnum], x, *args[argnum + 1 :])

        x = args[argnum]
        _check(of_one, float(x) if numpy.ndim(x) == 0 else numpy.asarray(x, float), modes, order)

    return check


def combo_check(fun, argnums):
    """autograd's ``combo_check(fun, argnums)(*arg_lists, **kwarg_lists)``: check_grads
    for every combination of the given arguments and keyword values, each argnum in turn."""

    def check(*args, **kwargs):
        kwarg_key_vals = [[(k, x) for x in xs] for k, xs in kwargs.items()]
        for _args in itertools.product(*args):
            for _kwargs in itertools.product(*kwarg_key_vals):
                for argnum in argnums:
                    check_grads(lambda *a, kw=dict(_kwargs): fun(*a, **kw), argnum=argnum)(*_args)

    return check
