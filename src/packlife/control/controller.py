"""The one controller code path: ``decide(snapshot, config) -> Setpoints``.

Order of one cycle (a pure function of the snapshot; nothing is kept between calls except what
the caller passes back in ``snapshot.previous``):

1. **Pack limits**: a pack carries power only if joined and not faulted; its limits are its
   derated power limits, capped by the energy it has left over the step (so no pack goes below
   its minimum or above its maximum SoC) and by the ramp limit from last cycle's power.
2. **Load**: the site load is served first, from everything including the generator.
3. **Vehicles**: the budget is what packs and inputs can supply less the served load (the
   generator only if ``use_generator_for_vehicles``); the chosen algorithm splits it over the
   outputs (:mod:`packlife.control.vehicles`, :mod:`packlife.control.mpc`).
4. **Sources**: PV first, grid/DC charger to cover and refill, packs, generator last
   (:func:`packlife.control.sources.dispatch_sources`); then the deadband.
5. **Packs**: the net BESS power is split by usable energy with water-filling
   (:func:`packlife.control.pack_allocation.allocate_by_weight`) or by least I²R loss.

Power balance (DC bus, lossless; converter efficiencies are the engine's business)::

    sum(source_power_w) + bess_power_w == sum(output_power_w) + load_served_w
"""

from __future__ import annotations

import numpy as np

from packlife._typing import FloatArray
from packlife.control.pack_allocation import allocate_by_weight, allocate_min_loss, ramp_limited_w
from packlife.control.sources import KIND_RANK, dispatch_sources, source_capacity_w
from packlife.control.types import (
    ControllerConfig,
    LimitReason,
    OutputState,
    PackLimits,
    Setpoints,
    SiteSnapshot,
)
from packlife.control.vehicles import allocate_outputs, output_arrays
from packlife.units import SECONDS_PER_HOUR

_TOL_W = 1e-6


def effective_pack_limits_w(
    packs: PackLimits,
    step_s: float,
    previous_pack_w: FloatArray | None,
    ramp_w_per_s: float,
) -> tuple[FloatArray, FloatArray, list[LimitReason]]:
    """Discharge and charge limits per pack for this step, with the reason of each cap.

    ``min(derated limit, energy left / step, last power + ramp·step)``; zero for packs that are
    not joined or are faulted.
    """
    ok = packs.joined & ~packs.faulted
    energy_dis = packs.usable_discharge_energy_wh * SECONDS_PER_HOUR / step_s
    energy_chg = packs.usable_charge_energy_wh * SECONDS_PER_HOUR / step_s
    dis = np.where(ok, np.minimum(packs.max_discharge_power_w, energy_dis), 0.0)
    chg = np.where(ok, np.minimum(packs.max_charge_power_w, energy_chg), 0.0)
    dis = np.maximum(dis, 0.0)
    chg = np.maximum(chg, 0.0)
    reasons: list[LimitReason] = []
    for i in np.flatnonzero(packs.faulted):
        reasons.append(LimitReason("pack power", 0.0, f"pack {i + 1} faulted (isolated)"))
    for i in np.flatnonzero(~packs.joined & ~packs.faulted):
        reasons.append(LimitReason("pack power", 0.0, f"pack {i + 1} not joined"))
    if previous_pack_w is not None:
        dis = ramp_limited_w(dis, previous_pack_w, ramp_w_per_s, step_s, discharge=True)
        chg = ramp_limited_w(chg, previous_pack_w, ramp_w_per_s, step_s, discharge=False)
    return dis, chg, reasons


def _pack_reasons(
    packs: PackLimits,
    pack_w: FloatArray,
    dis: FloatArray,
    chg: FloatArray,
    step_s: float,
    ramp_w_per_s: float,
) -> list[LimitReason]:
    """A reason for every pack running at its limit."""
    out: list[LimitReason] = []
    for i in range(pack_w.shape[0]):
        p = pack_w[i]
        if p > _TOL_W:
            lim, rated = dis[i], packs.max_discharge_power_w[i]
            energy = packs.usable_discharge_energy_wh[i] * SECONDS_PER_HOUR / step_s
        elif p < -_TOL_W:
            lim, rated = chg[i], packs.max_charge_power_w[i]
            energy = packs.usable_charge_energy_wh[i] * SECONDS_PER_HOUR / step_s
        else:
            continue
        if abs(p) < lim - max(1.0, 1e-6 * lim):
            continue
        if lim >= rated - _TOL_W:
            note = packs.limit_notes[i] if packs.limit_notes else "derated limit"
            why = f"pack {i + 1} {note}"
        elif lim >= energy - _TOL_W:
            why = f"pack {i + 1} SoC window (energy left)"
        else:
            why = f"pack {i + 1} ramp ({ramp_w_per_s / 1000:.1f} kW/s)"
        out.append(LimitReason("pack power", float(lim), why))
    return out


def _output_reasons(
    outputs: tuple[OutputState, ...],
    power_w: FloatArray,
    upper_w: FloatArray,
    active: np.ndarray,
    budget_w: float,
    step_s: float,
) -> list[LimitReason]:
    out: list[LimitReason] = []
    short = False
    for k, o in enumerate(outputs):
        if not active[k]:
            continue
        if power_w[k] >= upper_w[k] - max(1.0, 1e-6 * upper_w[k]):
            energy_w = o.energy_needed_wh * SECONDS_PER_HOUR / step_s
            bound = min(o.connector_max_power_w, o.acceptance_max_power_w, energy_w)
            if bound == o.connector_max_power_w:
                why = f"connector {k + 1} ({o.connector_max_power_w / 1000:.0f} kW)"
            elif bound == o.acceptance_max_power_w:
                why = f"vehicle on output {k + 1} acceptance curve"
            else:
                why = f"session on output {k + 1} energy remaining"
            out.append(LimitReason("output power", float(upper_w[k]), why))
        else:
            short = True
    if short:
        out.append(LimitReason("output total", budget_w, "site budget (packs + inputs − load)"))
    return out


