"""What the doctor found: per-site and whole-network verdicts on dead and dormant units.

A :class:`Report` is plain data (NumPy arrays, no tensors, no torch import), so it can be built from
saved JSON, compared across runs, printed by the CLI and rendered to HTML without a model or a GPU.

Definitions (per unit ``i`` of one site, over all the data the monitor saw):

- activation rate: ``positive_i / observations``, the fraction of outputs that were ``> 0``;
- **dead**: never positive (``positive_i == 0``) on all data seen. A site that saw no data
  (``observations == 0``) has no dead units: absence of evidence is not death;
- ReDo **dormant score** (Sokar et al. 2023): ``s_i = E|h_i| / ((1/H) sum_k E|h_k|)``, the unit's
  mean absolute output relative to the layer's average. If every unit of the layer has ``E|h| == 0``
  (``0/0``) every score is 0, so every unit is dormant;
- **tau-dormant**: ``s_i <= tau`` (a dead ReLU unit has ``s_i = 0`` and is always dormant too);
- **born dead** (Lu et al. 2019): some ReLU-type site (``relu``, ``relu6``, whose negative side is
  exactly 0) is entirely dead, so everything after it, and the network's output, is constant;
- **healthy**: not born dead, ``dead_fraction <= max_dead`` and ``dormant_fraction <= max_dormant``,
  where the fractions are over all units of all sites (defaults ``max_dead = 0.1``,
  ``max_dormant = 0.2``). A report with no sites is healthy (nothing wrong was found) and the CLI
  prints "no rectifiers found".

>>> import numpy as np
>>> site = SiteReport.from_counts(
...     "relu1#0", module_path="relu1", kind="relu", functional=False, call_index=0,
...     unit_dim=-1, observations=4, positive=np.array([0, 4, 2]),
...     sum_abs=np.array([0.0, 8.0, 4.0]), tau=0.1)
>>> site.dead_units, site.activation_rate.tolist(), site.dormant_score.tolist()
([0], [0.0, 1.0, 0.5], [0.0, 2.0, 1.0])
>>> report = Report.from_sites([site], tau=0.1)
>>> report.born_dead, report.healthy, round(report.dead_fraction, 3)
(False, False, 0.333)
>>> Report.from_dict(report.to_dict()).site("relu1#0").dead_units
[0]
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def non_negative(func: str, name: str, value: Any) -> float:
    """``value`` as a float, checked finite and >= 0 (tau, max_dead, max_dormant)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{func}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and value >= 0):
        # NaN would make every comparison False: no unit dormant, silently.
        raise ValueError(f"{func}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


__all__ = ["BORN_DEAD_KINDS", "MAX_DEAD", "MAX_DORMANT", "Report", "SiteReport"]

# Kinds whose negative side is exactly 0: a site of these kinds with every unit dead outputs a
# constant (all zeros), which makes the network's output constant. Leaky ReLU, ELU, GELU, SiLU and
# Hardtanh still pass (scaled) negative inputs through, so they cannot make a network born dead.
BORN_DEAD_KINDS = frozenset({"relu", "relu6"})

# Default thresholds for Report.healthy (fractions over all units of all sites).
MAX_DEAD = 0.1
MAX_DORMANT = 0.2


def _dormant_scores(mean_abs: np.ndarray) -> np.ndarray:
    layer_mean = float(mean_abs.mean()) if mean_abs.size else 0.0
    if layer_mean > 0.0:
        return mean_abs / layer_mean
    # 0/0: an all-zero layer carries no signal at all, so every unit counts as dormant.
    return np.zeros_like(mean_abs)


@dataclass(frozen=True, eq=False)
class SiteReport:
    """Per-unit statistics and verdicts for one site (one call site of a rectifier).

    Arrays have one entry per unit. Build one from raw counts with :meth:`from_counts`, which
    derives every other field; equality is identity (the fields hold arrays), compare
    :meth:`to_dict` results instead.
    """

    name: str
    module_path: str
    kind: str
    functional: bool
    call_index: int
    units: int
    unit_dim: int
    observations: int
    positive: np.ndarray
    mean_abs: np.ndarray
    activation_rate: np.ndarray
    dormant_score: np.ndarray
    dead_mask: np.ndarray
    dormant_mask: np.ndarray

    @classmethod
    def from_counts(
        cls,
        name: str,
        *,
        module_path: str,
        kind: str,
        functional: bool,
        call_index: int,
        unit_dim: int,
        observations: int,
        positive: Sequence[int] | np.ndarray,
        sum_abs: Sequence[float] | np.ndarray | None = None,
        mean_abs: Sequence[float] | np.ndarray | None = None,
        tau: float = 0.1,
    ) -> SiteReport:
        """Derive a site's verdicts from its raw counts.

        ``positive`` counts outputs ``> 0`` per unit; give either ``sum_abs`` (sum of ``|h|`` per
        unit) or ``mean_abs`` (``sum_abs / observations``). ``observations`` is the number of values
        each unit produced (every unit of a site sees the same number).
        """
        positive = np.asarray(positive, dtype=np.int64).reshape(-1)
        units = positive.size
        observations = int(observations)
        if (sum_abs is None) == (mean_abs is None):
            raise ValueError("give exactly one of sum_abs and mean_abs")
        if mean_abs is None:
            sum_abs = np.asarray(sum_abs, dtype=np.float64).reshape(-1)
            mean_abs = sum_abs / observations if observations else np.zeros(units)
        mean_abs = np.asarray(mean_abs, dtype=np.float64).reshape(-1)
        if mean_abs.size != units:
            raise ValueError(f"site {name!r}: {units} positive counts but {mean_abs.size} |h| sums")
        seen = observations > 0
        rate = positive / observations if seen else np.zeros(units)
        score = _dormant_scores(mean_abs) if seen else np.zeros(units)
        return cls(
            name=name,
            module_path=module_path,
            kind=kind,
            functional=bool(functional),
            call_index=int(call_index),
            units=units,
            unit_dim=int(unit_dim),
            observations=observations,
            positive=positive,
            mean_abs=mean_abs,
            activation_rate=np.asarray(rate, dtype=np.float64),
            dormant_score=score,
            dead_mask=(positive == 0) & seen,
            dormant_mask=(score <= tau) & seen,
        )

    @property
    def dead(self) -> int:
        """Number of dead units."""
        return int(self.dead_mask.sum())

    @property
    def dead_fraction(self) -> float:
        """Dead units / units (0.0 for a site with no units)."""
        return self.dead / self.units if self.units else 0.0

    @property
    def dormant(self) -> int:
        """Number of tau-dormant units."""
        return int(self.dormant_mask.sum())

    @property
    def dormant_fraction(self) -> float:
        """Dormant units / units (0.0 for a site with no units)."""
        return self.dormant / self.units if self.units else 0.0

    @property
    def dead_units(self) -> list[int]:
        """Indices of the dead units, ascending."""
        return np.flatnonzero(self.dead_mask).tolist()

    @property
    def dormant_units(self) -> list[int]:
        """Indices of the tau-dormant units, ascending."""
        return np.flatnonzero(self.dormant_mask).tolist()

    @property
    def all_dead(self) -> bool:
        """Every unit dead (and the site has units and saw data)."""
        return self.units > 0 and self.dead == self.units

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable summary, plus the raw per-unit data that :meth:`from_dict` needs."""
        return {
            "name": self.name,
            "kind": self.kind,
            "module_path": self.module_path,
            "functional": self.functional,
            "call_index": self.call_index,
            "units": self.units,
            "unit_dim": self.unit_dim,
            "observations": self.observations,
            "dead": self.dead,
            "dead_units": self.dead_units,
            "dormant": self.dormant,
            "dormant_units": self.dormant_units,
            "activation_rate": float(self.activation_rate.mean()) if self.units else 0.0,
            "dead_fraction": self.dead_fraction,
            "dormant_fraction": self.dormant_fraction,
            "positive": self.positive.tolist(),
            "mean_abs": self.mean_abs.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, tau: float) -> SiteReport:
        """Inverse of :meth:`to_dict` (needs its ``positive`` and ``mean_abs`` entries)."""
        return cls.from_counts(
            data["name"],
            module_path=data["module_path"],
            kind=data["kind"],
            functional=data["functional"],
            call_index=data["call_index"],
            unit_dim=data["unit_dim"],
            observations=data["observations"],
            positive=data["positive"],
            mean_abs=data["mean_abs"],
            tau=tau,
        )


@dataclass(frozen=True, eq=False)
class Report:
    """The doctor's verdict on a whole model: one :class:`SiteReport` per site, in execution order.

    Build one with :meth:`from_sites` (which derives ``born_dead`` and ``healthy``), get one from
    :meth:`rectifier.torch.Monitor.report`, or load one with :meth:`from_dict`.
    """

    tau: float
    sites: list[SiteReport]
    born_dead: bool
    healthy: bool
    history: list[dict] = field(default_factory=list)
    max_dead: float = MAX_DEAD
    max_dormant: float = MAX_DORMANT

    @classmethod
    def from_sites(
        cls,
        sites: Iterable[SiteReport],
        *,
        tau: float,
        history: Iterable[dict] = (),
        max_dead: float = MAX_DEAD,
        max_dormant: float = MAX_DORMANT,
    ) -> Report:
        """Gather site reports and derive ``born_dead`` and ``healthy`` (see the module docs)."""
        tau = non_negative("Report.from_sites", "tau", tau)
        max_dead = non_negative("Report.from_sites", "max_dead", max_dead)
        max_dormant = non_negative("Report.from_sites", "max_dormant", max_dormant)
        sites = list(sites)
        bad = [type(s).__name__ for s in sites if not isinstance(s, SiteReport)]
        if bad:
            raise TypeError(f"Report.from_sites: sites must be SiteReport objects, got a {bad[0]}")
        born_dead = any(s.kind in BORN_DEAD_KINDS and s.all_dead for s in sites)
        units = sum(s.units for s in sites)
        dead = sum(s.dead for s in sites) / units if units else 0.0
        dormant = sum(s.dormant for s in sites) / units if units else 0.0
        healthy = not born_dead and dead <= max_dead and dormant <= max_dormant
        return cls(
            tau=float(tau),
            sites=sites,
            born_dead=born_dead,
            healthy=healthy,
            history=list(history),
            max_dead=float(max_dead),
            max_dormant=float(max_dormant),
        )

    @property
    def units(self) -> int:
        """Units over all sites."""
        return sum(s.units for s in self.sites)

    @property
    def dead(self) -> int:
        """Dead units over all sites."""
        return sum(s.dead for s in self.sites)

    @property
    def dormant(self) -> int:
        """Dormant units over all sites."""
        return sum(s.dormant for s in self.sites)

    @property
    def dead_fraction(self) -> float:
        """Dead units / units over all sites (0.0 with no sites)."""
        units = self.units
        return self.dead / units if units else 0.0

    @property
    def dormant_fraction(self) -> float:
        """Dormant units / units over all sites (0.0 with no sites)."""
        units = self.units
        return self.dormant / units if units else 0.0

    @property
    def names(self) -> list[str]:
        """Site names, in execution order."""
        return [s.name for s in self.sites]

    def site(self, name: str) -> SiteReport:
        """The site called ``name``; ``KeyError`` listing the known names if there is none."""
        for s in self.sites:
            if s.name == name:
                return s
        known = ", ".join(self.names) or "none (no rectifiers found)"
        raise KeyError(f"no site {name!r}; known sites: {known}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (also the CLI's ``--json``); :meth:`from_dict` inverts it."""
        return {
            "tau": self.tau,
            "born_dead": self.born_dead,
            "healthy": self.healthy,
            "max_dead": self.max_dead,
            "max_dormant": self.max_dormant,
            "units": self.units,
            "dead_fraction": self.dead_fraction,
            "dormant_fraction": self.dormant_fraction,
            "sites": [s.to_dict() for s in self.sites],
            "history": [dict(h) for h in self.history],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """Rebuild a report from :meth:`to_dict` output (e.g. after a JSON round trip).

        Verdicts are recomputed from the per-unit data, with the stored tau and thresholds.
        """
        tau = float(data["tau"])
        return cls.from_sites(
            (SiteReport.from_dict(s, tau=tau) for s in data["sites"]),
            tau=tau,
            history=data.get("history", ()),
            max_dead=data.get("max_dead", MAX_DEAD),
            max_dormant=data.get("max_dormant", MAX_DORMANT),
        )
