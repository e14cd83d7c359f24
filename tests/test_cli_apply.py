"""``rectifier apply``: golden outputs, file round trips, and every bad input -> one line, exit 2.

Golden files live in tests/golden/apply_*.txt and are compared exactly. To regenerate them after
an intended change: RECTIFIER_UPDATE_GOLDEN=1 pytest tests/test_cli_apply.py (then review the
diff).
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import rectifier
from rectifier import _core, cli
from rectifier.commands import apply as apply_cmd

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("RECTIFIER_UPDATE_GOLDEN") == "1"


def run_cli(capsys, argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"apply_{name}.txt"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with RECTIFIER_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def assert_one_line_error(code, out, err):
    assert code == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rectifier: error: ")


def npy_argv(d: Path, ext: str = "npy") -> list[str]:
    return ["apply", str(d / f"x.{ext}"), "-o", str(d / f"y.{ext}")]


def files_in(d: Path) -> set[str]:
    return {p.name for p in d.iterdir()}


# ---- golden text outputs ----------------------------------------------------------------------

TABLE_CSV = "# a comment, then a blank line\n\n-2, -1.5, 0\n0.25,-0.0,7\n3,nan,-inf\n"

GOLDEN_CASES = {
    "seed": (["--", "-2", "-1", "0", "1", "2"], None),
    "grad": (["--grad", "--", "-2", "-1", "0", "1", "2"], None),
    "at_zero": (["--grad", "--at-zero", "0.5", "--", "-2", "-1", "0", "1", "2"], None),
    "floats": (
        [
            "--",
            "-0.0",
            "0.0",
            "0.1",
            "-0.1",
            "1e-10",
            "2.5e300",
            "5e-324",
            "nan",
            "inf",
            "-inf",
            "3",
            "-7",
        ],
        None,
    ),
    "ints_large": (["--", "-9223372036854775808", "9223372036854775807", "-1"], None),
    "stdin": ([], "1 -2 3\n# skipped\n\n-4.5 5e-1\n-1\n"),
    "stdin_dash_grad": (["--grad", "-"], "-1 0 2\n"),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_text(name, capsys, monkeypatch):
    argv, stdin = GOLDEN_CASES[name]
    code, out, err = run_cli(capsys, ["apply", *argv], stdin, monkeypatch)
    assert (code, err) == (0, "")
    check_golden(name, out)


def test_seed_example_exact(capsys):
    assert run_cli(capsys, ["apply", "--", "-2", "-1", "0", "1", "2"]) == (0, "0 0 0 1 2\n", "")


def test_negative_numbers_without_double_dash(capsys):
    assert run_cli(capsys, ["apply", "-2", "-1", "0", "1", "2"])[:2] == (0, "0 0 0 1 2\n")


def test_relu_of_negative_zero_prints_positive_zero(capsys):
    assert run_cli(capsys, ["apply", "--", "-0.0"])[1] == "0.0\n"


def test_floats_round_trip():
    values = np.array([0.1, 1 / 3, 1e-10, 5e-324, 1.7976931348623157e308, 123456.789])
    assert [float(s) for s in apply_cmd.format_values(values)] == values.tolist()
    f32 = np.array([0.1, 1 / 3], dtype=np.float32)
    assert np.array(apply_cmd.format_values(f32), dtype=np.float32).tolist() == f32.tolist()
    assert apply_cmd.format_values(f32) == ["0.1", "0.33333334"]


def test_csv_file_to_stdout(tmp_path, capsys):
    src = tmp_path / "table.csv"
    src.write_text(TABLE_CSV)
    code, out, err = run_cli(capsys, ["apply", str(src)])
    assert (code, err) == (0, "")
    check_golden("csv", out)
    assert files_in(tmp_path) == {"table.csv"}


@pytest.mark.parametrize("flag", ["-i", "--input"])
def test_csv_file_to_csv_and_txt_outputs(tmp_path, capsys, flag):
    src = tmp_path / "table.csv"
    src.write_text(TABLE_CSV)
    assert run_cli(capsys, ["apply", flag, str(src), "-o", str(tmp_path / "o.csv")])[0] == 0
    assert (tmp_path / "o.csv").read_text() == (GOLDEN / "apply_csv.txt").read_text()
    assert run_cli(capsys, ["apply", str(src), "-o", str(tmp_path / "o.txt")])[0] == 0
    text = (tmp_path / "o.txt").read_text()
    assert text == (GOLDEN / "apply_csv.txt").read_text().replace(",", " ")
    np.testing.assert_array_equal(
        np.loadtxt(tmp_path / "o.txt"), _core.relu(np.loadtxt(src, delimiter=","))
    )


def test_txt_file_is_loadtxt_compatible(tmp_path, capsys):
    x = np.random.default_rng(1).standard_normal((4, 3))
    np.savetxt(tmp_path / "x.txt", x)  # NumPy's own text format (%.18e)
    code, out, _ = run_cli(capsys, ["apply", str(tmp_path / "x.txt")])
    assert code == 0
    np.testing.assert_array_equal(np.loadtxt(io.StringIO(out)), _core.relu(x))


def test_stdin_to_file(tmp_path, capsys, monkeypatch):
    out_path = tmp_path / "o.txt"
    code, out, _ = run_cli(capsys, ["apply", "-o", str(out_path)], "-1 2\n", monkeypatch)
    assert (code, out, out_path.read_text()) == (0, "", "0 2\n")


def test_subprocess_seed_example():
    res = subprocess.run(
        [sys.executable, "-m", "rectifier", "apply", "--", "-2", "-1", "0", "1", "2"],
        capture_output=True,
        text=True,
        timeout=600,  # an editable install rebuilds changed C sources on import
    )
    assert (res.returncode, res.stdout, res.stderr) == (0, "0 0 0 1 2\n", "")


# ---- .npy ------------------------------------------------------------------------------------


def expected(x: np.ndarray, grad: bool = False, at_zero: float = 0.0) -> np.ndarray:
    return rectifier.relu_grad(x, at_zero=at_zero) if grad else rectifier.relu(x)


NPY_DTYPES = ["int8", "uint16", "int32", "int64", "float16", "float32", "float64", ">f8", "<i2"]


@pytest.mark.parametrize("dtype", NPY_DTYPES)
def test_npy_round_trip(tmp_path, capsys, dtype):
    x = (np.random.default_rng(0).standard_normal(101) * 50).astype(dtype)
    np.save(tmp_path / "x.npy", x)
    code, out, err = run_cli(capsys, npy_argv(tmp_path))
    assert (code, out, err) == (0, "", "")
    y = np.load(tmp_path / "y.npy")
    want = expected(x)
    assert y.dtype == want.dtype
    assert y.tobytes() == want.tobytes()  # exact, sign of zero included
    assert files_in(tmp_path) == {"x.npy", "y.npy"}


@pytest.mark.parametrize(
    "layout",
    ["fortran_2d", "fortran_3d", "strided_view", "reversed_view", "0d", "empty", "empty_fortran"],
)
@pytest.mark.parametrize("chunk", [7, 2**20])
def test_npy_layouts_and_chunks(tmp_path, capsys, monkeypatch, layout, chunk):
    monkeypatch.setattr(apply_cmd, "CHUNK_ELEMENTS", chunk)
    base = np.random.default_rng(2).standard_normal((9, 8, 5)).astype(np.float32)
    x = {
        "fortran_2d": np.asfortranarray(base[0]),
        "fortran_3d": np.asfortranarray(base),
        "strided_view": base[::2, 1::3, ::-2],
        "reversed_view": base.T[::-1],
        "0d": np.array(-3.5, dtype=np.float32),
        "empty": np.zeros((3, 0), dtype=np.float32),
        "empty_fortran": np.asfortranarray(np.zeros((0, 4), dtype=np.float32)),
    }[layout]
    np.save(tmp_path / "x.npy", x)
    assert run_cli(capsys, npy_argv(tmp_path))[0] == 0
    y = np.load(tmp_path / "y.npy")
    stored = np.load(tmp_path / "x.npy")
    assert y.shape == x.shape
    assert y.flags.f_contiguous == stored.flags.f_contiguous  # the file's own order is kept
    np.testing.assert_array_equal(y, expected(x))


def test_npy_large_file_runs_in_several_chunks(tmp_path, capsys, monkeypatch):
    """Chunks really are bounded: every call of the function sees at most CHUNK_ELEMENTS."""
    monkeypatch.setattr(apply_cmd, "CHUNK_ELEMENTS", 1000)
    seen = []
    real_relu = rectifier.relu

    def spy(x, /, *, out=None):
        seen.append(np.size(x))
        return real_relu(x, out=out)

    monkeypatch.setattr(rectifier, "relu", spy)
    x = np.random.default_rng(3).standard_normal((250, 41))  # 10,250 elements: 11 chunks
    np.save(tmp_path / "x.npy", x)
    assert run_cli(capsys, npy_argv(tmp_path))[0] == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), real_relu(x))
    chunks = [s for s in seen if s]
    assert len(chunks) == 11 and max(chunks) == 1000 and sum(chunks) == x.size


def test_npy_input_is_memory_mapped(tmp_path, capsys, monkeypatch):
    modes = []
    real_load = np.load

    def spy(*args, **kwargs):
        modes.append((kwargs.get("mmap_mode"), kwargs.get("allow_pickle")))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    np.save(tmp_path / "x.npy", np.arange(-5.0, 5.0))
    assert run_cli(capsys, npy_argv(tmp_path))[0] == 0
    assert modes == [("r", False)]


def test_npy_grad_with_at_zero(tmp_path, capsys):
    x = np.array([[-2, 0], [0, 3]], dtype=np.int32)
    np.save(tmp_path / "x.npy", x)
    argv = [
        "apply",
        "--grad",
        "--at-zero",
        "0.25",
        str(tmp_path / "x.npy"),
        "-o",
        str(tmp_path / "g.npy"),
    ]
    assert run_cli(capsys, argv)[0] == 0
    g = np.load(tmp_path / "g.npy")
    np.testing.assert_array_equal(g, expected(x, grad=True, at_zero=0.25))
    assert g.dtype == expected(x, grad=True).dtype  # the API's rule: integers -> float64


def test_progress_bar_path(tmp_path, capsys, monkeypatch):
    """On a terminal, large files get a rich progress bar on stderr; the result is the same."""
    pytest.importorskip("rich")
    monkeypatch.setattr(apply_cmd, "PROGRESS_MIN_ELEMENTS", 1)
    monkeypatch.setattr(apply_cmd, "CHUNK_ELEMENTS", 10)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    x = np.arange(-50.0, 50.0)
    np.save(tmp_path / "x.npy", x)
    assert run_cli(capsys, npy_argv(tmp_path))[0] == 0
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected(x))


# ---- .npz ------------------------------------------------------------------------------------


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_every_array_same_keys(tmp_path, capsys, compressed):
    arrays = {
        "weights": np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32),
        "counts": np.arange(-3, 4, dtype=np.int16),
        "file": np.array(-1.5),  # a key np.savez(**kw) could not write back
        "half": np.array([-1, 2], dtype=np.float16),
    }
    # Written by hand: np.savez(file, **arrays) cannot take a key named "file".
    with zipfile.ZipFile(
        tmp_path / "x.npz", "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED
    ) as z:
        for key, x in arrays.items():
            with z.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, x)
    assert run_cli(capsys, npy_argv(tmp_path, "npz"))[0] == 0
    with np.load(tmp_path / "y.npz") as y:
        assert y.files == list(arrays)
        for key, x in arrays.items():
            assert y[key].dtype == x.dtype
            np.testing.assert_array_equal(y[key], expected(x))
    with zipfile.ZipFile(tmp_path / "y.npz") as z:
        kinds = {i.compress_type for i in z.infolist()}
    assert kinds == {zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED}


# ---- bad input: one line, exit 2, no output ------------------------------------------------------


def _write_bad_inputs(d: Path) -> None:
    np.save(d / "bool.npy", np.array([True, False]))
    np.save(d / "complex.npy", np.array([1 + 2j]))
    np.save(d / "object.npy", np.array([1, "a"], dtype=object), allow_pickle=True)
    np.save(d / "strings.npy", np.array(["a", "b"]))
    (d / "empty.npy").write_bytes(b"")
    (d / "empty.npz").write_bytes(b"")
    (d / "empty.csv").write_text("")
    (d / "comments.txt").write_text("# nothing here\n\n")
    np.save(d / "good.npy", np.arange(10.0))
    (d / "truncated.npy").write_bytes((d / "good.npy").read_bytes()[:-5])
    (d / "header_only.npy").write_bytes((d / "good.npy").read_bytes()[:40])
    (d / "junk.npy").write_bytes(b"not numpy at all" * 8)
    np.savez(d / "good.npz", a=np.arange(10.0))
    (d / "truncated.npz").write_bytes((d / "good.npz").read_bytes()[:300])
    np.savez(d / "object.npz", a=np.array([None, 1], dtype=object))
    np.savez(d / "bool.npz", ok=np.arange(3), b=np.array([True]))
    with zipfile.ZipFile(d / "no_arrays.npz", "w"):
        pass
    with zipfile.ZipFile(d / "not_arrays.npz", "w") as z:
        z.writestr("readme.txt", "hello")
    (d / "words.csv").write_text("1,2\n3,four\n")
    (d / "gap.csv").write_text("1,,2\n")
    (d / "latin1.csv").write_bytes(b"1,\xff\n")
    (d / "data.bin").write_bytes(b"\x00\x01")
    (d / "a_dir.npy").mkdir()


BAD = {
    "non_numeric_token": ["--", "1", "two", "3"],
    "non_numeric_like_bool": ["--", "True"],
    "complex_token": ["--", "1+2j"],
    "missing_file": ["missing.npy", "-o", "out.npy"],
    "missing_csv": ["missing.csv"],
    "empty_npy": ["empty.npy", "-o", "out.npy"],
    "empty_npz": ["empty.npz", "-o", "out.npz"],
    "empty_csv": ["empty.csv"],
    "only_comments": ["comments.txt"],
    "truncated_npy": ["truncated.npy", "-o", "out.npy"],
    "header_only_npy": ["header_only.npy", "-o", "out.npy"],
    "not_npy": ["junk.npy", "-o", "out.npy"],
    "truncated_npz": ["truncated.npz", "-o", "out.npz"],
    "object_npy": ["object.npy", "-o", "out.npy"],
    "object_npz": ["object.npz", "-o", "out.npz"],
    "bool_npy": ["bool.npy", "-o", "out.npy"],
    "bool_npz_second_array": ["bool.npz", "-o", "out.npz"],
    "complex_npy": ["complex.npy", "-o", "out.npy"],
    "string_npy": ["strings.npy", "-o", "out.npy"],
    "npz_without_arrays": ["no_arrays.npz", "-o", "out.npz"],
    "npz_with_non_array": ["not_arrays.npz", "-o", "out.npz"],
    "word_in_csv": ["words.csv", "-o", "out.csv"],
    "empty_csv_field": ["gap.csv"],
    "binary_csv": ["latin1.csv"],
    "unknown_extension": ["data.bin"],
    "directory": ["a_dir.npy", "-o", "out.npy"],
    "npy_without_output": ["good.npy"],
    "npy_to_stdout": ["good.npy", "-o", "-"],
    "npy_to_npz": ["good.npy", "-o", "out.npz"],
    "npz_to_npy": ["good.npz", "-o", "out.npy"],
    "text_to_npy": ["-o", "out.npy", "--", "1"],
    "output_dir_missing": ["good.npy", "-o", "nodir/out.npy"],
    "numbers_and_file": ["good.npy", "1", "-o", "out.npy"],
    "two_files": ["good.npy", "good.npz", "-o", "out.npy"],
    "input_twice": ["-i", "good.npy", "good.npy", "-o", "out.npy"],
    "at_zero_too_big": ["--grad", "--at-zero", "2", "--", "0"],
    "at_zero_negative": ["--grad", "--at-zero=-0.5", "--", "0"],
    "at_zero_nan": ["--grad", "--at-zero", "nan", "--", "0"],
    "at_zero_inf": ["--grad", "--at-zero", "inf", "--", "0"],
    "at_zero_word": ["--grad", "--at-zero", "half", "--", "0"],
    "at_zero_without_grad": ["--at-zero", "0.5", "--", "0"],
    "unknown_param": ["--param", "slope=0.1", "--", "0"],
    "malformed_param": ["--param", "slope", "--", "0"],
    "unknown_function": ["--function", "sigmoidish", "--", "0"],
    "int_out_of_range": ["--", "-1", "18446744073709551615"],
    "unknown_option": ["--frobnicate", "--", "0"],
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_one_line_exit_2_no_file(name, tmp_path, capsys, monkeypatch):
    _write_bad_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = files_in(tmp_path)
    code, out, err = run_cli(capsys, ["apply", *BAD[name]])
    assert_one_line_error(code, out, err)
    assert files_in(tmp_path) == before  # no output, no temporary file left behind


def test_bad_stdin_token_names_line(capsys, monkeypatch):
    code, out, err = run_cli(capsys, ["apply"], "1 2\n3 x4\n", monkeypatch)
    assert_one_line_error(code, out, err)
    assert "stdin line 2" in err and "'x4'" in err


def test_no_input_on_a_terminal_is_a_usage_error(capsys, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Tty(""))
    assert_one_line_error(*run_cli(capsys, ["apply"]))


def test_existing_output_needs_force(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.array([-1.0, 2.0]))
    target = tmp_path / "y.npy"
    target.write_bytes(b"precious")
    argv = ["apply", str(tmp_path / "x.npy"), "-o", str(target)]
    code, out, err = run_cli(capsys, argv)
    assert_one_line_error(code, out, err)
    assert "--force" in err
    assert target.read_bytes() == b"precious"
    assert run_cli(capsys, [*argv, "--force"])[0] == 0
    np.testing.assert_array_equal(np.load(target), [0.0, 2.0])
    assert files_in(tmp_path) == {"x.npy", "y.npy"}


def test_existing_text_output_needs_force(tmp_path, capsys):
    target = tmp_path / "o.txt"
    target.write_text("keep me\n")
    code, out, err = run_cli(capsys, ["apply", "-o", str(target), "--", "-1", "1"])
    assert_one_line_error(code, out, err)
    assert target.read_text() == "keep me\n"
    assert run_cli(capsys, ["apply", "-o", str(target), "--force", "--", "-1", "1"])[0] == 0
    assert target.read_text() == "0 1\n"


class _FullDisk:
    """A file that accepts ``limit`` bytes, then fails like a full disk."""

    def __init__(self, f, limit):
        self._f, self._left = f, limit

    def write(self, data):
        n = len(memoryview(data).cast("B")) if not isinstance(data, str) else len(data)
        if n > self._left:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._left -= n
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


@pytest.mark.parametrize("kind", ["npy", "npz", "csv"])
def test_disk_full_leaves_no_partial_file(kind, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(apply_cmd, "CHUNK_ELEMENTS", 64)
    x = np.arange(-500.0, 500.0)
    if kind == "npy":
        np.save(tmp_path / "x.npy", x)
    elif kind == "npz":
        np.savez(tmp_path / "x.npz", a=x, b=x)
    else:
        np.savetxt(tmp_path / "x.csv", x.reshape(100, 10), delimiter=",")
    real_fdopen = os.fdopen
    # Enough for the header and a chunk or two, so the failure comes in the middle of the data.
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: _FullDisk(real_fdopen(*a, **k), 2000))
    before = files_in(tmp_path)
    code, out, err = run_cli(
        capsys, ["apply", str(tmp_path / f"x.{kind}"), "-o", str(tmp_path / f"y.{kind}")]
    )
    assert_one_line_error(code, out, err)
    assert "No space left on device" in err
    assert files_in(tmp_path) == before


def test_docstring_examples():
    import doctest

    assert doctest.testmod(apply_cmd).failed == 0


needs_leaky = pytest.mark.skipif(
    "leaky_relu" not in rectifier.ops, reason="leaky_relu not in the registry yet"
)


@needs_leaky
def test_param_of_a_family_function(capsys):
    argv = ["apply", "--function", "leaky_relu", "--param", "negative_slope=0.5", "--", "-2", "4"]
    assert run_cli(capsys, argv) == (0, "-1.0 4.0\n", "")


@needs_leaky
@pytest.mark.parametrize(
    "param", ["slope=0.5", "negative_slope=abc", "negative_slope=nan", "at_zero=0.5"]
)
def test_bad_param_of_a_family_function(capsys, param):
    argv = ["apply", "--function", "leaky_relu", "--param", param, "--", "-2", "4"]
    assert_one_line_error(*run_cli(capsys, argv))


@pytest.mark.parametrize("grad", [False, True])
def test_gelu_tanh_form_from_the_command_line(capsys, grad):
    """--param approximate=tanh selects gelu's tanh form, as the API's keyword does."""
    argv = ["apply", "--function", "gelu", "--param", "approximate=tanh",
            *(["--grad"] if grad else []), "--", "-1.5", "0.5"]
    code, out, err = run_cli(capsys, argv)
    f = rectifier.gelu_grad if grad else rectifier.gelu
    want = f(np.array([-1.5, 0.5]), approximate="tanh")
    assert (code, err) == (0, "")
    assert np.array(out.split(), dtype=np.float64).tolist() == want.tolist()
    assert want.tolist() != f(np.array([-1.5, 0.5])).tolist()  # not the erf form
    argv[4] = "approximate=none"
    code, out, err = run_cli(capsys, argv)
    assert np.array(out.split(), dtype=np.float64).tolist() == f(np.array([-1.5, 0.5])).tolist()


@pytest.mark.parametrize(
    ("function", "param"),
    [("gelu", "approximate=exact"), ("gelu", "approximate=1"), ("rrelu", "training=1"),
     ("prelu", "axis=0")],
)
def test_word_options_bad_or_unavailable_from_the_command_line(capsys, function, param):
    argv = ["apply", "--function", function, "--param", param, "--", "-2", "4"]
    code, out, err = run_cli(capsys, argv)
    assert_one_line_error(code, out, err)
    assert param.split("=")[0] in err
