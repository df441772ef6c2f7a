"""The controller's view of a live site as a :class:`~packlife.control.types.SiteSnapshot`.

The live service (:mod:`packlife.serve`) turns what its devices report — pack limits, what each
input can supply on its own side, the vehicles on the outputs — into the snapshot
:func:`packlife.control.controller.decide` takes, with the simulator's conventions and the
simulator's own parameters (input efficiencies and controller settings from
:mod:`packlife.site.arrays`, pack converter parameters from the system the engine builds). All
powers in the snapshot are at the DC bus: inputs after their converter, outputs and the load before
theirs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from packlife._typing import FloatArray
from packlife.control.types import (
    OutputState,
    PackLimits,
    Setpoints,
    SiteSnapshot,
    SourceState,
)
from packlife.site.scenario import Scenario


def converter_parameters(scenario: Scenario) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Each pack converter's rating [W] and Notton loss coefficients k0, k2, as the simulator
    builds them from the scenario's packs (so the live split runs the same converters)."""
    from packlife.simulation import layout as K
    from packlife.simulation.system import build_systems

    P = build_systems([list(scenario.bess.packs)]).P
    return (
        P[0, :, K.P_CONV_RATED_W].copy(),
        P[0, :, K.P_CONV_K0].copy(),
        P[0, :, K.P_CONV_K2].copy(),
    )


def bus_sources(
    scenario: Scenario, available_w: Mapping[str, float], efficiency: Mapping[str, float]
) -> tuple[SourceState, ...]:
    """Every input seen from the bus; ``available_w`` is what it can supply on its own side [W]."""
    return tuple(
        SourceState(
            name=s.name,
            kind=s.kind,
            available_power_w=float(available_w[s.name]) * efficiency[s.name],
            max_power_w=s.max_power_kw * 1000.0 * efficiency[s.name],
            priority=s.priority,
        )
        for s in scenario.sources
    )


def to_bus_side(state: OutputState, eta_out: float) -> OutputState:
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


def idle_output(scenario: Scenario, rating_w: float) -> OutputState:
    """A free output of ``rating_w`` (vehicle side, :func:`packlife.site.config.output_ratings_w`),
    from the bus."""
    return OutputState(connector_max_power_w=rating_w / _eta_out(scenario))


def measured_output(
    scenario: Scenario,
    rating_w: float,
    session_id: str,
    soc: float,
    energy_needed_wh: float,
    arrival_s: float,
    departure_s: float,
    acceptance_max_power_w: float,
) -> OutputState:
    """An output whose vehicle is known only by what the charger reports (no model curve)."""
    conn = rating_w
    side = OutputState(
        connector_max_power_w=conn,
        session_id=session_id,
        vehicle_soc=soc,
        energy_needed_wh=energy_needed_wh,
        arrival_s=arrival_s,
        departure_s=departure_s,
        acceptance_max_power_w=min(acceptance_max_power_w, conn),
    )
    return to_bus_side(side, _eta_out(scenario))


def pack_limits(
    soc: FloatArray,
    max_discharge_power_w: FloatArray,
    max_charge_power_w: FloatArray,
    usable_discharge_energy_wh: FloatArray,
    usable_charge_energy_wh: FloatArray,
    joined: Sequence[bool] | FloatArray,
    converters: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> PackLimits:
    """Pack limits at the bus; a pack not joined counts as faulted (it carries no power).

    ``converters`` are :func:`converter_parameters` (with them the split runs only as many pack
    converters as minimise their losses, as in the simulator)."""
    ok = np.asarray(joined, dtype=bool)
    return PackLimits(
        soc=np.asarray(soc, dtype=float),
        max_discharge_power_w=np.asarray(max_discharge_power_w, dtype=float),
        max_charge_power_w=np.asarray(max_charge_power_w, dtype=float),
        usable_discharge_energy_wh=np.asarray(usable_discharge_energy_wh, dtype=float),
        usable_charge_energy_wh=np.asarray(usable_charge_energy_wh, dtype=float),
        joined=ok,
        faulted=~ok,
        converter_rated_w=converters[0] if converters else None,
        converter_k0=converters[1] if converters else None,
        converter_k2=converters[2] if converters else None,
    )


def site_snapshot(
    scenario: Scenario,
    time_s: float,
    step_s: float,
    packs: PackLimits,
    sources: tuple[SourceState, ...],
    outputs: Sequence[OutputState],
    load_w: float,
    previous: Setpoints | None,
    import_price_per_kwh: float = 0.0,
) -> SiteSnapshot:
    """Freeze one cycle's view; ``load_w`` is the AC site load [W] (served through the inverter)."""
    return SiteSnapshot(
        time_s=time_s,
        step_s=step_s,
        packs=packs,
        sources=sources,
        outputs=tuple(outputs),
        load_power_w=float(load_w) / scenario.bess.load_inverter_efficiency,
        previous=previous,
        import_price_per_kwh=import_price_per_kwh,
    )


def _eta_out(scenario: Scenario) -> float:
    return scenario.bess.output_efficiency
