"""Cycle tables (simulated clock) and property tests for ``decide``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.control.controller import decide
from packlife.control.types import (
    ControllerConfig,
    OutputState,
    PackLimits,
    Setpoints,
    SiteSnapshot,
    SourceState,
)
from packlife.control.vehicles import VEHICLE_MODELS

KW = 1000.0
STEP_S = 60.0


def _packs(row: dict[str, Any]) -> PackLimits:
    n = 3
    faulted = np.zeros(n, dtype=bool)
    for i in row.get("faulted", ()):
        faulted[i] = True
    return PackLimits(
        soc=np.array([0.5, 0.5, 0.5]),
        max_discharge_power_w=np.full(n, 40 * KW),
        max_charge_power_w=np.full(n, 20 * KW),
        usable_discharge_energy_wh=np.array([10.0, 20.0, 30.0]) * KW,
        usable_charge_energy_wh=np.array([30.0, 20.0, 10.0]) * KW,
        joined=np.ones(n, dtype=bool),
        faulted=faulted,
        limit_notes=("current limit", "current limit", "derating (temperature 48 °C)"),
    )


def _outputs(row: dict[str, Any], t_s: float) -> tuple[OutputState, ...]:
    # vehicle A on output 1 departs at 3600 s, vehicle B on output 2 at 7200 s; both need plenty
    out = []
    for sid, dep in (("A", 3600.0), ("B", 7200.0)):
        present = sid in row.get("vehicles", "AB")
        out.append(
            OutputState(
                connector_max_power_w=50 * KW,
                session_id=sid if present else None,
                vehicle_soc=0.3,
                energy_needed_wh=100 * KW,
                arrival_s=0.0,
                departure_s=dep,
                acceptance_max_power_w=60 * KW,
            )
        )
    return tuple(out)


# Each row: inputs of one cycle, then the expected setpoints (kW). Expected values are worked out
# by hand from the policy (see the comment on each row), not copied from the code's output.
CYCLES: list[dict[str, Any]] = [
    # budget 20 grid + 120 packs: both at 50; packs carry 80 in ratio 10:20:30 of usable energy
    {"grid_kw": 20, "out": [50, 50], "grid": 20, "bess": 80, "packs": [40 / 3, 80 / 3, 40]},
    # pack 2 faults: packs 1 and 3 split 80 in ratio 10:30 → 20:60, pack 3 capped at 40
    {"grid_kw": 20, "faulted": [1], "out": [50, 50], "grid": 20, "bess": 80, "packs": [40, 0, 40]},
    # grid lost: budget 80; LLF: A (leaves first) tops up to 50, B keeps its slot with 30
    {"grid_kw": 0, "faulted": [1], "out": [50, 30], "grid": 0, "bess": 80, "packs": [40, 0, 40]},
    # A leaves early: B alone at its connector limit; 50 split 10:30
    {
        "grid_kw": 0,
        "faulted": [1],
        "vehicles": "B",
        "out": [0, 50],
        "grid": 0,
        "bess": 50,
        "packs": [12.5, 0, 37.5],
    },
    # grid back: grid covers 20 of B's 50; packs 30 split 10:30
    {
        "grid_kw": 20,
        "faulted": [1],
        "vehicles": "B",
        "out": [0, 50],
        "grid": 20,
        "bess": 30,
        "packs": [7.5, 0, 22.5],
    },
    # no vehicle, PV 100 kW, grid 20: PV first fills the two healthy packs (20 kW charge limit
    # each), grid idle, 60 kW curtailed
    {
        "grid_kw": 20,
        "pv_kw": 100,
        "faulted": [1],
        "vehicles": "",
        "out": [0, 0],
        "grid": 0,
        "pv": 40,
        "curtailed": 60,
        "bess": -40,
        "packs": [-20, 0, -20],
    },
    # no vehicle, no PV, grid 20: the grid refills the packs (charge split 30:10 → 15:5)
    {
        "grid_kw": 20,
        "faulted": [1],
        "vehicles": "",
        "out": [0, 0],
        "grid": 20,
        "bess": -20,
        "packs": [-15, 0, -5],
    },
    # site load 150 kW, grid lost: packs give 80, the generator covers the other 70
    {
        "grid_kw": 0,
        "faulted": [1],
        "vehicles": "",
        "load_kw": 150,
        "out": [0, 0],
        "grid": 0,
        "gen": 70,
        "bess": 80,
        "packs": [40, 0, 40],
    },
]


def _sources(row: dict[str, Any]) -> tuple[SourceState, ...]:
    return (
        SourceState("grid", "grid", row["grid_kw"] * KW, 20 * KW),
        SourceState("pv", "pv", row.get("pv_kw", 0.0) * KW, 100 * KW),
        SourceState("gen", "generator", 100 * KW, 100 * KW),
    )


def test_cycle_table_fault_input_loss_and_early_departure() -> None:
    cfg = ControllerConfig(
        vehicle_algorithm="llf", min_output_power_w=3 * KW, use_generator_for_vehicles=False
    )
    previous: Setpoints | None = None
    for cycle, row in enumerate(CYCLES):
        t_s = cycle * STEP_S
        snap = SiteSnapshot(
            time_s=t_s,
            step_s=STEP_S,
            packs=_packs(row),
            sources=_sources(row),
            outputs=_outputs(row, t_s),
            load_power_w=row.get("load_kw", 0.0) * KW,
            previous=previous,
        )
        sp = decide(snap, cfg)
        ctx = f"cycle {cycle}"
        np.testing.assert_allclose(sp.output_power_w / KW, row["out"], atol=1e-6, err_msg=ctx)
        assert sp.source_power_w["grid"] / KW == pytest.approx(row["grid"], abs=1e-6), ctx
        assert sp.source_power_w["pv"] / KW == pytest.approx(row.get("pv", 0.0), abs=1e-6), ctx
        assert sp.source_power_w["gen"] / KW == pytest.approx(row.get("gen", 0.0), abs=1e-6), ctx
        assert sp.curtailed_w / KW == pytest.approx(row.get("curtailed", 0.0), abs=1e-6), ctx
        assert sp.bess_power_w / KW == pytest.approx(row["bess"], abs=1e-6), ctx
        np.testing.assert_allclose(sp.pack_power_w / KW, row["packs"], atol=1e-6, err_msg=ctx)
        assert abs(sp.balance_error_w()) < 1e-6, ctx
        previous = sp


def test_limit_reasons_name_the_binding_limits() -> None:
    row = {"grid_kw": 10, "faulted": [1]}
    snap = SiteSnapshot(0.0, STEP_S, _packs(row), _sources(row), _outputs(row, 0.0))
    sp = decide(snap, ControllerConfig(vehicle_algorithm="llf", use_generator_for_vehicles=False))
    sources = [r.source for r in sp.limits]
    assert "pack 2 faulted (isolated)" in sources
    assert "pack 3 derating (temperature 48 °C)" in sources
    assert "connector 1 (50 kW)" in sources
    assert "site budget (packs + inputs − load)" in sources
    assert "site cap grid (10 kW)" in sources
    assert "pack 1 current limit" in sources


def test_ramp_limits_the_rise_of_pack_power() -> None:
    row: dict[str, Any] = {"grid_kw": 0}
    prev = Setpoints(
        output_power_w=np.zeros(2),
        load_served_w=0.0,
        source_power_w={"grid": 0.0, "pv": 0.0, "gen": 0.0},
        curtailed_w=0.0,
        bess_power_w=0.0,
        pack_power_w=np.zeros(3),
    )
    snap = SiteSnapshot(0.0, 1.0, _packs(row), _sources(row), _outputs(row, 0.0), previous=prev)
    sp = decide(snap, ControllerConfig(pack_ramp_w_per_s=5 * KW, use_generator_for_vehicles=False))
    # each pack may rise by 5 kW in this 1 s step → 15 kW for the vehicles in all
    np.testing.assert_allclose(sp.pack_power_w, [5 * KW] * 3)
    assert sp.output_power_w.sum() == pytest.approx(15 * KW)
    assert any("ramp" in r.source for r in sp.limits)


def test_deadband_suppresses_a_charge_trickle() -> None:
    row: dict[str, Any] = {"grid_kw": 30, "vehicles": ""}
    packs = _packs(row)
    # pack 1 has 2 kW·min of room left (33.3 Wh), the others are full
    nearly_full = PackLimits(
        soc=packs.soc,
        max_discharge_power_w=packs.max_discharge_power_w,
        max_charge_power_w=packs.max_charge_power_w,
        usable_discharge_energy_wh=packs.usable_discharge_energy_wh,
        usable_charge_energy_wh=np.array([2 * KW * STEP_S / 3600.0, 0.0, 0.0]),
        joined=packs.joined,
        faulted=packs.faulted,
    )
    srcs = (SourceState("grid", "grid", 30 * KW, 30 * KW),)
    snap = SiteSnapshot(0.0, STEP_S, nearly_full, srcs, _outputs(row, 0.0), load_power_w=5 * KW)
    plain = decide(snap, ControllerConfig())
    assert plain.bess_power_w == pytest.approx(-2 * KW)  # grid covers load and tops pack 1 up
    assert plain.source_power_w["grid"] == pytest.approx(7 * KW)
    banded = decide(snap, ControllerConfig(deadband_w=5 * KW))
    assert banded.bess_power_w == 0.0
    assert banded.source_power_w["grid"] == pytest.approx(5 * KW)
    assert np.all(banded.pack_power_w == 0.0)
    assert abs(banded.balance_error_w()) < 1e-9


def test_pv_export_when_allowed() -> None:
    row: dict[str, Any] = {"grid_kw": 20, "pv_kw": 100, "vehicles": "", "faulted": [1]}
    snap = SiteSnapshot(0.0, STEP_S, _packs(row), _sources(row), _outputs(row, 0.0))
    sp = decide(snap, ControllerConfig(export_limit_w=15 * KW))
    # 40 kW into the packs, 15 kW exported (grid cap 20 allows it), 45 kW curtailed
    assert sp.source_power_w["grid"] == pytest.approx(-15 * KW)
    assert sp.curtailed_w == pytest.approx(45 * KW)
    assert abs(sp.balance_error_w()) < 1e-6


# --- property tests ----------------------------------------------------------------------------

ALGOS = ("uncontrolled", "fcfs", "equal", "edf", "llf")


def _random_snapshot(
    seed: int, n_packs: int, n_out: int, kinds: int, step_s: float
) -> SiteSnapshot:
    rng = np.random.default_rng(seed)
    zero = rng.random(n_packs) < 0.15  # some packs empty or full
    packs = PackLimits(
        soc=rng.random(n_packs),
        max_discharge_power_w=rng.uniform(0, 120e3, n_packs),
        max_charge_power_w=rng.uniform(0, 80e3, n_packs),
        usable_discharge_energy_wh=np.where(zero, 0.0, rng.uniform(0, 40e3, n_packs)),
        usable_charge_energy_wh=np.where(
            rng.random(n_packs) < 0.15, 0.0, rng.uniform(0, 40e3, n_packs)
        ),
        joined=rng.random(n_packs) < 0.85,
        faulted=rng.random(n_packs) < 0.2,
    )
    all_sources = [
        SourceState("grid", "grid", float(rng.choice([0.0, rng.uniform(0, 60e3)])), 40e3),
        SourceState("pv", "pv", float(rng.uniform(0, 150e3)), 150e3),
        SourceState("ccs", "dc_charger", float(rng.uniform(0, 50e3)), 50e3, priority=1),
        SourceState("gen", "generator", float(rng.uniform(0, 80e3)), 80e3),
    ]
    sources = tuple(s for i, s in enumerate(all_sources) if kinds & (1 << i))
    outputs = []
    for k in range(n_out):
        present = rng.random() < 0.8
        outputs.append(
            OutputState(
                connector_max_power_w=float(rng.choice([50e3, 150e3])),
                session_id=f"s{k}" if present else None,
                vehicle_soc=float(rng.random()),
                energy_needed_wh=float(rng.choice([rng.uniform(0, 500), rng.uniform(0, 60e3)])),
                arrival_s=float(rng.uniform(0, 3600)),
                departure_s=float(rng.uniform(3000, 20000)),
                acceptance_max_power_w=float(rng.uniform(0, 160e3)),
            )
        )
    prev = None
    if rng.random() < 0.5:
        prev = Setpoints(
            output_power_w=np.where(rng.random(n_out) < 0.5, rng.uniform(0, 50e3, n_out), 0.0),
            load_served_w=0.0,
            source_power_w={},
            curtailed_w=0.0,
            bess_power_w=0.0,
            pack_power_w=rng.uniform(-50e3, 50e3, n_packs),
        )
    return SiteSnapshot(
        time_s=3600.0,
        step_s=step_s,
        packs=packs,
        sources=sources,
        outputs=tuple(outputs),
        load_power_w=float(rng.choice([0.0, rng.uniform(0, 100e3)])),
        previous=prev,
    )


def _check_invariants(snap: SiteSnapshot, cfg: ControllerConfig, sp: Setpoints) -> None:
    tol = 1e-6 * 1e3  # 1 mW on powers up to ~1 MW
    p = snap.packs
    pw = sp.pack_power_w
    ok = p.joined & ~p.faulted
    assert np.all(pw[~ok] == 0.0), "a faulted or unjoined pack got power"
    assert np.all(pw <= p.max_discharge_power_w + tol)
    assert np.all(-pw <= p.max_charge_power_w + tol)
    # no pack leaves its SoC window over the step (no negative energy)
    moved_wh = pw * snap.step_s / 3600.0
    assert np.all(moved_wh <= p.usable_discharge_energy_wh + 1e-6)
    assert np.all(-moved_wh <= p.usable_charge_energy_wh + 1e-6)
    if snap.previous is not None and np.isfinite(cfg.pack_ramp_w_per_s):
        step_up = cfg.pack_ramp_w_per_s * snap.step_s
        prev = snap.previous.pack_power_w
        assert np.all(pw <= np.maximum(prev, 0) + step_up + tol)
        assert np.all(-pw <= np.maximum(-prev, 0) + step_up + tol)
    assert sp.bess_power_w == pytest.approx(float(pw.sum()), abs=tol)
    for k, o in enumerate(snap.outputs):
        w = sp.output_power_w[k]
        assert w >= 0.0
        if w == 0.0:
            continue
        assert o.session_id is not None and o.departure_s > snap.time_s
        assert w <= o.connector_max_power_w + tol, f"connector {k} exceeded"
        assert w <= o.acceptance_max_power_w + tol, f"vehicle {k} acceptance exceeded"
        assert w * snap.step_s / 3600.0 <= o.energy_needed_wh + 1e-6, "energy beyond need"
        assert w >= cfg.min_output_power_w - tol, f"output {k} below minimum power"
    for s in snap.sources:
        w = sp.source_power_w[s.name]
        cap = max(min(s.available_power_w, s.max_power_w), 0.0)
        assert w <= cap + tol, f"source {s.name} exceeded"
        assert w >= -cfg.export_limit_w - tol
        if s.kind != "grid":
            assert w >= -tol
    assert 0.0 <= sp.load_served_w <= snap.load_power_w + tol
    assert sp.curtailed_w >= -tol
    assert abs(sp.balance_error_w()) <= 1e-6 * max(1.0, sp.output_power_w.sum() + snap.load_power_w)


@settings(max_examples=10_000, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_packs=st.integers(1, 8),
    n_out=st.integers(0, 9),
    kinds=st.integers(0, 15),
    algo=st.sampled_from(ALGOS),
    step_s=st.sampled_from([1.0, 60.0, 300.0]),
    ramp=st.sampled_from([float("inf"), 2e3]),
    export=st.sampled_from([0.0, 10e3]),
)
def test_decide_never_breaks_a_limit(
    seed: int,
    n_packs: int,
    n_out: int,
    kinds: int,
    algo: str,
    step_s: float,
    ramp: float,
    export: float,
) -> None:
    snap = _random_snapshot(seed, n_packs, n_out, kinds, step_s)
    cfg = ControllerConfig(
        vehicle_algorithm=algo,  # type: ignore[arg-type]
        pack_ramp_w_per_s=ramp,
        export_limit_w=export,
        deadband_w=1e3,
    )
    _check_invariants(snap, cfg, decide(snap, cfg))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_packs=st.integers(1, 8), n_out=st.integers(0, 9))
def test_decide_with_mpc_and_min_loss_never_breaks_a_limit(
    seed: int, n_packs: int, n_out: int
) -> None:
    snap = _random_snapshot(seed, n_packs, n_out, 15, 60.0)
    rng = np.random.default_rng(seed + 1)
    p = snap.packs
    packs = PackLimits(
        soc=p.soc,
        max_discharge_power_w=p.max_discharge_power_w,
        max_charge_power_w=p.max_charge_power_w,
        usable_discharge_energy_wh=p.usable_discharge_energy_wh,
        usable_charge_energy_wh=p.usable_charge_energy_wh,
        joined=p.joined,
        faulted=p.faulted,
        resistance_ohm=rng.uniform(0.05, 0.3, n_packs),
        voltage_v=rng.uniform(300, 400, n_packs),
    )
    models = list(VEHICLE_MODELS.values())
    outputs = tuple(
        o
        if o.session_id is None
        else models[k % len(models)].output_state(
            o.connector_max_power_w,
            o.session_id,
            o.vehicle_soc,
            o.energy_needed_wh,
            o.arrival_s,
            o.departure_s,
        )
        for k, o in enumerate(snap.outputs)
    )  # vehicles with acceptance curves: the MPC plans their taper
    snap = SiteSnapshot(
        snap.time_s, snap.step_s, packs, snap.sources, outputs, snap.load_power_w, snap.previous
    )
    cfg = ControllerConfig(vehicle_algorithm="mpc", pack_split="min_loss", mpc_horizon_steps=12)
    _check_invariants(snap, cfg, decide(snap, cfg))


def test_budget_is_used_when_vehicles_want_more() -> None:
    """Heuristics deliver the whole budget when the vehicles together want more than it."""
    row: dict[str, Any] = {"grid_kw": 0, "faulted": [0, 1]}  # only pack 3: 40 kW
    snap = SiteSnapshot(0.0, STEP_S, _packs(row), _sources(row)[:1], _outputs(row, 0.0))
    for algo in ("uncontrolled", "fcfs", "equal", "edf", "llf", "mpc"):
        sp = decide(snap, ControllerConfig(vehicle_algorithm=algo))  # type: ignore[arg-type]
        assert sp.output_power_w.sum() == pytest.approx(40 * KW), algo


def _tou_snapshot(price: float, stored_fraction: float) -> SiteSnapshot:
    """Three packs with a 60 kWh window, a 22 kW grid, no vehicle: only refill is at stake."""
    n = 3
    stored = np.full(n, 20e3 * stored_fraction)
    packs = PackLimits(
        soc=np.full(n, 0.5),
        max_discharge_power_w=np.full(n, 40 * KW),
        max_charge_power_w=np.full(n, 20 * KW),
        usable_discharge_energy_wh=stored,
        usable_charge_energy_wh=20e3 - stored,
        joined=np.ones(n, dtype=bool),
        faulted=np.zeros(n, dtype=bool),
    )
    grid = SourceState("grid", "grid", 22 * KW, 22 * KW)
    return SiteSnapshot(0.0, STEP_S, packs, (grid,), (), import_price_per_kwh=price)


@pytest.mark.parametrize(
    ("price", "stored", "refills"),
    [(0.10, 0.8, True), (0.30, 0.8, False), (0.30, 0.1, True), (0.20, 0.8, True)],
)
def test_time_of_use_refill_waits_for_the_cheap_band_but_keeps_a_reserve(
    price: float, stored: float, refills: bool
) -> None:
    cfg = ControllerConfig(refill_price_max_per_kwh=0.20, refill_reserve_fraction=0.25)
    sp = decide(_tou_snapshot(price, stored), cfg)
    assert sp.source_power_w["grid"] == pytest.approx(22 * KW if refills else 0.0)
    assert sp.bess_power_w == pytest.approx(-22 * KW if refills else 0.0)
    # without the option the grid always refills
    plain = decide(_tou_snapshot(price, stored), ControllerConfig())
    assert plain.source_power_w["grid"] == pytest.approx(22 * KW)
