"""Source dispatch policy and the pvlib PV profile from the TMY3 file shipped with pvlib."""

from __future__ import annotations

import pytest

from packlife.control.sources import dispatch_sources
from packlife.control.types import SourceState


def test_priority_within_a_kind_and_packs_before_generator() -> None:
    srcs = (
        SourceState("grid", "grid", 40e3, 40e3, priority=1),
        SourceState("ccs", "dc_charger", 20e3, 20e3, priority=0),
        SourceState("gen", "generator", 50e3, 50e3),
    )
    d = dispatch_sources(srcs, sinks_w=30e3, pack_discharge_cap_w=100e3, pack_charge_cap_w=0.0)
    assert d.source_power_w == {"grid": 10e3, "ccs": 20e3, "gen": 0.0}
    assert d.bess_power_w == 0.0
    d = dispatch_sources(srcs, sinks_w=200e3, pack_discharge_cap_w=100e3, pack_charge_cap_w=0.0)
    # ccs 20 + grid 40 + packs 100 = 160; the generator covers the last 40
    assert d.source_power_w == {"grid": 40e3, "ccs": 20e3, "gen": 40e3}
    assert d.bess_power_w == 100e3 and d.unmet_w == 0.0
    d = dispatch_sources(srcs, sinks_w=300e3, pack_discharge_cap_w=100e3, pack_charge_cap_w=0.0)
    assert d.unmet_w == pytest.approx(90e3)


def test_pv_first_then_grid_refills() -> None:
    srcs = (SourceState("grid", "grid", 30e3, 30e3), SourceState("pv", "pv", 25e3, 40e3))
    d = dispatch_sources(srcs, sinks_w=10e3, pack_discharge_cap_w=0.0, pack_charge_cap_w=40e3)
    # PV: 10 to the sinks, 15 into the packs; grid tops the packs' remaining 25 room (cap 30)
    assert d.source_power_w == {"grid": 25e3, "pv": 25e3}
    assert d.bess_power_w == pytest.approx(-40e3)
    assert d.curtailed_w == 0.0


def test_curtailment_and_export_are_explicit() -> None:
    srcs = (SourceState("grid", "grid", 30e3, 30e3), SourceState("pv", "pv", 100e3, 100e3))
    d = dispatch_sources(srcs, 20e3, 0.0, 30e3, export_limit_w=0.0)
    assert d.curtailed_w == pytest.approx(50e3)
    assert d.source_power_w["grid"] == 0.0
    assert any(r.quantity == "pv curtailed" for r in d.limits)
    d = dispatch_sources(srcs, 20e3, 0.0, 30e3, export_limit_w=40e3)
    # export limited by the grid connection (30 kW) → 20 kW curtailed
    assert d.source_power_w["grid"] == pytest.approx(-30e3)
    assert d.curtailed_w == pytest.approx(20e3)
    lost = (SourceState("grid", "grid", 0.0, 30e3), SourceState("pv", "pv", 100e3, 100e3))
    d = dispatch_sources(lost, 20e3, 0.0, 30e3, export_limit_w=40e3)
    assert d.source_power_w["grid"] == 0.0  # no export into a lost grid
    assert d.curtailed_w == pytest.approx(50e3)
