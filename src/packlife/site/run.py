"""The main job: run a scenario — packs, inputs, controller and vehicles — through the engine.

Each control interval the site builds a :class:`~packlife.control.types.SiteSnapshot` from the
engine's pack limits, the inputs available now and the vehicles plugged in, asks the one controller
code path (:func:`packlife.control.controller.decide`) for setpoints, and lets the engine advance
the packs with the BESS power those setpoints need. All powers given to the controller are at the
DC bus: input powers after their converters, output powers before theirs. If the packs deliver
less than asked (a limit reached inside the interval) the outputs are reduced in proportion; if they
absorb less, the inputs are reduced (grid first, then PV is curtailed).

Site energy balance (kWh, reported and checked)::

    Σ inputs (AC/DC side) = vehicles + loads + losses (site converters + BESS) + Δ stored
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
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
from packlife.simulation.engine import Engine, EngineConfig, EngineSnapshot
from packlife.simulation.result import SimulationResult
from packlife.simulation.system import PackSpec, build_systems
from packlife.site.inputs import SiteInputs, build_inputs
from packlife.site.scenario import Scenario
from packlife.site.sessions import Session

#: A session counts as fully charged within this much of its target [Wh]: the packs' current solve
#: converges to ~1e-6 of the step power, which must not leave a vehicle a few mWh short for ever.
_FULL_TOLERANCE_WH = 1.0

#: Column order of the site flow trace (means over each output interval, W unless noted).
FLOW_COLUMNS = (
    "vehicles_power_w",
    "loads_power_w",
    "bess_power_w",
    "curtailed_power_w",
    "vehicles_charging",
    "ambient_temperature_c",
)


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
    """Everything a run produced (see :mod:`packlife.site.summary` for the numbers users read)."""

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
    demand_power_w: FloatArray
    control_interval_s: float
    limit_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Books:
    """Running sums of the site loop."""

    source_ac_wh: dict[str, float]
    source_bus_wh: dict[str, float]
    vehicles_wh: float = 0.0
    loads_wh: float = 0.0
    unserved_load_wh: float = 0.0
    curtailed_wh: float = 0.0
    conv_loss_wh: float = 0.0
    limit_counts: dict[str, int] = field(default_factory=dict)


def run_scenario(
    scenario: Scenario,
    sessions: list[Session],
    progress: Callable[[float], None] | None = None,
) -> SiteResult:
    """Simulate ``scenario`` with ``sessions``; ``progress(fraction)`` is called as it runs."""
    sim = scenario.simulation
    step_s = sim.step_s
    ctrl_s = sim.control_interval_s or step_s
    n_ctrl = int(round(sim.days * 86400.0 / ctrl_s))
    steps_per_ctrl = int(round(ctrl_s / step_s))
    packs = _pack_specs(scenario)
    engine = Engine(
        build_systems([packs], ambient_c=scenario.ambient.mean_temperature_c),
        EngineConfig(dt_s=step_s, output_interval_s=sim.output_interval_s, ageing=sim.ageing),
        max_duration_s=n_ctrl * ctrl_s,
    )
    inputs = build_inputs(scenario, n_ctrl, ctrl_s)
    cfg = ControllerConfig(
        vehicle_algorithm=scenario.controller.vehicle_algorithm,
        pack_split=scenario.controller.pack_split,
        min_output_power_w=scenario.controller.min_output_power_kw * 1000.0,
    )
    books = _Books({s.name: 0.0 for s in scenario.sources}, {s.name: 0.0 for s in scenario.sources})
    outcomes = [SessionOutcome(s) for s in sorted(sessions, key=lambda s: s.arrival_s)]
    n_out = scenario.vehicles.outputs if scenario.vehicles else 0
    plugged: list[SessionOutcome | None] = [None] * n_out
    queue_pos = 0
    flows_sum = np.zeros(len(FLOW_COLUMNS) + len(scenario.sources))
    per_out = max(int(round(sim.output_interval_s / ctrl_s)), 1)
    flow_rows: list[FloatArray] = []
    demand = np.zeros(n_ctrl)
    previous: Setpoints | None = None
    for c in range(n_ctrl):
        t = c * ctrl_s
        queue_pos = _plug_in(outcomes, plugged, queue_pos, t)
        _leave(plugged, t)
        snap = engine.snapshot()
        site_snap = _site_snapshot(scenario, inputs, snap, plugged, t, ctrl_s, c, previous)
        sp = decide(site_snap, cfg)
        for reason in sp.limits:
            books.limit_counts[reason.source] = books.limit_counts.get(reason.source, 0) + 1
        amb = inputs.ambient_c[c * steps_per_ctrl : (c + 1) * steps_per_ctrl]
        delivered = engine.advance(np.full((1, steps_per_ctrl), sp.bess_power_w), amb)[0]
        flows = _book_interval(
            scenario, inputs.efficiency, books, sp, delivered, step_s, plugged, t + ctrl_s
        )
        demand[c] = flows[0] + flows[1]
        flows_sum[: len(flows)] += flows
        flows_sum[5] += float(np.mean(amb))
        if (c + 1) % per_out == 0:
            flow_rows.append(flows_sum / per_out)
            flows_sum = np.zeros_like(flows_sum)
        previous = sp
        if progress is not None and c % 500 == 0:
            progress(c / n_ctrl)
    end_s = n_ctrl * ctrl_s
    for oc in plugged:
        if oc is not None:
            oc.leave_s = end_s
    if progress is not None:
        progress(1.0)
    return SiteResult(
        scenario=scenario,
        engine=engine.result(),
        source_energy_wh=books.source_ac_wh,
        source_bus_energy_wh=books.source_bus_wh,
        vehicles_energy_wh=books.vehicles_wh,
        loads_energy_wh=books.loads_wh,
        unserved_load_wh=books.unserved_load_wh,
        curtailed_wh=books.curtailed_wh,
        site_converter_loss_wh=books.conv_loss_wh,
        outcomes=outcomes,
        flows=_flow_frame(scenario, flow_rows, sim.output_interval_s),
        demand_power_w=demand,
        control_interval_s=ctrl_s,
        limit_counts=books.limit_counts,
    )


def _pack_specs(scenario: Scenario) -> list[PackSpec]:
    soc = scenario.bess.soc_initial
    if soc is None:
        return list(scenario.bess.packs)
    return [p.model_copy(update={"soc_initial": soc}) for p in scenario.bess.packs]


def _plug_in(
    outcomes: list[SessionOutcome], plugged: list[SessionOutcome | None], pos: int, t: float
) -> int:
    """Plug arrived vehicles into free outputs in arrival order; a vehicle whose departure passed
    while it waited leaves unserved. Returns the index of the first session not yet handled."""
    while pos < len(outcomes) and outcomes[pos].session.arrival_s <= t:
        oc = outcomes[pos]
        if oc.session.departure_s <= t:
            oc.leave_s = oc.session.departure_s
            pos += 1
            continue
        free = [k for k, p in enumerate(plugged) if p is None]
        if not free:
            break
        plugged[free[0]] = oc
        oc.output = free[0]
        oc.plug_in_s = t
        pos += 1
    return pos


def _leave(plugged: list[SessionOutcome | None], t: float) -> None:
    """Unplug vehicles whose departure time has come."""
    for k, oc in enumerate(plugged):
        if oc is not None and oc.session.departure_s <= t:
            oc.leave_s = t
            plugged[k] = None


def _pack_limits(snap: EngineSnapshot) -> PackLimits:
    joined = snap.joined[0] > 0.5
    return PackLimits(
        soc=snap.soc[0],
        max_discharge_power_w=snap.bus_discharge_limit_w[0],
        max_charge_power_w=snap.bus_charge_limit_w[0],
        usable_discharge_energy_wh=snap.usable_discharge_energy_wh[0],
        usable_charge_energy_wh=snap.usable_charge_energy_wh[0],
        joined=joined,
        faulted=~joined,
    )


def _site_snapshot(
    scenario: Scenario,
    inputs: SiteInputs,
    snap: EngineSnapshot,
    plugged: list[SessionOutcome | None],
    t: float,
    ctrl_s: float,
    c: int,
    previous: Setpoints | None,
) -> SiteSnapshot:
    """The controller's view at time ``t``: bus-side powers of inputs, outputs and load."""
    sources = tuple(
        SourceState(
            name=s.name,
            kind=s.kind,
            available_power_w=float(inputs.available_w[s.name][c]) * inputs.efficiency[s.name],
            max_power_w=s.max_power_kw * 1000.0 * inputs.efficiency[s.name],
            priority=s.priority,
        )
        for s in scenario.sources
    )
    eta_out = scenario.bess.output_efficiency
    outputs = []
    conn_w = (scenario.vehicles.connector_max_kw if scenario.vehicles else 0.0) * 1000.0
    for oc in plugged:
        if oc is None:
            outputs.append(OutputState(connector_max_power_w=conn_w / eta_out))
            continue
        s = oc.session
        model = VEHICLE_MODELS[s.vehicle_model]
        soc = s.soc_arrival + oc.energy_delivered_wh / (model.usable_energy_kwh * 1000.0)
        vehicle_side = model.output_state(
            conn_w,
            s.session_id,
            soc,
            max(s.energy_needed_wh - oc.energy_delivered_wh, 0.0),
            s.arrival_s,
            s.departure_s,
        )
        outputs.append(_to_bus_side(vehicle_side, eta_out))
    load_bus = float(inputs.load_w[c]) / scenario.bess.load_inverter_efficiency
    return SiteSnapshot(
        time_s=t,
        step_s=ctrl_s,
        packs=_pack_limits(snap),
        sources=sources,
        outputs=tuple(outputs),
        load_power_w=load_bus,
        previous=previous,
    )


