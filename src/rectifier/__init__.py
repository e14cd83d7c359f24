"""rectifier: ReLU done right."""

from rectifier._core import simd_target

__version__ = "0.1.0"
__all__ = ["__version__", "simd_target"]
