"""The compiled site loop: sessions, the controller and the packs, interval after interval.

Each control interval (:func:`run_site_chunk`):

1. vehicles that arrived plug into free outputs (first come, first plugged; one that waited past
   its departure leaves unserved), vehicles whose departure came leave;
2. every pack is looked up at its state and its limits computed
   (:func:`~packlife.simulation.stepping.pack_limits_now`);
3. the controller decides (:func:`packlife.control.kernels.decide_kernel`, the function
   :func:`packlife.control.controller.decide` calls for a live site) from the bus-side view:
   inputs after their converters, outputs and load before theirs;
4. the engine applies exactly the per-pack setpoints for every step of the interval
   (:func:`~packlife.simulation.stepping.apply_setpoints`); what physics withholds is booked per
   pack with its reason;
5. energies are booked: when the packs delivered less than asked the sinks get less in
   proportion; when they absorbed less the inputs give less (grid first, then PV is curtailed);
   vehicles that reached their target leave.

Python only prepares the input chunks (:mod:`packlife.site.run`) and writes the outputs; every
array here is structure-of-arrays state that persists across chunks, so memory does not grow with
the duration. Column layouts are the constants below.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from packlife._typing import FloatArray, IntArray
from packlife.control import kernels as KN
from packlife.simulation import layout as K
from packlife.simulation.stepping import after_step, apply_setpoints, pack_limits_now

# ---- sessions SES[n_sess, N_SES] (sorted by arrival; vehicle-side energies) ----
SES_ARRIVAL_S, SES_DEPARTURE_S, SES_NEED_WH, SES_SOC0, SES_MODEL = range(5)
N_SES = 5
# ---- session outcomes OC[n_sess, N_OC] ----
OC_OUTPUT, OC_PLUG_S, OC_LEAVE_S, OC_DELIVERED_WH, OC_FULL, OC_CHARGED_S = range(6)
N_OC = 6
# ---- site constants SITE[N_SITE] ----
SITE_DT_S, SITE_CTRL_S, SITE_STEPS_PER_CTRL, SITE_PER_ROW, SITE_ETA_OUT, SITE_ETA_LOAD, \
    SITE_AGE_EVERY, SITE_OUT_EVERY, SITE_AGEING = range(9)
N_SITE = 9
# ---- integer state IST[N_IST] ----
IST_QUEUE, IST_STEP, IST_CTRL = range(3)
N_IST = 3
# ---- books BK[N_BK] (Wh) ----
BK_VEHICLES, BK_LOADS, BK_UNSERVED, BK_CURTAILED, BK_CONV_LOSS = range(5)
N_BK = 5
# ---- flow row columns (means over the output interval; sources' input power follow) ----
FL_VEHICLES, FL_LOADS, FL_BESS, FL_CURTAILED, FL_CHARGING, FL_AMBIENT = range(6)
N_FL = 6
# ---- site-level limit counts CNT_SITE[2] ----
CNT_LOAD, CNT_BUDGET = range(2)
# ---- recorded snapshot and decision per interval: REC[n, rec_width(...)] ----
REC_TIME, REC_LOAD, REC_GRID_AVAILABLE, REC_PRICE = range(4)
REC_HEAD = 4
(
    RP_MAX_DIS, RP_MAX_CHG, RP_E_DIS, RP_E_CHG, RP_JOINED, RP_R, RP_V, RP_PREV, RP_SETPOINT,
    RP_DELIVERED,
) = range(10)
N_RP = 10
RS_CAP, RS_POWER = range(2)
N_RS = 2
RO_ACTIVE, RO_CONN, RO_ACC, RO_NEED, RO_ARR, RO_DEP, RO_PREV, RO_POWER = range(8)
N_RO = 8

_FULL_TOLERANCE_WH = 1.0
#: The loop is compiled with IEEE arithmetic (only signed zeros relaxed): the controller's rules
#: are inlined here and must give bit for bit what :func:`packlife.control.controller.decide`
#: gives for the same snapshot, which reassociation or fused multiply-adds would break.
_EXACT_MATH = {"nsz"}


def rec_width(n_packs: int, n_sources: int, n_outputs: int) -> int:
    """Columns of a recorded interval (layout: :data:`REC_TIME`…, packs, sources, outputs)."""
    return REC_HEAD + N_RP * n_packs + N_RS * n_sources + N_RO * n_outputs


@njit(cache=True, inline="always")
def _interp(x: float, xp: FloatArray, fp: FloatArray) -> float:
    """``np.interp`` for one value on a short table."""
    if x <= xp[0]:
        return float(fp[0])
    for i in range(1, xp.shape[0]):
        if x <= xp[i]:
            w = (x - xp[i - 1]) / (xp[i] - xp[i - 1])
            return float(fp[i - 1] + w * (fp[i] - fp[i - 1]))
    return float(fp[-1])


@njit(cache=True, inline="always")
def plug_and_leave(
    SES: FloatArray, OC: FloatArray, plugged: IntArray, IST: IntArray, t: float
) -> None:
    """Plug arrived vehicles into free outputs in arrival order (one whose departure passed while
    it waited leaves unserved); unplug vehicles whose departure has come."""
    pos = IST[IST_QUEUE]
    n = SES.shape[0]
    while pos < n and SES[pos, SES_ARRIVAL_S] <= t:
        if SES[pos, SES_DEPARTURE_S] <= t:
            OC[pos, OC_LEAVE_S] = SES[pos, SES_DEPARTURE_S]
            pos += 1
            continue
        free = -1
        for k in range(plugged.shape[0]):
            if plugged[k] < 0:
                free = k
                break
        if free < 0:
            break
        plugged[free] = pos
        OC[pos, OC_OUTPUT] = free
        OC[pos, OC_PLUG_S] = t
        pos += 1
    IST[IST_QUEUE] = pos
    for k in range(plugged.shape[0]):
        s = plugged[k]
        if s >= 0 and SES[s, SES_DEPARTURE_S] <= t:
            OC[s, OC_LEAVE_S] = t
            plugged[k] = -1


@njit(cache=True, inline="always")
def output_view(
    SES: FloatArray, OC: FloatArray, plugged: IntArray, vm_soc: FloatArray, vm_pow_w: FloatArray,
    vm_energy_wh: FloatArray, rating_w: FloatArray, SITE: FloatArray, t: float,
    active: IntArray, conn: FloatArray, acc: FloatArray, need: FloatArray, arr: FloatArray,
    dep: FloatArray,
) -> None:
    """Each output as the controller sees it from the DC bus (powers and energies before the
    output converter): its charger rating (``rating_w``, vehicle side), the vehicle's acceptance
    at its SoC, energy still needed, arrival and departure."""
    eta = SITE[SITE_ETA_OUT]
    for k in range(plugged.shape[0]):
        conn[k] = rating_w[k] / eta
        s = plugged[k]
        if s < 0:
            active[k] = 0
            acc[k] = need[k] = arr[k] = dep[k] = 0.0
            continue
        m = int(SES[s, SES_MODEL])
        soc = SES[s, SES_SOC0] + OC[s, OC_DELIVERED_WH] / vm_energy_wh[m]
        acc[k] = _interp(soc, vm_soc[m], vm_pow_w[m]) / eta
        need[k] = max(SES[s, SES_NEED_WH] - OC[s, OC_DELIVERED_WH], 0.0) / eta
        arr[k] = SES[s, SES_ARRIVAL_S]
        dep[k] = SES[s, SES_DEPARTURE_S]
        active[k] = 1 if need[k] > 0.0 and dep[k] > t else 0


@njit(cache=True, inline="always")
def _book(
    SITE: FloatArray, src: tuple, books: tuple, out_w: FloatArray, src_w: FloatArray,  # type: ignore[type-arg]
    res: FloatArray, bess_bus_wh: float, dur_h: float, src_bus: FloatArray, veh_wh: FloatArray,
) -> float:
    """Reconcile the setpoints with what the packs did and book the interval's energies.

    Returns the load energy served [Wh, AC side]; ``src_bus`` receives each source's bus energy
    and ``veh_wh`` each output's energy at the vehicle [Wh].
    """
    src_kind, src_eff, reduce_order = src[0], src[1], src[3]
    BK, SRC_BK = books[0], books[1]
    asked_wh = res[KN.RES_BESS_W] * dur_h
    load_served = res[KN.RES_LOAD_SERVED_W]
    sinks_wh = (out_w.sum() + load_served) * dur_h
    for j in range(src_kind.shape[0]):
        src_bus[j] = src_w[j] * dur_h
    scale = 1.0
    if asked_wh > 0.0 and bess_bus_wh < asked_wh:  # packs delivered less: sinks get less
        avail = src_bus.sum() + bess_bus_wh
        scale = max(avail, 0.0) / sinks_wh if sinks_wh > 0.0 else 1.0
    elif asked_wh < 0.0 and bess_bus_wh > asked_wh:  # packs absorbed less: inputs give less
        excess = bess_bus_wh - asked_wh
        for j in reduce_order:
            if excess <= 0.0:
                break
            take = min(max(src_bus[j], 0.0), excess)
            src_bus[j] -= take
            excess -= take
    eta_out, eta_load = SITE[SITE_ETA_OUT], SITE[SITE_ETA_LOAD]
    out_bus = 0.0
    for k in range(out_w.shape[0]):
        veh_wh[k] = out_w[k] * dur_h * scale * eta_out
        out_bus += out_w[k] * dur_h * scale
    load_bus_wh = load_served * dur_h * scale
    BK[BK_VEHICLES] += out_bus * eta_out
    BK[BK_LOADS] += load_bus_wh * eta_load
    BK[BK_UNSERVED] += res[KN.RES_UNSERVED_W] * dur_h + load_served * dur_h * (1.0 - scale)
    BK[BK_CURTAILED] += res[KN.RES_CURTAILED_W] * dur_h
    BK[BK_CONV_LOSS] += out_bus * (1.0 - eta_out) + load_bus_wh * (1.0 - eta_load)
    for j in range(src_kind.shape[0]):
        e_bus = src_bus[j]
        e_in = e_bus / src_eff[j] if e_bus >= 0.0 else e_bus * src_eff[j]
        SRC_BK[j, 0] += e_in
        SRC_BK[j, 1] += e_bus
        BK[BK_CONV_LOSS] += abs(e_in - e_bus)
        src_bus[j] = e_in  # AC/DC side from here on
    return float(load_bus_wh * eta_load)


@njit(cache=True, inline="always")
def _advance_vehicles(
    OC: FloatArray, SES: FloatArray, plugged: IntArray, veh_wh: FloatArray, t_end: float
) -> int:
    """Add each output's energy to its vehicle; one that reached its target leaves."""
    charging = 0
    for k in range(plugged.shape[0]):
        s = plugged[k]
        if s < 0:
            continue
        if veh_wh[k] > 0.0:
            charging += 1
        OC[s, OC_DELIVERED_WH] += veh_wh[k]
        if OC[s, OC_DELIVERED_WH] >= SES[s, SES_NEED_WH] - _FULL_TOLERANCE_WH:
            OC[s, OC_FULL] = 1.0
            OC[s, OC_CHARGED_S] = t_end
            OC[s, OC_LEAVE_S] = t_end
            plugged[k] = -1
    return charging


