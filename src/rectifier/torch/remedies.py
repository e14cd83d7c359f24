"""Remedies for dead and dormant rectifiers: swap the activation, recycle units, or start well.

- :func:`replace_activations` swaps activation modules (``nn.ReLU`` -> ``nn.LeakyReLU``, ...) in
  place and lists the functional calls (``F.relu`` in a ``forward``) it cannot swap.
- :func:`recycle` is ReDo (Sokar et al. 2023, "The Dormant Neuron Phenomenon in Deep
  Reinforcement Learning"): every tau-dormant unit gets fresh incoming weights and a zero outgoing
  weight, and its optimiser state is reset, so the network's outputs are unchanged at that
  instant (exactly, for dead units) while the unit is alive again.
- :func:`rai_init_` is Randomised Asymmetric Initialisation (Lu, Shin, Su and Karniadakis 2019,
  "Dying ReLU and Initialization: Theory and Numerical Examples", arXiv:1903.06733), which makes a
  deep, narrow ReLU network far less likely to be born dead than He initialisation.

:func:`recycle` and :func:`rai_init_` read the model's structure from a ``torch.fx`` symbolic trace
and find the monitor's sites in it through the naming contract of :mod:`rectifier.torch._sites`.
Where the graph does not say unambiguously which weights feed a unit and which read it, they
refuse with a ``ValueError`` that names the site and the reason, and change nothing.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.nn.modules.batchnorm import _BatchNorm

from rectifier.torch._kinds import (
    CLAMP_KIND,
    CLAMP_MIN_KIND,
    FUNC_KINDS,
    clamp_is_relu,
    module_kind,
    unwrap,
)
from rectifier.torch._sites import MODULE_KINDS, site_name
from rectifier.torch.monitor import Monitor
from rectifier.torch.report import Report, SiteReport

__all__ = [
    "RAI_SIGMA",
    "RecycleResult",
    "RecycledSite",
    "ReplaceResult",
    "rai_init_",
    "recycle",
    "replace_activations",
]


# --------------------------------------------------------------------------------------------
# What the graph walks recognise
# --------------------------------------------------------------------------------------------

# Layers whose weight rows are a unit's incoming weights and whose weight columns (input channels)
# are a unit's outgoing weights. Transposed convolutions keep their weights the other way round
# and are not handled.
_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_RANK = {nn.Conv1d: 3, nn.Conv2d: 4, nn.Conv3d: 5}

# Modules that act on each unit on its own (elementwise, or per channel), so a unit keeps its
# index through them.
_ELEMENTWISE_MODULES: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.ELU,
    nn.CELU,
    nn.SELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Sigmoid,
    nn.Tanh,
    nn.Softplus,
    nn.Identity,
    nn.Dropout,
    nn.AlphaDropout,
)
# Modules that keep the channel index of an [N, C, ...] tensor (they pool or drop over space).
_CHANNEL_MODULES: tuple[type[nn.Module], ...] = (
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Dropout3d,
    nn.MaxPool1d,
    nn.MaxPool2d,
    nn.MaxPool3d,
    nn.AvgPool1d,
    nn.AvgPool2d,
    nn.AvgPool3d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)
_ELEMENTWISE_FUNCTIONS = {
    F.relu,
    F.relu_,
    torch.relu,
    torch.relu_,
    F.relu6,
    F.leaky_relu,
    F.leaky_relu_,
    F.elu,
    F.elu_,
    F.celu,
    F.selu,
    F.gelu,
    F.silu,
    F.mish,
    F.hardtanh,
    F.hardtanh_,
    F.hardswish,
    F.hardsigmoid,
    F.softplus,
    torch.sigmoid,
    torch.tanh,
    F.sigmoid,
    F.tanh,
    torch.clamp,
    torch.clip,
    torch.clamp_min,
    F.dropout,
    F.alpha_dropout,
    torch.nn.functional.dropout1d,
    torch.nn.functional.dropout2d,
    torch.nn.functional.dropout3d,
    operator.mul,
    operator.truediv,
    operator.neg,
    torch.mul,
    torch.div,
}
_CHANNEL_FUNCTIONS = {
    F.max_pool1d,
    F.max_pool2d,
    F.max_pool3d,
    F.avg_pool1d,
    F.avg_pool2d,
    F.avg_pool3d,
    F.adaptive_avg_pool1d,
    F.adaptive_avg_pool2d,
    F.adaptive_avg_pool3d,
    F.adaptive_max_pool1d,
    F.adaptive_max_pool2d,
    F.adaptive_max_pool3d,
}
_CHANNEL_FUNCTIONS |= {
    getattr(torch, name)
    for name in (
        "max_pool1d",
        "max_pool2d",
        "max_pool3d",
        "avg_pool1d",
        "adaptive_avg_pool1d",
        "adaptive_max_pool1d",
    )
    if hasattr(torch, name)
}
_ELEMENTWISE_METHODS = {
    "relu",
    "relu_",
    "sigmoid",
    "sigmoid_",
    "tanh",
    "tanh_",
    "clamp",
    "clamp_",
    "clip",
    "clip_",
    "clamp_min",
    "clamp_min_",
    "contiguous",
    "clone",
    "detach",
    "float",
    "double",
    "half",
    "bfloat16",
    "to",
    "mul",
    "mul_",
    "div",
    "div_",
    "neg",
}
_CATS = {torch.cat, torch.concat, torch.concatenate}
_REDUCTION_FUNCTIONS = {torch.mean, torch.sum, torch.amax, torch.amin}
# Reading a tensor's metadata does not consume its values.
_METADATA_METHODS = {"size", "dim", "ndimension", "numel"}

_INPLACE_FUNCTIONS = {F.relu_, torch.relu_, F.leaky_relu_, F.elu_, F.hardtanh_}
# Position of the ``inplace`` argument of functions that have one.
_INPLACE_ARG = {
    F.relu: 1,
    F.relu6: 1,
    F.silu: 1,
    F.selu: 1,
    F.mish: 1,
    F.hardswish: 1,
    F.hardsigmoid: 1,
    F.leaky_relu: 2,
    F.elu: 2,
    F.celu: 2,
    F.hardtanh: 3,
    F.dropout: 3,
    F.alpha_dropout: 3,
}


def _check_model(func: str, model: Any, generator: Any = None) -> None:
    """TypeError for a model that is not an nn.Module (or a generator that is not one)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"{func}: model must be a torch.nn.Module, got {type(model).__name__}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"{func}: generator must be a torch.Generator or None, got {type(generator).__name__}; "
            "pass torch.Generator().manual_seed(seed)"
        )


