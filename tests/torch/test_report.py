"""Tests of rectifier.torch.report: verdicts derived from raw counts, and the JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rectifier.torch.report import BORN_DEAD_KINDS, MAX_DEAD, MAX_DORMANT, Report, SiteReport


def _site(name="relu1#0", kind="relu", positive=(0, 4, 2, 1), sum_abs=(0.0, 8.0, 4.0, 0.2), **kw):
    args = {
        "module_path": name.split("#")[0],
        "kind": kind,
        "functional": False,
        "call_index": 0,
        "unit_dim": -1,
        "observations": 4,
        "positive": np.array(positive),
        "sum_abs": None if sum_abs is None else np.array(sum_abs),
        "tau": 0.1,
    }
    args.update(kw)
    return SiteReport.from_counts(name, **args)


def test_site_derived_fields():
    site = _site()
    assert site.units == 4
    assert site.positive.dtype == np.int64
    np.testing.assert_allclose(site.mean_abs, [0.0, 2.0, 1.0, 0.05])
    np.testing.assert_allclose(site.activation_rate, [0.0, 1.0, 0.5, 0.25])
    # ReDo: s_i = E|h_i| / mean_k E|h_k|; mean = 3.05 / 4
    np.testing.assert_allclose(site.dormant_score, np.array([0.0, 2.0, 1.0, 0.05]) / (3.05 / 4))
    assert site.dead_units == [0] and site.dead == 1 and site.dead_fraction == 0.25
    assert site.dormant_units == [0, 3] and site.dormant == 2 and site.dormant_fraction == 0.5
    assert site.dead_mask.dtype == bool and site.dormant_mask.dtype == bool


def test_tau_is_inclusive():
    # Unit 0 has score exactly 0.5: dormant at tau=0.5 (s <= tau), not at tau=0.49.
    site = _site(positive=(1, 1), sum_abs=(1.0, 3.0), tau=0.5)
    assert site.dormant_units == [0]
    assert _site(positive=(1, 1), sum_abs=(1.0, 3.0), tau=0.49).dormant_units == []


def test_mean_abs_may_be_given_instead_of_sum_abs():
    a = _site()
    b = _site(sum_abs=None, mean_abs=a.mean_abs)
    np.testing.assert_array_equal(a.dormant_score, b.dormant_score)
    with pytest.raises(ValueError, match="exactly one"):
        _site(sum_abs=None)
    with pytest.raises(ValueError, match="exactly one"):
        _site(mean_abs=a.mean_abs)
    with pytest.raises(ValueError, match="positive counts"):
        _site(sum_abs=(1.0, 2.0))


def test_all_zero_layer_every_unit_dormant():
    site = _site(positive=(0, 0, 0), sum_abs=(0.0, 0.0, 0.0))
    assert site.dormant_units == [0, 1, 2]
    assert site.dead_units == [0, 1, 2]
    assert np.isfinite(site.dormant_score).all()


def test_site_without_observations_has_no_verdicts():
    site = _site(positive=(0, 0), sum_abs=(0.0, 0.0), observations=0)
    assert site.dead == 0 and site.dormant == 0
    assert np.isfinite(site.activation_rate).all() and np.isfinite(site.mean_abs).all()


def test_site_with_no_units():
    site = _site(positive=(), sum_abs=())
    assert site.units == 0 and site.dead_fraction == 0.0 and site.dormant_fraction == 0.0
    assert not site.all_dead
    json.dumps(site.to_dict())


@pytest.mark.parametrize("kind", ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "hardtanh"])
def test_born_dead_only_for_kinds_with_a_zero_negative_side(kind):
    dead = _site("a#0", kind=kind, positive=(0, 0), sum_abs=(0.0, 0.0))
    alive = _site("b#0")
    report = Report.from_sites([alive, dead], tau=0.1)
    assert report.born_dead == (kind in BORN_DEAD_KINDS)
    assert not report.healthy  # half the units are dead anyway


def test_healthy_thresholds():
    site = _site(positive=[0] + [3] * 9, sum_abs=[0.0] + [3.0] * 9)  # 10 % dead and dormant
    assert Report.from_sites([site], tau=0.1).healthy  # <= MAX_DEAD (0.1), <= MAX_DORMANT (0.2)
    assert not Report.from_sites([site], tau=0.1, max_dead=0.09).healthy
    assert not Report.from_sites([site], tau=0.1, max_dormant=0.09).healthy
    assert (MAX_DEAD, MAX_DORMANT) == (0.1, 0.2)


def test_report_fractions_are_over_all_units():
    a = _site("a#0", positive=(0, 1), sum_abs=(0.0, 1.0))
    b = _site("b#0", positive=(1, 1, 1, 1, 1, 1), sum_abs=(1.0,) * 6)
    report = Report.from_sites([a, b], tau=0.1)
    assert (report.units, report.dead, report.dormant) == (8, 1, 1)
    assert report.dead_fraction == report.dormant_fraction == 1 / 8
    assert report.names == ["a#0", "b#0"]


def test_site_lookup_error_lists_known_names():
    report = Report.from_sites([_site("a#0"), _site("b.relu()#0")], tau=0.1)
    assert report.site("b.relu()#0").name == "b.relu()#0"
    with pytest.raises(KeyError, match=r"a#0, b\.relu\(\)#0"):
        report.site("nope")


def test_empty_report():
    report = Report.from_sites([], tau=0.1)
    assert report.sites == [] and not report.born_dead and report.healthy
    assert report.dead_fraction == 0.0 and report.dormant_fraction == 0.0
    with pytest.raises(KeyError, match="no rectifiers found"):
        report.site("relu#0")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["sites"] == []
    assert Report.from_dict(data).sites == []


SITE_KEYS = {
    "name",
    "kind",
    "module_path",
    "functional",
    "units",
    "dead",
    "dead_units",
    "dormant",
    "dormant_units",
    "activation_rate",
    "dead_fraction",
    "dormant_fraction",
}
TOP_KEYS = {"tau", "born_dead", "healthy", "dead_fraction", "dormant_fraction", "sites", "history"}


def test_to_dict_keys_and_json_round_trip():
    history = [{"step": 0, "label": "epoch 0", "dead_fraction": 0.25}]
    report = Report.from_sites(
        [_site(), _site("x.relu()#1", functional=True, call_index=1, unit_dim=1)],
        tau=0.1,
        history=history,
    )
    data = report.to_dict()
    assert set(data) >= TOP_KEYS
    assert all(set(s) >= SITE_KEYS for s in data["sites"])
    first = data["sites"][0]
    assert first["dead_units"] == [0] and first["dormant_units"] == [0, 3]
    assert first["activation_rate"] == pytest.approx(np.mean([0.0, 1.0, 0.5, 0.25]))
    text = json.dumps(data)  # only JSON types: no NumPy scalars or arrays
    again = Report.from_dict(json.loads(text))
    assert again.to_dict() == data
    assert again.site("x.relu()#1").functional and again.site("x.relu()#1").unit_dim == 1
    assert again.history == history


def test_from_dict_recomputes_with_stored_thresholds():
    report = Report.from_sites([_site()], tau=0.5, max_dead=0.3, max_dormant=0.6)
    again = Report.from_dict(json.loads(json.dumps(report.to_dict())))
    assert (again.tau, again.max_dead, again.max_dormant) == (0.5, 0.3, 0.6)
    np.testing.assert_array_equal(again.site("relu1#0").dormant_mask, report.sites[0].dormant_mask)
    assert again.healthy == report.healthy


def test_reports_are_frozen():
    report = Report.from_sites([_site()], tau=0.1)
    with pytest.raises(AttributeError):
        report.tau = 0.2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        report.sites[0].units = 3  # type: ignore[misc]
