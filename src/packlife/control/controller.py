"""The one controller code path: ``decide(snapshot, config) -> Setpoints``.

:func:`decide` is the typed Python face of the compiled rules in
:mod:`packlife.control.kernels`: it lays one :class:`SiteSnapshot` out as arrays, calls
:func:`~packlife.control.kernels.decide_kernel` — the very function the simulator's compiled
site loop calls every control interval — and turns the result back into :class:`Setpoints` with
a :class:`LimitReason` for every limit that bound.
Order of one cycle and the bus balance: see :mod:`packlife.control.kernels`.

The MPC (``vehicle_algorithm = "mpc"``) plans on HiGHS in Python (:mod:`packlife.control.mpc`);
its first step is handed to the compiled allocation as per-output targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray, IntArray
from packlife.control import kernels as KN
from packlife.control.pack_split import (
    SPLIT_CODES,
    WHY_ENERGY,
    WHY_FAULTED,
    WHY_NOT_JOINED,
    WHY_RAMP,
    WHY_RATED,
)
from packlife.control.reasons import (
    BUDGET_REASON,
    LOAD_REASON,
    output_reason,
    pack_reason,
    source_reason,
)
from packlife.control.sources import policy_order, source_capacity_w
from packlife.control.types import (
    ControllerConfig,
    LimitReason,
    OutputState,
    Setpoints,
    SiteSnapshot,
)
from packlife.errors import InfeasibleError

_TOL_W = 1e-6


def config_vector(config: ControllerConfig, concentrate: bool) -> FloatArray:
    """The controller settings as the kernels' ``cfg`` array (:data:`kernels.N_CFG`)."""
    cfg = np.zeros(KN.N_CFG)
    cfg[KN.CFG_ALGORITHM] = KN.ALGORITHM_CODES[config.vehicle_algorithm]
    cfg[KN.CFG_MIN_OUTPUT_W] = config.min_output_power_w
    cfg[KN.CFG_SPLIT] = SPLIT_CODES[config.pack_split]
    cfg[KN.CFG_RAMP_W_PER_S] = config.pack_ramp_w_per_s
    cfg[KN.CFG_DEADBAND_W] = config.deadband_w
    cfg[KN.CFG_EXPORT_W] = config.export_limit_w
    cfg[KN.CFG_GEN_FOR_VEHICLES] = 1.0 if config.use_generator_for_vehicles else 0.0
    cfg[KN.CFG_CONCENTRATE] = 1.0 if concentrate else 0.0
    cfg[KN.CFG_REFILL_PRICE_MAX] = config.refill_price_max_per_kwh
    cfg[KN.CFG_REFILL_RESERVE] = config.refill_reserve_fraction
    return cfg


# ---- snapshot → arrays → setpoints --------------------------------------------------------------


@dataclass
class _Arrays:
    """One snapshot laid out for :func:`kernels.decide_kernel` (and its results)."""

    order: list[int]
    joined: IntArray
    faulted: IntArray
    prev_pack: FloatArray
    r_ohm: FloatArray
    v_v: FloatArray
    conv: tuple[FloatArray, FloatArray, FloatArray]
    src_kind: IntArray
    src_cap: FloatArray
    out_active: IntArray
    out_conn: FloatArray
    out_acc: FloatArray
    out_need: FloatArray
    out_arr: FloatArray
    out_dep: FloatArray
    out_prev: FloatArray


def _outputs_active(outputs: tuple[OutputState, ...], time_s: float) -> IntArray:
    return np.array(
        [
            o.session_id is not None and o.energy_needed_wh > 0.0 and o.departure_s > time_s
            for o in outputs
        ],
        dtype=np.int64,
    )


def _arrays(snap: SiteSnapshot) -> _Arrays:
    packs = snap.packs
    n = packs.n_packs
    prev = snap.previous
    order = policy_order(snap.sources)
    srcs = [snap.sources[j] for j in order]
    n_out = len(snap.outputs)
    prev_out = (
        prev.output_power_w
        if prev is not None and prev.output_power_w.shape == (n_out,)
        else np.zeros(n_out)
    )
    have_conv = packs.converter_rated_w is not None
    zeros = np.zeros(n)
    return _Arrays(
        order=order,
        joined=packs.joined.astype(np.int64),
        faulted=packs.faulted.astype(np.int64),
        prev_pack=prev.pack_power_w.astype(float) if prev is not None else zeros.copy(),
        r_ohm=packs.resistance_ohm if packs.resistance_ohm is not None else np.ones(n),
        v_v=packs.voltage_v if packs.voltage_v is not None else np.ones(n),
        conv=(
            (packs.converter_rated_w, packs.converter_k0, packs.converter_k2)  # type: ignore[arg-type]
            if have_conv
            else (zeros, zeros, zeros)
        ),
        src_kind=np.array([KN.KIND_CODES[s.kind] for s in srcs], dtype=np.int64),
        src_cap=np.array([source_capacity_w(s) for s in srcs], dtype=float),
        out_active=_outputs_active(snap.outputs, snap.time_s),
        out_conn=np.array([o.connector_max_power_w for o in snap.outputs], dtype=float),
        out_acc=np.array([o.acceptance_max_power_w for o in snap.outputs], dtype=float),
        out_need=np.array([o.energy_needed_wh for o in snap.outputs], dtype=float),
        out_arr=np.array([o.arrival_s for o in snap.outputs], dtype=float),
        out_dep=np.array([o.departure_s for o in snap.outputs], dtype=float),
        out_prev=np.asarray(prev_out, dtype=float),
    )


