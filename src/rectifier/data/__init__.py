"""Data bundled with rectifier: the 8x8 handwritten digits (UCI, CC BY 4.0).

The demo of ``rectifier doctor`` and the studies train on these, so they run offline. See
``DIGITS_LICENSE.txt`` next to this file for the attribution; it is also stored in the archive.
"""

from __future__ import annotations

from importlib import resources
from typing import NamedTuple

import numpy as np


class Digits(NamedTuple):
    """The digits: ``images`` uint8 (1797, 8, 8), values 0..16; ``labels`` uint8 0..9."""

    images: np.ndarray
    labels: np.ndarray
    attribution: str


def load_digits() -> Digits:
    """Load the bundled 8x8 digits (1797 images, 10 classes, pixels 0..16).

    >>> d = load_digits()
    >>> d.images.shape, d.images.dtype, int(d.images.max()), sorted(set(d.labels.tolist()))[:3]
    ((1797, 8, 8), dtype('uint8'), 16, [0, 1, 2])
    >>> "CC BY 4.0" in d.attribution
    True
    """
    path = resources.files(__name__).joinpath("digits.npz")
    with path.open("rb") as f, np.load(f, allow_pickle=False) as npz:
        return Digits(npz["X"], npz["y"], str(npz["attribution"]))
