"""Source dispatch policy and the pvlib PV profile from the TMY3 file shipped with pvlib."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from packlife.control.sources import dispatch_sources, pv_ac_power_w, read_tmy3_weather
from packlife.control.types import SourceState
from packlife.errors import DataFileError, PacklifeError


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


@pytest.fixture(scope="module")
def tmy() -> tuple[pd.DataFrame, dict[str, float]]:
    return read_tmy3_weather()


def test_pv_annual_yield_matches_pvwatts_class_figures(tmy: tuple) -> None:
    weather, loc = tmy
    assert len(weather) == 8760
    south = pv_ac_power_w(weather, loc["latitude"], loc["longitude"], 10.0, 30.0, 180.0)
    kwh_per_kwp = south.sum() / 1000.0 / 10.0
    # PVWatts-class yield for Greensboro NC (~4.6–5 kWh/kWp/day sun hours, 14 % losses) is
    # about 1,350–1,450 kWh/kWp·yr; allow a generous band
    assert 1200.0 < kwh_per_kwp < 1600.0
    assert south.max() <= 10_000.0 + 1e-9
    assert south.min() >= 0.0
    local = south.tz_convert("Etc/GMT+5")
    assert local[local.index.hour == 0].max() == 0.0  # nothing at midnight
    north = pv_ac_power_w(weather, loc["latitude"], loc["longitude"], 10.0, 30.0, 0.0)
    assert north.sum() < 0.8 * south.sum()


def test_pv_resampling_keeps_the_energy(tmy: tuple) -> None:
    weather, loc = tmy
    week = weather.iloc[24 * 180 : 24 * 187]
    hourly = pv_ac_power_w(week, loc["latitude"], loc["longitude"], 5.0, 20.0, 180.0)
    quarter = pv_ac_power_w(week, loc["latitude"], loc["longitude"], 5.0, 20.0, 180.0, step_s=900)
    assert len(quarter) == 4 * (len(hourly) - 1) + 1
    assert quarter.sum() * 0.25 == pytest.approx(hourly.sum(), rel=0.02)
    assert np.all((quarter.index[1:] - quarter.index[:-1]) == pd.Timedelta(seconds=900))


def test_pv_errors_name_the_problem(tmp_path: pytest.TempPathFactory) -> None:
    weather, loc = read_tmy3_weather()
    with pytest.raises(PacklifeError, match="tilt_deg"):
        pv_ac_power_w(weather.iloc[:48], loc["latitude"], loc["longitude"], 5.0, 120.0, 180.0)
    bad = tmp_path / "bad.csv"  # type: ignore[operator]
    bad.write_text("not,a,tmy\n1,2,3\n")
    with pytest.raises(DataFileError, match=r"bad\.csv"):
        read_tmy3_weather(bad)
