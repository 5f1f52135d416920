"""The plots draw what the engine computes: tangents, the finite-difference V, Jacobians."""

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402

from autodiff_lab import Value, jacobian  # noqa: E402
from autodiff_lab import math as admath  # noqa: E402
from autodiff_lab.display import plots  # noqa: E402


def sin_of_square(x):
    return admath.sin(x**2)


def softmax(x):
    exps = np.exp(x - np.max([item.data if isinstance(item, Value) else item for item in x]))
    return exps / np.sum(exps)


def softmax_jacobian(x):
    s = np.exp(x - np.max(x))
    s = s / s.sum()
    return np.diag(s) - np.outer(s, s)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# -- tangent -------------------------------------------------------------------


def test_tangent_line_has_the_forward_mode_slope():
    ax = plots.plot_tangent(sin_of_square, 1.5, xlim=(0.5, 2.5))
    curve, tangent, point = ax.get_lines()
    slope = 3 * math.cos(2.25)
    xs, ys = tangent.get_data()
    np.testing.assert_allclose(ys, math.sin(2.25) + slope * (xs - 1.5), rtol=1e-12)
    np.testing.assert_allclose(curve.get_ydata(), np.sin(curve.get_xdata() ** 2), rtol=1e-12)
    assert point.get_xdata()[0] == 1.5
    assert point.get_ydata()[0] == pytest.approx(math.sin(2.25))
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert any("-1.885" in text for text in legend)


def test_tangent_draws_into_the_axes_given():
    _, ax = plt.subplots()
    assert plots.plot_tangent(lambda x: x * x, 2.0, ax=ax) is ax
    _, tangent, _ = ax.get_lines()
    xs, ys = tangent.get_data()
    np.testing.assert_allclose(ys, 4.0 + 4.0 * (xs - 2.0))


# -- finite-difference error -----------------------------------------------------


def test_fd_errors_make_a_v_with_minima_where_theory_puts_them():
    data = plots.fd_errors(sin_of_square, 1.5)
    # Central: truncation ∝ h², round-off ∝ ε/h, so the best h is near ∛ε ≈ 6e-6.
    assert 1e-6 <= data.best_h("central") <= 1e-4
    # Forward: truncation ∝ h, so the best h is near √ε ≈ 1.5e-8.
    assert 1e-9 <= data.best_h("forward") <= 1e-7
    for method in ("forward", "central"):
        smallest = data.min_error(method)
        assert data.error_at(method, 1e-1) > 100 * smallest  # truncation side of the V
        assert data.error_at(method, 1e-14) > 100 * smallest  # round-off side of the V
    assert data.min_error("central") < data.min_error("forward")


def test_fd_errors_follow_the_truncation_formulas_for_large_steps():
    x = 1.5
    second = 2 * math.cos(x**2) - 4 * x**2 * math.sin(x**2)
    third = -12 * x * math.sin(x**2) - 8 * x**3 * math.cos(x**2)
    h = 1e-3
    data = plots.fd_errors(sin_of_square, x, hs=[h])
    assert data.forward[0] == pytest.approx(abs(second) * h / 2, rel=0.01)
    assert data.central[0] == pytest.approx(abs(third) * h**2 / 6, rel=0.01)


def test_fd_errors_reference_is_autodiff_unless_given():
    exact = 3 * math.cos(2.25)
    by_default = plots.fd_errors(sin_of_square, 1.5, hs=[1e-4])
    assert by_default.exact == pytest.approx(exact, abs=1e-15)
    assert by_default.autodiff_error == 0.0
    given = plots.fd_errors(sin_of_square, 1.5, hs=[1e-4], exact=exact)
    assert given.autodiff_error <= 1e-15
    with pytest.raises(ValueError, match="forward"):
        given.best_h("sideways")


def test_fd_error_plot_shows_two_curves_their_best_steps_and_autodiff():
    ax = plots.plot_fd_error(sin_of_square, 1.5)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    forward, forward_best, central, central_best, autodiff = ax.get_lines()
    data = plots.fd_errors(sin_of_square, 1.5)
    np.testing.assert_array_equal(forward.get_xdata(), data.hs)
    assert forward_best.get_xdata()[0] == data.best_h("forward")
    assert central_best.get_xdata()[0] == data.best_h("central")
    assert autodiff.get_ydata()[0] < 1e-15  # at machine-epsilon level, far below both curves
    assert "exact to rounding" in autodiff.get_label()


# -- training and decision boundary ------------------------------------------------


def test_training_curve_plots_every_loss_including_values():
    losses = [Value(1.0), 0.5, Value(0.25)]
    ax = plots.plot_training(losses, log=True)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(line.get_xdata(), [0, 1, 2])
    assert ax.get_yscale() == "log"
    assert "0.25" in ax.get_title()


XOR_POINTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_LABELS = [-1.0, 1.0, 1.0, -1.0]


def xor_by_hand(point):
    """Positive on the band 0.5 < x1 + x2 < 1.5, where exactly one input is on."""
    total = point[0] + point[1]
    return admath.tanh(4 * (total - 0.5)) - admath.tanh(4 * (total - 1.5)) - 1


