"""Tests of rectifier.torch.remedies: replace_activations, recycle (ReDo) and rai_init_ (RAI)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from rectifier.torch import Monitor, rai_init_, recycle, replace_activations  # noqa: E402
from rectifier.torch.remedies import RAI_SIGMA  # noqa: E402
from tests.torch.models import (  # noqa: E402
    MLP,
    ActivationZoo,
    Conv1dNet,
    ConvBN,
    DenseBlock,
    DenseConcat,
    FunctionalOnly,
    InplaceMLP,
    ReluIntoResidual,
    ResidualBlock,
    SequenceMLP,
    SharedReLU,
    make_input,
    plant_dead_units,
)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def monitor_report(model: nn.Module, x: torch.Tensor, tau: float = 0.1):
    with torch.no_grad(), Monitor(model, tau=tau) as monitor:
        model(x)
    return monitor.report()


def state_copy(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_state_equal(model: nn.Module, saved: dict[str, torch.Tensor]) -> None:
    now = model.state_dict()
    changed = [k for k in saved if not torch.equal(now[k], saved[k])]
    assert not changed, f"changed: {changed}"


def assert_alive(model: nn.Module, x: torch.Tensor, site: str, units: list[int]) -> None:
    rate = monitor_report(model, x).site(site).activation_rate
    assert (rate[units] > 0).all(), f"{site}: activation rates {rate[units]} of {units}"


# --------------------------------------------------------------------------------------------
# recycle: what changes, and that the outputs do not
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [MLP, InplaceMLP])
def test_recycle_mlp_outputs_unchanged_in_train_mode_and_units_alive(cls):
    torch.manual_seed(0)
    model = cls().train()  # no BatchNorm, no dropout: train mode must keep outputs too
    plant_dead_units(model.fc1, [0, 3, 7])
    plant_dead_units(model.fc2, [2])
    x = make_input(model, 64)
    other = 10 * make_input(model, 64, seed=1)  # planted units are zero on any input
    report = monitor_report(model, x)
    assert report.site("relu1#0").dead_units == [0, 3, 7]
    assert report.site("relu2#0").dead_units == [2]
    before_fc1 = model.fc1.weight.detach().clone()
    with torch.no_grad():
        before, before_other = model(x), model(other)

    result = recycle(model, report, tau=0.0, generator=gen(1))

    site1, site2 = result.site("relu1#0"), result.site("relu2#0")
    assert (site1.units, site1.producers, site1.consumers) == ([0, 3, 7], ["fc1"], ["fc2"])
    assert (site2.units, site2.producers, site2.consumers) == ([2], ["fc2"], ["fc3"])
    assert result.recycled == 4
    with torch.no_grad():
        assert torch.equal(model(x), before)
        assert torch.equal(model(other), before_other)
    assert torch.all(model.fc2.weight[:, [0, 3, 7]] == 0)
    assert torch.all(model.fc3.weight[:, 2] == 0)
    # Fresh incoming weights in the default-init range, the other rows untouched.
    bound = 1 / math.sqrt(8)
    assert torch.all(model.fc1.weight[[0, 3, 7]].abs() <= bound)
    assert torch.all(model.fc1.weight[[0, 3, 7]] != 0)
    assert torch.all(model.fc1.bias[[0, 3, 7]].abs() <= bound)
    keep = [i for i in range(16) if i not in (0, 3, 7)]
    assert torch.equal(model.fc1.weight[keep], before_fc1[keep])
    assert_alive(model, x, "relu1#0", [0, 3, 7])
    assert_alive(model, x, "relu2#0", [2])


def test_recycle_unwraps_data_parallel_like_the_monitor():
    torch.manual_seed(0)
    model = MLP()
    plant_dead_units(model.fc1, [5])
    wrapped = nn.DataParallel(model)  # no GPU: runs the module as is
    x = make_input(model, 32)
    report = monitor_report(wrapped, x)
    assert report.site("relu1#0").dead_units == [5]
    result = recycle(wrapped, report, tau=0.0, generator=gen())
    assert result.site("relu1#0").producers == ["fc1"]
    assert (model.fc2.weight[:, 5] == 0).all()


def test_recycle_default_tau_is_the_reports_and_catches_dormant_not_only_dead():
    torch.manual_seed(0)
    model = MLP().eval()
    with torch.no_grad():
        model.fc1.weight[[1, 4]] *= 1e-3  # alive but tiny: dormant, not dead
        model.fc1.bias[[1, 4]] = 1e-4
    x = make_input(model, 64)
    report = monitor_report(model, x, tau=0.1)
    site = report.site("relu1#0")
    assert site.dead_units == []
    assert {1, 4} <= set(site.dormant_units)
    # Dormant units are alive: recycling drops their (small) contribution, and nothing else. The
    # outputs equal those of the old model with only their outgoing weights zeroed.
    expected_model = copy.deepcopy(model)
    with torch.no_grad():
        expected_model.fc2.weight[:, site.dormant_units] = 0
        expected_model.fc3.weight[:, report.site("relu2#0").dormant_units] = 0
        expected = expected_model(x)
        assert not torch.equal(expected, model(x))
    result = recycle(model, report, generator=gen())
    assert result.tau == 0.1
    assert result.site("relu1#0").units == site.dormant_units
    with torch.no_grad():
        assert torch.equal(model(x), expected)


def test_recycle_tau_zero_leaves_dormant_but_alive_units_alone():
    torch.manual_seed(0)
    model = MLP().eval()
    with torch.no_grad():
        model.fc1.weight[1] *= 1e-3
        model.fc1.bias[1] = 1e-4
    x = make_input(model, 64)
    report = monitor_report(model, x, tau=0.1)
    saved = state_copy(model)
    result = recycle(model, report, tau=0.0)
    assert result.sites == [] and result.recycled == 0
    assert_state_equal(model, saved)


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_recycle_conv_bn_resets_batchnorm_and_flatten_columns(mode):
    torch.manual_seed(0)
    model = ConvBN()
    x = make_input(model, 32)
    with torch.no_grad():  # give the BatchNorms non-trivial statistics first
        model(x)
    model.train(mode == "train")
    plant_dead_units(model.bn1, [1])
    plant_dead_units(model.bn2, [0, 5])
    report = monitor_report(model, x)
    assert report.site("relu1#0").dead_units == [1]
    assert report.site("relu2#0").dead_units == [0, 5]
    other = 10 * make_input(model, 32, seed=1)
    with torch.no_grad():
        before = model(x)
        before_other = model(other)

    result = recycle(model, report, tau=0.0, generator=gen(2))

    site1, site2 = result.site("relu1#0"), result.site("relu2#0")
    assert (site1.producers, site1.norms, site1.consumers) == (["conv1"], ["bn1"], ["conv2"])
    assert (site2.producers, site2.norms, site2.consumers) == (["conv2"], ["bn2"], ["fc"])
    with torch.no_grad():
        assert torch.equal(model(x), before)
        assert torch.equal(model(other), before_other)
    for bn, channel in ((model.bn1, 1), (model.bn2, 0), (model.bn2, 5)):
        assert bn.weight[channel] == 1 and bn.bias[channel] == 0
        if mode == "eval":  # a train-mode forward (above) moves the running statistics again
            assert bn.running_mean[channel] == 0 and bn.running_var[channel] == 1
    assert torch.all(model.bn2.running_mean[[1, 2, 3, 4, 6, 7]] != 0)  # others untouched
    assert torch.all(model.conv2.weight[:, 1] == 0)
    # Channel c of the 8x8 map owns fc columns c*64 ... c*64+63.
    zero_columns = (model.fc.weight == 0).all(dim=0).nonzero().flatten().tolist()
    assert zero_columns == list(range(0, 64)) + list(range(5 * 64, 6 * 64))
    assert_alive(model, x, "relu1#0", [1])
    assert_alive(model, x, "relu2#0", [0, 5])


@pytest.mark.parametrize(
    ("cls", "site", "producer", "consumer"),
    [
        (SequenceMLP, "act#0", "up", "down"),  # GELU on [N, T, F]: units are the last dim
        (Conv1dNet, "relu1#0", "conv1", "conv2"),  # [N, C, L]: units are channels
        (ActivationZoo, "acts.5#0", "fcs.5", "fcs.6"),  # SiLU: silu(-1e4) == 0
    ],
)
def test_recycle_other_layouts_and_kinds(cls, site, producer, consumer):
    torch.manual_seed(0)
    model = cls()
    target = model.get_submodule(producer)
    plant_dead_units(target, [1, 2])
    x = make_input(model, 32)
    report = monitor_report(model, x)
    assert {1, 2} <= set(report.site(site).dormant_units)
    with torch.no_grad():
        before = model(x)
    result = recycle(model, report, tau=0.0, sites=[site], generator=gen(6))
    assert (result.site(site).producers, result.site(site).consumers) == ([producer], [consumer])
    with torch.no_grad():
        assert torch.equal(model(x), before)
    assert (model.get_submodule(consumer).weight[:, [1, 2]] == 0).all()


def test_recycle_batchnorm_consumer_side_grouped_conv_and_global_mean():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 6, 3, padding=1)
            self.bn = nn.BatchNorm2d(6)
            self.grouped = nn.Conv2d(6, 12, 3, padding=1, groups=3)  # 2 in, 4 out per group
            self.fc = nn.Linear(12, 2)

        def forward(self, x):
            h = self.grouped(self.bn(F.relu(self.conv(x))))
            return self.fc(F.relu(h).mean((2, 3)))

    torch.manual_seed(0)
    model = Net().eval()
    plant_dead_units(model.conv, [3])
    plant_dead_units(model.grouped, [5])
    x = torch.randn(16, 3, 8, 8, generator=gen())
    report = monitor_report(model, x)
    with torch.no_grad():
        before = model(x)
    result = recycle(model, report, tau=0.0, generator=gen())
    assert result.site("relu()#0").consumers == ["grouped"]
    assert result.site("relu()#1").consumers == ["fc"]
    with torch.no_grad():
        assert torch.equal(model(x), before)
    # Input channel 3 is channel 1 of group 1, read by output channels 4..7 only.
    zero = (model.grouped.weight == 0).all(dim=(2, 3))
    assert zero[4:8, 1].all() and not zero[:4, 1].any() and not zero[8:, 1].any()
    assert (model.fc.weight[:, 5] == 0).all()
    assert_alive(model, x, "relu()#0", [3])


@pytest.mark.parametrize("dim", [-2, 1])
def test_recycle_token_mean_needs_an_unambiguous_dim(dim):
    # On [N, T, F], x.mean(-2) averages tokens: surely not the feature dim. x.mean(1) would be the
    # feature dim of an [N, F] tensor, and the report does not say which: refuse.
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.Linear(8, 12)
            self.head = nn.Linear(12, 2)

        def forward(self, x):
            return self.head(F.relu(self.up(x)).mean(dim))

    torch.manual_seed(0)
    model = Net()
    plant_dead_units(model.up, [4])
    x = torch.randn(16, 5, 8, generator=gen())
    report = monitor_report(model, x)
    with torch.no_grad():
        before = model(x)
    if dim == 1:
        saved = state_copy(model)
        with pytest.raises(ValueError, match=r"'relu\(\)#0'.*read by 'mean'"):
            recycle(model, report, tau=0.0)
        assert_state_equal(model, saved)
        return
    result = recycle(model, report, tau=0.0, generator=gen())
    assert result.site("relu()#0").consumers == ["head"]
    with torch.no_grad():
        assert torch.equal(model(x), before)


def test_recycle_in_place_functional_relu_read_through_its_input():
    # F.relu(h, inplace=True) without reassignment: fc2 reads h, which the ReLU changed.
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 6)
            self.fc2 = nn.Linear(6, 2)

        def forward(self, x):
            h = self.fc1(x)
            F.relu(h, inplace=True)
            return self.fc2(h)

    torch.manual_seed(0)
    model = Net()
    plant_dead_units(model.fc1, [3])
    x = torch.randn(32, 4, generator=gen())
    report = monitor_report(model, x)
    assert report.site("relu()#0").dead_units == [3]
    with torch.no_grad():
        before = model(x)
    result = recycle(model, report, tau=0.0, generator=gen())
    assert result.site("relu()#0").consumers == ["fc2"]
    with torch.no_grad():
        assert torch.equal(model(x), before)
    assert (model.fc2.weight[:, 3] == 0).all()


def test_recycle_through_concatenation_pool_and_flatten():
    torch.manual_seed(0)
    model = DenseConcat()
    plant_dead_units(model.conv1, [1])
    plant_dead_units(model.conv2, [0, 4])
    x = make_input(model, 32)
    report = monitor_report(model, x)
    assert report.site("relu()#0").dead_units == [1]
    assert report.site("relu()#1").dead_units == [0, 4]
    with torch.no_grad():
        before = model(x)

    result = recycle(model, report, tau=0.0, generator=gen(3))

    assert result.site("relu()#0").consumers == ["conv2", "fc"]
    assert result.site("relu()#1").consumers == ["fc"]
    with torch.no_grad():
        assert torch.equal(model(x), before)
    # relu()#0 unit 1 is channel 3 + 1 of x1 and x2; relu()#1 units 0, 4 are channels 7, 11.
    zero_in = (model.conv2.weight == 0).flatten(1).all(dim=1)
    assert not zero_in.any()  # conv2's rows are relu()#1's producers: redrawn, not zeroed
    assert (model.conv2.weight[:, 4] == 0).all()
    assert not (model.conv2.weight[:, [0, 1, 2, 3, 5, 6]] == 0).all(dim=(0, 2, 3)).any()
    zero_columns = (model.fc.weight == 0).all(dim=0).nonzero().flatten().tolist()
    assert zero_columns == [16, 17, 18, 19, 28, 29, 30, 31, 44, 45, 46, 47]
    assert_alive(model, x, "relu()#0", [1])
    assert_alive(model, x, "relu()#1", [0, 4])


def test_recycle_preactivation_dense_block_resets_the_batchnorm_channel():
    # BN -> ReLU -> Conv on a concatenation of shared tensors: the BatchNorm is the producer.
    torch.manual_seed(0)
    model = DenseBlock().eval()
    plant_dead_units(model.layers[1][0], [0, 5])
    x = make_input(model, 32)
    report = monitor_report(model, x)
    assert report.site("layers.1.1#0").dead_units == [0, 5]
    with torch.no_grad():
        before = model(x)
    result = recycle(model, report, tau=0.0)
    site = result.site("layers.1.1#0")
    assert (site.producers, site.norms, site.consumers) == ([], ["layers.1.0"], ["layers.1.2"])
    with torch.no_grad():
        assert torch.equal(model(x), before)
    bn = model.layers[1][0]
    assert bn.weight[[0, 5]].tolist() == [1, 1] and bn.bias[[0, 5]].tolist() == [0, 0]
    assert (model.layers[1][2].weight[:, [0, 5]] == 0).all()
    assert_alive(model, x, "layers.1.1#0", [0, 5])


def test_recycle_functional_sites_in_place_method_and_clamp():
    torch.manual_seed(0)
    model = FunctionalOnly()
    plant_dead_units(model.fcs[1], [2])  # x.relu_(): site relu()#1
    plant_dead_units(model.fcs[3], [5])  # clamp(min=0): site relu()#2
    x = make_input(model, 64)
    report = monitor_report(model, x)
    with torch.no_grad():
        before = model(x)
    assert report.site("relu()#3").dead_units  # the head's ReLU reaches the output: skip it
    with pytest.raises(ValueError, match=r"'relu\(\)#3'.*model's output"):
        recycle(model, report, tau=0.0)
    result = recycle(model, report, tau=0.0, sites=["relu()#1", "relu()#2"], generator=gen(4))
    assert [s.site for s in result.sites] == ["relu()#1", "relu()#2"]
    assert result.site("relu()#1").units == [2]
    assert (result.site("relu()#1").producers, result.site("relu()#1").consumers) == (
        ["fcs.1"],
        ["fcs.2"],
    )
    assert (result.site("relu()#2").producers, result.site("relu()#2").consumers) == (
        ["fcs.3"],
        ["fcs.4"],
    )
    with torch.no_grad():
        assert torch.equal(model(x), before)
    assert_alive(model, x, "relu()#1", [2])
    assert_alive(model, x, "relu()#2", [5])


def test_recycle_shared_module_sites_by_call_index():
    torch.manual_seed(0)
    model = SharedReLU()
    plant_dead_units(model.fc2, [4])
    x = make_input(model, 64)
    report = monitor_report(model, x)
    assert 4 in report.site("act#1").dead_units
    with torch.no_grad():
        before = model(x)
    result = recycle(model, report, tau=0.0, generator=gen(5))
    site = result.site("act#1")
    assert (site.producers, site.consumers) == (["fc2"], ["fc3"])
    assert 4 in site.units
    with torch.no_grad():
        assert torch.equal(model(x), before)


# --------------------------------------------------------------------------------------------
# recycle: optimiser state
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: torch.optim.Adam(p, lr=1e-2),
        lambda p: torch.optim.AdamW(p, lr=1e-2, amsgrad=True),
        lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9),
    ],
    ids=["Adam", "AdamW-amsgrad", "SGD-momentum"],
)
def test_recycle_resets_optimizer_state_for_exactly_the_changed_entries(make_optimizer):
    torch.manual_seed(0)
    model = MLP()
    optimizer = make_optimizer(model.parameters())
    x = make_input(model, 64)
    target = torch.randn(64, 4, generator=gen(9))
    for _ in range(3):  # fill the state while every unit is alive
        optimizer.zero_grad()
        F.mse_loss(model(x), target).backward()
        optimizer.step()
    plant_dead_units(model.fc1, [0, 3])  # weights only: the state stays as it was
    report = monitor_report(model, x)
    assert report.site("relu1#0").dead_units == [0, 3]
    saved = {
        name: {k: v.clone() for k, v in optimizer.state[p].items()}
        for name, p in model.named_parameters()
    }

    recycle(model, report, tau=0.0, optimizer=optimizer, generator=gen())

    expected_zero = {
        "fc1.weight": (torch.tensor([0, 3]), slice(None)),
        "fc1.bias": (torch.tensor([0, 3]),),
        "fc2.weight": (slice(None), torch.tensor([0, 3])),
    }
    checked = 0
    for name, p in model.named_parameters():
        for key, value in optimizer.state[p].items():
            old = saved[name][key]
            if value.shape != p.shape:  # Adam's step: scalar state is left alone
                assert torch.equal(value, old)
                continue
            mask = torch.zeros(p.shape, dtype=torch.bool)
            if name in expected_zero:
                mask[expected_zero[name]] = True
                assert (old[mask] != 0).any(), "precondition: state was non-zero there"
                assert (value[mask] == 0).all(), f"{name}.{key} not reset"
            assert torch.equal(value[~mask], old[~mask]), f"{name}.{key} changed elsewhere"
            checked += 1
    assert checked >= 6
    # Training goes on: the zeroed outgoing weights of the live, recycled units learn again.
    optimizer.zero_grad()
    F.mse_loss(model(x), target).backward()
    assert (model.fc2.weight.grad[:, [0, 3]] != 0).any(dim=0).all()
    optimizer.step()
    assert (model.fc2.weight[:, [0, 3]] != 0).any(dim=0).all()


# --------------------------------------------------------------------------------------------
# recycle: refusals change nothing
# --------------------------------------------------------------------------------------------


def _adam_with_state(model: nn.Module, x: torch.Tensor) -> torch.optim.Optimizer:
    optimizer = torch.optim.Adam(model.parameters())
    model(x).square().mean().backward()
    optimizer.step()
    return optimizer


def _optimizer_state(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [v.clone() for s in optimizer.state.values() for v in s.values()]


def test_recycle_refuses_a_unit_that_feeds_a_residual_sum_and_changes_nothing():
    torch.manual_seed(0)
    model = ReluIntoResidual()
    x = make_input(model, 32)
    optimizer = _adam_with_state(model, x)
    plant_dead_units(model.fc, [2])
    report = monitor_report(model, x)
    saved, saved_opt = state_copy(model), _optimizer_state(optimizer)
    with pytest.raises(ValueError, match=r"site 'relu#0'.*another tensor.*residual"):
        recycle(model, report, tau=0.0, optimizer=optimizer)
    assert_state_equal(model, saved)
    after = _optimizer_state(optimizer)
    assert all(torch.equal(a, b) for a, b in zip(after, saved_opt, strict=True))


def test_recycle_refuses_a_site_after_a_residual_sum_before_changing_a_valid_one():
    # relu()#0 alone could be recycled; relu()#1 (after x + conv2(...)) cannot: nothing changes.
    torch.manual_seed(0)
    model = ResidualBlock()
    plant_dead_units(model.conv1, [1])
    plant_dead_units(model.conv2, [0, 1, 2, 3])
    x = make_input(model, 16)
    report = monitor_report(model, x)
    assert report.site("relu()#0").dead_units == [1]
    assert report.site("relu()#1").dead_units == [0, 1, 2, 3]
    saved = state_copy(model)
    with pytest.raises(ValueError, match=r"site 'relu\(\)#1'.*pre-activation.*add"):
        recycle(model, report, tau=0.0)
    assert_state_equal(model, saved)


def test_recycle_refuses_a_unit_read_by_a_non_layer_op():
    class SumHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 6)

        def forward(self, x):
            return F.relu(self.fc(x)).sum(1)

    torch.manual_seed(0)
    model = SumHead()
    plant_dead_units(model.fc, [0])
    x = torch.randn(16, 4, generator=gen())
    report = monitor_report(model, x)
    saved = state_copy(model)
    with pytest.raises(ValueError, match=r"site 'relu\(\)#0'.*read by 'sum'"):
        recycle(model, report, tau=0.0)
    assert_state_equal(model, saved)


def test_recycle_refuses_a_unit_that_reaches_the_output():
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
    plant_dead_units(model[0], [0])
    report = monitor_report(model, torch.randn(16, 4, generator=gen()))
    saved = state_copy(model)
    with pytest.raises(ValueError, match=r"site '1#0'.*model's output"):
        recycle(model, report, tau=0.0)
    assert_state_equal(model, saved)


def test_recycle_refuses_a_producer_called_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.relu = nn.ReLU()
            self.head = nn.Linear(4, 1)

        def forward(self, x):
            return self.head(self.relu(self.fc(self.fc(x))))

    model = Twice()
    plant_dead_units(model.fc, [1])
    report = monitor_report(model, torch.randn(16, 4, generator=gen()))
    saved = state_copy(model)
    with pytest.raises(ValueError, match=r"site 'relu#0'.*'fc' is called 2 times"):
        recycle(model, report, tau=0.0)
    assert_state_equal(model, saved)


class DataDependent(nn.Module):
    """Branches on a tensor value: torch.fx cannot trace it."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.fc2 = nn.Linear(6, 2)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        if h.sum() > 0:
            h = torch.relu(h)
        return self.fc2(h)


