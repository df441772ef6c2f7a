"""A scenario laid out as the arrays of the compiled site loop
(:mod:`packlife.simulation.site_loop`).

Everything here is preparation: sessions sorted by arrival, vehicle acceptance tables, sources in
the controller's policy order with their converter efficiencies, the site constants and the
controller settings. Nothing decides anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray, IntArray
from packlife.control import kernels as KN
from packlife.control.controller import config_vector
from packlife.control.sources import policy_order
from packlife.control.types import SourceState
from packlife.control.vehicles import VEHICLE_MODELS
from packlife.errors import ConsistencyError
from packlife.simulation import site_loop as SL
from packlife.site.config import controller_config, output_ratings_w
from packlife.site.scenario import Scenario
from packlife.site.sessions import Session

#: Ageing is applied about this often [s] (a whole number of steps; at least one step).
AGEING_INTERVAL_TARGET_S = 3600.0
#: Rank in which inputs give way when the packs absorb less than planned: grid / DC first.
REDUCE_RANK = {"grid": 0, "dc_charger": 0, "pv": 1, "generator": 2}


@dataclass(frozen=True)
class Timing:
    """Steps of a run, derived from the scenario (all whole multiples of the engine step)."""

    step_s: float
    control_s: float
    steps_per_control: int
    n_control: int
    output_s: float
    controls_per_row: int
    ageing_s: float
    notes: tuple[str, ...]


def timing(scenario: Scenario) -> Timing:
    """Step, control interval, output interval and ageing interval of a run.

    The output interval is rounded to a whole number of control intervals and the ageing interval
    to a whole number of steps near one hour; each adjustment is reported in ``notes``. A run of
    less than one control interval is refused.
    """
    sim = scenario.simulation
    step_s = float(sim.step_s)
    ctrl_s = float(sim.control_interval_s or step_s)
    spc = int(round(ctrl_s / step_s))
    n_ctrl = int(math.floor(sim.days * 86400.0 / ctrl_s + 1e-9))
    if n_ctrl < 1:
        raise ConsistencyError(
            f"simulation.days = {sim.days} is shorter than one control interval ({ctrl_s:g} s)"
        )
    notes = []
    per_row = max(int(round(sim.output_interval_s / ctrl_s)), 1)
    out_s = per_row * ctrl_s
    if abs(out_s - sim.output_interval_s) > 1e-9:
        notes.append(
            f"output interval {sim.output_interval_s:g} s rounded to {out_s:g} s "
            f"(a whole number of {ctrl_s:g}-s control intervals)"
        )
    age_steps = max(int(round(AGEING_INTERVAL_TARGET_S / step_s)), 1)
    if abs(n_ctrl * ctrl_s - sim.days * 86400.0) > 1e-6:
        notes.append(
            f"run length {sim.days:g} d rounded down to {n_ctrl} control intervals "
            f"({n_ctrl * ctrl_s / 86400.0:g} d)"
        )
    return Timing(step_s, ctrl_s, spc, n_ctrl, out_s, per_row, age_steps * step_s, tuple(notes))


def controller_vector(scenario: Scenario) -> FloatArray:
    """The controller settings as the kernels' ``cfg`` array (converter rules on)."""
    return config_vector(controller_config(scenario), concentrate=True)


def input_efficiencies(scenario: Scenario) -> dict[str, float]:
    """Each input's efficiency to the DC bus."""
    b = scenario.bess
    by_kind = {
        "grid": b.grid_inverter_efficiency,
        "pv": b.grid_inverter_efficiency,
        "generator": b.grid_inverter_efficiency,
        "dc_charger": b.dc_inlet_efficiency,
    }
    return {s.name: by_kind[s.kind] for s in scenario.sources}


def source_order(scenario: Scenario) -> list[int]:
    """Scenario source indices in the controller's policy order."""
    states = tuple(
        SourceState(s.name, s.kind, 0.0, 0.0, s.priority) for s in scenario.sources
    )
    return policy_order(states)


def source_arrays(scenario: Scenario) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """Kind code, efficiency, bus-side rating [W] and give-way order, in policy order."""
    order = source_order(scenario)
    eff = input_efficiencies(scenario)
    srcs = [scenario.sources[j] for j in order]
    kind = np.array([KN.KIND_CODES[s.kind] for s in srcs], dtype=np.int64)
    efficiency = np.array([eff[s.name] for s in srcs])
    max_bus = np.array([s.max_power_kw * 1000.0 * eff[s.name] for s in srcs])
    reduce = sorted(range(len(srcs)), key=lambda j: REDUCE_RANK[srcs[j].kind])
    return kind, efficiency, max_bus, np.array(reduce, dtype=np.int64)


def vehicle_tables() -> tuple[list[str], FloatArray, FloatArray, FloatArray]:
    """Model ids and, per model, acceptance curve points (SoC, W) and usable energy [Wh]."""
    ids = list(VEHICLE_MODELS)
    n_pts = max(len(m.soc) for m in VEHICLE_MODELS.values())
    soc = np.zeros((len(ids), n_pts))
    power = np.zeros((len(ids), n_pts))
    for i, mid in enumerate(ids):
        m = VEHICLE_MODELS[mid]
        k = len(m.soc)
        soc[i, :k] = m.soc
        power[i, :k] = np.array(m.dc_power_kw) * 1000.0
        soc[i, k:] = m.soc[-1] + np.arange(1, n_pts - k + 1)  # padding beyond SoC 1
        power[i, k:] = power[i, k - 1]
    energy = np.array([VEHICLE_MODELS[i].usable_energy_kwh * 1000.0 for i in ids])
    return ids, soc, power, energy


def session_arrays(sessions: list[Session], model_ids: list[str]) -> FloatArray:
    """``SES[n, N_SES]`` of sessions already sorted by arrival."""
    ses = np.zeros((len(sessions), SL.N_SES))
    for i, s in enumerate(sessions):
        ses[i] = (
            s.arrival_s,
            s.departure_s,
            s.energy_needed_wh,
            s.soc_arrival,
            model_ids.index(s.vehicle_model),
        )
    return ses


def site_constants(scenario: Scenario, t: Timing) -> FloatArray:
    """``SITE[N_SITE]``: steps, efficiencies, ageing and output intervals."""
    site = np.zeros(SL.N_SITE)
    site[SL.SITE_DT_S] = t.step_s
    site[SL.SITE_CTRL_S] = t.control_s
    site[SL.SITE_STEPS_PER_CTRL] = t.steps_per_control
    site[SL.SITE_PER_ROW] = t.controls_per_row
    site[SL.SITE_ETA_OUT] = scenario.bess.output_efficiency
    site[SL.SITE_ETA_LOAD] = scenario.bess.load_inverter_efficiency
    site[SL.SITE_AGE_EVERY] = int(round(t.ageing_s / t.step_s))
    site[SL.SITE_OUT_EVERY] = int(round(t.output_s / t.step_s))
    site[SL.SITE_AGEING] = 1.0 if scenario.simulation.ageing else 0.0
    return site


def mpc_every(scenario: Scenario, t: Timing) -> int:
    """Control intervals per MPC plan: ``controller.mpc_interval_s`` (default: the control
    interval, at least 60 s) as a whole number of control intervals (at least one)."""
    wanted = scenario.controller.mpc_interval_s or max(t.control_s, 60.0)
    return max(int(round(wanted / t.control_s)), 1)


def output_ratings(scenario: Scenario) -> FloatArray:
    """Each output's charger rating at the vehicle side [W]."""
    return np.array(output_ratings_w(scenario), dtype=float)
