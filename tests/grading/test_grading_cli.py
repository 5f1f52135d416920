"""The `autodiff-lab` command: clear errors and exit codes for mistakes, never a traceback."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import builders
import nbformat
import pytest

from autodiff_lab import __version__
from autodiff_lab.cli import main

SOURCE = str(builders.SOURCES / "value_class.ipynb")


def test_the_console_script_reports_its_version():
    script = Path(sys.executable).parent / "autodiff-lab"
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"autodiff-lab {__version__}"


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "the following arguments are required: COMMAND"),
        (["grade", "--source", SOURCE, "x.ipynb"], "the following arguments are required: --out"),
        (["grade", "--source", SOURCE, "x.ipynb", "--out", "g.csv", "--jobs", "0"], "at least 1"),
        (
            ["grade", "--source", SOURCE, "x.ipynb", "--out", "g.csv", "--timeout", "soon"],
            "seconds",
        ),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_user_mistakes_exit_2_without_a_traceback(tmp_path, capsys):
    submission = builders.save(builders.submission("value_class"), tmp_path / "a.ipynb")
    not_an_exercise = tmp_path / "plain.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), not_an_exercise
    )
    out = str(tmp_path / "g.csv")
    cases = [
        (
            ["--source", "missing.ipynb", str(submission)],
            "source notebook missing.ipynb does not exist",
        ),
        (["--source", SOURCE, "missing.ipynb"], "submission missing.ipynb does not exist"),
        (["--source", str(not_an_exercise), str(submission)], "has no test cells to grade"),
        (["--source", SOURCE, str(tmp_path / "empty_folder")], "does not exist"),
    ]
    for arguments, message in cases:
        assert main(["grade", *arguments, "--out", out]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert main(["grade", "--source", SOURCE, str(submission), "--out", str(submission)]) == 2
    assert "is an input" in capsys.readouterr().err
    missing_folder = str(tmp_path / "nowhere" / "g.csv")
    assert main(["grade", "--source", SOURCE, str(submission), "--out", missing_folder]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not Path(out).exists()


def test_release_outside_the_project_says_where_to_run_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["release"]) == 2
    assert "no notebooks in exercises/source/" in capsys.readouterr().err


def test_a_folder_of_submissions_is_expanded_and_bad_files_are_rows(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "b.ipynb").write_text("{}")
    (folder / "a.ipynb").write_text("")
    (folder / "notes.txt").write_text("not a notebook, not picked up")
    out = tmp_path / "g.csv"
    assert main(["grade", "--source", SOURCE, str(folder), "--out", str(out)]) == 0
    rows = list(csv.reader(out.open(newline="")))
    assert [Path(r[0]).name for r in rows[1:]] == ["a.ipynb", "b.ipynb"]
    assert "graded 0 of 2 submission(s)" in capsys.readouterr().err


def test_a_flat_folder_with_a_roster_gives_every_student_a_row(tmp_path, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "hw1_ada.ipynb").write_text("{}")  # refused: a row of its own
    (folder / "hw1_zoe.ipynb").write_text("")  # not on the roster: graded, and said so
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,name,email,section\nada,Ada,ada@x,1\nbob,Bob,bob@x,2\n", encoding="utf-8"
    )
    out, report = tmp_path / "g.csv", tmp_path / "g.json"
    argv = ["grade", "--source", SOURCE, str(folder), "--roster", str(roster)]
    argv += ["--pattern", "hw1_{student_id}.ipynb", "--out", str(out), "--json", str(report)]
    assert main(argv) == 0
    rows = {row["student_id"]: row for row in csv.DictReader(out.open(newline=""))}
    assert list(rows) == ["ada", "bob", "zoe"]
    assert rows["ada"]["reason"].startswith("not graded: ") and rows["ada"]["email"] == "ada@x"
    assert rows["bob"]["reason"] == "not graded: no submission" and rows["bob"]["section"] == "2"
    assert rows["zoe"]["reason"].endswith("not on the roster")
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "summary: 3 student(s) (1 without a submission), mean 0 of 8, 0 with full marks, "
        "3 with zero"
    )
    assert json.loads(report.read_text())["summary"]["count"] == 3
    assert main([*argv[:3], "--submitted", str(folder), str(folder), "--out", str(out)]) == 2
    assert "not both" in capsys.readouterr().err


def test_shards_of_a_roster_report_a_missing_student_once(tmp_path, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for student_id in ("a", "b", "c"):
        (folder / f"{student_id}.ipynb").write_text("{}")  # refused, so no kernel runs
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,name,email\na,A,a@x\nb,B,b@x\nc,C,c@x\nd,D,d@x\n", encoding="utf-8"
    )
    pieces = []
    for k in (1, 2):
        out = tmp_path / f"piece{k}.csv"
        argv = ["grade", "--source", SOURCE, str(folder), "--roster", str(roster)]
        assert main([*argv, "--shard", f"{k}/2", "--out", str(out)]) == 0
        pieces.append(out)
    ids = [[row["student_id"] for row in csv.DictReader(p.open(newline=""))] for p in pieces]
    assert ids == [["a", "c", "d"], ["b"]]  # d, who handed nothing in, once
    merged = tmp_path / "all.csv"
    assert main(["merge", *map(str, pieces), "--out", str(merged)]) == 0
    rows = list(csv.DictReader(merged.open(newline="")))
    assert sorted(row["student_id"] for row in rows) == ["a", "b", "c", "d"]
    capsys.readouterr()
