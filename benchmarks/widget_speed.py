"""How fast the steppers feel: one step (click Next + render) and one large drawing.

Lesson 16's array stepper is timed too (one node per array operation, so its
graph is small whatever the batch). Targets: a step on a 100-value graph under
100 ms, a 500-value graph drawn in under 0.5 s. Run with
``python benchmarks/widget_speed.py``; it prints the numbers and the rendering
backend (dot, graphviz-pure or the built-in one).

The graphs are small multilayer perceptrons with a squared-error loss, the
shape the lessons draw. Graphviz's layout time depends on the shape as well as
the size: edges that span many ranks (one input reused all along a long
chain) make ``dot`` far slower than these numbers.
"""

from __future__ import annotations

import gc
import random
import statistics
import time

import numpy

import autodiff_lab.numpy as anp
from autodiff_lab import Value, label_array, trace_arrays
from autodiff_lab.display.graph import draw_graph
from autodiff_lab.display.render import render_svg_with_backend
from autodiff_lab.reverse import topological_order
from autodiff_lab.widgets import (
    ArrayBackwardStepper,
    BackwardStepper,
    ForwardStepper,
    backward_steps,
)

STEP_TARGET_MS = 100.0
LARGE_TARGET_S = 0.5
READING_PAUSE_S = 0.5  # a learner reads a caption for longer than this


def mlp_loss(sizes: list[int], seed: int = 0) -> Value:
    """(y − 1)² for a tanh network with layer sizes ``sizes``, at a fixed random point."""
    rng = random.Random(seed)
    layer = [Value(rng.uniform(-1, 1), label=f"x{index}") for index in range(sizes[0])]
    for width in sizes[1:]:
        outputs = []
        for _ in range(width):
            total = Value(rng.uniform(-1, 1))
            for node in layer:
                total = total + Value(rng.uniform(-1, 1)) * node
            outputs.append(total.tanh())
        layer = outputs
    return (layer[0] - 1.0) ** 2


def array_network(seed: int = 0):
    """Lesson 16's network on 1,347 digits' worth of random inputs, traced for display."""
    rng = numpy.random.default_rng(seed)
    onehot = numpy.eye(10)[rng.integers(0, 10, 1347)]

    def loss(X, W1, b1, W2, b2):
        H = label_array(anp.tanh(X @ W1 + b1), "H")
        log_p = label_array(anp.log_softmax(H @ W2 + b2, axis=1), "log_p")
        return label_array(-anp.sum(onehot * log_p) / len(X), "L")

    shapes = {"X": (1347, 64), "W1": (64, 32), "b1": (32,), "W2": (32, 10), "b2": (10,)}
    return loss, {name: rng.normal(size=shape) for name, shape in shapes.items()}


def size(output: Value) -> int:
    return len(topological_order([output]))


def time_clicks(stepper, label: str) -> None:
    """Click Next to the end as fast as possible: each click waits for its drawing."""
    times = []
    while not stepper.state.at_end:
        start = time.perf_counter()
        stepper.next_button.click()
        times.append(1000 * (time.perf_counter() - start))
    start = time.perf_counter()
    stepper.go(0)
    cached = 1000 * (time.perf_counter() - start)
    verdict = "ok" if statistics.median(times) < STEP_TARGET_MS else "SLOW"
    print(
        f"  {label}: {len(times)} clicks, click + render median "
        f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms "
        f"(target < {STEP_TARGET_MS:.0f} ms: {verdict}); back to a drawn step {cached:.2f} ms"
    )


def time_reading_clicks(stepper, label: str, clicks: int = 5) -> None:
    """Click Next after a reading pause, so the prefetched drawing is ready."""
    times = []
    for _ in range(clicks):
        time.sleep(READING_PAUSE_S)
        start = time.perf_counter()
        stepper.next_button.click()
        times.append(1000 * (time.perf_counter() - start))
    print(
        f"  {label}, clicking every {READING_PAUSE_S} s: median "
        f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms"
    )


def main() -> None:
    output = mlp_loss([2, 4, 4, 1])
    values = size(output)
    gc.collect()
    start = time.perf_counter()
    steps = backward_steps(output)
    print(f"{values}-value graph, {len(steps)} backward steps:")
    print(f"  backward_steps: {1000 * (time.perf_counter() - start):.1f} ms")
    start = time.perf_counter()
    stepper = BackwardStepper(output, prefetch=False)
    print(f"  BackwardStepper built, step 0 drawn: {1000 * (time.perf_counter() - start):.1f} ms")
    time_clicks(stepper, "BackwardStepper, no prefetch")
    time_clicks(BackwardStepper(output), "BackwardStepper, prefetch")
    time_reading_clicks(BackwardStepper(output), "BackwardStepper, prefetch")
    first_input = topological_order([output])[0]
    time_clicks(ForwardStepper(output, seed=first_input, prefetch=False), "ForwardStepper")

    loss, inputs = array_network()
    start = time.perf_counter()
    graph = trace_arrays(loss, **inputs)
    graph.backward()
    print(
        f"lesson 16's array graph ({len(graph.nodes)} nodes, X 1347×64): traced and "
        f"backward {1000 * (time.perf_counter() - start):.1f} ms"
    )
    start = time.perf_counter()
    array_stepper = ArrayBackwardStepper(graph, prefetch=False)
    built = 1000 * (time.perf_counter() - start)
    print(f"  ArrayBackwardStepper built, step 0 drawn: {built:.1f} ms")
    time_clicks(array_stepper, "ArrayBackwardStepper, no prefetch")
    time_reading_clicks(ArrayBackwardStepper(graph), "ArrayBackwardStepper, prefetch")

    large = mlp_loss([3, 10, 11, 1])
    values = size(large)
    gc.collect()
    start = time.perf_counter()
    drawing = draw_graph(large, max_nodes=None)
    drawn = time.perf_counter()
    svg, backend = render_svg_with_backend(drawing)
    done = time.perf_counter()
    verdict = "ok" if done - start < LARGE_TARGET_S else "SLOW"
    print(
        f"{values}-value graph: draw {1000 * (drawn - start):.0f} ms + render ({backend}) "
        f"{1000 * (done - drawn):.0f} ms = {done - start:.2f} s, {len(svg) // 1024} KB SVG "
        f"(target < {LARGE_TARGET_S} s: {verdict})"
    )
    start = time.perf_counter()
    svg, backend = render_svg_with_backend(draw_graph(large, max_nodes=None), backend="builtin")
    print(f"  the same with the built-in renderer: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
