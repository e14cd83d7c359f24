"""Make ``src/rectifier/data/digits.npz`` from scikit-learn's copy of the UCI digits.

Run once by a maintainer (scikit-learn is not a dependency of rectifier, not even for tests):

    python tools/make_digits.py

The data set is "Optical Recognition of Handwritten Digits" (E. Alpaydin, C. Kaynak, 1998),
UCI Machine Learning Repository, https://doi.org/10.24432/C50P49, licensed CC BY 4.0.
scikit-learn ships its test part: 1797 images of 8x8 pixels, values 0..16.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

ATTRIBUTION = (
    "Optical Recognition of Handwritten Digits. E. Alpaydin and C. Kaynak (1998). "
    "UCI Machine Learning Repository, https://doi.org/10.24432/C50P49. "
    "Licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). "
    "This copy: the 1797 test images as distributed with scikit-learn "
    "(sklearn.datasets.load_digits), stored as uint8 arrays; no other changes."
)

OUT = Path(__file__).resolve().parent.parent / "src" / "rectifier" / "data" / "digits.npz"


def main() -> None:
    d = load_digits()
    images = d.images
    if not (np.all(images == np.round(images)) and images.min() >= 0 and images.max() <= 16):
        raise SystemExit("unexpected pixel values: expected integers 0..16")
    x = images.astype(np.uint8)
    y = d.target.astype(np.uint8)
    np.savez_compressed(OUT, X=x, y=y, attribution=np.array(ATTRIBUTION))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): X {x.shape} {x.dtype}, y {y.shape}")


if __name__ == "__main__":
    main()