def test_recycle_refuses_an_untraceable_model():
    model = DataDependent()
    plant_dead_units(model.fc1, [0])
    report = monitor_report(model, torch.randn(16, 4, generator=gen()))
    saved = state_copy(model)
    with pytest.raises(ValueError, match="cannot trace DataDependent"):
        recycle(model, report, tau=0.0)
    assert_state_equal(model, saved)


def test_recycle_refuses_a_report_from_another_model():
    report = monitor_report(SharedReLU(), torch.randn(8, 8, generator=gen()), tau=10.0)
    model = MLP()
    saved = state_copy(model)
    with pytest.raises(ValueError, match=r"site 'act#0'.*0 such call"):
        recycle(model, report)
    assert_state_equal(model, saved)


def test_recycle_rejects_bad_arguments():
    model = MLP()
    with pytest.raises(TypeError, match="Report"):
        recycle(model, {"sites": []})
    report = monitor_report(model, make_input(model))
    with pytest.raises(ValueError, match="tau"):
        recycle(model, report, tau=-1.0)


# --------------------------------------------------------------------------------------------
# replace_activations
# --------------------------------------------------------------------------------------------


def test_replace_activations_modules_keep_inplace_and_outputs_follow():
    torch.manual_seed(0)
    model = InplaceMLP()
    reference = copy.deepcopy(model)
    result = replace_activations(model, lambda old: nn.LeakyReLU(0.1))
    assert result.replaced == ["relu1", "relu2"]
    assert result.functional == [] and result.functional_found_by == "fx"
    assert isinstance(model.relu1, nn.LeakyReLU) and model.relu1.inplace
    x = make_input(model)
    expected = reference.fc3(F.leaky_relu(reference.fc2(F.leaky_relu(reference.fc1(x), 0.1)), 0.1))
    torch.testing.assert_close(model(x), expected)


