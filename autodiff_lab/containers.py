"""Containers of points: nested lists, tuples and dicts of numbers and arrays.

The derivative operators take and give such containers (JAX calls them
pytrees, HIPS autograd just containers). `flatten` lists a container's leaves
(everything that is not a list, tuple or dict) with its `Structure`, and
`unflatten` builds the same container around new leaves, so a list stays a
list, a tuple a tuple (a named tuple its own type) and a dict keeps its keys
in their order.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_CONTAINERS = (list, tuple, dict)


class Structure:
    """The shape of a container without its leaves; ``None`` children mark leaves."""

    __slots__ = ("kind", "keys", "children", "count")

    def __init__(self, kind: type | None, keys: tuple = (), children: tuple = ()) -> None:
        self.kind = kind  # None for a leaf
        self.keys = keys  # a dict's keys, in order
        self.children = children
        self.count = 1 if kind is None else sum(child.count for child in children)

    @property
    def is_leaf(self) -> bool:
        return self.kind is None

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Structure)
            and self.kind == other.kind
            and self.keys == other.keys
            and self.children == other.children
        )

    __hash__ = None

    def __repr__(self) -> str:
        return describe(self)


LEAF = Structure(None)


def is_container(x) -> bool:
    return isinstance(x, _CONTAINERS)


def flatten(tree) -> tuple[list, Structure]:
    """``(leaves, structure)``: the leaves in order (a dict's in its key order)."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves: list) -> Structure:
    # Iterative over the leaves of one level, recursive only in the nesting depth.
    if isinstance(tree, dict):
        keys = tuple(tree)
        return Structure(dict, keys, tuple(_flatten(tree[key], leaves) for key in keys))
    if isinstance(tree, (list, tuple)):
        return Structure(type(tree), (), tuple(_flatten(item, leaves) for item in tree))
    leaves.append(tree)
    return LEAF


def unflatten(structure: Structure, leaves) -> object:
    """The container of ``structure`` holding ``leaves`` (in flatten's order)."""
    iterator = iter(leaves)
    built = _build(structure, iterator)
    if next(iterator, _END) is not _END:
        raise ValueError("unflatten: more leaves than the structure holds")
    return built


_END = object()


def _build(structure: Structure, leaves):
    if structure.kind is None:
        leaf = next(leaves, _END)
        if leaf is _END:
            raise ValueError("unflatten: fewer leaves than the structure holds")
        return leaf
    items = [_build(child, leaves) for child in structure.children]
    if structure.kind is dict:
        return dict(zip(structure.keys, items))
    if structure.kind is list:
        return items
    if structure.kind is tuple:
        return tuple(items)
    if hasattr(structure.kind, "_make"):  # a named tuple
        return structure.kind._make(items)
    return structure.kind(items)


def flatten_like(tree, structure: Structure, what: str) -> list:
    """The leaves of ``tree``, which must have ``structure`` (a dict's keys in any order)."""
    leaves: list = []
    _flatten_like(tree, structure, leaves, what, "")
    return leaves


def _flatten_like(tree, structure: Structure, leaves: list, what: str, path: str) -> None:
    if structure.kind is None:
        leaves.append(tree)  # a list here stands for an array: the caller converts it
        return
    if structure.kind is dict:
        if not isinstance(tree, dict) or set(tree) != set(structure.keys):
            raise ValueError(
                f"{what}{path} should be a dict with keys {list(structure.keys)}, got "
                f"{_shown(tree)}"
            )
        for key, child in zip(structure.keys, structure.children):
            _flatten_like(tree[key], child, leaves, what, f"{path}[{key!r}]")
        return
    if isinstance(tree, np.ndarray) and tree.ndim >= 1:
        tree = list(tree)  # an array along its first axis, where a list of as many is expected
    if not isinstance(tree, (list, tuple)) or len(tree) != len(structure.children):
        raise ValueError(
            f"{what}{path} should be a {structure.kind.__name__} of "
            f"{len(structure.children)}, got {_shown(tree)}"
        )
    for index, (item, child) in enumerate(zip(tree, structure.children)):
        _flatten_like(item, child, leaves, what, f"{path}[{index}]")


def _shown(tree) -> str:
    if isinstance(tree, dict):
        return f"a dict with keys {list(tree)}"
    if isinstance(tree, (list, tuple)):
        return f"a {type(tree).__name__} of {len(tree)}"
    return f"a {type(tree).__name__}"


def describe(structure: Structure) -> str:
    """``list[*, tuple[*, *]]``: a structure as text, ``*`` for each leaf."""
    if structure.kind is None:
        return "*"
    inner = ", ".join(
        f"{key!r}: {describe(child)}" if structure.kind is dict else describe(child)
        for key, child in zip(
            structure.keys or [None] * len(structure.children), structure.children
        )
    )
    return f"{structure.kind.__name__}[{inner}]"


def map_leaves(function: Callable, tree):
    """The same container with ``function`` applied to every leaf."""
    leaves, structure = flatten(tree)
    return unflatten(structure, [function(leaf) for leaf in leaves])


__all__ = ["LEAF", "Structure", "describe", "flatten", "flatten_like", "map_leaves", "unflatten"]
