"""Engine-level invariants: energy balance closure and limit compliance."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packlife.catalog import get_pack_model
from packlife.errors import ConsistencyError
from packlife.models.power_electronics import converter_loss_w
from packlife.simulation import layout as K
from packlife.simulation.engine import Engine, EngineConfig, EngineSnapshot
from packlife.simulation.system import soc_window

from .conftest import LMO_PACK, NMC_PACKS, make_system, pack, piecewise_profile

EngineFactory = Callable[..., Engine]
STEPS_S = [1.0, 10.0, 60.0, 300.0, 900.0, 3600.0]
#: simulated time per example: enough steps to cycle the packs, few enough to stay fast
MAX_STEPS = 1500


def solve_tolerance(dt_s: float) -> float:
    """Relative accuracy to which the packs deliver the power allotted to them.

    The kernel settles the step-mean OCV with two fixed-point passes, whose contraction weakens
    as the SoC moves more per step. Measured worst case over NMC/LMO packs, SoC 0.2–0.75 and
    ±3–40 kW: 3e-12 at 1 s, 3e-8 at 60 s, 2e-6 at 300 s, 2e-4 at 900 s, 5e-5 at 3600 s.
    """
    return 1e-6 if dt_s <= 60.0 else 1e-3


def _pack_strategy(catalog_ids: list[str]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries(
        {
            "catalog_id": st.sampled_from(catalog_ids),
            "soh": st.floats(0.6, 1.0),
            "resistance_growth": st.floats(1.0, 2.0),
            "soc_initial": st.floats(0.05, 0.95),
            "temperature_initial_c": st.floats(-10.0, 45.0),
            "faulted": st.booleans(),
        }
    )


@st.composite
def scenarios(draw: st.DrawFn, lfp_id: str) -> dict[str, object]:
    n_packs = draw(st.integers(1, 5))
    ids = [*NMC_PACKS, LMO_PACK, lfp_id]
    packs = draw(st.lists(_pack_strategy(ids), min_size=n_packs, max_size=n_packs))
    dt = draw(st.sampled_from(STEPS_S))
    n_steps = draw(st.integers(1, min(MAX_STEPS, int(30 * 86400 / dt))))
    levels = draw(st.lists(st.floats(-400e3, 400e3), min_size=1, max_size=12))
    return {
        "packs": packs,
        "dt": dt,
        "n_steps": n_steps,
        "levels": np.asarray(levels),
        "ageing": draw(st.booleans()),
        "ambient": draw(st.floats(-15.0, 40.0)),
    }


@pytest.fixture(scope="module")
def scenario_strategy(lfp_pack_id: str) -> st.SearchStrategy[dict[str, object]]:
    return scenarios(lfp_pack_id)


def _engine_for(sc: dict[str, object], factory: EngineFactory) -> Engine:
    dt = float(sc["dt"])  # type: ignore[arg-type]
    return factory(
        [sc["packs"]],
        dt_s=dt,
        ageing=bool(sc["ageing"]),
        ageing_interval_s=dt * max(1, int(3600 // dt)),
        ambient_c=float(sc["ambient"]),  # type: ignore[arg-type]
        max_duration_s=dt * MAX_STEPS,
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_energy_balance_closes(
    data: st.DataObject,
    scenario_strategy: st.SearchStrategy[dict[str, object]],
    engine_factory: EngineFactory,
) -> None:
    sc = data.draw(scenario_strategy)
    eng = _engine_for(sc, engine_factory)
    prof = piecewise_profile(sc["levels"], int(sc["n_steps"]))  # type: ignore[arg-type, call-overload]
    eng.run_profile(prof, ambient_c=float(sc["ambient"]))  # type: ignore[arg-type]
    res = eng.result()
    bal = res.balance
    throughput = bal.throughput_wh[0]
    # throughput can be 0 (all packs faulted or idle): then every term must be ~0 on its own scale
    scale = max(throughput, 1e-6 * float(np.abs(bal.stored_start_wh).max()), 1e-9)
    assert abs(bal.error_wh[0]) <= 1e-4 * scale
    # requested = delivered + unmet in each direction. Unmet is never negative beyond the
    # convergence of the per-step current solve (see solve_tolerance)
    for req, dlv, unmet in (
        (res.requested_discharge_wh, res.delivered_discharge_wh, res.unmet_discharge_wh),
        (res.requested_charge_wh, res.delivered_charge_wh, res.unmet_charge_wh),
    ):
        # (relative to the battery-side energy, which includes the converter's no-load loss)
        tol = solve_tolerance(res.dt_s) * (max(req[0], 1.0) + bal.converter_loss_wh[0])
        assert unmet[0] >= -tol
        assert unmet[0] == pytest.approx(req[0] - dlv[0], abs=1e-9 * max(req[0], 1.0))
        assert dlv[0] <= req[0] + tol
    # faulted packs carry nothing
    faulted = np.array([bool(p["faulted"]) for p in sc["packs"]])  # type: ignore[attr-defined, index]
    assert np.all(res.pack_throughput_ah[0, faulted] == 0.0)


def test_energy_balance_closes_tightly_over_a_long_run(engine_factory: EngineFactory) -> None:
    """Without rounding-scale slack: a month at 60 s, ageing on, mixed packs, ~1e-12 relative."""
    specs = [
        [
            pack(NMC_PACKS[0], soh=0.72, resistance_growth=1.4, soc_initial=0.5),
            pack(NMC_PACKS[1], soh=0.85, soc_initial=0.3),
            pack(LMO_PACK, soh=0.7, soc_initial=0.6),
        ]
    ]
    eng = engine_factory(
        specs, dt_s=60.0, ageing=True, output_interval_s=3600.0, max_duration_s=31 * 86400.0
    )
    day = np.concatenate(
        [np.full(300, -15e3), np.full(60, 120e3), np.full(720, -10e3), np.full(360, 25e3)]
    )
    eng.run_repeated(day, 30)
    res = eng.result()
    assert res.balance.relative_error[0] < 1e-10
    assert np.all(res.balance.fade_wh > 0)


def _record_limits(engine: Engine, request_w: float, n_steps: int) -> list[EngineSnapshot]:
    snaps: list[EngineSnapshot] = []

    def controller(snap: EngineSnapshot) -> np.ndarray:
        snaps.append(snap)
        return np.full(engine.system.n_systems, request_w)

    engine.run(n_steps * engine.config.dt_s, controller, engine.config.dt_s)
    return snaps


@pytest.mark.parametrize("request_w", [450e3, -300e3, 60e3, -20e3])
def test_packs_stay_within_their_limits(engine_factory: EngineFactory, request_w: float) -> None:
    """Step by step: bus power within that step's limit, SoC in the window, voltage in range."""
    ids = [NMC_PACKS[0], NMC_PACKS[1], LMO_PACK, NMC_PACKS[2]]
    specs = [
        [
            pack(ids[0], soh=0.75, resistance_growth=1.5, soc_initial=0.35),
            pack(ids[1], soh=0.85, soc_initial=0.65, temperature_initial_c=5.0),
            pack(ids[2], soh=0.7, resistance_growth=1.2, soc_initial=0.5),
            pack(ids[3], soh=0.9, soc_initial=0.5, faulted=True),
        ]
    ]
    dt = 30.0
    n = 240
    eng = engine_factory(specs, dt_s=dt, output_interval_s=dt, max_duration_s=n * dt)
    snaps = _record_limits(eng, request_w, n)
    res = eng.result()
    tr = res.trace[0]
    discharge = request_w > 0
    lim = np.array(
        [s.bus_discharge_limit_w[0] if discharge else s.bus_charge_limit_w[0] for s in snaps]
    )
    p = eng.P[0]
    for q, cid in enumerate(ids):
        model = get_pack_model(cid)
        battery_w = tr[:, q, K.TR_POWER]
        # bus = battery − converter loss; the loss is increasing in |bus|, so the battery-side
        # bound for the limit L is L + loss(L) on discharge and −(L − loss(L)) on charge
        loss = np.array(
            [
                converter_loss_w(
                    x,
                    p[q, K.P_CONV_RATED_W],
                    p[q, K.P_CONV_K0],
                    p[q, K.P_CONV_K1],
                    p[q, K.P_CONV_K2],
                )
                for x in lim[:, q]
            ]
        )
        # the terminal power matches the converter's battery side to the current solve's
        # convergence (~1e-10 relative), hence the relative slack
        slack = 1e-8 * lim[:, q] + 1e-9
        if discharge:
            assert np.all(battery_w <= lim[:, q] + loss + slack)
            assert np.all(battery_w >= -1e-9)
        else:
            assert np.all(-battery_w <= lim[:, q] - loss + slack)
            assert np.all(battery_w <= 1e-9)
        lo, hi = soc_window(model)
        soc = tr[:, q, K.TR_SOC]
        assert np.all(soc >= lo - 1e-4) and np.all(soc <= hi + 1e-4)
        # the limits use the RC voltage at the start of the step, the current solve its mean over
        # the step; when the current falls (SoC-window taper) the two differ slightly and the
        # start-of-step terminal voltage may pass the limit by well under 1e-5 of it
        v = tr[:, q, K.TR_VOLTAGE]
        v_tol = 1e-5 * model.max_voltage_v
        assert np.all(v >= model.min_voltage_v - v_tol) and np.all(v <= model.max_voltage_v + v_tol)
    # the faulted pack: no power, no current, SoC only self-discharging
    assert np.all(tr[:, 3, K.TR_POWER] == 0.0) and np.all(tr[:, 3, K.TR_CURRENT] == 0.0)
    assert res.pack_throughput_ah[0, 3] == 0.0
    # the request exceeded what the packs could do at times, and unmet = requested − delivered
    if discharge:
        assert res.unmet_discharge_wh[0] == pytest.approx(
            res.requested_discharge_wh[0] - res.delivered_discharge_wh[0]
        )
    else:
        assert res.unmet_charge_wh[0] == pytest.approx(
            res.requested_charge_wh[0] - res.delivered_charge_wh[0]
        )


