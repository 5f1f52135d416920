"""benchmarks/array_engine.py runs end to end (its timings are not checked: machines differ)."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "array_engine.py"


def test_array_engine_benchmark_quick_run_agrees_with_autograd_and_torch():
    pytest.importorskip("autograd")
    pytest.importorskip("torch")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=SCRIPT.parent.parent,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "gradients agree with autograd's" in output
    for engine in ("autodiff_lab", "autograd", "torch (CPU)"):
        assert engine in output
    assert "autodiff_lab / autograd = " in output
