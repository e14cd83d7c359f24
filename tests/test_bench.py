"""``rectifier bench`` and rectifier.bench: the record schema, validation, the table. Never timing.

Runs use tiny sizes and a short batch target, so the whole file takes a few seconds.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import types

import numpy as np
import pytest

import rectifier
from rectifier import bench, cli
from rectifier._ops import REGISTRY

SCHEMA = {
    "function": str,
    "op": str,
    "impl": str,
    "dtype": str,
    "n": int,
    "threads": int,
    "median_s": float,
    "min_s": float,
    "max_s": float,
    "gbps": float,
    "simd": str,
    "alloc": bool,
    "agrees": bool,
    "repeats": int,
    "batch": int,
    "mode": str,
}
TINY = ["--sizes", "1000", "--repeats", "7"]


@pytest.fixture(autouse=True)
def _fast_and_present(monkeypatch):
    # Short timed batches: these tests check structure, not speed.
    monkeypatch.setattr(bench, "MIN_BATCH_S", 2e-5)


def run_cli(capsys, argv):
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def json_records():
    """One JSON run over every op, shared by the schema tests (cli.main, stdout parsed)."""
    import contextlib
    import io

    mp = pytest.MonkeyPatch()
    mp.setattr(bench, "MIN_BATCH_S", 2e-5)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            code = cli.main(
                [
                    "bench",
                    "--function",
                    "relu",
                    "--op",
                    "forward,grad",
                    "--op",
                    "backward",
                    "--dtype",
                    "float32",
                    *TINY,
                    "--json",
                ]
            )
    finally:
        mp.undo()
    assert code == 0
    return json.loads(buf.getvalue())


def test_json_is_a_list_of_records_with_the_schema(json_records):
    assert isinstance(json_records, list) and json_records
    for rec in json_records:
        assert set(SCHEMA) <= set(rec), rec
        for key, typ in SCHEMA.items():
            assert isinstance(rec[key], typ), (key, rec[key])
        assert rec["op"] in ("forward", "grad", "backward")
        assert rec["impl"] in ("rectifier", "numpy", "torch", "limit")
        assert rec["mode"] == "out"
        assert (rec["of_limit"] is None) == (rec["impl"] == "limit"), rec
        assert (rec["function"], rec["dtype"], rec["n"]) == ("relu", "float32", 1000)
        assert rec["threads"] == bench.rectifier_threads()
        assert rec["repeats"] == 7 and rec["batch"] >= 1
        assert 0 < rec["min_s"] <= rec["median_s"] <= rec["max_s"]
        assert rec["gbps"] > 0
        assert rec["simd"] == rectifier.simd_target
        assert rec["agrees"] is True


@pytest.mark.parametrize(
    "impl",
    [
        "rectifier",
        "numpy",
        "limit",
        pytest.param(
            "torch",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("torch") is None, reason="torch not installed"
            ),
        ),
    ],
)
def test_json_has_each_impl(json_records, impl):
    ops = {r["op"] for r in json_records if r["impl"] == impl}
    # torch has no grad peer in the registry; the others cover every op.
    assert ops == ({"forward", "backward"} if impl == "torch" else {"forward", "grad", "backward"})


def test_torch_without_out_is_marked_alloc(json_records):
    pytest.importorskip("torch")
    rec = REGISTRY["relu"]
    for r in json_records:
        if r["impl"] == "torch":
            peer = rec.torch_forward if r["op"] == "forward" else rec.torch_backward
            assert r["alloc"] == (not bench._accepts_out(peer))
        else:
            assert r["alloc"] is False


def test_torch_threads_match_and_are_restored(monkeypatch):
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    seen = []
    rec = REGISTRY["relu"]

    def spy_forward(x):  # the thread count torch runs with during the benchmark
        seen.append(torch.get_num_threads())
        return rec.torch_forward(x)

    monkeypatch.setitem(REGISTRY, "relu", dataclasses.replace(rec, torch_forward=spy_forward))
    records = bench.run_bench(["relu"], ["forward"], ["float64"], [50], 7, impls=["torch"])
    assert [r.threads for r in records] == [bench.rectifier_threads()]
    assert set(seen) == {bench.rectifier_threads()}
    assert torch.get_num_threads() == before


def test_table_output(capsys):
    code, out, err = run_cli(
        capsys, ["bench", "--function", "relu", "--op", "forward", "--dtype", "float64", *TINY]
    )
    assert (code, err) == (0, "")
    first = out.splitlines()[:3]
    assert first[0].startswith("cpu: ")  # machine facts first
    for fact in ("cores:", "numpy:", "torch:", "simd_target:", "python:"):
        assert fact in out
    for col in bench.TABLE_COLUMNS:
        assert col in out
    assert "rectifier" in out and "1,000" in out


def test_plain_table_without_rich(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "rich", None)  # import rich -> ImportError
    recs = bench.run_bench(
        ["relu"], ["backward"], ["float32"], [100], 7, impls=["rectifier", "numpy"]
    )
    bench.print_report(recs, bench.machine_facts())
    out = capsys.readouterr().out
    assert "function  op" in out
    assert out.count("relu      backward") == 2


BAD = {
    "size_zero": ["--sizes", "0"],
    "size_negative": ["--sizes", "1000,-5"],
    "size_float": ["--sizes", "1.5"],
    "size_word": ["--sizes", "big"],
    "size_empty": ["--sizes", ""],
    "repeats_too_few": ["--repeats", "6"],
    "repeats_word": ["--repeats", "many"],
    "dtype_int": ["--dtype", "int8"],
    "dtype_unknown": ["--dtype", "float32,bfloat17"],
    "op_unknown": ["--op", "sideways"],
    "function_unknown": ["--function", "relu", "--function", "nope"],
    "option_unknown": ["--fast"],
    "mode_unknown": ["--mode", "sideways"],
    "threads_zero": ["--threads", "0"],
    "threads_word": ["--threads", "all"],
    "plot_no_dir": ["--plot", "/nonexistent-dir/bench.png"],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_options_one_line_exit_2(name, capsys):
    code, out, err = run_cli(capsys, ["bench", *BAD[name]])
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith("rectifier: error: ")
    assert "Traceback" not in err


def test_library_validation_raises_value_error():
    with pytest.raises(ValueError, match="sizes"):
        bench.run_bench(sizes=[0])
    with pytest.raises(ValueError, match="repeats"):
        bench.run_bench(repeats=6)
    with pytest.raises(ValueError, match="impl"):
        bench.run_bench(impls=["cupy"])


def test_doctor_missing_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "rectifier.torch.overhead", None)  # import -> ImportError
    code, out, err = run_cli(capsys, ["bench", "--doctor"])
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "--doctor" in err


@pytest.mark.parametrize("as_json", [True, False])
def test_doctor_records_are_printed(capsys, monkeypatch, as_json):
    fake = types.ModuleType("rectifier.torch.overhead")
    fake.doctor_overhead_records = lambda repeats: [
        {"model": "mlp", "overhead": 0.031, "note": None, "repeats": repeats}
    ]
    monkeypatch.setitem(sys.modules, "rectifier.torch.overhead", fake)
    argv = ["bench", "--doctor", "--repeats", "8", *(["--json"] if as_json else [])]
    code, out, err = run_cli(capsys, argv)
    assert (code, err) == (0, "")
    if as_json:
        assert json.loads(out) == [{"model": "mlp", "overhead": 0.031, "note": None, "repeats": 8}]
    else:
        assert "mlp" in out and "0.031" in out


def test_bytes_moved_and_speedups():
    assert bench.bytes_moved("forward", 10, 8) == 160
    assert bench.bytes_moved("grad", 10, 4) == 80
    assert bench.bytes_moved("backward", 10, 2) == 60


def test_docstring_examples():
    import doctest

    assert doctest.testmod(bench).failed == 0


def test_a_wrong_peer_is_flagged(monkeypatch, capsys):
    """A peer wired up wrongly (here: the identity) is flagged, in the record and on stderr."""
    rec = dataclasses.replace(REGISTRY["relu"], numpy_forward=lambda x, out=None: x)
    monkeypatch.setitem(REGISTRY, "relu", rec)
    code, out, err = run_cli(
        capsys,
        ["bench", "--function", "relu", "--op", "forward", "--dtype", "float32", *TINY, "--json"],
    )
    assert code == 0
    agrees = {r["impl"]: r["agrees"] for r in json.loads(out)}
    assert agrees["numpy"] is False and agrees["rectifier"] is True
    assert err.count("\n") == 1 and "numpy disagrees with rectifier on relu forward" in err


def test_progress_bar_on_a_terminal(capsys, monkeypatch):
    pytest.importorskip("rich")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    code, out, _ = run_cli(
        capsys,
        ["bench", "--function", "relu", "--op", "grad", "--dtype", "float16", *TINY, "--json"],
    )
    assert code == 0
    assert {r["dtype"] for r in json.loads(out)} == {"float16"}


# ---- the limit row, memory modes, threads, goals, the plot -----------------------------------


def test_of_limit_is_the_limit_median_over_the_row_median(json_records):
    limit = {(r["op"], r["n"]): r["median_s"] for r in json_records if r["impl"] == "limit"}
    for r in json_records:
        if r["impl"] != "limit":
            assert r["of_limit"] == pytest.approx(limit[(r["op"], r["n"])] / r["median_s"])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_limit_kernels_move_the_bytes_unchanged(dtype):
    from rectifier import _core

    rng = np.random.default_rng(0)
    for n in (0, 1, 1000, (1 << 18) * 2 + 7):  # the last one is split across threads
        g, x = rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)
        assert _core._limit1(x).tobytes() == x.tobytes()
        assert _core._limit2(g, x).tobytes() == g.tobytes()
        y = x.copy()
        _core._limit1(y, out=y)
        assert y.tobytes() == x.tobytes()
        h = g.copy()
        _core._limit2(h, x, out=h)
        assert h.tobytes() == g.tobytes()
        y = x.copy()
        _core._limit2(g, y, out=y)
        assert y.tobytes() == g.tobytes()
    x = rng.normal(size=(40, 30)).astype(dtype)
    np.testing.assert_array_equal(_core._limit1(x.T[::2]), x.T[::2])  # strided
    np.testing.assert_array_equal(_core._limit2(x.T, x.T.copy()), x.T)


def _case(mode, function="relu", op="forward", impls=("rectifier", "numpy", "limit")):
    return bench.bench_case(
        REGISTRY[function], op, "float32", 2000, 7, list(impls), min_batch_s=1e-4, mode=mode
    )


def test_inplace_mode_gives_each_implementation_its_own_copy():
    calls = bench.make_calls(
        REGISTRY["relu"], "forward", "float32", 100, ["rectifier", "numpy"], mode="inplace"
    )
    (mine, _), (peer, _) = calls["rectifier"], calls["numpy"]
    first = mine()
    assert first.min() >= 0  # overwritten in place...
    assert peer() is not first  # ...and the peer works on another array
    recs = _case("inplace")
    assert {r.impl for r in recs} == {"rectifier", "numpy", "limit"}
    assert all(r.mode == "inplace" and not r.alloc and r.agrees for r in recs)


def test_inplace_mode_skips_ops_that_change_when_repeated():
    # leaky_relu in place, repeated, scales negatives down to subnormals: not the same work.
    assert _case("inplace", "leaky_relu") == []
    assert _case("inplace", "relu6") != []


def test_torch_inplace_peer_where_torch_has_one():
    pytest.importorskip("torch")
    recs = _case("inplace", impls=["rectifier", "torch"])
    assert [r.impl for r in recs] == ["rectifier", "torch"] and recs[1].agrees
    assert bench._torch_inplace(REGISTRY["gelu"], "forward") is None  # F.gelu has no inplace=
    assert bench._torch_inplace(REGISTRY["relu"], "backward") is None


def test_alloc_mode_every_row_allocates():
    recs = _case("alloc")
    assert {r.impl for r in recs} == {"rectifier", "numpy", "limit"}
    assert all(r.alloc and r.mode == "alloc" for r in recs)
    assert "(alloc)" not in bench.format_table(recs)  # only marked where the others do not


def test_modes_and_threads_options(capsys):
    before = rectifier.get_num_threads()
    code, out, err = run_cli(
        capsys,
        [
            "bench",
            "--function",
            "relu",
            "--op",
            "forward",
            "--dtype",
            "float32",
            *TINY,
            "--mode",
            "inplace,alloc",
            "--threads",
            "3",
            "--json",
        ],
    )
    assert (code, err) == (0, "")
    recs = json.loads(out)
    assert {r["mode"] for r in recs} == {"inplace", "alloc"}
    assert {r["threads"] for r in recs} == {3}
    assert rectifier.get_num_threads() == before


def test_large_adds_1e8(monkeypatch, capsys):
    seen = {}

    def fake_run_bench(functions, ops, dtypes, sizes, repeats, **kw):
        seen["sizes"] = sizes
        return []

    monkeypatch.setattr(bench, "run_bench", fake_run_bench)
    code, _, _ = run_cli(capsys, ["bench", "--sizes", "1000", "--large", "--json"])
    assert code == 0 and seen["sizes"] == [1000, 100_000_000]


def test_goals(monkeypatch, capsys):
    tiny = (
        bench.Goal("easy", "relu", "forward", "alloc", 1000, "numpy", 100.0),
        bench.Goal("impossible", "relu", "forward", "alloc", 1000, "limit", 1e-6),
    )
    monkeypatch.setattr(bench, "GOALS", tiny)
    code, out, err = run_cli(capsys, ["bench", "--goals", "--repeats", "7"])
    assert (code, err) == (0, "")
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["easy"][-1] == "yes" and lines["impossible"][-1] == "no"
    results, _ = bench.run_goals(7, tiny)
    assert [r.met for r in results] == [True, False]
    assert bench.GoalResult(tiny[0], None).met is False  # a peer that did not run is not met


def test_the_issue_goals_are_all_registered():
    assert {(g.function, g.peer) for g in bench.GOALS} >= {
        ("relu", "torch"),
        ("relu", "limit"),
        ("relu", "numpy"),
        ("gelu", "torch"),
        ("silu", "torch"),
        ("elu", "torch"),
    }
    for g in bench.GOALS:
        assert g.function in REGISTRY and g.mode in bench.MODES and g.peer in bench.IMPLS


def test_plot_writes_a_png_and_refuses_to_overwrite(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from PIL import Image

    png = tmp_path / "bench.png"
    argv = [
        "bench",
        "--function",
        "relu",
        "--dtype",
        "float32",
        "--sizes",
        "100,1000",
        "--repeats",
        "7",
        "--json",
        "--plot",
        str(png),
    ]
    code, _, err = run_cli(capsys, argv)
    assert (code, err) == (0, "")
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] > 500
    code, out, err = run_cli(capsys, argv)
    assert (code, out) == (2, "") and "exists" in err and "--force" in err
    assert run_cli(capsys, [*argv, "--force"])[0] == 0
