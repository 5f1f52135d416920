"""The array engine: reverse mode where a node holds a whole numpy array.

A scalar `Value` is one node per number; an `ArrayNode` is one node per array
operation, so a matrix product of 2000×64 by 64×64 is one node, and the
backward pass costs a few numpy calls per operation. Each node stores its
value, the primitive that made it and that primitive's inputs; the primitive's
vector-Jacobian product (VJP) turns the gradient of the output into the
gradient of each input when the backward pass reaches it. A Jacobian is never
formed: for an elementwise function of a million numbers it would have 10¹²
entries, while its VJP is one multiply.

Inside a derivative pass of `autodiff_lab.functional` a node keeps only what
its VJP reads (``ArrayPrimitive.reads``): tanh's keeps its output, a sum
nothing but shapes. An input it does not read becomes `Dropped` (its shape
and dtype), and a node whose output its VJP does not read is recorded by its
children through a ``twin`` without it, so that the output is freed as soon as
the function lets go of the node, as HIPS autograd's VJP closures free what
they do not capture.

Levels, as in `autodiff_lab.reverse`: every derivative pass draws a fresh level
from `core.new_level`, and the newest level is the outer layer. A node's
value is a plain array or a node of an older level, so an operation on a node
of level L records at L and computes its value by the same rules one layer
down. VJPs are written with the primitives themselves, so a backward pass
whose gradients or values are nodes of an outer pass is recorded by that
pass: derivatives of derivatives, to any depth.

Forward mode uses the same levels: an `ArrayDual` holds an array and its
tangent, and a primitive applied to one computes the output's tangent from
the primitive's JVP rule. The outermost (newest) of the nodes and duals
among the arguments decides which happens.

Array nodes and duals are kinds of the core (`autodiff_lab.core`), which
dispatches every operation and runs the backward pass; a scalar `Value` or
`Dual` that meets arrays becomes a 0-d node of its own level (`lift`), so
the scalar and array engines combine. The primitives live in
`autodiff_lab.array_rules`; this module only knows how to record one
(`ArrayPrimitive`) and push a tangent through one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import numpy as np

from . import core, rules
from .forward import Dual
from .reverse import MODES, AnomalyError

_SCALAR_REVERSE = frozenset(kind for kind, entry in core.KINDS.items() if entry.family == "reverse")


class ArrayPrimitive:
    """One differentiable array operation: numpy's function, its VJP and its JVP.

    ``vjp(argnums, g, ans, args, kwargs)`` gives, for each position in
    ``argnums``, that argument's share of the output gradient ``g``;
    ``jvp(argnums, tangents, ans, args, kwargs)`` gives the output's tangent
    from the tangents of the arguments at ``argnums``.
    ``batched_jvp`` (same arguments, optional) takes tangents with a leading batch axis,
    ``(k,) + shape``, and gives the output's k tangents at once, or NotImplemented where
    it cannot; without one, ``jvp`` runs once per tangent (`batched_tangent`).
    ``differentiable`` lists the positions a gradient may flow into (None: all).
    ``scalar`` is the entry of the scalar rule table an elementwise primitive
    applies to each element (None for an operation on whole arrays, such as a
    sum): the core knows from it which primitives act elementwise.
    """

    __slots__ = (
        "name",
        "raw",
        "vjp",
        "jvp",
        "batched_jvp",
        "formula",
        "differentiable",
        "scalar",
        "reads",
    )

    is_array = True

    def __init__(
        self,
        name: str,
        raw: Callable,
        vjp: Callable,
        formula: str,
        differentiable: tuple[int, ...] | None = None,
        jvp: Callable | None = None,
        scalar: rules.Primitive | None = None,
        reads: Callable | None = None,
        batched_jvp: Callable | None = None,
    ) -> None:
        self.name = name
        self.raw = raw
        self.vjp = vjp
        self.jvp = jvp
        self.batched_jvp = batched_jvp
        self.formula = formula
        self.differentiable = differentiable
        self.scalar = scalar
        # reads(positions, count) -> (input positions, whether ans): the numbers the VJP
        # reads when the inputs at `positions` (of `count`) need gradients; of the others it
        # reads the shape and dtype at most. None: it may read everything.
        self.reads = reads

    def __call__(self, *args, **kwargs):
        if kwargs and self.scalar is not None and any(type(arg) in core.KINDS for arg in args):
            _refuse_ufunc_options(self, kwargs)  # numpy's where=, out= ... on a traced array
        # The common case first: array nodes of one pass among numbers and numeric arrays,
        # which the core would hand to `_record` (the same rule, without its general search).
        level = None
        for arg in args:
            arg_type = type(arg)
            if arg_type is ArrayNode and (level is None or arg.level == level):
                level = arg.level
            elif arg_type in core.KINDS or (arg_type is np.ndarray and arg.dtype.hasobject):
                break  # another kind, another level or an array of objects: the core decides
        else:
            if level is not None:
                return _record(self, level, args, kwargs)
            return self.evaluate(args, kwargs)
        for arg in args:
            if type(arg) in core.KINDS:
                return core.dispatch(self, args, kwargs)
        return self.evaluate(args, kwargs)  # numpy's own on an array of objects

    def evaluate(self, args: tuple, kwargs: dict | None = None):
        """numpy's function on plain arrays, with IEEE answers (inf, nan), as the rule
        table gives (see `core.ieee_arithmetic`)."""
        if core.IEEE.quiet:
            return self.raw(*args, **(kwargs or {}))
        with np.errstate(all="ignore"):
            return self.raw(*args, **(kwargs or {}))

    def __repr__(self) -> str:
        return f"<array primitive {self.name}: {self.formula}>"


def _refuse_ufunc_options(primitive: ArrayPrimitive, kwargs: dict) -> None:
    """An elementwise function's numpy options (``where=``, ``out=``, ``dtype=`` ...) have no
    rule: its derivative would ignore them (``where=`` leaves entries unset, ``out=`` writes
    into an array the graph does not follow), so a traced call refuses them."""
    options = ", ".join(f"{name}=" for name in kwargs)
    raise TypeError(
        f"{primitive.name}() of a traced array takes no {options}: the derivative would not "
        f"follow it. Call {primitive.name}() without it; for a mask, use "
        "autodiff_lab.numpy.where(mask, result, other)."
    )


def _record(primitive: ArrayPrimitive, level: int, args: tuple, kwargs: dict) -> ArrayNode:
    """The core's call when an array node of ``level`` is the outer layer."""
    if not primitive.is_array:
        primitive = primitive.array_form
    if primitive.differentiable is not None:
        _check_operands(primitive, args)
    values = []
    parents = []
    positions = []
    nested = False  # a value is a node of an older pass
    sizable = False  # a value is an array worth dropping from the record
    constant_arrays = False  # an operand is a numpy array of the caller's, or an index of them
    for position, arg in enumerate(args):
        arg_type = type(arg)
        if arg_type in _SCALAR_REVERSE or (arg_type is np.ndarray and arg.dtype.kind == "O"):
            arg = lift(arg)  # Values meet arrays: an array node of their own level
            arg_type = type(arg)
        if arg_type is ArrayNode and arg.level == level:
            value = arg.value
            parents.append(arg if arg.twin is None else arg.twin)
            positions.append(position)
        else:
            value = arg
            constant_arrays = constant_arrays or isinstance(arg, (np.ndarray, tuple))
        value_type = type(value)
        if value_type is np.ndarray:
            sizable = sizable or value.nbytes >= _WORTH_DROPPING
        elif value_type in core.KINDS:
            nested = True
        values.append(value)
    values = tuple(values)
    if nested:  # the same primitive one layer down, recorded by an older pass
        out = core.dispatch(primitive, values, kwargs)
    else:
        out = primitive.evaluate(values, kwargs)
    if MODES.detect_anomaly:
        _check_finite(out, f"forward pass: {primitive.name}")
    if not MODES.recording:  # inside no_grad(): a leaf, the gradient stops here
        return ArrayNode(out, level)
    node = ArrayNode.__new__(ArrayNode)
    node.value = out
    node.level = level
    node.op = primitive
    node.inputs = values
    node.kwargs = kwargs
    node.parents = tuple(parents)
    node.positions = tuple(positions)
    node.grad = None
    node.twin = None
    if (sizable or _worth_dropping(out)) and level in LEAN_LEVELS and primitive.reads is not None:
        _keep_what_is_read(node, primitive.reads(node.positions, len(values)))
    if constant_arrays and level in _LOCKED:
        _guard_constants(node, level)
    return node


