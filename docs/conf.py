"""Sphinx configuration of the documentation site; `make docs` (tools/build_docs.py) builds it.

Sphinx with myst-nb: Markdown pages, the lessons as saved notebooks (never executed here),
and the API reference from the docstrings by autodoc and autosummary.
"""

import re

from docutils import nodes
from latex2mathml.converter import convert

import autodiff_lab

project = "autodiff-lab"
author = "the autodiff-lab authors"
copyright = "the autodiff-lab authors"
release = version = autodiff_lab.__version__

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.autosummary"]
exclude_patterns = ["_build", "README.md", "exercises-README.md"]  # the last: instructors.md

# The lessons are saved with their outputs and checked by nbval; the site shows them as saved.
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# Docstrings: `name` is code, as in the rest of the project's text.
default_role = "code"
autosummary_generate = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
add_module_names = False

html_theme = "alabaster"
html_title = f"autodiff-lab {release}"
html_static_path = ["_static"]
html_css_files = ["site.css"]
html_theme_options = {
    "description": "Watch automatic differentiation happen",
    "page_width": "1100px",
    "sidebar_width": "230px",
    "show_powered_by": False,
}
html_show_sourcelink = False
html_show_sphinx = False
html_math_renderer = "mathml"  # set up below: math as MathML, which browsers draw offline

# The project's docstrings list parameters as aligned columns ("name    what it is"), which
# reStructuredText would misread; such a paragraph is shown as written, in a literal block.
COLUMNS = re.compile(r"^[\w*]+(?:, [\w*]+)* {2,}\S")


def _columns_as_written(app, what, name, obj, options, lines):
    paragraphs, current = [], []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    rewritten = []
    for paragraph in paragraphs:
        if COLUMNS.match(paragraph[0]):
            rewritten += ["::", "", *(f"   {line}" for line in paragraph)]
        else:
            rewritten += paragraph
        rewritten.append("")
    lines[:] = rewritten


# Math as MathML, converted at build time by latex2mathml: the pages need no script and no
# network (MathJax, Sphinx's default, loads from a CDN when the page is read).
def _inline_math(self, node):
    self.body.append(convert(node.astext()))
    raise nodes.SkipNode


def _block_math(self, node):
    self.body.append(f'<div class="math">{convert(node.astext(), display="block")}</div>')
    raise nodes.SkipNode


def setup(app):
    app.connect("autodoc-process-docstring", _columns_as_written)
    app.add_html_math_renderer("mathml", (_inline_math, None), (_block_math, None))