@njit(cache=True)
def _record(
    REC: FloatArray, row: int, t: float, load_w: float, price: float, grid_ok: bool,
    P: FloatArray,
    pk: tuple, src_cap: FloatArray, src_w: FloatArray, view: tuple, prev_out: FloatArray,  # type: ignore[type-arg]
    out_w: FloatArray,
) -> None:
    """Write one interval's snapshot and decision into ``REC[row]`` (layout: :func:`rec_width`)."""
    n, m, n_out = P.shape[1], src_cap.shape[0], out_w.shape[0]
    REC[row, REC_TIME] = t
    REC[row, REC_LOAD] = load_w
    REC[row, REC_GRID_AVAILABLE] = 1.0 if grid_ok else 0.0
    REC[row, REC_PRICE] = price
    for q in range(n):
        base = REC_HEAD + N_RP * q
        for f in range(9):
            REC[row, base + f] = pk[f][q]
        REC[row, base + RP_DELIVERED] = 0.0
    for j in range(m):
        REC[row, REC_HEAD + N_RP * n + N_RS * j + RS_CAP] = src_cap[j]
        REC[row, REC_HEAD + N_RP * n + N_RS * j + RS_POWER] = src_w[j]
    for k in range(n_out):
        base = REC_HEAD + N_RP * n + N_RS * m + N_RO * k
        for f in range(6):
            REC[row, base + f] = view[f][k]
        REC[row, base + RO_PREV] = prev_out[k]
        REC[row, base + RO_POWER] = out_w[k]