def _arg(node: fx.Node, index: int, name: str, default: Any = None) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _functional_kind(node: fx.Node) -> str | None:
    """The rectifier kind of a call_function / call_method node, or None: the monitor's own
    classification (same table, same clamp rule), so that both name the same sites."""
    if node.op == "call_function":
        func = node.target
    elif node.op == "call_method" and isinstance(node.target, str):
        func = getattr(torch.Tensor, node.target, None)
    else:
        return None
    try:
        kind = FUNC_KINDS.get(func)
    except TypeError:  # unhashable target
        return None
    if kind in (CLAMP_KIND, CLAMP_MIN_KIND):
        return "relu" if clamp_is_relu(kind, node.args, node.kwargs) else None
    return kind


def _scope(node: fx.Node) -> str:
    """Path of the module whose ``forward`` made this call (innermost nn_module_stack entry)."""
    stack = node.meta.get("nn_module_stack")
    if not stack:
        return ""
    value = list(stack.values())[-1]
    return value[0] if isinstance(value, tuple) else str(value)


def _trace(model: nn.Module, what: str) -> fx.GraphModule:
    try:
        return fx.symbolic_trace(model)
    except Exception as exc:  # tracing raises many types (TraceError, TypeError, ...)
        raise ValueError(
            f"{what}: cannot trace {type(model).__name__} with torch.fx.symbolic_trace "
            f"({type(exc).__name__}: {exc}); data-dependent control flow in forward() is the "
            "usual cause"
        ) from exc


def _functional_sites(gm: fx.GraphModule) -> list[tuple[str, str, fx.Node]]:
    """Every functional rectifier call in the graph as (site name, kind, node), in order."""
    counts: dict[tuple[str, str], int] = {}
    out = []
    for node in gm.graph.nodes:
        kind = _functional_kind(node)
        if kind is None:
            continue
        path = _scope(node)
        k = counts.get((path, kind), 0)
        counts[(path, kind)] = k + 1
        out.append((site_name(path, k, kind), kind, node))
    return out


# --------------------------------------------------------------------------------------------
# replace_activations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplaceResult:
    """What :func:`replace_activations` did.

    ``replaced``: module paths whose activation module was swapped, in ``named_modules`` order (a
    module registered under several names is listed under each, and replaced by one new module).
    ``functional``: site names (``path.fn()#k``) of functional calls of the requested kinds, which
    cannot be swapped from outside; edit the ``forward`` to change them.
    ``functional_found_by``: ``"fx"`` (symbolic trace), ``"monitor"`` (the trace failed and the
    example inputs were run under a :class:`~rectifier.torch.Monitor`) or ``None`` (neither was
    possible: ``functional`` is empty because nothing could look, not because nothing is there).
    ``note``: why nothing could look, when ``functional_found_by`` is ``None``; else empty.
    """

    replaced: list[str]
    functional: list[str]
    functional_found_by: str | None
    note: str = ""


def _parameter_like(module: nn.Module) -> torch.Tensor | None:
    for tensor in module.parameters():
        return tensor
    for tensor in module.buffers():
        return tensor
    return None


def replace_activations(
    model: nn.Module,
    factory: Callable[[nn.Module], nn.Module],
    *,
    kinds: Iterable[str] = ("relu",),
    example_inputs: Sequence[Any] | None = None,
) -> ReplaceResult:
    """Swap every activation module of the given kinds for ``factory(old_module)``, in place.

    ``kinds`` are the doctor's canonical kinds (``"relu"``, ``"relu6"``, ``"leaky_relu"``,
    ``"elu"``, ``"gelu"``, ``"silu"``, ``"hardtanh"``; see ``rectifier.torch._sites``). The
    new module keeps the old one's ``inplace`` flag where it has one, and its training mode; if it
    has parameters (``nn.PReLU``) they are moved to the device and dtype of the model's first
    parameter. A module shared by several parents is replaced once, by one new module, so the
    sharing is kept.

    Functional calls (``F.relu(x)`` in a ``forward``) cannot be swapped from outside; they are
    listed by site name, found by ``torch.fx`` symbolic tracing or, where tracing fails and
    ``example_inputs`` (a tuple of positional arguments) is given, by running the model once under
    a :class:`~rectifier.torch.Monitor` (no gradients, training mode unchanged). Tracing does not
    look inside ``torch.nn``'s own layers (``nn.TransformerEncoderLayer`` calls ``F.relu``
    internally); the monitor does.

    >>> import torch
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(inplace=True), nn.Linear(8, 1))
    >>> result = replace_activations(model, lambda old: nn.LeakyReLU(0.01))
    >>> result.replaced, result.functional
    (['1'], [])
    >>> model[1]
    LeakyReLU(negative_slope=0.01, inplace=True)
    """
    _check_model("replace_activations", model)
    if not callable(factory):
        raise TypeError(
            f"replace_activations: factory must be callable (old module -> new module), got "
            f"{type(factory).__name__}"
        )
    model = unwrap(model)
    kinds = tuple(kinds)
    unknown = sorted(set(kinds) - set(MODULE_KINDS.values()))
    if unknown:
        raise ValueError(
            f"replace_activations: unknown kinds {unknown}; known: {sorted(MODULE_KINDS.values())}"
        )
    if module_kind(model) in kinds:
        raise ValueError(
            "replace_activations: the model itself is an activation module; nothing holds it to "
            "replace it in place, call factory(model) instead"
        )
    reference = _parameter_like(model)

    # Look for functional calls first, so that calls inside the new modules are not listed.
    functional: list[str] = []
    found_by: str | None = None
    note = ""
    try:
        gm = fx.symbolic_trace(model)
    except Exception as exc:
        if example_inputs is None:
            note = (
                f"torch.fx could not trace the model ({type(exc).__name__}); pass example_inputs "
                "to look for functional calls with a Monitor"
            )
        else:
            functional = _functional_sites_by_monitor(model, example_inputs, kinds)
            found_by = "monitor"
    else:
        functional = [name for name, kind, _ in _functional_sites(gm) if kind in kinds]
        found_by = "fx"

    new_for: dict[int, nn.Module] = {}  # id(old) -> new: a shared module is replaced once
    swaps: list[tuple[nn.Module, str, nn.Module, str]] = []  # (parent, name, new, path)
    # remove_duplicate=False visits every (parent, name) that holds a shared module.
    for parent_path, parent in model.named_modules(remove_duplicate=False):
        # parent._modules, not named_children(): that skips a module registered twice.
        for name, child in list(parent._modules.items()):
            if child is None:
                continue
            if module_kind(child) not in kinds:
                continue
            new = new_for.get(id(child))
            if new is None:
                new = factory(child)
                if not isinstance(new, nn.Module):
                    raise TypeError(
                        f"replace_activations: factory returned {type(new).__name__}, "
                        "not an nn.Module"
                    )
                if hasattr(new, "inplace") and hasattr(child, "inplace"):
                    new.inplace = bool(child.inplace)
                new.train(child.training)
                if reference is not None and _parameter_like(new) is not None:
                    if reference.is_floating_point():
                        new.to(device=reference.device, dtype=reference.dtype)
                    else:
                        new.to(device=reference.device)
                new_for[id(child)] = new
            if new is child:
                continue
            swaps.append((parent, name, new, f"{parent_path}.{name}" if parent_path else name))
    # Swap only once every factory call has succeeded: a factory that raises (or returns a
    # non-module) at the third site must not leave the first two replaced.
    replaced: list[str] = []
    for parent, name, new, path in swaps:
        setattr(parent, name, new)
        if path not in replaced:
            replaced.append(path)

    return ReplaceResult(
        replaced=replaced, functional=functional, functional_found_by=found_by, note=note
    )


