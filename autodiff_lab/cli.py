"""The ``autodiff-lab`` command: a term's exercises, from the lessons to the gradebook.

    autodiff-lab lessons DIR                   copy out the lessons and START-HERE
    autodiff-lab exercises DIR                 copy out the instructor sources and definitions
    autodiff-lab build --course COURSE [--check]
    autodiff-lab release [SOURCE ...] [--course COURSE] [--release-dir DIR] [--check]
    autodiff-lab grade --source SOURCE [SUBMISSION ...] --out grades.csv [--json grades.json]
                       [--course COURSE] [--submitted DIR [--assignment A] [--notebook NB]]
                       [--roster roster.csv] [--pattern "{student_id}.ipynb"]
                       [--jobs N] [--timeout SECONDS] [--memory-mb MB] [--deadline SECONDS]
                       [--shard K/N] [--uid-offset N] [--unsafe-no-sandbox]
    autodiff-lab merge PIECE.csv ... --out grades.csv [--json PIECE.json ... --json-out grades.json]
    autodiff-lab export grades.json --format canvas|moodle|nbgrader|gradescope --out FILE
    autodiff-lab feedback grades.json --out DIR

Exit status: 0 on success, 1 when ``release --check`` or ``build --check`` finds a stale
file or ``build`` finds an exercise not ready (its solution failing, a mistake passing),
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
        description="Exercise tools: copy out the course, build and release exercises, grade "
        "submissions, export grades and write feedback.",
    )
    parser.add_argument("--version", action="version", version=f"autodiff-lab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    for name, what in (
        ("lessons", "the lessons, START-HERE.ipynb and the student notebooks"),
        ("exercises", "the exercises' instructor sources and definitions (a course folder)"),
    ):
        copy = commands.add_parser(
            name, help=f"copy out {what}", description=f"Copy {what} into DIR."
        )
        copy.add_argument("dir", type=Path, metavar="DIR", help="where to put them")
        copy.add_argument("--force", action="store_true", help="overwrite files already there")

    build = commands.add_parser(
        "build",
        help="build instructor notebooks from a course folder's definitions",
        description="Write COURSE/source/<name>.ipynb (and COURSE/catalogue/<name>_cases.py) "
        "from each COURSE/definitions/<name>.py.",
    )
    build.add_argument("--course", required=True, type=Path, help="the course folder")
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")

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
        help="instructor notebooks (default: COURSE/source/*.ipynb, else exercises/source/*.ipynb)",
    )
    release.add_argument("--course", type=Path, help="a course folder (see `autodiff-lab build`)")
    release.add_argument(
        "--release-dir",
        type=Path,
        help="where student notebooks go (default: COURSE/release, else exercises/release)",
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
        nargs="*",
        type=Path,
        metavar="SUBMISSION",
        help="student notebooks, or folders of them (or use --submitted)",
    )
    grade.add_argument("--course", type=Path, help="the course folder of an exercise of your own")
    grade.add_argument(
        "--submitted",
        type=Path,
        metavar="DIR",
        help="nbgrader's submitted/ folder: grade DIR/<student_id>/<assignment>/<notebook>",
    )
    grade.add_argument(
        "--assignment", help="the assignment's name (default: the source's file name, no suffix)"
    )
    grade.add_argument(
        "--notebook", help="the notebook's file name under --submitted (default: the source's)"
    )
    grade.add_argument(
        "--roster",
        type=Path,
        help="a CSV of students (student_id, name, email, optional section): each gets a row",
    )
    grade.add_argument(
        "--pattern",
        help='how a flat folder\'s files are named, e.g. "hw1_{student_id}.ipynb" '
        '(default with --roster: "{student_id}.ipynb")',
    )
    grade.add_argument("--out", required=True, type=Path, help="the CSV file to write")
    grade.add_argument(
        "--json",
        type=Path,
        help="also write per-test feedback as JSON here (what export and feedback read)",
    )
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

    export = commands.add_parser(
        "export",
        help="turn a grades JSON into a gradebook import file, or a Gradescope autograder",
        description="Write the grades of `grade --json` in a gradebook's own import format.",
    )
    export.add_argument("grades", type=Path, metavar="grades.json")
    export.add_argument(
        "--format", required=True, choices=("canvas", "moodle", "nbgrader", "gradescope")
    )
    export.add_argument("--out", required=True, type=Path, help="the file to write")
    export.add_argument("--assignment", help="the assignment's name in the gradebook")

    feedback = commands.add_parser(
        "feedback",
        help="write one HTML feedback file per student from a grades JSON",
        description="One HTML page per student: the score of each part and the grader's own "
        "messages; never a solution or a hidden test.",
    )
    feedback.add_argument("grades", type=Path, metavar="grades.json")
    feedback.add_argument("--out", required=True, type=Path, help="the folder to write into")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "lessons": _copy_out,
        "exercises": _copy_out,
        "build": _build,
        "release": _release,
        "grade": _grade,
        "merge": _merge,
        "export": _export,
        "feedback": _feedback,
    }
    try:
        return handlers[args.command](args)
    except UsageError as error:
        print(f"autodiff-lab {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"autodiff-lab {args.command}: interrupted", file=sys.stderr)
        return 130


def _course(folder: Path | None):
    """The course in ``folder``, its own exercises registered; None without one."""
    if folder is None:
        return None
    from .grading.course import CourseError, load_course

    try:
        return load_course(folder)
    except CourseError as error:
        raise UsageError(str(error)) from None


def _copy_out(args) -> int:
    from .course_files import CourseFilesError, copy_exercises, copy_lessons

    copy = copy_lessons if args.command == "lessons" else copy_exercises
    try:
        written = copy(args.dir, overwrite=args.force)
    except CourseFilesError as error:
        raise UsageError(str(error)) from None
    print(f"copied {len(written)} file(s) into {args.dir}", file=sys.stderr)
    return 0


def _build(args) -> int:
    from .grading.build import build_course
    from .grading.course import CourseError
    from .grading.notebook_format import ExerciseFormatError

    course = _course(args.course)
    try:
        results = build_course(course, check=args.check)
    except (CourseError, ExerciseFormatError) as error:
        raise UsageError(str(error)) from None
    stale = [result for result in results if result.status in ("differs", "missing")]
    for result in results:
        if not args.check or result in stale:
            print(f"{result.target}: {result.status}")
    if args.check:
        return EXIT_STALE if stale else 0
    from .grading.build import verify

    problems = verify(course)
    for problem in problems:
        print(f"autodiff-lab build: not ready: {problem}", file=sys.stderr)
    return EXIT_STALE if problems else 0


def _release(args) -> int:
    from .grading.notebook_format import ExerciseFormatError
    from .grading.release import DEFAULT_RELEASE_DIR, DEFAULT_SOURCE_DIR, release

    course = _course(args.course)
    source_dir = course.source_dir if course else DEFAULT_SOURCE_DIR
    if args.release_dir is None:
        args.release_dir = course.release_dir if course else DEFAULT_RELEASE_DIR
    sources = args.sources or sorted(source_dir.glob("*.ipynb"))
    if not sources:
        raise UsageError(
            f"no notebooks in {source_dir}/; name the source notebooks, give --course, "
            "or copy the course's exercises out first (autodiff-lab exercises DIR)"
        )
    if not args.check:
        args.release_dir.mkdir(parents=True, exist_ok=True)
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
        load_source,
        test_cells,
        write_reports,
    )
    from .grading.batch import grade_students
    from .grading.reports import json_summary_line

    course = _course(args.course)
    _require_file(args.source, "source notebook")
    try:
        tests = test_cells(load_source(args.source))
    except SourceError as error:
        raise UsageError(str(error)) from None
    assignment = args.assignment or args.source.stem
    entries, roster = _students(args, assignment)
    if args.shard:
        from .grading.shards import ShardError, parse_shard, select_shard

        try:
            k, n = parse_shard(args.shard)
        except ShardError as error:
            raise UsageError(str(error)) from None
        chosen = {id(entry) for entry in select_shard([e for e in entries if e.path], k, n)}
        # A student without a submission is reported once, by the first piece.
        entries = [e for e in entries if id(e) in chosen or (e.path is None and k == 1)]
    submissions = [entry.path for entry in entries if entry.path is not None]
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
        course=str(course.folder) if course else None,
    )
    started = time.monotonic()
    from .grading.sandbox import SandboxUnavailable

    try:
        results = grade_students(
            args.source,
            entries,
            options,
            progress=None if args.quiet else sys.stderr,
            roster=roster,
        )
    except SourceError as error:
        raise UsageError(str(error)) from None
    except SandboxUnavailable as error:
        raise UsageError(
            f"cannot sandbox the kernels here: {error}. (--unsafe-no-sandbox grades with no "
            "isolation at all: a submission could then read every file you can, forge its "
            "grade and leave processes running; use it only for notebooks you trust.)"
        ) from None
    write_reports(
        results,
        tests,
        args.out,
        args.json,
        source=str(args.source.resolve()),
        assignment=assignment,
        course=str(course.folder) if course else "",
        summaries=_summaries(args.source),
    )
    elapsed = time.monotonic() - started
    graded = sum(1 for result in results if not result.reason.startswith("not graded"))
    print(
        f"graded {graded} of {len(results)} submission(s) in {elapsed:.1f} s "
        f"({elapsed / max(len(results), 1):.1f} s each); wrote {', '.join(map(str, outputs))}",
        file=sys.stderr,
    )
    print(json_summary_line(results, tests), file=sys.stderr)
    return 0


def _summaries(source: Path) -> dict[str, str]:
    """grade_id -> what the part is, in words, for the reports."""
    import nbformat

    from .grading.catalogue import exercises, parts
    from .grading.notebook_format import exercise_name_of

    exercise = exercise_name_of(nbformat.read(source, as_version=4))
    if exercise not in exercises():
        return {}
    return {part.grade_id: part.summary for part in parts(exercise)}


def _students(args, assignment: str):
    """(each student's submission, whether a roster was given), from the layout the
    options name; without a roster or a layout, one entry per file."""
    from .grading.roster import (
        RosterError,
        Student,
        Submitted,
        nbgrader_layout,
        pattern_layout,
        read_roster,
    )

    try:
        roster = read_roster(args.roster) if args.roster else None
        if args.submitted:
            if args.submissions:
                raise UsageError("give submissions or --submitted, not both")
            notebook = args.notebook or args.source.name
            entries = nbgrader_layout(args.submitted, assignment, notebook, roster)
        else:
            if not args.submissions:
                raise UsageError("no submissions: name files or folders, or give --submitted")
            files = _expand(args.submissions)
            if roster is not None or args.pattern:
                entries = pattern_layout(files, args.pattern or "{student_id}.ipynb", roster)
            else:
                entries = [Submitted(Student(""), path) for path in files]
    except RosterError as error:
        raise UsageError(str(error)) from None
    if not entries:
        raise UsageError("no submissions: the folders given hold no .ipynb files")
    return entries, roster is not None


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


def _export(args) -> int:
    from .grading.export import ExportError, export

    _require_file(args.grades, "grades file")
    if not args.out.parent.is_dir():
        raise UsageError(f"cannot write {args.out}: the folder {args.out.parent} does not exist")
    try:
        what = export(args.grades, args.format, args.out, assignment=args.assignment)
    except ExportError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {args.out}: {what}", file=sys.stderr)
    return 0


def _feedback(args) -> int:
    from .grading.export import ExportError
    from .grading.feedback_pages import write_feedback

    _require_file(args.grades, "grades file")
    try:
        written = write_feedback(args.grades, args.out)
    except ExportError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {len(written)} feedback file(s) into {args.out}", file=sys.stderr)
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


def run() -> int:
    """The ``autodiff-lab`` command: `main`, in a process started as the grader's programs
    start (`grading.startup`)."""
    from .grading.startup import skip_iri_grammars

    skip_iri_grammars()
    return main()


if __name__ == "__main__":
    sys.exit(run())
