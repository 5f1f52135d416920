"""Hessians side by side: this engine's three modes against torch.func and HIPS autograd.

The function is compare_engines.py's ring of n inputs, sum tanh(v_i·v_{i+1}) + v_i³,
written twice: element by element (a Python list: the scalar engine), and on whole
arrays (the array engine, torch and autograd). torch.func's ``jacfwd(jacfwd(f))``
pushes all n basis tangents through one traced pass (vmap); issue 19's target for
our forward-over-forward mode is within 3× of it. Every Hessian is checked against
the same matrix first. CPU time per call: the median of several runs, each a loop of
calls (timeit's method), torch on one thread:

    .venv/bin/python benchmarks/hessian_peers.py [--inputs 12] [--runs 7] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import statistics

import numpy as np
from timing import calls_per_run, seconds_per_call

import autodiff_lab.numpy as anp
from autodiff_lab import hessian
from autodiff_lab.functional import HESSIAN_MODES, default_hessian_mode


def ring_of_numbers(v):
    n = len(v)
    return sum((v[i] * v[(i + 1) % n]).tanh() + v[i] ** 3 for i in range(n))


def ring_of_arrays(np_module):
    def ring(v):
        return np_module.sum(np_module.tanh(v * np_module.roll(v, -1)) + v**3)

    return ring


def median_seconds(work, runs: int) -> float:
    """CPU seconds per call: the median of ``runs`` runs, each a loop of calls (`timing`)."""
    number = calls_per_run(work)
    times = []
    for _ in range(runs):
        gc.collect()
        times.append(seconds_per_call(work, number))
    return statistics.median(times)


def contenders(n: int) -> dict[str, tuple]:
    """name -> (the Hessian's maker, what it returns turned into a numpy matrix)."""
    numbers = [float(x) for x in np.linspace(-0.8, 0.9, n)]
    array = np.array(numbers)
    found = {}
    for mode in HESSIAN_MODES:
        found[f"ours, numbers, {mode}"] = (
            lambda mode=mode: hessian(ring_of_numbers, numbers, mode=mode),
            np.array,
        )
    for mode in HESSIAN_MODES:
        found[f"ours, arrays, {mode}"] = (
            lambda mode=mode: hessian(ring_of_arrays(anp), array, mode=mode),
            np.array,
        )
    try:
        import autograd
        import autograd.numpy as agnp

        found["autograd, hessian"] = (
            lambda: autograd.hessian(ring_of_arrays(agnp))(array),
            np.array,
        )
    except ImportError:
        print("autograd is not installed: pip install -e '.[peers]'")
    try:
        import torch
        from torch.func import hessian as torch_hessian
        from torch.func import jacfwd

        torch.set_num_threads(1)
        tensor = torch.tensor(array, dtype=torch.float64)
        ring = ring_of_arrays(torch)
        found["torch.func jacfwd(jacfwd)"] = (
            lambda: jacfwd(jacfwd(ring))(tensor),
            lambda t: t.numpy(),
        )
        found["torch.func hessian (jacfwd(jacrev))"] = (
            lambda: torch_hessian(ring)(tensor),
            lambda t: t.numpy(),
        )
    except ImportError:
        print("torch is not installed: pip install -e '.[peers]'")
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=12)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="6 inputs, one run (a smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.inputs, args.runs = 6, 1
    found = contenders(args.inputs)
    reference = np.array(hessian(ring_of_numbers, list(np.linspace(-0.8, 0.9, args.inputs))))
    for name, (make, as_matrix) in found.items():
        assert np.allclose(as_matrix(make()), reference, rtol=1e-10, atol=1e-12), name
    seconds = {name: median_seconds(make, args.runs) for name, (make, _) in found.items()}
    torch_fwd = seconds.get("torch.func jacfwd(jacfwd)")
    print(f"The Hessian of a ring of {args.inputs} inputs; CPU ms per call, median of {args.runs}")
    print(f"  {'':44} {'ms':>8} {'÷ jacfwd(jacfwd)':>17}")
    for name, value in seconds.items():
        ratio = f"{value / torch_fwd:17.2f}" if torch_fwd else ""
        print(f"  {name:44} {value * 1e3:8.2f} {ratio}")
    for kind in ("numbers", "arrays"):
        modes = {mode: seconds[f"ours, {kind}, {mode}"] for mode in HESSIAN_MODES}
        fastest = min(modes, key=modes.get)
        point = [0.0] if kind == "numbers" else np.zeros(1)
        verdict = "PASS" if fastest == default_hessian_mode(point) else "MISS"
        print(f"  {verdict}  on {kind}, the default mode is the fastest (fastest: {fastest})")
        if torch_fwd:
            ratio = modes["forward-over-forward"] / torch_fwd
            verdict = "PASS" if ratio <= 3 else "MISS"
            print(
                f"  {verdict}  on {kind}, forward over forward within 3× "
                f"torch.func.jacfwd(jacfwd): {ratio:.2f}×"
            )


if __name__ == "__main__":
    main()