def _functional_sites_by_monitor(
    model: nn.Module, example_inputs: Sequence[Any], kinds: tuple[str, ...]
) -> list[str]:
    if isinstance(example_inputs, torch.Tensor):
        example_inputs = (example_inputs,)
    with torch.no_grad(), Monitor(model) as monitor:
        model(*example_inputs)
    report = monitor.report()
    return [s.name for s in report.sites if s.functional and s.kind in kinds]


# --------------------------------------------------------------------------------------------
# recycle (ReDo)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecycledSite:
    """One site's recycled units and the layers that were changed for them.

    ``producers``: layers whose incoming weights (rows) and bias for the units were redrawn.
    ``norms``: BatchNorm layers between producer and activation whose channels were reset
    (weight 1, bias 0, running mean 0, running variance 1); for a pre-activation block
    (``BN -> ReLU -> Conv`` fed by a shared tensor) the BatchNorm itself is the producer.
    ``consumers``: layers whose outgoing weights (columns) for the units were zeroed.
    """

    site: str
    units: list[int]
    producers: list[str]
    norms: list[str]
    consumers: list[str]


@dataclass(frozen=True)
class RecycleResult:
    """What :func:`recycle` did: the threshold used and one :class:`RecycledSite` per site that had
    dormant units, in report order. ``optimizer_reset`` is True when an optimiser's state was reset.
    """

    tau: float
    sites: list[RecycledSite] = field(default_factory=list)
    optimizer_reset: bool = False

    @property
    def recycled(self) -> int:
        """Number of units recycled, over all sites."""
        return sum(len(s.units) for s in self.sites)

    def site(self, name: str) -> RecycledSite:
        """The entry for site ``name``; ``KeyError`` if it had no dormant units."""
        for s in self.sites:
            if s.site == name:
                return s
        raise KeyError(f"no recycled site {name!r}; recycled: {[s.site for s in self.sites]}")


class _Refusal(Exception):
    """Internal: the graph does not allow recycling this unit; the message says why."""


@dataclass
class _Stream:
    """How units are laid out in the tensors between an activation and the layers that read it.

    ``conv``: units are channels (dim 1) of an [N, C, ...] tensor of ``rank`` dims; otherwise units
    are the last dim. ``flat``: the conv stream was flattened, units are blocks of ``flat``
    channels' worth of columns (the spatial size is learnt at the Linear that reads it).
    """

    conv: bool
    rank: int | None
    units: int | None
    flat: int | None = None

    def is_unit_dim(self, dim: Any) -> bool:
        if not isinstance(dim, int):
            return False
        if self.conv:
            return dim == 1 or (self.rank is not None and dim + self.rank == 1)
        if self.rank is None:
            # [N, F] or [N, T, F]: the monitor does not say which. Take dim 1 as the unit dim
            # ([N, F]); the layer that reads the result checks that its in_features agree.
            return dim in (1, -1)
        return dim == -1 or dim == self.rank - 1


@dataclass
class _Producer:
    layer: tuple[str, nn.Module, int] | None  # (path, Linear/Conv, row)
    norms: list[tuple[str, _BatchNorm, int]]  # (path, BatchNorm, channel)


@dataclass
class _Consumer:
    path: str
    module: nn.Module
    columns: list[int]  # Linear input features, or Conv input channels