def _to_bus_side(state: OutputState, eta_out: float) -> OutputState:
    """An output seen from the DC bus: powers and energies before the output converter."""
    curve = state.acceptance_curve
    if curve is not None:
        curve = (curve[0], tuple(p / eta_out for p in curve[1]))
    return replace(
        state,
        connector_max_power_w=state.connector_max_power_w / eta_out,
        energy_needed_wh=state.energy_needed_wh / eta_out,
        acceptance_max_power_w=state.acceptance_max_power_w / eta_out,
        vehicle_energy_wh=state.vehicle_energy_wh / eta_out,
        acceptance_curve=curve,
    )


def _book_interval(
    scenario: Scenario,
    eff: dict[str, float],
    books: _Books,
    sp: Setpoints,
    delivered_w: FloatArray,
    step_s: float,
    plugged: list[SessionOutcome | None],
    t_end: float,
) -> FloatArray:
    """Reconcile setpoints with what the packs did, book energies, advance the vehicles.

    Returns the interval's mean flows in :data:`FLOW_COLUMNS` order (without ambient), followed by
    each source's mean input power.
    """
    n = delivered_w.size
    dur_h = n * step_s / 3600.0
    bess_bus_wh = float(np.sum(delivered_w)) * step_s / 3600.0
    asked_wh = sp.bess_power_w * dur_h
    sinks_bus_wh = (float(np.sum(sp.output_power_w)) + sp.load_served_w) * dur_h
    src_bus = {k: v * dur_h for k, v in sp.source_power_w.items()}
    out_scale = 1.0
    if asked_wh > 0 and bess_bus_wh < asked_wh:
        # packs delivered less: sinks get less, in proportion
        avail = sum(src_bus.values()) + bess_bus_wh
        out_scale = max(avail, 0.0) / sinks_bus_wh if sinks_bus_wh > 0 else 1.0
    elif asked_wh < 0 and bess_bus_wh > asked_wh:
        _reduce_sources(scenario, src_bus, bess_bus_wh - asked_wh)
    out_bus_wh = sp.output_power_w * dur_h * out_scale
    load_bus_wh = sp.load_served_w * dur_h * out_scale
    eta_out = scenario.bess.output_efficiency
    eta_load = scenario.bess.load_inverter_efficiency
    veh_wh = out_bus_wh * eta_out
    books.vehicles_wh += float(veh_wh.sum())
    books.loads_wh += load_bus_wh * eta_load
    books.unserved_load_wh += sp.unserved_load_w * dur_h + sp.load_served_w * dur_h * (
        1 - out_scale
    )
    books.curtailed_wh += sp.curtailed_w * dur_h
    books.conv_loss_wh += float(out_bus_wh.sum()) * (1 - eta_out) + load_bus_wh * (1 - eta_load)
    for name, e_bus in src_bus.items():
        e_in = e_bus / eff[name] if e_bus >= 0 else e_bus * eff[name]
        books.source_ac_wh[name] += e_in
        books.source_bus_wh[name] += e_bus
        books.conv_loss_wh += abs(e_in - e_bus)
    charging = _advance_vehicles(plugged, veh_wh, t_end)
    flows = [
        float(veh_wh.sum()) / dur_h,
        load_bus_wh * eta_load / dur_h,
        bess_bus_wh / dur_h,
        sp.curtailed_w,
        float(charging),
    ]
    for name in (s.name for s in scenario.sources):
        e_bus = src_bus.get(name, 0.0)
        flows.append((e_bus / eff[name] if e_bus >= 0 else e_bus * eff[name]) / dur_h)
    return np.array([*flows[:5], 0.0, *flows[5:]])


