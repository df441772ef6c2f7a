"""Engine evaluation of units and the remaining-life forecast."""

from __future__ import annotations

import math

import numpy as np
import pytest

from packlife.catalog import ageing_vector
from packlife.design.evaluate import (
    DISCHARGE_MARGIN_H,
    RECHARGE_MARGIN,
    day_profile,
    evaluate_units,
    forecast,
    rated_power_kw,
    replacement_plan,
)
from packlife.design.inventory import items_from_records
from packlife.design.ratings import repeat_year
from packlife.models.ageing import days_to_soh, scale_rates, second_life_state


def test_rated_power_rule() -> None:
    assert rated_power_kw(200.0, 700.0, 0.0) == pytest.approx(100.0)  # 2 h discharge
    assert rated_power_kw(200.0, 700.0, 300.0) == pytest.approx(300.0)  # min power wins
    assert rated_power_kw(200.0, 80.0, 0.0) == pytest.approx(80.0)  # pack limits cap it


def test_day_profile_energies() -> None:
    day = day_profile(50e3, 100e3, dt_s=60.0)
    assert day.size == 1440
    dis_wh = day[day > 0].sum() / 60.0
    ch_wh = -day[day < 0].sum() / 60.0
    assert dis_wh == pytest.approx(50e3 * (2.0 + DISCHARGE_MARGIN_H), rel=0.01)
    assert ch_wh == pytest.approx(RECHARGE_MARGIN * 100e3, rel=0.01)


def _unit():  # type: ignore[no-untyped-def]
    return items_from_records([
        {"serial": "RR-A", "catalog_id": "range_rover_phev_p440e", "soh": 0.85,
         "resistance_growth": 1.3},
        {"serial": "RR-B", "catalog_id": "range_rover_phev_p440e", "soh": 0.70,
         "resistance_growth": 1.3},
    ])


def test_unit_evaluation_is_physical_and_consistent() -> None:
    unit = _unit()
    nominal_kwh = sum(it.usable_energy_kwh for it in unit)
    ev = evaluate_units([unit], [nominal_kwh], 0.0, 0.6, 3)[0]
    assert ev.rated_power_kw == pytest.approx(nominal_kwh / 2.0)
    # delivered at rated power: close to, but not above, the SoH-scaled usable energy
    assert 0.85 * nominal_kwh < ev.usable_energy_kwh <= 1.02 * nominal_kwh
    assert 0.8 < ev.round_trip_efficiency < 1.0
    years = [p.years_to_threshold for p in ev.packs]
    assert ev.years_to_threshold == min(years)
    assert years[1] < years[0]  # the weaker pack (same model, same resistance) goes first
    for p in ev.packs:
        assert len(p.soh_by_year) == 3
        assert p.soh > p.soh_by_year[0] >= p.soh_by_year[1] >= p.soh_by_year[2]
        assert 0.5 < p.equivalent_full_cycles_per_day < 1.5  # one full window a day
    assert len(ev.energy_by_year_kwh) == 3
    assert ev.energy_by_year_kwh[0] < ev.usable_energy_kwh


def test_forecast_agrees_with_days_to_soh() -> None:
    t = np.arange(96) * 900.0
    soc = np.interp(t, [0, 7200, 10800, 39600, 86400], [0.95, 0.05, 0.05, 0.95, 0.95])
    temp = np.full_like(t, 25.0)
    years, _ = forecast(t, soc, temp, "nmc_generic", 0.8, 1.2, 0.6, 1)
    p = ageing_vector("nmc_generic")
    q = second_life_state(0.8, 1.2, p)
    ty, sy, tempy = repeat_year(t, soc, temp)
    days = days_to_soh(ty, sy, tempy, p, 0.6, q_cal=q[0], q_cyc=q[1], r_growth=q[2])
    assert math.isfinite(years)
    assert years == pytest.approx(days / 365.25, rel=0.01)
    # the pack's own fade: rates × 2 is the law with both rate constants doubled
    faster, _ = forecast(t, soc, temp, "nmc_generic", 0.8, 1.2, 0.6, 1, rate_factor=2.0)
    p2 = scale_rates(p, 2.0)
    q2 = second_life_state(0.8, 1.2, p2)
    days2 = days_to_soh(ty, sy, tempy, p2, 0.6, q_cal=q2[0], q_cyc=q2[1], r_growth=q2[2])
    assert faster == pytest.approx(days2 / 365.25, rel=0.01)
    assert faster < 0.8 * years


def test_replacement_plan_is_sorted_and_readable() -> None:
    ev = evaluate_units([_unit()], [40.0], 0.0, 0.6, 30)
    plan = replacement_plan(ev, ["unit-01"], 0.6, 30)
    assert plan[0]["serial"] == "RR-B"
    assert [float(str(r["years"])) for r in plan] == sorted(float(str(r["years"])) for r in plan)
    assert "pack RR-B (unit-01) reaches 60% SoH in ~" in str(plan[0]["text"])
