"""The array primitives: numpy's function and the VJP of each, in one table.

Elementwise primitives are not written here: each is an entry of the rule table
(`autodiff_lab.rules`) whose partials, written with operators, are evaluated on
whole arrays; its VJP multiplies the output gradient by them and sums over the
axes broadcasting added (`unbroadcast`). A few partials of the table branch on
a number (``sign``, relu's step, the ties of ``maximum``); their array forms
are the ``_ARRAY_PARTIALS`` below, with the same values, PyTorch's.

The structural primitives (sums, products, shapes, indexing, softmax) get a
VJP and a JVP each, written with these same primitives, so that a backward
pass over nodes of an outer derivative pass is itself recorded, and a forward
pass over them carries their tangents (see `autodiff_lab.arrays`).

A forward pass may carry a batch of k tangents at once, the batch axis first
(`batched_tangent`): elementwise and linear primitives, and most others, have a
batched JVP beside their JVP; a primitive without one (or a case its batched JVP
does not cover) runs its JVP once per tangent.
"""

from __future__ import annotations

import dis
import math

import numpy as np

from . import core, rules
from .arrays import ArrayPrimitive, is_traced, level_of, numbers, register_batching
from .rules import (
    ABS,
    ARCTAN2,
    MAXIMUM,
    MINIMUM,
    MOD,
    POW,
    POWC,
    RELU,
    Primitive,
)


def shape_of(x) -> tuple:
    """The shape of an array, a node or a number."""
    if type(x) is np.ndarray or is_traced(x):
        return x.shape
    return np.shape(x)


def _axes(axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(int(a) % ndim if ndim else 0 for a in axis))


def _kept_shape(shape: tuple, axis) -> tuple:
    """``shape`` with the reduced axes kept as size 1 (as keepdims=True gives)."""
    axes = _axes(axis, len(shape))
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def unbroadcast(g, shape: tuple):
    """Sum ``g`` over the axes that broadcasting added to an input of ``shape``."""
    g_shape = shape_of(g)
    if g_shape == shape:
        return g
    extra = len(g_shape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and g_shape[extra + i] != 1
    )
    if type(g) is np.ndarray:  # plain numbers: numpy's sum itself, no primitive to record
        if axes:
            g = np.add.reduce(g, axis=axes)
        return g if g.shape == shape else g.reshape(shape)
    if axes:
        g = SUM(g, axis=axes)
    return g if shape_of(g) == shape else RESHAPE(g, shape)


def _spread(g, x_shape: tuple, axis, keepdims: bool):
    """The gradient of a reduction's output, broadcast back to its input's shape."""
    if _is_plain(g):  # plain numbers: no primitive to record
        g = np.asarray(g)
        return np.broadcast_to(g if keepdims else g.reshape(_kept_shape(x_shape, axis)), x_shape)
    if not keepdims:
        g = RESHAPE(g, _kept_shape(x_shape, axis))
    return BROADCAST_TO(g, x_shape)


def _is_plain(g) -> bool:
    """Numbers numpy computes with directly: an array, a float or a numpy scalar."""
    return type(g) is np.ndarray or type(g) is float or isinstance(g, np.generic)


def _each(*rules_by_position):
    """A VJP from one function ``(g, ans, *args, **kwargs)`` per argument position."""

    def vjp(positions, g, ans, args, kwargs):
        return [rules_by_position[p](g, ans, *args, **kwargs) for p in positions]

    return vjp


def _variadic(share):
    """A VJP for a function of any number of arrays: ``share(p, g, ans, args, kwargs)``."""

    def vjp(positions, g, ans, args, kwargs):
        return [share(p, g, ans, args, kwargs) for p in positions]

    return vjp


# ---------------------------------------------------------------------------
# Elementwise: the rule table, evaluated on arrays


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _relu(a):
    return np.where(a <= 0, 0.0, a)  # nan stays nan, as in PyTorch and the table


def _sign(a):
    return np.where(a > 0, 1.0, np.where(a < 0, -1.0, 0.0))  # sign(nan) is 0, as the table says


_NUMPY = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "pow": np.power,
    "mod": np.remainder,
    "neg": np.negative,
    "abs": np.abs,
    "sigmoid": _sigmoid,
    "relu": _relu,
    "sign": _sign,
}


def _raw(primitive: Primitive):
    return _NUMPY.get(primitive.name) or getattr(np, primitive.name)


def _max_partials(a, b, out):
    a, b = numbers(a), numbers(b)
    tie = a == b
    return (
        np.where(tie, 0.5, np.where(a < b, 0.0, 1.0)),
        np.where(tie, 0.5, np.where(a > b, 0.0, 1.0)),
    )


def _min_partials(a, b, out):
    a, b = numbers(a), numbers(b)
    tie = a == b
    return (
        np.where(tie, 0.5, np.where(a > b, 0.0, 1.0)),
        np.where(tie, 0.5, np.where(a < b, 0.0, 1.0)),
    )


def _arctan2_partials(a, b, out):
    radius2 = a * a + b * b
    origin = numbers(radius2) == 0  # PyTorch takes both partials as 0 there
    safe = WHERE(origin, 1.0, radius2)
    return (WHERE(origin, 0.0, b / safe), WHERE(origin, 0.0, -a / safe))