def test_replace_activations_shared_module_is_replaced_once():
    relu = nn.ReLU()
    model = nn.Sequential(nn.Linear(3, 3), relu, nn.Linear(3, 3), relu)
    calls = []

    def factory(old):
        calls.append(old)
        return nn.GELU()

    result = replace_activations(model, factory)
    assert len(calls) == 1
    assert result.replaced == ["1", "3"]
    assert model[1] is model[3] and isinstance(model[1], nn.GELU)


def test_replace_activations_kinds_follow_the_class_hierarchy():
    model = ActivationZoo()
    result = replace_activations(model, lambda old: nn.Identity(), kinds=("relu6", "hardtanh"))
    # ReLU6 subclasses Hardtanh but is its own kind; each is replaced once.
    assert result.replaced == ["acts.1", "acts.6"]
    kinds = [type(m).__name__ for m in model.acts]
    assert kinds == ["ReLU", "Identity", "LeakyReLU", "ELU", "GELU", "SiLU", "Identity"]


def test_replace_activations_lists_functional_sites_by_the_monitors_names():
    model = FunctionalOnly()
    result = replace_activations(model, lambda old: nn.LeakyReLU(), kinds=("relu", "gelu"))
    assert result.replaced == []
    assert result.functional_found_by == "fx"
    assert result.functional == ["relu()#0", "relu()#1", "relu()#2", "gelu()#0", "relu()#3"]
    report = monitor_report(model, make_input(model))
    seen = [s.name for s in report.sites if s.functional and s.kind in ("relu", "gelu")]
    assert result.functional == seen


