"""``rectifier doctor`` end to end: output, exit codes, files, and every bad input.

The models are factories in this module, passed as ``--model tests.test_doctor_cli:NAME`` (pytest
puts the repository root on ``sys.path`` because ``tests`` is a package). The CLI runs in-process
through ``cli.main`` (fast); one test runs ``python -m rectifier doctor --help`` in a subprocess.
"""

from __future__ import annotations

import importlib
import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("rich")
from torch import nn  # noqa: E402

from rectifier import cli  # noqa: E402

HERE = "tests.test_doctor_cli"
# HTML reports need matplotlib (the "plot" extra); without it their tests skip.
try:
    import matplotlib  # noqa: F401

    HAVE_MATPLOTLIB = True
except ImportError:
    HAVE_MATPLOTLIB = False
needs_matplotlib = pytest.mark.skipif(not HAVE_MATPLOTLIB, reason="matplotlib not installed")
IN_FEATURES = 4


# --------------------------------------------------------------------------- model factories


def _mlp(hidden: int = 6) -> nn.Sequential:
    g = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Linear(IN_FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, 3))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 0.5 + 0.1)  # all positive: every unit fires
    return model


def healthy_net() -> nn.Module:
    """Positive weights and biases on positive data: no dead unit."""
    return _mlp()


def planted_net() -> nn.Module:
    """Units 1 and 4 of the ReLU are dead: bias -100, so 2 of 6 units (33%) -> problems."""
    model = _mlp()
    with torch.no_grad():
        model[0].bias[[1, 4]] = -100.0
    return model


def born_dead_net() -> nn.Module:
    """Every unit of the ReLU dead for any input in a sane range: the output is constant."""
    model = _mlp()
    with torch.no_grad():
        model[0].bias.fill_(-1000.0)
    return model


def no_relu_net() -> nn.Module:
    return nn.Sequential(nn.Linear(IN_FEATURES, 3), nn.Tanh())


def raising_factory() -> nn.Module:
    raise ValueError("boom from the factory")


def not_a_module() -> int:
    return 42


LAST_MODEL: list[nn.Module] = []


