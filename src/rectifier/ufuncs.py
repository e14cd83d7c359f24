"""The raw NumPy ufuncs, for users who want NumPy's full ufunc interface.

Parameters are trailing inputs (``relu_grad(x, at_zero)``, ``relu_backward(grad, x, at_zero)``),
so they broadcast like any operand. ``out=``, ``where=``, ``casting=``, ``.at`` and the other
ufunc features come from NumPy. The friendlier functions in :mod:`rectifier` wrap these.

>>> import numpy as np
>>> from rectifier import ufuncs
>>> ufuncs.relu(np.array([-2, -1, 0, 1, 2]))
array([0, 0, 0, 1, 2])
>>> ufuncs.relu_grad(np.array([-1.0, 0.0, 1.0]), 0.5)
array([0. , 0.5, 1. ])
"""

from rectifier._core import relu, relu_backward, relu_grad

__all__ = ["relu", "relu_backward", "relu_grad"]
