"""Diesel generator fuel curve: chart fits, part-load penalty, off = no fuel, inverse, sizing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.errors import ConsistencyError, InfeasibleError
from packlife.impact import (
    fit_fuel_curve,
    fuel_litres,
    fuel_litres_per_step,
    fuel_rate_lph,
    get_fuel_curve,
    list_fuel_curves,
    output_for_fuel_kw,
    required_rated_power_kw,
    specific_fuel_l_per_kwh,
)
from packlife.impact.schema import FuelCurve

CURVES = list_fuel_curves()
CHART_CURVES = [c for c in CURVES if c.chart_load_fraction]


def _coeffs(c: FuelCurve) -> tuple[float, float, float]:
    return c.rated_power_kw, c.f0_lph_per_kw_rated, c.f1_lph_per_kw


@pytest.mark.parametrize("curve", CHART_CURVES, ids=lambda c: c.id)
def test_fit_reproduces_chart_points_within_stated_residual(curve: FuelCurve) -> None:
    load_kw = np.array(curve.chart_load_fraction) * curve.rated_power_kw
    model = fuel_rate_lph(load_kw, *_coeffs(curve))
    # stored coefficients are rounded to 4-5 significant digits: allow 0.01 L/h on top
    assert np.max(np.abs(model - curve.chart_fuel_lph)) <= curve.max_residual_lph + 0.01


@pytest.mark.parametrize("curve", CHART_CURVES, ids=lambda c: c.id)
def test_stored_coefficients_are_the_least_squares_fit(curve: FuelCurve) -> None:
    load_kw = np.array(curve.chart_load_fraction) * curve.rated_power_kw
    # independent fit: numpy's polynomial least squares on (kW, L/h)
    slope, intercept = np.polyfit(load_kw, curve.chart_fuel_lph, 1)
    f0, f1, resid = fit_fuel_curve(curve.chart_load_fraction, curve.chart_fuel_lph,
                                   curve.rated_power_kw)
    assert f1 == pytest.approx(slope, rel=1e-9)
    assert f0 * curve.rated_power_kw == pytest.approx(intercept, rel=1e-9)
    assert curve.f1_lph_per_kw == pytest.approx(f1, abs=5e-5)
    assert curve.f0_lph_per_kw_rated == pytest.approx(f0, abs=5e-5)
    assert curve.max_residual_lph == pytest.approx(resid, abs=0.01)


def test_homer_example_matches_documented_points_and_coefficients() -> None:
    c = get_fuel_curve("homer_50kw")
    # HOMER doc: 8.48 L/h at 25 kW and 15.3 L/h at 50 kW on a 50 kW set
    assert fuel_rate_lph([25.0, 50.0], *_coeffs(c)) == pytest.approx([8.48, 15.3], abs=1e-9)
    # HOMER quotes the rounded coefficients F1 = 0.273, F0 = 0.033
    assert c.f1_lph_per_kw == pytest.approx(0.273, abs=5e-4)
    assert c.f0_lph_per_kw_rated == pytest.approx(0.033, abs=5e-4)


@pytest.mark.parametrize("curve", CURVES, ids=lambda c: c.id)
def test_specific_fuel_falls_with_load(curve: FuelCurve) -> None:
    loads = np.linspace(curve.min_load_fraction, 1.0, 20)[1:] * curve.rated_power_kw
    sfc = specific_fuel_l_per_kwh(loads, *_coeffs(curve), curve.min_load_fraction)
    assert np.all(np.diff(sfc) < 0)
    # below the minimum load the penalty is even larger (fuel of the minimum load, less output)
    low = specific_fuel_l_per_kwh(0.1 * curve.rated_power_kw, *_coeffs(curve),
                                  curve.min_load_fraction)
    assert float(low) > float(sfc[0])


def test_part_load_penalty_matches_chart_60kw() -> None:
    c = get_fuel_curve("chart_60kw")
    sfc = specific_fuel_l_per_kwh([15.0, 60.0], *_coeffs(c))
    # chart: 6.8 L/h at 15 kW and 18.2 L/h at 60 kW
    assert sfc == pytest.approx([6.8 / 15.0, 18.2 / 60.0], abs=c.max_residual_lph / 15.0 + 1e-3)


def test_off_steps_burn_no_fuel_and_series_total() -> None:
    c = get_fuel_curve("chart_60kw")
    load_w = np.array([0.0, 30e3, 30e3, 0.0, 60e3])
    per_step = fuel_litres_per_step(load_w, 900.0, *_coeffs(c), 0.3)
    assert per_step[0] == 0.0 and per_step[3] == 0.0
    idle = c.f0_lph_per_kw_rated * 60.0
    expected = 0.25 * np.array([0, idle + 30 * c.f1_lph_per_kw, idle + 30 * c.f1_lph_per_kw, 0,
                                idle + 60 * c.f1_lph_per_kw])
    assert per_step == pytest.approx(expected)
    assert fuel_litres(load_w, 900.0, *_coeffs(c), 0.3) == pytest.approx(expected.sum())
    assert float(fuel_rate_lph(0.0, *_coeffs(c), 0.3)) == 0.0


def test_minimum_load_burns_the_fuel_of_the_minimum_load() -> None:
    c = get_fuel_curve("chart_100kw")
    low, at_min = fuel_rate_lph([5.0, 30.0], *_coeffs(c), 0.3)
    assert low == at_min
    no_min = fuel_rate_lph(5.0, *_coeffs(c), 0.0)
    assert float(no_min) < low


def test_overload_and_negative_load_are_rejected() -> None:
    c = get_fuel_curve("chart_60kw")
    with pytest.raises(ConsistencyError, match="element 1 is 61"):
        fuel_rate_lph([10.0, 61.0], *_coeffs(c))
    with pytest.raises(ConsistencyError):
        fuel_rate_lph([-1.0], *_coeffs(c))
    with pytest.raises(ConsistencyError, match="time_step_s"):
        fuel_litres_per_step([1.0], 0.0, *_coeffs(c))


@settings(max_examples=60, deadline=None)
@given(
    loads=st.lists(st.floats(0.0, 1.0), min_size=2, max_size=30),
    curve_idx=st.integers(0, len(CURVES) - 1),
    min_load=st.floats(0.0, 0.5),
)
def test_fuel_monotone_in_load(loads: list[float], curve_idx: int, min_load: float) -> None:
    c = CURVES[curve_idx]
    x = np.sort(np.array(loads)) * c.rated_power_kw
    fuel = fuel_rate_lph(x, *_coeffs(c), min_load)
    assert np.all(np.diff(fuel) >= 0)


@settings(max_examples=60, deadline=None)
@given(fraction=st.floats(0.0, 1.0), curve_idx=st.integers(0, len(CURVES) - 1))
def test_inverse_recovers_the_load(fraction: float, curve_idx: int) -> None:
    c = CURVES[curve_idx]
    load = fraction * c.rated_power_kw
    rate = c.f0_lph_per_kw_rated * c.rated_power_kw + c.f1_lph_per_kw * load
    assert float(output_for_fuel_kw(rate, *_coeffs(c))) == pytest.approx(load, abs=1e-9)


@pytest.mark.parametrize("curve_id", ["chart_60kw", "chart_100kw"])
def test_16_lph_is_about_51_kw(curve_id: str) -> None:
    c = get_fuel_curve(curve_id)
    frac = np.array(c.chart_load_fraction)
    # independent estimate: linear interpolation between the chart points bracketing 16 L/h
    chart_kw = float(np.interp(16.0, c.chart_fuel_lph, frac * c.rated_power_kw))
    model_kw = float(output_for_fuel_kw(16.0, *_coeffs(c)))
    assert model_kw == pytest.approx(chart_kw, abs=1.5)
    assert model_kw == pytest.approx(51.0, abs=0.5)


def test_inverse_outside_range_is_infeasible() -> None:
    c = get_fuel_curve("chart_60kw")
    with pytest.raises(InfeasibleError, match="60 kW set"):
        output_for_fuel_kw(30.0, *_coeffs(c))
    with pytest.raises(InfeasibleError):
        output_for_fuel_kw(1.0, *_coeffs(c))


def test_required_rated_power() -> None:
    profile_w = np.array([10e3, 50e3, 20e3])
    assert required_rated_power_kw(profile_w, 1.0) == pytest.approx(50.0)
    assert required_rated_power_kw(profile_w, 0.8) == pytest.approx(62.5)
    sizes = [c.rated_power_kw for c in CHART_CURVES]
    assert required_rated_power_kw(profile_w, 0.8, sizes) == 75.0
    with pytest.raises(InfeasibleError, match="largest available size"):
        required_rated_power_kw([200e3], 0.8, sizes)
    with pytest.raises(ConsistencyError):
        required_rated_power_kw([], 0.8)