def _guard_constants(node: ArrayNode, level: int) -> None:
    """Keep the constant arrays ``node``'s VJP reads from changing before it runs.

    The VJP runs after the function has gone on, and by then the caller may have written
    into such an array (a buffer reused in place, a batch refilled before a `vjp` pullback
    runs): the gradient would silently be that of other numbers. While the pass's function
    runs, each one is read-only, so that a write fails where it is made (numpy: "assignment
    destination is read-only"); a pass whose pullback may run later copies them instead.
    """
    reads = node.op.reads
    count = len(node.inputs)
    read = range(count) if reads is None else reads(node.positions, count)[0]
    copying = level in _COPYING_LEVELS
    inputs = list(node.inputs)
    for position in read:
        value = inputs[position]
        if position in node.positions or not isinstance(value, (np.ndarray, tuple)):
            continue
        if type(value) is tuple:  # an index such as x[rows, :]
            inputs[position] = tuple(_guarded(part, level, copying) for part in value)
        else:
            inputs[position] = _guarded(value, level, copying)
    node.inputs = tuple(inputs)
    if node.twin is not None:
        node.twin.inputs = node.inputs


def _guarded(value, level: int, copying: bool):
    if not isinstance(value, np.ndarray):
        return value
    if copying:
        return value.copy()
    keep_unchanged(value, level)
    return value


