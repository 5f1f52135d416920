"""Our engine beside JAX (CPU, with and without ``jit``) and ``torch.func``, in one process.

The workloads of issue 19, each written as that library's users would write it:

* micrograd's demo training step (MLP 2 → 16 → 16 → 1, relu, 100 two-moons points,
  max-margin loss + L2, one SGD update): ours on scalar Values, as in
  compare_engines.py; JAX and torch.func on arrays;
* a chain y = y·s of 10⁴ steps, differentiated (JAX with ``jit`` runs it as
  ``lax.fori_loop``: unrolled, it would compile for minutes);
* forward mode: the derivative of that loss with respect to its first weight;
* the Hessian of hessian_peers.py's ring of 12 inputs, in every mode;
* grad∘grad∘grad of tanh(x)·sin(x);
* the two MLP gradients of array_engine.py (and their peak memory, each engine in a
  fresh process: the rise of the resident set while one gradient runs, which sees
  XLA's and torch's buffers as well as numpy's);
* 1000 small operations on a 3-element array (array_engine.py's loop);
* ``elementwise_grad(elementwise_grad(tanh))`` on 10⁶ numbers (``vmap`` of grad∘grad).

Every engine's answer is checked against ours first. Then the engines take turns
(CPU time of the process per call, median of several runs, each a loop of calls where
one is short, float64, one thread for BLAS, XLA and torch, the garbage collector off
while timing). ``jit`` times exclude the first call, which compiles. From the
repository root (needs the ``peers`` extra):

    .venv/bin/python benchmarks/jax_peers.py            # a few minutes
    .venv/bin/python benchmarks/jax_peers.py --quick    # smoke run
"""

from __future__ import annotations

import os

# One thread for XLA too (array_engine sets BLAS's), before jax is imported.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import array_engine  # noqa: E402  (sets BLAS to one thread before numpy loads)
import compare_engines  # noqa: E402
import hessian_peers  # noqa: E402
import numpy  # noqa: E402
import timing  # noqa: E402

import autodiff_lab  # noqa: E402
import autodiff_lab.numpy as anp  # noqa: E402
from autodiff_lab import Value  # noqa: E402
from autodiff_lab import math as admath  # noqa: E402

MODES = {
    "forward-over-reverse": ("jacfwd", "jacrev"),
    "reverse-over-reverse": ("jacrev", "jacrev"),
    "forward-over-forward": ("jacfwd", "jacfwd"),
}


def libraries():
    """(jax, jax.numpy, torch, torch.func), with float64 everywhere and one thread."""
    import jax
    import jax.numpy as jnp
    import torch
    import torch.func

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    return jax, jnp, torch, torch.func


def ready(jax, function):
    """``function``, waiting for JAX's asynchronous result before it returns."""

    def run(*args):
        return jax.block_until_ready(function(*args))

    return run


def with_jit(jax, function):
    """``jit(function)``, compiled by a first call (what ``jit`` costs once, not per call)."""
    return ready(jax, jax.jit(function))


def timed(engines: dict, runs: int) -> dict[str, float]:
    """Each engine's median CPU time per call in ms; the engines take turns, GC off while
    timing. A run is one call, or a loop of calls where one is short (timeit's rule)."""
    times: dict[str, list] = {name: [] for name in engines}
    # calls_per_run calls each engine twice: the first call warms it up (jit compiles)
    calls = {name: timing.calls_per_run(run) for name, run in engines.items()}
    for _ in range(runs):
        for name, run in engines.items():
            gc.collect()
            gc.disable()
            times[name].append(timing.seconds_per_call(run, calls[name]))
            gc.enable()
    return {name: 1000 * statistics.median(spent) for name, spent in times.items()}


def report(title: str, engines: dict, runs: int, tolerance: float = 1e-9) -> dict:
    print(f"\n{title}")
    answers = {name: run() for name, run in engines.items()}
    if not array_engine.agree(answers, next(iter(engines)), tolerance):
        raise SystemExit(f"{title}: the engines disagree; not timing them")
    times = timed(engines, runs)
    ours = next(iter(times.values()))
    print(f"    {'':<34}{'ms':>10}   ÷ ours")
    for name, ms in times.items():
        print(f"    {name:<34}{ms:10.3f}   {ms / ours:6.2f}")
    return times


# -- the workloads ----------------------------------------------------------------------


