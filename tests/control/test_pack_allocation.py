"""Pack allocation: water-filling, derating, gating, ramp, loss-aware split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from packlife.chemistry.schema import Derating
from packlife.control.pack_allocation import (
    GATE_CONFIGURED,
    GATE_DETECTED,
    GATE_ISOLATED,
    GATE_JOINED,
    allocate_by_weight,
    allocate_min_loss,
    derated_power_limits_w,
    ramp_limited_w,
    step_gates,
    usable_energy_weights_wh,
)

power = st.floats(0.0, 2e5, allow_nan=False)


@settings(max_examples=3_000, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 9),
    request=st.floats(-1e6, 1e6, allow_nan=False),
)
def test_allocate_by_weight_respects_limits_and_sums(
    data: st.DataObject, n: int, request: float
) -> None:
    limit = data.draw(hnp.arrays(np.float64, n, elements=power))
    weight = data.draw(hnp.arrays(np.float64, n, elements=st.floats(0.0, 1e5, allow_nan=False)))
    out = np.empty(n)
    rest = allocate_by_weight(request, limit, weight, out)
    tol = 1e-6 * (1.0 + abs(request))
    assert np.all(np.abs(out) <= limit + tol)
    assert np.all(out * request >= -tol)  # same direction as the request
    assert out.sum() + rest == pytest.approx(request, abs=tol)
    if abs(request) <= limit.sum():
        assert abs(rest) <= tol  # feasible → fully placed
    else:
        assert np.abs(out) == pytest.approx(limit, abs=tol)  # infeasible → all saturated


def test_allocate_by_weight_is_proportional_until_a_pack_saturates() -> None:
    out = np.empty(3)
    rest = allocate_by_weight(60.0, np.array([100.0, 100.0, 15.0]), np.array([1.0, 2.0, 3.0]), out)
    # 10:20:30 → pack 3 saturates at 15; the other 15 goes 1:2 to packs 1 and 2
    np.testing.assert_allclose(out, [15.0, 30.0, 15.0])
    assert rest == 0.0


def test_usable_energy_weights() -> None:
    w = usable_energy_weights_wh(
        np.array([0.5, 0.05]),
        np.array([100.0, 100.0]),
        np.array([400.0, 400.0]),
        np.array([0.1, 0.1]),
        np.array([0.9, 0.9]),
        discharge=True,
    )
    np.testing.assert_allclose(w, [0.4 * 100 * 400, 0.0])


DERATING = Derating(
    temperature_c=[-10.0, 0.0, 25.0, 45.0, 55.0],
    discharge_fraction_vs_temperature=[0.2, 0.5, 1.0, 1.0, 0.0],
    charge_fraction_vs_temperature=[0.0, 0.1, 1.0, 0.5, 0.0],
    soc=[0.0, 0.1, 0.9, 1.0],
    discharge_fraction_vs_soc=[0.0, 1.0, 1.0, 1.0],
    charge_fraction_vs_soc=[1.0, 1.0, 1.0, 0.0],
)


def _limits(temperature: list[float], soc: list[float], ocv: list[float]) -> tuple:
    n = len(soc)
    return derated_power_limits_w(
        DERATING,
        np.array(temperature),
        np.array(soc),
        np.array(ocv),
        np.zeros(n),
        np.full(n, 0.1),
        np.full(n, 250.0),
        np.full(n, 400.0),
        np.full(n, 200.0),
        np.full(n, 100.0),
    )


def test_derating_by_temperature_soc_and_voltage() -> None:
    dis, chg, notes = _limits([50.0, 25.0, 25.0], [0.5, 0.5, 0.95], [360.0, 260.0, 380.0])
    # pack 1 at 50 °C: half of 200 A → (360 − 0.1·100)·100
    assert dis[0] == pytest.approx(35_000.0)
    assert "derating (temperature 50 °C" in notes[0]
    # pack 2: 250 V floor allows only (260 − 250)/0.1 = 100 A → (260 − 10)·100
    assert dis[1] == pytest.approx(25_000.0)
    assert "discharge: voltage (min 250 V)" in notes[1]
    # pack 3 charging at SoC 0.95: half of 100 A → (380 + 0.1·50)·50
    assert chg[2] == pytest.approx(19_250.0)
    assert "charge: derating (SoC 0.95" in notes[2]
    # pack 2 charging at 25 °C, SoC 0.5: full 100 A → (260 + 10)·100
    assert chg[1] == pytest.approx(27_000.0)
    assert "charge: current limit (100 A)" in notes[1]


def test_derating_to_zero_outside_the_temperature_window() -> None:
    dis, chg, _ = _limits([60.0, -20.0], [0.5, 0.5], [360.0, 360.0])
    assert dis[0] == 0.0 and chg[0] == 0.0
    assert chg[1] == 0.0 and dis[1] == pytest.approx((360 - 0.1 * 40) * 40)  # 0.2 · 200 A


def test_gates_configured_detected_joined_and_fault_latch() -> None:
    n = 3
    state = np.full(n, GATE_CONFIGURED, dtype=np.int64)
    yes, no = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    state = step_gates(state, yes, yes, no)
    assert np.all(state == GATE_DETECTED)  # one step at a time
    state = step_gates(state, yes, np.array([True, True, False]), no)
    np.testing.assert_array_equal(state, [GATE_JOINED, GATE_JOINED, GATE_DETECTED])
    fault = np.array([False, True, False])
    state = step_gates(state, yes, yes, fault)
    np.testing.assert_array_equal(state, [GATE_JOINED, GATE_ISOLATED, GATE_JOINED])
    state = step_gates(state, yes, yes, no)  # fault cleared but latched until reset
    assert state[1] == GATE_ISOLATED
    state = step_gates(state, yes, yes, no, reset=np.array([False, True, False]))
    assert state[1] == GATE_CONFIGURED
    lost = np.array([False, True, True])
    state = step_gates(state, lost, yes, no)  # pack 1 loses its data → back to configured
    np.testing.assert_array_equal(state, [GATE_CONFIGURED, GATE_DETECTED, GATE_JOINED])


def test_ramp_limits_only_increases() -> None:
    lim = np.array([50e3, 50e3, 50e3])
    prev = np.array([10e3, -20e3, 45e3])
    out = ramp_limited_w(lim, prev, 1e3, 5.0, discharge=True)
    np.testing.assert_allclose(out, [15e3, 5e3, 50e3])
    out_c = ramp_limited_w(lim, prev, 1e3, 5.0, discharge=False)
    np.testing.assert_allclose(out_c, [5e3, 25e3, 5e3])
    assert ramp_limited_w(lim, prev, float("inf"), 5.0, True) is lim


def test_min_loss_split_is_the_analytic_optimum() -> None:
    r = np.array([0.1, 0.2])
    v = np.array([400.0, 400.0])
    lim = np.array([100e3, 100e3])
    out, rest = allocate_min_loss(60e3, lim, r, v)
    # min Σ R p²/V² with Σp = P → p ∝ 1/R → 40 kW and 20 kW (exact KKT solution)
    assert rest == 0.0
    assert out.sum() == pytest.approx(60e3)
    np.testing.assert_allclose(out, [40e3, 20e3], rtol=1e-9)

    def loss(p: np.ndarray) -> float:
        return float(np.sum(r * (p / v) ** 2))

    assert loss(out) < loss(np.array([30e3, 30e3]))
    charge, _ = allocate_min_loss(-60e3, lim, r, v)
    assert np.all(charge <= 0.0) and charge.sum() == pytest.approx(-60e3)
    capped, rest = allocate_min_loss(250e3, lim, r, v)
    np.testing.assert_allclose(capped, lim)
    assert rest == pytest.approx(50e3)


def test_limits_from_a_real_chemistry_set_feed_decide() -> None:
    """Derating of the built-in NMC set → PackLimits → decide: the hot pack carries less."""
    from packlife.chemistry import get_parameter_set
    from packlife.control.controller import decide
    from packlife.control.pack_allocation import pack_limits_from_state
    from packlife.control.types import ControllerConfig, OutputState, SiteSnapshot

    nmc = get_parameter_set("nmc_generic")
    n = 3
    series = 96
    temperature = np.array([25.0, 57.5, 25.0])  # NMC discharge derating: 1.0 at 45 °C → 0 at 60 °C
    soc = np.array([0.6, 0.6, 0.6])
    ocv = np.full(n, 3.8 * series)
    dis, chg, notes = derated_power_limits_w(
        nmc.derating,
        temperature,
        soc,
        ocv,
        np.zeros(n),
        np.full(n, 0.15),
        np.full(n, nmc.min_cell_voltage_v * series),
        np.full(n, nmc.max_cell_voltage_v * series),
        np.full(n, 150.0),
        np.full(n, 60.0),
    )
    assert dis[1] < dis[0] and "temperature 58 °C" in notes[1]
    gate = np.array([GATE_JOINED, GATE_JOINED, GATE_DETECTED])
    packs = pack_limits_from_state(
        soc,
        np.full(n, 60.0),
        np.full(n, 350.0),
        np.full(n, 0.1),
        np.full(n, 0.95),
        dis,
        chg,
        gate,
        np.zeros(n, dtype=bool),
        notes,
    )
    assert list(packs.joined) == [True, True, False]
    np.testing.assert_allclose(packs.usable_discharge_energy_wh, 0.5 * 60 * 350)
    vehicle = OutputState(150e3, "v", 0.2, 50e3, 0.0, 7200.0, 150e3)
    snap = SiteSnapshot(0.0, 60.0, packs, (), (vehicle,))
    sp = decide(snap, ControllerConfig())
    # pack 3 is not joined; pack 1 runs at its limit; the hot pack 2 at its lower limit
    assert sp.pack_power_w[2] == 0.0
    np.testing.assert_allclose(sp.pack_power_w[:2], dis[:2])
    assert sp.output_power_w[0] == pytest.approx(dis[0] + dis[1])
    assert any("pack 2 discharge: derating (temperature 58 °C" in r.source for r in sp.limits)
