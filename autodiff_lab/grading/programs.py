"""Small random programs for the grader's probes: the same instructions run on any number type.

A probe that only asked for tanh at one point could be answered with
``math.tanh`` by code that never wrote a Value class. Instead the grader
draws a random straight-line program (operands reused, interior nodes, long
chains), the kernel runs it with the student's types, and the grader runs it
with the engine's own; to fake the answer, code must differentiate programs
it has never seen, which is the exercise itself.

A program is a list of JSON-friendly instructions, each making one node
from earlier ones (operands are node indices, constants are numbers)::

    ["leaf", 0.7]        ["add", 0, 1]    ["mulc", 2, -1.5]   ["rdiv", 2.0, 3] (2 / node 3)
    ["exp", 4]           ["chain", 5, 1.0001, 0.01, 3000]   # y = y*a + b, n times
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Instruction = list
Operations = Mapping[str, Callable[..., Any]]

# What each instruction computes on plain floats, so the generator keeps values tame.
_FLOAT_RULES: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "addc": lambda a, c: a + c,
    "mulc": lambda a, c: a * c,
    "divc": lambda a, c: a / c,
    "rsub": lambda c, a: c - a,
    "rdiv": lambda c, a: c / a,
    "radd": lambda c, a: c + a,
    "rmul": lambda c, a: c * a,
    "pow": lambda a, k: a**k,
    "neg": lambda a: -a,
    "exp": math.exp,
    "tanh": math.tanh,
    "sin": math.sin,
}
_NODE_NODE = {"add", "sub", "mul", "div"}
_NODE_CONSTANT = {"addc", "mulc", "divc", "pow"}
_CONSTANT_NODE = {"rsub", "rdiv", "radd", "rmul"}
_FUNCTIONS = {"exp", "tanh", "sin"}  # the node type's own, from ``ops``
MAX_DRAWS = 20_000


def random_program(
    rng: random.Random,
    operations: Sequence[str],
    leaves: Sequence[float],
    length: int,
    must_use: Sequence[str] = (),
) -> list[Instruction]:
    """A program of ``length`` operations on ``leaves``; each of ``must_use`` appears."""
    program: list[Instruction] = [["leaf", float(x)] for x in leaves]
    values = [float(x) for x in leaves]
    wanted = list(must_use)
    for _ in range(MAX_DRAWS):
        if len(program) >= len(leaves) + length and not wanted:
            return _output_depends_on(program, values, must_use)
        # Half the draws go to other operations, so values can move into a wanted one's range.
        name = wanted[0] if wanted and rng.random() < 0.5 else rng.choice(list(operations))
        instruction = _try_instruction(rng, name, values)
        if instruction is None:
            continue
        if wanted and name == wanted[0]:
            wanted.pop(0)
        program.append(instruction)
        values.append(_FLOAT_RULES[name](*_float_operands(instruction, values)))
    raise RuntimeError(f"no program of {length} operations using {list(must_use)} was found")


def _output_depends_on(program: list, values: list, must_use: Sequence[str]) -> list:
    """``program``, extended where needed so that its output (the last node) moves with
    at least one node of each operation in ``must_use``.

    An operation whose nodes feed nothing that reaches the output is dead code: a
    wrong implementation of it would change no number the grader compares. Each such
    operation gets an ``add`` of its first node into the output.
    """
    for name in must_use:
        indices = [i for i, instruction in enumerate(program) if instruction[0] == name]
        if any(_moves_output(program, values, i) for i in indices):
            continue
        instruction = ["add", len(program) - 1, indices[0]]
        program.append(instruction)
        values.append(_FLOAT_RULES["add"](*_float_operands(instruction, values)))
        if not _moves_output(program, values, indices[0]):
            raise RuntimeError(f"the program's output does not move with its {name} node")
    return program


def _moves_output(program: Sequence[Instruction], values: list, index: int) -> bool:
    """Whether nudging node ``index`` changes the last node (a central difference)."""
    step = 1e-4 * max(1.0, abs(values[index]))
    ends = []
    for shift in (step, -step):
        nudged = list(values[: index + 1])
        nudged[index] += shift
        for instruction in program[index + 1 :]:
            name = instruction[0]
            nudged.append(_FLOAT_RULES[name](*_float_operands(instruction, nudged)))
        ends.append(nudged[-1])
    return abs(ends[0] - ends[1]) > 1e-9 * max(1.0, abs(values[-1]))


def _try_instruction(rng: random.Random, name: str, values: list[float]) -> Instruction | None:
    """One instruction whose value stays well inside float range, or None to draw again."""
    # Prefer recent nodes, so programs are deep as well as wide, but reach back too.
    index = max(0, len(values) - 1 - int(rng.expovariate(0.7)))
    other = rng.randrange(len(values))
    constant = rng.choice((-1.0, 1.0)) * rng.uniform(0.5, 2.5)
    if name in _NODE_NODE:
        instruction = [name, index, other]
    elif name == "pow":
        instruction = [name, index, rng.choice((2, 3))]
    elif name in _NODE_CONSTANT:
        instruction = [name, index, constant]
    elif name in _CONSTANT_NODE:
        instruction = [name, constant, index]
    else:
        instruction = [name, index]
    operands = _float_operands(instruction, values)
    if name in ("div", "rdiv") and abs(operands[-1 if name == "div" else 1]) < 0.4:
        return None
    if name == "exp" and operands[0] > 3.0:
        return None
    if name in _FUNCTIONS and abs(operands[0]) < 0.1:
        return None  # near 0, exp ≈ 1 + x and sin ≈ tanh ≈ x: a wrong function would pass
    try:
        result = _FLOAT_RULES[name](*operands)
    except (ArithmeticError, ValueError):
        return None
    return instruction if 1e-3 < abs(result) < 60.0 or result == 0.0 else None


def _float_operands(instruction: Instruction, values: list) -> list:
    """The instruction's operands: earlier entries of ``values`` (floats or nodes), constants."""
    name, *arguments = instruction
    if name in _NODE_NODE:
        return [values[arguments[0]], values[arguments[1]]]
    if name in _NODE_CONSTANT:
        return [values[arguments[0]], arguments[1]]
    if name in _CONSTANT_NODE:
        return [arguments[0], values[arguments[1]]]
    return [values[arguments[0]]]


