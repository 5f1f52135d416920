"""Small real data sets that ship with the package, for the lessons to train on.

``load_digits()`` reads the 1,797 handwritten digits vendored in ``digits.csv.gz``
(source, licence and checksum: ``DIGITS.md`` beside it).
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

#: The data file inside this package: 1,797 images of 8×8 pixels and their digits.
DIGITS_FILE = "digits.csv.gz"
#: The SHA-256 of that file, as DIGITS.md records it (the tests check the file against it).
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: 1,797 images of 8×8 pixels as floats from 0 to 16,
    shape (1797, 8, 8), and the digit each shows, ints 0..9 of shape (1797,)."""
    raw = resources.files(__name__).joinpath(DIGITS_FILE).read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",")
    if table.shape != (1797, 65):
        raise ValueError(f"{DIGITS_FILE}: expected 1797 rows of 65 numbers, got {table.shape}")
    return table[:, :64].reshape(-1, 8, 8), table[:, 64].astype(np.int64)


__all__ = ["DIGITS_FILE", "DIGITS_SHA256", "load_digits"]
