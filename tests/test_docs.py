"""The documentation site's sources: every public name has a docstring and a page in the
API reference, and a saved lesson becomes a static page with its drawings and widgets.
The site itself is built and looked at in Chromium in tests/browser/test_docs_site.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re

from repository import ROOT, script
from sphinx.pycode import ModuleAnalyzer

TOOL = script("tools/build_docs.py")


def documented_names() -> list[tuple[str, str]]:
    """(module, name) for every name the API reference lists."""
    return [
        (module, name) for module in TOOL.DOCUMENTED_MODULES for name in TOOL.public_names(module)
    ]


def missing_docstrings(module_name: str, name: str) -> list[str]:
    """The public name and the public members of a public class that have no docstring."""
    module = importlib.import_module(module_name)
    value = getattr(module, name)
    if not (callable(value) or inspect.isclass(value)):  # a constant: a `#:` comment above it
        found = ModuleAnalyzer.for_module(module_name).find_attr_docs()
        return [] if any(key[1] == name for key in found) else [f"{module_name}.{name}"]
    missing = [] if (inspect.getdoc(value) or "").strip() else [f"{module_name}.{name}"]
    if inspect.isclass(value):
        for member in TOOL.public_members(value):
            raw = inspect.getattr_static(value, member)
            doc = (
                raw.__doc__ if isinstance(raw, property) else inspect.getdoc(getattr(value, member))
            )
            if not (doc or "").strip():
                missing.append(f"{module_name}.{name}.{member}")
    return missing


def test_every_public_name_and_method_has_a_docstring():
    names = documented_names()
    assert ("autodiff_lab", "grad") in names and (
        "autodiff_lab.widgets",
        "BackwardStepper",
    ) in names
    assert len(names) > 100
    missing = [entry for module, name in names for entry in missing_docstrings(module, name)]
    assert missing == []


def test_the_methods_the_table_gives_show_their_arguments():
    # Not the helper's own keyword (``tan(*others, primitive=<primitive tan ...>)``).
    from autodiff_lab import Dual, Value

    for kind in (Value, Dual):
        assert str(inspect.signature(kind.tan)) == "(self, /)"
        assert str(inspect.signature(kind.arctan2)) == "(self, other, /)"
        assert str(inspect.signature(kind(0.5).tan)) == "()"


def test_the_docstring_check_finds_a_name_without_one(monkeypatch):
    import autodiff_lab

    monkeypatch.setattr(autodiff_lab.Value.exp, "__doc__", None)
    assert missing_docstrings("autodiff_lab", "Value") == ["autodiff_lab.Value.exp"]
    monkeypatch.setattr(autodiff_lab.grad, "__doc__", "  ")
    assert missing_docstrings("autodiff_lab", "grad") == ["autodiff_lab.grad"]


def test_the_api_reference_lists_every_name_of_the_package():
    page = TOOL.api_page()
    import autodiff_lab

    for name in autodiff_lab.__all__:
        if not inspect.ismodule(getattr(autodiff_lab, name)):
            assert re.search(rf"^   {name}$", page, flags=re.M), name
    for module in ("math", "nn", "widgets", "numpy", "datasets"):
        assert f".. automodule:: autodiff_lab.{module}" in page


def test_a_lesson_widget_becomes_its_first_step_and_a_drawing_inline_svg():
    import nbformat

    saved = nbformat.read(ROOT / "notebooks" / "05_reverse_mode.ipynb", as_version=4)
    static = TOOL.static_lesson(saved)
    outputs = [output for cell in static.cells for output in cell.get("outputs", [])]
    assert not any(TOOL.WIDGET_VIEW in output.get("data", {}) for output in outputs)
    assert "widgets" not in static.metadata
    pictures = [
        o.data["text/html"]
        for o in outputs
        if "autodiff-stepper" in o.get("data", {}).get("text/html", "")
    ]
    assert pictures and all("step 0 of" in picture and "<svg" in picture for picture in pictures)
    assert all("<img" not in picture for picture in pictures)  # the SVG inline, not an image
    # Nothing to click on a static page: no button, or only disabled ones.
    assert all(picture.count("<button") == picture.count("disabled>") for picture in pictures)
    drawings = [o.data["text/html"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert drawings and all("<svg" in d and "<img" not in d for d in drawings)
    assert "widgets" in saved.metadata  # the saved lesson itself is untouched