def array_parameters(initial: list[float]) -> list[numpy.ndarray]:
    """micrograd's flat weights (each neuron's weights, then its bias) as W, b per layer."""
    arrays, position, fan_in = [], 0, 2
    for size in compare_engines.LAYER_SIZES:
        block = numpy.array(initial[position : position + size * (fan_in + 1)])
        block = block.reshape(size, fan_in + 1)
        arrays += [block[:, :fan_in].T.copy(), block[:, fan_in].copy()]
        position += size * (fan_in + 1)
        fan_in = size
    return arrays


def moons_loss(np, relu, points, labels):
    """compare_engines.svm_loss on arrays: relu MLP, mean max-margin loss, L2."""

    def loss(params):
        hidden = points
        for w, b in zip(params[:-2:2], params[1:-2:2]):
            hidden = relu(hidden @ w + b)
        scores = (hidden @ params[-2] + params[-1])[:, 0]
        data_loss = np.mean(relu(1 - labels * scores))
        return data_loss + compare_engines.REGULARISATION * sum(np.sum(p * p) for p in params)

    return loss


def moons_problem(jax, jnp, torch, quick: bool):
    """(compare_engines.TrainingStep, its weights as W, b per layer, the loss on JAX arrays,
    the loss on torch tensors): micrograd's demo, the same weights for every engine."""
    step = compare_engines.TrainingStep(20 if quick else 100)
    points, labels = numpy.array(step.points), numpy.array(step.labels)
    jax_loss = moons_loss(jnp, jax.nn.relu, jnp.array(points), jnp.array(labels))
    torch_loss = moons_loss(torch, torch.relu, torch.tensor(points), torch.tensor(labels))
    return step, array_parameters(step.initial), jax_loss, torch_loss


def training_step(jax, jnp, torch, func, quick: bool) -> dict:
    step, params, jax_loss, torch_loss = moons_problem(jax, jnp, torch, quick)
    rate = compare_engines.LEARNING_RATE

    def ours():
        step.reset()
        loss = compare_engines.svm_loss(step.our_model, Value, step.points, step.labels)
        step.our_model.zero_grad()
        loss.backward()
        first = step.our_model.parameters()[0].grad
        step.optimiser.step()
        return first

    def jax_step(params):
        grads = jax.grad(jax_loss)(params)
        return [p - rate * g for p, g in zip(params, grads)], grads[0][0, 0]

    torch_params = [torch.tensor(p) for p in params]

    def torch_step():
        grads = func.grad(torch_loss)(torch_params)
        return [p - rate * g for p, g in zip(torch_params, grads)], grads[0][0, 0]

    jax_params = [jnp.array(p) for p in params]
    jitted = with_jit(jax, jax_step)
    return report(
        "training step of micrograd's demo (forward, backward, update); d loss/d first weight",
        {
            "ours (scalar Values)": ours,
            "jax": lambda: ready(jax, jax_step)(jax_params)[1],
            "jax.jit": lambda: jitted(jax_params)[1],
            "torch.func": lambda: torch_step()[1],
        },
        1 if quick else 9,
    )


def chain(jax, jnp, torch, func, quick: bool) -> dict:
    depth, scale = (300 if quick else 10_000), compare_engines.CHAIN_SCALE

    def product(s):
        y = s * 1.0
        for _ in range(depth - 1):
            y = y * s
        return y

    def jax_product(s):
        return jax.lax.fori_loop(0, depth - 1, lambda _, y: y * s, s)

    jitted = with_jit(jax, jax.grad(jax_product))
    return report(
        f"a chain y = y·s of {depth:,} steps, d/ds",
        {
            "ours": lambda: autodiff_lab.grad(product)(scale),
            "jax": lambda: ready(jax, jax.grad(product))(jnp.float64(scale)),
            "jax.jit (lax.fori_loop)": lambda: jitted(jnp.float64(scale)),
            "torch.func": lambda: func.grad(product)(torch.tensor(scale)),
        },
        1 if quick else 7,
    )


def forward_mode(jax, jnp, torch, func, quick: bool) -> dict:
    step, params, jax_loss, torch_loss = moons_problem(jax, jnp, torch, quick)
    direction = [numpy.zeros_like(p) for p in params]
    direction[0][0, 0] = 1.0  # the first weight (micrograd's order: W1 is stored transposed)

    jax_params = [jnp.array(p) for p in params]
    jax_direction = [jnp.array(d) for d in direction]

    def jax_jvp(params, direction):
        return jax.jvp(jax_loss, (params,), (direction,))[1]

    torch_params = tuple(torch.tensor(p) for p in params)
    torch_direction = tuple(torch.tensor(d) for d in direction)
    jitted = with_jit(jax, jax_jvp)
    return report(
        "forward mode: d loss/d first weight, one tangent",
        {
            "ours (one Dual)": lambda: autodiff_lab.derivative(
                step.loss_of_first_weight, step.initial[0]
            ),
            "jax.jvp": lambda: ready(jax, jax_jvp)(jax_params, jax_direction),
            "jax.jit(jvp)": lambda: jitted(jax_params, jax_direction),
            "torch.func.jvp": lambda: func.jvp(
                lambda *p: torch_loss(list(p)), torch_params, torch_direction
            )[1],
        },
        1 if quick else 9,
    )


