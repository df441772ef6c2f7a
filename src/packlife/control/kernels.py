"""The controller's rules, compiled: arrays in, arrays out (structure of arrays).

Every decision rule of the controller lives here once, as numba functions that the simulator's
compiled site loop calls every control interval and that :func:`packlife.control.controller.decide`
— the typed entry point of a live service — calls with the arrays of one snapshot. There is no
second implementation of any rule: the Python helpers in :mod:`packlife.control.vehicles` and
:mod:`packlife.control.sources` wrap these functions.

One cycle (:func:`decide_kernel`):

1. **Pack limits** (:func:`effective_pack_limits`): derated limit, energy left over the interval,
   ramp from last cycle's power; 0 for packs not joined or faulted.
2. **Load** first, from everything including the generator.
3. **Vehicles**: the budget (packs + inputs − load, the generator only if allowed) is split over
   the outputs by the chosen algorithm (:func:`allocate_outputs_kernel`).
4. **Sources** (:func:`dispatch_sources_kernel`): PV first, grid / DC charger to cover and refill,
   packs, generator last; then the deadband.
5. **Packs** (:func:`packlife.control.pack_split.split_packs`): usable-energy water-filling with
   loss-optimal converter count at light load, or least I²R loss; converters below their minimum
   operating power are switched off and the rest re-split; a residue no pack can take is moved
   back onto the sources / sinks so the bus balance holds exactly.

Power balance at the DC bus (lossless)::

    sum(source_w) + bess_w == sum(output_w) + load_served_w

Codes of the arrays (``*_why``) name the limit that bound; :mod:`packlife.control.reasons` turns
them into the :class:`~packlife.control.types.LimitReason` texts.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from packlife._typing import FloatArray, IntArray
from packlife.control.pack_allocation import ramped_limit_w
from packlife.control.pack_split import (
    WHY_ENERGY,
    WHY_FAULTED,
    WHY_NONE,
    WHY_NOT_JOINED,
    WHY_RAMP,
    WHY_RATED,
    split_packs,
)

# ---- vehicle algorithms ----
ALG_UNCONTROLLED, ALG_FCFS, ALG_EQUAL, ALG_EDF, ALG_LLF, ALG_MPC = range(6)
ALGORITHM_CODES = {
    "uncontrolled": ALG_UNCONTROLLED,
    "fcfs": ALG_FCFS,
    "equal": ALG_EQUAL,
    "edf": ALG_EDF,
    "llf": ALG_LLF,
    "mpc": ALG_MPC,
}
# ---- source kinds in policy rank (PV first, grid/DC charger, generator last) ----
KIND_PV, KIND_GRID, KIND_DC, KIND_GEN = range(4)
KIND_CODES = {"pv": KIND_PV, "grid": KIND_GRID, "dc_charger": KIND_DC, "generator": KIND_GEN}
# ---- configuration vector: CFG[N_CFG] ----
(
    CFG_ALGORITHM, CFG_MIN_OUTPUT_W, CFG_SPLIT, CFG_RAMP_W_PER_S, CFG_DEADBAND_W, CFG_EXPORT_W,
    CFG_GEN_FOR_VEHICLES, CFG_CONCENTRATE, CFG_REFILL_PRICE_MAX, CFG_REFILL_RESERVE,
) = range(10)
N_CFG = 10
# ---- scalar results: RES[N_RES] ----
(
    RES_LOAD_SERVED_W, RES_UNSERVED_W, RES_CURTAILED_W, RES_BESS_W, RES_BUDGET_W, RES_SHORT,
    RES_PACK_DIS_CAP_W, RES_PACK_CHG_CAP_W,
) = range(8)
N_RES = 8
# ---- why an output was bounded ----
OUT_NONE, OUT_CONNECTOR, OUT_ACCEPTANCE, OUT_ENERGY = range(4)
# ---- why a source was bounded ----
SRC_NONE, SRC_CURTAILED, SRC_CAP, SRC_GENERATOR = range(4)

_TOL_W = 1e-6

# ---- decision workspace (:func:`decide_workspace`): float, int and bool rows ----
FW_RATE, FW_LIM, FW_WEIGHT, FW_KEY, FW_COND, FW_DISPATCH = range(6)
N_FW = 6
IW_ORDER, IW_CAND = range(2)
N_IW = 2
BW_KEEP, BW_FREE = range(2)
N_BW = 2


@njit(cache=True)
def decide_workspace(
    n_packs: int, n_outputs: int
) -> tuple[FloatArray, IntArray, np.ndarray]:
    """Scratch rows for :func:`decide_kernel` (so a cycle allocates nothing)."""
    width = max(n_packs, n_outputs, 3)
    return (
        np.zeros((N_FW, width)),
        np.zeros((N_IW, width), dtype=np.int64),
        np.zeros((N_BW, width), dtype=np.bool_),
    )


@njit(cache=True, inline="always")
def effective_pack_limits(
    max_dis_w: FloatArray, max_chg_w: FloatArray, e_dis_wh: FloatArray, e_chg_wh: FloatArray,
    joined: IntArray, faulted: IntArray, prev_w: FloatArray, ramp_w_per_s: float, step_s: float,
    dis_w: FloatArray, chg_w: FloatArray, why: IntArray,
) -> None:
    """Discharge / charge limit of every pack for this interval (magnitudes, in place) [W].

    ``min(derated limit, energy left / interval, |last power| + ramp·interval)``; 0 for packs not
    joined or faulted (``why`` = :data:`WHY_FAULTED` / :data:`WHY_NOT_JOINED`, else
    :data:`WHY_NONE`). Only increases are ramp-limited (a pack may always reduce at once).
    """
    for i in range(max_dis_w.shape[0]):
        why[i] = WHY_NONE
        if faulted[i] != 0 or joined[i] == 0:
            dis_w[i] = 0.0
            chg_w[i] = 0.0
            why[i] = WHY_FAULTED if faulted[i] != 0 else WHY_NOT_JOINED
            continue
        dis = min(max_dis_w[i], e_dis_wh[i] * 3600.0 / step_s)
        chg = min(max_chg_w[i], e_chg_wh[i] * 3600.0 / step_s)
        if np.isfinite(ramp_w_per_s):
            dis = ramped_limit_w(dis, prev_w[i], ramp_w_per_s, step_s, True)
            chg = ramped_limit_w(chg, prev_w[i], ramp_w_per_s, step_s, False)
        dis_w[i] = max(dis, 0.0)
        chg_w[i] = max(chg, 0.0)


@njit(cache=True, inline="always")
def pack_reasons(
    pack_w: FloatArray, dis_w: FloatArray, chg_w: FloatArray, max_dis_w: FloatArray,
    max_chg_w: FloatArray, e_dis_wh: FloatArray, e_chg_wh: FloatArray, step_s: float,
    why: IntArray,
) -> None:
    """Mark every pack running at its limit: derated limit, energy left, or ramp (in ``why``)."""
    for i in range(pack_w.shape[0]):
        if why[i] != WHY_NONE:
            continue
        p = pack_w[i]
        if p > _TOL_W:
            lim, rated, energy = dis_w[i], max_dis_w[i], e_dis_wh[i] * 3600.0 / step_s
        elif p < -_TOL_W:
            lim, rated, energy = chg_w[i], max_chg_w[i], e_chg_wh[i] * 3600.0 / step_s
        else:
            continue
        if abs(p) < lim - max(1.0, 1e-6 * lim):
            continue
        if lim >= rated - _TOL_W:
            why[i] = WHY_RATED
        elif lim >= energy - _TOL_W:
            why[i] = WHY_ENERGY
        else:
            why[i] = WHY_RAMP


@njit(cache=True, inline="always")
def output_order(
    algorithm: int, rate_w: FloatArray, need_wh: FloatArray, arrival_s: FloatArray,
    departure_s: FloatArray, time_s: float, key: FloatArray, order: IntArray,
) -> None:
    """Service order into ``order``: FCFS by arrival, EDF by departure, LLF (and MPC) by laxity;
    ties: lower output number first (stable insertion sort; ``key`` is scratch)."""
    n = rate_w.shape[0]
    for k in range(n):
        if algorithm == ALG_EDF:
            key[k] = departure_s[k]
        elif algorithm == ALG_LLF or algorithm == ALG_MPC:
            charge_s = need_wh[k] * 3600.0 / rate_w[k] if rate_w[k] > 0.0 else 0.0
            key[k] = (departure_s[k] - time_s) - charge_s
        else:
            key[k] = arrival_s[k]
        j = k
        while j > 0 and key[order[j - 1]] > key[k]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = k


@njit(cache=True, inline="always")
def sorted_allocation(
    order: IntArray, upper_w: FloatArray, budget_w: float, min_w: float, previous_w: FloatArray,
    out_w: FloatArray,
) -> None:
    """Serve outputs in ``order``: running vehicles keep ``min_w`` first, then top up in order."""
    out_w[:] = 0.0
    remaining = budget_w
    for k in order:
        if previous_w[k] > 0.0 and upper_w[k] >= min_w and remaining >= min_w:
            out_w[k] = min_w
            remaining -= min_w
    for k in order:
        if upper_w[k] < min_w or remaining <= 0.0:
            continue
        give = min(upper_w[k] - out_w[k], remaining)
        if out_w[k] == 0.0 and give < min_w:
            continue
        out_w[k] += give
        remaining -= give


@njit(cache=True, inline="always")
def equal_allocation(
    order: IntArray, upper_w: FloatArray, budget_w: float, min_w: float, previous_w: FloatArray,
    out_w: FloatArray, cand: IntArray, free: np.ndarray,
) -> None:
    """Equal shares (water-filled against ``upper_w``) among as many vehicles as can get
    ``min_w``; vehicles that had power keep their place first, then ``order`` decides
    (``cand``, ``free``: scratch, one entry per output)."""
    out_w[:] = 0.0
    m = 0
    for running in (True, False):
        for k in order:
            if upper_w[k] >= min_w and (previous_w[k] > 0.0) == running:
                cand[m] = k
                m += 1
    if np.isfinite(budget_w) and min_w > 0.0:
        m = min(m, int(budget_w // min_w))
    free[:m] = True
    n_free = m
    remaining = budget_w
    while n_free > 0 and remaining > 1e-9:
        share = remaining / n_free
        still = 0
        for j in range(m):
            if not free[j]:
                continue
            k = cand[j]
            give = min(share, upper_w[k] - out_w[k])
            out_w[k] += give
            remaining -= give
            if upper_w[k] - out_w[k] > 1e-9:
                still += 1
            else:
                free[j] = False
        if still == n_free:
            break
        n_free = still


@njit(cache=True, inline="always")
def uncontrolled_allocation(
    upper_w: FloatArray, budget_w: float, min_w: float, out_w: FloatArray
) -> None:
    """Each output takes its upper bound; a short bus is shared in proportion (no coordination)."""
    n = upper_w.shape[0]
    for k in range(n):
        out_w[k] = upper_w[k] if upper_w[k] >= min_w else 0.0
    for _ in range(n + 1):
        total = out_w.sum()
        if total <= budget_w + 1e-9:
            break
        low = False
        for k in range(n):
            out_w[k] *= budget_w / total
            if 0.0 < out_w[k] < min_w:
                low = True
        if not low:
            break
        for k in range(n):
            out_w[k] = upper_w[k] if out_w[k] >= min_w else 0.0


@njit(cache=True, inline="always")
def mpc_allocation_kernel(
    order: IntArray, plan_w: FloatArray, upper_w: FloatArray, budget_w: float, min_w: float,
    previous_w: FloatArray, out_w: FloatArray,
) -> None:
    """First step of an MPC plan (``plan_w``, from HiGHS in Python): slots for vehicles the plan
    runs at ≥ half the minimum (or already running), served in LLF ``order`` at ≥ ``min_w``; what
    is left goes least-laxity first."""
    out_w[:] = 0.0
    remaining = budget_w
    for k in order:
        x = min(plan_w[k], upper_w[k])
        slot = (x >= 0.5 * min_w or (previous_w[k] > 0.0 and x > 0.0)) and upper_w[k] >= min_w
        if slot and remaining >= min_w:
            out_w[k] = min(max(x, min_w), upper_w[k], remaining)
            remaining -= out_w[k]
    for k in order:
        if remaining <= 1e-9:
            break
        if out_w[k] > 0.0 or (upper_w[k] >= min_w and remaining >= min_w):
            give = min(upper_w[k] - out_w[k], remaining)
            out_w[k] += give
            remaining -= give


@njit(cache=True, inline="always")
def allocate_outputs_kernel(
    algorithm: int, upper_w: FloatArray, rate_w: FloatArray, need_wh: FloatArray,
    arrival_s: FloatArray, departure_s: FloatArray, plan_w: FloatArray, time_s: float,
    budget_w: float, min_w: float, previous_w: FloatArray, out_w: FloatArray, key: FloatArray,
    order: IntArray, cand: IntArray, free: np.ndarray,
) -> None:
    """Power per output for one cycle with ``algorithm`` (an ``ALG_*`` code) into ``out_w``
    (``key``, ``order``, ``cand``, ``free``: scratch, one entry per output)."""
    budget = max(budget_w, 0.0)
    if algorithm == ALG_UNCONTROLLED:
        uncontrolled_allocation(upper_w, budget, min_w, out_w)
        return
    output_order(algorithm, rate_w, need_wh, arrival_s, departure_s, time_s, key, order)
    if algorithm == ALG_EQUAL:
        equal_allocation(order, upper_w, budget, min_w, previous_w, out_w, cand, free)
    elif algorithm == ALG_MPC:
        mpc_allocation_kernel(order, plan_w, upper_w, budget, min_w, previous_w, out_w)
    else:
        sorted_allocation(order, upper_w, budget, min_w, previous_w, out_w)


@njit(cache=True, inline="always")
def dispatch_sources_kernel(
    kind: IntArray, cap_w: FloatArray, sinks_w: float, pack_dis_cap_w: float,
    pack_chg_cap_w: float, export_limit_w: float, grid_available: bool, refill: bool,
    src_w: FloatArray, why: IntArray, why_w: FloatArray, res: FloatArray,
) -> None:
    """Cover ``sinks_w`` from the sources (in policy order) and the packs.

    1. PV covers the sinks, fills the packs' charge room, exports up to ``export_limit_w``
       through the first grid source; the rest is curtailed.
    2. Grid and DC charger cover what is left and, if ``refill`` (time-of-use aware charging),
       refill the packs (never while exporting).
    3. The packs discharge for the rest; 4. a generator covers what is still missing.

    Sources must be given in policy order (kind rank, then priority). Writes each source's power
    (export negative) into ``src_w``; ``res`` receives [bess_w, curtailed_w, unmet_w].
    """
    n = kind.shape[0]
    remaining = max(sinks_w, 0.0)
    charge_room = max(pack_chg_cap_w, 0.0)
    charged = exported = curtailed = discharged = 0.0
    first_grid = -1
    for j in range(n):
        src_w[j] = 0.0
        why[j] = SRC_NONE
        why_w[j] = 0.0
        if first_grid < 0 and kind[j] == KIND_GRID:
            first_grid = j
    export_room = 0.0
    if first_grid >= 0 and grid_available:
        export_room = max(min(export_limit_w, cap_w[first_grid]), 0.0)
    for j in range(n):
        cap = cap_w[j]
        if kind[j] == KIND_PV:
            to_sinks = min(cap, remaining)
            to_packs = min(cap - to_sinks, charge_room)
            to_export = min(cap - to_sinks - to_packs, export_room - exported)
            remaining -= to_sinks
            charge_room -= to_packs
            charged += to_packs
            exported += to_export
            src_w[j] = to_sinks + to_packs + to_export
            spill = cap - src_w[j]
            if spill > 1e-6:
                curtailed += spill
                why[j], why_w[j] = SRC_CURTAILED, spill
        elif kind[j] == KIND_GRID or kind[j] == KIND_DC:
            if exported > 0.0:
                continue
            want = remaining + (charge_room if refill else 0.0)
            take = min(cap, want)
            to_sinks = min(take, remaining)
            remaining -= to_sinks
            charge_room -= take - to_sinks
            charged += take - to_sinks
            src_w[j] = take
            if want > take + 1e-6:
                why[j], why_w[j] = SRC_CAP, cap
        else:
            if discharged == 0.0:
                discharged = min(remaining, max(pack_dis_cap_w, 0.0))
                remaining -= discharged
            take = min(cap, remaining)
            remaining -= take
            src_w[j] = take
            if take > 0.0:
                why[j], why_w[j] = SRC_GENERATOR, take
    if discharged == 0.0:
        discharged = min(remaining, max(pack_dis_cap_w, 0.0))
        remaining -= discharged
    if exported > 0.0:
        src_w[first_grid] = -exported
    res[0] = discharged - charged
    res[1] = curtailed
    res[2] = max(remaining, 0.0)


@njit(cache=True, inline="always")
def trim_largest(out_w: FloatArray, excess_w: float) -> float:
    """Remove up to ``excess_w`` from the largest entries of ``out_w``; returns what is left."""
    while excess_w > 0.0:
        k = int(np.argmax(out_w))
        if out_w[k] <= 0.0:
            break
        take = min(out_w[k], excess_w)
        out_w[k] -= take
        excess_w -= take
    return excess_w


@njit(cache=True, inline="always")
def move_to_flexible_source(
    kind: IntArray, cap_w: FloatArray, src_w: FloatArray, bess_w: float, partial: bool
) -> float:
    """Move a net BESS power onto grid / DC-charger sources that can take it; returns the rest.

    ``partial`` allows splitting it over several sources (used for residues); otherwise a source
    must take all of it (the deadband rule).
    """
    for j in range(kind.shape[0]):
        if (kind[j] != KIND_GRID and kind[j] != KIND_DC) or src_w[j] < 0.0 or bess_w == 0.0:
            continue
        room = cap_w[j] - src_w[j] if bess_w > 0.0 else src_w[j]
        if room >= abs(bess_w):
            src_w[j] += bess_w
            return 0.0
        if partial and room > 0.0:
            step = room if bess_w > 0.0 else -room
            src_w[j] += step
            bess_w -= step
    return bess_w


@njit(cache=True, inline="always")
def vehicle_budget_w(
    step_s: float, cfg: FloatArray, pk_max_dis_w: FloatArray, pk_max_chg_w: FloatArray,
    pk_e_dis_wh: FloatArray, pk_e_chg_wh: FloatArray, pk_joined: IntArray, pk_faulted: IntArray,
    pk_prev_w: FloatArray, src_kind: IntArray, src_cap_w: FloatArray, load_w: float,
    dis: FloatArray, chg: FloatArray, pack_why: IntArray, res: FloatArray,
) -> float:
    """Steps 1–2 of a cycle: pack limits (into ``dis``/``chg``), the load served first, and the
    power left for the vehicles [W] (also stored in ``res``)."""
    effective_pack_limits(
        pk_max_dis_w, pk_max_chg_w, pk_e_dis_wh, pk_e_chg_wh, pk_joined, pk_faulted, pk_prev_w,
        cfg[CFG_RAMP_W_PER_S], step_s, dis, chg, pack_why,
    )
    pack_dis_cap = dis.sum()
    non_gen = 0.0
    gen = 0.0
    for j in range(src_kind.shape[0]):
        if src_kind[j] == KIND_GEN:
            gen += src_cap_w[j]
        else:
            non_gen += src_cap_w[j]
    load = max(load_w, 0.0)
    load_served = min(load, non_gen + pack_dis_cap + gen)
    supply = non_gen + pack_dis_cap + (gen if cfg[CFG_GEN_FOR_VEHICLES] > 0.5 else 0.0)
    budget = max(supply - load_served, 0.0)
    res[RES_LOAD_SERVED_W] = load_served
    res[RES_UNSERVED_W] = load - load_served
    res[RES_BUDGET_W] = budget
    res[RES_PACK_DIS_CAP_W] = pack_dis_cap
    res[RES_PACK_CHG_CAP_W] = chg.sum()
    res[RES_CURTAILED_W] = 0.0
    return float(budget)


@njit(cache=True, inline="always")
def _rebalance(
    kind: IntArray, cap_w: FloatArray, src_w: FloatArray, out_w: FloatArray, residue_w: float,
    res: FloatArray,
) -> None:
    """The packs placed ``residue_w`` less than the net BESS power asked (discharge positive):
    restore the bus balance from the flexible sources, else from the sinks / PV."""
    rest = move_to_flexible_source(kind, cap_w, src_w, residue_w, True)
    if rest > 0.0:  # packs deliver less: trim outputs, then the load
        rest = trim_largest(out_w, rest)
        served = res[RES_LOAD_SERVED_W]
        take = min(served, rest)
        res[RES_LOAD_SERVED_W] = served - take
        res[RES_UNSERVED_W] += take
    elif rest < 0.0:  # packs absorb less: PV gives less (curtailed)
        for j in range(kind.shape[0]):
            if kind[j] == KIND_PV and src_w[j] > 0.0 and rest < 0.0:
                take = min(src_w[j], -rest)
                src_w[j] -= take
                res[RES_CURTAILED_W] += take
                rest += take


@njit(cache=True, inline="always")
def decide_kernel(
    time_s: float, step_s: float, cfg: FloatArray, packs: tuple, sources: tuple,  # type: ignore[type-arg]
    grid_available: bool, outputs: tuple, load_w: float, price_per_kwh: float,  # type: ignore[type-arg]
    result: tuple, why: tuple, work: tuple,  # type: ignore[type-arg]
) -> None:
    """One control cycle on arrays (see the module docstring); results written in place.

    Parameters
    ----------
    time_s, step_s : float
        Clock and control interval [s].
    cfg : ndarray
        Settings (``CFG_*``).
    packs : tuple of ndarray
        ``(max_dis_w, max_chg_w, e_dis_wh, e_chg_wh, joined, faulted, prev_w, r_ohm, v_v,
        conv_rated_w, conv_k0, conv_k2)``: bus-side limits [W], usable energies [Wh], flags, last
        setpoints [W], resistance [Ω], voltage [V] and converter data.
    sources : tuple of ndarray
        ``(kind, cap_w)`` in policy order; ``cap_w = min(available, max)`` at the bus [W].
    grid_available : bool
        Whether the first grid source is connected (export needs it).
    outputs : tuple of ndarray
        ``(active, conn_w, acc_w, need_wh, arr_s, dep_s, prev_w, plan_w)``: connector rating, the
        vehicle's acceptance now, energy still needed, arrival/departure, last power and (MPC
        only) the plan — bus side.
    load_w : float
        Site load at the bus [W].
    price_per_kwh : float
        Import price now (time-of-use aware refill, ``CFG_REFILL_*``) [currency/kWh].
    result : tuple of ndarray
        Outputs ``(out_w, src_w, pack_w, dis, chg, upper, res)``: power per output, source (export
        negative) and pack (discharge positive), the packs' discharge / charge limits and the
        outputs' upper bounds of this cycle, and ``res[N_RES]``.
    why : tuple of ndarray
        Outputs ``(pack_why, out_why, src_why, src_why_w)``.
    work : tuple of ndarray
        :func:`decide_workspace`.

    The arguments are grouped in tuples so that the call has few arguments: CPython passes a
    call of more than 30 arguments as ``*args``, which numba cannot inline into the site loop.
    """
    (
        pk_max_dis_w, pk_max_chg_w, pk_e_dis_wh, pk_e_chg_wh, pk_joined, pk_faulted, pk_prev_w,
        pk_r_ohm, pk_v_v, conv_rated_w, conv_k0, conv_k2,
    ) = packs
    src_kind, src_cap_w = sources
    out_active, out_conn_w, out_acc_w, out_need_wh, out_arr_s, out_dep_s, out_prev_w, out_plan_w = (
        outputs
    )
    out_w, src_w, pack_w, dis, chg, upper, res = result
    pack_why, out_why, src_why, src_why_w = why
    fw, iw, bw = work
    n_pk = pk_max_dis_w.shape[0]
    n_out = out_w.shape[0]
    budget = vehicle_budget_w(
        step_s, cfg, pk_max_dis_w, pk_max_chg_w, pk_e_dis_wh, pk_e_chg_wh, pk_joined,
        pk_faulted, pk_prev_w, src_kind, src_cap_w, load_w, dis, chg, pack_why, res,
    )
    pack_dis_cap = res[RES_PACK_DIS_CAP_W]
    pack_chg_cap = res[RES_PACK_CHG_CAP_W]
    load_served = res[RES_LOAD_SERVED_W]
    # vehicles
    rate = fw[FW_RATE, :n_out]
    for k in range(n_out):
        rate[k] = max(min(out_conn_w[k], out_acc_w[k]), 0.0) if out_active[k] else 0.0
        upper[k] = min(rate[k], out_need_wh[k] * 3600.0 / step_s) if out_active[k] else 0.0
    algorithm = int(cfg[CFG_ALGORITHM])
    min_w = cfg[CFG_MIN_OUTPUT_W]
    allocate_outputs_kernel(
        algorithm, upper, rate, out_need_wh, out_arr_s, out_dep_s, out_plan_w, time_s, budget,
        min_w, out_prev_w, out_w, fw[FW_KEY, :n_out], iw[IW_ORDER, :n_out],
        iw[IW_CAND, :n_out], bw[BW_FREE, :n_out],
    )
    short = False
    for k in range(n_out):
        out_why[k] = OUT_NONE
        if not out_active[k]:
            continue
        if out_w[k] >= upper[k] - max(1.0, 1e-6 * upper[k]):
            energy_w = out_need_wh[k] * 3600.0 / step_s
            bound = min(out_conn_w[k], out_acc_w[k], energy_w)
            if bound == out_conn_w[k]:
                out_why[k] = OUT_CONNECTOR
            elif bound == out_acc_w[k]:
                out_why[k] = OUT_ACCEPTANCE
            else:
                out_why[k] = OUT_ENERGY
        else:
            short = True
    res[RES_SHORT] = 1.0 if short else 0.0
    # sources
    d = fw[FW_DISPATCH, :3]
    sinks = out_w.sum() + load_served
    stored = pk_e_dis_wh.sum()
    window = stored + pk_e_chg_wh.sum()
    refill = price_per_kwh <= cfg[CFG_REFILL_PRICE_MAX] or (
        window > 0.0 and stored < cfg[CFG_REFILL_RESERVE] * window
    )
    dispatch_sources_kernel(
        src_kind, src_cap_w, sinks, pack_dis_cap, pack_chg_cap, cfg[CFG_EXPORT_W],
        grid_available, refill, src_w, src_why, src_why_w, d,
    )
    bess = d[0]
    res[RES_CURTAILED_W] = d[1]
    if d[2] > _TOL_W:  # rounding only: trim the outputs so the balance holds
        trim_largest(out_w, d[2])
    if 0.0 < abs(bess) < cfg[CFG_DEADBAND_W]:
        bess = move_to_flexible_source(src_kind, src_cap_w, src_w, bess, False)
    # packs
    pack_w[:] = 0.0
    if bess != 0.0:
        lim, weight = fw[FW_LIM, :n_pk], fw[FW_WEIGHT, :n_pk]
        lim[:] = dis if bess > 0.0 else chg
        weight[:] = pk_e_dis_wh if bess > 0.0 else pk_e_chg_wh
        placed = split_packs(
            bess, lim, weight, pk_r_ohm, pk_v_v, conv_rated_w, conv_k0, conv_k2,
            int(cfg[CFG_SPLIT]), cfg[CFG_CONCENTRATE] > 0.5, pack_w, bw[BW_KEEP, :n_pk],
            bw[BW_FREE, :n_pk], fw[FW_COND, :n_pk],
        )
        if abs(bess - placed) > _TOL_W:
            _rebalance(src_kind, src_cap_w, src_w, out_w, bess - placed, res)
        bess = placed
    res[RES_BESS_W] = bess
    pack_reasons(
        pack_w, dis, chg, pk_max_dis_w, pk_max_chg_w, pk_e_dis_wh, pk_e_chg_wh, step_s, pack_why
    )