class _Graph:
    """A traced model plus the look-ups the walks need."""

    def __init__(self, model: nn.Module, gm: fx.GraphModule) -> None:
        self.model = model
        self.gm = gm
        self.order = {node: i for i, node in enumerate(gm.graph.nodes)}
        self.calls: dict[str, int] = {}
        for node in gm.graph.nodes:
            if node.op == "call_module":
                self.calls[node.target] = self.calls.get(node.target, 0) + 1
        self._units: dict[fx.Node, int | None] = {}

    def module(self, node: fx.Node) -> nn.Module:
        return self.gm.get_submodule(node.target)

    # -- which nodes are what ----------------------------------------------------------------

    def is_inplace_activation(self, node: fx.Node) -> bool:
        if node.op == "call_module":
            return bool(getattr(self.module(node), "inplace", False))
        if node.op == "call_method":
            return isinstance(node.target, str) and node.target.endswith("_")
        if node.op == "call_function":
            if node.target in _INPLACE_FUNCTIONS:
                return True
            position = _INPLACE_ARG.get(node.target)  # type: ignore[call-overload]
            return position is not None and _arg(node, position, "inplace") is True
        return False

    def is_metadata(self, node: fx.Node) -> bool:
        if node.op == "call_method" and node.target in _METADATA_METHODS:
            return True
        return (
            node.op == "call_function"
            and node.target is getattr
            and node.args[1] in ("shape", "dtype", "device", "ndim")
        )

    def single_input(self, node: fx.Node) -> fx.Node | None:
        """The one tensor input of an elementwise op; None if it reads several tensors."""
        inputs = [n for n in node.all_input_nodes if not self.is_metadata(n)]
        return inputs[0] if len(inputs) == 1 else None

    def keeps_units(self, node: fx.Node, conv: bool) -> bool:
        """Does ``node`` map each unit of its (single) tensor input to the same unit index?"""
        if node.op == "call_module":
            module = self.module(node)
            if isinstance(module, (*_ELEMENTWISE_MODULES, _BatchNorm, nn.PReLU)):
                return True
            return conv and isinstance(module, _CHANNEL_MODULES)
        if node.op == "call_function":
            if node.target in _ELEMENTWISE_FUNCTIONS:
                return True
            return conv and node.target in _CHANNEL_FUNCTIONS
        if node.op == "call_method":
            return node.target in _ELEMENTWISE_METHODS
        return False

    def users(self, node: fx.Node) -> list[tuple[fx.Node, fx.Node]]:
        """``(reader, read)`` pairs: the nodes that read ``node``'s values and the node they read
        it through, which is the in-place op's input for those that read it after an in-place op
        changed it (``h = fc(x); F.relu(h, inplace=True); out(h)``: ``out`` reads the ReLU).
        """
        users = [(u, node) for u in node.users if not self.is_metadata(u)]
        if self.is_inplace_activation(node) and node.all_input_nodes:
            source = node.all_input_nodes[0]
            for u in source.users:
                later = u is not node and self.order[u] > self.order[node]
                if later and not self.is_metadata(u) and all(u is not v for v, _ in users):
                    users.append((u, source))
        return users

    def other_readers(self, node: fx.Node, successor: fx.Node) -> list[fx.Node]:
        """Readers of ``node``'s values other than ``successor`` (and, if ``successor`` is an
        in-place activation of ``node``, other than those that read its result)."""
        others = []
        for u in node.users:
            if u is successor or self.is_metadata(u):
                continue
            if self.is_inplace_activation(successor) and self.order[u] > self.order[successor]:
                continue
            others.append(u)
        return others

    # -- sizes along the unit dim --------------------------------------------------------------

    def units(self, node: fx.Node) -> int | None:
        """Size of ``node``'s unit dim, from the layers that make or read it; None if unknown."""
        if node not in self._units:
            self._units[node] = None  # guards against cycles through users
            self._units[node] = self._units_from_inputs(node) or self._units_from_users(node)
        return self._units[node]

    def _units_from_inputs(self, node: fx.Node) -> int | None:
        if node.op == "call_module":
            module = self.module(node)
            if isinstance(module, nn.Linear):
                return module.out_features
            if isinstance(module, _LAYERS):
                return module.out_channels
            if isinstance(module, _BatchNorm):
                return module.num_features
        if node.op == "call_function" and node.target in _CATS:
            sizes = [self.units(n) for n in node.args[0]]
            return None if None in sizes else sum(sizes)
        if node.op in ("call_module", "call_function", "call_method") and (
            self.keeps_units(node, conv=True)
        ):
            source = self.single_input(node)
            return self.units(source) if source is not None else None
        return None

    def _units_from_users(self, node: fx.Node) -> int | None:
        for u in node.users:
            if u.op == "call_module" and u.args and u.args[0] is node:
                module = self.module(u)
                if isinstance(module, nn.Linear):
                    return module.in_features
                if isinstance(module, _LAYERS):
                    return module.in_channels
                if isinstance(module, _BatchNorm):
                    return module.num_features
            if self.keeps_units(u, conv=True) and self.single_input(u) is node:
                size = self.units(u)
                if size is not None:
                    return size
        return None


def _describe(node: fx.Node) -> str:
    if node.op == "call_module":
        return f"module '{node.target}'"
    if node.op == "placeholder":
        return f"the model input '{node.target}'"
    target = getattr(node.target, "__name__", str(node.target))
    return f"'{target}' (graph node '{node.name}')"


def _find_site_node(graph: _Graph, site: SiteReport) -> fx.Node:
    seen = 0
    for node in graph.gm.graph.nodes:
        if site.functional:
            match = _functional_kind(node) == site.kind and _scope(node) == site.module_path
        else:
            match = node.op == "call_module" and node.target == site.module_path
        if match:
            if seen == site.call_index:
                return node
            seen += 1
    raise _Refusal(
        f"the traced graph has {seen} such call(s), so call #{site.call_index} is not in it "
        "(does the report come from this model? is the call inside data-dependent control flow?)"
    )


def _site_stream(graph: _Graph, site: SiteReport, act: fx.Node, producer: _Producer) -> _Stream:
    layer = producer.layer[1] if producer.layer else None
    if layer is None:  # BatchNorm alone: its class says the layout
        norm = producer.norms[-1][1]
        conv = not isinstance(norm, nn.BatchNorm1d)
        rank = {nn.BatchNorm2d: 4, nn.BatchNorm3d: 5}.get(type(norm))
        if not conv:
            raise _Refusal("its pre-activation comes from a BatchNorm1d with no layer before it")
    elif isinstance(layer, nn.Linear):
        conv, rank = False, (site.unit_dim + 1 if site.unit_dim >= 0 else None)
    else:
        conv, rank = True, _CONV_RANK[type(layer)]
        if site.unit_dim not in (1, 1 - rank):
            raise _Refusal(
                f"the report says its units are dim {site.unit_dim}, but a "
                f"{type(layer).__name__} makes channels (dim 1)"
            )
    units = graph.units(act)
    if units is not None and units != site.units:
        raise _Refusal(f"the report has {site.units} units but the graph gives {units}")
    return _Stream(conv=conv, rank=rank, units=site.units)