def hessians(jax, jnp, torch, func, quick: bool) -> dict:
    n = 6 if quick else 12
    point = numpy.linspace(-0.8, 0.9, n)
    engines = {}
    for mode in MODES:
        engines[f"ours, {mode}"] = lambda mode=mode: autodiff_lab.hessian(
            hessian_peers.ring_of_arrays(anp), point, mode=mode
        )
    jax_ring, torch_ring = hessian_peers.ring_of_arrays(jnp), hessian_peers.ring_of_arrays(torch)
    peer_modes = list(MODES)[:1] if quick else list(MODES)
    for mode in peer_modes:
        outer, inner = MODES[mode]
        theirs = getattr(jax, outer)(getattr(jax, inner)(jax_ring))
        jitted = with_jit(jax, theirs)
        engines[f"jax, {mode}"] = lambda theirs=theirs: ready(jax, theirs)(jnp.array(point))
        engines[f"jax.jit, {mode}"] = lambda jitted=jitted: jitted(jnp.array(point))
    for mode in peer_modes:
        outer, inner = MODES[mode]
        theirs = getattr(func, outer)(getattr(func, inner)(torch_ring))
        engines[f"torch.func, {mode}"] = lambda theirs=theirs: theirs(torch.tensor(point))
    return report(f"Hessian of a ring of {n} inputs, every mode", engines, 1 if quick else 7)


def third_derivative(jax, jnp, torch, func, quick: bool) -> dict:
    def ours_f(x):
        return admath.tanh(x) * admath.sin(x)

    def jax_f(x):
        return jnp.tanh(x) * jnp.sin(x)

    def torch_f(x):
        return torch.tanh(x) * torch.sin(x)

    jax_third = jax.grad(jax.grad(jax.grad(jax_f)))
    jitted = with_jit(jax, jax_third)
    grad = autodiff_lab.grad
    return report(
        "grad∘grad∘grad of tanh(x)·sin(x) at 0.7",
        {
            "ours": lambda: grad(grad(grad(ours_f)))(0.7),
            "jax": lambda: ready(jax, jax_third)(0.7),
            "jax.jit": lambda: jitted(0.7),
            "torch.func": lambda: func.grad(func.grad(func.grad(torch_f)))(torch.tensor(0.7)),
        },
        1 if quick else 21,
    )


def mlp_engines(jax, jnp, torch, func, model: str, rows: int | None = None) -> dict:
    """name -> a maker of a zero-argument run of one gradient of array_engine's MLP
    ``model`` (its first ``rows`` samples, if given); each engine is set up only if asked."""
    inputs, onehot, params = array_engine.data(model=model)
    inputs, onehot = inputs[:rows], onehot[:rows]
    argnums = tuple(range(len(params)))

    def ours():
        gradient = array_engine.ours(inputs, onehot, params)
        return lambda: gradient(*params)

    def by_hand():
        gradient = array_engine.numpy_gradient(inputs, onehot, params)
        return lambda: gradient(*params)

    def jax_gradient(jit: bool):
        def logsumexp(x, axis, keepdims):
            return jax.scipy.special.logsumexp(x, axis=axis, keepdims=keepdims)

        loss = array_engine.make_loss(jnp, logsumexp, jnp.array(inputs), jnp.array(onehot))
        gradient = (with_jit if jit else ready)(jax, jax.grad(loss, argnums=argnums))
        jax_params = [jnp.array(p) for p in params]
        return lambda: gradient(*jax_params)

    def torch_gradient():
        def logsumexp(x, axis, keepdims):
            return torch.logsumexp(x, dim=axis, keepdim=keepdims)

        loss = array_engine.make_loss(
            _TorchNumpy(torch), logsumexp, torch.tensor(inputs), torch.tensor(onehot)
        )
        gradient = func.grad(loss, argnums=argnums)
        torch_params = [torch.tensor(p) for p in params]
        return lambda: gradient(*torch_params)

    return {
        "ours": ours,
        "numpy by hand": by_hand,
        "jax": lambda: jax_gradient(False),
        "jax.jit": lambda: jax_gradient(True),
        "torch.func": torch_gradient,
    }


