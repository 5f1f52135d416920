"""Pictures of derivatives: tangent lines, finite-difference error, training, Jacobians.

Every function draws into the matplotlib Axes you pass (or a new figure),
returns what it drew into and never calls ``plt.show()``: a notebook cell
ends with ``plt.show()`` itself. The numbers behind the pictures come from the
engine (`jvp`, `vjp`, `derivative`, `numerical_derivative`) and are available
on their own (`fd_errors`, `jacobian_build_steps`) so they can be checked.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..functional import basis_vector, derivative, jvp, jvp_values, vjp_values
from ..numeric import numerical_derivative
from ..reverse import Value, no_grad

__all__ = [
    "FDErrors",
    "decision_scores",
    "fd_errors",
    "jacobian_build_steps",
    "plot_decision_boundary",
    "plot_fd_error",
    "plot_jacobian",
    "plot_jacobian_build",
    "plot_tangent",
    "plot_training",
]

_EPS = sys.float_info.epsilon
# Unfilled Jacobian entries are nan; the colormap draws them pale grey.
_JACOBIAN_CMAP = colormaps["RdBu_r"].with_extremes(bad="#eeeeee")


def _axes(ax: Axes | None, figsize=(6.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize, layout="constrained")
    return new_ax


def _number(result) -> float:
    """A plain float from whatever a function or model returned."""
    if isinstance(result, (list, tuple, np.ndarray)):
        items = list(np.asarray(result, dtype=object).flat)
        if len(items) != 1:
            raise ValueError(f"expected one number, got {len(items)} of them")
        result = items[0]
    if isinstance(result, Value):
        result = result.data
    return float(result)


# ---------------------------------------------------------------------------
# Tangent line


def plot_tangent(f: Callable, x0: float, xlim=None, ax: Axes | None = None) -> Axes:
    """Draw f and its tangent at ``x0``; value and slope come from one dual-number pass."""
    x0 = float(x0)
    value, slope = jvp(f, x0, 1.0)
    value, slope = float(value), float(slope)
    low, high = xlim if xlim is not None else (x0 - 2.0, x0 + 2.0)
    xs = np.linspace(low, high, 400)
    ys = np.array([_number(f(float(x))) for x in xs])
    ax = _axes(ax)
    ax.plot(xs, ys, label="f(x)")
    ax.plot(xs, value + slope * (xs - x0), "--", label=f"tangent, slope f′({x0:g}) = {slope:.4g}")
    ax.plot([x0], [value], "o", color="black", label=f"({x0:g}, {value:.4g})")
    # Keep the view on f: a steep tangent would otherwise squash the curve flat.
    finite = ys[np.isfinite(ys)]
    if finite.size:
        pad = 0.1 * max(float(np.ptp(finite)), 1e-12)
        ax.set_ylim(float(finite.min()) - pad, float(finite.max()) + pad)
    ax.set_xlim(low, high)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("the tangent from one forward-mode pass")
    ax.legend(loc="best")
    return ax


# ---------------------------------------------------------------------------
# Finite-difference error against the step


@dataclass(frozen=True)
class FDErrors:
    """Absolute errors of finite differences at each step h, against an exact slope."""

    hs: np.ndarray
    forward: np.ndarray
    central: np.ndarray
    exact: float
    autodiff_error: float

    def best_h(self, method: str) -> float:
        """The step with the smallest error for "forward" or "central"."""
        return float(self.hs[int(np.argmin(self._errors(method)))])

    def min_error(self, method: str) -> float:
        return float(np.min(self._errors(method)))

    def error_at(self, method: str, h: float) -> float:
        """The error at the tabulated step nearest to ``h`` (on a log scale)."""
        index = int(np.argmin(np.abs(np.log10(self.hs) - np.log10(h))))
        return float(self._errors(method)[index])

    def _errors(self, method: str) -> np.ndarray:
        if method not in ("forward", "central"):
            raise ValueError(f'method must be "forward" or "central", got {method!r}')
        return self.forward if method == "forward" else self.central


def fd_errors(f: Callable, x0: float, hs=None, exact: float | None = None) -> FDErrors:
    """Errors of forward and central differences of f at ``x0`` for each step in ``hs``.

    ``exact`` defaults to the forward-mode derivative, which is exact to rounding.
    """
    x0 = float(x0)
    hs = np.logspace(-16, 0, 129) if hs is None else np.asarray(hs, dtype=float)
    autodiff = float(derivative(f, x0))
    exact = autodiff if exact is None else float(exact)

    def errors(method: str) -> np.ndarray:
        return np.array(
            [abs(numerical_derivative(f, x0, h=float(h), method=method) - exact) for h in hs]
        )

    return FDErrors(hs, errors("forward"), errors("central"), exact, abs(autodiff - exact))


def plot_fd_error(
    f: Callable, x0: float, exact: float | None = None, hs=None, ax: Axes | None = None
) -> Axes:
    """The V of finite-difference error against h, with autodiff's error for contrast."""
    data = fd_errors(f, x0, hs, exact)
    # An error of exactly 0 cannot go on a log axis; draw it at the rounding level.
    floor = _EPS * max(1.0, abs(data.exact))
    ax = _axes(ax, figsize=(9.0, 4.5))
    for method, style in (("forward", "-"), ("central", "-")):
        errors = np.maximum(data._errors(method), floor)
        (line,) = ax.loglog(data.hs, errors, style, label=f"{method} difference")
        best = data.best_h(method)
        ax.loglog(
            [best],
            [max(data.min_error(method), floor)],
            "o",
            color=line.get_color(),
            label=f"best {method}: h ≈ {best:.0e}, error {data.min_error(method):.1e}",
        )
    ax.axhline(
        max(data.autodiff_error, floor),
        color="black",
        linestyle=":",
        label="autodiff: exact to rounding",
    )
    # Headroom above the curves for the two labels of the V.
    top = float(np.max(np.maximum(data.forward, data.central)))
    ax.set_ylim(top=max(top, floor) * 1e3)
    ax.text(0.03, 0.97, "← round-off ∝ ε/h", transform=ax.transAxes, va="top")
    ax.text(0.97, 0.97, "truncation ∝ h or h² →", transform=ax.transAxes, va="top", ha="right")
    ax.set_xlabel("step h")
    ax.set_ylabel("absolute error of f′")
    ax.set_title(f"finite differences at x = {float(x0):g}: error against step")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# Training


