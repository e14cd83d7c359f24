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


def pytest_addoption(parser):
    parser.addoption("--gpu", action="store_true",
                     help="also run the tests marked gpu (CUDA tensors, CuPy); needs an NVIDIA GPU")


def pytest_collection_modifyitems(config, items):
    """Tests marked gpu are deselected (not skipped) unless --gpu is given."""
    if config.getoption("--gpu"):
        return
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if gpu:
        config.hook.pytest_deselected(items=gpu)
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]


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