def decide(snapshot: SiteSnapshot, config: ControllerConfig) -> Setpoints:
    """Setpoints for one control interval (see the module docstring for the order and balance).

    Parameters
    ----------
    snapshot : SiteSnapshot
        Frozen state of the site at the start of the interval.
    config : ControllerConfig
        Algorithm choices and limits.

    Returns
    -------
    Setpoints
        Output, source and pack powers [W], curtailment and every limit that bound.
    """
    snap, cfg = snapshot, config
    packs = snap.packs
    prev = snap.previous
    prev_pack = prev.pack_power_w if prev is not None else None
    dis, chg, limits = effective_pack_limits_w(packs, snap.step_s, prev_pack, cfg.pack_ramp_w_per_s)
    pack_dis_cap = float(dis.sum())
    pack_chg_cap = float(chg.sum())

    caps = {s.name: source_capacity_w(s) for s in snap.sources}
    non_gen = sum(
        c for s, c in zip(snap.sources, caps.values(), strict=True) if KIND_RANK[s.kind] < 2
    )
    gen = sum(c for s, c in zip(snap.sources, caps.values(), strict=True) if KIND_RANK[s.kind] == 2)
    supply_all = non_gen + pack_dis_cap + gen
    load_served = min(max(snap.load_power_w, 0.0), supply_all)
    unserved = max(snap.load_power_w, 0.0) - load_served
    if unserved > _TOL_W:
        limits.append(LimitReason("load", load_served, "site load exceeds packs + inputs"))
    vehicle_supply = non_gen + pack_dis_cap + (gen if cfg.use_generator_for_vehicles else 0.0)
    budget = max(vehicle_supply - load_served, 0.0)

    arrays = output_arrays(snap.outputs, snap.step_s, snap.time_s)
    n_out = len(snap.outputs)
    prev_out = (
        prev.output_power_w
        if prev is not None and prev.output_power_w.shape == (n_out,)
        else np.zeros(n_out)
    )
    out_w = allocate_outputs(
        cfg.vehicle_algorithm,
        arrays,
        snap.time_s,
        snap.step_s,
        budget,
        cfg.min_output_power_w,
        prev_out,
        cfg.mpc_horizon_steps,
    )
    limits.extend(
        _output_reasons(snap.outputs, out_w, arrays.upper_w, arrays.active, budget, snap.step_s)
    )

    sinks = float(out_w.sum()) + load_served
    d = dispatch_sources(snap.sources, sinks, pack_dis_cap, pack_chg_cap, cfg.export_limit_w)
    limits.extend(d.limits)
    source_w = d.source_power_w
    bess = d.bess_power_w
    if d.unmet_w > _TOL_W:  # rounding only: trim the outputs so the balance holds
        out_w = _trim(out_w, d.unmet_w)
    if 0.0 < abs(bess) < cfg.deadband_w:
        bess = _apply_deadband(snap, source_w, caps, bess)

    pack_w = np.zeros(packs.n_packs)
    if abs(bess) > 0.0:
        lim = dis if bess > 0.0 else chg
        if (
            cfg.pack_split == "min_loss"
            and packs.resistance_ohm is not None
            and packs.voltage_v is not None
        ):
            pack_w, _ = allocate_min_loss(bess, lim, packs.resistance_ohm, packs.voltage_v)
        else:
            weight = (
                packs.usable_discharge_energy_wh if bess > 0.0 else packs.usable_charge_energy_wh
            )
            weight = np.where(lim > 0.0, weight, 0.0)
            allocate_by_weight(bess, lim, weight, pack_w)
        bess = float(pack_w.sum())
    limits.extend(_pack_reasons(packs, pack_w, dis, chg, snap.step_s, cfg.pack_ramp_w_per_s))
    return Setpoints(
        output_power_w=out_w,
        load_served_w=load_served,
        source_power_w=source_w,
        curtailed_w=d.curtailed_w,
        bess_power_w=bess,
        pack_power_w=pack_w,
        unserved_load_w=unserved,
        limits=limits,
    )


def _trim(out_w: FloatArray, excess_w: float) -> FloatArray:
    """Remove ``excess_w`` from the largest outputs (only ever a rounding residue)."""
    out = out_w.copy()
    for k in np.argsort(-out):
        take = min(out[k], excess_w)
        out[k] -= take
        excess_w -= take
        if excess_w <= 0.0:
            break
    return out


def _apply_deadband(
    snap: SiteSnapshot, source_w: dict[str, float], caps: dict[str, float], bess_w: float
) -> float:
    """Move a small net BESS power onto a grid/DC-charger source that can take it."""
    for s in sorted(snap.sources, key=lambda s: s.priority):
        if s.kind not in ("grid", "dc_charger") or source_w[s.name] < 0.0:
            continue
        if bess_w > 0.0 and caps[s.name] - source_w[s.name] >= bess_w:
            source_w[s.name] += bess_w
            return 0.0
        if bess_w < 0.0 and source_w[s.name] >= -bess_w:
            source_w[s.name] += bess_w
            return 0.0
    return bess_w
