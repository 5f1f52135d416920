"""Random array programs: gradient, forward Jacobian and Hessian (every mode) against
torch.func.

Each program is a hypothesis-chosen chain of shape-preserving steps over a
3×3 array, drawn from every structural primitive and a few elementwise ones,
summed at the end. The steps are written twice, once per library.
"""

from __future__ import annotations

import numpy as onp
import pytest
from hypothesis import given
from hypothesis import strategies as st
from installs import need

import autodiff_lab.numpy as np
from autodiff_lab import grad, hessian, jacobian

torch = need("torch")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

C = onp.random.RandomState(1).randn(3, 3) / 2
MASK = onp.array([[True, False, True], [False, True, True], [True, True, False]])

# name: (ours, torch's), each a function of one 3×3 array
STEPS = {
    "tanh": (np.tanh, torch.tanh),
    "sin": (np.sin, torch.sin),
    "square": (lambda x: 0.5 * x * x, lambda x: 0.5 * x * x),
    "matmul": (lambda x: x @ C, lambda x: x @ torch.tensor(C)),
    "transpose": (lambda x: x.T, lambda x: x.T),
    "softmax": (lambda x: np.softmax(x, axis=0), lambda x: torch.softmax(x, dim=0)),
    "log_softmax": (np.log_softmax, lambda x: torch.log_softmax(x, dim=-1)),
    "logsumexp": (
        lambda x: x - np.logsumexp(x, axis=1, keepdims=True),
        lambda x: x - torch.logsumexp(x, dim=1, keepdim=True),
    ),
    "mean": (
        lambda x: x * np.mean(x, axis=0, keepdims=True),
        lambda x: x * x.mean(0, keepdim=True),
    ),
    "max": (lambda x: x + np.max(x, axis=1, keepdims=True), lambda x: x + x.amax(1, keepdim=True)),
    "reverse": (lambda x: x[::-1], lambda x: torch.flip(x, dims=(0,))),
    "broadcast": (lambda x: x * x[:1], lambda x: x * x[:1]),
    "where": (
        lambda x: np.where(MASK, x, x * x),
        lambda x: torch.where(torch.tensor(MASK), x, x * x),
    ),
    "concatenate": (
        lambda x: np.concatenate([x[:, 2:], x[:, :2]], axis=1),
        lambda x: torch.cat([x[:, 2:], x[:, :2]], dim=1),
    ),
    "stack": (
        lambda x: np.sum(np.stack([x, 2.0 * x]), axis=0),
        lambda x: torch.stack([x, 2.0 * x]).sum(0),
    ),
    "reshape": (
        lambda x: np.reshape(np.reshape(x, (9,)) * onp.arange(9.0), (3, 3)),
        lambda x: (x.reshape(9) * torch.arange(9.0, dtype=torch.float64)).reshape(3, 3),
    ),
}


@given(
    names=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=5),
    seed=st.integers(0, 2**31 - 1),
)
def test_random_programs_match_torch_to_second_order(names, seed):
    x = onp.random.RandomState(seed).randn(3, 3)

    def ours(v):
        for name in names:
            v = STEPS[name][0](v)
        return np.sum(v)

    def theirs(v):
        for name in names:
            v = STEPS[name][1](v)
        return v.sum()

    t = torch.tensor(x)
    onp.testing.assert_allclose(
        grad(ours)(x), torch.func.grad(theirs)(t).numpy(), rtol=1e-9, atol=1e-11
    )

    def ours_unsummed(v):
        for name in names:
            v = STEPS[name][0](v)
        return v

    def theirs_unsummed(v):
        for name in names:
            v = STEPS[name][1](v)
        return v

    onp.testing.assert_allclose(
        jacobian(ours_unsummed, x, mode="forward"),
        torch.func.jacfwd(theirs_unsummed)(t).numpy(),
        rtol=1e-9,
        atol=1e-11,
    )
    expected = torch.func.hessian(theirs)(t).numpy()
    for mode in ("reverse-over-reverse", "forward-over-reverse", "forward-over-forward"):
        onp.testing.assert_allclose(hessian(ours, x, mode=mode), expected, rtol=1e-8, atol=1e-10)
