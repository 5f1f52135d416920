"""Grade a batch of submissions against an instructor notebook: the public entry points.

For each submission: load it safely and rebuild it around the source's locked
and test cells (`submission`), run it in a worker process with its own kernel
in a bubblewrap sandbox (`pool`, `execution`, `sandbox`), and score each test
cell by its ``points`` (`results`): a test's points are earned only when its
cell passed in the notebook AND the grader's own probe confirmed it on inputs
of its own choosing (`probes`, `referee`). ``jobs`` submissions run at once;
each has a hard deadline after which its worker, and with it the whole
sandbox, is killed. Whatever happens to one submission, the batch goes on, the
submissions are only ever read, and the CSV and JSON are always written
(`reports`). One `batch.Batch` object holds what a batch shares.
"""

from __future__ import annotations

from .batch import Batch, GradeOptions, grade, unique_names
from .progress import Progress
from .reports import csv_text, json_text, spreadsheet_safe, write_reports
from .results import UNSANDBOXED, SubmissionResult, TestOutcome
from .source import SourceError, load_source, own_tests, test_cells

__all__ = [
    "UNSANDBOXED",
    "Batch",
    "GradeOptions",
    "Progress",
    "SourceError",
    "SubmissionResult",
    "TestOutcome",
    "csv_text",
    "grade",
    "json_text",
    "load_source",
    "own_tests",
    "spreadsheet_safe",
    "test_cells",
    "unique_names",
    "write_reports",
]
