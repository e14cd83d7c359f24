"""rectifier.torch.loading: model and data loading for the doctor, and its refusals."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from rectifier.errors import UsageError  # noqa: E402
from rectifier.torch import Monitor, loading  # noqa: E402


def test_parse_shape():
    assert loading.parse_shape("1x28x28") == (1, 28, 28)
    assert loading.parse_shape("1,28,28") == (1, 28, 28)
    assert loading.parse_shape(" 3 , 4 ") == (3, 4)
    assert loading.parse_shape("10") == (10,)


@pytest.mark.parametrize("text", ["", "x", "0x3", "-1,2", "2.5", "a,b"])
def test_parse_shape_refuses(text):
    with pytest.raises(UsageError, match="--random-inputs"):
        loading.parse_shape(text)


def test_parse_image_size():
    assert loading.parse_image_size("28") == (28, 28)
    assert loading.parse_image_size("32x48") == (32, 48)
    for bad in ("0", "1x2x3", "big"):
        with pytest.raises(UsageError, match="--image-size"):
            loading.parse_image_size(bad)


def test_resolve_device():
    assert loading.resolve_device(None) == torch.device("cpu")
    assert loading.resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(UsageError, match="unknown device"):
        loading.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="CUDA is not available"):
            loading.resolve_device("cuda:0")


def test_format_exception_is_one_clean_line():
    exc = RuntimeError("\x1b[1mbold\x1b[0m first\nsecond")
    assert loading.format_exception(exc) == "RuntimeError: bold first"
    assert loading.format_exception(ValueError()) == "ValueError"
    assert len(loading.format_exception(ValueError("x" * 999), limit=50)) < 70


def test_import_object_errors():
    with pytest.raises(UsageError, match=r"expected a file or pkg\.module:function"):
        loading.import_object("no colon", "--model")
    with pytest.raises(UsageError, match="cannot import"):
        loading.import_object("no_such_module_xyz:f", "--model")
    with pytest.raises(UsageError, match="no attribute"):
        loading.import_object("os.path:nope", "--model")
    with pytest.raises(UsageError, match="not callable"):
        loading.import_object("os:sep", "--model")


class _Net(nn.Module):
    """A ReLU module, a ReLU6 module and a functional ReLU at the root."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 5)
        self.act = nn.ReLU()
        self.act6 = nn.ReLU6()

    def forward(self, x):
        return torch.relu(self.act6(self.act(self.fc(x))) - 1.0)


def _files(tmp_path):
    torch.manual_seed(0)
    net = _Net().eval()
    x = torch.randn(4, 3)
    batch = torch.export.Dim("batch")
    torch.export.save(
        torch.export.export(net, (x,), dynamic_shapes=({0: batch},)), tmp_path / "net.bin"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(net).save(str(tmp_path / "net.data"))
    torch.save(net.state_dict(), tmp_path / "sd.pt2")  # a misleading name: content decides
    return net, x


def test_model_file_kind_is_found_from_content(tmp_path):
    _files(tmp_path)
    assert loading.model_file_kind(tmp_path / "net.bin") == "export"
    assert loading.model_file_kind(tmp_path / "net.data") == "torchscript"
    assert loading.model_file_kind(tmp_path / "sd.pt2") == "torch.save"


def _zoo():
    from tests.torch import models

    return [
        models.SharedReLU,  # one module called at three places
        models.FunctionalOnly,  # every functional kind, clamp(min=0), in-place relu_
        models.ActivationZoo,  # every activation module kind
        models.Conv1dNet,  # 3-D [N, C, L] activations: units along dim 1
        models.ConvBN,
    ]


@pytest.mark.parametrize("kind", ["export", "torchscript"])
@pytest.mark.parametrize("cls", _zoo(), ids=lambda c: c.__name__)
def test_graph_models_report_like_the_eager_model(tmp_path, cls, kind):
    from tests.torch import models

    torch.manual_seed(0)
    net = cls().eval()
    x = models.make_input(net, batch=8)
    with Monitor(net) as monitor, torch.no_grad():
        expected = net(x)
    eager = monitor.report()
    path = tmp_path / "model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if kind == "export":
            torch.export.save(torch.export.export(net, (x,)), path)
        else:
            torch.jit.script(net).save(str(path))
    loaded = loading.load_model(str(path))
    assert loaded.kind == kind
    module, unit_dims = loading.prepare_for_monitoring(loaded, x)
    with Monitor(module, unit_dims=unit_dims) as monitor, torch.no_grad():
        out = module(x)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    report = monitor.report()
    assert [(s.kind, s.units, s.unit_dim) for s in report.sites] == [
        (s.kind, s.units, s.unit_dim) for s in eager.sites
    ]
    assert [s.dead_units for s in report.sites] == [s.dead_units for s in eager.sites]
    assert [s.positive.tolist() for s in report.sites] == [s.positive.tolist() for s in eager.sites]
    if kind == "export":  # the export remembers the modules: the eager model's site names
        assert report.names == eager.names


def test_state_dict_is_not_a_model(tmp_path):
    _files(tmp_path)
    with pytest.raises(UsageError, match="state dict"):
        loading.load_model(str(tmp_path / "sd.pt2"))
    with pytest.raises(UsageError, match="--weights goes with"):
        loading.load_model(str(tmp_path / "net.bin"), weights=str(tmp_path / "sd.pt2"))


def test_weights_from_a_checkpoint_dict(tmp_path):
    torch.manual_seed(0)
    net = nn.Linear(2, 2)
    torch.save({"epoch": 3, "state_dict": net.state_dict()}, tmp_path / "ckpt.pt")
    loaded = loading.load_model("torch.nn:Identity")
    assert loaded.kind == "factory"
    model = nn.Linear(2, 2)
    loading._load_weights(model, str(tmp_path / "ckpt.pt"))
    torch.testing.assert_close(model.weight, net.weight)


def test_npy_is_memory_mapped_and_batched(tmp_path, monkeypatch):
    path = tmp_path / "x.npy"
    np.save(path, np.arange(7 * 2, dtype=np.uint8).reshape(7, 2))
    calls = []
    real_load = np.load

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy)
    src = loading.load_data(str(path), batch_size=3)
    assert calls == [{"mmap_mode": "r", "allow_pickle": False}]
    batches = list(src.batches())
    assert [tuple(b.shape) for b in batches] == [(3, 2), (3, 2), (1, 2)]
    assert batches[0].dtype == torch.float32
    assert batches[2].tolist() == [[12.0, 13.0]]  # values kept, not rescaled
    assert src.total == 3
    assert len(list(loading.load_data(str(path), batch_size=3, batches=2).batches())) == 2


