"""Speed and memory of autodiff_lab against micrograd 0.1.0 and plain Python floats.

Everything runs in this one process on the same inputs, so the numbers compare
with each other (and only roughly with another machine's). From the repository
root:

    .venv/bin/python benchmarks/compare_engines.py           # full run, about a minute
    .venv/bin/python benchmarks/compare_engines.py --quick   # smoke run, a second or two

Sections: (a) micrograd's demo training step, (b) a long chain, (c) memory per
graph node, (d) a forward-mode derivative, (e) a Hessian in each of its three
modes (for information); then a summary against the design targets.
benchmarks/README.md explains how to read the output. This script must not
import torch: a process holding torch makes every pass of the garbage
collector slower, which would distort the comparison.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager

import micrograd.engine
import micrograd.nn
import numpy as np

from autodiff_lab import Value, derivative, grad, hessian
from autodiff_lab.functional import HESSIAN_MODES
from autodiff_lab.nn import MLP, SGD

LAYER_SIZES = [16, 16, 1]  # after the 2 inputs, as in micrograd's demo
REGULARISATION = 1e-4  # the demo's alpha
LEARNING_RATE = 1.0  # the demo's rate at its first step
SEED = 1337  # the demo's seed
CHAIN_SCALE = 0.9999999  # close to 1, so a chain of 10^6 products stays near 1

# CPU time of this process: load from other processes on a shared machine
# disturbs it less than wall time, and on a quiet machine the two agree.
# `--clock wall` switches (main() rebinds this name).
clock = time.process_time

TARGET_SPEEDUP = 5.0
TARGET_MEMORY_FRACTION = 1 / 5
TARGET_DEPTH_SLOWDOWN = 2.5
TARGET_FORWARD_MODE = (3.0, 6.0)


# ---------------------------------------------------------------------------
# The problem: two moons, an MLP, a max-margin loss


def two_moons(n_points: int, noise: float = 0.1, seed: int = SEED):
    """Two interleaving half circles (as sklearn's make_moons), labels -1 and +1."""
    rng = np.random.default_rng(seed)
    n_outer = n_points // 2
    n_inner = n_points - n_outer
    outer = np.linspace(0.0, math.pi, n_outer)
    inner = np.linspace(0.0, math.pi, n_inner)
    xs = np.concatenate([np.cos(outer), 1.0 - np.cos(inner)])
    ys = np.concatenate([np.sin(outer), 0.5 - np.sin(inner)])
    points = np.stack([xs, ys], axis=1) + rng.normal(scale=noise, size=(n_points, 2))
    labels = [-1.0] * n_outer + [1.0] * n_inner
    # Plain Python floats: numpy scalars would slow each engine down differently.
    return [[float(a), float(b)] for a, b in points], labels


def svm_loss(model, value_type, points, labels):
    """micrograd demo's loss: mean max-margin loss plus L2 regularisation.

    The same code runs on both engines; ``value_type`` is the engine's Value class.
    """
    inputs = [[value_type(a), value_type(b)] for a, b in points]
    scores = [model(x) for x in inputs]
    losses = [(1 + -label * score).relu() for label, score in zip(labels, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = REGULARISATION * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


def float_loss(parameters: list, points, labels):
    """The same loss on plain numbers: floats, or floats and a Dual for forward mode.

    ``parameters`` is in micrograd's flat order: each neuron's weights, then its bias.
    """
    layers, position, fan_in = [], 0, 2
    for i, size in enumerate(LAYER_SIZES):
        neurons = []
        for _ in range(size):
            weights = parameters[position : position + fan_in]
            neurons.append((weights, parameters[position + fan_in]))
            position += fan_in + 1
        layers.append((neurons, i < len(LAYER_SIZES) - 1))
        fan_in = size
    scores = []
    for point in points:
        activations = point
        for neurons, hidden in layers:
            outputs = []
            for weights, bias in neurons:
                total = bias
                for weight, x in zip(weights, activations):
                    total = total + weight * x
                # relu written as a comparison, so the same line works on a Dual
                outputs.append((total if total > 0 else 0.0) if hidden else total)
            activations = outputs
        scores.append(activations[0])
    losses = []
    for label, score in zip(labels, scores):
        margin = 1 + -label * score
        losses.append(margin if margin > 0 else 0.0)
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = REGULARISATION * sum(p * p for p in parameters)
    return data_loss + reg_loss


def count_nodes(root, parents_of: Callable) -> int:
    """Nodes reachable from root (root included), without recursion."""
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in parents_of(stack.pop()):
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)


def micrograd_parents(node):
    return node._prev


def our_parents(node):
    return node.parents


# ---------------------------------------------------------------------------
# Timing and printing


@contextmanager
def garbage_collector(enabled: bool):
    was_enabled = gc.isenabled()
    gc.enable() if enabled else gc.disable()
    try:
        yield
    finally:
        gc.enable() if was_enabled else gc.disable()


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.2f}"


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """First column left-aligned, the others right-aligned."""
    table = [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row):
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        return "  " + "  ".join(cells)

    print(line(header))
    print("  " + "-" * (sum(widths) + 2 * (len(widths) - 1)))
    for row in rows:
        print(line(row))


# ---------------------------------------------------------------------------
# (a) The training step


class TrainingStep:
    """micrograd's demo model and loss, with the same starting weights in both engines."""

    def __init__(self, n_points: int) -> None:
        self.points, self.labels = two_moons(n_points)
        random.seed(SEED)
        self.micrograd_model = micrograd.nn.MLP(2, LAYER_SIZES)
        self.initial = [float(p.data) for p in self.micrograd_model.parameters()]
        self.our_model = MLP(2, LAYER_SIZES, activation="relu", seed=SEED)
        self.optimiser = SGD(self.our_model.parameters(), lr=LEARNING_RATE)
        self.reset()

    def reset(self) -> None:
        """Put micrograd's starting weights back into both models."""
        pairs = zip(self.micrograd_model.parameters(), self.our_model.parameters())
        for number, (theirs, ours) in zip(self.initial, pairs):
            theirs.data = number
            ours.data = number

    def _timed_step(self, model, value_type, update: Callable) -> dict[str, float]:
        self.reset()
        gc.collect()
        start = clock()
        loss = svm_loss(model, value_type, self.points, self.labels)
        forward_done = clock()
        model.zero_grad()
        loss.backward()
        backward_done = clock()
        update()
        update_done = clock()
        # Freeing the graph: reference counting does it for ours at `del`;
        # micrograd's nodes sit in reference cycles, so only the collector can.
        del loss
        gc.collect()
        return {
            "forward": forward_done - start,
            "backward": backward_done - forward_done,
            "update": update_done - backward_done,
            "free": clock() - update_done,
        }

    def run_ours(self) -> dict[str, float]:
        return self._timed_step(self.our_model, Value, self.optimiser.step)

    def run_micrograd(self) -> dict[str, float]:
        def update():
            for p in self.micrograd_model.parameters():
                p.data -= LEARNING_RATE * p.grad

        return self._timed_step(self.micrograd_model, micrograd.engine.Value, update)

    def run_floats(self) -> dict[str, float]:
        gc.collect()
        start = clock()
        float_loss(self.initial, self.points, self.labels)
        return {"forward": clock() - start}

    def loss_of_first_weight(self, weight):
        """The loss as a function of the first weight alone (all others fixed)."""
        return float_loss([weight, *self.initial[1:]], self.points, self.labels)

    def run_forward_mode(self) -> dict[str, float]:
        gc.collect()
        start = clock()
        derivative(self.loss_of_first_weight, self.initial[0])
        return {"forward": clock() - start}

    def agreement(self) -> dict[str, float]:
        """Loss and d loss/d first weight from every engine: they compute the same thing."""
        self.reset()
        ours = svm_loss(self.our_model, Value, self.points, self.labels)
        self.our_model.zero_grad()
        ours.backward()
        theirs = svm_loss(self.micrograd_model, micrograd.engine.Value, self.points, self.labels)
        self.micrograd_model.zero_grad()
        theirs.backward()
        return {
            "our loss": ours.data,
            "micrograd loss": theirs.data,
            "float loss": float_loss(self.initial, self.points, self.labels),
            "our grad": self.our_model.parameters()[0].grad,
            "micrograd grad": self.micrograd_model.parameters()[0].grad,
            "forward-mode grad": derivative(self.loss_of_first_weight, self.initial[0]),
        }


ENGINES = ["autodiff_lab", "micrograd 0.1.0", "plain floats (forward)", "forward mode (1 Dual)"]


def benchmark_training_step(step: TrainingStep, runs: int, gc_enabled: bool) -> dict:
    """Median phase times per engine; the engines take turns so noise hits all alike."""
    runners = [step.run_ours, step.run_micrograd, step.run_floats, step.run_forward_mode]
    results: dict[str, list] = {name: [] for name in ENGINES}
    with garbage_collector(gc_enabled):
        for _ in range(runs):
            for name, run in zip(ENGINES, runners):
                results[name].append(run())
    return {
        name: {phase: median_of(times, phase) for phase in times[0]}
        for name, times in results.items()
    }


def step_total(phases: dict[str, float]) -> float:
    return phases["forward"] + phases.get("backward", 0.0) + phases.get("update", 0.0)


def print_training_table(medians: dict[str, dict[str, float]]) -> None:
    ours = step_total(medians["autodiff_lab"])
    floats = medians["plain floats (forward)"]["forward"]
    rows = [
        [
            name,
            ms(phases["forward"]),
            ms(phases.get("backward")),
            ms(phases.get("update")),
            ms(step_total(phases)),
            ms(phases.get("free")),
            f"{step_total(phases) / ours:.2f}",
            f"{step_total(phases) / floats:.1f}",
        ]
        for name, phases in medians.items()
    ]
    header = ["engine", "forward", "backward", "update", "total", "free", "÷ ours", "÷ floats"]
    print_table(header, rows)


# ---------------------------------------------------------------------------
# (b) A long chain: y = y * s, one new node per step


def chain_run(value_type, depth: int) -> dict:
    gc.collect()
    start = clock()
    scale = value_type(CHAIN_SCALE)
    y = value_type(1.0)
    for _ in range(depth):
        y = y * scale
    built = clock()
    error = None
    try:
        y.backward()
    except RecursionError:
        error = "RecursionError"
    done = clock()
    scale_grad = scale.grad
    del y, scale
    freed = clock()
    gc.collect()
    return {
        "build": built - start,
        "backward": done - built,
        "free": freed - done,
        "error": error,
        "scale grad": scale_grad,
    }


def float_chain_run(depth: int) -> dict:
    gc.collect()
    start = clock()
    y = 1.0
    for _ in range(depth):
        y = y * CHAIN_SCALE
    return {"build": clock() - start}


def micrograd_deepest_chain(fails_at: int) -> int:
    """The longest chain micrograd can differentiate here (bisection below ``fails_at``)."""
    works, fails = 1, fails_at
    while fails - works > 1:
        depth = (works + fails) // 2
        run = chain_run(micrograd.engine.Value, depth)
        works, fails = (depth, fails) if run["error"] is None else (works, depth)
    return works


def per_node(runs: list[dict], depth: int) -> float:
    return statistics.median(run["build"] + run.get("backward", 0.0) for run in runs) / depth


def chain_gradient_is_right(run: dict, depth: int) -> bool:
    expected = depth * CHAIN_SCALE ** (depth - 1)  # d(s^n)/ds
    return run["error"] is None and math.isclose(run["scale grad"], expected, rel_tol=1e-6)


def benchmark_chain(depths: list[int], runs_for: Callable[[int], int]) -> dict:
    results: dict = {"depths": {}, "micrograd fails at": None}
    for depth in depths:
        runs = runs_for(depth)
        row = {
            "ours": [chain_run(Value, depth) for _ in range(runs)],
            "floats": [float_chain_run(depth) for _ in range(runs)],
        }
        fails_at = results["micrograd fails at"]
        if fails_at is None:
            theirs = [chain_run(micrograd.engine.Value, depth) for _ in range(runs)]
            if any(run["error"] for run in theirs):
                results["micrograd fails at"] = depth
                row["micrograd"] = "RecursionError"
            else:
                row["micrograd"] = theirs
        else:
            row["micrograd"] = f"not run (fails at {fails_at:.0e})"
        results["depths"][depth] = row
    if results["micrograd fails at"] is not None:
        results["micrograd deepest"] = micrograd_deepest_chain(results["micrograd fails at"])
    return results


def print_chain_table(results: dict) -> None:
    rows = []
    for depth, row in results["depths"].items():
        ours, theirs = row["ours"], row["micrograd"]
        ours_ok = all(chain_gradient_is_right(run, depth) for run in ours)
        rows.append(
            [
                f"{depth:.0e}",
                f"{median_of(ours, 'build') / depth * 1e9:.0f}",
                f"{median_of(ours, 'backward') / depth * 1e9:.0f}",
                f"{per_node(ours, depth) * 1e9:.0f}" if ours_ok else "WRONG or failed",
                f"{median_of(ours, 'free') / depth * 1e9:.0f}",
                theirs if isinstance(theirs, str) else f"{per_node(theirs, depth) * 1e9:.0f}",
                f"{per_node(row['floats'], depth) * 1e9:.0f}",
            ]
        )
    header = ["depth", "ours build", "backward", "total", "free", "micrograd total", "floats"]
    print_table(header, rows)
    print("  nanoseconds per node; total = build + backward (ours checked: d(s^n)/ds = n·s^(n-1))")
    if "micrograd deepest" in results:
        print(
            f"  micrograd's deepest chain here: depth {results['micrograd deepest']} "
            "(its recursive topological sort meets Python's recursion limit)"
        )


# ---------------------------------------------------------------------------
# (c) Memory per node


def measure_graph(build: Callable, parents_of: Callable, known_nodes: int = 0) -> dict:
    """Bytes (tracemalloc) and GC-tracked objects per node of the graph ``build`` returns.

    ``known_nodes`` (model parameters, which exist beforehand) are left out of the count.
    """
    gc.collect()
    tracked_before = len(gc.get_objects())
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root = build()
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    tracked = len(gc.get_objects()) - tracked_before
    nodes = count_nodes(root, parents_of) - known_nodes
    del root
    gc.collect()
    return {"nodes": nodes, "bytes": used / nodes, "tracked": tracked / nodes}


def benchmark_memory(step: TrainingStep, chain_depth: int) -> dict[str, dict]:
    def mlp_graph(model, value_type, backward: bool):
        def build():
            step.reset()
            loss = svm_loss(model, value_type, step.points, step.labels)
            if backward:
                model.zero_grad()
                loss.backward()  # every node now holds a gradient float too
            return loss

        return build

    def chain_graph(value_type):
        def build():
            scale = value_type(CHAIN_SCALE)
            y = value_type(1.0)
            for _ in range(chain_depth):
                y = y * scale
            return y  # no backward: micrograd cannot do one this deep

        return build

    parameters = len(step.our_model.parameters())
    engines = {"ours": (step.our_model, Value, our_parents)}
    engines["micrograd"] = (step.micrograd_model, micrograd.engine.Value, micrograd_parents)
    graphs = {}
    for backward in (False, True):
        name = f"MLP loss graph, {'after backward' if backward else 'forward only'}"
        graphs[name] = {
            engine: measure_graph(mlp_graph(model, kind, backward), parents_of, parameters)
            for engine, (model, kind, parents_of) in engines.items()
        }
    graphs[f"chain of {chain_depth:.0e}, built"] = {
        engine: measure_graph(chain_graph(kind), parents_of)
        for engine, (_, kind, parents_of) in engines.items()
    }
    return graphs


def print_memory_table(memory: dict[str, dict]) -> None:
    rows = [
        [
            graph,
            f"{engines['ours']['nodes']:,}",
            f"{engines['ours']['bytes']:.0f}",
            f"{engines['micrograd']['bytes']:.0f}",
            f"1/{engines['micrograd']['bytes'] / engines['ours']['bytes']:.2f}",
            f"{engines['ours']['tracked']:.2f}",
            f"{engines['micrograd']['tracked']:.2f}",
        ]
        for graph, engines in memory.items()
    ]
    header = ["graph", "nodes", "ours B", "micrograd B", "ours/theirs", "ours GC", "micrograd GC"]
    print_table(header, rows)
    print("  B = bytes per node (tracemalloc); GC = garbage-collector-tracked objects per node")


# ---------------------------------------------------------------------------
# Putting it together


# ---------------------------------------------------------------------------
# Second derivatives


def ring(v):
    """A function of n inputs whose Hessian is dense on a band: sum tanh(v_i·v_{i+1}) + v_i³."""
    n = len(v)
    return sum((v[i] * v[(i + 1) % n]).tanh() + v[i] ** 3 for i in range(n))


def benchmark_hessian_modes(n_inputs: int, runs: int) -> dict[str, float]:
    """CPU seconds, median of ``runs``: one gradient, then the Hessian in each mode."""
    # A list, so the scalar engine runs (a numpy array would go to the array engine, where
    # indexing element by element is the slow way to use it).
    point = [float(x) for x in np.linspace(-0.8, 0.9, n_inputs)]
    timings = {"grad (for scale)": lambda: grad(ring)(point)}
    for mode in HESSIAN_MODES:
        timings[mode] = lambda mode=mode: hessian(ring, point, mode=mode)
    reference = hessian(ring, point)
    for mode in HESSIAN_MODES:
        assert np.allclose(hessian(ring, point, mode=mode), reference, rtol=1e-12, atol=1e-12)
    medians = {}
    for name, work in timings.items():
        times = []
        for _ in range(runs):
            gc.collect()
            start = clock()
            work()
            times.append(clock() - start)
        medians[name] = statistics.median(times)
    return medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run (seconds)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if any target is missed")
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="time.process_time (default) or time.perf_counter",
    )
    args = parser.parse_args(argv)
    global clock
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    if args.quick:
        n_points, runs, gc_off_runs = 10, 1, 1
        depths, memory_depth = [10**2, 10**3, 10**4], 10**3
    else:
        n_points, runs, gc_off_runs = 100, 5, 3
        depths, memory_depth = [10**3, 10**4, 10**5, 10**6], 10**4

    print(
        f"autodiff_lab vs micrograd 0.1.0 vs plain floats; Python {sys.version.split()[0]}; "
        f"{'CPU' if args.clock == 'cpu' else 'wall'} time"
    )
    if args.quick:
        print("QUICK smoke run: reduced sizes, the numbers mean little")

    step = TrainingStep(n_points)
    agree = step.agreement()
    print(
        f"\n(a) Training step of micrograd's demo: MLP(2, {LAYER_SIZES}), relu hidden layers, "
        f"{n_points} two-moons points,\n    max-margin loss + L2; ms, median of {runs} runs"
    )
    print(
        f"  same weights, same loss: ours {agree['our loss']:.12g}, "
        f"micrograd {agree['micrograd loss']:.12g}, floats {agree['float loss']:.12g}"
    )
    print("  GC enabled (as users have it):")
    with_gc = benchmark_training_step(step, runs, gc_enabled=True)
    print_training_table(with_gc)
    print("  GC disabled (for information):")
    without_gc = benchmark_training_step(step, gc_off_runs, gc_enabled=False)
    print_training_table(without_gc)
    print("  total = forward + backward + update; free = dropping the graph (del + gc.collect())")
    speedup = step_total(with_gc["micrograd 0.1.0"]) / step_total(with_gc["autodiff_lab"])
    speedup_no_gc = step_total(without_gc["micrograd 0.1.0"]) / step_total(
        without_gc["autodiff_lab"]
    )

    print("\n(b) Chain y = y * s (one new node per step), build + backward")
    chain = benchmark_chain(depths, lambda depth: 5 if depth <= 10**4 else 3)
    print_chain_table(chain)
    deepest, reference_depth = depths[-1], depths[-1] // 100
    deepest_runs = chain["depths"][deepest]["ours"]
    depth_works = all(chain_gradient_is_right(run, deepest) for run in deepest_runs)
    slowdown = per_node(deepest_runs, deepest) / per_node(
        chain["depths"][reference_depth]["ours"], reference_depth
    )
    print(f"  ours, time per node at {deepest:.0e} ÷ at {reference_depth:.0e}: {slowdown:.2f}")

    print("\n(c) Memory per graph node")
    memory = benchmark_memory(step, memory_depth)
    print_memory_table(memory)
    memory_fraction = max(
        engines["ours"]["bytes"] / engines["micrograd"]["bytes"] for engines in memory.values()
    )

    forward_mode = with_gc["forward mode (1 Dual)"]["forward"]
    plain = with_gc["plain floats (forward)"]["forward"]
    forward_ratio = forward_mode / plain
    print("\n(d) Forward mode: d loss/d (first weight) with one Dual, against the plain forward")
    print(
        f"  forward mode {ms(forward_mode)} ms, plain floats {ms(plain)} ms: "
        f"{forward_ratio:.1f}x (from (a), GC enabled)"
    )
    print(
        f"  the derivative: forward mode {agree['forward-mode grad']:.12g}, "
        f"ours (reverse) {agree['our grad']:.12g}, micrograd {agree['micrograd grad']:.12g}"
    )

    n_inputs = 3 if args.quick else 12
    print(f"\n(e) Second derivatives: the Hessian of a ring of {n_inputs} inputs, each mode")
    print("  (tanh(v_i·v_i+1) + v_i³ summed; ms, median of 3; all modes give the same matrix)")
    for name, seconds in benchmark_hessian_modes(n_inputs, runs=3).items():
        print(f"  {name:<24} {ms(seconds):>9}")

    low, high = TARGET_FORWARD_MODE
    checks = [
        (
            f"training step >= {TARGET_SPEEDUP:g}x faster than micrograd (GC on)",
            f"{speedup:.1f}x (GC off: {speedup_no_gc:.1f}x)",
            speedup >= TARGET_SPEEDUP,
        ),
        (
            "memory per node <= 1/5 of micrograd's (worst graph in (c))",
            f"1/{1 / memory_fraction:.2f}",
            memory_fraction <= TARGET_MEMORY_FRACTION,
        ),
        (
            f"chain of depth {deepest:.0e} works (right gradient)",
            "yes" if depth_works else "no",
            depth_works,
        ),
        (
            f"time/node at {deepest:.0e} <= {TARGET_DEPTH_SLOWDOWN:g}x that at "
            f"{reference_depth:.0e}",
            f"{slowdown:.2f}x",
            slowdown <= TARGET_DEPTH_SLOWDOWN,
        ),
        (
            f"forward-mode derivative {low:g}-{high:g}x the plain forward",
            f"{forward_ratio:.1f}x",
            forward_ratio <= high,
        ),
    ]
    print("\nSUMMARY" + (" (quick run: reduced sizes)" if args.quick else ""))
    width = max(len(name) for name, _, _ in checks)
    for name, measured, passed in checks:
        print(f"  {'PASS' if passed else 'MISS'}  {name:<{width}}  {measured}")
    print(f"  torch imported: {'YES, numbers distorted' if 'torch' in sys.modules else 'no'}")
    missed = sum(not passed for _, _, passed in checks)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