def _pow_partials(a, b, out):
    # The table's two cases, as masks: where b == 0 the base partial is 0 (if b is
    # a plain number, or a == 0), and where a == 0 <= b the exponent partial is 0.
    na, nb = numbers(a), numbers(b)
    zero_base = (nb == 0) & ((level_of(b) < 0) | (na == 0))
    base = WHERE(zero_base, 0.0, b * POW_ARRAY(a, b - 1.0))
    constant = (na == 0) & (nb >= 0)
    exponent = WHERE(constant, 0.0, out * LOG_ARRAY(WHERE(constant, 1.0, a)))
    return base, exponent


def _mod_partials(a, b, out):
    with np.errstate(all="ignore"):
        return (1.0, -np.floor_divide(numbers(a), numbers(b)))


def _abs_partials(a, out):
    if not np.iscomplexobj(numbers(a)):
        return (_sign(numbers(a)),)
    # |z| of a complex z: ∂|z|/∂x - i·∂|z|/∂y = conj(z)/|z|, taken as 0 at z = 0 (autograd's)
    zero = numbers(out) == 0
    return (WHERE(zero, 0.0, CONJ(a) / WHERE(zero, 1.0, out)),)


_ARRAY_PARTIALS = {
    ABS: _abs_partials,
    RELU: lambda a, out: (np.where(numbers(a) <= 0, 0.0, 1.0),),
    MAXIMUM: _max_partials,
    MINIMUM: _min_partials,
    ARCTAN2: _arctan2_partials,
    POW: _pow_partials,
    MOD: _mod_partials,
}


def _scaled(g, partial):
    if type(partial) is float:
        if partial == 1.0:
            return g
        if partial == -1.0:
            return -g
    return g * partial


# What each VJP reads (see ArrayPrimitive.reads): a record keeps those numbers only.


def _reading(inputs: tuple[int, ...] = (), output: bool = False):
    """``reads`` for a VJP that reads the same numbers whichever inputs need gradients."""
    answer = (frozenset(inputs), output)
    return lambda positions, count: answer


def _reading_the_others(positions, count: int):
    """Each input's share is ḡ contracted with the other inputs (matmul, einsum)."""
    return frozenset(q for q in range(count) if any(q != p for p in positions)), False


def _parameters_read(function) -> frozenset[int] | None:
    """The positions of ``function``'s parameters that its body reads, from its bytecode;
    None when that cannot be told (no bytecode, ``*args``, a parameter in a closure)."""
    code = getattr(function, "__code__", None)
    if code is None or code.co_flags & 0x0C:  # CO_VARARGS | CO_VARKEYWORDS
        return None
    names = code.co_varnames[: code.co_argcount]
    if set(names) & set(code.co_cellvars):
        return None
    loaded = set()
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith("LOAD_FAST"):
            argval = instruction.argval
            loaded.update(argval if isinstance(argval, tuple) else (argval,))
    return frozenset(i for i, name in enumerate(names) if name in loaded)


def _elementwise_reads(partials, arity: int):
    """An elementwise VJP reads what the partials ``partials(*inputs, out)`` read."""
    read = _parameters_read(partials)
    if read is None:
        return None
    return _reading(tuple(i for i in read if i < arity), arity in read)


def _elementwise(primitive: Primitive, raw=None) -> ArrayPrimitive:
    partials = _ARRAY_PARTIALS.get(primitive, primitive.partials)

    def vjp(positions, g, ans, args, kwargs):
        local = partials(*args, ans)
        shares = []
        for p in positions:
            partial = local[p]
            if type(partial) is float and partial == -1.0:  # negate after summing: fewer numbers
                shares.append(-unbroadcast(g, shape_of(args[p])))
            else:
                shares.append(unbroadcast(_scaled(g, partial), shape_of(args[p])))
        return shares

    def tangent(positions, tangents, ans, args, shape):
        local = partials(*args, ans)
        total = None
        for p, tangent in zip(positions, tangents):
            term = _scaled(tangent, local[p])
            total = term if total is None else total + term
        if np.iscomplexobj(numbers(total)) and not np.iscomplexobj(numbers(ans)):
            total = REAL(total)  # a real function of a complex input (abs): its real part
        return _to_shape(total, shape)

    def jvp(positions, tangents, ans, args, kwargs):
        return tangent(positions, tangents, ans, args, shape_of(ans))

    def batched_jvp(positions, tangents, ans, args, kwargs):
        # each (k,) + x.shape tangent lined up with partials shaped like the output
        out_shape = shape_of(ans)
        lined_up = [_batch_first(t, len(out_shape)) for t in tangents]
        return tangent(positions, lined_up, ans, args, shape_of(tangents[0])[:1] + out_shape)

    differentiable = (0,) if primitive is POWC else None
    raw = raw or _raw(primitive)
    return ArrayPrimitive(
        primitive.name,
        raw,
        vjp,
        primitive.formula,
        differentiable,
        jvp,
        scalar=primitive,
        reads=_elementwise_reads(partials, primitive.arity),
        batched_jvp=batched_jvp,
    )


def _to_shape(tangent, shape: tuple):
    """A tangent broadcast to the output's shape (a partial of 1.0 keeps its input's)."""
    return tangent if shape_of(tangent) == shape else BROADCAST_TO(tangent, shape)


def _reshaped(x, shape: tuple):
    if type(x) is np.ndarray:  # plain numbers: no primitive to record
        return x.reshape(shape)
    return RESHAPE(x, shape)


