"""The main job: run a scenario — packs, inputs, controller and vehicles — through the engine.

The whole site loop is compiled (:func:`packlife.simulation.site_loop.run_site_chunk`): every
control interval it calls the controller's compiled rules — the same function
:func:`packlife.control.controller.decide` calls for a live site — and the engine applies exactly
the per-pack setpoints they return; where physics forces a pack below its setpoint the shortfall is
booked with its reason. Python here only lays the scenario out as arrays, streams the inputs in
chunks (memory does not grow with the duration), runs the MPC on HiGHS between compiled intervals
when it is chosen, and collects the results. All powers given to the controller are at the DC bus:
input powers after their converters, output powers before theirs. If the packs deliver less than
asked the outputs are reduced in proportion; if they absorb less, the inputs are reduced (grid
first, then PV is curtailed).

Site energy balance (kWh, reported and checked)::

    Σ inputs (AC/DC side) = vehicles + loads + losses (site converters + BESS) + Δ stored
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.control import kernels as KN
from packlife.control.reasons import (
    BUDGET_REASON,
    LOAD_REASON,
    output_reason,
    pack_reason,
    source_reason,
)
from packlife.simulation import layout as K
from packlife.simulation import site_loop as SL
from packlife.simulation.engine import Engine, EngineConfig
from packlife.simulation.result import SimulationResult
from packlife.simulation.stepping import workspace
from packlife.simulation.system import PackSpec, build_systems
from packlife.site import arrays as AR
from packlife.site.config import controller_config
from packlife.site.diesel import diesel_terms
from packlife.site.inputs import build_inputs
from packlife.site.scenario import Scenario
from packlife.site.sessions import Session

log = logging.getLogger(__name__)

#: Column order of the site flow trace (means over each output interval, W unless noted).
FLOW_COLUMNS = (
    "vehicles_power_w",
    "loads_power_w",
    "bess_power_w",
    "curtailed_power_w",
    "vehicles_charging",
    "ambient_temperature_c",
)
#: Engine steps per input chunk: a day at 1 s (memory stays bounded whatever the duration).
CHUNK_STEPS = 86400


@dataclass
class SessionOutcome:
    """What happened to one session (times since the start [s], energies at the vehicle)."""

    session: Session
    output: int = -1
    plug_in_s: float = float("nan")
    leave_s: float = float("nan")
    energy_delivered_wh: float = 0.0
    fully_charged: bool = False
    charged_s: float = float("nan")

    @property
    def served(self) -> bool:
        return self.energy_delivered_wh > 0.0


@dataclass
class SiteResult:
    """Everything a run produced (see :mod:`packlife.site.summary` for the numbers users read).

    ``pack_shortfall_wh`` gives, per pack and physical reason
    (:data:`packlife.simulation.layout.SHORTFALL_REASONS`), the bus energy its setpoints asked
    that physics withheld [Wh]; ``record`` (when asked for) holds every interval's snapshot and
    decision (layout: :func:`packlife.simulation.site_loop.rec_width`).
    """

    scenario: Scenario
    engine: SimulationResult
    source_energy_wh: dict[str, float]
    source_bus_energy_wh: dict[str, float]
    vehicles_energy_wh: float
    loads_energy_wh: float
    unserved_load_wh: float
    curtailed_wh: float
    site_converter_loss_wh: float
    outcomes: list[SessionOutcome]
    flows: pd.DataFrame
    diesel_terms: FloatArray
    control_interval_s: float
    limit_counts: dict[str, int] = field(default_factory=dict)
    pack_shortfall_wh: FloatArray = field(default_factory=lambda: np.zeros((0, K.N_SH)))
    notes: tuple[str, ...] = ()
    record: FloatArray | None = None
    pack_converters: FloatArray = field(default_factory=lambda: np.zeros((0, 3)))


@dataclass
class _Loop:
    """Arrays of one run of the compiled site loop (state carried from chunk to chunk)."""

    engine: Engine
    timing: AR.Timing
    site: FloatArray
    cfg: FloatArray
    src: tuple[np.ndarray, ...]
    veh: tuple[FloatArray, FloatArray, FloatArray, FloatArray]
    ses: tuple[np.ndarray, ...]
    state: tuple[np.ndarray, ...]
    ws: tuple[np.ndarray, ...]
    outcomes: list[SessionOutcome]


def _pack_specs(scenario: Scenario) -> list[PackSpec]:
    soc = scenario.bess.soc_initial
    if soc is None:
        return list(scenario.bess.packs)
    return [p.model_copy(update={"soc_initial": soc}) for p in scenario.bess.packs]


def _prepare(scenario: Scenario, sessions: list[Session]) -> _Loop:
    t = AR.timing(scenario)
    ambient0 = float(build_inputs(scenario, 1, t.control_s).ambient_c[0])
    engine = Engine(
        build_systems([_pack_specs(scenario)], ambient_c=ambient0),
        EngineConfig(
            dt_s=t.step_s,
            output_interval_s=t.output_s,
            ageing=scenario.simulation.ageing,
            ageing_interval_s=t.ageing_s,
        ),
        max_duration_s=t.n_control * t.control_s,
    )
    ids, vm_soc, vm_pow, vm_e = AR.vehicle_tables()
    outcomes = [SessionOutcome(s) for s in sorted(sessions, key=lambda s: s.arrival_s)]
    ses = AR.session_arrays([o.session for o in outcomes], ids)
    oc = np.zeros((len(outcomes), SL.N_OC))
    oc[:, [SL.OC_OUTPUT]] = -1.0
    oc[:, [SL.OC_PLUG_S, SL.OC_LEAVE_S, SL.OC_CHARGED_S]] = np.nan
    n_out = scenario.vehicles.outputs if scenario.vehicles else 0
    n, m = engine.system.n_packs, len(scenario.sources)
    state = (
        np.zeros(SL.N_IST, dtype=np.int64),  # IST
        np.zeros(n),  # previous pack setpoints
        np.zeros(n_out),  # previous output powers
        np.zeros(SL.N_BK),
        np.zeros((m, 2)),  # per source: input-side and bus-side energy
        np.zeros((n, 6), dtype=np.int64),
        np.zeros((n_out, 4), dtype=np.int64),
        np.zeros((m, 4), dtype=np.int64),
        np.zeros(2, dtype=np.int64),
        np.zeros(SL.N_FL + m),
    )
    return _Loop(
        engine=engine,
        timing=t,
        site=AR.site_constants(scenario, t),
        cfg=AR.controller_vector(scenario),
        src=AR.source_arrays(scenario),
        veh=(vm_soc, vm_pow, vm_e, AR.output_ratings(scenario)),
        ses=(ses, oc, np.full(n_out, -1, dtype=np.int64)),
        state=state,
        ws=workspace(0, engine.P, engine.S, engine.tables, t.step_s),
        outcomes=outcomes,
    )


def run_scenario(
    scenario: Scenario,
    sessions: list[Session],
    progress: Callable[[float], None] | None = None,
    record: bool = False,
) -> SiteResult:
    """Simulate ``scenario`` with ``sessions`` (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    sessions : list of Session
    progress : callable, optional
        Called with the fraction done as the run goes.
    record : bool
        Keep every interval's snapshot and decision in :attr:`SiteResult.record` (tests, replay).
    """
    lp = _prepare(scenario, sessions)
    t = lp.timing
    for note in t.notes:
        log.warning("%s", note)
    per_chunk = max(CHUNK_STEPS // t.steps_per_control, 1)
    mpc = scenario.controller.vehicle_algorithm == "mpc"
    if mpc:  # HiGHS re-plans between compiled chunks; its targets hold within one
        per_chunk = AR.mpc_every(scenario, t)
    rows: list[FloatArray] = []
    recs: list[FloatArray] = []
    terms = np.zeros(4)
    done = 0
    n_out = len(lp.ses[2])
    while done < t.n_control:
        n = min(per_chunk, t.n_control - done)
        inputs = _bus_inputs(scenario, lp, done, n)
        cfg, plan = lp.cfg, np.zeros(n_out)
        if mpc:
            cfg, plan = _mpc_targets(scenario, lp, inputs)
        chunk_rows, demand, rec = _run_chunk(lp, inputs, n, cfg, plan, record)
        rows.append(chunk_rows)
        terms += diesel_terms(demand, t.control_s, scenario.impact)
        if rec is not None:
            recs.append(rec)
        done += n
        if progress is not None:
            progress(done / t.n_control)
    return _result(scenario, lp, rows, terms, np.vstack(recs) if record else None)


def run_scenarios(
    runs: list[tuple[Scenario, list[Session]]], threads: int = 1
) -> list[SiteResult]:
    """Run many scenario variants (e.g. different packs, sessions, seeds) in one call.

    Each variant runs the compiled loop, which releases no Python state between chunks, on one
    of ``threads`` worker threads (numba's compiled code runs without the GIL for the chunk).
    """
    if threads <= 1:
        return [run_scenario(sc, ses) for sc, ses in runs]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda r: run_scenario(*r), runs))


@dataclass(frozen=True)
class _BusInputs:
    """One chunk of inputs as the loop takes them: bus-side availability [W] of each source
    (policy order) × interval, bus-side load per interval [W], ambient per step [°C]."""

    available_w: FloatArray
    load_w: FloatArray
    ambient_c: FloatArray
    price_per_kwh: FloatArray


def _bus_inputs(scenario: Scenario, lp: _Loop, start: int, n: int) -> _BusInputs:
    """Inputs for control intervals ``[start, start + n)`` at the bus
    (:func:`~packlife.site.inputs.build_inputs`)."""
    inputs = build_inputs(scenario, n, lp.timing.control_s, start=start)
    names = [scenario.sources[j].name for j in AR.source_order(scenario)]
    avail = np.zeros((len(names), n))
    for j, (name, eff) in enumerate(zip(names, lp.src[1], strict=True)):
        avail[j] = inputs.available_w[name] * eff
    price = np.asarray(inputs.price_import_per_kwh, dtype=float)
    return _BusInputs(
        avail,
        inputs.load_w / scenario.bess.load_inverter_efficiency,
        np.ascontiguousarray(inputs.ambient_c, dtype=float),
        price if price.shape == (n,) else np.zeros(n),
    )


def _mpc_targets(
    scenario: Scenario, lp: _Loop, inputs: _BusInputs
) -> tuple[FloatArray, FloatArray]:
    """The MPC's first-step targets per output for the next interval (HiGHS, in Python) from the
    same compiled view the loop decides on; on a solver failure LLF decides this interval."""
    from packlife.control.mpc import mpc_plan_w
    from packlife.control.vehicles import OutputArrays
    from packlife.errors import InfeasibleError
    from packlife.simulation.stepping import pack_limits_now

    t, e = lp.timing, lp.engine
    ses, oc, plugged = lp.ses
    ist, prev_pack = lp.state[0], lp.state[1]
    now = float(ist[SL.IST_CTRL]) * t.control_s
    SL.plug_and_leave(ses, oc, plugged, ist, now)
    n, n_out = e.system.n_packs, plugged.shape[0]
    lim = np.zeros((n, K.N_L))
    pack_limits_now(0, t.step_s, e.P, e.S, e.tables, lp.ws, lim)
    joined = (e.P[0, :, K.P_JOINED] >= 0.5).astype(np.int64)
    cap = np.maximum(np.minimum(inputs.available_w[:, 0], lp.src[2]), 0.0)
    res = np.zeros(KN.N_RES)
    budget = KN.vehicle_budget_w(
        t.control_s, lp.cfg, lim[:, K.L_BUS_DIS_W].copy(), lim[:, K.L_BUS_CH_W].copy(),
        lim[:, K.L_E_DIS_WH].copy(), lim[:, K.L_E_CH_WH].copy(), joined, 1 - joined, prev_pack,
        lp.src[0], cap, float(inputs.load_w[0]), np.zeros(n), np.zeros(n),
        np.zeros(n, dtype=np.int64), res,
    )  # fmt: skip
    flags = np.zeros(n_out, dtype=np.int64)
    conn, acc, need, arr, dep = (np.zeros(n_out) for _ in range(5))
    SL.output_view(ses, oc, plugged, *lp.veh, lp.site, now, flags, conn, acc, need, arr, dep)
    active = flags.astype(bool)
    rate = np.where(active, np.maximum(np.minimum(conn, acc), 0.0), 0.0)
    arrays = OutputArrays(
        active, rate, np.minimum(rate, need * 3600.0 / t.control_s), need, arr, dep
    )
    horizon = controller_config(scenario).mpc_horizon_steps
    try:
        return lp.cfg, mpc_plan_w(arrays, now, t.control_s, budget, horizon)[:, 0]
    except InfeasibleError:  # a solver failure must not stop the site: LLF decides
        cfg = lp.cfg.copy()
        cfg[KN.CFG_ALGORITHM] = KN.ALG_LLF
        return cfg, np.zeros(n_out)


def _run_chunk(
    lp: _Loop, inputs: _BusInputs, n: int, cfg: FloatArray, plan: FloatArray, record: bool
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """The compiled loop over ``n`` control intervals."""
    t = lp.timing
    e = lp.engine
    m = inputs.available_w.shape[0]
    eng = e.state_arrays()
    flow_rows = np.zeros((n // t.controls_per_row + 1, SL.N_FL + m))
    demand = np.zeros(n)
    width = SL.rec_width(e.system.n_packs, m, len(lp.ses[2]))
    rec = np.zeros((n if record else 0, width))
    n_rows = SL.run_site_chunk(
        n, lp.site, cfg, eng, e.tables, lp.ws, (*lp.src, inputs.available_w, inputs.price_per_kwh),
        inputs.load_w,
        inputs.ambient_c, lp.veh, lp.ses, lp.state, plan, flow_rows, demand, rec,
    )  # fmt: skip
    e.advance_clock(n * t.steps_per_control)
    return flow_rows[:n_rows], demand, rec if record else None


def _result(
    scenario: Scenario,
    lp: _Loop,
    rows: list[FloatArray],
    terms: FloatArray,
    record: FloatArray | None,
) -> SiteResult:
    """Collect the loop's arrays into a :class:`SiteResult`."""
    t = lp.timing
    order = AR.source_order(scenario)
    names = [scenario.sources[j].name for j in order]
    _, oc, _ = lp.ses
    end_s = t.n_control * t.control_s
    for i, o in enumerate(lp.outcomes):
        o.output = int(oc[i, SL.OC_OUTPUT])
        o.plug_in_s = float(oc[i, SL.OC_PLUG_S])
        o.leave_s = float(oc[i, SL.OC_LEAVE_S])
        o.energy_delivered_wh = float(oc[i, SL.OC_DELIVERED_WH])
        o.fully_charged = bool(oc[i, SL.OC_FULL] > 0.5)
        o.charged_s = float(oc[i, SL.OC_CHARGED_S])
        if o.output >= 0 and np.isnan(o.leave_s):
            o.leave_s = end_s  # still plugged in at the end
    bk, src_bk = lp.state[3], lp.state[4]
    return SiteResult(
        scenario=scenario,
        engine=lp.engine.result(),
        source_energy_wh={s.name: float(src_bk[names.index(s.name), 0]) for s in scenario.sources},
        source_bus_energy_wh={
            s.name: float(src_bk[names.index(s.name), 1]) for s in scenario.sources
        },
        vehicles_energy_wh=float(bk[SL.BK_VEHICLES]),
        loads_energy_wh=float(bk[SL.BK_LOADS]),
        unserved_load_wh=float(bk[SL.BK_UNSERVED]),
        curtailed_wh=float(bk[SL.BK_CURTAILED]),
        site_converter_loss_wh=float(bk[SL.BK_CONV_LOSS]),
        outcomes=lp.outcomes,
        flows=_flow_frame(scenario, rows, names, t.output_s),
        diesel_terms=terms,
        control_interval_s=t.control_s,
        limit_counts=_limit_counts(scenario, lp, names),
        pack_shortfall_wh=lp.engine.state_arrays()[4][0].copy(),
        notes=t.notes,
        record=record,
        pack_converters=lp.engine.P[0][:, [K.P_CONV_RATED_W, K.P_CONV_K0, K.P_CONV_K2]].copy(),
    )


def _limit_counts(scenario: Scenario, lp: _Loop, names: list[str]) -> dict[str, int]:
    """Intervals in which each limit bound, keyed by who bound (as :func:`decide` words it)."""
    cnt_pk, cnt_out, cnt_src, cnt_site = lp.state[5], lp.state[6], lp.state[7], lp.state[8]
    ramp = controller_config(scenario).pack_ramp_w_per_s
    ratings = AR.output_ratings(scenario)
    counts: dict[str, int] = {}

    def add(key: str, value: int) -> None:
        if value > 0:
            counts[key] = counts.get(key, 0) + int(value)

    for i in range(cnt_pk.shape[0]):
        for code in range(1, cnt_pk.shape[1]):
            add(pack_reason(i, code, "", ramp), cnt_pk[i, code])
    for k in range(cnt_out.shape[0]):
        for code in range(1, cnt_out.shape[1]):
            add(output_reason(k, code, float(ratings[k])), cnt_out[k, code])
    for j, name in enumerate(names):
        for code in range(1, cnt_src.shape[1]):
            add(source_reason(name, code, lp.src[2][j])[1], cnt_src[j, code])
    add(LOAD_REASON, cnt_site[SL.CNT_LOAD])
    add(BUDGET_REASON, cnt_site[SL.CNT_BUDGET])
    return counts


def _flow_frame(
    scenario: Scenario, rows: list[FloatArray], names: list[str], output_interval_s: float
) -> pd.DataFrame:
    """Site flows per output interval, sources in scenario order."""
    data = np.vstack(rows) if rows else np.zeros((0, SL.N_FL + len(names)))
    cols = list(FLOW_COLUMNS) + [f"source_{s.name}_power_w" for s in scenario.sources]
    src_cols = [SL.N_FL + names.index(s.name) for s in scenario.sources]
    frame = pd.DataFrame(data[:, list(range(SL.N_FL)) + src_cols], columns=cols)
    start = pd.Timestamp(scenario.simulation.start)
    frame.insert(
        0,
        "time",
        start + pd.to_timedelta((np.arange(len(frame)) + 1) * output_interval_s, unit="s"),
    )
    return frame
