"""Facts the lessons state, pinned against formulas so a wrong claim cannot return.

Lesson 02: the engine adds the paths where x enters twice, not only multiplies.
Lesson 03: constants are leaves without a gradient.
Lesson 05: tanh's local partial needs only its output.
Lesson 06: the costs of the two orders of a Jacobian chain and of the cheapest
bracketing, against a brute-force search over every bracketing; the lesson's own
dynamic program and cost formulas, on random chains.
Lesson 08: a dead ReLU unit of the first layer stays dead; one of a later layer
can come back.
Lesson 09: PyTorch has no guard against changing ``.data`` (only against real
in-place operations), and refuses a second backward() without retain_graph.
Lesson 10: softmax's Jacobian has rows summing to 0 (shift invariance) and
columns summing to 0 (outputs sum to 1), and functions with only one of the two
properties have only one of the sums; cross-entropy's gradient at saturation is
s - e_k, not small, while squared error on the probabilities is small there.
Lesson 14: forward over reverse at x = 3 tells f′ = 27 from f″ = 18; Newton's
method on Rosenbrock goes uphill at steps 2 and 4; the unit v that makes ‖Hv‖
largest is the eigenvector of the eigenvalue largest in absolute value.
Lesson 15: central differences reach about 1e-10 on a smooth function.
Lesson 16: broadcasting and sum are each other's transpose; the network has
2,410 weights.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from pathlib import Path

import numpy as np
import pytest
from counting import counted
from hypothesis import given
from hypothesis import strategies as st
from installs import need

from autodiff_lab import Dual, Value, hessian, hvp, jacobian, value_and_grad
from autodiff_lab import math as admath
from autodiff_lab.display.paths import paths
from autodiff_lab.numeric import numerical_derivative

LESSONS = Path(__file__).resolve().parents[1] / "notebooks" / "src"


def softmax(x):
    exps = [admath.exp(xi) for xi in x]
    total = sum(exps)
    return [e / total for e in exps]


def share(x):
    total = sum(x)
    return [xi / total for xi in x]


def squared_deviation(x):
    mean = sum(x) / len(x)
    return [(xi - mean) ** 2 for xi in x]


def cross_entropy(scores, k):
    return -admath.log(softmax(scores)[k])


def squared_error(scores, k):
    return sum((p - float(i == k)) ** 2 for i, p in enumerate(softmax(scores))) / 2


scores = st.lists(st.floats(-5.0, 5.0), min_size=2, max_size=6).map(np.array)


@given(scores, st.sampled_from(["forward", "reverse"]))
def test_softmax_jacobian_rows_and_columns_sum_to_zero(x, mode):
    J = np.array(jacobian(softmax, x, mode=mode))  # softmax returns a list: a list of rows
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), atol=1e-12)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-12)  # s(x + t·1) = s(x)
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-12)  # Σ s_i = 1


def test_only_the_columns_sum_to_zero_when_outputs_sum_to_one_but_shifts_matter():
    J = np.array(jacobian(share, np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=1), [1 / 12, 0.0, -1 / 12], atol=1e-15)


def test_only_the_rows_sum_to_zero_when_shifts_do_not_matter_but_the_sum_is_free():
    x = np.array([1.0, 2.0, 3.0])
    J = np.array(jacobian(squared_deviation, x))
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-15)
    np.testing.assert_allclose(J.sum(axis=0), 2 * (x - x.mean()), atol=1e-15)


@pytest.mark.parametrize("big", [8.0, 12.0, 20.0])
def test_cross_entropy_gradient_at_saturation_is_s_minus_e_k_and_not_small(big):
    x = np.array([0.0, 0.0, big])  # confidently class 2; the right class is 0
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    gradient = jacobian(lambda z: cross_entropy(z, 0), x, mode="reverse")
    np.testing.assert_allclose(gradient, s - np.eye(3)[0], atol=1e-12)
    assert np.linalg.norm(gradient) > 1.41


@pytest.mark.parametrize("big", [8.0, 12.0, 20.0])
def test_squared_error_on_probabilities_is_what_stalls_at_saturation(big):
    x = np.array([0.0, 0.0, big])
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    J = np.diag(s) - np.outer(s, s)
    gradient = jacobian(lambda z: squared_error(z, 0), x, mode="reverse")
    np.testing.assert_allclose(gradient, J.T @ (s - np.eye(3)[0]), atol=1e-15)
    assert np.linalg.norm(gradient) < 5 * np.exp(-big)  # shrinks like e^-big


def test_newton_on_rosenbrock_goes_uphill_at_steps_2_and_4_and_still_arrives():
    def rosenbrock(p):
        return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2

    step = value_and_grad(rosenbrock)
    points = [np.array([-1.2, 1.0])]
    for _ in range(5):
        _, g = step(points[-1])
        points.append(points[-1] - np.linalg.solve(hessian(rosenbrock, points[-1]), g))
    values = [rosenbrock(p) for p in points]
    uphill = [k for k in range(1, 6) if values[k] > values[k - 1]]
    assert uphill == [2, 4]
    np.testing.assert_allclose(points[-1], [1.0, 1.0], atol=1e-4)


# -- lesson 06: the matrix-chain problem ---------------------------------------------


def every_bracketing_cost(p: tuple[int, ...]) -> dict[str, int]:
    """Brute force: the multiply-adds of every way to bracket the chain p[0]×p[1], p[1]×p[2], …"""

    @functools.cache
    def costs(i: int, j: int) -> dict[str, int]:  # matrices i..j
        if i == j:
            return {f"M{i}": 0}
        found = {}
        for k in range(i, j):
            for left, a in costs(i, k).items():
                for right, b in costs(k + 1, j).items():
                    found[f"({left} {right})"] = a + b + p[i] * p[k + 1] * p[j + 1]
        return found

    return costs(0, len(p) - 2)


def right_to_left_bracketing(count: int) -> str:
    text = f"M{count - 1}"
    for i in range(count - 2, -1, -1):
        text = f"(M{i} {text})"
    return text


def left_to_right_bracketing(count: int) -> str:
    text = "M0"
    for i in range(1, count):
        text = f"({text} M{i})"
    return text


def lesson_functions(lesson: str, names: tuple[str, ...]) -> dict:
    """The lesson's own definitions of ``names``, taken from its source and run."""
    tree = ast.parse((LESSONS / lesson).read_text(encoding="utf-8"))
    wanted = [node for node in tree.body if getattr(node, "name", None) in names]
    namespace: dict = {}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), lesson, "exec"), namespace)
    return {name: namespace[name] for name in names}


