"""Your own primitives, with HIPS autograd's signatures (``autograd.extend``).

    from autodiff_lab import primitive, defvjp, defjvp
    import numpy

    @primitive
    def logsumexp(x):
        top = numpy.max(x)
        return top + numpy.log(numpy.sum(numpy.exp(x - top)))

    defvjp(logsumexp, lambda ans, x: lambda g: g * anp.exp(x - ans))
    defjvp(logsumexp, lambda g, ans, x: anp.sum(g * anp.exp(x - ans)))

The function itself runs on plain numbers and arrays (numpy's functions are
fine inside it). ``defvjp`` gives, for each argument, a maker
``vjp_maker(ans, *args, **kwargs)`` that returns the function ``g ↦`` that
argument's share of g; ``None`` marks an argument no gradient flows into (its
share is 0, as in autograd), and an argument given nothing at all raises when
a derivative needs it.
``defjvp`` gives, for each argument, ``jvp(g, ans, *args, **kwargs)``, that
argument's contribution to the output's tangent when its own tangent is g.
Write the rules with `autodiff_lab.numpy`'s functions and they can be
differentiated again, so derivatives of any order work through your primitive.
A derivative the rules do not cover raises an error that says so, never a 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arrays import ArrayPrimitive, numbers


class CustomPrimitive(ArrayPrimitive):
    """A primitive made by `primitive`: it keeps its function's name and docstring."""


def primitive(function: Callable) -> ArrayPrimitive:
    """Make ``function`` a primitive: the engine calls it on numbers and records it.

    Until `defvjp` (or `defjvp`) gives it rules, differentiating through it raises.
    """
    if isinstance(function, ArrayPrimitive):
        return function
    if not callable(function):
        raise TypeError(f"primitive() needs a function, got {type(function).__name__}")
    name = getattr(function, "__name__", "primitive")
    made = CustomPrimitive(
        name,
        function,
        _missing("VJP", "defvjp", name),
        "the VJP given to defvjp",
        jvp=_missing("JVP", "defjvp", name),
    )
    made.__doc__ = function.__doc__
    made.__wrapped__ = function
    return made


def _missing(rule: str, maker: str, name: str) -> Callable:
    def refuse(positions, *_):
        raise NotImplementedError(
            f"{name} has no {rule} for argument {positions[0]}: give it one with "
            f"{maker}({name}, ...) before differentiating through it"
        )

    return refuse


def _argnums(rules: tuple, argnums) -> dict:
    positions = range(len(rules)) if argnums is None else argnums
    return dict(zip(positions, rules))


def _checked(function, who: str) -> ArrayPrimitive:
    if not isinstance(function, ArrayPrimitive):
        raise TypeError(f"{who} needs a function made by primitive(), got {function!r:.60}")
    return function


def defvjp(function: ArrayPrimitive, *vjp_makers, argnums=None) -> None:
    """Give a primitive its vector-Jacobian products, one maker per argument (autograd's
    signature): ``vjp_maker(ans, *args, **kwargs)`` returns ``g ↦`` that argument's share."""
    function = _checked(function, "defvjp")
    makers = _argnums(vjp_makers, argnums)
    name = function.name

    def vjp(positions, g, ans, args, kwargs):
        shares = []
        for position in positions:
            if position not in makers:
                _missing("VJP", "defvjp", name)((position,))
            maker = makers[position]
            if maker is None:  # autograd's None: no gradient flows into this argument
                shares.append(np.zeros(np.shape(numbers(args[position]))))
            else:
                shares.append(maker(ans, *args, **kwargs)(g))
        return shares

    function.vjp = vjp


def defjvp(function: ArrayPrimitive, *jvp_functions, argnums=None) -> None:
    """Give a primitive its Jacobian-vector products, one per argument (autograd's
    signature): ``jvp(g, ans, *args, **kwargs)`` is that argument's part of the tangent."""
    function = _checked(function, "defjvp")
    rules = _argnums(jvp_functions, argnums)
    name = function.name

    def jvp(positions, tangents, ans, args, kwargs):
        total = None
        for position, tangent in zip(positions, tangents):
            if position not in rules:
                _missing("JVP", "defjvp", name)((position,))
            rule = rules[position]
            if rule is None:  # autograd's None: this argument moves nothing
                continue
            part = rule(tangent, ans, *args, **kwargs)
            total = part if total is None else total + part
        return np.zeros(np.shape(numbers(ans))) if total is None else total

    function.jvp = jvp


__all__ = ["defjvp", "defvjp", "primitive"]