def _producer(graph: _Graph, node: fx.Node, unit: int, successor: fx.Node) -> _Producer:
    """Walk back from an activation's input to the layer whose row ``unit`` makes it."""
    others = graph.other_readers(node, successor)
    if others:
        readers = ", ".join(_describe(u) for u in others)
        raise _Refusal(
            f"its pre-activation ({_describe(node)}) is also read by {readers}; new incoming "
            "weights would change that path too"
        )
    if node.op == "call_module":
        module = graph.module(node)
        if isinstance(module, _LAYERS):
            if graph.calls[node.target] > 1:
                raise _Refusal(
                    f"its producer '{node.target}' is called {graph.calls[node.target]} times; "
                    "new incoming weights would change its other calls too"
                )
            return _Producer(layer=(node.target, module, unit), norms=[])
        if isinstance(module, _BatchNorm):
            if graph.calls[node.target] > 1:
                raise _Refusal(f"its BatchNorm '{node.target}' is called more than once")
            norm = (node.target, module, unit)
            try:
                found = _producer(graph, node.args[0], unit, node)
            except _Refusal:
                if not module.affine:
                    raise
                # Pre-activation block (BN -> ReLU -> Conv on a shared input): the BatchNorm's
                # scale and shift are the unit's only private incoming parameters.
                return _Producer(layer=None, norms=[norm])
            found.norms.append(norm)
            return found
    if node.op == "call_function" and node.target in _CATS:
        dim = _arg(node, 1, "dim", 0)
        if dim != 1:
            # Without shapes, only dim 1 is surely the unit dim (channels, or features of 2-D).
            raise _Refusal(f"its pre-activation comes from a concatenation along dim {dim}")
        offset = 0
        for piece in node.args[0]:
            size = graph.units(piece)
            if size is None:
                raise _Refusal(f"the size of {_describe(piece)} along dim 1 is unknown")
            if unit < offset + size:
                return _producer(graph, piece, unit - offset, node)
            offset += size
        raise _Refusal(f"unit {unit} is beyond the concatenation's {offset} units")
    if node.op != "placeholder" and graph.keeps_units(node, conv=True):
        source = graph.single_input(node)
        if source is not None:
            return _producer(graph, source, unit, node)
    raise _Refusal(
        f"its pre-activation comes from {_describe(node)}, not from a Linear, Conv or BatchNorm "
        "layer whose incoming weights could be redrawn"
    )


def _consumers(
    graph: _Graph, node: fx.Node, unit: int, stream: _Stream, out: list[_Consumer]
) -> None:
    """Walk forward from ``node`` (carrying ``unit`` laid out as ``stream``) to the layers that
    read it, appending the columns to zero; refuse anything whose weights cannot be zeroed."""
    users = graph.users(node)
    if not users:
        raise _Refusal(f"{_describe(node)} has no readers in the graph")
    for user, read in users:
        _consume(graph, read, user, unit, stream, out)


def _consume(
    graph: _Graph,
    node: fx.Node,
    user: fx.Node,
    unit: int,
    stream: _Stream,
    out: list[_Consumer],
) -> None:
    if user.op == "output":
        raise _Refusal("it reaches the model's output directly, with no layer weights in between")
    if user.op == "call_module":
        module = graph.module(user)
        if isinstance(module, _LAYERS):
            if user.args[0] is not node:
                raise _Refusal(f"it is read by {_describe(user)} other than as its input")
            if graph.calls[user.target] > 1:
                raise _Refusal(
                    f"its consumer '{user.target}' is called {graph.calls[user.target]} times; "
                    "zeroing its weights would change its other calls too"
                )
            out.append(_Consumer(user.target, module, _columns(module, user, unit, stream)))
            return
        if isinstance(module, nn.Flatten):
            if (module.start_dim, module.end_dim) != (1, -1):
                raise _Refusal(f"it is flattened by {_describe(user)} over dims other than 1..-1")
            _consumers(graph, user, unit, _flattened(stream, user), out)
            return
    if user.op == "call_function" and user.target in _CATS:
        dim = _arg(user, 1, "dim", 0)
        if not stream.is_unit_dim(dim) or stream.flat is not None:
            raise _Refusal(
                f"it is concatenated along dim {dim} ({_describe(user)}), not along its unit dim"
            )
        offset = 0
        for piece in user.args[0]:
            if piece is node:
                size_after = graph.units(user)
                if size_after is None:
                    raise _Refusal(f"the size of {_describe(user)} along the unit dim is unknown")
                moved = _Stream(stream.conv, stream.rank, size_after)
                _consumers(graph, user, unit + offset, moved, out)
            size = graph.units(piece)
            if size is None:
                raise _Refusal(
                    f"the size of {_describe(piece)} along the unit dim is unknown, so its offset "
                    f"in {_describe(user)} is too"
                )
            offset += size
        return
    if _is_flatten(user):
        _consumers(graph, user, unit, _flattened(stream, user), out)
        return
    if len([n for n in user.all_input_nodes if not graph.is_metadata(n)]) > 1:
        raise _Refusal(
            f"it is combined with another tensor by {_describe(user)} (a residual connection or "
            "a gate?), which has no weights that could be zeroed"
        )
    reduced = _spatial_reduction(user, stream)
    if reduced is not None:
        _consumers(graph, user, unit, reduced, out)
        return
    if graph.keeps_units(user, conv=stream.conv and stream.flat is None):
        if graph.single_input(user) is node:
            _consumers(graph, user, unit, stream, out)
            return
        raise _Refusal(
            f"it is combined with another tensor by {_describe(user)} (a residual connection or "
            "a gate?), which has no weights that could be zeroed"
        )
    raise _Refusal(
        f"it is read by {_describe(user)}, which is not a Linear or Conv layer (or an op that "
        "keeps units apart on the way to one), so its outgoing weights cannot be zeroed"
    )


