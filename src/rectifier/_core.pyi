# Type stub for the compiled module rectifier._core (module.c).
import numpy as np

simd_target: str
simd_targets: tuple[str, ...]

relu: np.ufunc
relu_grad: np.ufunc
relu_backward: np.ufunc

def get_num_threads() -> int: ...
def set_num_threads(n: int, /) -> None: ...
def default_num_threads() -> int: ...