def test_replace_activations_untraceable_uses_monitor_or_says_it_could_not_look():
    model = DataDependent()
    result = replace_activations(model, lambda old: nn.LeakyReLU())
    assert result.functional_found_by is None and result.functional == []
    assert "example_inputs" in result.note
    x = torch.randn(8, 4, generator=gen())
    result = replace_activations(model, lambda old: nn.LeakyReLU(), example_inputs=(x,))
    assert result.functional_found_by == "monitor"
    assert F.relu(model.fc1(x)).sum() > 0  # so forward takes the branch with the second ReLU
    assert result.functional == ["relu()#0", "relu()#1"]


def test_replace_activations_rejects_unknown_kinds_and_non_modules():
    with pytest.raises(ValueError, match="unknown kinds"):
        replace_activations(MLP(), nn.LeakyReLU, kinds=("tanh",))
    with pytest.raises(TypeError, match=r"not an nn\.Module"):
        replace_activations(MLP(), lambda old: F.leaky_relu)


# --------------------------------------------------------------------------------------------
# rai_init_
# --------------------------------------------------------------------------------------------


def narrow_mlp(width: int = 3, depth: int = 20) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(1, width), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


@torch.no_grad()
def born_dead(model: nn.Sequential, x: torch.Tensor) -> bool:
    """Some ReLU layer is zero on every input: the network's output is constant."""
    h = x
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.ReLU) and not (h > 0).any():
            return True
    return False