def _is_flatten(node: fx.Node) -> bool:
    if node.op == "call_function" and node.target is torch.flatten:
        return _arg(node, 1, "start_dim", 0) == 1 and _arg(node, 2, "end_dim", -1) == -1
    if node.op == "call_method" and node.target == "flatten":
        return _arg(node, 1, "start_dim", 0) == 1 and _arg(node, 2, "end_dim", -1) == -1
    if node.op == "call_method" and node.target in ("view", "reshape"):
        shape = node.args[1:]
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        # x.view(x.size(0), -1): keep the batch dim, flatten the rest.
        return len(shape) == 2 and shape[1] == -1 and shape[0] != -1
    return False


def _flattened(stream: _Stream, node: fx.Node) -> _Stream:
    if stream.flat is not None:
        raise _Refusal(f"it is flattened twice ({_describe(node)})")
    if stream.conv:
        if stream.units is None:
            raise _Refusal(f"the channel count before {_describe(node)} is unknown")
        return _Stream(conv=False, rank=2, units=None, flat=stream.units)
    if stream.units is None:
        raise _Refusal(f"the feature count before {_describe(node)} is unknown")
    # Flattening [N, F] from dim 1 changes nothing; for [N, T, F] (T > 1) the Linear that reads the
    # result has T * F inputs, not F, and refuses.
    return stream


def _spatial_reduction(node: fx.Node, stream: _Stream) -> _Stream | None:
    """A mean (sum, max, min) over dims other than the batch and unit dims: ``x.mean((2, 3))`` on
    [N, C, H, W], ``x.mean(-2)`` on [N, T, F]. Units keep their index, in a smaller tensor."""
    reductions = ("mean", "sum", "amax", "amin")
    is_method = node.op == "call_method" and node.target in reductions
    is_function = node.op == "call_function" and node.target in _REDUCTION_FUNCTIONS
    if not (is_method or is_function) or stream.flat is not None:
        return None
    raw = _arg(node, 1, "dim")
    dims = (raw,) if isinstance(raw, int) else raw
    if not isinstance(dims, (tuple, list)) or not dims:
        return None
    if not all(isinstance(d, int) for d in dims):
        return None
    if not stream.conv:
        # Features are the last dim. Without the rank, only a dim counted from the back (-2, ...)
        # is surely another: dim 1 is the features of [N, F] but the tokens of [N, T, F].
        if stream.rank is None:
            if any(d >= 0 or d == -1 for d in dims):
                return None
        elif any(d % stream.rank in (0, stream.rank - 1) for d in dims):
            return None
        rank = stream.rank
        if rank is not None and not _arg(node, 2, "keepdim", False):
            rank -= len({d % rank for d in dims})
        return _Stream(conv=False, rank=rank, units=stream.units)
    if stream.rank is None:
        return None
    reduced = {d % stream.rank for d in dims}
    if reduced & {0, 1}:
        return None
    if _arg(node, 2, "keepdim", False):
        return stream
    rank = stream.rank - len(reduced)
    return _Stream(conv=rank > 2, rank=rank, units=stream.units)


def _columns(module: nn.Module, node: fx.Node, unit: int, stream: _Stream) -> list[int]:
    if isinstance(module, nn.Linear):
        if stream.conv:
            raise _Refusal(
                f"{_describe(node)} is applied to an [N, C, ...] tensor (it would mix the last "
                "spatial dim, not channels)"
            )
        if stream.flat is not None:
            spatial, rest = divmod(module.in_features, stream.flat)
            if rest:
                raise _Refusal(
                    f"{_describe(node)} has {module.in_features} input features, not a multiple "
                    f"of the {stream.flat} flattened channels"
                )
            return list(range(unit * spatial, (unit + 1) * spatial))
        if stream.units != module.in_features:
            raise _Refusal(
                f"{_describe(node)} reads {module.in_features} features, but the tensor has "
                f"{stream.units}"
            )
        return [unit]
    if not stream.conv or stream.flat is not None:
        raise _Refusal(f"{_describe(node)} is a convolution applied to a flat feature tensor")
    if stream.rank is not None and stream.rank != _CONV_RANK[type(module)]:
        raise _Refusal(f"{_describe(node)} expects a different tensor rank")
    if stream.units is not None and stream.units != module.in_channels:
        raise _Refusal(
            f"{_describe(node)} reads {module.in_channels} channels, but the tensor has "
            f"{stream.units}"
        )
    return [unit]


# -- applying a plan ---------------------------------------------------------------------------


class _Masks:
    """Per-parameter boolean masks of the entries a recycle changes (for the optimiser reset)."""

    def __init__(self) -> None:
        self.masks: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def mark(self, tensor: torch.Tensor | None, index: Any) -> None:
        if tensor is None:
            return
        if id(tensor) not in self.masks:
            mask = torch.zeros(tensor.shape, dtype=torch.bool, device=tensor.device)
            self.masks[id(tensor)] = (tensor, mask)
        self.masks[id(tensor)][1][index] = True


def _fresh(shape: Sequence[int], bound: float, like: torch.Tensor, generator: Any) -> torch.Tensor:
    device = generator.device if generator is not None else like.device
    draw = torch.empty(tuple(shape), dtype=torch.float64, device=device)
    draw.uniform_(-bound, bound, generator=generator)
    return draw.to(device=like.device, dtype=like.dtype)


def _consumer_index(module: nn.Module, column: int) -> tuple[Any, ...]:
    """Index into ``module.weight`` of the outgoing weights of input feature/channel ``column``."""
    if isinstance(module, nn.Linear):
        return (slice(None), column)
    groups = module.groups
    per_group_in = module.in_channels // groups
    per_group_out = module.out_channels // groups
    group = column // per_group_in
    rows = slice(group * per_group_out, (group + 1) * per_group_out)
    return (rows, column % per_group_in)


