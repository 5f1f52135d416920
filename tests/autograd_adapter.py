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
* ``check_equivalent(x, y)``: autograd's, for numbers, arrays and tuples, lists
  and dicts of them: the same vector space (structure, shapes, real or
  complex), then the same inner product with a random direction.
* autograd's derivative operators by their names and ``argnum`` (``grad``,
  ``value_and_grad``, ``elementwise_grad``, ``jacobian``, ``hessian``,
  ``make_jvp``, ``make_hvp``, ``hessian_tensor_product``,
  ``tensor_jacobian_product``, ``make_ggnvp``, ``grad_and_aux``), each mapped
  onto autodiff_lab's operator of that meaning (see `Autograd's operators`
  below); ``isbox``; and autograd's deprecated ``primitive`` methods
  (``defgrad``, the old ``defvjp``, ``defvjp_is_zero``) and ``quick_grad_check``,
  mapped onto ``autodiff_lab.primitive`` and ``autodiff_lab.defvjp``.

Complex numbers follow autograd's vector spaces (autograd/numpy/numpy_vspaces.py):
a complex point's random direction is ``randn + 1j·randn``, its inner product
is ``Re Σ conj(a)·b`` and its covector is the conjugate, so a VJP is checked
against finite differences exactly as autograd checks it.
"""

from __future__ import annotations

import itertools
import math
import warnings
from numbers import Number

import numpy

import autodiff_lab
import autodiff_lab.numpy as anp
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


# ---------------------------------------------------------------------------
# Vector spaces (autograd's vspace): numbers and arrays, real or complex, and
# tuples, lists and dicts of them


def _is_container(x) -> bool:
    return isinstance(x, (tuple, list, dict))


def _map(function, *trees):
    """``function`` applied leaf by leaf to trees of the first tree's structure."""
    first = trees[0]
    if isinstance(first, dict):
        return {key: _map(function, *(tree[key] for tree in trees)) for key in first}
    if isinstance(first, (tuple, list)):
        items = [_map(function, *parts) for parts in zip(*trees)]
        return type(first)(*items) if hasattr(first, "_fields") else type(first)(items)
    return function(*trees)


def _leaves(tree) -> list:
    if isinstance(tree, dict):
        return [leaf for key in tree for leaf in _leaves(tree[key])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _is_complex(x) -> bool:
    return any(numpy.iscomplexobj(leaf) for leaf in _leaves(x))


def _space(x):
    """What autograd's vspaces compare: the structure, each leaf's shape, real or complex."""
    if isinstance(x, dict):
        return dict, frozenset((key, _space(value)) for key, value in x.items())
    if isinstance(x, (tuple, list)):
        return type(x), tuple(_space(item) for item in x)
    return numpy.shape(x), bool(numpy.iscomplexobj(x))


def _random_like(x):
    """``vspace(x).randn()``: a random direction, ``randn + 1j·randn`` where x is complex."""
    if _is_container(x):
        return _map(_random_like, x)
    shape = numpy.shape(x)

    def draw():
        return float(_directions.randn()) if shape == () else _directions.randn(*shape)

    return draw() + 1j * draw() if numpy.iscomplexobj(x) else draw()


def _plain(leaf):
    array = numpy.asarray(leaf)
    return array.astype(float) if array.dtype == object else array


def _inner(a, b) -> float:
    """``vspace.inner_prod``: Re Σ conj(a)·b over every leaf (Σ a·b for real ones)."""
    return float(
        sum(
            numpy.real(numpy.sum(numpy.conj(_plain(x)) * _plain(y)))
            for x, y in zip(_leaves(a), _leaves(b))
        )
    )


def _covector(x):
    """``vspace.covector``: the conjugate of a complex leaf, a real leaf itself."""
    return _map(lambda leaf: numpy.conj(leaf) if numpy.iscomplexobj(leaf) else leaf, x)


def _step(x, v, scale):
    return _map(lambda a, b: a + b * scale, x, v)


def _numerical_jvp(f, x):
    def along(v):
        plus, minus = f(_step(x, v, EPS / 2)), f(_step(x, v, -EPS / 2))
        return _map(lambda p, m: (_plain(p) - _plain(m)) / EPS, plus, minus)

    return along


def check_equivalent(x, y):
    """autograd's ``check_equivalent``: one vector space, and one inner product with a
    random direction."""
    assert _space(x) == _space(y), f"VSpace mismatch:\nx: {_space(x)}\ny: {_space(y)}"
    v = _random_like(x)
    assert scalar_close(_inner(x, v), _inner(y, v)), f"Value mismatch:\nx: {x}\ny: {y}"


def _check_vjp(f, x):
    y, vjp_fn = vjp(f, x)
    x_v, y_v = _random_like(x), _random_like(y)
    vjp_y = _covector(vjp_fn(_covector(y_v)))
    assert _space(vjp_y) == _space(x), f"VJP at {x} is in {_space(vjp_y)}, not {_space(x)}"
    exact = _inner(x_v, vjp_y)
    numeric = _inner(y_v, _numerical_jvp(f, x)(x_v))
    assert scalar_close(numeric, exact), f"VJP check failed at {x}: {exact} vs {numeric}"


def _check_jvp(f, x):
    x_v = _random_like(x)
    check_equivalent(jvp(f, x, x_v)[1], _numerical_jvp(f, x)(x_v))


def _one_point(parts: list, g):
    """``g`` as a function of one point holding its arguments ``parts``, and that point.

    autograd checks a tuple of arguments as one point of their product space.
    When the parts are all real, or all complex, that space is one flat array
    of their entries in turn, which the engine takes as a plain array; a mix of
    real and complex parts (or a container) stays a tuple, as autograd passes it.
    """
    parts = [_as_point(part) for part in parts]
    kinds = {bool(numpy.iscomplexobj(part)) for part in parts}
    if len(kinds) > 1 or any(_is_container(part) for part in parts):
        return lambda point: g(*point), tuple(parts)
    shapes = [numpy.shape(part) for part in parts]
    sizes = [int(numpy.prod(shape)) for shape in shapes]

    def h(flat):
        args, start = [], 0
        for shape, size in zip(shapes, sizes):
            args.append(flat[start] if shape == () else flat[start : start + size].reshape(shape))
            start += size
        return g(*args)

    dtype = complex if kinds == {True} else float
    return h, numpy.concatenate([numpy.ravel(numpy.asarray(part, dtype)) for part in parts])


def _check(f, x, modes, order):
    if "fwd" in modes:
        _check_jvp(f, x)
        if order > 1:
            v = _random_like(x)
            _check(*_one_point([x, v], lambda x, v: jvp(f, x, v)[1]), modes, order - 1)
    if "rev" in modes:
        _check_vjp(f, x)
        if order > 1:
            v = _random_like(f(x))
            _check(*_one_point([x, v], lambda x, v: vjp(f, x)[1](v)), modes, order - 1)


def _as_point(x):
    """A float, a complex or an array of either (a flat list of numbers too, as autograd's
    tests use one); any other container as it is."""
    if isinstance(x, (list, tuple)) and all(isinstance(item, Number) for item in x):
        x = numpy.asarray(x)
    if _is_container(x):
        return x
    kind = complex if numpy.iscomplexobj(x) else float
    return kind(x) if numpy.ndim(x) == 0 else numpy.asarray(x, kind)


def check_grads(f, argnum: int | tuple = 0, modes=None, order: int = 2):
    """autograd's ``check_grads``: derivatives in ``modes`` up to ``order`` against numbers."""
    modes = ["fwd", "rev"] if modes is None else modes
    assert all(m in ["fwd", "rev"] for m in modes)

    def check(*args):
        if isinstance(argnum, tuple):

            def of_parts(*parts):
                filled = list(args)
                for position, part in zip(argnum, parts):
                    filled[position] = part
                return f(*filled)

            _check(*_one_point([args[i] for i in argnum], of_parts), modes, order)
            return

        def of_one(x):
            return f(*args[:argnum], x, *args[argnum + 1 :])

        _check(of_one, _as_point(args[argnum]), modes, order)

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


# ---------------------------------------------------------------------------
# Autograd's operators, each mapped onto autodiff_lab's operator of that meaning.
# The engine's names are looked up when called, so a test that needs one the
# engine lacks fails alone, with the engine's AttributeError.


def of_argnums(fun, argnums, args: tuple, kwargs: dict):
    """autograd's ``unary_to_nary`` (JAX's argnums likewise): ``fun`` as a function of
    ``args[argnums]`` (of the tuple of those arguments for a tuple), and that point."""
    several = not isinstance(argnums, int)
    positions = tuple(argnums) if several else (argnums,)

    def unary(x):
        filled = list(args)
        for position, value in zip(positions, x if several else (x,)):
            filled[position] = value
        return fun(*filled, **kwargs)

    return unary, tuple(args[i] for i in positions) if several else args[argnums]


def _argnums(argnum):
    return argnum if isinstance(argnum, int) else tuple(argnum)


def grad(fun, argnum=0):
    """autograd's ``grad``: autodiff_lab's, which takes argnums and keywords the same way."""
    return autodiff_lab.grad(fun, _argnums(argnum))


def value_and_grad(fun, argnum=0):
    return autodiff_lab.value_and_grad(fun, _argnums(argnum))


def grad_and_aux(fun, argnum=0):
    """autograd's ``grad_and_aux``: ``grad`` with ``has_aux=True``, the same pair."""
    return autodiff_lab.grad(fun, _argnums(argnum), has_aux=True)


def _unary_operator(operator):
    """An autograd operator ``op(fun, argnum)(*args, **kwargs)`` from ``operator(f, x)``."""

    def nary(fun, argnum=0):
        def apply(*args, **kwargs):
            return operator(*of_argnums(fun, argnum, args, kwargs))

        return apply

    return nary


elementwise_grad = _unary_operator(lambda f, x: autodiff_lab.elementwise_grad(f)(x))
jacobian = _unary_operator(lambda f, x: autodiff_lab.jacobian(f, x))
# autograd's hessian is jacobian(jacobian(fun)): reverse over reverse
hessian = _unary_operator(lambda f, x: autodiff_lab.hessian(f, x, mode="reverse-over-reverse"))
# autograd's make_jvp(fun)(x) is the function v -> (f(x), J·v)
make_jvp = _unary_operator(lambda f, x: lambda v: autodiff_lab.jvp(f, x, v))


def _hvp_maker(f, x):
    gradient, vjp_fn = autodiff_lab.vjp(autodiff_lab.grad(f), x)
    return vjp_fn, gradient  # autograd's make_vjp order: (vjp, value)


make_hvp = _unary_operator(_hvp_maker)


def hessian_tensor_product(fun, argnum=0):
    """autograd's ``hessian_tensor_product(fun)(*args, tensor)``: H·tensor, our ``hvp``."""

    def product(*args, **kwargs):
        args, tensor = args[:-1], args[-1]
        f, x = of_argnums(fun, argnum, args, kwargs)
        return autodiff_lab.hvp(f, x, tensor)

    return product


def tensor_jacobian_product(fun, argnum=0):
    """autograd's definition: the Jacobian of ``tensordot(tensor, fun(*args))``."""

    def vector_dot_fun(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return anp.tensordot(vector, fun(*args, **kwargs), axes=numpy.ndim(vector))

    return jacobian(vector_dot_fun, argnum)


def make_ggnvp(f, g=lambda x: 1.0 / 2 * anp.sum(x**2, axis=-1), f_argnum=0):
    """autograd's definition: Jᵀ·H_g·J·v from a VJP, the VJP of grad(g) and the VJP of
    the VJP (a JVP, by linearity)."""

    def maker(*args, **kwargs):
        unary, x = of_argnums(f, f_argnum, args, kwargs)
        f_x, f_vjp = vjp(unary, x)
        grad_g_x, g_hvp = vjp(autodiff_lab.grad(g), f_x)
        _, f_jvp = vjp(f_vjp, numpy.zeros_like(grad_g_x))

        def ggnvp(v):
            return f_vjp(g_hvp(f_jvp(v)))

        return ggnvp

    return maker


def isbox(x) -> bool:
    """autograd's ``isbox``: x is one of the engine's traced values (or an array of them),
    not a plain number or array."""
    if isinstance(x, numpy.ndarray) and x.dtype == object:
        return any(isbox(item) for item in x.flat)
    return not isinstance(x, (Number, numpy.ndarray, numpy.generic)) and type(
        x
    ).__module__.startswith("autodiff_lab")


_DEPRECATED = "The {} method is deprecated (autograd's message, kept by the adapter)."


class primitive:  # noqa: N801 (autograd's name)
    """``autograd.core.primitive`` with the deprecated methods autograd still keeps:
    ``defgrad(maker, argnum)``, the old ``defvjp(vjp(g, ans, vs, gvs, *args), argnum)``
    and ``defvjp_is_zero(argnums)``, each gathered into one call of
    ``autodiff_lab.defvjp`` (None, a zero cotangent, where nothing was given), made
    when the primitive is first called. ``vs`` and ``gvs`` (autograd's vector
    spaces) are passed as None."""

    def __init__(self, f_raw):
        self._wrapped = autodiff_lab.primitive(f_raw)
        self._makers: dict = {}
        self._pending = False

    def __call__(self, *args, **kwargs):
        if self._pending:
            count = max(self._makers) + 1
            autodiff_lab.defvjp(self._wrapped, *(self._makers.get(i) for i in range(count)))
            self._pending = False
        return self._wrapped(*args, **kwargs)

    def _define(self, argnum, maker, method):
        warnings.warn(_DEPRECATED.format(method), stacklevel=3)
        self._makers[argnum] = maker
        self._pending = True

    def defgrad(self, gradfun, argnum=0):
        self._define(argnum, gradfun, "defgrad")

    def defvjp(self, vjpfun, argnum=0):
        def maker(ans, *args, **kwargs):
            return lambda g: vjpfun(g, ans, None, None, *args, **kwargs)

        self._define(argnum, maker, "defvjp")

    def defvjp_is_zero(self, argnums=(0,)):
        for argnum in argnums:
            self._define(argnum, None, "defvjp_is_zero")


def quick_grad_check(
    fun, arg0, extra_args=(), kwargs=None, verbose=True, eps=1e-4, rtol=1e-4, atol=1e-6, rs=None
):
    """autograd.util's deprecated ``quick_grad_check``, as autograd defines it."""
    if kwargs is None:
        kwargs = {}
    warnings.warn(_DEPRECATED.format("quick_grad_check"), stacklevel=2)
    check_grads(lambda arg0: fun(arg0, *extra_args, **kwargs), modes=["rev"], order=1)(arg0)
