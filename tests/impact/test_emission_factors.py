"""Diesel CO2 factors and grid carbon: named values, linearity, series, net CO2."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.errors import PacklifeError
from packlife.impact import (
    diesel_co2_kg,
    get_diesel_factor,
    get_grid_intensity,
    grid_co2_kg,
    list_diesel_factors,
    list_grid_intensities,
    net_co2_avoided_kg,
)

# published values (DEFRA/DESNZ 2025 via greencalculus.com, Carbon Brief, NG ESO)
PUBLISHED_DIESEL = {
    "combustion_2p69": 2.69,
    "defra_2025_b7_ttw": 2.57082,
    "defra_2025_mineral_ttw": 2.66155,
    "defra_2025_gas_oil_ttw": 2.75541,
    "defra_2025_b7_wtw": 3.19747,
    "hvo_ttw": 0.03558,
}
PUBLISHED_GRID = {"uk_2024_average": 124.0, "uk_defra_2025_generation": 177.0,
                  "uk_2023_average": 149.0}


@pytest.mark.parametrize(("name", "value"), PUBLISHED_DIESEL.items())
def test_named_diesel_factors(name: str, value: float) -> None:
    assert get_diesel_factor(name).co2_kg_per_l == value
    assert diesel_co2_kg(1.0, name) == pytest.approx(value)


@pytest.mark.parametrize(("name", "value"), PUBLISHED_GRID.items())
def test_named_grid_intensities(name: str, value: float) -> None:
    assert get_grid_intensity(name).intensity_g_per_kwh == value
    assert grid_co2_kg(1000.0, name) == pytest.approx(value / 1000.0)


def test_factor_relations() -> None:
    # WTW = TTW + WTT 0.62665 (DEFRA 2025); EIA 10.19 kg/US gal; 2.69 = 129.12 kg / 48 L (JLR)
    wtw = get_diesel_factor("defra_2025_b7_wtw").co2_kg_per_l
    assert wtw == pytest.approx(get_diesel_factor("defra_2025_b7_ttw").co2_kg_per_l + 0.62665)
    assert get_diesel_factor("us_eia_diesel").co2_kg_per_l == pytest.approx(10.19 / 3.785411784,
                                                                            abs=5e-6)
    assert get_diesel_factor("combustion_2p69").co2_kg_per_l == pytest.approx(129.12 / (16 * 3))


def test_every_factor_has_a_source() -> None:
    sources = [e.sources for e in list_diesel_factors()]
    sources += [e.sources for e in list_grid_intensities()]
    for entry_sources in sources:
        assert entry_sources and all(s.url.startswith("http") for s in entry_sources)


@settings(max_examples=80, deadline=None)
@given(a=st.floats(0, 1e5), b=st.floats(0, 1e5), k=st.floats(0, 100),
       name=st.sampled_from(sorted(PUBLISHED_DIESEL)))
def test_diesel_co2_linear_in_litres(a: float, b: float, k: float, name: str) -> None:
    summed = diesel_co2_kg(a, name) + diesel_co2_kg(b, name)
    assert diesel_co2_kg(a + b, name) == pytest.approx(summed, rel=1e-12, abs=1e-9)
    scaled = k * diesel_co2_kg(a, name)
    assert diesel_co2_kg(k * a, name) == pytest.approx(scaled, rel=1e-12, abs=1e-9)
    assert diesel_co2_kg(0.0, name) == 0.0


def test_array_and_numeric_inputs() -> None:
    out = diesel_co2_kg(np.array([0.0, 1.0, 2.0]), 2.5)
    assert isinstance(out, np.ndarray)
    assert out == pytest.approx([0.0, 2.5, 5.0])
    with pytest.raises(PacklifeError):
        diesel_co2_kg(-1.0)
    with pytest.raises(PacklifeError):
        diesel_co2_kg(1.0, -2.0)


def test_unknown_names_suggest_close_matches() -> None:
    with pytest.raises(PacklifeError, match=r"did you mean .*defra_2025_gas_oil_ttw"):
        get_diesel_factor("defra_gas_oil")
    with pytest.raises(PacklifeError, match=r"did you mean .*uk_2024_average"):
        grid_co2_kg(1.0, "uk_2024_avg")


def test_grid_series_and_totals() -> None:
    energy_wh = np.array([1000.0, 2000.0, 0.0])
    # per-step intensity: 1 kWh at 100 g + 2 kWh at 200 g = 500 g
    assert grid_co2_kg(energy_wh, [100.0, 200.0, 900.0]) == pytest.approx(0.5)
    # a constant intensity gives the same as the total
    assert grid_co2_kg(energy_wh, 124.0) == pytest.approx(grid_co2_kg(3000.0, 124.0))
    with pytest.raises(PacklifeError, match="one energy value per step"):
        grid_co2_kg(3000.0, [100.0, 200.0])
    with pytest.raises(PacklifeError, match=">= 0"):
        grid_co2_kg([-1.0, 2.0], 124.0)


def test_net_is_diesel_minus_grid() -> None:
    net = net_co2_avoided_kg(48.0, 174_000.0, "defra_2025_b7_ttw", "uk_2023_average")
    assert net == pytest.approx(48.0 * 2.57082 - 174.0 * 0.149)
