"""The doctor's monitor: count, per unit, how often each rectifier in a model fires.

:class:`Monitor` sees every rectifier-family call made during the model's forward pass:

- activation modules (``nn.ReLU`` also with ``inplace=True``, ``ReLU6``, ``LeakyReLU``, ``ELU``,
  ``GELU``, ``SiLU``, ``Hardtanh``, and subclasses), through module forward hooks;
- functional calls inside any ``forward`` (``F.relu``, ``torch.relu``, ``Tensor.relu``,
  ``Tensor.relu_``, ``F.relu_``, ``F.relu6``, ``F.leaky_relu``, ``F.elu``, ``F.gelu``, ``F.silu``,
  ``F.hardtanh``, and ``clamp``/``clip``/``clamp_min`` with ``min=0`` and no ``max``, also as
  tensor methods and in place), through a :class:`torch.overrides.TorchFunctionMode`. Module hooks
  alone miss these, which is the most common complaint about existing tools.

Each call is a *site*, named with :func:`rectifier.torch._sites.site_name`: a call made by an
activation module is ``path#k`` (``k``-th call of that module in one forward, so one module used at
three places gives three sites); a functional call made in the ``forward`` of the module at
``path`` is ``path.kind()#k`` (``k``-th call of that kind in that module's forward).

**Units.** A unit is a feature:

- ``[N, C, H, W]`` and ``[N, C, D, H, W]``: the channel, dim 1 (ReDo: a feature map is a neuron);
- ``[N, F]`` and ``[N, T, F]``: the last dim;
- 3-D tensors are ambiguous (``[N, T, F]`` sequence or ``[N, C, L]`` Conv1d output): the last dim,
  except dim 1 when the last *leaf* module that finished before the site's first call is a
  1-D channels-first layer (``Conv1d``, ``ConvTranspose1d``, ``BatchNorm1d``, ``InstanceNorm1d``,
  ``GroupNorm``, 1-D pooling), as in ``F.relu(self.conv(x))`` or ``Conv1d -> BatchNorm1d -> ReLU``;
- 1-D tensors ``[F]``: each element is a unit seen once per call; 0-d tensors are ignored;
- ``unit_dims={"site-name-or-module-path": dim}`` overrides the rule (a site name wins over its
  module path; for a functional site, the module path is the module whose forward made the call).

The dim is chosen once, at a site's first call. Only floating-point outputs are counted (an integer
``idx.clamp(min=0)`` is not an activation).

**Cost.** Per site and unit the monitor keeps two counters on the activation's device (positive
outputs, int64; sum ``|h|``, float64, float32 on MPS) and one Python int (observations per unit):
memory is O(units), activations are never kept. Each call adds one elementwise pass (the positive
indicator), two reductions and two in-place adds, with no host synchronisation (no ``.item()``,
no ``.cpu()``, no branching on values); the statistics are computed under ``torch.no_grad()`` in
float32 or better (also under ``autocast``).
The mode is pushed in the root module's forward pre-hook and popped in its forward hook (registered
with ``always_call=True``, so it is popped even when ``forward`` raises): code outside the forward,
such as the backward pass and the optimiser step, pays nothing; ``every=k`` counts one forward in
``k`` and leaves the others at no cost.

**torch.compile.** Eager mode is the supported mode; under ``torch.compile`` nothing is counted.
The hooks return at once while Dynamo traces them (``torch.compiler.is_compiling()``), so they add
no graph breaks and compiled graphs contain no statistics: a compiled forward runs exactly as
without the monitor (same outputs, no mode pushed), but its rectifiers are not seen. Registering or
removing the hooks can make Dynamo recompile. (Letting Dynamo trace the hooks instead double
counted and misnamed sites, because the call stack the hooks keep is replayed only after the graph
ran.) To diagnose a compiled model, monitor the eager module on a few batches:
``Monitor(compiled)`` unwraps ``compiled._orig_mod`` into :attr:`Monitor.model` and warns (so does
a model compiled in place with ``model.compile()``); call ``monitor.model(x)``, or for a model
compiled in place, ``monitor.model._call_impl(x)``.

>>> import torch
>>> from torch import nn
>>> from rectifier.torch import Monitor
>>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
>>> with torch.no_grad():
...     model[0].bias[:3] = -100.0  # plant 3 dead units
...     model[0].weight[:3] = 0.0
>>> with Monitor(model) as monitor:
...     _ = model(torch.randn(32, 4))
>>> report = monitor.report()
>>> report.site("1#0").dead_units
[0, 1, 2]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.compiler import is_compiling
from torch.overrides import TorchFunctionMode
from torch.utils.hooks import RemovableHandle

from rectifier.torch import distributed as _distributed
from rectifier.torch._kinds import (
    CLAMP_KIND,
    CLAMP_MIN_KIND,
    FUNC_KINDS,
    clamp_is_relu,
    is_torch_nn,
    module_kind,
    unwrap,
)
from rectifier.torch._sites import site_name
from rectifier.torch.report import MAX_DEAD, MAX_DORMANT, Report, SiteReport, non_negative

__all__ = ["Monitor"]

# Signed integer dtype of each float width, to read a float's sign and zero-ness from its bits.
_SAME_WIDTH_INT = {1: torch.int8, 2: torch.int16, 4: torch.int32, 8: torch.int64}

# Kinds whose outputs are never negative: |h| == h, which saves a pass.
_NONNEG_KINDS = frozenset({"relu", "relu6"})

# Leaf layers whose 3-D output is [N, C, L] (channels first): a rectifier right after one of them
# counts units along dim 1.
_CHANNELS_FIRST_1D = (
    nn.Conv1d,
    nn.ConvTranspose1d,
    nn.BatchNorm1d,
    nn.InstanceNorm1d,
    nn.GroupNorm,
    nn.MaxPool1d,
    nn.AvgPool1d,
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveMaxPool1d,
)


class _Site:
    """Counters of one site. Allocated at its first call, updated in place afterwards."""

    __slots__ = (
        "call_index",
        "functional",
        "kind",
        "module_path",
        "name",
        "nonneg",
        "observations",
        "positive",
        "sum_abs",
        "unit_dim",
        "units",
    )

    def __init__(
        self,
        name: str,
        module_path: str,
        kind: str,
        functional: bool,
        call_index: int,
        unit_dim: int,
        h: Tensor,
    ) -> None:
        self.name = name
        self.module_path = module_path
        self.kind = kind
        self.functional = functional
        self.call_index = call_index
        self.unit_dim = unit_dim
        self.units = h.shape[unit_dim]
        self.nonneg = kind in _NONNEG_KINDS
        self.observations = 0
        acc = self._acc_dtype(h.device)
        # Counters made inside torch.inference_mode would be inference tensors, which cannot be
        # updated in place by a later forward outside inference mode: always make normal tensors.
        with torch.inference_mode(False):
            self.positive = torch.zeros(self.units, dtype=torch.int64, device=h.device)
            self.sum_abs = torch.zeros(self.units, dtype=acc, device=h.device)

    @staticmethod
    def _acc_dtype(device: torch.device) -> torch.dtype:
        return torch.float32 if device.type == "mps" else torch.float64  # MPS has no float64

    def update(self, h: Tensor) -> None:
        ndim = h.dim()
        unit_dim = self.unit_dim
        if h.shape[unit_dim] != self.units:
            raise ValueError(
                f"rectifier.torch.Monitor: site {self.name!r} had {self.units} units along dim "
                f"{unit_dim} but now has shape {tuple(h.shape)}; pass unit_dims={{{self.name!r}: "
                "dim}} to choose the unit dimension"
            )
        per_unit = h.numel() // self.units if self.units else 0
        # |h| is summed in float32 or better (float16/bfloat16 sums under autocast lose precision).
        dtype = torch.float64 if h.dtype == torch.float64 else torch.float32
        count_dtype = torch.int32 if per_unit < 2**31 else torch.int64
        with torch.no_grad():
            # Count positives on the bits: as a same-width signed integer, a float is > 0 exactly
            # when it is > 0.0 (+0.0 is 0, negatives and -0.0 have the sign bit set), so
            # clamp(0, 1) gives the 0/1 indicator. On CPU this is about 3x faster than h > 0 (which
            # writes a bool tensor whose sum is slow), and exact in integers.
            indicator = h.view(_SAME_WIDTH_INT[h.element_size()]).clamp(0, 1)
            mag = h if self.nonneg else h.abs()
            if ndim == 1:
                # sum(dim=()) would reduce everything: a 1-D tensor is one observation per unit.
                pos, mag = indicator, mag.to(dtype)
            else:
                unit_dim %= ndim
                dims = tuple(d for d in range(ndim) if d != unit_dim)
                pos = indicator.sum(dims, dtype=count_dtype)
                mag = mag.sum(dims, dtype=dtype)
            if self.positive.device != pos.device:  # the model moved (e.g. .cuda()) since
                self.positive = self.positive.to(pos.device)
                self.sum_abs = self.sum_abs.to(pos.device, self._acc_dtype(pos.device))
            self.positive.add_(pos)
            self.sum_abs.add_(mag)
        self.observations += per_unit


class _RectifierMode(TorchFunctionMode):
    """Sees functional rectifier calls while the root module's forward runs.

    Inside ``__torch_function__`` the mode is suspended, so the monitor's own statistics ops (and
    the ops that ``func`` itself calls) are not intercepted.
    """

    def __init__(self, monitor: Monitor) -> None:
        super().__init__()
        self.monitor = monitor

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if kwargs is None:
            kwargs = {}
        out = func(*args, **kwargs)
        try:
            kind = FUNC_KINDS.get(func)
        except TypeError:  # an unhashable callable cannot be a rectifier
            return out
        if kind is not None:
            self.monitor._on_function(kind, args, kwargs, out)
        return out


class Monitor:
    """Count, per unit, the positive outputs and mean ``|h|`` of every rectifier in ``model``.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`. Only forward passes of
    ``model`` itself (its root module) are counted; counts accumulate over batches until
    :meth:`reset`, and survive :meth:`stop` so that :meth:`report` can be called afterwards.

    Args:
        model: any ``nn.Module``; a ``DistributedDataParallel``/``DataParallel`` wrapper or a
            ``torch.compile`` result is unwrapped to the module it runs.
        tau: ReDo dormancy threshold: a unit is dormant if its score ``s_i <= tau``.
        unit_dims: override of the unit dimension, by site name or module path (see the module
            docs for the default rule).
        distributed: ``None`` (default): all-reduce the counts in :meth:`report` when
            ``torch.distributed`` is initialised with several ranks; ``False``: local counts only;
            ``True``: require an initialised process group.
        every: count one root forward in ``every`` (the 1st, the ``every+1``-th, ...); the others
            run with no monitoring cost at all. Verdicts then cover only the forwards counted.

    The model is left untouched: no hook or mode remains after :meth:`stop` (or after the
    ``with`` block, even if a forward raised); outputs, gradients, training mode, RNG state and
    the user's own hooks are unchanged.

    >>> import torch
    >>> import torch.nn.functional as F
    >>> from torch import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Linear(4, 6)
    ...     def forward(self, x):
    ...         return F.relu(self.fc(x)).sum(1)  # a functional ReLU: module hooks miss it
    >>> model = Net()
    >>> monitor = Monitor(model, tau=0.1).start()
    >>> _ = model(torch.randn(16, 4))
    >>> monitor.stop()
    >>> monitor.sites
    ['relu()#0']
    >>> monitor.report().site("relu()#0").units
    6
    """

    def __init__(
        self,
        model: nn.Module,
        tau: float = 0.1,
        *,
        unit_dims: Mapping[str, int] | None = None,
        distributed: bool | None = None,
        every: int = 1,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"Monitor needs an nn.Module, got {type(model).__name__}")
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)):
            raise TypeError(
                f"Monitor: every must be an integer, got {type(every).__name__} {every!r}"
            )
        if every < 1:
            raise ValueError(f"Monitor: every must be >= 1, got {every}")
        self.every = int(every)
        self.model = unwrap(model)
        if hasattr(model, "_orig_mod") or getattr(self.model, "_compiled_call_impl", None):
            warnings.warn(
                "rectifier.torch.Monitor: compiled forwards are not counted; run the eager "
                "module (monitor.model) on the batches to diagnose",
                stacklevel=2,
            )
        self.tau = non_negative("Monitor", "tau", tau)
        if unit_dims is not None and not (
            isinstance(unit_dims, Mapping)
            and all(
                isinstance(k, str) and isinstance(v, (int, np.integer))
                for k, v in unit_dims.items()
            )
        ):
            raise TypeError(
                "Monitor: unit_dims must map site names or module paths to dimensions, e.g. "
                f"{{'features.1': 1}}; got {unit_dims!r}"
            )
        if distributed not in (None, True, False):
            raise TypeError(
                f"Monitor: distributed must be None, True or False, got {distributed!r}"
            )
        self.unit_dims = dict(unit_dims or {})
        self.distributed = distributed
        self.history: list[dict] = []
        self._sites: dict[str, _Site] = {}  # by name, in order of first call
        self._by_call: dict[tuple, _Site] = {}  # by ((path, kind or None), call index)
        self._forwards = 0  # root forwards started, for `every`
        self._handles: list[RemovableHandle] = []
        self._mode = _RectifierMode(self)
        self._depth = 0  # nesting of the root's forward (a root called inside itself)
        self._stack: list[tuple[str, bool]] = []  # (module path, is an activation module)
        self._calls: dict[tuple[str, str | None], int] = {}  # per-forward call indices
        self._last_leaf: nn.Module | None = None  # last leaf module that finished

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def started(self) -> bool:
        """Whether the hooks are registered."""
        return bool(self._handles)

    def start(self) -> Monitor:
        """Register the hooks (idempotent). Returns ``self``."""
        if self._handles:
            return self
        root = self.model
        for path, module in root.named_modules():
            kind = module_kind(module)
            leaf = next(module.children(), None) is None
            if leaf and kind is None and module is not root and is_torch_nn(module):
                # torch.nn's own layers (Linear, Conv, BatchNorm, ...) never call a rectifier, so
                # they need no call-stack frame: one light hook remembers the last leaf (for the
                # 3-D unit rule). Fewer hooks, less work per forward and per start/stop.
                self._handles.append(module.register_forward_hook(self._leaf_done))
                continue
            pre, post = self._hooks(module, path, kind, leaf, module is root)
            self._handles.append(module.register_forward_pre_hook(pre))
            self._handles.append(module.register_forward_hook(post, always_call=True))
        return self

    def stop(self) -> None:
        """Remove every hook (and the mode, if called from inside a forward). Counts are kept."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        if self._depth:
            self._depth = 0
            self._mode.__exit__(None, None, None)
        self._stack.clear()

    def __enter__(self) -> Monitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget all counts and sites (``history`` is kept)."""
        self._sites.clear()
        self._by_call.clear()

    # -- hooks (hot path) -----------------------------------------------------------------------

    def _leaf_done(self, module: nn.Module, args: Any, output: Any) -> None:
        if self._depth and not is_compiling():
            self._last_leaf = module

    def _hooks(self, module: nn.Module, path: str, kind: str | None, leaf: bool, root: bool):
        frame = (path, kind is not None)

        def pre_hook(mod: nn.Module, args: Any) -> None:
            if is_compiling():
                return  # traced by torch.compile: see "torch.compile" in the module docs
            if root:
                if not self._depth:
                    self._forwards += 1
                    if (self._forwards - 1) % self.every:
                        return  # a forward skipped by `every`: nothing runs, nothing counted
                self._depth += 1
                if self._depth == 1:
                    self._stack.clear()
                    self._calls.clear()
                    self._last_leaf = None
                    self._mode.__enter__()
            if self._depth:
                self._stack.append(frame)

        def post_hook(mod: nn.Module, args: Any, output: Any) -> None:
            # always_call=True: also runs when forward raised (output is then None).
            if not self._depth or is_compiling():
                return
            if self._stack:
                self._stack.pop()
            try:
                if kind is not None and isinstance(output, Tensor):
                    self._record(path, kind, False, output)
                elif leaf:
                    self._last_leaf = mod
            finally:
                if root:
                    self._depth -= 1
                    if self._depth == 0:
                        self._mode.__exit__(None, None, None)

        return pre_hook, post_hook

    def _on_function(self, kind: str, args: tuple, kwargs: Mapping[str, Any], out: Any) -> None:
        stack = self._stack
        if not stack:
            return
        path, in_activation = stack[-1]
        if in_activation:
            return  # the activation module's own implementation: counted by its forward hook
        if kind is CLAMP_KIND or kind is CLAMP_MIN_KIND:
            if not clamp_is_relu(kind, args, kwargs):
                return
            kind = "relu"
        if isinstance(out, Tensor):
            self._record(path, kind, True, out)

    def _record(self, path: str, kind: str, functional: bool, h: Tensor) -> None:
        # A module's forward hook runs while the mode is pushed: without this, the mode would
        # intercept the monitor's own statistics ops (sign().clamp_(min=0) is a "ReLU").
        with torch._C.DisableTorchFunction():
            self._record_unchecked(path, kind, functional, h)

    def _record_unchecked(self, path: str, kind: str, functional: bool, h: Tensor) -> None:
        if not h.is_floating_point() or h.dim() == 0:
            return
        key = (path, kind if functional else None)
        index = self._calls.get(key, 0)
        self._calls[key] = index + 1
        site = self._by_call.get((key, index))  # saves formatting the name on every call
        if site is None:
            name = site_name(path, index, kind if functional else None)
            unit_dim = self._unit_dim(name, path, h)
            site = _Site(name, path, kind, functional, index, unit_dim, h)
            self._sites[name] = site
            self._by_call[(key, index)] = site
        site.update(h)

    def _unit_dim(self, name: str, path: str, h: Tensor) -> int:
        ndim = h.dim()
        for key in (name, path):
            if key in self.unit_dims:
                dim = int(self.unit_dims[key])
                if not -ndim <= dim < ndim:
                    raise ValueError(
                        f"rectifier.torch.Monitor: unit_dims[{key!r}] = {dim} is out of range for "
                        f"site {name!r}, whose output has shape {tuple(h.shape)}"
                    )
                return dim
        if ndim >= 4 or (ndim == 3 and isinstance(self._last_leaf, _CHANNELS_FIRST_1D)):
            return 1
        return -1

    # -- results --------------------------------------------------------------------------------

    @property
    def sites(self) -> list[str]:
        """Names of the sites seen so far, in order of first call."""
        return list(self._sites)

    @property
    def counter_numel(self) -> int:
        """Number of counter elements held on devices: 2 per unit (positive count, sum |h|)."""
        return sum(s.positive.numel() + s.sum_abs.numel() for s in self._sites.values())

    def report(
        self,
        *,
        tau: float | None = None,
        max_dead: float = MAX_DEAD,
        max_dormant: float = MAX_DORMANT,
        distributed: bool | None = None,
        group: Any = None,
    ) -> Report:
        """The verdict on everything seen since the start or the last :meth:`reset`.

        Synchronises with the device once (to read the counters). ``healthy`` means not born
        dead, ``dead_fraction <= max_dead`` and ``dormant_fraction <= max_dormant``.

        Under ``torch.distributed`` (``distributed`` here, else the constructor's value: ``None``
        means when initialised with several ranks) this is a collective: every rank of ``group``
        must call it; the counts are summed over the ranks (after checking that all ranks saw the
        same sites, a ``RuntimeError`` otherwise) and every rank gets the same, global report.
        """
        tau = self.tau if tau is None else non_negative("Monitor.report", "tau", tau)
        max_dead = non_negative("Monitor.report", "max_dead", max_dead)
        max_dormant = non_negative("Monitor.report", "max_dormant", max_dormant)
        sites = list(self._sites.values())
        if distributed is None:
            distributed = self.distributed
        if distributed is None:
            distributed = _distributed.is_distributed(group)
        if distributed:
            if not torch.distributed.is_available() or not torch.distributed.is_initialized():
                raise RuntimeError("distributed=True but torch.distributed is not initialised")
            positive, sum_abs, observations = _distributed.all_reduce_counts(
                [(s.name, s.units) for s in sites],
                [s.positive for s in sites],
                [s.sum_abs for s in sites],
                [s.observations for s in sites],
                group=group,
            )
        else:
            positive = [s.positive.cpu() for s in sites]
            sum_abs = [s.sum_abs.cpu() for s in sites]
            observations = [s.observations for s in sites]
        reports = [
            SiteReport.from_counts(
                s.name,
                module_path=s.module_path,
                kind=s.kind,
                functional=s.functional,
                call_index=s.call_index,
                unit_dim=s.unit_dim,
                observations=obs,
                positive=pos.numpy(),
                sum_abs=total.to(torch.float64).numpy(),
                tau=tau,
            )
            for s, pos, total, obs in zip(sites, positive, sum_abs, observations, strict=True)
        ]
        return Report.from_sites(
            reports,
            tau=tau,
            history=self.history,
            max_dead=max_dead,
            max_dormant=max_dormant,
        )

    def snapshot(self, label: Any = None, *, reset: bool = False, **report_kwargs: Any) -> dict:
        """Append a summary of the current counts to :attr:`history` and return it.

        Meant to be called once per epoch (it synchronises, and under ``torch.distributed`` it is
        a collective like :meth:`report`). The entry is ``{"step": index in history, "label":
        label (default: the index), "dead_fraction", "dormant_fraction", "born_dead", "sites":
        {name: {"dead_fraction", "dormant_fraction", "activation_rate"}}}``. With ``reset=True``
        the counts are cleared afterwards, so each snapshot covers one epoch.

        >>> import torch
        >>> from torch import nn
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        >>> with Monitor(model) as monitor:
        ...     for epoch in range(2):
        ...         _ = model(torch.randn(8, 3))
        ...         _ = monitor.snapshot(f"epoch {epoch}", reset=True)
        >>> [entry["label"] for entry in monitor.history]
        ['epoch 0', 'epoch 1']
        """
        report = self.report(**report_kwargs)
        step = len(self.history)
        entry = {
            "step": step,
            "label": step if label is None else label,
            "dead_fraction": report.dead_fraction,
            "dormant_fraction": report.dormant_fraction,
            "born_dead": report.born_dead,
            "sites": {
                s.name: {
                    "dead_fraction": s.dead_fraction,
                    "dormant_fraction": s.dormant_fraction,
                    "activation_rate": float(s.activation_rate.mean()) if s.units else 0.0,
                }
                for s in report.sites
            },
        }
        self.history.append(entry)
        if reset:
            self.reset()
        return entry

    def __repr__(self) -> str:
        state = "started" if self.started else "stopped"
        return (
            f"Monitor({type(self.model).__name__}, tau={self.tau}, {state}, "
            f"{len(self._sites)} sites)"
        )