def _reduce_sources(scenario: Scenario, src_bus: dict[str, float], excess_wh: float) -> None:
    """Take ``excess_wh`` the packs did not absorb off the inputs: grid/DC, PV, then generator."""
    rank = {"grid": 0, "dc_charger": 0, "pv": 1, "generator": 2}
    for s in sorted(scenario.sources, key=lambda s: rank[s.kind]):
        if excess_wh <= 0:
            break
        take = min(max(src_bus.get(s.name, 0.0), 0.0), excess_wh)
        src_bus[s.name] = src_bus.get(s.name, 0.0) - take
        excess_wh -= take


def _advance_vehicles(
    plugged: list[SessionOutcome | None], veh_wh: FloatArray, t_end: float
) -> int:
    """Add each output's energy to its vehicle; a vehicle that reached its target leaves."""
    charging = 0
    for k, oc in enumerate(plugged):
        if oc is None:
            continue
        if veh_wh[k] > 0:
            charging += 1
        oc.energy_delivered_wh += float(veh_wh[k])
        if oc.energy_delivered_wh >= oc.session.energy_needed_wh - _FULL_TOLERANCE_WH:
            oc.fully_charged = True
            oc.charged_s = t_end
            oc.leave_s = t_end
            plugged[k] = None
    return charging


def _flow_frame(
    scenario: Scenario, rows: list[FloatArray], output_interval_s: float
) -> pd.DataFrame:
    cols = list(FLOW_COLUMNS) + [f"source_{s.name}_power_w" for s in scenario.sources]
    data = np.vstack(rows) if rows else np.zeros((0, len(cols)))
    frame = pd.DataFrame(data, columns=cols)
    start = pd.Timestamp(scenario.simulation.start)
    frame.insert(
        0,
        "time",
        start + pd.to_timedelta((np.arange(len(frame)) + 1) * output_interval_s, unit="s"),
    )
    return frame
