"""What one level of nesting costs: an operation on nested nodes against the same one unnested.

A Dual whose parts are Duals (forward over forward), and a Value holding a Dual
(forward over reverse, as in a Hessian-vector product), each against the same
operation one layer down. Counted in instructions under valgrind's callgrind,
which repeat from run to run on a shared machine (see engine_instructions.py):

    .venv/bin/python benchmarks/nesting_cost.py

Issue 19's target: a nested operation at most 4× the cost of the unnested one.
Multiplying two nested duals needs at least three inner multiplications and an
addition, so 4× is about the floor.
"""

from __future__ import annotations

from engine_instructions import ROOT, instructions

SETUP = """
import sys
sys.path.insert(0, {root!r})
from autodiff_lab import Dual, Value
from autodiff_lab.forward import dual
a, b = Dual(1.5, 1.0, tag=1), Dual(2.5, 0.5, tag=1)
na = dual(Dual(1.5, 1.0, tag=1), Dual(0.5, 0.0, tag=1), 2)
nb = dual(Dual(2.5, 0.5, tag=1), Dual(1.0, 0.0, tag=1), 2)
v, w = Value(1.5), Value(2.5)
vd, wd = Value(Dual(1.5, 1.0, tag=1)), Value(Dual(2.5, 0.5, tag=1))
for _ in range({n}):
    {operation}
"""

PAIRS = [
    ("Dual of Dual, a * b", "a * b", "na * nb"),
    ("Dual of Dual, a + b", "a + b", "na + nb"),
    ("Dual of Dual, tanh(a)", "a.tanh()", "na.tanh()"),
    ("Value holding a Dual, v * w", "v * w", "vd * wd"),
    ("Value holding a Dual, tanh(v)", "v.tanh()", "vd.tanh()"),
]
REPEATS = 2000


def per_operation(operation: str) -> float:
    def run(n: int) -> int:
        return instructions(SETUP.format(root=str(ROOT), n=n, operation=operation))

    return (run(REPEATS) - run(0)) / REPEATS


def main() -> None:
    print("instructions per operation (callgrind); nested ÷ unnested, target ≤ 4")
    for name, plain, nested in PAIRS:
        one, two = per_operation(plain), per_operation(nested)
        print(f"  {name:32} {one:10,.0f} {two:10,.0f} {two / one:6.2f}")


if __name__ == "__main__":
    main()
