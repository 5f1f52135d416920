"""Port of JAX's tests/api_test.py: grad, value_and_grad, jvp, vjp, jacfwd, jacrev and
hessian on numbers and small arrays.

Source: https://github.com/google/jax, tests/api_test.py at commit
3bd8ca480a5ed0d88c19a821d53324759db0bc35 (the snapshot; the file last changed
at 1efca331874c1ed0295532c7de33e380ba8fd59c; Apache-2.0 licence). The tests
below are the file's ``APITest`` methods on these operators, in upstream's
order, with upstream's bodies and assertions; JAX's names come from
tests/jax_adapter.py, which maps each onto autodiff_lab's operator (``jnp`` is
``autodiff_lab.numpy``) and gives JAX's test helpers with JAX's default
configuration (x64 off). What they cover: argnums and argnums tuples with
keyword arguments, has_aux (and an aux that must come back untraced), nested
derivatives whose inner aux feeds the outer one, Python control flow on a
traced number, pytrees (tuples, lists, dicts, namedtuples) as points and as
outputs, Jacobians and Hessians of mixed forward and reverse modes, complex
inputs (autograd's convention agrees with JAX's on these), and integer inputs.

Changes to upstream's bodies: the TPU, matmul-precision and dtype-promotion
decorators are dropped (one device, float64), and the jit lines of four tests
(test_switch_value_jit, the three *_and_aux_nested, test_namedtuple_transparency)
are left out, each marked where it stood.

Left out, by kind (all in APITest unless named):
- jit, vmap, pmap, devices, compilation, caching, lowering, donation and
  sharding: every test of JitTest, the jit/pmap/vmap/device tests of APITest,
  and test_grad_of_jit, test_jit_of_grad, test_grad_wrap (jit with
  static_argnames), test_jvp_jit_cached, test_large_device_constant,
  test_grad_conj_symbolic_zeros (jit and lax.conj).
- Tracing internals and JAX-only machinery: test_std_basis (api._std_basis),
  the escaped-tracer and concrete-value errors, test_linear_transpose_*,
  test_issue_871 and test_linearize_aux (linearize), test_unwrapped_numpy
  (plain numpy.exp must fail on a tracer, while autodiff_lab's array nodes
  answer numpy's dispatch protocols on purpose), test_jvp_asarray_returns_array
  (JAX's array type), test_grad_does_not_unflatten_tree_with_none (pytree
  registration), test_grad_of_bool, test_vjp_of_int_shapes and
  test_vjp_of_int_fulllike (lax), test_float0_error (float0 arithmetic).
- Wording or calling forms only JAX has: test_grad_bad_input, test_bad_input
  and test_grad_object_array_error ("is not a valid JAX type"),
  test_binop_mismatch and test_dot_mismatch (lax's wording of numpy's shape
  errors), test_jvp_non_tuple_arguments (JAX's tuple-of-primals form, which
  the adapter supplies), test_jvp_mismatched_arguments, test_vjp_mismatched_arguments
  and test_vjp_bad_cotangent_shape (float16/float32 arguments, "unexpected
  JAX type"; worth a test of our own that a cotangent of the wrong shape is
  refused).
- test_grad_of_int_errors: JAX refuses ``grad(f)(3)``; autodiff_lab's documented
  policy differentiates an int as the float it equals (the true derivative, for a
  learner who types 3 for 3.0), and takes JAX's ``allow_int=True`` for the
  other meaning (test_grad_of_int and test_grad_of_int_index keep it).
- Dtypes other than float64 and complex128: test_ad_weak_types,
  test_heterogeneous_jacfwd and test_heterogeneous_jacrev (float16 with
  float32).
- JAX's complex convention where it differs from HIPS autograd's, which
  autodiff_lab follows: test_complex_grad_raises_error,
  test_complex_output_jacrev_raises_error, test_complex_input_jacfwd_raises_error,
  test_grad_complex_result_errors and test_jacfwd_of_complex_errors (JAX refuses
  without ``holomorphic=True``; autograd's convention defines each), and
  test_holomorphic_{grad,jacrev,jacfwd}_of_float_errors (the flag itself),
  and test_hessian_holomorphic: autograd has no holomorphic Hessian (its
  jacobian of a complex output has a real and an imaginary row per output), so
  its convention gives this test nothing to hold the engine to. (On today's
  engine it passed only because the Hessian of a quadratic does not depend on
  the point whose imaginary part was dropped.)
- CustomJVPTest, CustomVJPTest, CustomTransposeTest, CustomVmapTest,
  CustomApiTest: JAX's custom_jvp/custom_vjp (joint rules, nondiff_argnums,
  symbolic zeros, vmap) have no one-to-one counterpart in autograd-style
  ``primitive``/``defvjp``/``defjvp``, which the autograd ports test.
- RematTest, JaxprTest, DCETest, BufferDonationTest, NamedCallTest and the
  other classes: remat, jaxprs and the compiler.

At this commit api_test.py has no test named for perturbation confusion; the
nearest are the three *_and_aux_nested tests (an inner derivative's aux used by
an outer one).
"""