def chain(node: int, factor: float, offset: float, steps: int) -> Instruction:
    """y = y * factor + offset, ``steps`` times: a deep graph (recursion would fail on it)."""
    return ["chain", node, factor, offset, steps]


def run_program(program: Sequence[Instruction], leaf: Callable[[float], Any], ops: Operations):
    """Every node of ``program``, built with ``leaf`` and the unary functions in ``ops``.

    ``ops`` maps "exp", "tanh" and "sin" to functions of one node; arithmetic uses
    the node type's own operators.
    """
    nodes: list[Any] = []
    for instruction in program:
        name, *arguments = instruction
        nodes.append(_apply(name, arguments, nodes, leaf, ops))
    return nodes


def _apply(name: str, arguments: list, nodes: list, leaf, ops: Operations):
    if name == "leaf":
        return leaf(float(arguments[0]))
    if name == "chain":
        node, factor, offset, steps = arguments
        y = nodes[node]
        for _ in range(int(steps)):
            y = y * factor + offset
        return y
    if name not in _FLOAT_RULES:
        raise ValueError(f"unknown instruction {name!r}")
    operands = _float_operands([name, *arguments], nodes)  # works for nodes as for floats
    if name in _FUNCTIONS:
        return ops[name](*operands)
    return _FLOAT_RULES[name](*operands)  # arithmetic: the node type's own operators


def leaf_indices(program: Sequence[Instruction]) -> list[int]:
    return [index for index, instruction in enumerate(program) if instruction[0] == "leaf"]


_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def leaf_names(program: Sequence[Instruction], names: Sequence[str] | None = None) -> list[str]:
    count = len(leaf_indices(program))
    given = list(names or [])[:count]
    return given + [f"x{i + 1}" for i in range(len(given), count)]


def leaves_text(program: Sequence[Instruction], names: Sequence[str] | None = None) -> str:
    """'x = 2, y = 3': the program's leaves and their values."""
    pairs = zip(leaf_names(program, names), leaf_indices(program))
    return ", ".join(f"{name} = {program[i][1]:g}" for name, i in pairs)


def program_text(program: Sequence[Instruction], names: Sequence[str] | None = None) -> str:
    """A short description of ``program``: its expression when small, else its size."""
    leaves = leaf_indices(program)
    names = leaf_names(program, names)
    where = leaves_text(program, names)
    operations = len(program) - len(leaves)
    if operations > 4 or any(instruction[0] == "chain" for instruction in program):
        deepest = max((ins[4] for ins in program if ins[0] == "chain"), default=0)
        size = (
            f"{deepest * 2 + operations - 1} operations" if deepest else f"{operations} operations"
        )
        return f"a program of {size} at {where}"
    text: list[str] = []
    for index, (name, *arguments) in enumerate(program):
        if name == "leaf":
            text.append(names[leaves.index(index)])
        elif name in _SYMBOLS:
            text.append(f"({text[arguments[0]]} {_SYMBOLS[name]} {text[arguments[1]]})")
        elif name in ("addc", "mulc", "divc"):
            symbol = {"addc": "+", "mulc": "*", "divc": "/"}[name]
            text.append(f"({text[arguments[0]]} {symbol} {arguments[1]:g})")
        elif name in ("rsub", "rdiv", "radd", "rmul"):
            symbol = {"rsub": "-", "rdiv": "/", "radd": "+", "rmul": "*"}[name]
            text.append(f"({arguments[0]:g} {symbol} {text[arguments[1]]})")
        elif name == "pow":
            text.append(f"{text[arguments[0]]} ** {arguments[1]:g}")
        elif name == "neg":
            text.append(f"-{text[arguments[0]]}")
        else:
            text.append(f"{name}({text[arguments[0]]})")
    expression = text[-1]
    if expression.startswith("(") and expression.endswith(")"):
        expression = expression[1:-1]
    return f"{expression} at {where}"