def _batch_first(tangent, ndim: int):
    """A batch of tangents, shape (k,) + s, as (k,) + (1,)*(ndim - len(s)) + s: it
    broadcasts against arrays of ``ndim`` axes with the batch axis still first."""
    shape = shape_of(tangent)
    missing = ndim - (len(shape) - 1)
    if missing <= 0:
        return tangent
    return _reshaped(tangent, shape[:1] + (1,) * missing + shape[1:])


ELEMENTWISE: dict[Primitive, ArrayPrimitive] = {
    primitive: _elementwise(primitive) for primitive in (*rules.PRIMITIVES.values(), POWC)
}
"""The rule table's primitives, by entry, evaluated on arrays."""

POW_ARRAY = ELEMENTWISE[POW]
LOG_ARRAY = ELEMENTWISE[rules.LOG]
EXP_ARRAY = ELEMENTWISE[rules.EXP]


def elementwise_form(primitive: Primitive) -> ArrayPrimitive:
    """The array form of a scalar primitive; one made outside the table gets the same
    treatment: its float value applied to each element, its partials on the arrays."""
    function = ELEMENTWISE.get(primitive)
    if function is None:
        raw = np.vectorize(primitive.float_value, otypes=[np.float64])
        function = ELEMENTWISE[primitive] = _elementwise(primitive, raw)
    return function


rules.register_array_forms(elementwise_form)


# ---------------------------------------------------------------------------
# Structural primitives


def _sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _mean(x, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


def _count(x_shape, axis) -> int:
    return int(np.prod([x_shape[i] for i in _axes(axis, len(x_shape))]))


def _extreme_shares(ans, x, axis, keepdims):
    """Each entry's share of a max or min: 1/k at the k entries equal to it, else 0
    (ties share evenly, as PyTorch's amax/amin)."""
    kept = np.asarray(numbers(ans))
    if not keepdims:
        kept = kept.reshape(_kept_shape(shape_of(x), axis))
    hits = numbers(x) == kept
    counts = hits.sum(axis=axis, keepdims=True)
    return hits if (counts == 1).all() else hits / counts  # no ties: each maximum takes all


def _extreme_vjp(g, ans, x, axis=None, keepdims=False):
    shares = _extreme_shares(ans, x, axis, keepdims)  # shaped like x: ḡ broadcasts against it
    if not keepdims:
        kept = _kept_shape(shape_of(x), axis)
        g = np.asarray(g).reshape(kept) if _is_plain(g) else RESHAPE(g, kept)
    return g * shares


def _max(x, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


def _min(x, axis=None, keepdims=False):
    return np.min(x, axis=axis, keepdims=keepdims)


def _inverse_axes(axes, ndim: int):
    """The permutation that undoes ``axes`` (which may count from the end, as -1)."""
    return None if axes is None else tuple(np.argsort([axis % ndim for axis in axes]))


def _getitem(x, index):
    return x[index]


def _roll(x, shift: int, axis: int):
    """numpy.roll along one axis, as two slices joined (numpy's own: 17 µs against 3 on 12×12)."""
    x = np.asarray(x)
    size = x.shape[axis]
    cut = size - shift % size if size else 0
    before = (slice(None),) * (axis % x.ndim)
    return np.concatenate((x[(*before, slice(cut, None))], x[(*before, slice(None, cut))]), axis)


def _is_basic(index) -> bool:
    """An index of ints, slices, None and Ellipsis: its entries never repeat."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))
        for part in parts
    )


def _untake(g, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated entries add up)."""
    out = np.zeros(shape, dtype=np.result_type(g, np.float64))
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)
    return out


def _concatenate(*arrays, axis=0):
    return np.concatenate(arrays, axis=axis)


def _concatenate_share(p, g, ans, args, kwargs):
    axis = kwargs.get("axis", 0)
    if axis is None:  # numpy joined the pieces flattened
        start = sum(math.prod(shape_of(a)) for a in args[:p])
        shape = shape_of(args[p])
        return RESHAPE(GETITEM(g, slice(start, start + math.prod(shape))), shape)
    ndim = len(shape_of(ans))
    axis = axis % ndim
    start = sum(shape_of(a)[axis] for a in args[:p])
    stop = start + shape_of(args[p])[axis]
    return GETITEM(g, (slice(None),) * axis + (slice(start, stop),))


def _stack(*arrays, axis=0):
    return np.stack(arrays, axis=axis)


def _stack_share(p, g, ans, args, kwargs):
    axis = kwargs.get("axis", 0) % len(shape_of(ans))
    return GETITEM(g, (slice(None),) * axis + (p,))


def _where(condition, x, y):
    return np.where(condition, x, y)


def _inside(x, low, high):
    """Where low ≤ x ≤ high (PyTorch's clamp: the bounds count as inside; None is no bound)."""
    n = numbers(x)
    inside = np.ones(np.shape(n), dtype=bool)
    if low is not None:
        inside = inside & (n >= low)
    if high is not None:
        inside = inside & (n <= high)
    return inside


def _clip_vjp(g, ans, x, low, high):
    return unbroadcast(g * _inside(x, low, high), shape_of(x))


def _clip(x, low, high):
    return np.clip(x, low, high)


def _swap_last(x):
    if type(x) is np.ndarray:
        return x.swapaxes(-1, -2)
    ndim = len(shape_of(x))
    axes = tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)
    return TRANSPOSE(x, axes)


