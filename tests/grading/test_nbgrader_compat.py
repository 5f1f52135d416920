"""Proof that instructors can use nbgrader itself on our exercise notebooks, unchanged.

In a temporary course folder: ``nbgrader generate_assignment`` accepts our
sources and produces the same student notebooks as ``autodiff-lab release``
(apart from the checksums it adds), ``nbgrader validate`` passes the sources,
and ``nbgrader validate --invert`` confirms that every test fails on the
student versions.
"""

from __future__ import annotations

import shutil

import builders
import nbformat
import pytest

from autodiff_lab.grading.catalogue import EXERCISES

nbgrader = pytest.importorskip(
    "nbgrader", reason="nbgrader is missing: pip install -e '.[nbgrader]'"
)

ASSIGNMENT = "autodiff"
NBGRADER_ADDS = ("checksum", "cell_type")  # nbgrader's own bookkeeping in the metadata


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    (root / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\n", encoding="utf-8"
    )
    source_dir = root / "source" / ASSIGNMENT
    source_dir.mkdir(parents=True)
    for name in EXERCISES:
        shutil.copy(builders.SOURCES / f"{name}.ipynb", source_dir)
    return root


run_nbgrader = builders.run_nbgrader


def test_generate_assignment_accepts_our_sources_and_agrees_with_our_release(course):
    done = run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    for name in EXERCISES:
        theirs = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
        ours = nbformat.read(builders.RELEASES / f"{name}.ipynb", as_version=4)
        assert len(theirs.cells) == len(ours.cells)
        for their_cell, our_cell in zip(theirs.cells, ours.cells):
            assert their_cell.source == our_cell.source
            their_metadata = dict(their_cell.metadata)
            their_metadata["nbgrader"] = {
                key: value
                for key, value in their_cell.metadata["nbgrader"].items()
                if key not in NBGRADER_ADDS
            }
            assert their_metadata == dict(our_cell.metadata)


def _verdicts(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Success!")]


def test_validate_passes_the_instructor_sources(course):
    paths = [str(builders.SOURCES / f"{name}.ipynb") for name in EXERCISES]
    done = run_nbgrader(course, "validate", *paths)
    verdicts = _verdicts(done.stdout)
    assert verdicts == ["Success! Your notebook passes all the tests."] * len(EXERCISES), (
        done.stdout + done.stderr
    )


def test_validate_invert_sees_every_test_fail_on_the_student_versions(course):
    paths = [str(builders.RELEASES / f"{name}.ipynb") for name in EXERCISES]
    done = run_nbgrader(course, "validate", "--invert", *paths)
    verdicts = _verdicts(done.stdout)
    assert verdicts == ["Success! The notebook does not pass any tests."] * len(EXERCISES), (
        done.stdout + done.stderr
    )


def test_our_metadata_passes_nbgraders_validator():
    from nbgrader.nbgraderformat import MetadataValidator

    for folder in (builders.SOURCES, builders.RELEASES):
        for name in EXERCISES:
            MetadataValidator().validate_nb(nbformat.read(folder / f"{name}.ipynb", as_version=4))