def recycle(
    model: nn.Module,
    report: Report,
    tau: float | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    sites: Iterable[str] | None = None,
    generator: torch.Generator | None = None,
) -> RecycleResult:
    """Recycle every tau-dormant unit in ``report`` (ReDo, Sokar et al. 2023), in place.

    A unit is tau-dormant when its ``SiteReport.dormant_score <= tau`` (``tau`` defaults to
    ``report.tau``; ``tau=0`` recycles exactly the dead units) and its site saw data. For each one:

    - its incoming weights (the row of the Linear/Conv layer that makes it) and bias are redrawn
      from that layer's default PyTorch initialisation, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
      (Kaiming-uniform with ``a = sqrt(5)``), the "original initialisation distribution" of ReDo;
    - a BatchNorm between that layer and the activation has its channel reset (weight 1, bias 0,
      running mean 0, running variance 1) so the pre-activation is fresh too; where the BatchNorm's
      input is shared (a pre-activation ``BN -> ReLU -> Conv`` block in a DenseNet), resetting the
      BatchNorm channel is the whole of the new incoming weights;
    - its outgoing weights (the columns of every Linear/Conv that reads it) are set to zero, through
      pooling, dropout, BatchNorm and other per-unit ops, through ``torch.cat`` along the unit dim
      (the column is offset by the pieces before it) and through ``flatten`` after a convolution
      (channel ``c`` owns columns ``c*S ... (c+1)*S - 1``, S the spatial size);
    - with ``optimizer``, every state tensor shaped like a changed parameter (Adam's ``exp_avg``,
      ``exp_avg_sq``, ``max_exp_avg_sq``; SGD's ``momentum_buffer``; RMSprop's ``square_avg``, ...)
      is zeroed at exactly the changed entries; scalar state (Adam's ``step``) is left alone.

    So right after ``recycle`` the model computes what it computed before minus the recycled
    units' old contributions, in eval and in train mode (BatchNorm normalises each channel on its
    own; dropout aside, which draws new masks at every call). A dead ReLU unit contributed 0 on the
    data it was found dead on, so there the outputs are exactly the same (on every input, if it was
    0 everywhere); a dormant unit that was still slightly active loses its small contribution, as
    in ReDo. The fresh units contribute nothing until training moves their outgoing weights. A
    fresh unit is alive on most data, but not surely: one that reads non-negative features can be
    drawn dead again (ReDo does not prevent that either); monitor and recycle again later.

    The structure comes from ``torch.fx.symbolic_trace(model)``; each site is found in it by the
    naming contract of :mod:`rectifier.torch._sites`. Every site is checked before anything is
    changed: if a dormant unit has no unambiguous producer and consumers (it feeds a residual sum,
    an op that mixes units, the model output; its producer is called twice or feeds another path;
    the model cannot be traced), ``ValueError`` names the site and the reason and the model and the
    optimiser are left untouched. ``sites`` (names) restricts recycling to those sites, e.g. to skip
    a head that refuses; ``generator`` makes the redraw reproducible. A ``DistributedDataParallel``
    or ``DataParallel`` wrapper, or a ``torch.compile`` result, is unwrapped as the monitor does.

    >>> import torch
    >>> from torch import nn
    >>> from rectifier.torch import Monitor
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    >>> with torch.no_grad():
    ...     model[0].bias[:3] = -100.0  # kill units 0, 1, 2
    >>> x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
    >>> with Monitor(model) as monitor:
    ...     before = model(x)
    >>> result = recycle(model, monitor.report(), tau=0.0)
    >>> result.site("1#0").units, result.site("1#0").producers, result.site("1#0").consumers
    ([0, 1, 2], ['0'], ['2'])
    >>> torch.equal(model(x), before)
    True
    """
    _check_model("recycle", model, generator)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        # Checked now: it is used after the weights have changed, too late to refuse cleanly.
        raise TypeError(
            f"recycle: optimizer must be a torch.optim.Optimizer or None, got "
            f"{type(optimizer).__name__}"
        )
    if not isinstance(report, Report):
        raise TypeError(f"recycle: report must be a rectifier.torch.Report, not {type(report)}")
    tau = float(report.tau if tau is None else tau)
    if not tau >= 0.0:
        raise ValueError(f"recycle: tau must be >= 0, got {tau}")

    chosen = report.sites
    if sites is not None:
        names = list(sites)
        known = {site.name for site in report.sites}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise ValueError(f"recycle: no sites {unknown} in the report; known: {sorted(known)}")
        chosen = [site for site in report.sites if site.name in names]
    todo = []
    for site in chosen:
        mask = (site.dormant_score <= tau) if site.observations > 0 else None
        units = [] if mask is None else [int(i) for i in mask.nonzero()[0]]
        if units:
            todo.append((site, units))
    if not todo:
        return RecycleResult(tau=tau)

    model = unwrap(model)  # DDP, DataParallel, torch.compile: the monitor's paths are inside
    graph = _Graph(model, _trace(model, "recycle"))

    # Plan everything first: a refusal must leave the model and the optimiser untouched.
    plans = []
    for site, units in todo:
        try:
            act = _find_site_node(graph, site)
            source = act.args[0] if act.args else None
            if not isinstance(source, fx.Node):
                raise _Refusal("its call has no tensor input in the graph")
            producers = [_producer(graph, source, u, act) for u in units]
            stream = _site_stream(graph, site, act, producers[0])
            consumers: list[list[_Consumer]] = []
            for u in units:
                found: list[_Consumer] = []
                _consumers(graph, act, u, stream, found)
                consumers.append(found)
        except _Refusal as refusal:
            raise ValueError(f"recycle: cannot recycle site {site.name!r}: {refusal}") from None
        plans.append((site, units, producers, consumers))

    masks = _Masks()
    with torch.no_grad():
        # Redraw first, zero after: a layer can be one site's producer and another's consumer,
        # and the zeroed columns must stay zero in the redrawn rows.
        for _, _, producers, _ in plans:
            for producer in producers:
                if producer.layer is not None:
                    _, layer, row = producer.layer
                    fan_in = layer.weight[row].numel()
                    bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
                    layer.weight[row] = _fresh(
                        layer.weight[row].shape, bound, layer.weight, generator
                    )
                    masks.mark(layer.weight, row)
                    if layer.bias is not None:
                        layer.bias[row] = _fresh((), bound, layer.bias, generator)
                        masks.mark(layer.bias, row)
                for _, norm, channel in producer.norms:
                    if norm.affine:
                        norm.weight[channel] = 1.0
                        norm.bias[channel] = 0.0
                        masks.mark(norm.weight, channel)
                        masks.mark(norm.bias, channel)
                    if norm.running_mean is not None:
                        norm.running_mean[channel] = 0.0
                        norm.running_var[channel] = 1.0
        for _, _, _, consumers in plans:
            for found in consumers:
                for consumer in found:
                    for column in consumer.columns:
                        index = _consumer_index(consumer.module, column)
                        consumer.module.weight[index] = 0.0
                        masks.mark(consumer.module.weight, index)
        if optimizer is not None:
            _reset_optimizer_state(optimizer, masks)

    sites = []
    for site, units, producers, consumers in plans:
        sites.append(
            RecycledSite(
                site=site.name,
                units=units,
                producers=_unique(p.layer[0] for p in producers if p.layer is not None),
                norms=_unique(path for p in producers for path, _, _ in p.norms),
                consumers=_unique(c.path for found in consumers for c in found),
            )
        )
    return RecycleResult(tau=tau, sites=sites, optimizer_reset=optimizer is not None)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _reset_optimizer_state(optimizer: torch.optim.Optimizer, masks: _Masks) -> None:
    for tensor, mask in masks.masks.values():
        state = optimizer.state.get(tensor)
        if not state:
            continue
        for value in state.values():
            if isinstance(value, torch.Tensor) and value.shape == tensor.shape:
                value[mask.to(value.device)] = 0


