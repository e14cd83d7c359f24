"""The two exhaustive float32 checkers agree, on a sparse sample, for every float-lane core.

tools/exhaustive_f32.py runs the real ufuncs; tools/exhaustive_f32_cores.c compiles one core of
src/rectifier/_core standalone (so a kernel can be checked on all 2**32 inputs in minutes, before
a rebuild). Both must measure the same thing: on the same bit patterns, the worst forward and
grad errors they report must be identical (same cores, same compiler flags as the build that
rectifier runs on), and within SEMANTICS.md's float32 bound. The cores and their parameter
counts are read from kernels.c's RK_SMOOTH list, so a new float-lane core is covered without
editing this test.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rectifier import _core
from rectifier._ops import ALL_RECORDS

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "src" / "rectifier" / "_core"
STRIDE = 1_000_003  # ~4,300 bit patterns per form, every binade touched

# The build's flags per SIMD target (src/rectifier/_core/meson.build), so the harness computes
# exactly what the kernel rectifier imported runs.
_COMMON = [
    "-O3",
    "-fno-math-errno",
    "-fno-trapping-math",
    "-ffp-contract=fast",
    "--param=max-unswitch-insns=1000",
    "--param=max-unswitch-level=6",
]
_TARGET_FLAGS = {
    "baseline": [],
    "avx2": ["-mavx2", "-mfma", "-mf16c"],
    "avx512": [
        "-mavx512f",
        "-mavx512bw",
        "-mavx512vl",
        "-mavx512dq",
        "-mavx2",
        "-mfma",
        "-mf16c",
        "-mprefer-vector-width=512",
    ],
}


def _table_mask(name: str) -> int:
    """Which of name's forms have AVX-512 table kernels (ufuncs.h's PAR = TABLE), as the
    harness's -DTABLE mask: 1 the forward, 2 the grad, 4 the backward."""
    text = (CORE / "ufuncs.h").read_text()
    tables = set(re.findall(r"X\((\w+), \d, \d, FLOATS, TABLE,", text))
    forms = [name, f"{name}_grad", f"{name}_backward"]
    return sum(1 << i for i, form in enumerate(forms) if form in tables)


def _float_lane_cores() -> list[tuple[str, int, str, bool]]:
    """(name, parameter count, forward's form: D, F32 or F32_FAST, backward with a fast path)
    for every RK_SMOOTH with an F32 or F32_FAST form."""
    text = (CORE / "kernels.c").read_text()
    rows = re.findall(r"^RK_SMOOTH\((\w+), (\d+), (\w+), (\w+)\)", text, flags=re.M)
    assert all(code in ("D", "F32", "F32_FAST") for row in rows for code in row[2:]), rows
    return [
        (n, int(k), fwd, der == "F32_FAST")
        for n, k, fwd, der in rows
        if fwd != "D" or der != "D"
    ]


def _python_tool():
    spec = importlib.util.spec_from_file_location(
        "exhaustive_f32", ROOT / "tools" / "exhaustive_f32.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _c_tool(tmp_path: Path, name: str, k: int, fwd: str, fast_bwd: bool) -> Path:
    exe = tmp_path / f"exhaustive_{name}"
    cmd = [
        "gcc",
        *_COMMON,
        *_TARGET_FLAGS[_core.simd_target],
        "-fopenmp",
        f"-I{CORE}",
        f"-DNAME={name}",
        f"-DK={k}",
        f"-DFWD={int(fwd != 'D')}",
        *(["-DFAST_FWD"] if fwd == "F32_FAST" else []),
        *(["-DFAST_BWD"] if fast_bwd else []),
        # the AVX-512 build runs the table kernels where they hold (kernels.c's RK_TABLE_*)
        *([f"-DTABLE={_table_mask(name)}"]
          if _core.simd_target == "avx512" and _table_mask(name) else []),
        str(ROOT / "tools" / "exhaustive_f32_cores.c"),
        "-o",
        str(exe),
        "-lm",
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return exe


def test_kernels_c_lists_float_lane_cores():
    names = [n for n, *_ in _float_lane_cores()]
    assert {"gelu", "silu", "softplus", "elu"} <= set(names)
    assert {n for n, *_, fast in _float_lane_cores() if fast} >= {"elu", "selu", "gelu"}
    assert {n for n, _, fwd, _ in _float_lane_cores() if fwd == "F32_FAST"} >= {"mish"}


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build the C harness")
@pytest.mark.parametrize("name,k,fwd,fast_bwd", _float_lane_cores())
def test_c_harness_matches_the_ufunc_checker(tmp_path, name, k, fwd, fast_bwd):
    rec = ALL_RECORDS[name]
    params = [p.default for p in rec.params]
    assert len(params) == k, "kernels.c's parameter count must match the registry's"
    exe = _c_tool(tmp_path, name, k, fwd, fast_bwd)
    out = subprocess.run(
        [str(exe), str(STRIDE), *map(repr, params)], check=True, capture_output=True, text=True
    ).stdout
    got = {
        m[0]: (float(m[1]), float.fromhex(m[2]), int(m[3]))
        for m in re.findall(
            r"^(\w+) +worst ([\d.]+) ulp at x=\S+ \((\S+)\)  over 2: (\d+)", out, flags=re.M
        )
    }
    tool = _python_tool()
    bound = rec.ulp_bound["float32"]
    for op in (["forward"] if fwd != "D" else []) + ["grad", "backward"]:
        worst, x, over = tool.check(name, op, STRIDE, bound)
        c_worst, _, c_over = got[op]
        assert c_over == 0 and over == 0, (op, out)
        if op != "backward":  # the backward's grads are drawn differently by the two tools
            assert abs(c_worst - worst) < 1e-6, (op, worst, x, out)
