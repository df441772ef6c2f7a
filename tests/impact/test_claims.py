"""JLR/Allye diesel claim reconciliation and diesel displacement, from the release inputs."""

from __future__ import annotations

import numpy as np
import pytest

from packlife.errors import PacklifeError
from packlife.impact import (
    diesel_displacement,
    get_fuel_curve,
    jlr_claim_check,
)

# Press-release inputs (Electrek via thecooldown.com): 16 L/h, 3 h/day, 129.12 kg/day,
# "more than 15,494 kg" of CO2 saved, "over 1000 hours of testing".
LPH, HOURS, KG_DAY, KG_SAVED, TEST_HOURS = 16.0, 3.0, 129.12, 15_494.0, 1000.0


def test_daily_figure_follows_from_16_lph_for_3_hours() -> None:
    r = jlr_claim_check()
    litres = LPH * HOURS
    assert r.litres_per_day == litres == 48.0
    assert r.implied_factor_kg_per_l == pytest.approx(KG_DAY / litres)
    assert r.implied_factor_kg_per_l == pytest.approx(2.69, abs=1e-12)
    assert r.daily.diesel_litres == litres
    assert r.daily.co2_diesel_kg == pytest.approx(KG_DAY, abs=1e-9)


def test_yearly_figure_is_120_days_not_1000_hours() -> None:
    r = jlr_claim_check()
    days = KG_SAVED / KG_DAY
    assert r.implied_days == pytest.approx(days)
    assert r.days == 120 == round(days)
    assert r.generator_hours == 120 * HOURS == 360.0
    assert r.generator_hours != TEST_HOURS
    assert r.generator_share_of_test_hours == pytest.approx(360.0 / TEST_HOURS)
    assert r.total.co2_diesel_kg == pytest.approx(120 * KG_DAY)
    assert r.total.co2_diesel_kg >= KG_SAVED  # "more than 15,494 kg"
    # 1,000 generator-hours at the same rate would be far more than claimed
    assert TEST_HOURS * LPH * r.implied_factor_kg_per_l > 2.7 * KG_SAVED


def test_energy_and_net_saving() -> None:
    efficiency, intensity_g = 0.88, 124.0
    r = jlr_claim_check(bess_efficiency=efficiency, grid_intensity="uk_2024_average")
    chart = get_fuel_curve("chart_60kw")
    # independent estimate of the load: interpolate the 60 kW chart at 16 L/h
    chart_kw = float(np.interp(LPH, chart.chart_fuel_lph,
                               np.array(chart.chart_load_fraction) * 60.0))
    assert r.daily.genset_output_power_kw == pytest.approx(chart_kw, abs=1.5)
    assert r.daily.energy_delivered_kwh == pytest.approx(r.daily.genset_output_power_kw * HOURS)
    assert 150.0 < r.daily.energy_delivered_kwh < 156.0  # "~153 kWh/day"
    grid_kwh = r.daily.energy_delivered_kwh / efficiency
    assert r.daily.grid_energy_kwh == pytest.approx(grid_kwh)
    assert r.daily.co2_grid_kg == pytest.approx(grid_kwh * intensity_g / 1000.0)
    assert r.daily.co2_avoided_net_kg == pytest.approx(KG_DAY - grid_kwh * intensity_g / 1000.0)
    assert 92.0 < r.daily.co2_avoided_net_kg < 108.0  # research estimate range (RTE 0.85-0.90)
    assert r.total.co2_avoided_net_kg == pytest.approx(120 * r.daily.co2_avoided_net_kg)
    assert r.net_share_of_claim == pytest.approx(r.total.co2_avoided_net_kg / KG_SAVED)
    assert r.daily.specific_fuel_l_per_kwh == pytest.approx(LPH / r.daily.genset_output_power_kw)


def test_other_factors_change_the_daily_figure() -> None:
    b7 = diesel_displacement(LPH, HOURS, factor="defra_2025_b7_ttw")
    wtw = diesel_displacement(LPH, HOURS, factor="defra_2025_b7_wtw")
    assert b7.co2_diesel_kg == pytest.approx(48 * 2.57082)  # 123.4 kg
    assert wtw.co2_diesel_kg == pytest.approx(48 * 3.19747)  # 153.5 kg


def test_dirtier_grid_and_lower_efficiency_reduce_the_net_saving() -> None:
    base = diesel_displacement(LPH, HOURS)
    dirtier = diesel_displacement(LPH, HOURS, grid_intensity="uk_defra_2025_generation")
    lossier = diesel_displacement(LPH, HOURS, bess_efficiency=0.8)
    assert dirtier.co2_avoided_net_kg < base.co2_avoided_net_kg
    assert lossier.co2_avoided_net_kg < base.co2_avoided_net_kg
    assert dirtier.co2_diesel_kg == base.co2_diesel_kg


def test_genset_choice() -> None:
    on_100 = diesel_displacement(LPH, HOURS, genset=100.0)
    assert on_100.genset_curve == "chart_100kw"
    assert on_100.genset_load_fraction == pytest.approx(on_100.genset_output_power_kw / 100.0)
    resized = diesel_displacement(LPH, HOURS, genset=90.0)
    assert resized.genset_rated_power_kw == 90.0
    assert resized.genset_curve.startswith("chart_100kw")
    small = diesel_displacement(4.0, HOURS, genset="chart_125kw")
    assert small.genset_below_min_load


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hours_per_day": -3.0}, "hours per day"),
        ({"days": 0.0}, "days"),
        ({"bess_efficiency": 1.2}, "bess_efficiency"),
        ({"diesel_lph": 0.0}, "diesel_lph"),
        ({"factor": "combustion"}, "did you mean"),
        ({"genset": "chart_60"}, "did you mean"),
        ({"diesel_lph": 40.0}, "outside that range"),
        ({"diesel_lph": 0.05333 * 60, "genset": "chart_60kw"}, "only idles"),
    ],
)
def test_bad_parameters_raise_user_errors(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"diesel_lph": LPH, "hours_per_day": HOURS, **kwargs}
    with pytest.raises(PacklifeError, match=match):
        diesel_displacement(**args)  # type: ignore[arg-type]