# --------------------------------------------------------------------------------------------
# rai_init_ (Randomised Asymmetric Initialisation)
# --------------------------------------------------------------------------------------------

# Lu et al. (2019): with P = Beta(2, 1) the symmetric part is N(0, sigma_out^2) with
# sigma_out = 0.6007 / sqrt(fan_in), the paper's second-moment design for that P; the same
# constant appears in the RAI implementations that cite the paper.
RAI_SIGMA = 0.6007


def _rai_targets_from_graph(model: nn.Module, gm: fx.GraphModule) -> list[str]:
    """Linear/Conv layers whose output goes straight (and only) into a ReLU, module or functional
    (readers after an in-place ReLU read the ReLU's output)."""
    graph = _Graph(model, gm)
    targets = []
    for node in gm.graph.nodes:
        if node.op != "call_module" or not isinstance(graph.module(node), _LAYERS):
            continue
        for user in node.users:
            kind = (
                module_kind(graph.module(user))
                if user.op == "call_module"
                else _functional_kind(user)
            )
            if kind == "relu" and not graph.other_readers(node, user):
                if node.target not in targets:
                    targets.append(node.target)
                break
    return targets


def _rai_targets_from_order(model: nn.Module) -> list[str]:
    """Fallback without a graph: a Linear/Conv registered right before an ``nn.ReLU``."""
    modules = list(model.named_modules())
    targets = []
    for (path, module), (_, following) in itertools.pairwise(modules):
        if isinstance(module, _LAYERS) and module_kind(following) == "relu":
            targets.append(path)
    return targets


def rai_init_(model: nn.Module, *, generator: torch.Generator | None = None) -> nn.Module:
    """Randomised Asymmetric Initialisation (Lu et al. 2019) of every Linear/Conv layer that
    feeds a ReLU; returns ``model``.

    For each neuron (a weight row, with the bias as one more entry), following Algorithm 1 of the
    paper: one index ``k`` is drawn uniformly among its ``fan_in`` incoming weights and its bias,
    entry ``k`` is drawn from the asymmetric, positive distribution ``Beta(2, 1)`` (sampled as
    ``sqrt(U)``, ``U ~ U(0, 1)``), and every other entry from the symmetric
    ``N(0, RAI_SIGMA**2 / fan_in)``, ``RAI_SIGMA = 0.6007``: the paper scales the symmetric part
    from a second-moment analysis (against He initialisation) for this choice of ``P``, and
    0.6007 is its value for ``Beta(2, 1)``. A layer without a bias draws ``k`` among its weights
    only. ``fan_in`` is ``in_features``, or
    ``in_channels / groups * prod(kernel_size)`` for a convolution.

    Which layers: those whose output goes straight (and only) into a ReLU (``nn.ReLU``, ``F.relu``,
    ``torch.relu``, ``x.relu()``, ``clamp(min=0)``), read from a ``torch.fx`` trace; if the model
    cannot be traced, a Linear/Conv registered right before an ``nn.ReLU`` (as in an
    ``nn.Sequential``). Other layers (the output layer, a layer followed by BatchNorm, whose
    normalisation would undo the asymmetry) are left as they are.

    >>> import torch
    >>> from torch import nn
    >>> model = nn.Sequential(nn.Linear(1, 3), nn.ReLU(), nn.Linear(3, 3), nn.ReLU(),
    ...                       nn.Linear(3, 1))
    >>> head = model[4].weight.detach().clone()
    >>> _ = rai_init_(model, generator=torch.Generator().manual_seed(0))
    >>> torch.equal(model[4].weight, head)  # the output layer feeds no ReLU: left alone
    True
    """
    _check_model("rai_init_", model, generator)
    inner = unwrap(model)
    try:
        targets = _rai_targets_from_graph(inner, fx.symbolic_trace(inner))
    except Exception:  # untraceable forward: fall back on registration order
        targets = _rai_targets_from_order(inner)
    with torch.no_grad():
        for path in targets:
            _rai_layer_(inner.get_submodule(path), generator)
    return model


def _rai_layer_(layer: nn.Module, generator: torch.Generator | None) -> None:
    weight, bias = layer.weight, layer.bias
    rows = weight.shape[0]
    fan_in = weight[0].numel()
    entries = fan_in + (1 if bias is not None else 0)
    device = generator.device if generator is not None else weight.device
    values = torch.randn((rows, entries), generator=generator, device=device, dtype=torch.float64)
    values *= RAI_SIGMA / math.sqrt(fan_in)
    chosen = torch.randint(entries, (rows,), generator=generator, device=device)
    uniform = torch.rand((rows,), generator=generator, device=device, dtype=torch.float64)
    values[torch.arange(rows, device=device), chosen] = uniform.sqrt()  # Beta(2, 1)
    weight.copy_(values[:, :fan_in].reshape(weight.shape))
    if bias is not None:
        bias.copy_(values[:, fan_in])
