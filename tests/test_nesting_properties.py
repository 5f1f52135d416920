"""Property tests: random small programs, every pair of nested operators.

Each program is a few steps over two inputs, every step a primitive of
earlier results. Its second derivatives by every pairing of autodiff_lab's
operators must agree with the analytic answer (the symbolic derivative of the
symbolic derivative) and with PyTorch's ``torch.func`` compositions.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from installs import need
from test_nesting import OPERATORS

from autodiff_lab import hessian, symbolic
from autodiff_lab import math as am

torch = need("torch")
pytestmark = [
    pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated"),
    pytest.mark.filterwarnings("ignore:.*output seems independent:UserWarning"),
]

UNARY = ("sin", "cos", "tanh", "sigmoid", "arctan")
BINARY = ("add", "sub", "mul")

step = st.one_of(
    st.tuples(st.sampled_from(UNARY), st.integers(0, 99)),
    st.tuples(st.sampled_from(BINARY), st.integers(0, 99), st.integers(0, 99)),
)
programs = st.lists(step, min_size=1, max_size=6)
points = st.floats(-1.5, 1.5, allow_nan=False)


def run(program, x, functions=am):
    """The program on x[0], x[1]: numbers, Values, Duals or symbols (functions from
    autodiff_lab.math), or tensors (``functions=torch``)."""
    results = [x[0], x[1]]
    for name, *operands in program:
        args = [results[i % len(results)] for i in operands]
        if name == "add":
            results.append(args[0] + args[1])
        elif name == "sub":
            results.append(args[0] - args[1])
        elif name == "mul":
            results.append(args[0] * args[1])
        else:
            results.append(getattr(functions, name)(args[0]))
    return results[-1] + 0.5 * x[0] * x[1]  # every output depends on both inputs


def torch_tensor(values):
    return torch.tensor(values, dtype=torch.float64)


@given(program=programs, a=points, b=points)
def test_every_hessian_mode_matches_torch_jacfwd_of_jacrev(program, a, b):
    theirs = torch.func.jacfwd(torch.func.jacrev(lambda v: run(program, v, torch)))(
        torch_tensor([a, b])
    )
    for mode in ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward"):
        ours = hessian(lambda v: run(program, v), [a, b], mode=mode)
        assert ours == pytest.approx(theirs.numpy(), rel=1e-10, abs=1e-12)


@given(program=programs, a=points, b=points, pair=st.sampled_from(sorted(OPERATORS)))
def test_every_pairing_matches_torch_grad_of_grad_and_the_symbolic_answer(program, a, b, pair):
    def f(t):
        return run(program, [t, b])

    theirs = torch.func.grad(torch.func.grad(lambda t: run(program, [t, torch_tensor(b)], torch)))(
        torch_tensor(a)
    )
    x = symbolic.symbols("x")
    analytic = symbolic.evaluate(symbolic.diff(symbolic.diff(f(x), x), x), x=a)
    for inner in sorted(OPERATORS):
        outer_operator, inner_operator = OPERATORS[pair], OPERATORS[inner]
        ours = outer_operator(lambda t: inner_operator(f, t), a)  # noqa: B023
        assert ours == pytest.approx(theirs.item(), rel=1e-10, abs=1e-12)
        assert ours == pytest.approx(analytic, rel=1e-10, abs=1e-12)


@given(program=programs, a=points, b=points)
def test_mixed_partial_by_nesting_matches_torch(program, a, b):
    # ∂/∂b ∂/∂a: the inner derivative in a, taken at a Value or Dual of b
    theirs = torch.func.grad(
        lambda s: torch.func.grad(lambda t: run(program, [t, s], torch))(torch_tensor(a))
    )(torch_tensor(b))
    for outer in OPERATORS.values():
        for inner in OPERATORS.values():
            ours = outer(lambda s: inner(lambda t: run(program, [t, s]), a), b)  # noqa: B023
            assert np.isclose(ours, theirs.item(), rtol=1e-10, atol=1e-12)