def _matmul_vjp(positions, g, ans, args, kwargs):
    a, b = args
    a_shape, b_shape = shape_of(a), shape_of(b)
    if len(a_shape) == 2 and len(b_shape) == 2:  # two matrices: ā = ḡ·Bᵀ, b̄ = Aᵀ·ḡ
        return [MATMUL(g, _swap_last(b)) if p == 0 else MATMUL(_swap_last(a), g) for p in positions]
    # as stacks of matrices: a vector is a row on the left, a column on the right
    a2_shape = (1,) + a_shape if len(a_shape) == 1 else a_shape
    b2_shape = b_shape + (1,) if len(b_shape) == 1 else b_shape
    out2 = np.broadcast_shapes(a2_shape[:-2], b2_shape[:-2]) + (a2_shape[-2], b2_shape[-1])
    g2 = RESHAPE(g, out2)
    shares = []
    for p in positions:  # a's share reads b only, and b's a only: a record keeps just those
        if p == 0:
            b2 = RESHAPE(b, b2_shape) if b2_shape != b_shape else b
            share = unbroadcast(MATMUL(g2, _swap_last(b2)), a2_shape)
            shares.append(RESHAPE(share, a_shape))
        else:
            a2 = RESHAPE(a, a2_shape) if a2_shape != a_shape else a
            share = unbroadcast(MATMUL(_swap_last(a2), g2), b2_shape)
            shares.append(RESHAPE(share, b_shape))
    return shares


def _logsumexp(x, axis=None, keepdims=False):
    x = np.asarray(x)
    top = np.max(x, axis=axis, keepdims=True)
    if x.dtype.kind in "biuf":
        top = np.where(np.isfinite(top), top, 0.0)  # all -inf (or an inf) stays exact
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.reshape(out, np.shape(np.sum(x, axis=axis)))


def _logsumexp_vjp(g, ans, x, axis=None, keepdims=False):
    x_shape = shape_of(x)
    kept = ans if keepdims else RESHAPE(ans, _kept_shape(x_shape, axis))
    return _spread(g, x_shape, axis, keepdims) * EXP_ARRAY(x - kept)


def _softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis=-1):
    return x - _logsumexp(x, axis=axis, keepdims=True)


def _broadcast_to(x, shape):
    return np.broadcast_to(x, shape)


def _cumsum(x, axis):
    return np.cumsum(x, axis=axis)


def _cumsum_vjp(g, ans, x, axis):
    # Entry i of x reaches outputs i, i+1, ..., so its gradient sums ḡ from the end.
    backwards = (slice(None),) * (axis % len(shape_of(x))) + (slice(None, None, -1),)
    return GETITEM(CUMSUM(GETITEM(g, backwards), axis), backwards)


def _einsum(*operands, subscripts):
    return np.einsum(subscripts, *operands)


def _einsum_share(p, g, ans, args, kwargs):
    """Operand p's gradient: one einsum of ḡ with the other operands.

    ``subscripts`` is explicit, without ``...`` (see `einsum_subscripts`). A
    letter repeated in operand p (a diagonal) is renamed at its second place,
    with an identity matrix tying the two; a letter found nowhere else was
    summed away, so the gradient is broadcast along it.
    """
    inputs, output = kwargs["subscripts"].split("->")
    inputs = inputs.split(",")
    mine = inputs[p]
    shape = shape_of(args[p])
    unused = iter(sorted(set(_LETTERS) - set(kwargs["subscripts"])))
    target, ties = "", []
    for letter, size in zip(mine, shape):
        if letter in target:
            fresh = next(unused)
            ties.append((letter + fresh, np.eye(size)))
            letter = fresh
        target += letter
    given = [output] + [s for q, s in enumerate(inputs) if q != p] + [t for t, _ in ties]
    known = set("".join(given))
    reached = "".join(letter for letter in target if letter in known)
    operands = [g] + [a for q, a in enumerate(args) if q != p] + [eye for _, eye in ties]
    share = EINSUM(*operands, subscripts=",".join(given) + "->" + reached)
    # a size-1 axis of operand p that numpy broadcast against the others sums back to 1
    share = unbroadcast(share, tuple(n for c, n in zip(target, shape) if c in known))
    if reached != target:
        kept = tuple(n if c in known else 1 for c, n in zip(target, shape))
        share = BROADCAST_TO(RESHAPE(share, kept), shape)
    return share


def _einsum_jvp(positions, tangents, ans, args, kwargs):
    total = None
    for p, tangent in zip(positions, tangents):
        filled = list(args)
        filled[p] = tangent
        term = EINSUM(*filled, **kwargs)
        total = term if total is None else total + term
    return _to_shape(total, shape_of(ans))


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum_subscripts(subscripts: str, shapes: list[tuple]) -> str:
    """numpy's einsum subscripts made explicit: an output after ``->``, and each
    ``...`` written out as letters of its own (aligned from the right, as numpy
    broadcasts them)."""
    subscripts = subscripts.replace(" ", "")
    inputs, arrow, output = subscripts.partition("->")
    inputs = inputs.split(",")
    if len(inputs) != len(shapes):
        raise ValueError(
            f"einsum: {len(inputs)} operands named in {subscripts!r}, got {len(shapes)}"
        )
    spare = [c for c in _LETTERS if c not in subscripts]
    widest = 0
    for term, shape in zip(inputs, shapes):
        if "..." in term:
            widest = max(widest, len(shape) - len(term.replace("...", "")))
    ellipsis = "".join(spare[:widest])
    explicit = []
    for term, shape in zip(inputs, shapes):
        if "..." in term:
            width = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", ellipsis[widest - width :] if width else "")
        explicit.append(term)
    if not arrow:
        letters = "".join(explicit)
        once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ellipsis)
        output = ellipsis + "".join(once)
    else:
        output = output.replace("...", ellipsis)
    return ",".join(explicit) + "->" + output


