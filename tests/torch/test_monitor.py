"""Tests of rectifier.torch.Monitor against brute-force counts on the models in models.py."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from rectifier.torch import Monitor  # noqa: E402

from .models import (  # noqa: E402
    INPUT_SHAPES,
    MLP,
    ActivationZoo,
    Conv1dNet,
    ConvBN,
    DenseBlock,
    FunctionalOnly,
    InplaceMLP,
    ResidualBlock,
    SequenceMLP,
    SharedReLU,
    make_input,
    plant_dead_units,
)

# Expected sites of every model: name -> (units, unit_dim), in execution order.
EXPECTED_SITES = {
    MLP: {"relu1#0": (16, -1), "relu2#0": (16, -1)},
    ConvBN: {"relu1#0": (4, 1), "relu2#0": (8, 1)},
    ResidualBlock: {"relu()#0": (4, 1), "relu()#1": (4, 1)},
    DenseBlock: {"layers.0.1#0": (4, 1), "layers.1.1#0": (6, 1), "layers.2.1#0": (8, 1)},
    InplaceMLP: {"relu1#0": (16, -1), "relu2#0": (16, -1)},
    SharedReLU: {"act#0": (16, -1), "act#1": (12, -1), "act#2": (8, -1)},
    FunctionalOnly: {
        name: (8, -1)
        for name in (
            "relu()#0",
            "relu()#1",
            "leaky_relu()#0",
            "relu()#2",
            "gelu()#0",
            "silu()#0",
            "relu6()#0",
            "hardtanh()#0",
            "relu()#3",
        )
    },
    ActivationZoo: {f"acts.{i}#0": (8, -1) for i in range(7)},
    Conv1dNet: {"relu1#0": (4, 1), "relu2#0": (6, 1)},
    SequenceMLP: {"act#0": (12, -1)},
}
ZOO_KINDS = ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "hardtanh"]


def _model(cls: type[nn.Module], seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return cls()


def _batches(model: nn.Module, n: int = 3, batch: int = 16) -> list[torch.Tensor]:
    return [make_input(model, batch=batch, seed=seed) for seed in range(n)]


def _monitored_report(model: nn.Module, batches: list[torch.Tensor], **kwargs):
    with Monitor(model, **kwargs) as monitor:
        for x in batches:
            model(x)
    return monitor, monitor.report()


def _captured_rectifier_outputs(model: nn.Module, batches: list[torch.Tensor]):
    """Brute force for module sites: plain forward hooks keep a copy of every activation output."""
    outputs: dict[str, list[np.ndarray]] = {}
    calls: dict[str, int] = {}
    activation_types = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Hardtanh)

    def hook_for(path):
        def hook(module, args, output):
            index = calls.get(path, 0)
            calls[path] = index + 1
            outputs.setdefault(f"{path}#{index}", []).append(output.detach().double().cpu().numpy())

        return hook

    handles = [
        m.register_forward_hook(hook_for(p))
        for p, m in model.named_modules()
        if isinstance(m, activation_types)
    ]
    try:
        for x in batches:
            calls.clear()
            model(x)
    finally:
        for h in handles:
            h.remove()
    return outputs


def _brute_counts(arrays: list[np.ndarray], unit_dim: int):
    """positive counts, mean |h| and observations per unit, in float64 with NumPy."""
    units = arrays[0].shape[unit_dim]
    if units == 0:  # no units: nothing observed
        return np.zeros(0, np.int64), np.zeros(0), 0
    flat = np.concatenate([np.moveaxis(a, unit_dim, -1).reshape(-1, units) for a in arrays])
    observations = flat.shape[0]
    mean_abs = np.abs(flat).mean(0) if observations else np.zeros(units)  # 0/0 := 0
    return (flat > 0).sum(0), mean_abs, observations


def _assert_site_matches(site, arrays: list[np.ndarray]) -> None:
    positive, mean_abs, observations = _brute_counts(arrays, site.unit_dim)
    np.testing.assert_array_equal(site.positive, positive, err_msg=site.name)
    np.testing.assert_allclose(site.mean_abs, mean_abs, rtol=1e-5, atol=1e-7, err_msg=site.name)
    assert site.observations == observations, site.name
    # A unit is dead if it never fired on the data; with no data at all, nothing is dead.
    dead = np.flatnonzero(positive == 0).tolist() if observations else []
    assert site.dead_units == dead, site.name


# -- sites ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", list(EXPECTED_SITES), ids=lambda c: c.__name__)
def test_every_model_has_the_expected_sites(cls):
    model = _model(cls)
    monitor, report = _monitored_report(model, _batches(model, n=1))
    assert monitor.sites == list(EXPECTED_SITES[cls])
    got = {s.name: (s.units, s.unit_dim) for s in report.sites}
    assert got == EXPECTED_SITES[cls]


@pytest.mark.parametrize("cls", list(INPUT_SHAPES), ids=lambda c: c.__name__)
def test_every_model_in_models_py_is_monitored_without_side_effects(cls):
    # Also covers models appended to models.py later by other tests' authors.
    model = _model(cls)
    x = make_input(model)
    before = _hook_state(model)
    expected = model(x)
    with Monitor(model) as monitor:
        out = model(x)
    assert torch.equal(out, expected)
    assert _hook_state(model) == before
    report = monitor.report()
    assert report.sites, "every test model has at least one rectifier"
    for site in report.sites:
        assert site.observations > 0 and site.observations % 16 == 0, site.name  # batch of 16
        assert (site.positive <= site.observations).all(), site.name


def test_site_metadata_for_modules_and_functional_calls():
    model = _model(ActivationZoo)
    _, report = _monitored_report(model, _batches(model, n=1))
    assert [s.kind for s in report.sites] == ZOO_KINDS
    assert not any(s.functional for s in report.sites)
    assert [s.module_path for s in report.sites] == [f"acts.{i}" for i in range(7)]

    model = _model(FunctionalOnly)
    _, report = _monitored_report(model, _batches(model, n=1))
    kinds = ["relu", "relu", "leaky_relu", "relu", "gelu", "silu", "relu6", "hardtanh", "relu"]
    assert [s.kind for s in report.sites] == kinds
    assert all(s.functional and s.module_path == "" for s in report.sites)
    assert [s.call_index for s in report.sites] == [0, 1, 0, 2, 0, 0, 0, 0, 3]


# -- counts against brute force -------------------------------------------------------------------


MODULE_SITE_MODELS = [MLP, ConvBN, DenseBlock, InplaceMLP, SharedReLU, ActivationZoo, Conv1dNet]


@pytest.mark.parametrize("cls", [*MODULE_SITE_MODELS, SequenceMLP], ids=lambda c: c.__name__)
def test_counts_match_brute_force(cls):
    model = _model(cls)
    batches = _batches(model)
    # Eval mode: BatchNorm uses running stats, so the brute-force rerun sees the same outputs.
    model.eval()
    _, report = _monitored_report(model, batches)
    captured = _captured_rectifier_outputs(model, batches)
    assert sorted(captured) == sorted(s.name for s in report.sites)
    for site in report.sites:
        _assert_site_matches(site, captured[site.name])


PLANTS = {
    # model -> (layer feeding the site, planted units, site)
    MLP: ("fc1", [1, 5], "relu1#0"),
    InplaceMLP: ("fc2", [0, 7, 15], "relu2#0"),
    ConvBN: ("bn1", [2], "relu1#0"),
    SharedReLU: ("fc2", [3, 4], "act#1"),
    Conv1dNet: ("conv2", [5], "relu2#0"),
    DenseBlock: ("layers.1.0", [0, 5], "layers.1.1#0"),
    ActivationZoo: ("fcs.1", [2], "acts.1#0"),  # ReLU6
}


@pytest.mark.parametrize("cls", list(PLANTS), ids=lambda c: c.__name__)
@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
def test_planted_dead_units_are_found(cls, train):
    layer, units, site_name = PLANTS[cls]
    model = _model(cls)
    plant_dead_units(model.get_submodule(layer), units)
    model.train(train)
    batches = _batches(model)
    _, report = _monitored_report(model, batches)
    site = report.site(site_name)
    assert set(units) <= set(site.dead_units)
    # Exactly the brute-force dead set: nothing more is reported dead. In train mode, BatchNorm
    # statistics move, so the brute force reruns a copy of the model in the same state.
    fresh = _model(cls)
    plant_dead_units(fresh.get_submodule(layer), units)
    fresh.train(train)
    captured = _captured_rectifier_outputs(fresh, batches)
    for other in report.sites:
        _assert_site_matches(other, captured[other.name])
    assert site.dormant_mask[units].all()  # dead => E|h| = 0 => dormant


def test_functional_calls_inside_forward_are_counted():
    model = _model(ResidualBlock)
    batches = _batches(model)
    _, report = _monitored_report(model, batches)
    inner, outer = [], []
    with torch.no_grad():
        for x in batches:
            h = torch.relu(model.conv1(x))
            inner.append(h.double().numpy())
            outer.append(torch.relu(x + model.conv2(h)).double().numpy())
    _assert_site_matches(report.site("relu()#0"), inner)
    _assert_site_matches(report.site("relu()#1"), outer)


def test_functional_only_model_matches_manual_forward():
    model = _model(FunctionalOnly)
    batches = _batches(model)
    _, report = _monitored_report(model, batches)
    ops = [
        torch.relu,
        torch.relu,
        lambda t: F.leaky_relu(t, 0.01),
        lambda t: t.clamp(min=0),
        F.gelu,
        F.silu,
        F.relu6,
        F.hardtanh,
        torch.relu,
    ]
    per_site: list[list[np.ndarray]] = [[] for _ in ops]
    with torch.no_grad():
        for x in batches:
            for i, (fc, op) in enumerate(zip(model.fcs, ops, strict=True)):
                x = op(fc(x))
                per_site[i].append(x.double().numpy())
    for site, arrays in zip(report.sites, per_site, strict=True):
        _assert_site_matches(site, arrays)


class _Clamps(nn.Module):
    """Every clamp spelling; only those with min=0 and no max are rectifiers."""

    def forward(self, x):
        outs = [
            x.clamp(min=0),  # relu()#0
            torch.clamp(x, 0),  # relu()#1
            torch.clamp_min(x, 0.0),  # relu()#2
            x.clamp_min(0),  # relu()#3
            x.clone().clamp_(min=0),  # relu()#4
            x.clip(min=0),  # relu()#5
            torch.clamp_(x.clone(), min=0),  # relu()#6
            x.clamp(min=0, max=1),  # not a rectifier (bounded)
            x.clamp(max=0),
            x.clamp(min=0.5),
            x.clamp(min=torch.tensor(0.0)),  # a tensor bound: comparing it would synchronise
            torch.arange(4).clamp(min=0),  # integer: an index, not an activation
        ]
        return sum(o.sum() for o in outs)


def test_clamp_with_min_zero_is_a_relu_and_nothing_else_is():
    model = _Clamps()
    x = torch.randn(5, 3)
    _, report = _monitored_report(model, [x])
    assert [s.name for s in report.sites] == [f"relu()#{i}" for i in range(7)]
    expected = (x > 0).sum(0).numpy()
    for site in report.sites:
        np.testing.assert_array_equal(site.positive, expected)


def test_activation_modules_are_not_double_counted():
    # nn.ReLU.forward calls F.relu; GELU calls F.gelu; ReLU6 calls F.hardtanh.
    for cls in (MLP, ActivationZoo, InplaceMLP):
        model = _model(cls)
        _, report = _monitored_report(model, _batches(model, n=1))
        assert not any(s.functional for s in report.sites)
        assert all(s.observations == 16 for s in report.sites)


def test_inplace_relu_counted_and_output_unchanged():
    model = _model(InplaceMLP)
    x = make_input(model)
    expected = model(x.clone())
    with Monitor(model) as monitor:
        out = model(x.clone())
    assert torch.equal(out, expected)
    with torch.no_grad():
        h1 = torch.relu(model.fc1(x))
        h2 = torch.relu(model.fc2(h1))
    report = monitor.report()
    _assert_site_matches(report.site("relu1#0"), [h1.double().numpy()])
    _assert_site_matches(report.site("relu2#0"), [h2.double().numpy()])


def test_shared_module_gives_one_site_per_call():
    model = _model(SharedReLU)
    plant_dead_units(model.fc3, [6])
    _, report = _monitored_report(model, _batches(model))
    assert [(s.name, s.units, s.call_index) for s in report.sites] == [
        ("act#0", 16, 0),
        ("act#1", 12, 1),
        ("act#2", 8, 2),
    ]
    assert 6 in report.site("act#2").dead_units
    assert all(s.observations == 48 for s in report.sites)


def test_counts_accumulate_over_batches_and_reset_clears_them():
    model = _model(MLP)
    batches = _batches(model, n=4)
    with Monitor(model) as monitor:
        for x in batches[:2]:
            model(x)
        two = monitor.report().site("relu1#0")
        for x in batches[2:]:
            model(x)
        four = monitor.report().site("relu1#0")
        monitor.reset()
        assert monitor.sites == []
        model(batches[0])
        one = monitor.report().site("relu1#0")
    assert (two.observations, four.observations, one.observations) == (32, 64, 16)
    captured = _captured_rectifier_outputs(model, batches)["relu1#0"]
    _assert_site_matches(four, captured)
    _assert_site_matches(one, captured[:1])


def test_every_counts_one_forward_in_k():
    model = _model(MLP)
    batches = _batches(model, n=7)
    _, report = _monitored_report(model, batches, every=3)
    captured = _captured_rectifier_outputs(model, [batches[0], batches[3], batches[6]])
    for site in report.sites:
        assert site.observations == 3 * 16
        _assert_site_matches(site, captured[site.name])
    with pytest.raises(ValueError, match="every"):
        Monitor(model, every=0)


# -- units ----------------------------------------------------------------------------------------


def test_unit_dims_override_by_site_name_and_module_path():
    model = _model(SequenceMLP)
    _, report = _monitored_report(model, _batches(model, n=1), unit_dims={"act#0": 1})
    assert (report.site("act#0").units, report.site("act#0").unit_dim) == (5, 1)

    model = _model(Conv1dNet)
    _, report = _monitored_report(model, _batches(model, n=1), unit_dims={"relu2": -1})
    assert (report.site("relu2#0").units, report.site("relu2#0").unit_dim) == (10, -1)
    assert report.site("relu1#0").units == 4


def test_unit_dims_out_of_range_is_a_clear_error():
    model = _model(MLP)
    with Monitor(model, unit_dims={"relu1": 2}), pytest.raises(ValueError, match="out of range"):
        model(make_input(model))


def test_3d_after_functional_relu_of_conv1d_uses_channels():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.Sequential(nn.Conv1d(3, 5, 3), nn.BatchNorm1d(5))
            self.proj = nn.Linear(8, 7)

        def forward(self, x):
            h = F.relu(self.block(x))  # [N, 5, 8]: channels
            return F.relu(self.proj(h))  # [N, 5, 7]: features (last dim)

    model = Net()
    _, report = _monitored_report(model, [torch.randn(4, 3, 10)])
    assert [(s.units, s.unit_dim) for s in report.sites] == [(5, 1), (7, -1)]


def test_1d_activation_each_element_is_a_unit_and_0d_is_ignored():
    class Net(nn.Module):
        def forward(self, x):
            return torch.relu(x).sum() + torch.relu(x.sum())

    x = torch.tensor([-1.0, 2.0, 0.0, 3.0])
    _, report = _monitored_report(Net(), [x, x])
    (site,) = report.sites
    assert (site.units, site.observations) == (4, 2)
    assert site.positive.tolist() == [0, 2, 0, 2]
    assert site.dead_units == [0, 2]


def test_changing_unit_count_is_a_clear_error():
    model = nn.Sequential(nn.ReLU())
    with Monitor(model), pytest.raises(ValueError, match="unit_dims"):
        model(torch.randn(2, 3))
        model(torch.randn(2, 4))


def test_counters_are_o_of_units():
    model = _model(ConvBN)
    with Monitor(model) as monitor:
        model(make_input(model, batch=8))
        first = monitor.counter_numel
        for seed in range(3):
            model(make_input(model, batch=64, seed=seed))
    total_units = sum(s.units for s in monitor.report().sites)
    assert first == monitor.counter_numel == 2 * total_units == 24


# -- leaves the model untouched -------------------------------------------------------------------


def _hook_state(model: nn.Module):
    return {
        p: (
            list(m._forward_hooks),
            list(m._forward_pre_hooks),
            list(m._backward_hooks),
            list(m._forward_hooks_always_called),
        )
        for p, m in model.named_modules()
    }


def test_no_hooks_or_mode_remain_after_stop():
    model = _model(ConvBN)
    before = _hook_state(model)
    monitor = Monitor(model).start()
    assert _hook_state(model) != before
    model(make_input(model))
    assert torch._C._len_torch_function_stack() == 0  # the mode lives only inside forward
    monitor.stop()
    assert _hook_state(model) == before
    assert not monitor.started


class _Raises(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.act = nn.ReLU()

    def forward(self, x):
        F.relu(self.act(self.fc(x)))
        raise RuntimeError("boom")


def test_forward_that_raises_leaves_nothing_behind():
    model = _Raises()
    before = _hook_state(model)
    with Monitor(model) as monitor:
        for _ in range(2):
            with pytest.raises(RuntimeError, match="boom"):
                model(torch.randn(2, 3))
            assert torch._C._len_torch_function_stack() == 0
            assert monitor._stack == []
    assert _hook_state(model) == before
    # Calls outside a forward are not seen, even while started.
    assert [(s.name, s.observations) for s in monitor.report().sites] == [
        ("act#0", 4),
        ("relu()#0", 4),
    ]


def test_keyboard_interrupt_in_forward_is_cleaned_up_by_the_with_block():
    # nn.Module runs always_call hooks for Exception only: stop() must pop the mode itself.
    class Interrupted(nn.Module):
        def forward(self, x):
            torch.relu(x)
            raise KeyboardInterrupt

    model = Interrupted()
    with pytest.raises(KeyboardInterrupt), Monitor(model):
        model(torch.randn(2, 3))
    assert torch._C._len_torch_function_stack() == 0
    assert _hook_state(model) == {"": ([], [], [], [])}


def test_exception_inside_with_block_removes_hooks():
    model = _model(MLP)
    before = _hook_state(model)
    with pytest.raises(KeyError), Monitor(model):
        model(make_input(model))
        raise KeyError("user error")
    assert _hook_state(model) == before


def test_calls_outside_the_forward_are_not_counted():
    model = _model(MLP)
    with Monitor(model) as monitor:
        model(make_input(model))
        torch.relu(torch.randn(4, 16))  # not inside the model's forward
        model.relu1(torch.randn(4, 16))  # a submodule called on its own
    assert [(s.name, s.observations) for s in monitor.report().sites] == [
        ("relu1#0", 16),
        ("relu2#0", 16),
    ]


def test_user_hooks_still_fire_and_stay_registered():
    model = _model(MLP)
    fired = []
    model.register_forward_pre_hook(lambda m, a: fired.append("root-pre"))
    model.relu1.register_forward_hook(lambda m, a, o: fired.append("relu1-post"))
    model.fc2.register_forward_hook(lambda m, a, o: o * 2)  # changes the output
    model.register_full_backward_hook(lambda m, gi, go: fired.append("root-backward"))
    before = _hook_state(model)
    x = make_input(model).requires_grad_()  # so the full backward hook sees input gradients
    expected = model(x)
    expected.sum().backward()
    fired.clear()
    with Monitor(model) as monitor:
        out = model(x)
        out.sum().backward()
    assert fired == ["root-pre", "relu1-post", "root-backward"]
    assert torch.equal(out, expected)
    assert _hook_state(model) == before
    # relu2 sees the doubled fc2 output: its counts match a brute force with the hook in place.
    captured = _captured_rectifier_outputs(model, [x])
    _assert_site_matches(monitor.report().site("relu2#0"), captured["relu2#0"])


@pytest.mark.parametrize("cls", [ConvBN, ResidualBlock, DenseBlock, InplaceMLP, FunctionalOnly])
def test_outputs_gradients_and_buffers_are_bit_identical(cls):
    model = _model(cls)
    twin = copy.deepcopy(model)
    x = make_input(model, batch=8)
    out = model(x)
    out.square().mean().backward()
    with Monitor(twin) as monitor:
        out_m = twin(x)
    out_m.square().mean().backward()  # backward after stop: the graph needs no hooks
    assert monitor.sites
    assert torch.equal(out, out_m)
    for (name, p), p_m in zip(model.named_parameters(), twin.parameters(), strict=True):
        assert torch.equal(p.grad, p_m.grad), name
    for (name, b), b_m in zip(model.named_buffers(), twin.buffers(), strict=True):
        assert torch.equal(b, b_m), name


def test_training_mode_and_rng_state_unchanged():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 2))
    model[3].eval()  # a mixed state must survive too
    modes = [m.training for m in model.modules()]
    x = torch.randn(8, 4)
    torch.manual_seed(1)
    expected = model(x)
    rng_expected = torch.get_rng_state()
    torch.manual_seed(1)
    with Monitor(model):
        out = model(x)
    assert torch.equal(out, expected)  # same dropout mask: no random numbers were drawn
    assert torch.equal(torch.get_rng_state(), rng_expected)
    assert [m.training for m in model.modules()] == modes


def test_no_grad_and_inference_mode():
    model = _model(MLP)
    batches = _batches(model)
    captured = _captured_rectifier_outputs(model, batches)
    with Monitor(model) as monitor:
        with torch.inference_mode():
            model(batches[0])  # counters are allocated here: they must not be inference tensors
        with torch.no_grad():
            model(batches[1])
        out = model(batches[2])  # then a plain forward updates the same counters in place
    assert out.requires_grad
    for site in monitor.report().sites:
        _assert_site_matches(site, captured[site.name])


def test_stats_do_not_build_an_autograd_graph():
    model = _model(MLP)
    x = make_input(model)
    with Monitor(model) as monitor:
        model(x)
    assert all(
        not s.positive.requires_grad and not s.sum_abs.requires_grad
        for s in monitor._sites.values()
    )
    assert all(s.sum_abs.grad_fn is None for s in monitor._sites.values())


def test_autocast_bfloat16():
    model = _model(ConvBN).eval()
    batches = _batches(model)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        captured = _captured_rectifier_outputs(model, batches)
        with Monitor(model) as monitor:
            out = model(batches[0])
            for x in batches[1:]:
                model(x)
    assert out.dtype == torch.bfloat16
    assert all(s.sum_abs.dtype == torch.float64 for s in monitor._sites.values())
    for site in monitor.report().sites:
        _assert_site_matches(site, captured[site.name])


def test_monitoring_a_submodule_names_sites_relative_to_it():
    model = _model(MLP)
    outer = nn.Sequential(model, nn.ReLU())
    with Monitor(model) as monitor:
        outer(make_input(model))
    assert monitor.sites == ["relu1#0", "relu2#0"]


def test_float64_model_and_empty_batch():
    model = _model(MLP).double()
    x = make_input(model).double()
    with Monitor(model) as monitor:
        model(x)
        model(x[:0])
    report = monitor.report()
    captured = _captured_rectifier_outputs(model, [x])
    for site in report.sites:
        _assert_site_matches(site, captured[site.name])


def test_torch_compile_counts_nothing_and_changes_nothing():
    pytest.importorskip("torch._dynamo")
    import torch._dynamo

    torch._dynamo.reset()
    model = _model(ResidualBlock)
    x = make_input(model)
    expected = model(x)
    compiled = torch.compile(model, backend="eager")
    with pytest.warns(UserWarning, match="compiled forwards are not counted"):
        monitor = Monitor(compiled)
    assert monitor.model is model
    with monitor:
        out = compiled(x)
        assert torch._C._len_torch_function_stack() == 0
        assert monitor.sites == []
        monitor.model(x)  # the eager module is counted
    assert torch.equal(out, expected)
    assert monitor.sites == ["relu()#0", "relu()#1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(compiled(x), expected)

    in_place = _model(ResidualBlock)
    in_place.compile(backend="eager")
    with pytest.warns(UserWarning, match="compiled forwards are not counted"), Monitor(in_place):
        pass
    torch._dynamo.reset()


def test_repr_and_snapshot():
    model = _model(MLP)
    plant_dead_units(model.fc1, range(8))
    with Monitor(model) as monitor:
        for epoch in range(2):
            model(make_input(model, seed=epoch))
            entry = monitor.snapshot(reset=epoch == 0)
    assert "2 sites" in repr(monitor)
    assert [h["step"] for h in monitor.history] == [0, 1]
    assert entry["label"] == 1
    assert entry["sites"]["relu1#0"]["dead_fraction"] == 0.5
    assert set(entry) == {
        "step",
        "label",
        "dead_fraction",
        "dormant_fraction",
        "born_dead",
        "sites",
    }
    report = monitor.report()
    assert report.history == monitor.history
    assert report.history is not monitor.history


def test_born_dead_model():
    model = _model(MLP)
    plant_dead_units(model.fc2, range(16))
    _, report = _monitored_report(model, _batches(model))
    assert report.born_dead and not report.healthy
    assert report.site("relu2#0").dead == 16


def test_healthy_thresholds_are_keywords_of_report():
    model = _model(MLP)
    plant_dead_units(model.fc1, [0, 1, 2, 3])  # 4 of 32 units: 12.5 %
    monitor, report = _monitored_report(model, _batches(model))
    assert report.dead >= 4
    assert report.healthy == (report.dead_fraction <= 0.1 and report.dormant_fraction <= 0.2)
    relaxed = monitor.report(max_dead=0.5, max_dormant=0.5)
    assert relaxed.healthy and (relaxed.max_dead, relaxed.max_dormant) == (0.5, 0.5)
    assert not monitor.report(max_dead=0.05).healthy


def test_distributed_true_without_process_group_is_an_error():
    model = _model(MLP)
    monitor, _ = _monitored_report(model, _batches(model, n=1))
    with pytest.raises(RuntimeError, match="not initialised"):
        monitor.report(distributed=True)


def test_rejects_non_modules():
    with pytest.raises(TypeError, match=r"nn\.Module"):
        Monitor(lambda x: x)


@pytest.mark.gpu
def test_cuda_counters_stay_on_device_without_host_sync():
    assert torch.cuda.is_available(), "--gpu was given, but torch sees no CUDA device"
    model = _model(ConvBN).cuda()
    batches = [x.cuda() for x in _batches(model)]
    with Monitor(model) as monitor:
        model(batches[0])  # allocates the counters
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")  # any host synchronisation now raises
        try:
            for x in batches[1:]:
                model(x)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    assert all(s.positive.is_cuda and s.sum_abs.is_cuda for s in monitor._sites.values())
    captured = _captured_rectifier_outputs(model, batches)  # same device, same kernels
    for site in monitor.report().sites:
        _assert_site_matches(site, captured[site.name])


class _ApplyEach(nn.Module):
    """Applies one functional rectifier to its input (the unit rule then depends on shape only)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), min_size=1, max_size=5),
    fn=st.sampled_from([torch.relu, F.silu, F.leaky_relu, F.relu6, F.gelu]),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([torch.float32, torch.float64, torch.bfloat16]),
)
def test_unit_rule_and_counts_for_any_shape(shape, fn, seed, dtype):
    x = (3 * torch.randn(shape, generator=torch.Generator().manual_seed(seed))).to(dtype)
    model = _ApplyEach(fn)
    _, report = _monitored_report(model, [x, x.flip(0)])
    (site,) = report.sites
    expected_dim = 1 if x.dim() >= 4 else -1
    assert site.unit_dim == expected_dim
    h = fn(x).double().numpy()
    _assert_site_matches(site, [h, h[::-1]])
