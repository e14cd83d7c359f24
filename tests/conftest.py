"""Shared pytest setup: report which optional libraries ran, so a skipped one is visible."""

from __future__ import annotations

import importlib.metadata

OPTIONAL = (
    "torch",
    "jax",
    "cupy",
    "dask",
    "distributed",
    "array-api-strict",
    "matplotlib",
    "hypothesis",
    "mpmath",
    "rich",
    "pillow",
)


def pytest_report_header(config):
    present, missing = [], []
    for name in OPTIONAL:
        try:
            present.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    import rectifier

    return [
        f"rectifier {rectifier.__version__}, SIMD target {rectifier.simd_target}",
        "optional libraries present: " + (", ".join(present) or "none"),
        "optional libraries MISSING (their tests are skipped): " + (", ".join(missing) or "none"),
    ]
