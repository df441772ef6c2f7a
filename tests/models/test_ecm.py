"""Unit tests of the ECM primitives against exact hand calculations and analytic solutions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife._typing import FloatArray
from packlife.models.ecm import (
    current_for_power,
    max_power_w,
    rc_mean_voltage,
    rc_step,
    simulate_current,
)

ONE_T = np.array([25.0])
SOC_AXIS = np.array([0.0, 1.0])


def _flat(value: float) -> FloatArray:
    return np.full((1, 2), value)


def _run(
    current_a: FloatArray,
    dt_s: float,
    *,
    ocv_v: float = 12.0,
    r0: float = 1.0,
    r1: float = 1e-12,
    c1: float = 1.0,
    r2: float = 0.0,
    c2: float = 1.0,
    soc0: float = 0.5,
    capacity_ah: float = 10.0,
) -> tuple[FloatArray, FloatArray]:
    n = current_a.shape[0]
    t = np.arange(n, dtype=np.float64) * dt_s
    return simulate_current(
        t, current_a, np.full(n, 25.0), soc0, capacity_ah,
        ONE_T, SOC_AXIS, _flat(ocv_v),
        ONE_T, SOC_AXIS, _flat(r0), _flat(r1), _flat(c1), _flat(r2), _flat(c2),
    )  # fmt: skip


def test_one_ohm_cell_at_ten_amps_drops_ten_volts() -> None:
    v, _ = _run(np.full(5, 10.0), 1.0, ocv_v=12.0, r0=1.0)
    np.testing.assert_allclose(v, 2.0, atol=1e-9)
    v_chg, _ = _run(np.full(5, -10.0), 1.0, ocv_v=12.0, r0=1.0)
    np.testing.assert_allclose(v_chg, 22.0, atol=1e-9)


def test_soc_falls_by_charge_over_capacity() -> None:
    # 10 A for 360 s from a 10 Ah cell removes 1 Ah = 0.1 of soc
    _, soc = _run(np.full(361, 10.0), 1.0, soc0=0.8, capacity_ah=10.0)
    assert soc[0] == pytest.approx(0.8)
    assert soc[-1] == pytest.approx(0.7, abs=1e-12)


def test_rc_step_matches_the_analytic_exponential() -> None:
    r, c, i = 0.02, 500.0, 30.0  # tau = 10 s
    for t_s in (0.1, 1.0, 10.0, 50.0):
        assert rc_step(0.0, i, r, c, t_s) == pytest.approx(r * i * (1 - math.exp(-t_s / 10.0)))
    # relaxation from 0.3 V with no current
    assert rc_step(0.3, 0.0, r, c, 10.0) == pytest.approx(0.3 * math.exp(-1.0))


def test_rc_step_composes_exactly() -> None:
    v = 0.0
    for _ in range(10):
        v = rc_step(v, 5.0, 0.01, 100.0, 0.3)
    assert v == pytest.approx(rc_step(0.0, 5.0, 0.01, 100.0, 3.0), rel=1e-12)


def test_rc_mean_voltage_is_the_time_average() -> None:
    r, c, i, v0, dt = 0.01, 300.0, 20.0, 0.05, 7.0
    ts = np.linspace(0.0, dt, 20001)
    v = r * i + (v0 - r * i) * np.exp(-ts / (r * c))
    mean_numeric = float(np.mean(0.5 * (v[1:] + v[:-1])))
    assert rc_mean_voltage(v0, i, r, c, dt) == pytest.approx(mean_numeric, rel=1e-6)


def test_simulate_current_two_rc_step_response() -> None:
    r0, r1, c1, r2, c2, i = 0.001, 0.002, 1000.0, 0.003, 20000.0, 30.0  # tau 2 s, 60 s
    v, _ = _run(np.full(401, i), 0.25, ocv_v=3.7, r0=r0, r1=r1, c1=c1, r2=r2, c2=c2)
    t = np.arange(401) * 0.25
    expected = 3.7 - r0 * i - r1 * i * (1 - np.exp(-t / 2.0)) - r2 * i * (1 - np.exp(-t / 60.0))
    np.testing.assert_allclose(v, expected, atol=1e-12)


def test_zero_r2_means_one_rc_pair() -> None:
    v, _ = _run(np.full(50, 10.0), 1.0, ocv_v=3.7, r0=0.001, r1=0.002, c1=2500.0, r2=0.0)
    t = np.arange(50.0)
    np.testing.assert_allclose(v, 3.7 - 0.01 - 0.02 * (1 - np.exp(-t / 5.0)), atol=1e-12)


def test_ocv_follows_soc_through_the_table() -> None:
    # OCV 3.0 V at soc 0 and 4.0 V at soc 1, no resistance effect at zero current
    n = 3601
    t = np.arange(n, dtype=float)
    v, soc = simulate_current(
        t, np.full(n, 1.0), np.full(n, 25.0), 1.0, 1.0,
        ONE_T, SOC_AXIS, np.array([[3.0, 4.0]]),
        ONE_T, SOC_AXIS, _flat(1e-9), _flat(1e-9), _flat(1.0), _flat(0.0), _flat(1.0),
    )  # fmt: skip
    np.testing.assert_allclose(v, 3.0 + soc, atol=1e-6)
    assert soc[-1] == pytest.approx(0.0, abs=1e-9)


def test_current_for_power_exact_case() -> None:
    # e = 4 V, r0 = 0.1 Ω, p = 30 W: 0.1 i² - 4 i + 30 = 0 → i = 10 A (smaller root)
    assert current_for_power(30.0, 4.0, 0.0, 0.1) == pytest.approx(10.0)
    # beyond e²/(4 r0) = 40 W the current at maximum power e/(2 r0) = 20 A is returned
    assert current_for_power(50.0, 4.0, 0.0, 0.1) == pytest.approx(20.0)


@settings(max_examples=200, deadline=None)
@given(
    ocv_v=st.floats(2.5, 4.3),
    v_rc_v=st.floats(-0.1, 0.1),
    r0_ohm=st.floats(1e-4, 0.1),
    fraction=st.floats(-2.0, 0.99),
)
def test_current_for_power_recovers_power(
    ocv_v: float, v_rc_v: float, r0_ohm: float, fraction: float
) -> None:
    e = ocv_v - v_rc_v
    power_w = fraction * e * e / (4.0 * r0_ohm)
    i = current_for_power(power_w, ocv_v, v_rc_v, r0_ohm)
    terminal_v = e - r0_ohm * i
    assert terminal_v * i == pytest.approx(power_w, rel=1e-7, abs=1e-9)
    assert abs(i) <= e / (2.0 * r0_ohm) * (1 + 1e-12)  # the physical (small-current) branch
    assert math.copysign(1.0, i) == math.copysign(1.0, power_w) or power_w == 0.0


@settings(max_examples=200, deadline=None)
@given(
    ocv_v=st.floats(3.3, 4.1),
    r0_ohm=st.floats(5e-4, 0.01),
    i_limit_a=st.floats(1.0, 500.0),
    discharge=st.booleans(),
)
def test_max_power_respects_both_limits(
    ocv_v: float, r0_ohm: float, i_limit_a: float, discharge: bool
) -> None:
    v_limit = 3.0 if discharge else 4.2
    p = max_power_w(ocv_v, 0.0, r0_ohm, v_limit, i_limit_a, discharge)
    i = current_for_power(p if discharge else -p, ocv_v, 0.0, r0_ohm)
    terminal_v = ocv_v - r0_ohm * i
    assert abs(i) <= i_limit_a * (1 + 1e-9)
    if discharge:
        assert terminal_v >= v_limit - 1e-9
    else:
        assert terminal_v <= v_limit + 1e-9
    # one of the two limits binds
    assert abs(i) == pytest.approx(i_limit_a, rel=1e-9) or terminal_v == pytest.approx(v_limit)
