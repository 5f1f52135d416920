"""The array engine against HIPS autograd and PyTorch (CPU), in one process.

The gradient of a tanh MLP with a softmax cross-entropy loss: 2000 inputs of
64 features, 64 hidden units, 10 classes; the gradient with respect to all four
parameter arrays. Each engine runs the same loss code (its own numpy), from the
same float64 data; the script first checks that the three gradients agree,
then times each one (the median of several runs, wall clock, after warm-up).
From the repository root:

    .venv/bin/python benchmarks/array_engine.py            # about half a minute
    .venv/bin/python benchmarks/array_engine.py --quick    # smoke run

The target of issue 10: at most 1.5× autograd's time. ``--strict`` exits with
status 1 when it is missed. Needs the ``peers`` extra (autograd, torch).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

# One BLAS thread for every engine (before numpy loads): on a shared machine a
# thread pool fighting other processes makes matrix products erratic.
if "--threads" not in sys.argv:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

import numpy  # noqa: E402

SAMPLES, FEATURES, HIDDEN, CLASSES = 2000, 64, 64, 10
TARGET = 1.5


def data(seed: int = 0):
    rng = numpy.random.RandomState(seed)
    inputs = rng.randn(SAMPLES, FEATURES)
    labels = rng.randint(0, CLASSES, SAMPLES)
    onehot = numpy.eye(CLASSES)[labels]
    params = (
        rng.randn(FEATURES, HIDDEN) / numpy.sqrt(FEATURES),
        numpy.zeros(HIDDEN),
        rng.randn(HIDDEN, CLASSES) / numpy.sqrt(HIDDEN),
        numpy.zeros(CLASSES),
    )
    return inputs, onehot, params


def composite_logsumexp(np):
    """logsumexp from max, exp, sum and log (autograd's own needs scipy, not installed)."""

    def logsumexp(x, axis, keepdims):
        top = np.max(x, axis=axis, keepdims=True)
        return top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=keepdims))

    return logsumexp


def make_loss(np, logsumexp, inputs, onehot):
    """The loss written once, for any numpy-like module."""

    def loss(w1, b1, w2, b2):
        hidden = np.tanh(np.dot(inputs, w1) + b1)
        logits = np.dot(hidden, w2) + b2
        log_probabilities = logits - logsumexp(logits, axis=1, keepdims=True)
        return -np.sum(log_probabilities * onehot) / inputs.shape[0]

    return loss


def ours(inputs, onehot, primitive: bool = False):
    import autodiff_lab.numpy as np
    from autodiff_lab import grad

    logsumexp = np.logsumexp if primitive else composite_logsumexp(np)
    return grad(make_loss(np, logsumexp, inputs, onehot), argnums=(0, 1, 2, 3))


def autograd_gradient(inputs, onehot):
    import autograd.numpy as np
    from autograd import grad

    return grad(make_loss(np, composite_logsumexp(np), inputs, onehot), argnum=(0, 1, 2, 3))


def torch_gradient(inputs, onehot):
    import torch

    x, y = torch.tensor(inputs), torch.tensor(onehot)

    def gradient(*params):
        tensors = [torch.tensor(p, requires_grad=True) for p in params]
        w1, b1, w2, b2 = tensors
        hidden = torch.tanh(x @ w1 + b1)
        logits = hidden @ w2 + b2
        log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        loss = -(log_probabilities * y).sum() / x.shape[0]
        return torch.autograd.grad(loss, tensors)

    return gradient


def chain(np, steps: int = 200):
    """Many operations on a tiny array: the cost of the engine itself, not of numpy."""

    def f(x):
        for _ in range(steps):
            x = np.tanh(x * 1.01 + 0.1)
        return np.sum(x)

    return f


def small_engines():
    import autograd
    import autograd.numpy as agnp

    import autodiff_lab
    import autodiff_lab.numpy as anp

    return {
        "autodiff_lab": autodiff_lab.grad(chain(anp)),
        "autograd": autograd.grad(chain(agnp)),
    }


def median_ms(engines: dict, params, repeats: int) -> dict:
    """Each engine's median time; the engines take turns, so load on the machine
    falls on all of them alike."""
    times: dict[str, list] = {name: [] for name in engines}
    for function in engines.values():
        function(*params)  # warm-up
    for _ in range(repeats):
        for name, function in engines.items():
            start = time.perf_counter()
            function(*params)
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(ts) for name, ts in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few runs only (smoke test)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    parser.add_argument(
        "--threads", action="store_true", help="let BLAS and torch use their thread pools"
    )
    args = parser.parse_args()
    if not args.threads:
        import torch

        torch.set_num_threads(1)
    repeats = 3 if args.quick else 30

    inputs, onehot, params = data()
    engines = {
        "autodiff_lab": ours(inputs, onehot),
        "  + logsumexp": ours(inputs, onehot, primitive=True),
        "autograd": autograd_gradient(inputs, onehot),
        "torch (CPU)": torch_gradient(inputs, onehot),
    }
    reference = [numpy.asarray(g) for g in engines["autograd"](*params)]
    print(f"MLP {SAMPLES}x{FEATURES} -> {HIDDEN} tanh -> {CLASSES} softmax cross-entropy, float64")
    print("(one loss code for all; '+ logsumexp' is ours with its logsumexp primitive)")
    print("gradients agree with autograd's (max abs difference):")
    for name, gradient in engines.items():
        got = [numpy.asarray(g.detach() if hasattr(g, "detach") else g) for g in gradient(*params)]
        difference = max(float(numpy.max(numpy.abs(a - b))) for a, b in zip(got, reference))
        print(f"  {name:<16}{difference:.1e}")
        if difference > 1e-10:
            print(f"  {name} gives a different gradient", file=sys.stderr)
            return 1
    times = median_ms(engines, params, repeats)
    print(f"threads: {'default pools' if args.threads else 'one (BLAS and torch)'}")
    print(f"time of one gradient (median of {repeats}, ms) and ratio to autograd:")
    for name, ms in times.items():
        print(f"  {name:<16}{ms:8.2f} ms   {ms / times['autograd']:.2f}x")
    small = median_ms(small_engines(), (numpy.ones(3),), repeats)
    print("engine overhead: 600 operations on a 3-element array (median ms):")
    for name, ms in small.items():
        print(f"  {name:<16}{ms:8.2f} ms   {ms / small['autograd']:.2f}x")
    ratio = times["autodiff_lab"] / times["autograd"]
    verdict = "PASS" if ratio <= TARGET else "MISS"
    print(f"{verdict}  autodiff_lab / autograd = {ratio:.2f} (target <= {TARGET})")
    return 1 if args.strict and verdict == "MISS" else 0


if __name__ == "__main__":
    sys.exit(main())
