"""The adaptation layer of the autograd ports catches what it should (an adversary's test)."""

from __future__ import annotations

import pytest
from autograd_adapter import check_grads

from autodiff_lab import Value, rules


def _number(x) -> float:
    return rules._number_in(x)


# x² with a partial that is right as a number but frozen: its own derivative is
# 0, so every second derivative through it is wrong (2 is right).
FROZEN_SQUARE = rules.Primitive(
    "frozen_square", "frozen_square", 1, lambda a: a * a, lambda a, out: (2.0 * _number(a),), ""
)


def test_check_grads_passes_a_right_second_derivative():
    check_grads(lambda x: x * x)(1.3)


def test_check_grads_at_order_one_cannot_see_a_frozen_partial():
    check_grads(FROZEN_SQUARE, order=1)(1.3)


@pytest.mark.parametrize("modes", [["fwd"], ["rev"]])
def test_check_grads_at_order_two_catches_a_frozen_partial_in_each_mode(modes):
    with pytest.raises(AssertionError):
        check_grads(FROZEN_SQUARE, modes=modes)(1.3)


def test_check_grads_catches_a_wrong_first_derivative():
    wrong = rules.Primitive("wrong", "wrong", 1, lambda a: a * a, lambda a, out: (3.0 * a,), "")
    with pytest.raises(AssertionError):
        check_grads(wrong, order=1)(1.3)
    assert isinstance(wrong(Value(1.0)), Value)
