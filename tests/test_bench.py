"""``rectifier bench`` and rectifier.bench: the record schema, validation, the table. Never timing.

Runs use tiny sizes and a short batch target, so the whole file takes a few seconds.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
import types

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
        assert rec["impl"] in ("rectifier", "numpy", "torch")
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
