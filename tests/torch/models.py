"""Small hand-built models for the doctor's tests.

Each model is tiny (runs in milliseconds on a CPU) and exercises one way a rectifier can appear in
a PyTorch model: as a module, as an in-place module, as one module shared by several call sites, as
a functional call inside ``forward``, after BatchNorm, in a residual sum or after a concatenation.

``INPUT_SHAPES`` maps each model class to the shape of one input sample (without the batch
dimension), so tests can build a batch for any model with :func:`make_input`.

Other engineers may append classes at the end of this file; do not reorder what exists.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """Linear-ReLU-Linear-ReLU-Linear. Sites: ``relu1#0``, ``relu2#0``.

    Input ``[N, in_features]``; units of ``relu1`` are the ``hidden`` features of ``fc1``.
    """

    def __init__(self, in_features: int = 8, hidden: int = 16, out_features: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(hidden, hidden)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


class ConvBN(nn.Module):
    """Conv-BN-ReLU-Conv-BN-ReLU-flatten-Linear. Sites: ``relu1#0``, ``relu2#0``.

    Input ``[N, 3, 8, 8]``; units are channels (dim 1). To plant dead channels, use
    :func:`plant_dead_units` on ``bn1``/``bn2`` (a conv bias would be cancelled by BatchNorm).
    """

    def __init__(self, channels: int = 4, classes: int = 3) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * channels)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(2 * channels * 8 * 8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class ResidualBlock(nn.Module):
    """``F.relu(x + conv2(F.relu(conv1(x))))``: functional ReLUs only, as in torchvision's ResNet
    written by hand. Sites: ``relu()#0`` (inner) and ``relu()#1`` (after the sum).

    Input ``[N, C, 8, 8]`` with ``C = channels``.
    """

    def __init__(self, channels: int = 4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.conv1(x))
        return F.relu(x + self.conv2(out))


class DenseBlock(nn.Module):
    """DenseNet-style: each layer sees the concatenation of all earlier feature maps.

    ``layers.i`` is ``BN-ReLU-Conv`` (an ``nn.Sequential``), so its ReLU site is ``layers.i.1#0``;
    its units are ``in_channels + i * growth`` channels. Input ``[N, in_channels, 8, 8]``.
    """

    def __init__(self, in_channels: int = 4, growth: int = 2, n_layers: int = 3) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Sequential(
                nn.BatchNorm2d(in_channels + i * growth),
                nn.ReLU(),
                nn.Conv2d(in_channels + i * growth, growth, 3, padding=1),
            )
            for i in range(n_layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)


class InplaceMLP(nn.Module):
    """Like :class:`MLP` but with ``nn.ReLU(inplace=True)``. Sites: ``relu1#0``, ``relu2#0``."""

    def __init__(self, in_features: int = 8, hidden: int = 16, out_features: int = 4) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.relu1 = nn.ReLU(inplace=True)
        self.fc2 = nn.Linear(hidden, hidden)
        self.relu2 = nn.ReLU(inplace=True)
        self.fc3 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(x)))))


class SharedReLU(nn.Module):
    """ONE ``nn.ReLU`` module (``act``) used at three places: sites ``act#0``, ``act#1``,
    ``act#2``, with 16, 12 and 8 units. Input ``[N, 8]``.
    """

    def __init__(self, in_features: int = 8) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, 16)
        self.fc2 = nn.Linear(16, 12)
        self.fc3 = nn.Linear(12, 8)
        self.head = nn.Linear(8, 2)
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.fc1(x))
        x = self.act(self.fc2(x))
        x = self.act(self.fc3(x))
        return self.head(x)


class FunctionalOnly(nn.Module):
    """No activation modules at all: every rectifier is a functional call in ``forward``.

    Sites, in order: ``relu()#0`` (torch.relu), ``relu()#1`` (x.relu_()), ``leaky_relu()#0``,
    ``relu()#2`` (clamp(min=0)), ``gelu()#0``, ``silu()#0``, ``relu6()#0``, ``hardtanh()#0``,
    ``relu()#3`` (F.relu). Every ``fc`` is 8 -> 8, so each site has 8 units. Input ``[N, 8]``.
    """

    N_SITES = 9

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.fcs = nn.ModuleList(nn.Linear(width, width) for _ in range(self.N_SITES))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        fc = self.fcs
        x = torch.relu(fc[0](x))
        x = fc[1](x).relu_()
        x = F.leaky_relu(fc[2](x), 0.01)
        x = fc[3](x).clamp(min=0)
        x = F.gelu(fc[4](x))
        x = F.silu(fc[5](x))
        x = F.relu6(fc[6](x))
        x = F.hardtanh(fc[7](x))
        return F.relu(fc[8](x))


