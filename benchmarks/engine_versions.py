"""This engine against an earlier commit of itself, side by side in one process.

The earlier version's ``autodiff_lab`` package is taken out of git (``git
archive``) into a temporary folder as the package ``autodiff_lab_baseline``
(the package imports itself relatively, so it runs under another name), and
both versions run the same workloads, interleaved, on the same inputs:

* the training step of micrograd's demo (MLP 2→16→16→1, 100 points, forward,
  backward and an update), with the garbage collector on;
* a chain of 10⁵ multiply-adds, forward and backward;
* bytes held per node of that MLP's loss graph (tracemalloc);
* one forward-mode derivative of the loss with respect to one weight;
* the gradient of the array MLP of ``benchmarks/array_engine.py`` (2000×64 → 64
  → 10, tanh, softmax cross-entropy), one BLAS thread.

From the repository root (git must know the commit):

    .venv/bin/python benchmarks/engine_versions.py               # against f4bbceb
    .venv/bin/python benchmarks/engine_versions.py --baseline HEAD~3 --repeats 15

It prints each workload's median CPU time (or bytes) per version and the ratio
new ÷ old; issue 14's bound is 1.05 (no more than 5% slower).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import math
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from io import BytesIO
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import array_engine  # noqa: E402  (the array workload's data and loss)

BASELINE = "f4bbceb"  # main before the shared core (issue 14)
BOUND = 1.05
LAYERS = [16, 16, 1]


def baseline_package(commit: str, into: Path):
    """Import ``commit``'s autodiff_lab as ``autodiff_lab_baseline``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "autodiff_lab"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "autodiff_lab").rename(into / "autodiff_lab_baseline")
    sys.path.insert(0, str(into))
    return importlib.import_module("autodiff_lab_baseline")


def two_moons(n_points: int, seed: int = 1337):
    rng = numpy.random.default_rng(seed)
    half = n_points // 2
    outer = numpy.linspace(0.0, math.pi, half)
    inner = numpy.linspace(0.0, math.pi, n_points - half)
    xs = numpy.concatenate([numpy.cos(outer), 1.0 - numpy.cos(inner)])
    ys = numpy.concatenate([numpy.sin(outer), 0.5 - numpy.sin(inner)])
    points = numpy.stack([xs, ys], axis=1) + rng.normal(scale=0.1, size=(n_points, 2))
    labels = [-1.0] * half + [1.0] * (n_points - half)
    return [[float(a), float(b)] for a, b in points], labels


class Version:
    """One version's workloads."""

    def __init__(self, package, points, labels) -> None:
        self.package = package
        self.nn = importlib.import_module(package.__name__ + ".nn")
        self.anp = importlib.import_module(package.__name__ + ".numpy")
        self.points, self.labels = points, labels
        self.model = self.nn.MLP(2, LAYERS, activation="relu", seed=1337)
        self.initial = [p.data for p in self.model.parameters()]

    def loss(self):
        Value = self.package.Value
        scores = [self.model([Value(a), Value(b)]) for a, b in self.points]
        losses = [(1 + -label * score).relu() for label, score in zip(self.labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        return data_loss + 1e-4 * sum(p * p for p in self.model.parameters())

    def training_step(self) -> None:
        for parameter, value in zip(self.model.parameters(), self.initial):
            parameter.data = value
        self.model.zero_grad()
        loss = self.loss()
        loss.backward()
        for parameter in self.model.parameters():
            parameter.data -= 1.0 * parameter.grad

    def chain(self, depth: int) -> float:
        x = self.package.Value(1.0)
        y = x
        for _ in range(depth):
            y = y * 0.9999999 + 0.0
        y.backward()
        return x.grad

    def bytes_per_node(self) -> float:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        loss = self.loss()
        held = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        nodes = len(self.package.reverse.topological_order([loss]))
        return held / nodes

    def forward_mode(self) -> float:
        first = self.model.parameters()[0]
        value = first.data
        Dual = self.package.Dual

        # The weight is a Dual; every other number is a float: one pass.
        first.data = Dual(value, 1.0)
        try:
            tangent = self.loss().data.tangent
        finally:
            first.data = value
        return tangent

    def array_gradient(self, arrays) -> None:
        inputs, onehot, params = arrays
        loss = array_engine.make_loss(
            self.anp, array_engine.composite_logsumexp(self.anp), inputs, onehot
        )
        self.package.grad(loss, argnums=(0, 1, 2, 3))(*params)


def cpu_time(function, *args) -> float:
    gc.collect()
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with")
    parser.add_argument("--repeats", type=int, default=9, help="runs per workload and version")
    parser.add_argument("--quick", action="store_true", help="smaller workloads, 3 repeats")
    options = parser.parse_args()
    repeats = 3 if options.quick else options.repeats
    depth = 10_000 if options.quick else 100_000
    random.seed(0)
    import autodiff_lab

    with tempfile.TemporaryDirectory() as folder:
        old_package = baseline_package(options.baseline, Path(folder))
        points, labels = two_moons(30 if options.quick else 100)
        versions = {
            "new": Version(autodiff_lab, points, labels),
            "old": Version(old_package, points, labels),
        }
        arrays = array_engine.data()
        # Same numbers first: a faster wrong answer is no answer.
        tangents = {name: v.forward_mode() for name, v in versions.items()}
        chains = {name: v.chain(1000) for name, v in versions.items()}
        assert math.isclose(tangents["new"], tangents["old"], rel_tol=1e-12), tangents
        assert chains["new"] == chains["old"], chains
        workloads = {
            "training step (ms)": lambda v: v.training_step(),
            f"chain of {depth:,} (ms)": lambda v: v.chain(depth),
            "forward mode (ms)": lambda v: v.forward_mode(),
            "array MLP gradient (ms)": lambda v: v.array_gradient(arrays),
        }
        times = {(w, name): [] for w in workloads for name in versions}
        for _ in range(repeats):
            for workload, run in workloads.items():
                for name, version in versions.items():  # interleaved, so load hits both
                    times[workload, name].append(cpu_time(run, version))
        print(
            f"new ({_describe('HEAD')}) against old ({_describe(options.baseline)}), "
            f"median of {repeats}, CPU time, one BLAS thread"
        )
        print(f"  {'workload':30} {'new':>10} {'old':>10} {'new/old':>8}")
        worst = 0.0
        for workload in workloads:
            new = statistics.median(times[workload, "new"]) * 1e3
            old = statistics.median(times[workload, "old"]) * 1e3
            worst = max(worst, new / old)
            print(f"  {workload:30} {new:10.2f} {old:10.2f} {new / old:8.3f}")
        new_bytes = versions["new"].bytes_per_node()
        old_bytes = versions["old"].bytes_per_node()
        worst = max(worst, new_bytes / old_bytes)
        print(
            f"  {'bytes per node':30} {new_bytes:10.1f} {old_bytes:10.1f} "
            f"{new_bytes / old_bytes:8.3f}"
        )
        verdict = "PASS" if worst <= BOUND else "MISS"
        print(f"{verdict}  worst ratio {worst:.3f} (bound {BOUND})")


def _describe(commit: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", commit],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


if __name__ == "__main__":
    main()