def run_site_chunk(*args: Any) -> int:
    """:func:`site_chunk` on the calling thread (same arguments; see its docstring).

    Like :func:`packlife.simulation.stepping.run_steps_serial` it runs a ``prange``-compiled copy
    with the thread count set to 1 for the call: numba marks the array arguments of a ``prange``
    body as not aliasing each other, which lets the compiler keep state in registers across the
    many small stores of a step (about twice as fast as a plain compile). ``set_num_threads`` is
    thread-local, so several sites may run at once on different threads
    (:func:`packlife.site.run.run_scenarios`).
    """
    threads = get_num_threads()
    set_num_threads(1)
    try:
        rows = np.zeros(1, dtype=np.int64)
        _site_chunk_one_thread(*args, rows)  # type: ignore[call-arg]
        return int(rows[0])
    finally:
        set_num_threads(threads)


@njit(cache=True, error_model="numpy", fastmath=_EXACT_MATH, nogil=True, parallel=True)
def _site_chunk_one_thread(
    n_ctrl: int, SITE: FloatArray, cfg: FloatArray, eng: tuple, tabs: tuple, ws: tuple,  # type: ignore[type-arg]
    src: tuple, load_bus_w: FloatArray, ambient_c: FloatArray, veh: tuple, ses: tuple,  # type: ignore[type-arg]
    state: tuple, plan_w: FloatArray, flow_rows: FloatArray, demand_w: FloatArray,  # type: ignore[type-arg]
    REC: FloatArray, rows: IntArray,
) -> None:
    """:func:`site_chunk` inside a one-iteration ``prange`` (see :func:`run_site_chunk`)."""
    for _ in prange(1):
        rows[0] = site_chunk(
            n_ctrl, SITE, cfg, eng, tabs, ws, src, load_bus_w, ambient_c, veh, ses, state,
            plan_w, flow_rows, demand_w, REC,
        )  # fmt: skip


