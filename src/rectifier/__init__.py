"""rectifier: ReLU done right.

Exact, fast NumPy ufuncs for ReLU with its derivative and fused backward pass, working on NumPy,
PyTorch, JAX, CuPy and Dask arrays; and (with the ``torch`` extra) a doctor that finds dead and
dormant ReLUs in any PyTorch model.

>>> import rectifier
>>> rectifier.relu([-2, -1, 0, 1, 2])
array([0, 0, 0, 1, 2])
"""

from rectifier._core import get_num_threads, set_num_threads, simd_target
from rectifier._ops import REGISTRY as ops
from rectifier.api import relu, relu_backward, relu_grad

__version__ = "0.1.0"
__all__ = [
    "__version__",
    "get_num_threads",
    "ops",
    "relu",
    "relu_backward",
    "relu_grad",
    "set_num_threads",
    "simd_target",
]