def test_decision_boundary_separates_xor():
    ax = plots.plot_decision_boundary(xor_by_hand, XOR_POINTS, XOR_LABELS, resolution=41)
    filled, boundary = [c for c in ax.collections if isinstance(c, ContourSet)]
    assert filled.filled and not boundary.filled
    assert list(boundary.levels) == [0.0]  # threshold halfway between labels -1 and 1
    # The boundary is where the model gives 0: two lines, one either side of x1 + x2 = 1.
    vertices = np.concatenate([path.vertices for path in boundary.get_paths()])
    assert max(abs(float(xor_by_hand(v))) for v in vertices) < 0.05
    sums = vertices.sum(axis=1)
    assert (sums < 1).any() and (sums > 1).any()
    scatters = [c for c in ax.collections if not isinstance(c, ContourSet)]
    assert len(scatters) == 2  # one per class
    shown = sorted(tuple(map(tuple, s.get_offsets())) for s in scatters)
    assert shown == [((0.0, 0.0), (1.0, 1.0)), ((0.0, 1.0), (1.0, 0.0))]


def test_decision_scores_have_the_sign_of_each_label():
    grid_x, grid_y, scores = plots.decision_scores(xor_by_hand, XOR_POINTS, resolution=41)
    for (a, b), label in zip(XOR_POINTS, XOR_LABELS):
        nearest = np.unravel_index(np.argmin((grid_x - a) ** 2 + (grid_y - b) ** 2), scores.shape)
        assert np.sign(scores[nearest]) == label
        assert scores[nearest] == pytest.approx(float(xor_by_hand([a, b])), abs=1e-12)


def test_decision_boundary_records_no_graph_and_takes_0_1_labels():
    weight = Value(2.0)
    outputs = []

    def model(point):
        out = (weight * point[0] - point[1]).sigmoid()
        outputs.append(out)
        return out

    ax = plots.plot_decision_boundary(model, [[0, 1], [1, 0]], [0, 1], resolution=5)
    assert len(outputs) == 25
    assert all(out.is_leaf for out in outputs)  # evaluated under no_grad()
    assert "0.5" in ax.get_title()


def test_decision_boundary_rejects_points_that_are_not_2d():
    with pytest.raises(ValueError, match="shape"):
        plots.plot_decision_boundary(xor_by_hand, [1.0, 2.0], [1.0, -1.0])


# -- Jacobians ---------------------------------------------------------------------


def test_jacobian_heat_map_shows_and_labels_every_entry():
    J = np.array([[1.0, -2.0, 0.5], [0.0, 3.25, -0.004]])
    ax = plots.plot_jacobian(J, title="J")
    (image,) = ax.get_images()
    np.testing.assert_array_equal(image.get_array(), J)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1.00", "-2.00", "0.50", "0.00", "3.25", "0.00"]  # rounded, no "-0.00"
    assert ax.get_title() == "J"


def test_jacobian_heat_map_leaves_unknown_entries_blank():
    J = np.array([[1.0, np.nan], [2.0, np.nan]])
    ax = plots.plot_jacobian(J)
    assert len(ax.texts) == 2
    assert ax.get_images()[0].get_array().mask.tolist() == [[False, True], [False, True]]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_softmax_jacobian_build_ends_with_the_jacobian(mode):
    x = [1.0, 2.0, 0.5, -1.0]
    fig = plots.plot_jacobian_build(softmax, x, mode=mode)
    panels = fig.axes
    assert len(panels) == 4
    last = panels[-1].get_images()[0].get_array()
    reference = jacobian(softmax, np.array(x, dtype=object), mode=mode)
    np.testing.assert_allclose(last, reference, atol=1e-15)
    np.testing.assert_allclose(last, softmax_jacobian(np.array(x)), atol=1e-15)
    for k, ax in enumerate(panels):
        known = ~np.ma.getmaskarray(ax.get_images()[0].get_array())
        filled = known.all(axis=0) if mode == "forward" else known.all(axis=1)
        # After pass k the first k + 1 columns (forward) or rows (reverse) are known.
        assert filled.tolist() == [j <= k for j in range(4)]
        assert known.sum() == 4 * (k + 1)


def test_jacobian_build_counts_one_pass_per_input_or_per_output():
    def two_outputs(x):
        return np.array([x[0] * x[1], x[1] + x[2]])

    x = [1.0, 2.0, 3.0]
    forward = plots.jacobian_build_steps(two_outputs, x, "forward")
    reverse = plots.jacobian_build_steps(two_outputs, x, "reverse")
    assert len(forward) == 3 and len(reverse) == 2
    expected = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(forward[-1], expected)
    np.testing.assert_array_equal(reverse[-1], expected)
    assert len(plots.plot_jacobian_build(two_outputs, x, "reverse").axes) == 2
    with pytest.raises(ValueError, match="mode"):
        plots.jacobian_build_steps(two_outputs, x, "sideways")
