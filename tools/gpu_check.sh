#!/usr/bin/env bash
# The GPU check of issue 3, for a machine with an NVIDIA GPU, torch (CUDA build), CuPy and JAX:
# build and install rectifier with that machine's Python, then run the device tests with
# --gpu (torch CUDA tensors and CuPy arrays stay on the device and are within the float32
# bound of mpmath and of the NumPy kernels) and the doctor's CUDA test, and time a few functions
# on the GPU against torch's own. Writes logs to $OUT.
# Needs meson-python importable (pip install --no-build-isolation uses this Python's).
set -uo pipefail
out=${OUT:-/tmp/gpu_check}
mkdir -p "$out"
nvidia-smi -L
python3 -c 'import torch, numpy, cupy, jax; print("torch", torch.__version__,
  torch.cuda.get_device_name(0), "| numpy", numpy.__version__, "| cupy", cupy.__version__,
  "| jax", jax.__version__, jax.devices())'
start=$SECONDS
python3 -m pip install -q --no-build-isolation --no-deps --no-index . >"$out/build.log" 2>&1 \
  || { tail -30 "$out/build.log"; exit 1; }
echo "built and installed in $((SECONDS - start)) s"
python3 -m pytest -q -p no:cacheprovider --gpu tests/test_devices.py \
  "tests/torch/test_monitor.py::test_cuda_counters_stay_on_device_without_host_sync" 2>&1 \
  | tee "$out/pytest.log" | tail -25
status=${PIPESTATUS[0]}
python3 - <<'PY' 2>&1 | tee "$out/timing.log"
import time

import cupy
import torch

import rectifier

def ms(f, x, n=20):
    f(x)
    torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(n):
        f(x)
    torch.cuda.synchronize()
    return (time.perf_counter() - t) / n * 1e3

x = torch.randn(10_000_000, device="cuda")
c = cupy.asarray(x)
F = torch.nn.functional
print("float32, n = 1e7, mean of 20 calls, ms: rectifier on torch | torch's own | rectifier on CuPy")
for name in ("relu", "elu", "gelu", "silu", "mish", "softplus"):
    print(f"{name:9s} {ms(getattr(rectifier, name), x):7.3f} {ms(getattr(F, name), x):7.3f}"
          f" {ms(getattr(rectifier, name), c):7.3f}")
PY
exit "$status"