def test_isolating_a_pack_mid_run(engine_factory: EngineFactory) -> None:
    eng = engine_factory(
        [[pack(NMC_PACKS[0], soc_initial=0.6), pack(NMC_PACKS[0], soc_initial=0.6)]],
        dt_s=60.0,
    )
    eng.advance(np.full((1, 10), 40e3))
    ah_before = eng.result().pack_throughput_ah[0].copy()
    assert np.all(ah_before > 0)
    eng.set_joined(0, 1, False)
    delivered = eng.advance(np.full((1, 10), 40e3))
    res = eng.result()
    assert res.pack_throughput_ah[0, 1] == ah_before[1]
    assert res.pack_throughput_ah[0, 0] > ah_before[0]
    # the other pack takes it all (to the current solve's convergence, ~1e-9 at 60-s steps)
    np.testing.assert_allclose(delivered, 40e3, rtol=1e-7)
    assert eng.snapshot().bus_discharge_limit_w[0, 1] == 0.0


def test_batch_with_shared_profile_and_scale(engine_factory: EngineFactory) -> None:
    """``request_scale`` scales the shared profile per system (as a system with scaled power)."""
    specs = [[pack(NMC_PACKS[0], soc_initial=0.6)]] * 3
    eng = engine_factory(specs, dt_s=60.0)
    eng.run_profile(np.full(30, 20e3), request_scale=np.array([0.5, 1.0, 0.0]))
    res = eng.result()
    np.testing.assert_allclose(res.delivered_discharge_wh, [5e3, 10e3, 0.0], rtol=1e-9)
    assert res.pack_throughput_ah[2, 0] == 0.0


def test_config_is_validated() -> None:
    with pytest.raises(ConsistencyError):
        EngineConfig(dt_s=0.5)
    with pytest.raises(ConsistencyError):
        EngineConfig(dt_s=60.0, output_interval_s=90.0)
    system = make_system([[pack(NMC_PACKS[0])]])
    eng = Engine(system, EngineConfig(dt_s=60.0))
    with pytest.raises(ConsistencyError):
        eng.advance(np.zeros((1, 5)), request_row=np.array([3]))
