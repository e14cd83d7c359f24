# Type stub for the compiled module rectifier._core (module.c, ufuncs.h).
import numpy as np

simd_target: str
simd_targets: tuple[str, ...]

celu: np.ufunc
celu_backward: np.ufunc
celu_grad: np.ufunc
elu: np.ufunc
elu_backward: np.ufunc
elu_grad: np.ufunc
gelu: np.ufunc
gelu_backward: np.ufunc
gelu_grad: np.ufunc
gelu_tanh: np.ufunc
gelu_tanh_backward: np.ufunc
gelu_tanh_grad: np.ufunc
hardsigmoid: np.ufunc
hardsigmoid_backward: np.ufunc
hardsigmoid_grad: np.ufunc
hardswish: np.ufunc
hardswish_backward: np.ufunc
hardswish_grad: np.ufunc
hardtanh: np.ufunc
hardtanh_backward: np.ufunc
hardtanh_grad: np.ufunc
leaky_relu: np.ufunc
leaky_relu_backward: np.ufunc
leaky_relu_grad: np.ufunc
mish: np.ufunc
mish_backward: np.ufunc
mish_grad: np.ufunc
prelu: np.ufunc
prelu_backward: np.ufunc
prelu_grad: np.ufunc
relu: np.ufunc
relu6: np.ufunc
relu6_backward: np.ufunc
relu6_grad: np.ufunc
relu_backward: np.ufunc
relu_grad: np.ufunc
rrelu: np.ufunc
rrelu_backward: np.ufunc
rrelu_grad: np.ufunc
selu: np.ufunc
selu_backward: np.ufunc
selu_grad: np.ufunc
sigmoid: np.ufunc
sigmoid_backward: np.ufunc
sigmoid_grad: np.ufunc
silu: np.ufunc
silu_backward: np.ufunc
silu_grad: np.ufunc
softplus: np.ufunc
softplus_backward: np.ufunc
softplus_grad: np.ufunc
squared_relu: np.ufunc
squared_relu_backward: np.ufunc
squared_relu_grad: np.ufunc
tanh: np.ufunc
tanh_backward: np.ufunc
tanh_grad: np.ufunc
threshold: np.ufunc
threshold_backward: np.ufunc
threshold_grad: np.ufunc

def get_num_threads() -> int: ...
def set_num_threads(n: int, /) -> None: ...
def default_num_threads() -> int: ...

# `rectifier bench`'s streaming limit (read x, write y / read g and x, write y; no arithmetic)
# and the number of calls split across threads so far (the tests read it).
_limit1: np.ufunc
_limit2: np.ufunc

def _parallel_calls() -> int: ...
def _threads_started() -> int: ...
def _set_spin_us(us: int, /) -> int: ...