class ActivationZoo(nn.Module):
    """One module of each activation kind the doctor knows, in this order: ReLU, ReLU6, LeakyReLU,
    ELU, GELU, SiLU, Hardtanh (sites ``acts.0#0`` ... ``acts.6#0``, 8 units each). Input ``[N, 8]``.
    """

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.acts = nn.ModuleList(
            [
                nn.ReLU(),
                nn.ReLU6(),
                nn.LeakyReLU(0.1),
                nn.ELU(),
                nn.GELU(),
                nn.SiLU(),
                nn.Hardtanh(),
            ]
        )
        self.fcs = nn.ModuleList(nn.Linear(width, width) for _ in self.acts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for fc, act in zip(self.fcs, self.acts, strict=True):
            x = act(fc(x))
        return x


class Conv1dNet(nn.Module):
    """Conv1d-ReLU-Conv1d-ReLU on ``[N, C, L]``: a 3-D activation whose units are channels (dim 1),
    not the last dimension. Sites ``relu1#0`` (4 units), ``relu2#0`` (6 units).
    Input ``[N, 3, 10]``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(3, 4, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv1d(4, 6, 3, padding=1)
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu2(self.conv2(self.relu1(self.conv1(x))))


class SequenceMLP(nn.Module):
    """A token-wise feed-forward block on ``[N, T, F]``: Linear-GELU-Linear, units are the last dim.
    Site ``act#0`` with ``hidden`` units. Input ``[N, 5, 8]``.
    """

    def __init__(self, features: int = 8, hidden: int = 12) -> None:
        super().__init__()
        self.up = nn.Linear(features, hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(hidden, features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.act(self.up(x)))


INPUT_SHAPES: dict[type[nn.Module], tuple[int, ...]] = {
    MLP: (8,),
    ConvBN: (3, 8, 8),
    ResidualBlock: (4, 8, 8),
    DenseBlock: (4, 8, 8),
    InplaceMLP: (8,),
    SharedReLU: (8,),
    FunctionalOnly: (8,),
    ActivationZoo: (8,),
    Conv1dNet: (3, 10),
    SequenceMLP: (5, 8),
}


def make_input(model: nn.Module, batch: int = 16, seed: int = 0) -> torch.Tensor:
    """A reproducible standard-normal batch for ``model`` (a class in :data:`INPUT_SHAPES`)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn((batch, *INPUT_SHAPES[type(model)]), generator=generator)


@torch.no_grad()
def plant_dead_units(layer: nn.Module, units: Iterable[int], bias: float = -1e4) -> None:
    """Kill ``units`` of the rectifier fed by ``layer`` (a Linear, Conv or BatchNorm layer).

    Sets their bias to a large negative value and zeroes their incoming weights (rows of a
    Linear/Conv weight, or the BatchNorm scale), so the pre-activation is exactly ``bias`` for
    every input: the unit's ReLU output is 0 on all data, whatever the input.
    """
    units = list(units)
    if layer.bias is None:
        raise ValueError(f"{type(layer).__name__} has no bias to plant dead units with")
    layer.bias[units] = bias
    if layer.weight is not None:
        layer.weight[units] = 0.0


# -- appended for the remedies' tests ------------------------------------------------------------


class DenseConcat(nn.Module):
    """DenseNet-style growth by concatenation, with the activations *inside* the concatenations:

    ``x1 = cat([x, relu(conv1(x))])``, ``x2 = cat([x1, relu(conv2(x1))])``, then average pooling to
    2x2, flatten and ``fc``. Sites ``relu()#0`` (4 units) and ``relu()#1`` (5 units). Unit ``i`` of
    ``relu()#0`` is channel ``3 + i`` of ``x1`` and ``x2`` (read by ``conv2`` and, through the pool,
    by ``fc`` columns ``4 * (3 + i)`` to ``4 * (3 + i) + 3``); unit ``i`` of ``relu()#1`` is channel
    ``7 + i`` of ``x2``. Input ``[N, 3, 8, 8]``.
    """

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(7, 5, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(12 * 2 * 2, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = torch.cat([x, F.relu(self.conv1(x))], dim=1)
        x2 = torch.cat([x1, F.relu(self.conv2(x1))], dim=1)
        return self.fc(torch.flatten(self.pool(x2), 1))


class ReluIntoResidual(nn.Module):
    """``head(x + relu(fc(x)))``: the ReLU's units feed a residual sum directly, so no weight
    carries them onward. Site ``relu#0`` (8 units). Input ``[N, 8]``.
    """

    def __init__(self, width: int = 8) -> None:
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.relu = nn.ReLU()
        self.head = nn.Linear(width, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x + self.relu(self.fc(x)))


INPUT_SHAPES[DenseConcat] = (3, 8, 8)
INPUT_SHAPES[ReluIntoResidual] = (8,)