def plot_training(losses: Sequence, ax: Axes | None = None, log: bool = False) -> Axes:
    """Loss against step; ``log=True`` puts the loss on a log scale."""
    values = [_number(loss) for loss in losses]
    ax = _axes(ax)
    ax.plot(range(len(values)), values, label="loss")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    final = f": final {values[-1]:.4g}" if values else ""
    ax.set_title(f"training loss{final}")
    return ax


# ---------------------------------------------------------------------------
# Decision boundary


def _points_2d(X) -> np.ndarray:
    points = np.asarray(X, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"X should be a list of 2-D points, shape (n, 2); got {points.shape}")
    return points


def decision_scores(model: Callable, X, resolution: int = 50, margin: float = 0.5):
    """``(grid_x, grid_y, scores)``: the model's output on a grid around the points X."""
    points = _points_2d(X)
    (x_low, y_low), (x_high, y_high) = points.min(axis=0) - margin, points.max(axis=0) + margin
    grid_x, grid_y = np.meshgrid(
        np.linspace(x_low, x_high, resolution), np.linspace(y_low, y_high, resolution)
    )
    with no_grad():  # thousands of evaluations; no graph is needed for a picture
        scores = np.array(
            [_number(model([float(a), float(b)])) for a, b in zip(grid_x.flat, grid_y.flat)]
        ).reshape(grid_x.shape)
    return grid_x, grid_y, scores


def plot_decision_boundary(
    model: Callable,
    X,
    y,
    ax: Axes | None = None,
    resolution: int = 50,
    threshold: float | None = None,
    margin: float = 0.5,
) -> Axes:
    """Shade where ``model([x1, x2])`` is above/below ``threshold`` and draw the data.

    ``model`` may return a Value or a number. ``threshold`` defaults to halfway
    between the smallest and largest label: 0 for labels ±1, 0.5 for 0/1.
    """
    points = _points_2d(X)
    labels = np.asarray([_number(label) for label in y])
    if len(labels) != len(points):
        raise ValueError(f"X has {len(points)} points but y has {len(labels)} labels")
    if threshold is None:
        threshold = float(labels.min() + labels.max()) / 2
    grid_x, grid_y, scores = decision_scores(model, points, resolution, margin)
    ax = _axes(ax, figsize=(5.0, 5.0))
    levels = [min(scores.min(), threshold) - 1.0, threshold, max(scores.max(), threshold) + 1.0]
    ax.contourf(grid_x, grid_y, scores, levels=levels, cmap="coolwarm", alpha=0.3)
    if scores.min() < threshold < scores.max():
        ax.contour(grid_x, grid_y, scores, levels=[threshold], colors="black", linewidths=1.5)
    classes = np.unique(labels)
    colours = colormaps["coolwarm"](np.linspace(0.0, 1.0, max(len(classes), 2)))
    for colour, label in zip(colours, classes):
        chosen = labels == label
        ax.scatter(
            points[chosen, 0],
            points[chosen, 1],
            color=colour,
            edgecolors="black",
            label=f"label {label:g}",
            zorder=3,
        )
    ax.set_xlim(grid_x.min(), grid_x.max())
    ax.set_ylim(grid_y.min(), grid_y.max())
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title(f"decision boundary (model output = {threshold:g})")
    ax.legend(loc="upper right", fontsize="small")
    return ax


