"""Uniform-grid lookups and the stored-energy integral of :mod:`packlife.simulation.tables`."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from packlife.chemistry import get_parameter_set
from packlife.simulation.tables import (
    S_OCV25,
    SOC_GRID,
    T_OCV,
    TEMP_GRID,
    build_tables,
    energy_per_ah,
    soc_position,
    temp_position,
)

SET_IDS = ["nmc_generic", "aesc_lmo_nca_leaf2013", "lfp_generic"]


@pytest.fixture(scope="module")
def tables():  # type: ignore[no-untyped-def]
    return build_tables([get_parameter_set(i) for i in SET_IDS])


@settings(max_examples=200, deadline=None)
@given(st.floats(-0.5, 1.5, allow_nan=False))
def test_soc_position_matches_grid(soc: float) -> None:
    i, w = soc_position(soc)
    assert 0 <= i <= SOC_GRID.size - 2
    assert 0.0 <= w <= 1.0
    value = SOC_GRID[i] + w * (SOC_GRID[i + 1] - SOC_GRID[i])
    assert value == pytest.approx(min(max(soc, 0.0), 1.0), abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.floats(-60.0, 100.0, allow_nan=False))
def test_temp_position_matches_grid(temperature_c: float) -> None:
    j, w = temp_position(temperature_c)
    assert 0 <= j <= TEMP_GRID.size - 2
    assert 0.0 <= w <= 1.0
    value = TEMP_GRID[j] + w * (TEMP_GRID[j + 1] - TEMP_GRID[j])
    clamped = min(max(temperature_c, TEMP_GRID[0]), TEMP_GRID[-1])
    assert value == pytest.approx(clamped, abs=1e-12)


def test_grid_points_map_to_themselves() -> None:
    for k, s in enumerate(SOC_GRID[:-1]):
        i, w = soc_position(float(s))
        assert SOC_GRID[i] + w * 0.01 == pytest.approx(s, abs=1e-12)
        assert i in (k, k - 1)
    for k, t in enumerate(TEMP_GRID[:-1]):
        j, w = temp_position(float(t))
        assert (j, w) == pytest.approx((k, 0.0), abs=1e-12)


@pytest.mark.parametrize("set_index", range(len(SET_IDS)))
@pytest.mark.parametrize("soc", [0.0, 0.004, 0.01, 0.2345, 0.5, 0.77777, 0.995, 1.0])
def test_energy_per_ah_is_the_ocv_integral(tables, set_index: int, soc: float) -> None:  # type: ignore[no-untyped-def]
    ocv25 = tables.soc_tables[set_index, S_OCV25]
    expected, _ = integrate.quad(
        lambda s: float(np.interp(s, SOC_GRID, ocv25)),
        0.0,
        soc,
        points=SOC_GRID[(SOC_GRID > 0) & (SOC_GRID < soc)],
        limit=500,
        epsabs=1e-13,
        epsrel=1e-13,
    )
    assert energy_per_ah(tables.soc_tables, set_index, soc) == pytest.approx(expected, abs=1e-9)


def test_energy_per_ah_extends_linearly_outside_0_1(tables) -> None:  # type: ignore[no-untyped-def]
    ocv25 = tables.soc_tables[0, S_OCV25]
    e1 = energy_per_ah(tables.soc_tables, 0, 1.0)
    assert energy_per_ah(tables.soc_tables, 0, -0.01) == pytest.approx(-0.01 * ocv25[0], abs=1e-12)
    assert energy_per_ah(tables.soc_tables, 0, 1.02) == pytest.approx(
        e1 + 0.02 * ocv25[-1], abs=1e-12
    )


@pytest.mark.parametrize("set_index", range(len(SET_IDS)))
def test_resampled_ocv_reproduces_the_parameter_set(tables, set_index: int) -> None:  # type: ignore[no-untyped-def]
    ps = get_parameter_set(SET_IDS[set_index])
    t_axis = np.asarray(ps.ocv.temperature_c)
    s_axis = np.asarray(ps.ocv.soc)
    table = np.asarray(ps.ocv.voltage_v)
    matched = 0
    for row, t in enumerate(t_axis):
        if t not in TEMP_GRID:
            continue
        j = int(np.flatnonzero(TEMP_GRID == t)[0])
        expected = np.interp(SOC_GRID, s_axis, table[row])
        np.testing.assert_allclose(tables.electrical[set_index, T_OCV, j], expected, atol=1e-12)
        matched += 1
    assert matched >= 1
    # clamped (not extrapolated) outside the measured temperature range
    lowest = np.interp(SOC_GRID, s_axis, table[0])
    highest = np.interp(SOC_GRID, s_axis, table[-1])
    for j, t in enumerate(TEMP_GRID):
        if t <= t_axis.min():
            np.testing.assert_allclose(tables.electrical[set_index, T_OCV, j], lowest, atol=1e-12)
        if t >= t_axis.max():
            np.testing.assert_allclose(tables.electrical[set_index, T_OCV, j], highest, atol=1e-12)