def test_rai_is_born_dead_far_less_often_than_he_init():
    # Lu et al. 2019: deep, narrow ReLU networks die at birth with symmetric initialisation.
    x = torch.linspace(-1, 1, 201)[:, None]
    model = narrow_mlp()
    g = gen(0)
    trials = 60
    rai = sum(born_dead(rai_init_(model, generator=g), x) for _ in range(trials)) / trials
    he = 0
    for _ in range(trials):
        with torch.no_grad():
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=g)
                    layer.bias.zero_()
        he += born_dead(model, x)
    he /= trials
    assert he > 0.7, he
    assert rai < 0.4 and rai < he / 2, (rai, he)
    # The monitor's Report agrees with the direct check, on born-dead and on healthy draws.
    seen = set()
    for _ in range(40):
        rai_init_(model, generator=g)
        dead = born_dead(model, x)
        assert monitor_report(model, x).born_dead == dead
        seen.add(dead)
        if len(seen) == 2:
            break
    assert seen == {True, False}


def test_rai_draws_one_positive_entry_per_neuron_and_he_like_variance():
    # Small fan-in: each of the 4 entries (3 weights + bias) is the Beta(2, 1) one with prob 1/4.
    layer = nn.Linear(3, 100_000)
    model = nn.Sequential(layer, nn.ReLU(), nn.Linear(100_000, 1))
    rai_init_(model, generator=gen(7))
    v = torch.cat([layer.weight, layer.bias[:, None]], dim=1).detach().double()
    # E[v] = E[Beta(2, 1)] / 4 = 1/6 in every position, bias included (the choice is uniform).
    np.testing.assert_allclose(v.mean(0).numpy(), 1 / 6, atol=0.01)
    # E[v^2] = (1/4) E[Beta^2] + (3/4) sigma^2 / fan_in = 1/8 + sigma^2 / 4.
    second = 1 / 8 + RAI_SIGMA**2 / 4
    np.testing.assert_allclose((v**2).mean(0).numpy(), second, rtol=0.02)

    # Large fan-in: the symmetric entries are N(0, sigma^2 / fan_in) and the largest entry of each
    # row is the Beta(2, 1) one (when it is above 0.2; symmetric entries reach 0.2 at ~7 sigma).
    layer = nn.Linear(400, 4000)
    model = nn.Sequential(layer, nn.ReLU(), nn.Linear(4000, 1))
    rai_init_(model, generator=gen(8))
    v = torch.cat([layer.weight, layer.bias[:, None]], dim=1).detach().double()
    sigma = RAI_SIGMA / math.sqrt(400)
    mad = v.abs().median().item() / 0.6744897501960817
    assert abs(mad / sigma - 1) < 0.02, mad / sigma
    big = v.max(dim=1).values
    big = big[big > 0.2].sort().values.numpy()
    assert abs(len(big) / 4000 - 0.96) < 0.015  # P(sqrt(U) > 0.2) = 0.96
    # Kolmogorov-Smirnov against Beta(2, 1) truncated to (0.2, 1]: CDF (x^2 - 0.04) / 0.96.
    cdf = (big**2 - 0.04) / 0.96
    n = len(big)
    ks = max((np.arange(1, n + 1) / n - cdf).max(), (cdf - np.arange(n) / n).max())
    assert ks < 1.63 / math.sqrt(n), ks  # 1% level
    assert (v <= 1).all()


