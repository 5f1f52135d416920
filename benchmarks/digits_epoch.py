"""One training epoch on the digits: the array engine against the scalar `Value` engine.

The network of lesson 16 (64 pixels -> 32 tanh units -> 10 scores, softmax
cross-entropy), trained by minibatch gradient descent (batches of 32) on all
1,797 digits. The array engine runs whole epochs; the scalar engine, one `Value`
per number, runs the first few batches of the same epoch (it is far slower).
Both start from the same weights; the script first checks that they give the
same loss and gradients on every batch the scalar engine runs, then prints the
time per example of each (median wall clock, after `gc.collect()`) and their
ratio. From the
repository root:

    .venv/bin/python benchmarks/digits_epoch.py            # about half a minute
    .venv/bin/python benchmarks/digits_epoch.py --quick    # smoke run

BLAS uses one thread (as in `array_engine.py`). The load average is printed
before and after: on a busy machine, rerun before believing a ratio.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")  # before numpy loads

import numpy  # noqa: E402

import autodiff_lab.numpy as anp  # noqa: E402
from autodiff_lab import Value, value_and_grad  # noqa: E402
from autodiff_lab.datasets import load_digits  # noqa: E402

PIXELS, HIDDEN, CLASSES, BATCH, LEARNING_RATE = 64, 32, 10, 32, 0.5


def data(seed: int = 0):
    """Pixels scaled to [0, 1] in a shuffled order, one-hot labels, starting weights."""
    images, labels = load_digits()
    rng = numpy.random.default_rng(seed)
    order = rng.permutation(len(images))
    inputs = images.reshape(len(images), PIXELS)[order] / 16
    onehot = numpy.eye(CLASSES)[labels[order]]
    params = [
        rng.normal(size=(PIXELS, HIDDEN)) / 8,
        numpy.zeros(HIDDEN),
        rng.normal(size=(HIDDEN, CLASSES)) / numpy.sqrt(HIDDEN),
        numpy.zeros(CLASSES),
    ]
    return inputs, onehot, params


def batches(inputs, onehot, count=None):
    starts = range(0, len(inputs), BATCH)
    for start in list(starts)[:count]:
        yield inputs[start : start + BATCH], onehot[start : start + BATCH]


def array_loss(W1, b1, W2, b2, X, Y):
    log_p = anp.log_softmax(anp.tanh(X @ W1 + b1) @ W2 + b2, axis=1)
    return -anp.sum(Y * log_p) / len(X)


_array_step = value_and_grad(array_loss, argnums=(0, 1, 2, 3))


def array_step(params, X, Y):
    """One gradient-descent step on a batch; the loss, the gradients and the new parameters."""
    loss, grads = _array_step(*params, X, Y)
    return loss, grads, [p - LEARNING_RATE * g for p, g in zip(params, grads)]


def scalar_loss(W1, b1, W2, b2, X, Y):
    """The same loss, one `Value` per number: weights are nested lists of Values."""
    total = 0.0
    for x, y in zip(X.tolist(), Y.tolist()):
        hidden = [
            sum((xk * W1[k][j] for k, xk in enumerate(x)), b1[j]).tanh() for j in range(HIDDEN)
        ]
        scores = [sum((hidden[j] * W2[j][c] for j in range(HIDDEN)), b2[c]) for c in range(CLASSES)]
        top = max(s.data for s in scores)  # a constant shift, as logsumexp makes
        log_total = sum((s - top).exp() for s in scores).log() + top
        right = y.index(1.0)
        total = total - (scores[right] - log_total)
    return total / len(X)


def as_values(array):
    return [as_values(row) for row in array] if array.ndim > 1 else [Value(v) for v in array]


def flat(values):
    return [v for row in values for v in flat(row)] if isinstance(values[0], list) else values


def scalar_step(params, X, Y):
    """The same step with the scalar engine (parameters arrive and leave as arrays)."""
    values = [as_values(p) for p in params]
    loss = scalar_loss(*values, X, Y)
    loss.backward()
    grads = [
        numpy.array([v.grad for v in flat(vs)]).reshape(p.shape) for vs, p in zip(values, params)
    ]
    return loss.data, grads, [p - LEARNING_RATE * g for p, g in zip(params, grads)]


def largest_differences(params, inputs, onehot, count):
    """The largest loss and gradient differences between the engines over `count`
    batches, both stepping from the same parameters (the array engine's)."""
    loss_difference = gradient_difference = 0.0
    for X, Y in batches(inputs, onehot, count):
        array_loss_value, array_grads, next_params = array_step(params, X, Y)
        scalar_loss_value, scalar_grads, _ = scalar_step(params, X, Y)
        loss_difference = max(loss_difference, abs(array_loss_value - scalar_loss_value))
        for a, s in zip(array_grads, scalar_grads):
            gradient_difference = max(gradient_difference, float(numpy.max(numpy.abs(a - s))))
        params = next_params
    return loss_difference, gradient_difference


def epoch(step, params, inputs, onehot, count=None):
    """Gradient descent through `count` batches (all: one epoch); the time it took."""
    gc.collect()
    start = time.perf_counter()
    for X, Y in batches(inputs, onehot, count):
        _, _, params = step(params, X, Y)
    return time.perf_counter() - start


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few runs, one scalar batch")
    args = parser.parse_args()
    runs, scalar_batches = (2, 1) if args.quick else (7, 4)
    inputs, onehot, params = data()
    print(f"load average before: {load()}")
    print(f"network {PIXELS} -> {HIDDEN} tanh -> {CLASSES} softmax cross-entropy, float64;")
    print(f"one epoch = {len(inputs)} digits in batches of {BATCH}, learning rate {LEARNING_RATE}")

    loss_difference, gradient_difference = largest_differences(
        params, inputs, onehot, scalar_batches
    )
    print(f"array and scalar engine on the first {scalar_batches} batch(es), largest difference:")
    print(f"  loss {loss_difference:.1e}, gradient {gradient_difference:.1e}")
    if max(loss_difference, gradient_difference) > 1e-12:
        print("the two engines give different gradients", file=sys.stderr)
        return 1

    array_times, scalar_times = [], []
    epoch(array_step, params, inputs, onehot)  # warm-up
    for _ in range(runs):  # the engines take turns, so load falls on both alike
        array_times.append(epoch(array_step, params, inputs, onehot))
        scalar_times.append(epoch(scalar_step, params, inputs, onehot, scalar_batches))
    array_per = statistics.median(array_times) / len(inputs)
    scalar_per = statistics.median(scalar_times) / (scalar_batches * BATCH)
    print(f"time per example (median of {runs} runs):")
    print(f"  array engine   {1e6 * array_per:10.1f} µs   (whole epochs, {len(inputs)} examples)")
    print(f"  scalar engine  {1e6 * scalar_per:10.1f} µs   ({scalar_batches * BATCH} examples)")
    print(f"scalar / array = {scalar_per / array_per:.0f}x")
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