@njit(cache=True, error_model="numpy", fastmath=_EXACT_MATH, nogil=True)
def site_chunk(
    n_ctrl: int, SITE: FloatArray, cfg: FloatArray, eng: tuple, tabs: tuple, ws: tuple,  # type: ignore[type-arg]
    src: tuple, load_bus_w: FloatArray, ambient_c: FloatArray, veh: tuple, ses: tuple,  # type: ignore[type-arg]
    state: tuple, plan_w: FloatArray, flow_rows: FloatArray, demand_w: FloatArray,  # type: ignore[type-arg]
    REC: FloatArray,
) -> int:
    """Run ``n_ctrl`` control intervals of one site (see the module docstring).

    Parameters
    ----------
    n_ctrl : int
        Control intervals in this chunk.
    SITE, cfg : ndarray
        Site constants (``SITE_*``) and the controller settings (``kernels.CFG_*``).
    eng : tuple
        ``(P, S, A, B, SH, trace_acc, trace, trace_sys_acc, trace_sys)`` of the engine (system 0).
    tabs, ws : tuple
        Chemistry tables and the workspace (:mod:`packlife.simulation.stepping`).
    src : tuple
        ``(kind, efficiency, max_bus_w, reduce_order, available_bus_w[m, n_ctrl],
        import_price[n_ctrl])``, sources in policy order; powers at the bus [W], price
        [currency/kWh] (time-of-use aware refill).
    load_bus_w : ndarray (n_ctrl,)
        Site load at the bus [W].
    ambient_c : ndarray (n_ctrl · steps per interval,)
        Ambient temperature per engine step [°C].
    veh : tuple
        ``(soc points, power points [W], usable energy [Wh])`` per vehicle model, and each
        output's charger rating [W, vehicle side].
    ses : tuple
        ``(SES, OC, plugged)``: sessions, their outcomes and the session on each output (−1).
    state : tuple
        ``(IST, prev_pack_w, prev_out_w, BK, SRC_BK, CNT_PK, CNT_OUT, CNT_SRC, CNT_SITE,
        flow_acc)``, carried from chunk to chunk.
    plan_w : ndarray (n_out,)
        MPC targets for this chunk (MPC only).
    flow_rows, demand_w, REC : ndarray
        Outputs: completed flow rows, demand per interval (vehicles + loads, AC side) [W], and
        (if it has rows) the recorded snapshot and decision per interval.

    Returns
    -------
    int
        Number of flow rows written.
    """
    P, S, A, B, SH, trace_acc, trace, trace_sys_acc, trace_sys = eng
    src_kind, src_max, src_avail, price = src[0], src[2], src[4], src[5]
    SES, OC, plugged = ses
    IST, prev_pack, prev_out = state[0], state[1], state[2]
    CNT_PK, CNT_OUT, CNT_SRC, CNT_SITE, flow_acc = state[5:]
    n, m, n_out = P.shape[1], src_kind.shape[0], plugged.shape[0]
    dt_s, ctrl_s = SITE[SITE_DT_S], SITE[SITE_CTRL_S]
    spc = int(SITE[SITE_STEPS_PER_CTRL])
    per_row = int(SITE[SITE_PER_ROW])
    lim = np.empty((n, K.N_L))
    max_dis, max_chg, e_dis, e_chg = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    joined, faulted = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    r_ohm, v_v = np.empty(n), np.empty(n)
    rated = P[0, :, K.P_CONV_RATED_W].copy()
    k0, k2 = P[0, :, K.P_CONV_K0].copy(), P[0, :, K.P_CONV_K2].copy()
    cap = np.empty(m)
    active = np.empty(n_out, dtype=np.int64)
    conn, acc, need = np.empty(n_out), np.empty(n_out), np.empty(n_out)
    arr, dep = np.empty(n_out), np.empty(n_out)
    out_w, src_w, pack_w = np.empty(n_out), np.empty(m), np.empty(n)
    dis, chg, upper = np.empty(n), np.empty(n), np.empty(n_out)
    pack_why, out_why = np.empty(n, dtype=np.int64), np.empty(n_out, dtype=np.int64)
    src_why, src_why_w = np.empty(m, dtype=np.int64), np.empty(m)
    res = np.empty(KN.N_RES)
    fw, iw, bw = KN.decide_workspace(n, n_out)
    pack_bus, pack_sum = np.empty(n), np.empty(n)
    src_bus, veh_wh = np.empty(m), np.empty(n_out)
    first_grid = -1
    for j in range(m):
        if first_grid < 0 and src_kind[j] == KN.KIND_GRID:
            first_grid = j
    rows = 0
    h = dt_s / 3600.0
    for c in range(n_ctrl):
        t = IST[IST_CTRL] * ctrl_s
        plug_and_leave(SES, OC, plugged, IST, t)
        pack_limits_now(0, dt_s, P, S, tabs, ws, lim)
        scratch = ws[0]
        for q in range(n):
            max_dis[q] = lim[q, K.L_BUS_DIS_W]
            max_chg[q] = lim[q, K.L_BUS_CH_W]
            e_dis[q] = lim[q, K.L_E_DIS_WH]
            e_chg[q] = lim[q, K.L_E_CH_WH]
            joined[q] = 1 if P[0, q, K.P_JOINED] >= 0.5 else 0
            faulted[q] = 1 - joined[q]
            r_ohm[q] = scratch[q, K.C_R0] + scratch[q, K.C_R1] + scratch[q, K.C_R2]
            v_v[q] = scratch[q, K.C_OCV_T]
        for j in range(m):
            cap[j] = max(min(src_avail[j, c], src_max[j]), 0.0)
        grid_ok = first_grid >= 0 and src_avail[first_grid, c] > 0.0
        output_view(
            SES, OC, plugged, veh[0], veh[1], veh[2], veh[3], SITE, t, active, conn, acc, need,
            arr, dep,
        )  # fmt: skip
        KN.decide_kernel(
            t, ctrl_s, cfg,
            (max_dis, max_chg, e_dis, e_chg, joined, faulted, prev_pack, r_ohm, v_v, rated, k0,
             k2),
            (src_kind, cap), grid_ok, (active, conn, acc, need, arr, dep, prev_out, plan_w),
            load_bus_w[c], price[c], (out_w, src_w, pack_w, dis, chg, upper, res),
            (pack_why, out_why, src_why, src_why_w), (fw, iw, bw),
        )  # fmt: skip
        if REC.shape[0] > 0:
            _record(
                REC, c, t, load_bus_w[c], price[c], grid_ok, P,
                (max_dis, max_chg, e_dis, e_chg, joined.astype(np.float64), r_ohm, v_v, prev_pack,
                 pack_w),
                cap, src_w, (active.astype(np.float64), conn, acc, need, arr, dep), prev_out,
                out_w,
            )  # fmt: skip
        _count(CNT_PK, CNT_OUT, CNT_SRC, CNT_SITE, pack_why, out_why, src_why, res)
        # the engine applies exactly these setpoints for every step of the interval
        bess_wh = 0.0
        pack_sum[:] = 0.0
        amb_sum = 0.0
        for st in range(spc):
            amb = ambient_c[c * spc + st]
            total = apply_setpoints(
                0, pack_w, st == 0, dt_s, amb, P, S, A, SH, tabs, ws, trace_acc, pack_bus, lim
            )
            _engine_books(B, trace_sys_acc, res[KN.RES_BESS_W], total, h)
            bess_wh += total * h
            amb_sum += amb
            for q in range(n):
                pack_sum[q] += pack_bus[q]
            IST[IST_STEP] += 1
            g = IST[IST_STEP]
            after_step(
                0, g, P, S, A, tabs, int(SITE[SITE_AGE_EVERY]), SITE[SITE_AGEING] > 0.5,
                int(SITE[SITE_OUT_EVERY]), trace_acc, trace,
            )  # fmt: skip
            _system_trace(trace_sys_acc, trace_sys, g, int(SITE[SITE_OUT_EVERY]))
        if REC.shape[0] > 0:
            for q in range(n):
                REC[c, REC_HEAD + N_RP * q + RP_DELIVERED] = pack_sum[q] / spc
        dur_h = spc * h
        loads_wh = _book(SITE, src, state[3:5], out_w, src_w, res, bess_wh, dur_h, src_bus, veh_wh)
        IST[IST_CTRL] += 1
        charging = _advance_vehicles(OC, SES, plugged, veh_wh, IST[IST_CTRL] * ctrl_s)
        veh_sum = veh_wh.sum()
        demand_w[c] = (veh_sum + loads_wh) / dur_h
        flow_acc[FL_VEHICLES] += veh_sum / dur_h
        flow_acc[FL_LOADS] += loads_wh / dur_h
        flow_acc[FL_BESS] += bess_wh / dur_h
        flow_acc[FL_CURTAILED] += res[KN.RES_CURTAILED_W]
        flow_acc[FL_CHARGING] += charging
        flow_acc[FL_AMBIENT] += amb_sum / spc
        for j in range(m):
            flow_acc[N_FL + j] += src_bus[j] / dur_h
        prev_pack[:] = pack_w
        prev_out[:] = out_w
        if IST[IST_CTRL] % per_row == 0:
            for f in range(flow_acc.shape[0]):
                flow_rows[rows, f] = flow_acc[f] / per_row
                flow_acc[f] = 0.0
            rows += 1
    return rows