# JVPs. A linear primitive's tangent is the primitive applied to the tangents
# (zeros for arguments without one); the others are written out.


def _filled(primitive_name: str, positions, tangents, args, batch: tuple = ()) -> list:
    """A linear primitive's arguments with the tangents in place of the arrays (zeros,
    with ``batch`` in front of their shape, for arrays without one)."""
    filled = list(args)
    for p, tangent in zip(positions, tangents):
        filled[p] = tangent
    for p in range(len(args)):
        if p not in positions and p in _LINEAR_ARGUMENTS.get(primitive_name, range(len(args))):
            filled[p] = np.zeros(batch + shape_of(args[p]))
    return filled


def _linear(primitive_name: str):
    def jvp(positions, tangents, ans, args, kwargs):
        return STRUCTURAL[primitive_name](
            *_filled(primitive_name, positions, tangents, args), **kwargs
        )

    return jvp


def _batched_linear(primitive_name: str):
    """The batched JVP of a linear primitive: the primitive on the batched tangents, with
    its ``_BATCH_SHIFTS`` entry ``shift(filled, kwargs, k, ndim)`` giving the arguments for
    the leading batch axis (``ndim``: the first array's rank), or None where numpy would
    not keep that axis first."""

    def batched_jvp(positions, tangents, ans, args, kwargs):
        k = shape_of(tangents[0])[0]
        filled = _filled(primitive_name, positions, tangents, args, (k,))
        moved = _BATCH_SHIFTS[primitive_name](filled, kwargs, k, len(shape_of(args[0])))
        if moved is None:
            return NotImplemented
        return STRUCTURAL[primitive_name](*moved[0], **moved[1])

    return batched_jvp


def _after_batch(axis: int) -> int:
    """An axis of an array once a batch axis is put in front (a negative one counts from
    the end, so it stays)."""
    axis = int(axis)
    return axis + 1 if axis >= 0 else axis