class FailsOnSecondBatch(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = _mlp()
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("exploded halfway")
        return self.net(x)


def fails_halfway() -> nn.Module:
    model = FailsOnSecondBatch()
    LAST_MODEL.append(model)
    return model


class PickledNet(nn.Module):
    """A whole module saved with torch.save(model) (a pickle): importable from this module."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _mlp()

    def forward(self, x):
        return self.net(x)


def conv_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)
    )


def positive_batches():
    """A data function: (x, y) tuples."""
    g = torch.Generator().manual_seed(1)
    return [(torch.rand(5, IN_FEATURES, generator=g), torch.zeros(5)) for _ in range(3)]


def no_batches():
    return iter(())


def nan_net() -> nn.Module:
    model = _mlp()
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    return model


def _nan_data(tmp_path: Path) -> str:
    path = tmp_path / "nan.npy"
    x = np.ones((10, IN_FEATURES), np.float32)
    x[7, 2] = np.nan
    np.save(path, x)
    return str(path)


# --------------------------------------------------------------------------- helpers


def _data(tmp_path: Path, n: int = 40, features: int = IN_FEATURES) -> str:
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).random((n, features), dtype=np.float32))
    return str(path)


def doctor(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["doctor", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _terminal_width_and_path(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    # --model tests.test_doctor_cli:NAME needs the repository root importable, whatever
    # pytest's import mode.
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1]))


# --------------------------------------------------------------------------- results


def test_healthy_model_table_and_exit_0(capsys, tmp_path):
    code, out, err = doctor(capsys, "--model", f"{HERE}:healthy_net", "--data", _data(tmp_path))
    assert code == 0, err
    assert err == ""
    assert "│ 1#0  │ relu │     6 │   0.0% │      0.0% │          100.0% │ ok      │" in out
    assert "1 site, 6 units: 0 dead (0.0%), 0 dormant (0.0%, tau=0.1): healthy" in out
    assert "What to try" not in out


def test_planted_dead_units_json_and_exit_1(capsys, tmp_path):
    code, out, err = doctor(
        capsys,
        "--model",
        f"{HERE}:planted_net",
        "--data",
        _data(tmp_path),
        "--json",
        "--batch-size",
        "16",
    )
    assert code == 1, err
    report = json.loads(out)  # nothing but JSON on stdout
    assert report["healthy"] is False and report["born_dead"] is False
    assert [s["name"] for s in report["sites"]] == ["1#0"]
    site = report["sites"][0]
    assert site["dead_units"] == [1, 4]
    assert site["units"] == 6 and site["observations"] == 40
    meta = report["meta"]
    assert meta["model_kind"] == "factory" and meta["batches"] == 3 and meta["examples"] == 40
    assert meta["input_shape"] == [IN_FEATURES] and meta["device"] == "cpu"


def test_planted_dead_units_table_and_advice(capsys, tmp_path):
    code, out, _ = doctor(capsys, "--model", f"{HERE}:planted_net", "--data", _data(tmp_path))
    assert code == 1
    assert "│ 1#0  │ relu │     6 │  33.3% │     33.3% │           66.7% │ dying   │" in out
    assert "problems found" in out
    assert "What to try" in out
    assert "rectifier.torch.replace_activations" in out
    assert "rectifier.torch.rai_init_" in out
    assert "rectifier.torch.recycle" in out
    assert "Lower the learning rate" in out


def test_quiet_prints_one_line(capsys, tmp_path):
    code, out, err = doctor(
        capsys, "--model", f"{HERE}:planted_net", "--data", _data(tmp_path), "--quiet"
    )
    assert code == 1
    assert out.count("\n") == 1 and "problems found" in out
    assert err == ""


def test_thresholds_change_the_verdict(capsys, tmp_path):
    args = ["--model", f"{HERE}:planted_net", "--data", _data(tmp_path), "--quiet"]
    assert doctor(capsys, *args, "--max-dead", "0.5", "--max-dormant", "0.5")[0] == 0


def test_no_rectifiers_is_exit_0_with_message(capsys, tmp_path):
    code, out, _ = doctor(capsys, "--model", f"{HERE}:no_relu_net", "--data", _data(tmp_path))
    assert code == 0
    assert "no rectifiers found" in out


def test_random_inputs_find_a_born_dead_network(capsys):
    code, out, _ = doctor(
        capsys, "--model", f"{HERE}:born_dead_net", "--random-inputs", str(IN_FEATURES), "--json"
    )
    assert code == 1
    report = json.loads(out)
    assert report["born_dead"] is True
    assert report["sites"][0]["dead"] == 6
    assert report["meta"]["batches"] == 8 and report["meta"]["examples"] == 8 * 64
    code, out, _ = doctor(capsys, "--model", f"{HERE}:born_dead_net", "--random-inputs", "4")
    assert "BORN DEAD" in out and "Born dead" in out


def test_random_inputs_shape_forms(capsys):
    for shape in ("1x6x6", "1,6,6"):
        code, out, err = doctor(
            capsys,
            "--model",
            f"{HERE}:conv_net",
            "--random-inputs",
            shape,
            "--batches",
            "2",
            "--batch-size",
            "3",
            "--json",
        )
        assert code in (0, 1), err
        assert json.loads(out)["meta"]["input_shape"] == [1, 6, 6]


def test_data_function_and_npz(capsys, tmp_path):
    code, out, err = doctor(
        capsys, "--model", f"{HERE}:healthy_net", "--data", f"{HERE}:positive_batches", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["meta"]["examples"] == 15
    npz = tmp_path / "d.npz"
    np.savez(npz, x=np.ones((7, IN_FEATURES), np.float32), y=np.zeros(7))
    code, out, err = doctor(capsys, "--model", f"{HERE}:healthy_net", "--data", str(npz), "--json")
    assert code == 0, err
    assert json.loads(out)["meta"]["examples"] == 7


def test_image_folder(capsys, tmp_path):
    pil = pytest.importorskip("PIL.Image")
    for cls in ("a", "b"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            pixels = np.full((6, 6), 40 * i + 10, np.uint8)
            pil.fromarray(pixels).save(tmp_path / "imgs" / cls / f"{i}.png")
    code, out, err = doctor(
        capsys, "--model", f"{HERE}:conv_net", "--data", str(tmp_path / "imgs"), "--json"
    )
    assert code in (0, 1), err
    meta = json.loads(out)["meta"]
    assert meta["examples"] == 6 and meta["input_shape"] == [1, 6, 6]  # 1 channel: from the conv
    pil.fromarray(np.zeros((9, 9), np.uint8)).save(tmp_path / "imgs" / "b" / "big.png")
    code, _, err = doctor(capsys, "--model", f"{HERE}:conv_net", "--data", str(tmp_path / "imgs"))
    assert code == 2 and "--image-size" in err
    code, out, err = doctor(
        capsys,
        "--model",
        f"{HERE}:conv_net",
        "--data",
        str(tmp_path / "imgs"),
        "--image-size",
        "6",
        "--quiet",
    )
    assert code in (0, 1), err


def test_weights_are_loaded(capsys, tmp_path):
    weights = tmp_path / "w.pt"
    torch.save(planted_net().state_dict(), weights)
    code, out, _ = doctor(
        capsys,
        "--model",
        f"{HERE}:healthy_net",
        "--weights",
        str(weights),
        "--data",
        _data(tmp_path),
        "--json",
    )
    assert code == 1
    assert json.loads(out)["sites"][0]["dead_units"] == [1, 4]


# --------------------------------------------------------------------------- model files


@pytest.fixture
def planted_eager_report(capsys, tmp_path):
    _, out, _ = doctor(
        capsys, "--model", f"{HERE}:planted_net", "--data", _data(tmp_path), "--json"
    )
    return json.loads(out)


def test_torch_export_program(capsys, tmp_path, planted_eager_report):
    path = tmp_path / "net.pt2"
    model = planted_net().eval()
    batch = torch.export.Dim("batch")
    program = torch.export.export(
        model, (torch.rand(2, IN_FEATURES),), dynamic_shapes=({0: batch},)
    )
    torch.export.save(program, path)
    code, out, err = doctor(capsys, "--model", str(path), "--data", _data(tmp_path), "--json")
    assert code == 1, err
    report = json.loads(out)
    assert report["meta"]["model_kind"] == "export"
    # The export remembers the activation modules: the same site names as the eager model.
    assert [s["name"] for s in report["sites"]] == ["1#0"]
    assert report["sites"][0]["dead_units"] == planted_eager_report["sites"][0]["dead_units"]


def test_export_with_a_fixed_batch_size_says_so(capsys, tmp_path):
    path = tmp_path / "fixed.pt2"
    torch.export.save(torch.export.export(healthy_net(), (torch.rand(2, IN_FEATURES),)), path)
    code, _, err = doctor(capsys, "--model", str(path), "--data", _data(tmp_path))
    assert code == 2 and "does not accept" in err and "exported" in err
    code, _, err = doctor(
        capsys, "--model", str(path), "--data", _data(tmp_path), "--batch-size", "2", "--quiet"
    )
    assert code == 0, err


def test_torchscript_model(capsys, tmp_path, planted_eager_report):
    path = tmp_path / "net.ts"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated
        torch.jit.script(planted_net().eval()).save(str(path))
    code, out, err = doctor(capsys, "--model", str(path), "--data", _data(tmp_path), "--json")
    assert code == 1, err
    report = json.loads(out)
    assert report["meta"]["model_kind"] == "torchscript"
    assert len(report["sites"]) == 1
    assert report["sites"][0]["dead_units"] == planted_eager_report["sites"][0]["dead_units"]


class Evil:
    """Unpickling this creates a marker file: proof that the pickle ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("how", ["torch.save", "pickle.dump"])
def test_untrusted_pickle_is_never_executed(capsys, tmp_path, how):
    marker = tmp_path / "PWNED"
    path = tmp_path / "evil.pt"
    if how == "torch.save":
        torch.save({"model": Evil(marker)}, path)
    else:
        with open(path, "wb") as f:
            pickle.dump(Evil(marker), f)
    code, out, err = doctor(capsys, "--model", str(path), "--data", _data(tmp_path))
    assert code == 2 and out == ""
    assert "--trust-pickle" in err and "pickle" in err
    assert err.count("\n") == 1
    assert not marker.exists()


def test_pickled_module_needs_trust(capsys, tmp_path):
    path = tmp_path / "whole.pt"
    torch.save(PickledNet(), path)
    data = _data(tmp_path)
    code, _, err = doctor(capsys, "--model", str(path), "--data", data)
    assert code == 2 and "--trust-pickle" in err
    code, out, err = doctor(
        capsys, "--model", str(path), "--trust-pickle", "--data", data, "--json"
    )
    assert code == 0, err
    assert json.loads(out)["meta"]["model_kind"] == "pickle"


# --------------------------------------------------------------------------- HTML


def _assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert '<img src="data:image/png;base64,' in page
    lowered = page.lower()
    for attr in ("src=", "href="):
        for quote in ('"', "'"):
            assert f"{attr}{quote}http" not in lowered
            assert f"{attr}{quote}//" not in lowered
    assert "<script" not in lowered and "<link" not in lowered and "@import" not in lowered


@needs_matplotlib
def test_html_report_and_force(capsys, tmp_path):
    html = tmp_path / "report.html"
    args = ["--model", f"{HERE}:planted_net", "--data", _data(tmp_path), "--html", str(html)]
    code, out, _ = doctor(capsys, *args)
    assert code == 1
    page = html.read_text()
    _assert_self_contained(page)
    assert "1#0" in page and "What to try" in page
    assert f"wrote {html}" in out

    # An existing file is refused without --force, before any work, and left unchanged.
    html.write_text("keep me")
    code, out, err = doctor(capsys, *args)
    assert code == 2 and out == ""
    assert "exists" in err and "--force" in err and err.count("\n") == 1
    assert html.read_text() == "keep me"

    code, _, _ = doctor(capsys, *args, "--force", "--quiet")
    assert code == 1
    _assert_self_contained(html.read_text())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


@needs_matplotlib
def test_html_escapes_names(capsys, tmp_path):
    html = tmp_path / "r.html"
    code, _, err = doctor(
        capsys,
        "--model",
        f"{HERE}:healthy_net",
        "--data",
        f"{HERE}:positive_batches",
        "--html",
        str(html),
        "--quiet",
    )
    assert code == 0, err
    page = html.read_text()
    assert "tests.test_doctor_cli:positive_batches" in page


# --------------------------------------------------------------------------- bad input


def _corrupt(tmp_path: Path) -> str:
    path = tmp_path / "corrupt.pt"
    path.write_bytes(b"PK\x03\x04 definitely not a zip archive")
    return str(path)


def _state_dict(tmp_path: Path) -> str:
    path = tmp_path / "sd.pt"
    torch.save(healthy_net().state_dict(), path)
    return str(path)


def _object_npy(tmp_path: Path) -> str:
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    return str(path)


def _empty_npy(tmp_path: Path) -> str:
    path = tmp_path / "empty.npy"
    np.save(path, np.zeros((0, IN_FEATURES), np.float32))
    return str(path)


def _wrong_shape(tmp_path: Path) -> str:
    return _data(tmp_path, features=IN_FEATURES + 3)


def _bad_weights(tmp_path: Path) -> str:
    path = tmp_path / "other.pt"
    torch.save(nn.Linear(2, 2).state_dict(), path)
    return str(path)


BAD_INPUTS = {
    # name: (args builder, expected words in the one stderr line)
    "missing model file": (
        lambda t: ["--model", str(t / "nope.pt"), "--data", _data(t)],
        "not found",
    ),
    "corrupt model file": (
        lambda t: ["--model", _corrupt(t), "--data", _data(t)],
        "not a model file",
    ),
    "state dict as model": (lambda t: ["--model", _state_dict(t), "--data", _data(t)], "--weights"),
    "factory raises": (
        lambda t: ["--model", f"{HERE}:raising_factory", "--data", _data(t)],
        "ValueError: boom from the factory",
    ),
    "factory returns non-module": (
        lambda t: ["--model", f"{HERE}:not_a_module", "--data", _data(t)],
        "not a torch.nn.Module",
    ),
    "missing module": (
        lambda t: ["--model", "no_such_pkg.nets:make", "--data", _data(t)],
        "cannot import",
    ),
    "missing attribute": (
        lambda t: ["--model", f"{HERE}:nope", "--data", _data(t)],
        "no attribute",
    ),
    "weights do not fit": (
        lambda t: [
            "--model",
            f"{HERE}:healthy_net",
            "--weights",
            _bad_weights(t),
            "--data",
            _data(t),
        ],
        "do not fit",
    ),
    "missing weights": (
        lambda t: [
            "--model",
            f"{HERE}:healthy_net",
            "--weights",
            str(t / "nope.pt"),
            "--data",
            _data(t),
        ],
        "not found",
    ),
    "data shape does not fit": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _wrong_shape(t)],
        "does not accept",
    ),
    "random shape does not fit": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--random-inputs", "3x5"],
        "does not accept",
    ),
    "empty data file": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _empty_npy(t)],
        "empty",
    ),
    "empty data function": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", f"{HERE}:no_batches"],
        "no data",
    ),
    "object array": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _object_npy(t)],
        "object arrays are refused",
    ),
    "missing data": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", str(t / "no.npy")],
        "not found",
    ),
    "no data given": (lambda t: ["--model", f"{HERE}:healthy_net"], "--random-inputs"),
    "unknown device": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _data(t), "--device", "tpu9"],
        "unknown device",
    ),
    "bad shape": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--random-inputs", "0x3"],
        "--random-inputs",
    ),
    "bad batch size": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _data(t), "--batch-size", "0"],
        "--batch-size",
    ),
    "negative tau": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _data(t), "--tau", "-1"],
        "--tau",
    ),
    "data without model": (lambda t: ["--data", _data(t)], "needs --model"),
    "device for the demo": (lambda t: ["--device", "cuda"], "--device needs --model"),
    "image size without images": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _data(t), "--image-size", "8"],
        "image folder",
    ),
    "NaN in the data": (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _nan_data(t), "--batch-size", "4"],
        "data batch 2 holds NaN",
    ),
    "NaN weights": (
        lambda t: ["--model", f"{HERE}:nan_net", "--data", _data(t)],
        "NaN or infinite activations at 1#0",
    ),
    "forward fails halfway": (
        lambda t: ["--model", f"{HERE}:fails_halfway", "--data", _data(t), "--batch-size", "8"],
        "failed on batch 2",
    ),
}
if not torch.cuda.is_available():
    BAD_INPUTS["cuda not available"] = (
        lambda t: ["--model", f"{HERE}:healthy_net", "--data", _data(t), "--device", "cuda"],
        "CUDA is not available",
    )


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_file(capsys, tmp_path, name):
    build, words = BAD_INPUTS[name]
    html = tmp_path / "out" / "report.html"
    html.parent.mkdir()
    extra = ["--html", str(html)] if HAVE_MATPLOTLIB else []
    code, out, err = doctor(capsys, *build(tmp_path), *extra)
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("rectifier: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert words in err
    assert list(html.parent.iterdir()) == []  # no report, no temporary file


def test_forward_failure_leaves_no_hooks(capsys, tmp_path):
    made = importlib.import_module(HERE).LAST_MODEL  # the module the CLI imports the factory from
    made.clear()
    code, _, _ = doctor(
        capsys, "--model", f"{HERE}:fails_halfway", "--data", _data(tmp_path), "--batch-size", "8"
    )
    assert code == 2
    (model,) = made
    for m in model.modules():
        assert not m._forward_hooks and not m._forward_pre_hooks
    assert torch.overrides._get_current_function_mode_stack() == []


def test_missing_extras_are_named(capsys, tmp_path, monkeypatch):
    html = tmp_path / "r.html"
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    code, out, err = doctor(capsys, "--html", str(html))
    assert code == 2 and out == "" and 'pip install "rectifier[plot]"' in err
    assert not html.exists()
    monkeypatch.setitem(sys.modules, "torch", None)
    code, _, err = doctor(capsys)
    assert code == 2 and 'pip install "rectifier[torch]"' in err


def test_html_needs_a_real_directory(capsys, tmp_path):
    code, _, err = doctor(capsys, "--html", str(tmp_path / "no" / "dir.html"))
    assert code == 2 and "does not exist" in err


# --------------------------------------------------------------------------- demo, --help


def test_demo_shows_the_remedy_working(capsys, tmp_path):
    html = tmp_path / "demo.html"
    extra = ["--html", str(html)] if HAVE_MATPLOTLIB else []
    code, out, err = doctor(capsys, "--epochs", "2", "--json", *extra)
    assert code == 0, err
    demo = json.loads(out)["demo"]
    before, after = demo["before"], demo["after"]
    assert before["report"]["dead_fraction"] > 0.3
    assert after["report"]["dead_fraction"] < before["report"]["dead_fraction"] / 2
    assert [s["kind"] for s in before["report"]["sites"]] == ["relu"] * 3
    assert [s["kind"] for s in after["report"]["sites"]] == ["leaky_relu"] * 3
    assert len(before["curves"]["epoch"]) == 3  # the initial network and 2 epochs
    if not HAVE_MATPLOTLIB:
        return
    page = html.read_text()
    _assert_self_contained(page)
    assert "CC BY 4.0" in page and "before (ReLU)" in page


def test_demo_table(capsys):
    code, out, err = doctor(capsys, "--epochs", "1")
    assert code == 0, err
    assert "before (ReLU)" in out and "after (LeakyReLU)" in out
    assert "test accuracy" in out and "demo: dead units" in out
    assert "--html" in out  # says how to get the plots


def test_help_in_a_subprocess():
    env = dict(os.environ, COLUMNS="100")
    proc = subprocess.run(
        [sys.executable, "-m", "rectifier", "doctor", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,  # an editable install may rebuild the C core first
    )
    assert proc.returncode == 0, proc.stderr
    for option in ("--model", "--data", "--random-inputs", "--trust-pickle", "--html", "--json"):
        assert option in proc.stdout
    assert "--epochs" not in proc.stdout


def test_cli_parser_does_not_import_torch():
    code = (
        "import sys; from rectifier import cli; cli.build_parser(); print('torch' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_figures_cap_the_number_of_sites():
    pytest.importorskip("matplotlib")
    from rectifier.report import figures
    from rectifier.torch.report import Report, SiteReport

    sites = [
        SiteReport.from_counts(
            f"layer{i}.relu#0",
            module_path=f"layer{i}.relu",
            kind="relu",
            functional=False,
            call_index=0,
            unit_dim=-1,
            observations=10,
            positive=[0 if i == 70 else 5, 5],
            sum_abs=[1.0, 1.0],
        )
        for i in range(100)
    ]
    report = Report.from_sites(sites, tau=0.1)
    bars = figures.dead_dormant_bars(report)
    labels = [t.get_text() for t in bars.axes[0].get_yticklabels()]
    assert len(labels) == figures.MAX_BARS and "layer70.relu#0" in labels
    assert "60 worst of 100" in bars.axes[0].get_title()
    hist = figures.activation_histograms(report)
    assert sum(ax.get_visible() for ax in hist.axes) == figures.MAX_HISTOGRAMS
    assert figures.png(bars)[:8] == b"\x89PNG\r\n\x1a\n"


GOLDEN = Path(__file__).parent / "golden"


def test_golden_terminal_output(capsys):
    """The whole terminal report for a planted model (trailing blanks ignored).

    Regenerate after an intended change with:
    COLUMNS=100 python -m rectifier doctor --model tests.test_doctor_cli:planted_net
    --data tests.test_doctor_cli:positive_batches > tests/golden/doctor_planted.txt
    (then strip trailing blanks).
    """
    code, out, _ = doctor(
        capsys, "--model", f"{HERE}:planted_net", "--data", f"{HERE}:positive_batches"
    )
    assert code == 1
    expected = (GOLDEN / "doctor_planted.txt").read_text().splitlines()
    assert [line.rstrip() for line in out.splitlines()] == expected
