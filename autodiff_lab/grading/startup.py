"""The start of the grader's own programs: the command line and the grading workers."""

from __future__ import annotations

import sys


def skip_iri_grammars() -> None:
    """Keep jsonschema from loading ``rfc3987_syntax`` in this process.

    nbformat validates notebooks with jsonschema, whose format checkers import
    ``rfc3987_syntax`` when it is installed (``jsonschema[format-nongpl]``, which
    jupyter-events asks for). That module compiles about 38 lark grammars as it loads:
    2–3 seconds of CPU in every process that imports nbformat
    (python-jsonschema/jsonschema#1428). No notebook schema checks an IRI format, so
    the grader's programs do without it, and jsonschema skips the ``iri`` formats as it
    does when the package is absent. Only our own programs call this, first thing; a
    library import never does, so a user's process keeps its checkers.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: `import` raises ImportError