def _batch_axes(axis, ndim: int):
    """A reduction's ``axis`` for the batched array: None (all) is all but the batch axis."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, (int, np.integer)):
        return _after_batch(axis)
    return tuple(_after_batch(a) for a in axis)


def _shape_tuple(shape) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)


def _batch_index(index):
    """``index`` for an array with a batch axis in front, or None where numpy would not
    keep that axis first: advanced indices (arrays, and integers among them) that are not
    side by side put their axes in front; a bool alone adds an axis."""
    parts = index if isinstance(index, tuple) else (index,)
    simple = [
        part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))
        for part in parts
    ]
    if any(isinstance(part, (bool, np.bool_)) for part in parts):
        return None
    if not all(simple):
        advanced = [
            i
            for i, part in enumerate(parts)
            if not simple[i] or isinstance(part, (int, np.integer))
        ]
        if advanced != list(range(advanced[0], advanced[-1] + 1)):
            return None
    return (slice(None),) + parts


def _axis_keyword(default, variadic: bool = False):
    """``shift`` for a primitive whose axis is the keyword ``axis`` (None: flattened, not
    batched here) and whose arrays are all its positional arguments (``variadic``) or
    the first."""

    def shift(filled, kwargs, k, ndim):
        if len(filled) > 1 and not variadic:
            return None  # an axis given by position
        axis = kwargs.get("axis", default)
        if axis is None and default is not None:
            return None
        return filled, {**kwargs, "axis": _batch_axes(axis, ndim)}

    return shift


def _shift_reshape(filled, kwargs, k, ndim):
    if len(filled) != 2 or kwargs:
        return None
    return (filled[0], (k,) + _shape_tuple(filled[1])), {}


def _shift_transpose(filled, kwargs, k, ndim):
    axes = filled[1] if len(filled) > 1 else kwargs.get("axes")
    if axes is None:
        axes = tuple(range(ndim - 1, -1, -1))
    return (filled[0], (0,) + tuple(int(a) % ndim + 1 for a in axes)), {}


def _shift_getitem(filled, kwargs, k, ndim):
    index = _batch_index(filled[1])
    return None if index is None else ((filled[0], index), kwargs)


def _shift_untake(filled, kwargs, k, ndim):
    index = _batch_index(filled[1])
    return None if index is None else ((filled[0], index, (k,) + _shape_tuple(filled[2])), kwargs)


def _shift_roll(filled, kwargs, k, ndim):
    return (filled[0], filled[1], _after_batch(filled[2])), kwargs


def _shift_cumsum(filled, kwargs, k, ndim):
    if filled[1] is None:
        return None
    return (filled[0], _after_batch(filled[1])), kwargs


def _shift_broadcast_to(filled, kwargs, k, ndim):
    shape = _shape_tuple(filled[1])
    return (_batch_first(filled[0], len(shape)), (k,) + shape), kwargs


_BATCH_SHIFTS = {
    "sum": _axis_keyword(None),
    "mean": _axis_keyword(None),
    "reshape": _shift_reshape,
    "transpose": _shift_transpose,
    "broadcast_to": _shift_broadcast_to,
    "getitem": _shift_getitem,
    "untake": _shift_untake,
    "concatenate": _axis_keyword(0, variadic=True),
    "stack": _axis_keyword(0, variadic=True),
    "cumsum": _shift_cumsum,
    "roll": _shift_roll,
}


_LINEAR_ARGUMENTS = {
    "getitem": (0,),
    "untake": (0,),
    "reshape": (0,),
    "broadcast_to": (0,),
    "transpose": (0,),
    "cumsum": (0,),
    "roll": (0,),
}


def _one_tangent(rule):
    """A JVP for a primitive differentiable in its first argument only."""
    return lambda positions, tangents, ans, args, kwargs: rule(tangents[0], ans, *args, **kwargs)


def _extreme_jvp(tangent, ans, x, axis=None, keepdims=False):
    share = _extreme_shares(ans, x, axis, keepdims)
    return SUM(tangent * share, axis=axis, keepdims=keepdims)


def _where_jvp(positions, tangents, ans, args, kwargs):
    condition, x, y = args
    given = dict(zip(positions, tangents))
    return _to_shape(WHERE(condition, given.get(1, 0.0), given.get(2, 0.0)), shape_of(ans))


def _clip_jvp(tangent, ans, x, low, high):
    return _to_shape(tangent * _inside(x, low, high), shape_of(ans))


def _matmul_jvp(positions, tangents, ans, args, kwargs):
    a, b = args
    given = dict(zip(positions, tangents))
    total = None
    if 0 in given:
        total = MATMUL(given[0], b)
    if 1 in given:
        term = MATMUL(a, given[1])
        total = term if total is None else total + term
    return _to_shape(total, shape_of(ans))


def _logsumexp_jvp(tangent, ans, x, axis=None, keepdims=False):
    kept = ans if keepdims else RESHAPE(ans, _kept_shape(shape_of(x), axis))
    return SUM(tangent * EXP_ARRAY(x - kept), axis=axis, keepdims=keepdims)


def _extreme_batched(positions, tangents, ans, args, kwargs):
    if len(args) > 1:
        return NotImplemented  # an axis given by position
    x, axis, keepdims = args[0], kwargs.get("axis"), kwargs.get("keepdims", False)
    share = _extreme_shares(ans, x, axis, keepdims)
    return SUM(tangents[0] * share, axis=_batch_axes(axis, len(shape_of(x))), keepdims=keepdims)


def _where_batched(positions, tangents, ans, args, kwargs):
    out_shape = shape_of(ans)
    given = {p: _batch_first(t, len(out_shape)) for p, t in zip(positions, tangents)}
    k = shape_of(tangents[0])[:1]
    return _to_shape(WHERE(args[0], given.get(1, 0.0), given.get(2, 0.0)), k + out_shape)


def _clip_batched(positions, tangents, ans, args, kwargs):
    x, low, high = args
    out_shape = shape_of(ans)
    tangent = _batch_first(tangents[0], len(out_shape))
    return _to_shape(tangent * _inside(x, low, high), shape_of(tangents[0])[:1] + out_shape)


def _matmul_batched(positions, tangents, ans, args, kwargs):
    """A @ Ḃ + Ȧ @ B for k tangents at once: numpy's matmul takes the batch axis for one
    more stack axis, outside the operands' own (padded with 1s to the larger stack),
    except where a vector operand would take it for rows."""
    a, b = args
    a_ndim, b_ndim = len(shape_of(a)), len(shape_of(b))
    ndim = max(a_ndim, b_ndim)
    total = None
    for p, tangent in zip(positions, tangents):
        if p == 0:
            if a_ndim == 1 and b_ndim > 2:
                return NotImplemented
            term = MATMUL(_batch_first(tangent, ndim) if a_ndim > 1 else tangent, b)
        elif b_ndim >= 2:
            term = MATMUL(a, _batch_first(tangent, ndim))
        elif a_ndim == 1:  # two vectors: Ḃ · a
            term = MATMUL(tangent, a)
        elif a_ndim == 2:  # a matrix times k vectors: (A · Ḃᵀ)ᵀ
            term = TRANSPOSE(MATMUL(a, TRANSPOSE(tangent, (1, 0))), (1, 0))
        else:
            return NotImplemented
        total = term if total is None else total + term
    return _to_shape(total, shape_of(tangents[0])[:1] + shape_of(ans))


def _einsum_batched(positions, tangents, ans, args, kwargs):
    """Each tangent term an einsum with a fresh letter for the batch axis, in front."""
    inputs, output = kwargs["subscripts"].split("->")
    inputs = inputs.split(",")
    unused = [c for c in _LETTERS if c not in kwargs["subscripts"]]
    if not unused:
        return NotImplemented
    batch = unused[0]
    total = None
    for p, tangent in zip(positions, tangents):
        filled = list(args)
        filled[p] = tangent
        terms = [batch + term if q == p else term for q, term in enumerate(inputs)]
        term = EINSUM(*filled, subscripts=",".join(terms) + "->" + batch + output)
        total = term if total is None else total + term
    return _to_shape(total, shape_of(tangents[0])[:1] + shape_of(ans))


def _logsumexp_batched(positions, tangents, ans, args, kwargs):
    if len(args) > 1:
        return NotImplemented  # an axis given by position
    x, axis, keepdims = args[0], kwargs.get("axis"), kwargs.get("keepdims", False)
    kept = ans if keepdims else RESHAPE(ans, _kept_shape(shape_of(x), axis))
    return SUM(
        tangents[0] * EXP_ARRAY(x - kept),
        axis=_batch_axes(axis, len(shape_of(x))),
        keepdims=keepdims,
    )


def _softmax_jvp(t, ans, x, axis=-1):
    return ans * (t - SUM(ans * t, axis=axis, keepdims=True))


def _log_softmax_jvp(t, ans, x, axis=-1):
    return t - SUM(EXP_ARRAY(ans) * t, axis=axis, keepdims=True)


def _axis_shifted(rule):
    """The batched form of a JVP whose ``axis`` reduces arrays shaped like the tangent:
    the same rule, the axis moved past the batch axis."""

    def batched_jvp(positions, tangents, ans, args, kwargs):
        if len(args) > 1:
            return NotImplemented  # an axis given by position
        axis = _batch_axes(kwargs.get("axis", -1), len(shape_of(args[0])))
        return rule(tangents[0], ans, *args, **{**kwargs, "axis": axis})

    return batched_jvp


def batched_tangent(primitive, positions, tangents, batches, k, ans, args, kwargs):
    """The k tangents of a primitive's output, shape (k,) + its shape, from the tangents of
    its arguments, each (k,) + that argument's shape (``batches[i]`` is k), or one tangent
    shaped like its argument (None), the same in every direction: the primitive's batched
    JVP where it has one that applies, else its JVP once per tangent, stacked."""
    if None in batches:
        tangents = [
            t if b is not None else _to_shape(t, (k,) + shape_of(args[p]))
            for p, t, b in zip(positions, tangents, batches)
        ]
    rule = primitive.batched_jvp
    if rule is not None:
        tangent = rule(positions, tangents, ans, args, kwargs)
        if tangent is not NotImplemented:
            return tangent
    shape = shape_of(ans)
    slices = [
        _to_shape(primitive.jvp(positions, [t[i] for t in tangents], ans, args, kwargs), shape)
        for i in range(k)
    ]
    if any(core.is_node(part) for part in slices):
        return STACK(*slices, axis=0)
    return np.stack(slices)


register_batching(batched_tangent)


def _match_complex(x, g):
    """g as the gradient of x: complex if x is (a real g as g + 0i), else real."""
    return g if np.iscomplexobj(numbers(x)) else REAL(g)


def _imag_vjp(g, ans, x):
    return _match_complex(x, g * -1j)


# The JVPs of real, imag and conj act on each entry alone: right for a batch as they are.
_real_jvp = _one_tangent(lambda t, ans, x: REAL(t))
_imag_jvp = _one_tangent(lambda t, ans, x: IMAG(t))
_conj_jvp = _one_tangent(lambda t, ans, x: CONJ(t))

# fmt: off
REAL         = ArrayPrimitive("real",         np.real,       _each(lambda g, ans, x: _match_complex(x, g)), "ḡ, as a complex number if x is one", None, jvp=_real_jvp, batched_jvp=_real_jvp, reads=_reading())  # noqa: E501
IMAG         = ArrayPrimitive("imag",         np.imag,       _each(_imag_vjp), "-i·ḡ", None, jvp=_imag_jvp, batched_jvp=_imag_jvp, reads=_reading())  # noqa: E501
CONJ         = ArrayPrimitive("conj",         np.conj,       _each(lambda g, ans, x: CONJ(g)), "conj(ḡ)", None, jvp=_conj_jvp, batched_jvp=_conj_jvp, reads=_reading())  # noqa: E501
SUM          = ArrayPrimitive("sum",          _sum,          _each(lambda g, ans, x, axis=None, keepdims=False: _spread(g, shape_of(x), axis, keepdims)), "ḡ broadcast back over the summed axes", None, jvp=_linear("sum"), reads=_reading(), batched_jvp=_batched_linear("sum"))  # noqa: E501
MEAN         = ArrayPrimitive("mean",         _mean,         _each(lambda g, ans, x, axis=None, keepdims=False: _spread(g, shape_of(x), axis, keepdims) / _count(shape_of(x), axis)), "ḡ / n broadcast back", None, jvp=_linear("mean"), reads=_reading(), batched_jvp=_batched_linear("mean"))  # noqa: E501
MAX          = ArrayPrimitive("max",          _max,          _each(_extreme_vjp), "ḡ to the maxima, ties share it", None, jvp=_one_tangent(_extreme_jvp), reads=_reading((0,), True), batched_jvp=_extreme_batched)  # noqa: E501
MIN          = ArrayPrimitive("min",          _min,          _each(_extreme_vjp), "ḡ to the minima, ties share it", None, jvp=_one_tangent(_extreme_jvp), reads=_reading((0,), True), batched_jvp=_extreme_batched)  # noqa: E501
RESHAPE      = ArrayPrimitive("reshape",      np.reshape,    _each(lambda g, ans, x, shape: RESHAPE(g, shape_of(x))), "ḡ reshaped back", None, jvp=_linear("reshape"), reads=_reading((1,)), batched_jvp=_batched_linear("reshape"))  # noqa: E501
TRANSPOSE    = ArrayPrimitive("transpose",    np.transpose,  _each(lambda g, ans, x, axes=None: TRANSPOSE(g, _inverse_axes(axes, len(shape_of(g))))), "ḡ transposed back", None, jvp=_linear("transpose"), reads=_reading(), batched_jvp=_batched_linear("transpose"))  # noqa: E501
BROADCAST_TO = ArrayPrimitive("broadcast_to", _broadcast_to, _each(lambda g, ans, x, shape: unbroadcast(g, shape_of(x))), "ḡ summed over the broadcast axes", None, jvp=_linear("broadcast_to"), reads=_reading((1,)), batched_jvp=_batched_linear("broadcast_to"))  # noqa: E501
GETITEM      = ArrayPrimitive("getitem",      _getitem,      _each(lambda g, ans, x, index: UNTAKE(g, index, shape_of(x))), "ḡ placed at the index, zeros elsewhere", None, jvp=_linear("getitem"), reads=_reading((1,)), batched_jvp=_batched_linear("getitem"))  # noqa: E501
UNTAKE       = ArrayPrimitive("untake",       _untake,       _each(lambda g, ans, x, index, shape: GETITEM(g, index)), "ḡ taken at the index", (0,), jvp=_linear("untake"), reads=_reading((1, 2)), batched_jvp=_batched_linear("untake"))  # noqa: E501
ROLL         = ArrayPrimitive("roll",         _roll,         _each(lambda g, ans, x, shift, axis: ROLL(g, -shift, axis)), "ḡ rolled back", (0,), jvp=_linear("roll"), reads=_reading(), batched_jvp=_batched_linear("roll"))  # noqa: E501
CONCATENATE  = ArrayPrimitive("concatenate",  _concatenate,  _variadic(_concatenate_share), "ḡ split back into the pieces", None, jvp=_linear("concatenate"), reads=_reading(), batched_jvp=_batched_linear("concatenate"))  # noqa: E501
STACK        = ArrayPrimitive("stack",        _stack,        _variadic(_stack_share), "ḡ taken apart along the new axis", None, jvp=_linear("stack"), reads=_reading(), batched_jvp=_batched_linear("stack"))  # noqa: E501
WHERE        = ArrayPrimitive("where",        _where,        _each(None, lambda g, ans, c, x, y: unbroadcast(WHERE(c, g, 0.0), shape_of(x)), lambda g, ans, c, x, y: unbroadcast(WHERE(c, 0.0, g), shape_of(y))), "ḡ where the condition holds to x, elsewhere to y", (1, 2), jvp=_where_jvp, reads=_reading((0,)), batched_jvp=_where_batched)  # noqa: E501
CLIP         = ArrayPrimitive("clip",         _clip,         _each(_clip_vjp), "ḡ where low ≤ x ≤ high, else 0", (0,), jvp=_one_tangent(_clip_jvp), reads=_reading((0, 1, 2)), batched_jvp=_clip_batched)  # noqa: E501
MATMUL       = ArrayPrimitive("matmul",       np.matmul,     _matmul_vjp, "ā = ḡ·Bᵀ, b̄ = Aᵀ·ḡ", None, jvp=_matmul_jvp, reads=_reading_the_others, batched_jvp=_matmul_batched)  # noqa: E501
CUMSUM       = ArrayPrimitive("cumsum",       _cumsum,       _each(_cumsum_vjp), "ḡ summed from the end: a cumsum backwards", None, jvp=_linear("cumsum"), reads=_reading((1,)), batched_jvp=_batched_linear("cumsum"))  # noqa: E501
EINSUM       = ArrayPrimitive("einsum",       _einsum,       _variadic(_einsum_share), "ḡ contracted with the other operands, back to this one's letters", None, jvp=_einsum_jvp, reads=_reading_the_others, batched_jvp=_einsum_batched)  # noqa: E501
LOGSUMEXP    = ArrayPrimitive("logsumexp",    _logsumexp,    _each(_logsumexp_vjp), "ḡ · softmax(x)", None, jvp=_one_tangent(_logsumexp_jvp), reads=_reading((0,), True), batched_jvp=_logsumexp_batched)  # noqa: E501
SOFTMAX      = ArrayPrimitive("softmax",      _softmax,      _each(lambda g, ans, x, axis=-1: ans * (g - SUM(g * ans, axis=axis, keepdims=True))), "s ⊙ (ḡ - Σ ḡ⊙s)", None, jvp=_one_tangent(_softmax_jvp), reads=_reading((), True), batched_jvp=_axis_shifted(_softmax_jvp))  # noqa: E501
LOG_SOFTMAX  = ArrayPrimitive("log_softmax",  _log_softmax,  _each(lambda g, ans, x, axis=-1: g - EXP_ARRAY(ans) * SUM(g, axis=axis, keepdims=True)), "ḡ - softmax(x) · Σ ḡ", None, jvp=_one_tangent(_log_softmax_jvp), reads=_reading((), True), batched_jvp=_axis_shifted(_log_softmax_jvp))  # noqa: E501
# fmt: on

STRUCTURAL: dict[str, ArrayPrimitive] = {
    primitive.name: primitive
    for primitive in (
        SUM,
        MEAN,
        MAX,
        MIN,
        RESHAPE,
        TRANSPOSE,
        BROADCAST_TO,
        GETITEM,
        UNTAKE,
        ROLL,
        CONCATENATE,
        STACK,
        WHERE,
        CLIP,
        MATMUL,
        CUMSUM,
        EINSUM,
        LOGSUMEXP,
        SOFTMAX,
        LOG_SOFTMAX,
        REAL,
        IMAG,
        CONJ,
    )
}
"""Every structural primitive by name."""
