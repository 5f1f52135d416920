"""The vendored digits: the file is the one DIGITS.md describes, and a wheel carries it."""

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from autodiff_lab.datasets import DIGITS_FILE, DIGITS_SHA256, load_digits

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "autodiff_lab" / "datasets"


def test_digits_have_the_documented_shape_labels_and_pixel_range():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype.kind == "i"
    counts = np.bincount(labels, minlength=10)
    assert len(counts) == 10 and counts.sum() == 1797
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]  # sklearn's
    assert images.min() == 0.0 and images.max() == 16.0
    assert np.array_equal(images, np.round(images))  # counts of on pixels: integers


def test_each_call_gives_fresh_arrays():
    images, labels = load_digits()
    images[0] = -1.0
    labels[0] = 99
    again, again_labels = load_digits()
    assert again.min() == 0.0 and again_labels[0] == 0


def test_the_file_is_the_one_digits_md_names():
    documented = re.findall(r"`([0-9a-f]{64})`", (DATASETS / "DIGITS.md").read_text())
    assert documented == [DIGITS_SHA256]
    data = resources.files("autodiff_lab.datasets").joinpath(DIGITS_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == DIGITS_SHA256


@pytest.mark.slow
def test_a_built_wheel_carries_the_data_and_its_attribution(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "autodiff_lab", source / "autodiff_lab", ignore=shutil.ignore_patterns("__pycache__")
    )
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(tmp_path / "out"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "out").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in (DIGITS_FILE, "DIGITS.md", "__init__.py"):
        assert f"autodiff_lab/datasets/{name}" in names