def keep_unchanged(array: np.ndarray, level: int) -> None:
    """Make ``array`` read-only until the function of ``level``'s pass returns."""
    if array.flags.writeable:
        array.flags.writeable = False
        _LOCKED[level].append(array)


LEAN_LEVELS: set[int] = set()
"""Passes whose records keep only what their VJPs read (`autodiff_lab.functional` adds
its passes while their function runs; a graph made to be drawn keeps everything)."""

_READ_ONLY_NOTE = (
    "autodiff-lab: while a derivative's function runs, the numpy arrays it is taken at, and "
    "those it has used where the gradient reads them, are read-only: a write would change "
    "the gradient of what was computed. Write into a copy (a = a.copy()) or a new array."
)
_ABOUT_WRITING = re.compile(r"read-only|writable|writeable")
_LOCKED: dict[int, list[np.ndarray]] = {}  # by running pass: the arrays it made read-only
_COPYING_LEVELS: set[int] = set()  # running passes whose pullback may run after they end


@contextmanager
def recording_pass(level: int, *, lean: bool = True, pulled_later: bool = False) -> Iterator[None]:
    """While a pass runs its function: its records keep only what their VJPs read
    (``lean``), and the constant arrays those read cannot change before the pullback
    (`_guard_constants`): read-only until the function returns, or, for a pass pulled
    back after that (``pulled_later``: `vjp`, a drawn graph), copied."""
    if lean:
        LEAN_LEVELS.add(level)
    if pulled_later:
        _COPYING_LEVELS.add(level)
    _LOCKED[level] = []
    try:
        yield
    except ValueError as error:  # numpy's words for a write into one of them: say why
        if _LOCKED[level] and _ABOUT_WRITING.search(str(error)) and hasattr(error, "add_note"):
            error.add_note(_READ_ONLY_NOTE)
        raise
    finally:
        LEAN_LEVELS.discard(level)
        _COPYING_LEVELS.discard(level)
        for array in _LOCKED.pop(level):
            with suppress(ValueError):  # its base was made read-only meanwhile: leave it so
                array.flags.writeable = True


_WORTH_DROPPING = 4096  # bytes: a smaller array costs less to keep than to replace


class Dropped:
    """What a record keeps of an array its VJP does not read: the shape and dtype."""

    __slots__ = ("shape", "dtype")

    def __init__(self, array: np.ndarray) -> None:
        self.shape = array.shape
        self.dtype = array.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<not kept, its VJP does not read it: {self.dtype} array of shape {self.shape}>"


def _worth_dropping(value) -> bool:
    return type(value) is np.ndarray and value.nbytes >= _WORTH_DROPPING


def _keep_what_is_read(node: ArrayNode, reads: tuple) -> None:
    """Let ``node``'s record hold only the inputs and output its VJP reads.

    Inputs become `Dropped` in its ``inputs``. The output stays in ``node.value``
    for the caller, who may go on using it; but the children of ``node`` will hold
    ``node.twin``, a twin that records the same operation without the output, so
    that the output is freed as soon as the caller lets go of ``node``.
    """
    kept_inputs, keeps_output = reads
    inputs = None
    for position, value in enumerate(node.inputs):
        if position not in kept_inputs and _worth_dropping(value):
            if inputs is None:
                inputs = list(node.inputs)
            inputs[position] = Dropped(value)
    if inputs is not None:
        node.inputs = tuple(inputs)
    if not keeps_output and _worth_dropping(node.value):
        twin = ArrayNode.__new__(ArrayNode)
        twin.value = Dropped(node.value)
        twin.level = node.level
        twin.op = node.op
        twin.inputs = node.inputs
        twin.kwargs = node.kwargs
        twin.parents = node.parents
        twin.positions = node.positions
        twin.grad = None
        twin.twin = None
        node.twin = twin


