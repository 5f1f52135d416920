"""Skips that say what to install: each optional test dependency and where it comes from."""

from __future__ import annotations

import pytest

# The extra of pyproject.toml that brings each module (`make test` installs them all).
EXTRAS = {
    "torch": "peers",
    "micrograd": "peers",
    "autograd": "peers",
    "jax": "peers",
    "nbgrader": "nbgrader",
}
EXTRAS["playwright"] = "browser"


def need(module: str):
    """``module``, imported, or a skip naming the pip command that installs it."""
    extra = EXTRAS[module.split(".")[0]]
    return pytest.importorskip(
        module, reason=f"{module} is missing: pip install -e '.[{extra}]' (make test installs it)"
    )