def _mpc_plan(snap: SiteSnapshot, cfg: ControllerConfig, a: _Arrays, budget_w: float) -> FloatArray:
    """First step of the MPC plan per output; ``nan`` when the LP fails (then LLF decides)."""
    from packlife.control.mpc import mpc_plan_w
    from packlife.control.vehicles import output_arrays

    arrays = output_arrays(snap.outputs, snap.step_s, snap.time_s)
    try:
        return mpc_plan_w(arrays, snap.time_s, snap.step_s, budget_w, cfg.mpc_horizon_steps)[:, 0]
    except InfeasibleError:  # a solver failure must not stop the site
        return np.full(len(snap.outputs), np.nan)


def decide(snapshot: SiteSnapshot, config: ControllerConfig) -> Setpoints:
    """Setpoints for one control interval (see :mod:`packlife.control.kernels`).

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
    snap = snapshot
    packs = snap.packs
    a = _arrays(snap)
    cfg = config_vector(config, concentrate=packs.converter_rated_w is not None)
    n, n_out, n_src = packs.n_packs, len(snap.outputs), len(a.order)
    dis, chg, upper = np.zeros(n), np.zeros(n), np.zeros(n_out)
    pack_why = np.zeros(n, dtype=np.int64)
    res = np.zeros(KN.N_RES)
    plan = np.zeros(n_out)
    if config.vehicle_algorithm == "mpc":
        budget = KN.vehicle_budget_w(
            snap.step_s, cfg, packs.max_discharge_power_w, packs.max_charge_power_w,
            packs.usable_discharge_energy_wh, packs.usable_charge_energy_wh, a.joined, a.faulted,
            a.prev_pack, a.src_kind, a.src_cap, snap.load_power_w, dis, chg, pack_why, res,
        )  # fmt: skip
        plan = _mpc_plan(snap, config, a, budget)
        if np.isnan(plan).any():
            cfg[KN.CFG_ALGORITHM] = KN.ALG_LLF
    grids = [snap.sources[j] for j in a.order if snap.sources[j].kind == "grid"]
    out_w, src_w, pack_w = np.zeros(n_out), np.zeros(n_src), np.zeros(n)
    out_why = np.zeros(n_out, dtype=np.int64)
    src_why = np.zeros(n_src, dtype=np.int64)
    src_why_w = np.zeros(n_src)
    KN.decide_kernel(
        snap.time_s, snap.step_s, cfg,
        (packs.max_discharge_power_w, packs.max_charge_power_w, packs.usable_discharge_energy_wh,
         packs.usable_charge_energy_wh, a.joined, a.faulted, a.prev_pack, a.r_ohm, a.v_v,
         *a.conv),
        (a.src_kind, a.src_cap), bool(grids and grids[0].available_power_w > 0),
        (a.out_active, a.out_conn, a.out_acc, a.out_need, a.out_arr, a.out_dep, a.out_prev, plan),
        snap.load_power_w, snap.import_price_per_kwh,
        (out_w, src_w, pack_w, dis, chg, upper, res),
        (pack_why, out_why, src_why, src_why_w), KN.decide_workspace(n, n_out),
    )  # fmt: skip
    source_power = {s.name: 0.0 for s in snap.sources}
    for pos, j in enumerate(a.order):
        source_power[snap.sources[j].name] = float(src_w[pos])
    limits = _limits(
        snap, config, a, pack_w, dis, chg, upper, pack_why, out_why, src_why, src_why_w, res
    )
    return Setpoints(
        output_power_w=out_w,
        load_served_w=float(res[KN.RES_LOAD_SERVED_W]),
        source_power_w=source_power,
        curtailed_w=float(res[KN.RES_CURTAILED_W]),
        bess_power_w=float(res[KN.RES_BESS_W]),
        pack_power_w=pack_w,
        unserved_load_w=float(res[KN.RES_UNSERVED_W]),
        limits=limits,
    )


def _limits(
    snap: SiteSnapshot, config: ControllerConfig, a: _Arrays, pack_w: FloatArray,
    dis: FloatArray, chg: FloatArray, upper: FloatArray, pack_why: IntArray, out_why: IntArray,
    src_why: IntArray, src_why_w: FloatArray, res: FloatArray,
) -> list[LimitReason]:
    """Every limit that bound, as :class:`LimitReason` (packs isolated, load, outputs, sources,
    packs at their limit)."""
    notes = snap.packs.limit_notes
    ramp = config.pack_ramp_w_per_s
    out: list[LimitReason] = []
    for i, code in enumerate(pack_why):
        if code in (WHY_FAULTED, WHY_NOT_JOINED):
            out.append(LimitReason("pack power", 0.0, pack_reason(i, int(code), "", ramp)))
    if res[KN.RES_UNSERVED_W] > _TOL_W:
        out.append(LimitReason("load", float(res[KN.RES_LOAD_SERVED_W]), LOAD_REASON))
    for k, code in enumerate(out_why):
        if code != KN.OUT_NONE:
            why = output_reason(k, int(code), snap.outputs[k].connector_max_power_w)
            out.append(LimitReason("output power", float(upper[k]), why))
    if res[KN.RES_SHORT] > 0.5:
        out.append(LimitReason("output total", float(res[KN.RES_BUDGET_W]), BUDGET_REASON))
    for pos, j in enumerate(a.order):
        if src_why[pos] != KN.SRC_NONE:
            quantity, why = source_reason(snap.sources[j].name, int(src_why[pos]), src_why_w[pos])
            out.append(LimitReason(quantity, float(src_why_w[pos]), why))
    for i, code in enumerate(pack_why):
        if code in (WHY_RATED, WHY_ENERGY, WHY_RAMP):
            lim = dis[i] if pack_w[i] > 0 else chg[i]
            note = notes[i] if notes else ""
            out.append(LimitReason("pack power", float(lim), pack_reason(i, int(code), note, ramp)))
    return out
