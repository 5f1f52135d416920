"""The ``autodiff-lab`` command: release student notebooks and grade submissions.

    autodiff-lab release [SOURCE ...] [--release-dir DIR] [--check]
    autodiff-lab grade --source SOURCE SUBMISSION ... --out grades.csv [--json grades.json]
                       [--jobs N] [--timeout SECONDS] [--memory-mb MB] [--deadline SECONDS]
                       [--shard K/N] [--uid-offset N] [--unsafe-no-sandbox]
    autodiff-lab merge PIECE.csv ... --out grades.csv [--json PIECE.json ... --json-out grades.json]

Exit status: 0 on success, 1 when ``release --check`` finds a stale file,
2 for a mistake in the command (a missing file, a bad option).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import __version__

EXIT_STALE = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """A mistake in the command line, reported without a traceback."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autodiff-lab",
        description="Exercise tools: release student notebooks, grade submissions.",
    )
    parser.add_argument("--version", action="version", version=f"autodiff-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    release = commands.add_parser(
        "release",
        help="make student notebooks from instructor sources",
        description="Write the student version of each instructor notebook: solutions become "
        "stubs, hidden tests disappear, outputs are cleared.",
    )
    release.add_argument(
        "sources",
        nargs="*",
        type=Path,
        metavar="SOURCE",
        help="instructor notebooks (default: exercises/source/*.ipynb)",
    )
    release.add_argument(
        "--release-dir",
        type=Path,
        default=Path("exercises/release"),
        help="where student notebooks go (default: exercises/release)",
    )
    release.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a student notebook is missing or out of date",
    )

    grade = commands.add_parser(
        "grade",
        help="run and score submissions against an instructor notebook",
        description="Run each submission in its own limited kernel and score its test cells.",
    )
    grade.add_argument(
        "--source", required=True, type=Path, help="the instructor notebook (with hidden tests)"
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help="student notebooks, or folders of them",
    )
    grade.add_argument("--out", required=True, type=Path, help="the CSV file to write")
    grade.add_argument("--json", type=Path, help="also write per-test feedback as JSON here")
    grade.add_argument(
        "--jobs", type=_positive_int, default=1, help="submissions graded at once (default 1)"
    )
    grade.add_argument(
        "--timeout",
        type=_positive_float,
        default=30.0,
        help="seconds each cell may run (default 30)",
    )
    grade.add_argument(
        "--memory-mb",
        type=_positive_int,
        default=1024,
        help="address-space limit of each kernel in MB (default 1024)",
    )
    grade.add_argument(
        "--deadline",
        type=_positive_float,
        help="seconds after which a submission is stopped, kernel and all "
        "(default: from the timeout and the number of cells)",
    )
    grade.add_argument(
        "--shard",
        metavar="K/N",
        help="grade only the K-th of N interleaved slices of the submissions (for job arrays); "
        "join the pieces with `autodiff-lab merge`",
    )
    grade.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="grade without any isolation, for notebooks you trust only: a submission can read "
        "every file you can and forge its grade; every row then says so",
    )
    grade.add_argument(
        "--uid-offset",
        type=int,
        help="as root, submission i runs as user 61000 + (offset + i) %% 2000 (default: random); "
        "give batches that run side by side on one machine ranges of their own",
    )
    grade.add_argument("--quiet", action="store_true", help="no progress bar")

    merge = commands.add_parser(
        "merge",
        help="join the CSVs (and JSONs) of a sharded batch",
        description="Join the pieces that `grade --shard K/N` wrote into one report.",
    )
    merge.add_argument("pieces", nargs="+", type=Path, metavar="PIECE.csv")
    merge.add_argument("--out", required=True, type=Path, help="the merged CSV to write")
    merge.add_argument("--json", nargs="+", type=Path, default=[], metavar="PIECE.json")
    merge.add_argument("--json-out", type=Path, help="the merged JSON to write")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            return _release(args)
        if args.command == "merge":
            return _merge(args)
        return _grade(args)
    except UsageError as error:
        print(f"autodiff-lab {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"autodiff-lab {args.command}: interrupted", file=sys.stderr)
        return 130


def _release(args) -> int:
    from .grading.notebook_format import ExerciseFormatError
    from .grading.release import DEFAULT_SOURCE_DIR, release

    sources = args.sources or sorted(DEFAULT_SOURCE_DIR.glob("*.ipynb"))
    if not sources:
        raise UsageError(
            f"no notebooks in {DEFAULT_SOURCE_DIR}/; name the source notebooks, "
            "or run this from the project's root folder"
        )
    for source in sources:
        _require_file(source, "source notebook")
    try:
        results = release(list(sources), args.release_dir, check=args.check)
    except (ExerciseFormatError, ValueError) as error:
        raise UsageError(str(error)) from None
    stale = [result for result in results if result.status in ("differs", "missing")]
    for result in results:
        if args.check and result.status in ("differs", "missing"):
            print(f"{result.target}: {result.status} (run: autodiff-lab release)")
        elif not args.check:
            print(f"{result.target}: {result.status}")
    if args.check and not stale:
        print(f"{len(results)} student notebook(s) up to date")
    return EXIT_STALE if stale else 0


def _grade(args) -> int:
    from .grading.autograder import (
        GradeOptions,
        SourceError,
        grade,
        load_source,
        test_cells,
        write_reports,
    )

    _require_file(args.source, "source notebook")
    try:
        grade_ids = [grade_id for grade_id, _ in test_cells(load_source(args.source))]
    except SourceError as error:
        raise UsageError(str(error)) from None
    submissions = _expand(args.submissions)
    if not submissions:
        raise UsageError("no submissions: the folders given hold no .ipynb files")
    if args.shard:
        from .grading.shards import ShardError, parse_shard, select_shard

        try:
            submissions = select_shard(submissions, *parse_shard(args.shard))
        except ShardError as error:
            raise UsageError(str(error)) from None
    outputs = [path for path in (args.out, args.json) if path is not None]
    for path in outputs:
        if not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: the folder {path.parent} does not exist")
        if path.resolve() in {s.resolve() for s in [args.source, *submissions]}:
            raise UsageError(f"{path} is an input; choose another name for the results")
    options = GradeOptions(
        jobs=args.jobs,
        cell_timeout=args.timeout,
        memory_mb=args.memory_mb,
        deadline=args.deadline,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        uid_offset=args.uid_offset,
    )
    started = time.monotonic()
    from .grading.sandbox import SandboxUnavailable

    try:
        results = grade(
            args.source, submissions, options, progress=None if args.quiet else sys.stderr
        )
    except SourceError as error:
        raise UsageError(str(error)) from None
    except SandboxUnavailable as error:
        raise UsageError(
            f"cannot sandbox the kernels here: {error}. (--unsafe-no-sandbox grades with no "
            "isolation at all: a submission could then read every file you can, forge its "
            "grade and leave processes running; use it only for notebooks you trust.)"
        ) from None
    write_reports(results, grade_ids, args.out, args.json, source=str(args.source))
    elapsed = time.monotonic() - started
    graded = sum(1 for result in results if not result.reason.startswith("not graded"))
    print(
        f"graded {graded} of {len(results)} submission(s) in {elapsed:.1f} s "
        f"({elapsed / max(len(results), 1):.1f} s each); wrote {', '.join(map(str, outputs))}",
        file=sys.stderr,
    )
    return 0


def _merge(args) -> int:
    from .grading.files import write_atomically
    from .grading.shards import ShardError, merge_csv, merge_json

    for path in [*args.pieces, *args.json]:
        _require_file(path, "piece")
    if bool(args.json) != bool(args.json_out):
        raise UsageError("give both --json PIECE.json ... and --json-out, or neither")
    try:
        write_atomically(args.out, merge_csv(args.pieces))
        if args.json_out:
            write_atomically(args.json_out, merge_json(args.json))
    except ShardError as error:
        raise UsageError(str(error)) from None
    print(f"merged {len(args.pieces)} piece(s) into {args.out}", file=sys.stderr)
    return 0


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise UsageError(f"{what} {path} does not exist")
    if not path.is_file():
        raise UsageError(f"{what} {path} is not a file")


def _expand(paths: list[Path]) -> list[Path]:
    """Files as given; folders replaced by the notebooks in them, sorted; each file once."""
    expanded = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            expanded.extend(sorted(path.glob("*.ipynb")))
        elif path.exists() or path.is_symlink():
            expanded.append(path)  # a link becomes a row that says it was refused
        else:
            raise UsageError(f"submission {path} does not exist")
    return list(dict.fromkeys(expanded))


if __name__ == "__main__":
    sys.exit(main())
