"""A run's economics: the default prints cost per kWh and payback vs diesel; the UK example
compares with a grid upgrade; PV needs weather; the example weather is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from packlife.errors import DataFileError
from packlife.site.economics import _direct_grid_w, economics_rows
from packlife.site.run import run_scenario
from packlife.site.scenario import BUILTIN_DIR, load_scenario
from packlife.site.sessions import synthetic_sessions
from packlife.site.summary import summarise

from .conftest import short_run

EXAMPLE = Path(__file__).parents[2] / "examples" / "uk-retailer" / "uk-retailer.toml"


def test_default_scenario_has_cost_per_kwh_and_payback_vs_diesel() -> None:
    s = summarise(short_run("jlr-test-site", 1.0))
    assert s["economics_currency"] == "GBP"
    assert 0.05 < s["cost_per_kwh_delivered"] < 5.0
    assert s["diesel_cost_per_kwh_delivered"] > 0
    # savings = diesel running cost − BESS running cost, by definition
    assert s["annual_savings_vs_diesel"] == pytest.approx(
        s["annual_cost_diesel"] - s["annual_running_cost_bess"]
    )
    assert s["payback_years_vs_diesel"] is not None and s["payback_years_vs_diesel"] > 0
    labels = [k for k, _ in economics_rows(s)]
    assert "payback vs diesel [years]" in labels
    assert "cost per kWh delivered (LCOS) [GBP/kWh]" in labels
    assert s["timezone"] == "Europe/London" and "none" in s["weather_source"]


def test_uk_example_compares_with_a_grid_upgrade_without_diesel() -> None:
    sc, _ = load_scenario(str(EXAMPLE))
    sim = sc.simulation.model_copy(update={"days": 1.0})
    sc = sc.model_copy(update={"simulation": sim})
    assert sc.vehicles is not None
    result = run_scenario(sc, synthetic_sessions(sc.vehicles, 1.0, sc.simulation.seed))
    s = summarise(result)
    assert "annual_cost_diesel" not in s and "npv_vs_grid_upgrade" in s
    assert "gatwick_iwec_june_week.csv" in s["weather_source"]
    assert s["energy_from_sources_kwh"]["rooftop_pv"] > 50.0  # a June day, 40 kWp
    assert s["peak_grid_import_kw"] <= 69.0 + 1e-6
    # without the BESS the grid takes vehicles + loads − PV; its peak exceeds the connection
    assert s["grid_upgrade_peak_import_kw"] > 69.0
    direct = _direct_grid_w(result)
    flows = result.flows
    np.testing.assert_allclose(
        direct,
        flows["vehicles_power_w"] + flows["loads_power_w"] - flows["source_rooftop_pv_power_w"],
    )


def test_pv_without_weather_is_refused_and_the_example_weather_is_named(tmp_path: Path) -> None:
    text = (BUILTIN_DIR / "offgrid-event.toml").read_text(encoding="utf-8")
    assert 'example = "pvlib_greensboro_tmy3"' in text
    path = tmp_path / "noweather.toml"
    path.write_text(
        text.replace(
            'example = "pvlib_greensboro_tmy3"\nambient_from_weather = false\n', ""
        ).replace("[weather]\n", ""),
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match="needs a \\[weather\\] section"):
        load_scenario(str(path))


def test_a_price_file_in_another_currency_is_refused(tmp_path: Path) -> None:
    (tmp_path / "prices.csv").write_text(
        "time,eur_mwh\n2024-06-03T00:00:00+01:00,80\n2024-06-04T00:00:00+01:00,90\n",
        encoding="utf-8",
    )
    text = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")
    text += (
        '\n[profiles]\nprice_import = { file = "prices.csv", column = "eur_mwh", '
        'unit = "EUR/MWh", repeat = true }\n'
    )
    path = tmp_path / "eur.toml"
    path.write_text(text, encoding="utf-8")
    sc, _ = load_scenario(str(path))
    from packlife.site.inputs import prices_per_kwh

    with pytest.raises(DataFileError, match="never mixed"):
        prices_per_kwh(sc, 4, 900.0)


def test_energy_drawn_from_the_packs_is_paid_for() -> None:
    s = summarise(short_run("leaf-portable", 0.5))
    assert s["economics_currency"] == "JPY"
    assert s["stored_energy_change_kwh"] < 0
    drawn = -s["stored_energy_change_kwh"]
    # bought back through the 0.97 grid inverter at 31 JPY/kWh, scaled to a year from 0.5 days
    assert s["annual_refill_cost"] == pytest.approx(drawn / 0.97 * 31.0 * 365 / 0.5, rel=1e-9)
    assert s["annual_running_cost_bess"] == pytest.approx(s["annual_refill_cost"])
