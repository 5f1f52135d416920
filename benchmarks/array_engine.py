"""The array engine against hand-written numpy, HIPS autograd and PyTorch (CPU), in one process.

Four workloads, each engine running the same code (its own numpy) on the same
float64 inputs; the script first checks that the engines agree, then times
them taking turns (CPU time of the process per call, median of several runs, each a
loop of calls where one is short, one BLAS thread), so that load on a shared machine
falls on all of them alike:

* the gradient of a tanh MLP with a softmax cross-entropy loss with respect to
  every weight and bias: a small one (2000×64 inputs → 64 → 10 classes) and a
  big one (256×784 → 4 hidden layers of 512 → 10). "numpy by hand" is the same
  gradient written out in numpy: the floor an engine can reach;
* the peak memory of one gradient (tracemalloc, which sees numpy's arrays), each
  engine in a fresh subprocess; torch allocates outside tracemalloc's view;
* 1000 operations on a 3-element array, where numpy's work is nothing and the
  engine's own bookkeeping is all;
* ``elementwise_grad(elementwise_grad(tanh))`` on 10⁶ numbers, against the
  closed form -2·tanh(x)·(1 - tanh(x)²) in numpy.

From the repository root (needs the ``peers`` extra: autograd, torch):

    .venv/bin/python benchmarks/array_engine.py            # about two minutes
    .venv/bin/python benchmarks/array_engine.py --quick    # smoke run

The last lines compare each ratio with issue 19's target; ``--strict`` exits
with status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

# One BLAS thread for every engine (before numpy loads): on a shared machine a
# thread pool fighting other processes makes matrix products erratic.
if "--threads" not in sys.argv:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")

import numpy  # noqa: E402
import timing  # noqa: E402

SAMPLES, FEATURES, HIDDEN, CLASSES = 2000, 64, 64, 10
MODELS = {  # name: (samples, features, hidden layer widths, classes)
    "small": (SAMPLES, FEATURES, (HIDDEN,), CLASSES),
    "big": (256, 784, (512, 512, 512, 512), CLASSES),
}
SMALL_OPS = 1000
ELEMENTS = 10**6

# issue 19: (what, target ratio)
TARGETS = {
    "small MLP: ours / numpy by hand": 1.15,
    "big MLP: ours / numpy by hand": 1.15,
    "small MLP peak memory: ours / autograd": 1.0,
    "big MLP peak memory: ours / autograd": 1.0,
    "1000 small ops: ours / autograd": 0.7,
    "egrad(egrad(tanh)): ours / autograd": 1.0,
}


def data(seed: int = 0, model: str = "small"):
    """Inputs, one-hot labels and the parameters (w1, b1, w2, b2, ...) of an MLP."""
    samples, features, widths, classes = MODELS[model]
    rng = numpy.random.RandomState(seed)
    inputs = rng.randn(samples, features)
    labels = rng.randint(0, classes, samples)
    onehot = numpy.eye(classes)[labels]
    params = []
    for fan_in, fan_out in zip((features, *widths), (*widths, classes)):
        params += [rng.randn(fan_in, fan_out) / numpy.sqrt(fan_in), numpy.zeros(fan_out)]
    return inputs, onehot, tuple(params)


def composite_logsumexp(np):
    """logsumexp from max, exp, sum and log (autograd's own needs scipy, not installed)."""

    def logsumexp(x, axis, keepdims):
        top = np.max(x, axis=axis, keepdims=True)
        return top + np.log(np.sum(np.exp(x - top), axis=axis, keepdims=keepdims))

    return logsumexp


def make_loss(np, logsumexp, inputs, onehot):
    """The loss written once, for any numpy-like module: tanh hidden layers, a linear
    output, softmax cross-entropy. Parameters come in pairs (weights, bias)."""

    def loss(*params):
        hidden = inputs
        for w, b in zip(params[:-2:2], params[1:-2:2]):
            hidden = np.tanh(np.dot(hidden, w) + b)
        logits = np.dot(hidden, params[-2]) + params[-1]
        log_probabilities = logits - logsumexp(logits, axis=1, keepdims=True)
        return -np.sum(log_probabilities * onehot) / inputs.shape[0]

    return loss


def ours(inputs, onehot, params, primitive: bool = False):
    import autodiff_lab.numpy as np
    from autodiff_lab import grad

    logsumexp = np.logsumexp if primitive else composite_logsumexp(np)
    return grad(make_loss(np, logsumexp, inputs, onehot), argnums=tuple(range(len(params))))


def autograd_gradient(inputs, onehot, params):
    import autograd.numpy as np
    from autograd import grad

    loss = make_loss(np, composite_logsumexp(np), inputs, onehot)
    return grad(loss, argnum=tuple(range(len(params))))


def numpy_gradient(inputs, onehot, params):
    """The same gradient written by hand: the forward pass, then each layer's VJP."""
    count = inputs.shape[0]

    def gradient(*params):
        activations = [inputs]
        for w, b in zip(params[:-2:2], params[1:-2:2]):
            activations.append(numpy.tanh(activations[-1] @ w + b))
        logits = activations[-1] @ params[-2] + params[-1]
        exps = numpy.exp(logits - numpy.max(logits, axis=1, keepdims=True))
        softmax = exps / numpy.sum(exps, axis=1, keepdims=True)
        upstream = (softmax * numpy.sum(onehot, axis=1, keepdims=True) - onehot) / count
        grads = []
        for layer in range(len(params) // 2 - 1, -1, -1):
            below = activations[layer]
            grads += [numpy.sum(upstream, axis=0), below.T @ upstream]
            if layer:
                upstream = (upstream @ params[2 * layer].T) * (1.0 - below * below)
        return tuple(reversed(grads))

    return gradient


def torch_gradient(inputs, onehot, params):
    import torch

    x, y = torch.tensor(inputs), torch.tensor(onehot)

    def gradient(*params):
        tensors = [torch.tensor(p, requires_grad=True) for p in params]
        hidden = x
        for w, b in zip(tensors[:-2:2], tensors[1:-2:2]):
            hidden = torch.tanh(hidden @ w + b)
        logits = hidden @ tensors[-2] + tensors[-1]
        log_probabilities = logits - torch.logsumexp(logits, dim=1, keepdim=True)
        loss = -(log_probabilities * y).sum() / x.shape[0]
        return torch.autograd.grad(loss, tensors)

    return gradient


MLP_ENGINES = {
    "autodiff_lab": ours,
    "  + logsumexp": lambda inputs, onehot, params: ours(inputs, onehot, params, True),
    "autograd": autograd_gradient,
    "numpy by hand": numpy_gradient,
    "torch (CPU)": torch_gradient,
}


def chain(np, ops: int = SMALL_OPS):
    """Many operations on a tiny array: the cost of the engine itself, not of numpy
    (three operations a step, and a sum)."""

    def f(x):
        for _ in range((ops - 1) // 3):
            x = np.tanh(x * 1.01 + 0.1)
        return np.sum(x)

    return f


def small_engines(ops: int = SMALL_OPS):
    import autograd
    import autograd.numpy as agnp

    import autodiff_lab
    import autodiff_lab.numpy as anp

    return {
        "autodiff_lab": autodiff_lab.grad(chain(anp, ops)),
        "autograd": autograd.grad(chain(agnp, ops)),
    }


def second_derivative_engines():
    """d²/dx² tanh at each element, by each engine's own means."""
    import autograd
    import autograd.numpy as agnp
    import torch

    import autodiff_lab
    import autodiff_lab.numpy as anp

    def by_torch(x):
        t = torch.tensor(x, requires_grad=True)
        (first,) = torch.autograd.grad(torch.tanh(t).sum(), t, create_graph=True)
        (second,) = torch.autograd.grad(first.sum(), t)
        return second

    def closed_form(x):
        t = numpy.tanh(x)
        return -2.0 * t * (1.0 - t * t)

    return {
        "autodiff_lab": autodiff_lab.elementwise_grad(autodiff_lab.elementwise_grad(anp.tanh)),
        "autograd": autograd.elementwise_grad(autograd.elementwise_grad(agnp.tanh)),
        "numpy closed form": closed_form,
        "torch (CPU)": by_torch,
    }


def median_ms(engines: dict, args, repeats: int) -> dict:
    """Each engine's median CPU time per call; the engines take turns, so load on the
    machine falls on all of them alike. A run is a loop of calls where one is short
    (`timing`)."""
    import gc

    times: dict[str, list] = {name: [] for name in engines}
    runs = {name: lambda function=function: function(*args) for name, function in engines.items()}
    calls = {name: timing.calls_per_run(run) for name, run in runs.items()}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            times[name].append(timing.seconds_per_call(run, calls[name]))
    return {name: 1000 * statistics.median(ts) for name, ts in times.items()}


def as_arrays(answer) -> list:
    """An engine's answer (a number, an array, a tensor, or a tuple or list of them) as a
    list of float numpy arrays."""
    if isinstance(answer, (tuple, list)):
        return [array for part in answer for array in as_arrays(part)]
    if hasattr(answer, "detach"):
        answer = answer.detach()
    return [numpy.asarray(answer, dtype=float)]


def agree(answers: dict, reference: str, tolerance: float) -> bool:
    """Print how far each engine's answer is from the reference's, relative to the
    reference's largest entry (so tiny derivatives are compared too); False if one is
    further than ``tolerance``, holds a nan, or is made of other arrays."""
    expected = as_arrays(answers[reference])
    scale = max(float(numpy.max(numpy.abs(e))) for e in expected) or 1.0
    fine = True
    for name, answer in answers.items():
        got = as_arrays(answer)
        if [a.shape for a in got] != [b.shape for b in expected]:
            print(f"  {name:<34} gives {len(got)} arrays of other shapes  (TOO FAR)")
            fine = False
            continue
        difference = max(float(numpy.max(numpy.abs(a - b))) for a, b in zip(got, expected))
        too_far = not difference <= tolerance * scale  # a nan is too far
        flag = "  (TOO FAR)" if too_far else ""
        print(f"  {name:<34} differs by {difference / scale:.1e}{flag}")
        fine = fine and not too_far
    return fine


def print_times(times: dict, basis: list[str]) -> None:
    header = "".join(f"{'÷ ' + name.strip():>20}" for name in basis)
    print(f"  {'':<18}{'ms':>9}{header}")
    for name, ms in times.items():
        ratios = "".join(f"{ms / times[b]:19.2f}x" for b in basis)
        print(f"  {name:<18}{ms:9.2f}{ratios}")


def peak_bytes(engine: str, model: str) -> int:
    """Peak memory of one MLP gradient (tracemalloc) in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, __file__, "--peak-of", engine, "--model", model],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)["peak"]


def measure_peak(engine: str, model: str) -> None:
    """(In the subprocess.) One warm-up gradient, then one traced from a clean start."""
    import gc
    import tracemalloc

    inputs, onehot, params = data(model=model)
    gradient = MLP_ENGINES[engine](inputs, onehot, params)
    gradient(*params)
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    result = gradient(*params)
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    del result
    print(json.dumps({"peak": peak}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few runs only (smoke test)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--threads", action="store_true", help="let BLAS and torch use their thread pools"
    )
    parser.add_argument("--peak-of", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="small", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_of:
        measure_peak(args.peak_of, args.model)
        return 0
    if not args.threads:
        import torch

        torch.set_num_threads(1)
    repeats = 3 if args.quick else 21
    print(f"threads: {'default pools' if args.threads else 'one (BLAS and torch)'}; times are")
    print(f"the median CPU time of {repeats} runs, the engines taking turns")
    ratios = {}
    for model in MODELS:
        inputs, onehot, params = data(model=model)
        samples, features, widths, classes = MODELS[model]
        print(
            f"\n{model} MLP {samples}x{features} -> {' -> '.join(map(str, widths))} tanh -> "
            f"{classes} softmax cross-entropy, float64 ('+ logsumexp': ours with its primitive)"
        )
        engines = {name: make(inputs, onehot, params) for name, make in MLP_ENGINES.items()}
        print("gradients agree with autograd's (largest difference ÷ largest entry):")
        if not agree({name: run(*params) for name, run in engines.items()}, "autograd", 1e-10):
            print("the engines give different gradients; not timing them", file=sys.stderr)
            return 1
        times = median_ms(engines, params, repeats)
        print(f"time of one gradient (median of {repeats}):")
        print_times(times, ["numpy by hand", "autograd", "torch (CPU)"])
        ratios[f"{model} MLP: ours / numpy by hand"] = (
            times["autodiff_lab"] / times["numpy by hand"]
        )
        peaks = {name: peak_bytes(name, model) for name in ("autodiff_lab", "autograd")}
        peaks["numpy by hand"] = peak_bytes("numpy by hand", model)
        print("peak memory of one gradient (tracemalloc, a fresh process each):")
        for name, peak in peaks.items():
            print(f"  {name:<18}{peak / 1e6:9.2f} MB   {peak / peaks['autograd']:.2f}x autograd")
        ratios[f"{model} MLP peak memory: ours / autograd"] = (
            peaks["autodiff_lab"] / peaks["autograd"]
        )

    print(f"\nengine overhead: {SMALL_OPS} operations on a 3-element array:")
    small = median_ms(small_engines(), (numpy.ones(3),), repeats)
    print_times(small, ["autograd"])
    ratios["1000 small ops: ours / autograd"] = small["autodiff_lab"] / small["autograd"]

    elements = 10**4 if args.quick else ELEMENTS
    x = numpy.linspace(-3.0, 3.0, elements)
    print(f"\nelementwise_grad(elementwise_grad(tanh)) on {elements:,} numbers:")
    engines = second_derivative_engines()
    print("second derivatives agree with the closed form (largest difference ÷ largest entry):")
    if not agree({name: run(x) for name, run in engines.items()}, "numpy closed form", 1e-12):
        print("the engines give different derivatives; not timing them", file=sys.stderr)
        return 1
    times = median_ms(engines, (x,), repeats)
    print_times(times, ["numpy closed form", "autograd", "torch (CPU)"])
    ratios["egrad(egrad(tanh)): ours / autograd"] = times["autodiff_lab"] / times["autograd"]

    print("\nissue 19's targets:")
    missed = False
    for what, ratio in ratios.items():
        target = TARGETS[what]
        verdict = "PASS" if ratio <= target else "MISS"
        missed = missed or verdict == "MISS"
        print(f"  {verdict}  {what} = {ratio:.2f} (target <= {target})")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
