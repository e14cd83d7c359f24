"""The bundled digits, the doctor's demo and the monitor-overhead records."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rectifier.data import load_digits  # noqa: E402
from rectifier.torch.demo import digits_tensors, make_cnn, run_demo  # noqa: E402
from rectifier.torch.overhead import doctor_overhead_records  # noqa: E402


def test_bundled_digits():
    d = load_digits()
    assert d.images.shape == (1797, 8, 8) and d.images.dtype == np.uint8
    assert d.labels.shape == (1797,) and d.labels.dtype == np.uint8
    assert int(d.images.max()) == 16 and int(d.images.min()) == 0
    assert np.bincount(d.labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert "CC BY 4.0" in d.attribution and "Alpaydin" in d.attribution
    files = resources.files("rectifier.data")
    with resources.as_file(files.joinpath("digits.npz")) as path:
        assert path.stat().st_size < 100_000
    assert "CC BY 4.0" in files.joinpath("DIGITS_LICENSE.txt").read_text()


def test_digits_split_is_disjoint_and_seeded():
    x_tr, _, x_te, y_te, _ = digits_tensors(seed=3)
    assert len(x_tr) + len(x_te) == 1797 and len(x_te) == 359
    assert x_tr.shape[1:] == (1, 8, 8) and float(x_tr.max()) == 1.0
    again = digits_tensors(seed=3)
    assert torch.equal(x_te, again[2]) and torch.equal(y_te, again[3])


def test_make_cnn():
    model = make_cnn()
    assert model(torch.zeros(3, 1, 8, 8)).shape == (3, 10)
    assert sum(isinstance(m, torch.nn.ReLU) for m in model) == 3


def test_demo_is_deterministic_and_leaves_global_state_alone():
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    rng = torch.random.get_rng_state()
    first = run_demo(epochs=1, seed=1)
    assert torch.equal(torch.random.get_rng_state(), rng)
    assert torch.get_num_threads() == threads
    second = run_demo(epochs=1, seed=1)
    for a, b in ((first.before, second.before), (first.after, second.after)):
        assert a.accuracies == b.accuracies
        assert a.dead_fraction == b.dead_fraction
        assert [s.dead_units for s in a.report.sites] == [s.dead_units for s in b.report.sites]
    assert first.before.epochs == [0, 1]
    assert len(first.before.report.history) == 2  # one monitor snapshot per check
    assert first.to_dict()["after"]["report"]["sites"][0]["kind"] == "leaky_relu"


def test_demo_refuses_zero_epochs():
    with pytest.raises(ValueError, match="epochs"):
        run_demo(epochs=0)


def test_overhead_records_schema():
    records = doctor_overhead_records(repeats=1, batch=8, warmup=0)
    assert [r["impl"] for r in records] == ["unmonitored", "monitored"]
    for r in records:
        assert r["function"] == "doctor" and r["op"] == "train_step" and r["dtype"] == "float32"
        assert r["n"] == 8 and r["gbps"] is None and r["threads"] >= 1
        assert 0 < r["min_s"] <= r["median_s"] <= r["max_s"]
    assert "ratio" not in records[0] and records[1]["ratio"] > 0