def _array_form(primitive):
    """An array primitive as it is; a scalar one as its elementwise form."""
    return primitive if primitive.is_array else primitive.array_form


def _one_layer_down(primitive: ArrayPrimitive, values: tuple, kwargs: dict):
    """The primitive on the values under the outer layer: numpy's function when they
    are plain (the common case, one call), else the primitive again (an older level)."""
    for value in values:
        if type(value) in core.KINDS:
            return core.dispatch(primitive, values, kwargs)
    return primitive.evaluate(values, kwargs)


def _check_operands(primitive: ArrayPrimitive, args: tuple) -> None:
    allowed = primitive.differentiable
    if allowed is None:
        return
    for position, arg in enumerate(args):
        if position not in allowed and core.is_node(arg):
            raise TypeError(
                f"{primitive.name}: argument {position} cannot be differentiated "
                "(it must be a constant, not a traced number or array)"
            )


def _push(primitive: ArrayPrimitive, level: int, args: tuple, kwargs: dict) -> ArrayDual:
    """Forward mode: the primal one layer down, the tangent from the JVP rule (the k
    tangents at once, from `batched_tangent`, when the duals carry a batch of them)."""
    primitive = _array_form(primitive)
    _check_operands(primitive, args)
    primals = []
    positions = []
    tangents = []
    batches = []
    batch = None
    for position, arg in enumerate(args):
        if type(arg) is Dual or (type(arg) is np.ndarray and arg.dtype == object):
            arg = lift(arg)  # Duals meet arrays: an array dual of their own level
        if type(arg) is ArrayDual and arg.level == level:
            primals.append(arg.value)
            positions.append(position)
            tangents.append(arg.tangent)
            batches.append(arg.batch)
            if arg.batch is not None:
                if batch is not None and arg.batch != batch:
                    raise ValueError(
                        f"{primitive.name}: tangents of one pass in batches of {batch} and "
                        f"{arg.batch}"
                    )
                batch = arg.batch
        else:
            primals.append(arg)
    primals = tuple(primals)
    positions = tuple(positions)
    out = _one_layer_down(primitive, primals, kwargs)
    with core.ieee_arithmetic():
        if batch is None:
            tangent = primitive.jvp(positions, tangents, out, primals, kwargs)
        else:
            tangent = _BATCHING[0](
                primitive, positions, tangents, batches, batch, out, primals, kwargs
            )
    if MODES.detect_anomaly:
        _check_finite(out, f"forward pass: {primitive.name}")
        _check_finite(tangent, f"forward pass: the JVP of {primitive.name}")
    return ArrayDual(out, tangent, level, batch)


_BATCHING: list = []  # the one function that pushes a batch of tangents (array_rules gives it)


def register_batching(push: Callable) -> None:
    """Let ``push(primitive, positions, tangents, batches, k, ans, args, kwargs)`` give an
    output's k tangents when the duals carry batches (``batches``: each tangent's k, or
    None for one tangent); `autodiff_lab.array_rules` registers it, with the rules."""
    _BATCHING[:] = [push]


def _check_finite(array, where: str) -> None:
    """Inside `detect_anomaly()`: raise at the first array holding a nan or inf."""
    values = np.asarray(numbers(array), dtype=float)
    if not np.all(np.isfinite(values)):
        bad = np.argwhere(~np.isfinite(values))
        first = tuple(int(i) for i in bad[0]) if values.ndim else ()
        raise AnomalyError(
            f"{where} gave {values[first] if values.ndim else float(values)} at index "
            f"{first} of an array of shape {values.shape} ({len(bad)} such entries)"
        )