CHAIN = lesson_functions(
    "06_jacobian_chains.py", ("right_to_left", "left_to_right", "cheapest_order")
)


@pytest.mark.parametrize(
    "p, forward, reverse, best",
    [
        ((10, 100, 1, 10), 11_000, 1_100, 1_100),  # inner widths unequal: reverse wins
        ((10, 1, 100, 10), 1_100, 11_000, 1_100),  # swapped: forward wins, same ends
        ((10, 100, 1, 100, 10), 12_000, 12_000, 2_100),  # a mixed order beats both
        ((2, 4, 4, 3), 72, 56, 56),  # the lesson's three layers
    ],
)
def test_chain_costs_the_lesson_states_match_a_brute_force_search(p, forward, reverse, best):
    costs = every_bracketing_cost(p)
    count = len(p) - 1
    assert costs[right_to_left_bracketing(count)] == forward == CHAIN["right_to_left"](list(p))
    assert costs[left_to_right_bracketing(count)] == reverse == CHAIN["left_to_right"](list(p))
    assert min(costs.values()) == best == CHAIN["cheapest_order"](list(p))[0]


def test_the_ends_alone_do_not_decide():
    """Equal ends (10 inputs, 10 outputs), and still ten times apart either way."""
    one, other = every_bracketing_cost((10, 100, 1, 10)), every_bracketing_cost((10, 1, 100, 10))
    assert one[right_to_left_bracketing(3)] == 10 * one[left_to_right_bracketing(3)]
    assert other[left_to_right_bracketing(3)] == 10 * other[right_to_left_bracketing(3)]


def test_with_one_inner_width_the_middle_matrix_is_the_whole_difference():
    for m, k, n in [(1, 50, 1000), (1000, 50, 1), (3, 7, 5)]:
        difference = CHAIN["right_to_left"]([m, k, k, n]) - CHAIN["left_to_right"]([m, k, k, n])
        assert difference == k * k * n - k * k * m