# ---------------------------------------------------------------------------
# Jacobians


def plot_jacobian(
    J,
    ax: Axes | None = None,
    title: str = "Jacobian ∂f_i/∂x_j",
    vmax: float | None = None,
    decimals: int = 2,
) -> Axes:
    """A heat map of J with each entry written in its cell; nan cells are left blank."""
    matrix = np.asarray(J, dtype=float)
    matrix = matrix.reshape(1, -1) if matrix.ndim < 2 else matrix.reshape(matrix.shape[0], -1)
    finite = matrix[np.isfinite(matrix)]
    if vmax is None:
        vmax = float(np.max(np.abs(finite))) if finite.size else 1.0
    vmax = vmax if vmax > 0 else 1.0
    ax = _axes(ax, figsize=(0.8 * matrix.shape[1] + 2, 0.8 * matrix.shape[0] + 1.5))
    ax.imshow(np.ma.masked_invalid(matrix), cmap=_JACOBIAN_CMAP, vmin=-vmax, vmax=vmax)
    for (i, j), entry in np.ndenumerate(matrix):
        if np.isfinite(entry):
            dark = abs(entry) > 0.6 * vmax
            ax.text(
                j,
                i,
                f"{round(float(entry), decimals) + 0.0:.{decimals}f}",  # no "-0.00"
                ha="center",
                va="center",
                fontsize="small",
                color="white" if dark else "black",
            )
    rows, columns = matrix.shape
    ax.set_xticks(range(columns), [f"x{j + 1}" for j in range(columns)])
    ax.set_yticks(range(rows), [f"f{i + 1}" for i in range(rows)])
    ax.set_title(title)
    return ax


def jacobian_build_steps(f: Callable, x, mode: str = "forward") -> list[np.ndarray]:
    """The Jacobian as it is being built, one array per pass (nan = not computed yet).

    Forward mode fills column j with the jvp along input j; reverse mode fills
    row i with the vjp seeded at output i. The last array is the whole Jacobian.
    """
    point = np.atleast_1d(np.asarray(x, dtype=float))
    n = point.size
    if mode == "forward":
        columns = []
        for j in range(n):
            _, column = jvp_values(f, point, basis_vector(point.shape, j))
            columns.append(np.atleast_1d(np.asarray(column, dtype=float)).ravel())
        partial = np.full((columns[0].size, n), np.nan)
        steps = []
        for j, column in enumerate(columns):
            partial[:, j] = column
            steps.append(partial.copy())
        return steps
    if mode == "reverse":
        value, pullback = vjp_values(f, point)
        out_shape = np.shape(value)
        m = int(np.prod(out_shape))
        partial = np.full((m, n), np.nan)
        steps = []
        for i in range(m):
            partial[i, :] = np.asarray(pullback(basis_vector(out_shape, i)), dtype=float).ravel()
            steps.append(partial.copy())
        return steps
    raise ValueError(f'mode must be "forward" or "reverse", got {mode!r}')


def plot_jacobian_build(f: Callable, x, mode: str = "forward", decimals: int = 2) -> Figure:
    """Small multiples: the Jacobian after each forward (column) or reverse (row) pass."""
    steps = jacobian_build_steps(f, x, mode)
    final = steps[-1]
    vmax = float(np.max(np.abs(final))) or 1.0
    rows, columns = final.shape
    panel = (0.7 * columns + 0.8, 0.7 * rows + 1.2)
    fig, axes = plt.subplots(
        1,
        len(steps),
        figsize=(panel[0] * len(steps), panel[1]),
        squeeze=False,
        layout="constrained",
    )
    for k, (ax, partial) in enumerate(zip(axes[0], steps)):
        kind = "jvp" if mode == "forward" else "vjp"
        filled = f"column {k + 1}" if mode == "forward" else f"row {k + 1}"
        plot_jacobian(
            partial, ax=ax, title=f"{kind} {k + 1} → {filled}", vmax=vmax, decimals=decimals
        )
        # Outline what this pass added.
        corner, width, height = (
            ((k - 0.5, -0.5), 1, rows) if mode == "forward" else ((-0.5, k - 0.5), columns, 1)
        )
        ax.add_patch(Rectangle(corner, width, height, fill=False, edgecolor="black", lw=2))
    how = (
        "column by column (one jvp per input)"
        if mode == "forward"
        else ("row by row (one vjp per output)")
    )
    fig.suptitle(f"{mode} mode builds the Jacobian {how}: {len(steps)} passes")
    return fig
