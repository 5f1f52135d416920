"""The grader's own words: what reaches a report, and nothing a kernel chose.

A kernel is the student's code, so anything it says (an exception's message,
printed text, even an exception's class name) could be chosen to mislead the
instructor or to smuggle text into the CSV. A report holds only sentences
written here, numbers the grader compared, and exception names from a fixed
list: Python's built-in exceptions and the few that the checks raise.
"""

from __future__ import annotations

import builtins

BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
CHECK_EXCEPTIONS = frozenset({"CheckFailed", "WrongAnswer"})
KNOWN_EXCEPTIONS = BUILTIN_EXCEPTIONS | CHECK_EXCEPTIONS
UNKNOWN = "an exception"


def exception_name(text) -> str:
    """``text`` if it names a known exception (Python's built-ins, the checks' own), else
    "an exception": never a name the kernel made up."""
    return text if isinstance(text, str) and text in KNOWN_EXCEPTIONS else UNKNOWN