@given(st.lists(st.integers(1, 30), min_size=2, max_size=7))
def test_the_lessons_dynamic_program_finds_the_cheapest_bracketing(p):
    costs = every_bracketing_cost(tuple(p))
    best, order = CHAIN["cheapest_order"](p)
    assert best == min(costs.values())
    # Its bracketing names matrices from the output end (J_L first): rename and price it.
    count = len(p) - 1
    renamed = re.sub(r"J(\d+)", lambda m: f"M{count - int(m.group(1))}", order)
    assert costs[renamed] == best


# -- the PyTorch behaviours lesson 09 describes ----------------------------------------


@pytest.fixture
def torch():
    return need("torch")


def test_pytorch_has_no_guard_against_changing_data(torch):
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = x * x
    x.data.fill_(3.0)
    y.backward()  # no error: the slope at the new x, for a y computed at the old one
    assert y.item() == 4.0 and x.grad.item() == 6.0


def test_pytorch_guards_only_real_in_place_operations(torch):
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    a = x * 1.0
    y = a * a
    a.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_pytorch_refuses_a_second_backward_without_retain_graph(torch):
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = (3 * x) ** 2
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    y = (3 * x) ** 2
    y.backward(retain_graph=True)
    first = x.grad.item()
    y.backward()
    assert (first, x.grad.item()) == (36.0, 72.0)


def test_our_engine_refuses_the_stale_graph_that_pytorch_accepts():
    x = Value(2.0)
    y = x * x
    x.data = 3.0
    with pytest.raises(RuntimeError):
        y.backward()


# -- lesson 14 -------------------------------------------------------------------------


def test_forward_over_reverse_at_3_tells_the_two_derivatives_apart():
    x = Value(Dual(3.0, 1.0))
    (x**3).backward()
    assert (x.grad.primal, x.grad.tangent) == (27.0, 18.0)


def lesson_14_function(p):
    x, y = p[0], p[1]
    return x**2 * y + y**3 - 2 * x * y


def largest_hv_direction(H: np.ndarray) -> tuple[float, np.ndarray]:
    """Brute force over unit vectors in the plane: the largest ‖Hv‖ and where."""
    angles = np.linspace(0.0, np.pi, 20_001)
    directions = np.stack([np.cos(angles), np.sin(angles)])
    sizes = np.linalg.norm(H @ directions, axis=0)
    return float(sizes.max()), directions[:, sizes.argmax()]


def test_the_largest_hv_is_along_the_eigenvector_of_largest_absolute_eigenvalue():
    at = np.array([1.0, -2.0])
    H = hessian(lesson_14_function, at)
    eigenvalues, eigenvectors = np.linalg.eigh(H)
    np.testing.assert_allclose(eigenvalues, [-12.0, -4.0], atol=1e-12)
    size, where = largest_hv_direction(H)
    biggest = np.argmax(np.abs(eigenvalues))
    assert size == pytest.approx(abs(eigenvalues[biggest]), rel=1e-6)
    assert abs(where @ eigenvectors[:, biggest]) == pytest.approx(1.0, abs=1e-6)
    # "the top eigenvector" (of the largest eigenvalue, -4) is the wrong answer here
    top = eigenvectors[:, np.argmax(eigenvalues)]
    assert np.linalg.norm(hvp(lesson_14_function, at, top)) == pytest.approx(4.0)
    # without unit length there is no largest: doubling v doubles Hv
    assert np.linalg.norm(hvp(lesson_14_function, at, 2 * top)) == pytest.approx(8.0)


# -- lessons 02, 03, 04, 05, 08, 15 and 16 -----------------------------------------------


def test_lesson_02_the_engine_adds_the_two_paths_where_x_enters_twice():
    x = Value(0.5, label="x")
    f = admath.sin((2 * x**2 + x + 1) ** 2) ** 3
    f.backward()
    routes = paths(f, x)
    assert len(routes) == 2  # through 2x² and through + x
    assert routes.total == pytest.approx(x.grad, rel=1e-12)
    assert all(path_product != x.grad for path_product in (r.product for r in routes))


def test_lesson_03_constants_are_leaves_without_a_gradient():
    x = Value(2.0)
    g = 3 * x**2 + 1
    g.backward()
    from autodiff_lab.reverse import topological_order

    constants = [node for node in topological_order([g]) if node.is_constant]
    assert sorted(c.data for c in constants) == [1.0, 2.0, 3.0]
    assert all(c.is_leaf for c in constants) and x.grad == 12.0