@njit(cache=True, inline="always")
def _count(
    CNT_PK: IntArray, CNT_OUT: IntArray, CNT_SRC: IntArray, CNT_SITE: IntArray,
    pack_why: IntArray, out_why: IntArray, src_why: IntArray, res: FloatArray,
) -> None:
    """Count the intervals in which each limit bound (by who and why)."""
    for q in range(pack_why.shape[0]):
        CNT_PK[q, pack_why[q]] += 1
    for k in range(out_why.shape[0]):
        CNT_OUT[k, out_why[k]] += 1
    for j in range(src_why.shape[0]):
        CNT_SRC[j, src_why[j]] += 1
    if res[KN.RES_UNSERVED_W] > 1e-6:
        CNT_SITE[CNT_LOAD] += 1
    if res[KN.RES_SHORT] > 0.5:
        CNT_SITE[CNT_BUDGET] += 1


@njit(cache=True, inline="always")
def _engine_books(
    B: FloatArray, trace_sys_acc: FloatArray, req: float, total: float, h: float
) -> None:
    """The engine's requested / delivered / unmet energies of one step (as :mod:`stepping`)."""
    if req >= 0.0:
        B[0, K.B_REQ_DIS_WH] += req * h
        B[0, K.B_DEL_DIS_WH] += total * h
        B[0, K.B_UNMET_DIS_WH] += (req - total) * h
    else:
        B[0, K.B_REQ_CH_WH] -= req * h
        B[0, K.B_DEL_CH_WH] -= total * h
        B[0, K.B_UNMET_CH_WH] += (total - req) * h
    trace_sys_acc[0, K.TS_REQUEST] += req
    trace_sys_acc[0, K.TS_DELIVERED] += total


@njit(cache=True, inline="always")
def _system_trace(
    trace_sys_acc: FloatArray, trace_sys: FloatArray, g: int, out_every: int
) -> None:
    if g % out_every == 0:
        o = g // out_every - 1
        if o < trace_sys.shape[1]:
            for f in range(K.N_TS):
                trace_sys[0, o, f] = trace_sys_acc[0, f] / out_every
                trace_sys_acc[0, f] = 0.0


def compiled_on_disk() -> bool:
    """Whether numba's on-disk cache holds the compiled site loop (so a run starts at once)."""
    from pathlib import Path

    from numba.core import config

    here = Path(__file__)
    folders = [here.parent / "__pycache__"]
    cache_dir = getattr(config, "CACHE_DIR", "")
    if cache_dir:
        folders.append(Path(cache_dir))
    pattern = f"{here.stem}._site_chunk_one_thread-*.nbi"
    return any(any(f.rglob(pattern)) for f in folders if f.is_dir())
