"""Splitting one batch across machines, and merging the pieces back into one report.

Each machine of a Slurm job array or a CI matrix runs the same ``grade``
command with ``--shard K/N``: it takes every N-th submission of the same
sorted list, starting at the K-th, and writes its own CSV (and JSON).
``autodiff-lab merge`` then joins the pieces, refusing pieces of different
exercises and submissions that appear twice.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path


class ShardError(ValueError):
    """A shard option or a set of pieces that cannot be used; the message says why."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` with 1 ≤ K ≤ N, as (K, N)."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise ShardError(f"expected K/N such as 2/8, got {text!r}") from None
    if not 1 <= k <= n:
        raise ShardError(f"expected 1 <= K <= N in K/N, got {text!r}")
    return k, n


def select_shard(items: list, k: int, n: int) -> list:
    """The K-th of N interleaved slices: every machine sees the same list and takes its own."""
    return items[k - 1 :: n]


def merge_csv(paths: list[str | os.PathLike]) -> str:
    """One CSV from the shards' CSVs: one header, rows sorted by submission."""
    header: list[str] | None = None
    rows: dict[tuple[str, ...], list[str]] = {}
    for path in paths:
        with open(path, encoding="utf-8", newline="") as stream:
            reader = csv.reader(stream)
            this_header = next(reader, None)
            if this_header is None or this_header[:1] != ["submission"]:
                raise ShardError(
                    f"{path} is not a grades CSV (its first column is not 'submission')"
                )
            if header is not None and this_header != header:
                raise ShardError(
                    f"{path} has other columns than the first piece: another exercise?"
                )
            header = this_header
            for row in reader:
                key = tuple(row[:2])  # the file and the student: a missing student has no file
                if key in rows:
                    raise ShardError(f"{row[0] or row[1]} appears in more than one piece")
                rows[key] = row
    if header is None:
        raise ShardError("no pieces to merge")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows[name] for name in sorted(rows))
    return buffer.getvalue()


def merge_json(paths: list[str | os.PathLike]) -> str:
    """One JSON report from the shards' JSON reports."""
    from .roster import summary

    first: dict | None = None
    submissions = []
    for path in paths:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        if first is not None and payload.get("source") != first.get("source"):
            raise ShardError(f"{path} was graded against another source notebook")
        first = first or payload
        submissions += payload.get("submissions", [])
    if first is None:
        raise ShardError("no pieces to merge")
    names = [(entry.get("submission"), entry.get("student_id")) for entry in submissions]
    if len(set(names)) != len(names):
        raise ShardError("a submission appears in more than one piece")
    submissions.sort(key=lambda entry: (str(entry.get("submission")), str(entry.get("student_id"))))
    merged = {key: value for key, value in first.items() if key != "submissions"}
    max_total = merged.get("max_total", 0.0)
    merged["summary"] = summary([float(entry.get("total", 0)) for entry in submissions], max_total)
    merged["submissions"] = submissions
    return json.dumps(merged, indent=1, ensure_ascii=False) + "\n"
