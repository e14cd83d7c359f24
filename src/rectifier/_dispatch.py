"""Apply a registered op to the caller's arrays, in the caller's library.

- NumPy arrays, NumPy scalars, Python numbers and sequences: the C ufunc, no extra copies.
- Dask arrays: the same ufunc through ``__array_ufunc__``, so the result stays lazy (the ufuncs
  pickle by name, so they run on ``dask.distributed`` workers).
- torch: CPU tensors run the C ufunc on a NumPy view of their memory; other devices the generic
  implementation (``_torch_arrays``). Autograd goes through rectifier's own backward.
- JAX, CuPy and any other ``__array_namespace__`` array: the generic array-API implementation.

The generic implementation computes float16 and float32 in float64 and rounds once
(:func:`run_generic`), so every library's values are within the NumPy kernels' bound.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rectifier import _backends as B
from rectifier._ops import OpRecord

_BAD_KINDS = ("bool", "complex")


def func_name(rec: OpRecord, op: str) -> str:
    return rec.name if op == "forward" else f"{rec.name}_{op}"


def _namespace(x: Any, lib: str) -> Any:
    if lib in (B.JAX, B.ARRAY_API) or (lib == B.CUPY and hasattr(x, "__array_namespace__")):
        return x.__array_namespace__()
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - installed with the torch extra
        raise ImportError(
            f"rectifier needs array-api-compat for {lib} arrays; "
            'pip install array-api-compat (or "rectifier[torch]")'
        ) from None
    return array_api_compat.array_namespace(x)


def _check_dtype(func: str, names: tuple[str, ...], arrays: tuple[Any, ...]) -> None:
    """Non-NumPy arrays: reject bool and complex as the ufuncs do (they check NumPy's)."""
    for name, a in zip(names, arrays, strict=True):
        dtype = str(getattr(a, "dtype", ""))
        if any(k in dtype for k in _BAD_KINDS):
            raise TypeError(
                f"{func}: {name} has dtype {dtype}, which is not supported; "
                "pass a real (integer or float) array"
            )


def explain(
    func: str, exc: Exception, arrays: tuple[Any, ...], names: tuple[str, ...], out: Any
) -> Exception:
    """A NumPy ufunc error, reworded to name the function, the argument at fault and the fix.

    Only called once a ufunc has raised, so the common path pays nothing. NumPy's own texts
    ("output array is read-only", "operands could not be broadcast together with shapes
    (3,) () (4,)") name neither the function nor the argument.

    >>> explain("relu", ValueError("output array is read-only"), (np.ones(2),), ("x",),
    ...         np.broadcast_to(1.0, (2,)))
    ValueError('relu: out is read-only; pass a writable array, or out=None for a new one')
    """
    text = str(exc)
    if text.startswith(f"{func}: input "):  # the kernels' dtype error: "input 1" -> "x"
        index, _, rest = text[len(func) + 8 :].partition(" ")
        if index.isdigit() and int(index) < len(names):
            return type(exc)(f"{func}: {names[int(index)]} {rest}")
    if text.startswith(f"{func}:"):
        return exc
    shapes = [np.shape(a) for a in arrays]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        given = " and ".join(f"{n} has shape {s}" for n, s in zip(names, shapes, strict=True))
        return ValueError(
            f"{func}: {given}, which do not broadcast together; pass arrays of one shape "
            "(or shapes NumPy can broadcast)"
        )
    if out is not None and not isinstance(out, np.ndarray):
        return TypeError(
            f"{func}: out must be a numpy.ndarray, got {type(out).__name__}; pass an array of "
            "the result's shape and dtype, or out=None"
        )
    if isinstance(out, np.ndarray):
        if not out.flags.writeable:
            return ValueError(
                f"{func}: out is read-only; pass a writable array, or out=None for a new one"
            )
        try:
            fits = np.broadcast_shapes(shape, out.shape) == out.shape
        except ValueError:
            fits = False
        if not fits:
            return ValueError(
                f"{func}: out has shape {out.shape}, but the result has shape {shape}; pass "
                f"out of shape {shape}, or out=None"
            )
        if isinstance(exc, TypeError):
            return TypeError(
                f"{func}: out has dtype {out.dtype}, which cannot hold the result ({exc}); "
                "pass out of the result's dtype, or out=None"
            )
    return (TypeError if isinstance(exc, TypeError) else ValueError)(f"{func}: {exc}")


def call_ufunc(
    func: str,
    ufunc: np.ufunc,
    arrays: tuple[Any, ...],
    names: tuple[str, ...],
    out: Any,
    *params: Any,
) -> Any:
    """``ufunc(*arrays, *params, out=out)``, with its errors reworded by :func:`explain`."""
    try:
        return ufunc(*arrays, *params, out=out)
    except (TypeError, ValueError) as exc:
        raise explain(func, exc, arrays, names, out) from None


def _write_out(func: str, lib: str, result: Any, out: Any) -> Any:
    if out is None:
        return result
    if lib == B.TORCH:
        import torch  # the caller's tensors are torch's, so it is imported already

        if not isinstance(out, torch.Tensor):
            raise TypeError(
                f"{func}: out must be a torch.Tensor for torch inputs, got {type(out).__name__}; "
                "pass a tensor of the result's shape and dtype, or out=None"
            )
        if not torch.can_cast(result.dtype, out.dtype):
            # copy_ would cast silently (a float result truncated into an integer tensor).
            raise TypeError(
                f"{func}: out has dtype {out.dtype}, which cannot hold the {result.dtype} "
                "result; pass out of the result's dtype, or out=None"
            )
        if tuple(out.shape) != tuple(result.shape):
            raise ValueError(
                f"{func}: out has shape {tuple(out.shape)}, expected {tuple(result.shape)}; "
                "pass an array of the result's shape or out=None"
            )
        try:
            return out.copy_(result)
        except RuntimeError as exc:  # an expanded (stride-0) or autograd-leaf out
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(
                f"{func}: cannot write into out ({reason}); pass a writable tensor of its own "
                "memory, or out=None"
            ) from None
    if lib == B.CUPY:
        out[...] = result
        return out
    raise TypeError(
        f"{func}: out= is not supported for {lib} arrays (they are immutable or lazy); "
        "use the return value"
    )


def apply(
    rec: OpRecord,
    op: str,
    arrays: tuple[Any, ...],
    names: tuple[str, ...],
    params: dict[str, Any],
    out: Any = None,
) -> Any:
    """Run ``op`` ('forward', 'grad' or 'backward') of ``rec`` on ``arrays``."""
    func = func_name(rec, op)
    ps = rec.all_params(op)
    values = tuple([p.validate(func, params[p.name]) for p in ps]) if ps else ()
    # NumPy arrays, the common case, go straight to the ufunc: on small arrays the library
    # lookup below would cost more than the kernel.
    if out is None or type(out) is np.ndarray:
        for a in arrays:
            if type(a) is not np.ndarray:
                break
        else:
            # try costs nothing until it raises (Python 3.11); no extra call frame here.
            try:
                return rec.ufunc_for(op)(*arrays, *values, out=out)
            except (TypeError, ValueError) as exc:
                raise explain(func, exc, arrays, names, out) from None
    lib = B.common_library(func, **dict(zip(names, arrays, strict=True)))
    if lib == B.NUMPY:
        if out is not None and not isinstance(out, np.ndarray):
            raise TypeError(
                f"{func}: out must be a numpy.ndarray, got {type(out).__name__}; "
                "pass an array of the result's shape and dtype, or out=None"
            )
        return call_ufunc(func, rec.ufunc_for(op), arrays, names, out, *values)
    _check_dtype(func, names, arrays)
    if lib == B.DASK:
        if out is not None:
            return _write_out(func, lib, None, out)
        return rec.ufunc_for(op)(*arrays, *values)
    kw = {p.name: v for p, v in zip(rec.all_params(op), values, strict=True)}
    if lib == B.TORCH:
        from rectifier import _torch_arrays  # the caller's tensors are torch's: it is imported

        result = _torch_arrays.run(rec, op, arrays, names, values, kw)
    else:
        result = run_generic(rec, op, arrays, kw, lib)
    return _write_out(func, lib, result, out)


def run_generic(rec: OpRecord, op: str, arrays: tuple[Any, ...], kw: dict[str, Any],
                lib: str) -> Any:
    """``op`` of ``rec`` through the generic array-API implementation, in ``lib``'s arrays.

    Libraries' own ops are not used, even where they agree in value: torch.relu(-0.0) is
    -0.0, torch's silu, gelu, mish and hardswish give NaN at -inf, and its float32 sigmoid
    loses the subnormal tail (1.6e6 ulp at x = -89).
    """
    xp = _namespace(arrays[-1], lib)
    generic = {
        "forward": rec.generic_forward,
        "grad": rec.generic_grad,
        "backward": rec.generic_backward,
    }[op]
    # A piecewise-linear forward is selects, exact in any dtype; anything that rounds (a
    # parameter's product, a derivative times grad, every smooth function) is computed wide.
    pure_select = rec.exact and not kw and op == "forward"
    narrow = None if pure_select else _narrow_dtype(arrays, xp, lib)
    if narrow is None:
        return generic(*arrays, xp=xp, **kw)
    # The parameters are rounded to the arrays' dtype first, as the ufuncs do (they are ufunc
    # inputs): leaky_relu's 0.01 is 0.0099999998 in float32.
    kw = {k: _rounded(v, narrow, xp) for k, v in kw.items()}
    wide = [xp.astype(a, xp.float64) if hasattr(a, "dtype") else a for a in arrays]
    return xp.astype(generic(*wide, xp=xp, **kw), narrow)


def _rounded(value: float, dtype: Any, xp: Any) -> float:
    try:
        return float(np.dtype(str(dtype).rsplit(".", 1)[-1]).type(value))
    except TypeError:  # a dtype NumPy lacks (torch.bfloat16)
        return float(xp.asarray(value, dtype=dtype))


def _narrow_dtype(arrays: tuple[Any, ...], xp: Any, lib: str) -> Any:
    """The result dtype if it is float16 or float32 and the device has float64, else None.

    The generic formulas are stable, but in float32 each of their steps rounds, and together
    they miss the float32 bound (silu's derivative is 1.3e7 ulp off next to its zero in
    float32). In float64 the same formulas are within a fraction of a float32 ulp, so narrow
    floats are computed in float64 and rounded once, as the C kernels do for float16.
    """
    dtypes = [a.dtype for a in arrays if hasattr(a, "dtype")]
    if not dtypes or not all(xp.isdtype(d, "real floating") for d in dtypes):
        return None
    narrow = xp.result_type(*dtypes)
    if narrow == xp.float64 or not _has_float64(arrays[-1], lib):
        return None
    return narrow


def _has_float64(x: Any, lib: str) -> bool:
    if lib == B.TORCH:
        return x.device.type != "mps"  # Apple's GPUs have no float64
    if lib == B.JAX:
        import jax  # the caller's arrays are JAX's, so it is imported already

        return bool(jax.config.read("jax_enable_x64"))  # off by default: float64 is float32
    return True  # CuPy, and the array API standard, which requires float64