class _TorchNumpy:
    """The numpy names array_engine's loss uses, on torch."""

    def __init__(self, torch) -> None:
        self.tanh, self.dot, self.sum = torch.tanh, torch.matmul, torch.sum


def mlps(jax, jnp, torch, func, quick: bool) -> dict:
    found = {}
    for model in ("small",) if quick else ("small", "big"):
        samples, features, widths, classes = array_engine.MODELS[model]
        rows = 100 if quick else samples
        makers = mlp_engines(jax, jnp, torch, func, model, rows)
        found[model] = report(
            f"{model} MLP gradient, {rows}×{features} → {' → '.join(map(str, widths))} → {classes}",
            {name: make() for name, make in makers.items()},
            1 if quick else 11,
            tolerance=1e-8,
        )
        # Peaks on the whole data set even in a quick run: smaller arrays reuse memory
        # the warm-up freed, so the resident set would not rise at all.
        print(f"    peak memory of one gradient on all {samples} rows (resident set, a fresh")
        print("    process each; ratio to ours):")
        peaks = {}
        for name in ("ours", "jax.jit") if quick else ("ours", "jax", "jax.jit", "torch.func"):
            peaks[name] = peak = peak_bytes(name, model, samples)
            print(f"    {name:<34}{peak / 2**20:10.2f} MB   {peak / max(peaks['ours'], 1):6.2f}")
    return found


def small_ops(jax, jnp, torch, func, quick: bool) -> dict:
    ops = 100 if quick else array_engine.SMALL_OPS
    x = numpy.array([0.1, 0.2, 0.3])
    jax_grad = jax.grad(array_engine.chain(jnp, ops))
    jitted = with_jit(jax, jax_grad)
    return report(
        f"{ops} operations on a 3-element array, the gradient",
        {
            "ours": lambda: autodiff_lab.grad(array_engine.chain(anp, ops))(x),
            "jax": lambda: ready(jax, jax_grad)(jnp.array(x)),
            "jax.jit": lambda: jitted(jnp.array(x)),
            "torch.func": lambda: func.grad(array_engine.chain(torch, ops))(torch.tensor(x)),
        },
        1 if quick else 9,
    )


def second_derivatives(jax, jnp, torch, func, quick: bool) -> dict:
    x = numpy.linspace(-3, 3, 10_000 if quick else 1_000_000)
    egrad = autodiff_lab.elementwise_grad
    jax_twice = jax.vmap(jax.grad(jax.grad(jnp.tanh)))
    jitted = with_jit(jax, jax_twice)
    torch_twice = func.vmap(func.grad(func.grad(torch.tanh)))
    return report(
        f"elementwise_grad(elementwise_grad(tanh)) on {x.size:,} numbers (vmap of grad∘grad)",
        {
            "ours": lambda: egrad(egrad(anp.tanh))(x),
            "jax": lambda: ready(jax, jax_twice)(jnp.array(x)),
            "jax.jit": lambda: jitted(jnp.array(x)),
            "torch.func": lambda: torch_twice(torch.tensor(x)),
        },
        1 if quick else 11,
    )


# -- peak memory, in a fresh process per engine ---------------------------------------


def peak_bytes(engine: str, model: str, rows: int) -> int:
    done = subprocess.run(
        [sys.executable, __file__, "--peak-of", engine, "--model", model, "--rows", str(rows)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)["peak"]


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_peak(engine: str, model: str, rows: int) -> None:
    """(In the subprocess.) A warm-up gradient (and jit's compilation), then the rise of
    the resident set's high-water mark, reset first (Linux's /proc/self/clear_refs), while
    one more gradient runs."""
    ours_alone = engine in ("ours", "numpy by hand")  # no peer library loaded beside it
    run = mlp_engines(*((None,) * 4 if ours_alone else libraries()), model, rows)[engine]()
    run()
    gc.collect()
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # reset the peak to the current resident set
    start = _status("VmRSS")
    result = run()
    peak = _status("VmHWM") - start
    del result
    print(json.dumps({"peak": peak}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few runs (smoke)")
    parser.add_argument("--peak-of", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="small", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peak_of:
        measure_peak(args.peak_of, args.model, args.rows)
        return 0
    jax, jnp, torch, func = libraries()
    print(
        f"ours against jax {jax.__version__} (CPU) and torch {torch.__version__} (torch.func); "
        f"Python {sys.version.split()[0]}; CPU ms, median; one thread; float64"
    )
    for workload in (
        training_step,
        chain,
        forward_mode,
        hessians,
        third_derivative,
        mlps,
        small_ops,
        second_derivatives,
    ):
        workload(jax, jnp, torch, func, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