def test_rai_initialises_only_layers_that_feed_a_relu():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.conv_bn = nn.Conv2d(8, 8, 3, bias=False)
            self.bn = nn.BatchNorm2d(8)
            self.fc = nn.Linear(8, 6)
            self.gelu_fc = nn.Linear(6, 6)
            self.out = nn.Linear(6, 2)

        def forward(self, x):
            x = torch.relu(self.conv(x))
            x = F.relu(self.bn(self.conv_bn(x))).mean((2, 3))
            x = self.fc(x).clamp(min=0)
            return self.out(F.gelu(self.gelu_fc(x)))

    model = Net()
    before = state_copy(model)
    rai_init_(model, generator=gen())
    after = model.state_dict()
    changed = sorted(k for k in before if not torch.equal(before[k], after[k]))
    assert changed == ["conv.bias", "conv.weight", "fc.bias", "fc.weight"]
    rows = torch.cat([model.conv.weight.flatten(1), model.conv.bias[:, None]], dim=1)
    assert ((rows > 0.2) & (rows <= 1)).sum(1).ge(1).float().mean() > 0.8


def test_rai_sees_an_in_place_functional_relu():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.out = nn.Linear(4, 1)

        def forward(self, x):
            h = self.fc(x)
            F.relu(h, inplace=True)  # out reads h after the ReLU changed it
            return self.out(h)

    model = Net()
    before = state_copy(model)
    rai_init_(model, generator=gen())
    after = model.state_dict()
    assert sorted(k for k in before if not torch.equal(before[k], after[k])) == [
        "fc.bias",
        "fc.weight",
    ]


def test_rai_is_reproducible_and_falls_back_on_module_order_when_untraceable():
    a = narrow_mlp(4, 3)
    b = copy.deepcopy(a)
    rai_init_(a, generator=gen(3))
    rai_init_(b, generator=gen(3))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))

    class Untraceable(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(2, 5), nn.ReLU())
            self.head = nn.Linear(5, 1)

        def forward(self, x):
            h = self.body(x)
            return self.head(h) if h.sum() > 0 else h.sum(1, keepdim=True)

    model = Untraceable()
    head = model.head.weight.detach().clone()
    body = model.body[0].weight.detach().clone()
    rai_init_(model, generator=gen())
    assert torch.equal(model.head.weight, head)
    assert not torch.equal(model.body[0].weight, body)