def test_npz_uncompressed_is_memory_mapped(tmp_path):
    x = np.random.default_rng(0).random((5, 3))
    np.savez(tmp_path / "plain.npz", inputs=x, labels=np.zeros(5))
    np.savez_compressed(tmp_path / "packed.npz", x=x)
    mapped = loading._npz_memmap(tmp_path / "plain.npz", "inputs")
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, x)
    assert loading._npz_memmap(tmp_path / "packed.npz", "x") is None
    for name in ("plain.npz", "packed.npz"):
        (b,) = loading.load_data(str(tmp_path / name), batch_size=8).batches()
        np.testing.assert_allclose(b.numpy(), x.astype(np.float32))


def test_npz_with_unnamed_arrays_is_refused(tmp_path):
    np.savez(tmp_path / "two.npz", a=np.zeros(3), b=np.zeros(3))
    with pytest.raises(UsageError, match="name the inputs"):
        loading.load_data(str(tmp_path / "two.npz"))


@pytest.mark.parametrize(
    "array, words",
    [
        (np.array(["a", "b"]), "numeric"),
        (np.array(3.0), "scalar"),
        (np.zeros((0, 3)), "empty"),
        (np.array([1 + 2j]), "numeric"),
    ],
)
def test_bad_arrays_are_refused(tmp_path, array, words):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(UsageError, match=words):
        loading.load_data(str(tmp_path / "bad.npy"))


def test_object_arrays_are_never_unpickled(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([None, {}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "obj.npz", x=np.array([None, {}], dtype=object))
    for name in ("obj.npy", "obj.npz"):
        with pytest.raises(UsageError, match="object arrays are refused"):
            list(loading.load_data(str(tmp_path / name)).batches())


def endless():
    return (torch.zeros(2, 3) for _ in itertools.count())


def numpy_pairs():
    return [(np.ones((2, 3), np.float64), np.zeros(2)), (np.ones((1, 3)), None)]


def strings():
    return ["not a batch"]


def test_function_source(monkeypatch):
    monkeypatch.setattr(loading, "DEFAULT_FUNCTION_BATCHES", 5)
    src = loading.load_data(f"{__name__}:endless")
    assert sum(1 for _ in src.batches()) == 5  # an endless iterable is capped
    assert sum(1 for _ in loading.load_data(f"{__name__}:endless", batches=2).batches()) == 2
    batches = list(loading.load_data(f"{__name__}:numpy_pairs").batches())
    assert [tuple(b.shape) for b in batches] == [(2, 3), (1, 3)]
    with pytest.raises(UsageError, match="batch 1 is a str"):
        list(loading.load_data(f"{__name__}:strings").batches())


def test_image_folder(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    (tmp_path / "cat").mkdir()
    (tmp_path / "dog").mkdir()
    pil.fromarray(np.full((4, 6, 3), 255, np.uint8)).save(tmp_path / "cat" / "a.png")
    pil.fromarray(np.zeros((4, 6, 3), np.uint8)).save(tmp_path / "dog" / "b.jpg")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    src = loading.load_data(str(tmp_path), batch_size=8, channels=3)
    (b,) = src.batches()
    assert tuple(b.shape) == (2, 3, 4, 6)
    assert float(b[0].min()) == 1.0 and float(b[1].max()) < 0.05  # scaled to [0, 1]
    (g,) = loading.load_data(str(tmp_path), channels=1, image_size=(2, 3)).batches()
    assert tuple(g.shape) == (2, 1, 2, 3)
    (tmp_path / "dog" / "broken.png").write_bytes(b"\x89PNG nope")
    with pytest.raises(UsageError, match="cannot read image"):
        list(loading.load_data(str(tmp_path)).batches())


def test_folder_without_classes(tmp_path):
    with pytest.raises(UsageError, match="no class sub-folders"):
        loading.load_data(str(tmp_path))
    (tmp_path / "a").mkdir()
    with pytest.raises(UsageError, match="holds no images"):
        loading.load_data(str(tmp_path))


def test_random_inputs_are_reproducible():
    a = list(loading.random_inputs((2, 3), batch_size=4, batches=2, seed=5).batches())
    b = list(loading.random_inputs((2, 3), batch_size=4, batches=2, seed=5).batches())
    assert len(a) == 2 and all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert tuple(a[0].shape) == (4, 2, 3)


def test_guess_channels_and_dtype():
    assert loading.guess_channels(nn.Sequential(nn.Linear(2, 2))) is None
    assert loading.guess_channels(nn.Sequential(nn.ReLU(), nn.Conv2d(1, 2, 3))) == 1
    assert loading.model_dtype(nn.Linear(2, 2).double()) == torch.float64
    assert loading.model_dtype(nn.ReLU()) == torch.float32