def test_lesson_04_jacobian_calls_f_once_with_one_tangent_per_input():
    seen = []

    def F(x):
        seen.append([x[0].tangent.tolist(), x[1].tangent.tolist()])
        return [x[0] * x[1], x[0] + x[1] ** 2, admath.sin(x[0])]

    J = jacobian(F, [2.0, 3.0], mode="forward")
    assert seen == [[[1.0, 0.0], [0.0, 1.0]]]  # one call; each dual: a tangent per direction
    assert np.allclose(J, [[3.0, 2.0], [1.0, 6.0], [math.cos(2.0), 0.0]])


def test_lesson_05_tanh_needs_only_its_output():
    for number in (-2.0, 0.3, 1.7):
        y = Value(number).tanh()
        assert y.local_partials[0] == pytest.approx(1 - y.data**2, rel=1e-12)


def relu_training(steps: int = 60) -> tuple[list[float], list[float]]:
    """A first-layer unit that starts dead, and a second-layer unit that starts dead
    but reads a unit the loss keeps pushing up; their pre-activations over training."""
    inputs = [1.0, 2.0]
    w_alive, w_dead, b_dead = Value(1.0), Value(-1.0), Value(0.0)  # first layer
    w_late, b_late = Value(1.0), Value(-3.0)  # second layer, reads the live unit
    parameters = [w_alive, w_dead, b_dead, w_late, b_late]
    first, later = [], []
    for _ in range(steps):
        loss = Value(0.0)
        for x in inputs:
            alive = (w_alive * x).relu()
            dead = (w_dead * x + b_dead).relu()
            late = (w_late * alive + b_late).relu()
            loss = loss + (alive - 10.0) ** 2 + (late - 20.0) ** 2 + (dead - 1.0) ** 2
        for p in parameters:
            p.grad = 0.0
        loss.backward()
        first.append(max(w_dead.data * x + b_dead.data for x in inputs))
        later.append(max(w_late.data * max(w_alive.data * x, 0) + b_late.data for x in inputs))
        for p in parameters:
            p.data -= 0.002 * p.grad
    return first, later


def test_lesson_08_only_a_first_layer_dead_unit_never_recovers():
    first, later = relu_training()
    assert later[0] < 0 and first[0] < 0  # both dead for every input at the start
    assert all(value == first[0] for value in first)  # no gradient, inputs fixed: dead for ever
    assert later[-1] > 0  # the layer before it learned, and the unit came back


def smooth(x):
    return math.sin(x**2)


def test_lesson_15_central_differences_reach_about_1e_10_and_no_further():
    exact = 2 * 1.5 * math.cos(1.5**2)
    errors = [
        abs(numerical_derivative(smooth, 1.5, h=h, method="central") - exact)
        for h in np.logspace(-12, -1, 56)
    ]
    best = min(errors) / abs(exact)
    assert 1e-13 < best < 1e-9  # about 11 digits: far below 1e-8, never near 1e-16


@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_lesson_16_broadcasting_and_sum_are_each_others_transpose(rows, columns, seed):
    rng = np.random.default_rng(seed)
    b, g = rng.normal(size=columns), rng.normal(size=(rows, columns))
    broadcast = np.broadcast_to(b, (rows, columns))
    assert np.sum(g * broadcast) == pytest.approx(np.sum(g.sum(axis=0) * b), rel=1e-12, abs=1e-12)


def test_lesson_16_the_network_has_2410_weights():
    assert 64 * 32 + 32 + 32 * 10 + 10 == 2_410


def test_lesson_14_every_hessian_mode_calls_f_once_on_numbers_and_on_arrays():
    from autodiff_lab import hessian

    calls = {}
    for kind, point in (("numbers", [0.5, 0.8, 1.1, 1.5]), ("arrays", np.linspace(0.5, 1.5, 4))):
        for mode in ("forward-over-reverse", "reverse-over-reverse", "forward-over-forward"):
            f = counted(lambda v: (v[0] * v[1] + v[2] * v[3]) ** 3)
            hessian(f, point, mode=mode)
            calls[kind, mode] = f.calls
    # one call per pass: the forward passes carry every direction at once (was 4 and 16
    # on arrays, one direction at a time)
    assert calls == dict.fromkeys(calls, 1) and len(calls) == 6