class Traced:
    """What array nodes and array duals share: a value, a level, numpy's look.

    Comparisons look at the numbers, so loops and branches work as on plain
    arrays; turning one into plain numbers (``numpy.asarray``, ``float``) is refused.
    """

    __slots__ = ()
    __array_priority__ = 100.0

    # -- what it holds ---------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return np.shape(self.value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self):
        return np.result_type(numbers(self))

    def item(self):
        """The one number inside, as a plain Python number (no derivative flows through it)."""
        return np.asarray(numbers(self)).item()

    def astype(self, dtype):
        """Itself for a float type; plain numbers for a bool or integer type (slope 0)."""
        return core.as_type(self, dtype, numbers(self))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "numpy tried to turn a traced array into a plain array, which would drop "
            "its derivative; use autodiff_lab.numpy's functions on it, or take its "
            "numbers with autodiff_lab.arrays.numbers(node) if you mean to stop the gradient"
        )

    def __bool__(self) -> bool:
        return bool(numbers(self))

    def __float__(self) -> float:
        raise TypeError(
            "float() of a traced array would drop its derivative; use autodiff_lab.numpy's "
            "functions on it, or float(autodiff_lab.arrays.numbers(node)) to stop the gradient"
        )

    # -- comparisons look at the numbers --------------------------------------
    def __lt__(self, other):
        return numbers(self) < numbers(other)

    def __le__(self, other):
        return numbers(self) <= numbers(other)

    def __gt__(self, other):
        return numbers(self) > numbers(other)

    def __ge__(self, other):
        return numbers(self) >= numbers(other)

    def __eq__(self, other):
        return numbers(self) == numbers(other)

    def __ne__(self, other):
        return numbers(self) != numbers(other)

    __hash__ = object.__hash__


class ArrayNode(Traced):
    """An array that remembers how it was computed (made by the reverse-mode functions).

    Arithmetic, indexing and the methods of numpy record operations. ``parents``
    are the inputs of this pass that ``op`` was applied to, at argument
    ``positions``; ``grad`` is the gradient a backward pass gives it.
    """

    __slots__ = (
        "value",
        "level",
        "op",
        "inputs",
        "kwargs",
        "parents",
        "positions",
        "grad",
        "twin",
    )

    def __init__(self, value, level: int) -> None:
        self.value = value
        self.level = level
        self.op = None
        self.inputs = ()
        self.kwargs = {}
        self.parents = ()
        self.positions = ()
        self.grad = None
        self.twin = None  # what its children record in its place, when that keeps less

    def pull(self, g) -> tuple:
        """The share of ``g`` (this node's gradient) that goes to each parent: op's VJP.

        A real parent gets the real part of a complex share (HIPS autograd's
        convention: a real input has a real gradient).
        """
        shares = self.op.vjp(self.positions, g, self.value, self.inputs, self.kwargs)
        # a real g gives real shares: only a complex one needs a look
        if g.dtype.kind == "c" if type(g) is np.ndarray else _is_complex(g):
            shares = list(shares)
            for index, (parent, share) in enumerate(zip(self.parents, shares)):
                if type(parent) is ArrayNode and _is_complex(share):
                    if not _is_complex(parent.value):
                        shares[index] = share.real
        if MODES.detect_anomaly:
            for share in shares:
                _check_finite(share, f"backward pass: the VJP of {self.op.name}")
        return tuple(shares)

    def __repr__(self) -> str:
        return f"ArrayNode(shape={self.shape}, level={self.level}, op={self.op and self.op.name})"


class ArrayDual(Traced):
    """An array with a tangent of the same shape (made by ``jvp`` on arrays), or with
    ``batch`` tangents at once: then the tangent has shape ``(batch,) + shape``, the
    batch axis first (a forward Jacobian pushes every direction in one pass, as JAX's
    vmap of the JVP does)."""

    __slots__ = ("value", "tangent", "level", "batch")

    def __init__(self, value, tangent, level: int, batch: int | None = None) -> None:
        self.value = value
        self.tangent = tangent
        self.level = level
        self.batch = batch

    def __repr__(self) -> str:
        batch = "" if self.batch is None else f", batch={self.batch}"
        return f"ArrayDual(shape={self.shape}, level={self.level}{batch})"


TRACED = (ArrayNode, ArrayDual)


def is_traced(x) -> bool:
    """True for an array node or an array dual."""
    kind = type(x)
    return kind is ArrayNode or kind is ArrayDual


def numbers(x):
    """The plain numbers inside ``x``: its value with every level, of any kind, stripped."""
    while True:
        kind = type(x)
        if kind is ArrayNode or kind is ArrayDual:
            x = x.value
        elif kind is Dual:
            x = x.primal
        elif kind in _SCALAR_REVERSE:
            x = x._data
        else:
            return x


def _is_complex(x) -> bool:
    numbers_inside = numbers(x)
    if isinstance(numbers_inside, (np.ndarray, Dropped)):
        return numbers_inside.dtype.kind == "c"
    return isinstance(numbers_inside, (complex, np.complexfloating))