# ruff: noqa: E731
import collections
from functools import partial

import numpy as np
from jax_adapter import (
    JaxTestCase,
    api,
    core,
    float0,
    grad,
    hessian,
    jacfwd,
    jacrev,
    jax,
    jnp,
    jtu,
)


class APITest(JaxTestCase):
    def test_grad_item(self):
        def f(x):
            if x.astype(bool).item():
                return x**2
            else:
                return x

        out = jax.grad(f)(2.0)
        self.assertEqual(out, 4)

    def test_grad_argnums(self):
        def f(x, y, z, flag=False):
            assert flag
            return 1.0 * x + 2.0 * y + 3.0 * z

        assert grad(f)(1.0, 1.0, 1.0, flag=True) == 1.0
        assert grad(f, argnums=1)(1.0, 1.0, 1.0, flag=True) == 2.0
        assert grad(f, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (3.0, 1.0)

    def test_value_and_grad_argnums(self):
        def f(x, y, z, flag=False):
            assert flag
            return 1.0 * x + 2.0 * y + 3.0 * z

        y = f(1.0, 1.0, 1.0, flag=True)
        assert api.value_and_grad(f)(1.0, 1.0, 1.0, flag=True) == (y, 1.0)
        assert api.value_and_grad(f, argnums=1)(1.0, 1.0, 1.0, flag=True) == (y, 2.0)
        assert api.value_and_grad(f, argnums=(2, 0))(1.0, 1.0, 1.0, flag=True) == (y, (3.0, 1.0))

    def test_grad_tuple_output(self):
        jtu.check_raises(
            lambda: grad(lambda x: (x, x))(1.0),
            TypeError,
            "Gradient only defined for scalar-output functions. ",
        )

    def test_grad_unit_output(self):
        jtu.check_raises(
            lambda: grad(lambda x: ())(np.zeros(3)),
            TypeError,
            "Gradient only defined for scalar-output functions. ",
        )

    def test_grad_nonscalar_output(self):
        jtu.check_raises(
            lambda: grad(lambda x: x)(np.zeros(3)),
            TypeError,
            "Gradient only defined for scalar-output functions. ",
        )

    def test_switch_value_jit(self):
        def f(x):
            y = x > 0
            if y:
                return x
            else:
                return -x

        assert grad(f)(1.0) == 1.0
        assert grad(f)(-1.0) == -1.0
        # (left out: jit(f)(1) raising ConcretizationTypeError)

    def test_jacobian(self):
        R = self.rng().randn
        A = R(4, 3)
        x = R(3)

        f = lambda x: jnp.dot(A, x)
        assert np.allclose(jacfwd(f)(x), A)
        assert np.allclose(jacrev(f)(x), A)

        f = lambda x: jnp.tanh(jnp.dot(A, x))
        assert np.allclose(jacfwd(f)(x), jacrev(f)(x))

    def test_hessian(self):
        R = self.rng().randn
        A = R(4, 4)
        x = R(4)

        f = lambda x: jnp.dot(x, jnp.dot(A, x))
        assert np.allclose(hessian(f)(x), A + A.T)

    def test_hessian_aux(self):
        R = self.rng().randn
        A = R(4, 4)
        x = R(4)

        f = lambda x: (jnp.dot(x, jnp.dot(A, x)), x)
        h, aux = hessian(f, has_aux=True)(x)
        assert np.allclose(h, A + A.T)
        assert np.allclose(aux, x)

    def test_jacobian_on_pytrees(self):
        for jacfun in [jacfwd, jacrev]:
            ans = jacfun(lambda x, y: (x, y))(0.0, 1.0)
            expected = (1.0, 0.0)
            self.assertAllClose(ans, expected, check_dtypes=False)

            ans = jacfun(lambda x, y: (x, y), 1)(0.0, 1.0)
            expected = (0.0, 1.0)
            self.assertAllClose(ans, expected, check_dtypes=False)

            ans = jacfun(lambda x, y: (x, y), (0, 1))(0.0, 1.0)
            expected = (
                (1.0, 0.0),
                (0.0, 1.0),
            )
            self.assertAllClose(ans, expected, check_dtypes=False)

            ans = jacfun(lambda x: x[:2])((1.0, 2.0, 3.0))
            expected = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))
            self.assertAllClose(ans, expected, check_dtypes=False)

            R = self.rng().randn
            x = jnp.array(R(2))
            y = jnp.array(R(3))
            ans = jacfun(lambda x, y: {"x": x, "xy": jnp.outer(x, y)})(x, y)
            expected = {"x": np.eye(2), "xy": np.kron(np.eye(2), y[:, None]).reshape(2, 3, 2)}
            self.assertAllClose(ans, expected, check_dtypes=False)

    def test_hessian_on_pytrees(self):
        ans = hessian(lambda x: jnp.array(x) ** 2)((1.0, 2.0))
        expected = (
            (np.array([2.0, 0.0]), np.array([0.0, 0.0])),
            (np.array([0.0, 0.0]), np.array([0.0, 2.0])),
        )
        self.assertAllClose(ans, expected, check_dtypes=False)

    def test_issue1372(self):
        def quad(x):
            return jnp.dot(x, x)

        def f(x, u):
            return quad(x) + quad(u)

        x, u = jnp.ones(5), jnp.ones(2)

        rev = jacrev
        fwd = jacfwd

        # Diagonal entries
        self.assertEqual(rev(rev(f, 0), 0)(x, u).shape, (5, 5))
        self.assertEqual(rev(fwd(f, 0), 0)(x, u).shape, (5, 5))
        self.assertEqual(fwd(rev(f, 0), 0)(x, u).shape, (5, 5))
        self.assertEqual(fwd(fwd(f, 0), 0)(x, u).shape, (5, 5))
        self.assertEqual(rev(rev(f, 1), 1)(x, u).shape, (2, 2))
        self.assertEqual(rev(fwd(f, 1), 1)(x, u).shape, (2, 2))
        self.assertEqual(fwd(rev(f, 1), 1)(x, u).shape, (2, 2))
        self.assertEqual(fwd(fwd(f, 1), 1)(x, u).shape, (2, 2))

        # Off-diagonal entries by reverse-mode on the outside
        self.assertEqual(rev(rev(f, 1), 0)(x, u).shape, (2, 5))
        self.assertEqual(rev(fwd(f, 1), 0)(x, u).shape, (2, 5))
        self.assertEqual(rev(rev(f, 0), 1)(x, u).shape, (5, 2))
        self.assertEqual(rev(fwd(f, 0), 1)(x, u).shape, (5, 2))

        # Off-diagonal entries by forward-mode on the outside
        self.assertEqual(fwd(rev(f, 1), 0)(x, u).shape, (2, 5))
        self.assertEqual(fwd(fwd(f, 1), 0)(x, u).shape, (2, 5))
        self.assertEqual(fwd(rev(f, 0), 1)(x, u).shape, (5, 2))
        self.assertEqual(fwd(fwd(f, 0), 1)(x, u).shape, (5, 2))

    def test_grad_and_aux_basic(self):
        g, aux = grad(lambda x: (x**3, [x**2]), has_aux=True)(3.0)
        self.assertAllClose(g, grad(lambda x: x**3)(3.0))
        self.assertAllClose(aux, [9.0], check_dtypes=False)

    def test_grad_and_aux_error(self):
        with self.assertRaisesRegex(TypeError, "two-element tuple"):
            grad(lambda x: (1, 2, 3), has_aux=True)(1.0)

        with self.assertRaisesRegex(TypeError, "two-element tuple"):
            grad(lambda x: x, has_aux=True)(1.0)

        with self.assertRaisesRegex(TypeError, "two-element tuple"):
            grad(lambda x: (x,), has_aux=True)(1.0)

    def test_grad_and_aux_nested(self):
        def f(x):
            g, aux = grad(lambda x: (x**3, [x**3]), has_aux=True)(x)
            return aux[0]

        f2 = lambda x: x**3

        self.assertEqual(grad(f)(4.0), grad(f2)(4.0))
        # (left out: the same assertions under jit)

        def f(x):
            g, aux = grad(lambda x: (x**3, [x**3]), has_aux=True)(x)
            return aux[0] * jnp.sin(x)

        f2 = lambda x: x**3 * jnp.sin(x)

        self.assertEqual(grad(f)(4.0), grad(f2)(4.0))
        # (left out: the same assertions under jit)

    def test_grad_and_aux_constant(self):
        g, aux = grad(lambda x: (x**3, [4.0]), has_aux=True)(4.0)
        self.assertEqual(g, grad(lambda x: x**3)(4.0))
        self.assertEqual(aux, [4.0])

        g, aux = grad(lambda x: (x**3, [x**2, 4.0]), has_aux=True)(4.0)
        self.assertEqual(g, grad(lambda x: x**3)(4.0))
        self.assertEqual(aux, [4.0**2, 4.0])

    def test_grad_and_aux_no_tracers(self):
        # see https://github.com/jax-ml/jax/issues/1950
        def f(x):
            aux = dict(identity=x, p1=x + 1)
            return x**2, aux

        _, aux = jax.grad(f, has_aux=True)(3.0)
        self.assertIsInstance(aux, dict)
        for val in aux.values():
            self.assertNotIsInstance(val, core.Tracer)

    def test_jacfwd_and_aux_basic(self):
        jac, aux = jacfwd(lambda x: (x**3, [x**2]), has_aux=True)(3.0)
        self.assertAllClose(jac, jacfwd(lambda x: x**3)(3.0))
        self.assertAllClose(aux, [9.0], check_dtypes=False)

    def test_jacrev_and_aux_basic(self):
        jac, aux = jacrev(lambda x: (x**3, [x**2]), has_aux=True)(3.0)
        self.assertAllClose(jac, jacrev(lambda x: x**3)(3.0))
        self.assertAllClose(aux, [9.0], check_dtypes=False)

    def test_jacfwd_and_aux_nested(self):
        def f(x):
            jac, aux = jacfwd(lambda x: (x**3, [x**3]), has_aux=True)(x)
            return aux[0]

        f2 = lambda x: x**3

        self.assertEqual(jacfwd(f)(4.0), jacfwd(f2)(4.0))
        # (left out: the same assertions under jit)

        def f(x):
            jac, aux = jacfwd(lambda x: (x**3, [x**3]), has_aux=True)(x)
            return aux[0] * jnp.sin(x)

        f2 = lambda x: x**3 * jnp.sin(x)

        self.assertEqual(jacfwd(f)(4.0), jacfwd(f2)(4.0))
        # (left out: the same assertions under jit)

    def test_jacrev_and_aux_nested(self):
        def f(x):
            jac, aux = jacrev(lambda x: (x**3, [x**3]), has_aux=True)(x)
            return aux[0]

        f2 = lambda x: x**3

        self.assertEqual(jacrev(f)(4.0), jacrev(f2)(4.0))
        # (left out: the same assertions under jit)

        def f(x):
            jac, aux = jacrev(lambda x: (x**3, [x**3]), has_aux=True)(x)
            return aux[0] * jnp.sin(x)

        f2 = lambda x: x**3 * jnp.sin(x)

        self.assertEqual(jacrev(f)(4.0), jacrev(f2)(4.0))
        # (left out: the same assertions under jit)

    def test_jvp_and_aux_basic(self):
        fun = lambda x: (x**3, [x**2])
        primals, tangents, aux = api.jvp(fun, (3.0,), (4.0,), has_aux=True)
        expected_primals, expected_tangents = api.jvp(lambda x: x**3, (3.0,), (4.0,))
        self.assertAllClose(primals, expected_primals, check_dtypes=True)
        self.assertAllClose(tangents, expected_tangents, check_dtypes=True)
        self.assertEqual(aux, [3.0**2])

    def test_holomorphic_grad(self):
        out = grad(lambda x: jnp.sin(x), holomorphic=True)(1 + 2j)
        expected = 2.0327230070196656 - 3.0518977991518j
        self.assertAllClose(out, expected, check_dtypes=False)

    def test_nonholomorphic_grad(self):
        zs = 0.5j * np.arange(5) + np.arange(5)

        def f(z):
            return jnp.sum(jnp.cos(jnp.abs(z)))

        ans = grad(f)(zs)
        expected = np.array(
            [
                0.0 + 0.0j,
                -0.80430663 + 0.40215331j,
                -0.70368982 + 0.35184491j,
                0.1886467 - 0.09432335j,
                0.86873727 - 0.43436864j,
            ]
        )
        self.assertAllClose(
            ans,
            expected,
            check_dtypes=False,
            atol=jtu.default_gradient_tolerance,
            rtol=jtu.default_gradient_tolerance,
        )

    def test_nonholomorphic_jacrev(self):
        # code based on https://github.com/jax-ml/jax/issues/603
        zs = 0.5j * np.arange(5) + np.arange(5)

        def f(z):
            return jnp.cos(jnp.linalg.norm(2 * z))

        ans = jacrev(f)(zs)
        expected = grad(f)(zs)
        self.assertAllClose(ans, expected)

    def test_heterogeneous_grad(self):
        # See https://github.com/jax-ml/jax/issues/7157
        x = np.array(1.0 + 1j)
        y = np.array(2.0)
        a = (x, y)

        def f(tup):
            jtu._check_dtypes_match(tup, a)
            x, y = tup
            return jnp.square(jnp.abs(x)) + y

        actual = grad(f)(a)
        desired = (np.array(2 - 2j), np.array(1.0))
        jtu._check_dtypes_match(actual, desired)
        jtu.check_eq(actual, desired)

    def test_namedtuple_transparency(self):
        # See https://github.com/jax-ml/jax/issues/446
        Point = collections.namedtuple("Point", ["x", "y"])

        def f(pt):
            return jnp.sqrt(pt.x**2 + pt.y**2)

        pt = Point(1.0, 2.0)

        f(pt)  # doesn't crash
        g = api.grad(f)(pt)
        self.assertIsInstance(g, Point)

        # (left out: f against jit(f))

    def test_namedtuple_subclass_transparency(self):
        # See https://github.com/jax-ml/jax/issues/806
        Point = collections.namedtuple("Point", ["x", "y"])

        class ZeroPoint(Point):
            def is_zero(self):
                return (self.x == 0) and (self.y == 0)

        pt = ZeroPoint(0.0, 0.0)

        def f(pt):
            return 0.0 if pt.is_zero() else jnp.sqrt(pt.x**2 + pt.y**2)

        f(pt)  # doesn't crash
        _ = api.grad(f)(pt)
        self.assertIsInstance(pt, ZeroPoint)

    def test_jvp_of_int_identity(self):
        primals = (1,)
        tangents = (np.zeros(shape=(), dtype=float0),)

        _, out = api.jvp(lambda x: x, primals, tangents)
        self.assertEqual(out, np.zeros(shape=(), dtype=float0))

    def test_jvp_of_int_add(self):
        primals = (2,)
        tangents = (np.zeros(shape=(), dtype=float0),)

        _, out_tangent = api.jvp(lambda x: x + 1, primals, tangents)
        self.assertEqual(out_tangent, np.zeros(shape=(), dtype=float0))

    def test_jvp_of_convert_element_type(self):
        fun = lambda x: x.astype(np.int32) + 1
        primal, tangent = jax.jvp(fun, (2.0,), (1.0,))
        self.assertAllClose(primal, np.int32(3))
        self.assertEqual(tangent, np.zeros((), dtype=float0))

    def test_vjp_of_int_index(self):
        primal, fn_vjp = api.vjp(lambda x, i: x[i], np.ones(2) * 2, 1)
        tangent_x, tangent_i = fn_vjp(1.0)
        self.assertEqual(primal, 2.0)
        self.assertAllClose(tangent_x, jnp.array([0.0, 1.0]))
        self.assertEqual(tangent_i, np.zeros(shape=(), dtype=float0))

    def test_grad_of_int(self):
        # Need real-valued output, but testing integer input.
        out = api.grad(lambda x: x + 0.0, allow_int=True)(1)
        self.assertEqual(out, np.zeros(shape=(), dtype=float0))

    def test_grad_of_int_index(self):
        grad_x, grad_i = api.grad(lambda x, i: x[i], argnums=(0, 1), allow_int=True)(np.ones(2), 1)
        self.assertAllClose(grad_x, jnp.array([0.0, 1.0]))
        self.assertEqual(grad_i, np.zeros(shape=(), dtype=float0))

    def test_float0_reshape(self):
        # dtype-agnostic operations are supported
        float0_array = jax.grad(lambda x: jnp.sum(x + 0.0), allow_int=True)(
            np.ones((2, 4), dtype=int)
        )

        self.assertArraysEqual(float0_array.reshape((4, 2)), np.zeros((4, 2), dtype=float0))
        self.assertArraysEqual(float0_array.transpose(), np.zeros((4, 2), dtype=float0))

    def test_grad_without_enough_args_error_message(self):
        # https://github.com/jax-ml/jax/issues/1696
        def f(x, y):
            return x + y

        df = api.grad(f, argnums=0)
        self.assertRaisesRegex(
            TypeError,
            "differentiating with respect to argnums=0 requires at least 1 "
            "positional arguments to be passed by the caller, but got only 0 "
            "positional arguments.",
            lambda: partial(df, x=0.0)(y=1.0),
        )

    def test_grad_negative_argnums(self):
        def f(x, y):
            return x.sum() * y.sum()

        x = jax.random.normal(jax.random.key(0), (16, 16))
        y = jax.random.normal(jax.random.key(1), (16, 16))
        g = jax.grad(f, argnums=-1)
        g(x, y)  # doesn't crash

    def test_vjp_multiple_arguments_error_message(self):
        # https://github.com/jax-ml/jax/issues/13099
        def foo(x):
            return (x, x)

        _, f_vjp = jax.vjp(foo, 1.0)
        with self.assertRaisesRegex(TypeError, "applied to foo"):
            f_vjp(1.0, 1.0)
