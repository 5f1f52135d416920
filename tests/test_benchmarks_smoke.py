"""The benchmark scripts run end to end (their timings are not checked: machines differ)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from installs import need

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def quick_run(script: str) -> str:
    """The output of ``benchmarks/<script> --quick``, which must exit 0."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCHMARKS.parent,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.slow
def test_compare_engines_quick_run_prints_a_summary():
    need("micrograd")
    output = quick_run("compare_engines.py")
    sections = ("(a) Training step", "(b) Chain", "(c) Memory", "(d) Forward mode", "(e) Second")
    for section in sections:
        assert section in output
    summary = output[output.index("SUMMARY") :]
    verdicts = re.findall(r"^  (PASS|MISS)  (.+?)  ", summary, flags=re.MULTILINE)
    assert [name.split()[0] for _, name in verdicts] == [
        "training",
        "memory",
        "chain",
        "time/node",
        "forward-mode",
    ]
    # A chain of 10^4 nodes is well within what the engine must handle.
    assert ("PASS", "chain of depth 1e+04 works (right gradient)") in [
        (verdict, name.strip()) for verdict, name in verdicts
    ]
    assert "torch imported: no" in summary
    # All engines computed the same loss on the same weights.
    losses = re.search(r"ours (\S+), micrograd (\S+), floats (\S+)", output).groups()
    assert float(losses[0]) == pytest.approx(float(losses[1]), rel=1e-12)
    assert float(losses[0]) == pytest.approx(float(losses[2]), rel=1e-12)


@pytest.mark.slow
def test_array_engine_benchmark_quick_run_agrees_with_autograd_and_torch():
    need("autograd")
    need("torch")
    output = quick_run("array_engine.py")
    assert output.count("gradients agree with autograd's") == 2  # the small and the big MLP
    assert "second derivatives agree with the closed form" in output
    for engine in ("autodiff_lab", "autograd", "numpy by hand", "torch (CPU)"):
        assert engine in output
    targets = re.findall(r"^  (PASS|MISS)  (.+?) = \d+\.\d+ \(target", output, flags=re.MULTILINE)
    assert [what for _, what in targets] == [
        "small MLP: ours / numpy by hand",
        "small MLP peak memory: ours / autograd",
        "big MLP: ours / numpy by hand",
        "big MLP peak memory: ours / autograd",
        "1000 small ops: ours / autograd",
        "egrad(egrad(tanh)): ours / autograd",
    ]


@pytest.mark.slow
def test_digits_epoch_quick_run_checks_the_engines_agree_then_times_both():
    output = quick_run("digits_epoch.py")
    differences = re.search(r"^  loss (\S+), gradient (\S+)$", output, flags=re.MULTILINE)
    assert max(float(d) for d in differences.groups()) <= 1e-12
    for engine in ("array engine", "scalar engine"):
        assert re.search(rf"^  {engine} +\d+\.\d µs", output, flags=re.MULTILINE)
    assert re.search(r"^scalar / array = \d+x$", output, flags=re.MULTILINE)
    assert output.count("load average") == 2


def test_digits_epoch_refuses_to_time_engines_that_disagree(monkeypatch, capsys):
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(variable, os.environ.get(variable, "1"))  # restored afterwards
    spec = importlib.util.spec_from_file_location("digits_epoch", BENCHMARKS / "digits_epoch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    right = module.scalar_loss
    monkeypatch.setattr(module, "scalar_loss", lambda *args: right(*args) * (1 + 1e-9))
    monkeypatch.setattr(sys, "argv", ["digits_epoch.py", "--quick"])
    assert module.main() == 1
    captured = capsys.readouterr()
    assert "the two engines give different gradients" in captured.err
    assert "time per example" not in captured.out


@pytest.mark.slow
def test_hessian_peers_quick_run_agrees_with_torch_func_and_autograd():
    need("autograd")
    need("torch")
    output = quick_run("hessian_peers.py")  # it checks every Hessian against ours first
    for name in ("ours, numbers", "ours, arrays", "autograd, hessian", "torch.func jacfwd"):
        assert name in output
    verdicts = re.findall(r"^  (PASS|MISS)  on (numbers|arrays), ", output, flags=re.MULTILINE)
    assert [kind for _, kind in verdicts] == ["numbers", "numbers", "arrays", "arrays"]


JAX_PEERS_WORKLOADS = (
    "training step of micrograd's demo",
    "a chain y = y·s",
    "forward mode:",
    "Hessian of a ring",
    "grad∘grad∘grad",
    "small MLP gradient",
    "operations on a 3-element array",
    "elementwise_grad(elementwise_grad(tanh))",
)


@pytest.mark.slow
def test_jax_peers_quick_run_checks_every_workload_against_ours():
    need("jax")
    need("torch")
    output = quick_run("jax_peers.py")  # each workload's answers are checked before timing
    for workload in JAX_PEERS_WORKLOADS:
        assert workload in output, workload
    assert "TOO FAR" not in output
    jitted = re.findall(r"^    jax\.jit.*\s[\d.]+\s+[\d.]+$", output, flags=re.MULTILINE)
    assert len(jitted) >= len(JAX_PEERS_WORKLOADS)  # a timed jit row in every workload
    peaks = re.findall(r"^    (ours|jax\.jit)\s+([\d.]+) MB", output, flags=re.MULTILINE)
    assert [name for name, _ in peaks] == ["ours", "jax.jit"], peaks
    assert all(float(megabytes) > 0 for _, megabytes in peaks)


def test_jax_peers_refuses_to_time_engines_that_disagree(monkeypatch, capsys):
    need("micrograd")  # the script builds on compare_engines.py, which imports it
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS"):
        if variable in os.environ:
            monkeypatch.setenv(variable, os.environ[variable])  # restored afterwards
        else:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("jax_peers", BENCHMARKS / "jax_peers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wrong = ((2.0, 2.0 + 1e-6), (4e-69, 5e-69), (1.0, float("nan")), ((1.0, 2.0), (1.0,)))
    for ours, theirs in wrong:
        timed = []
        engines = {
            "ours": lambda ours=ours: ours,
            "a peer": lambda timed=timed, theirs=theirs: timed.append(1) or theirs,
        }
        with pytest.raises(SystemExit, match="disagree"):
            module.report("a workload", engines, runs=1)
        assert "TOO FAR" in capsys.readouterr().out
        assert timed == [1]  # called once, to compare, never timed
    module.report("a workload", {"ours": lambda: 4e-69, "a peer": lambda: 4e-69 * (1 + 1e-13)}, 1)