def level_of(x) -> int:
    """The level of a node or dual, -1 for anything else."""
    return x.level if is_traced(x) else -1


# ---------------------------------------------------------------------------
# Scalar nodes meeting arrays


def _lift_vjp(positions, g, ans, args, kwargs):
    """Each scalar parent's entry of the gradient, as the number a Value's gradient is
    (or a 0-d node of an outer pass)."""
    shape = np.shape(ans) if not is_traced(ans) else ans.shape
    shares = []
    for position in positions:
        share = g[np.unravel_index(position, shape)] if shape else g
        shares.append(share if core.is_node(share) else float(np.real(share)))  # a Value is real
    return shares


LIFT = ArrayPrimitive(
    "lift",
    lambda *items: np.array(items),
    _lift_vjp,
    "ḡ's entries passed back to the scalars",
)


def lift(x):
    """Scalar nodes as their array counterpart of the same level; numbers as arrays.

    A `Value` (or an array of objects holding Values) becomes an `ArrayNode` whose
    parents are those Values, so a backward pass sends each entry of the node's
    gradient back into its Value; a `Dual` becomes an `ArrayDual` with the same
    primals and tangents. Array nodes and numeric arrays stay as they are.
    """
    kind = type(x)
    if kind is ArrayNode or kind is ArrayDual:
        return x
    if kind is np.ndarray:
        return _lift_objects(x) if x.dtype == object else x
    if kind in core.KINDS:
        items = np.empty((), dtype=object)
        items[()] = x
        return _lift_objects(items)
    return np.asarray(x, dtype=np.float64) if rules.is_number(x) else x


def _lift_objects(items: np.ndarray):
    """An array of numbers and scalar nodes as one array node (or dual) of the newest level
    among them; older nodes stay inside its value, lifted in their turn."""
    top = None
    for item in items.flat:
        kind = core.KINDS.get(type(item))
        if kind is not None:
            if kind.holds_arrays or kind.family == "symbolic":
                raise TypeError(f"a {type(item).__name__} cannot be an entry of an array")
            key = (kind.level_of(item), kind.rank)
            if top is None or key > top[0]:
                top = (key, kind)
    if top is None:
        return np.array(items.tolist(), dtype=np.result_type(*items.flat, np.float64))
    (level, _), kind = top
    flat = list(items.flat)
    if kind.family == "forward":
        primals = [
            item.primal if type(item) is Dual and item.tag == level else item for item in flat
        ]
        tangents = [
            item.tangent if type(item) is Dual and item.tag == level else 0.0 for item in flat
        ]
        primal = lift(_objects(primals, items.shape))
        batch = next((len(t) for t in tangents if isinstance(t, np.ndarray)), None)
        if batch is None:
            return ArrayDual(primal, lift(_objects(tangents, items.shape)), level)
        # Duals carrying a vector of tangents (a batched forward Jacobian): a batched dual
        # whose tangent has the batch axis first; a constant's 0.0 is zero in every direction.
        vectors = np.empty(items.shape + (batch,), dtype=object)
        for index, tangent in zip(np.ndindex(*items.shape), tangents):
            vectors[index] = tangent
        return ArrayDual(primal, lift(np.moveaxis(vectors, -1, 0)), level, batch)
    mine = [index for index, item in enumerate(flat) if core.level_of(item) == level]
    inner = [item._data if core.level_of(item) == level else item for item in flat]
    node = ArrayNode(lift(_objects(inner, items.shape)), level)
    if MODES.recording:
        node.op = LIFT
        node.inputs = tuple(inner)
        node.parents = tuple(flat[index] for index in mine)
        node.positions = tuple(mine)
    return node


def _objects(items: list, shape: tuple) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array.reshape(shape)


def array_leaf(value, level: int) -> ArrayNode:
    """A new array node of ``level`` holding ``value`` (an array, or an array node or dual
    of an older pass, or a scalar node of an older pass, which becomes its 0-d form)."""
    return ArrayNode(lift(value) if core.is_node(value) else value, level)


core.register_kind(
    ArrayNode,
    rank=35,
    family="reverse",
    level_of=lambda node: node.level,
    apply=_record,
    holds_arrays=True,
)
core.register_kind(
    ArrayDual,
    rank=25,
    family="forward",
    level_of=lambda dual: dual.level,
    apply=_push,
    holds_arrays=True,
)
