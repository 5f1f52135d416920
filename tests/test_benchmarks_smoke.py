"""The benchmark script runs end to end (its timings are not checked: machines differ)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "compare_engines.py"


def test_compare_engines_quick_run_prints_a_summary():
    pytest.importorskip("micrograd")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=SCRIPT.parent.parent,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
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
