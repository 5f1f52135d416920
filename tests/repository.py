"""The repository's root and its scripts (tools/, benchmarks/), loaded as modules for tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def script(relative_path: str):
    """The script at ``ROOT / relative_path``, loaded as a module (the scripts are no package)."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
