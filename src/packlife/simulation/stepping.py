"""Advancing pack systems step by step: the engine applies the per-pack setpoints it is given.

:func:`apply_setpoints` is the one way packs move: each pack runs at its setpoint unless physics
forces it lower inside the step (its bus limit from
:func:`~packlife.simulation.limits.bus_limit_why` — voltage / current, SoC window, converter
rating or minimum power); the shortfall is booked with its reason in ``SH[b, pack, SH_*]`` [Wh]
and never re-split over other packs.

:func:`run_steps` follows a bus power request per system (benchmarks, design evaluation, duty
profiles): every step the request is split by the controller's own compiled rule
(:func:`packlife.control.pack_split.split_packs`) and then applied the same way.

Tables are passed as ``tabs = (electrical, soc_tables, temp_tables, ageing, self_discharge_per_s)``
and the per-system workspace from :func:`workspace` as ``ws``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

from packlife._typing import FloatArray, IntArray
from packlife.control.pack_split import SPLIT_USABLE_ENERGY, split_packs
from packlife.simulation import kernel as K
from packlife.simulation import layout as LY
from packlife.simulation import limits as LM
from packlife.simulation.tables import energy_per_ah

_FASTMATH = LY.FASTMATH


@njit(cache=True)
def workspace(
    b: int, P: FloatArray, S: FloatArray, tabs: tuple, dt_s: float  # type: ignore[type-arg]
) -> tuple:  # type: ignore[type-arg]
    """Scratch arrays of system ``b`` for :func:`apply_setpoints`: (scratch, work, active, sets,
    e_now, e_edge, decay, alloc, lim, weight, keep, free, cond)."""
    soc_tab = tabs[1]
    n = P.shape[1]
    e_now = np.empty(n)
    e_edge = np.empty((n, 2))  # energy per Ah at the SoC window edges (min, max)
    decay = np.empty((n, 2))  # thermal decay per step, cooling off / on
    for q in range(n):
        k = int(P[b, q, LY.P_SET])
        e_edge[q, 0] = energy_per_ah(soc_tab, k, P[b, q, LY.P_SOC_MIN])
        e_edge[q, 1] = energy_per_ah(soc_tab, k, P[b, q, LY.P_SOC_MAX])
        e_now[q] = energy_per_ah(soc_tab, k, S[b, q, LY.S_SOC])
        decay[q, 0] = K.thermal_decay(P[b, q], dt_s, False)
        decay[q, 1] = K.thermal_decay(P[b, q], dt_s, True)
    return (
        np.empty((n, LY.N_C)), np.empty((K.N_W, n)), np.empty(n, dtype=np.int64),
        np.empty(n, dtype=np.int64), e_now, e_edge, decay, np.empty(n), np.empty(n),
        np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_), np.empty(n),
    )  # fmt: skip


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def pack_limits_now(
    b: int, dt_s: float, P: FloatArray, S: FloatArray, tabs: tuple, ws: tuple,  # type: ignore[type-arg]
    lim: FloatArray,
) -> None:
    """Look up every pack of system ``b`` at its state (into the workspace) and its limits
    ``lim[n_packs, N_L]`` (:func:`~packlife.simulation.kernel.prepare_pack`)."""
    elec, soc_tab, temp_tab = tabs[0], tabs[1], tabs[2]
    scratch, e_edge = ws[0], ws[5]
    for q in range(P.shape[1]):
        K.prepare_pack(
            P[b, q], S[b, q], elec, soc_tab, temp_tab, dt_s, e_edge[q, 0], e_edge[q, 1],
            scratch[q], lim[q],
        )  # fmt: skip


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def apply_setpoints(
    b: int, setpoint_w: FloatArray, fresh: bool, dt_s: float, ambient_c: float, P: FloatArray,
    S: FloatArray, A: FloatArray, SH: FloatArray, tabs: tuple, ws: tuple,  # type: ignore[type-arg]
    trace_acc: FloatArray, pack_bus_w: FloatArray, lim: FloatArray,
) -> float:
    """Advance system ``b`` by one step with each pack at its setpoint (bus side, discharge
    positive) [W], or below it where physics forces; returns the bus power delivered [W].

    ``fresh``: the workspace holds every pack's lookup at the present state and ``lim`` its
    limits (the caller just ran :func:`pack_limits_now`). ``pack_bus_w`` receives each pack's
    bus power.
    """
    elec, soc_tab, temp_tab, sd_per_s = tabs[0], tabs[1], tabs[2], tabs[4]
    scratch, work, active, sets, e_now, e_edge, decay, alloc = ws[:8]
    h = dt_s / 3600.0
    for q in range(P.shape[1]):
        p, s, c = P[b, q], S[b, q], scratch[q]
        k = int(p[LY.P_SET])
        if not fresh:
            K.lookup_pack(p, s, elec, soc_tab, k, e_now[q], c)
        sp = setpoint_w[q]
        alloc[q] = 0.0
        if sp == 0.0:
            continue
        if p[LY.P_JOINED] < 0.5:
            SH[b, q, LY.SH_NOT_JOINED] += abs(sp) * h
            continue
        discharge = sp > 0.0
        if fresh:
            limit = lim[q, LY.L_BUS_DIS_W] if discharge else lim[q, LY.L_BUS_CH_W]
            why = int(lim[q, LY.L_WHY_DIS] if discharge else lim[q, LY.L_WHY_CH])
        else:
            edge = e_edge[q, 0] if discharge else e_edge[q, 1]
            energy = LM.usable_energy_wh(p, s, e_now[q], edge, discharge)
            f = K.derating(soc_tab, temp_tab, k, c, discharge)
            limit, why = LM.bus_limit_why(p, s, c, soc_tab, energy, f, dt_s, discharge)
        magnitude = min(abs(sp), limit)
        if abs(sp) - magnitude > 1e-9 * (1.0 + abs(sp)):
            SH[b, q, why] += (abs(sp) - magnitude) * h
        alloc[q] = magnitude if discharge else -magnitude
    for q in range(P.shape[1]):
        K.start_step(P[b, q], S[b, q], scratch[q], dt_s, alloc[q])
    K.solve_currents(P[b], S[b], scratch, soc_tab, work, active, sets)
    total = 0.0
    for q in range(P.shape[1]):
        pack_bus_w[q] = K.advance_pack(
            P[b, q], S[b, q], A[b, q], scratch[q], soc_tab, sd_per_s, ambient_c, dt_s,
            trace_acc[b, q], decay[q, 0], decay[q, 1],
        )  # fmt: skip
        total += pack_bus_w[q]
        e_now[q] = scratch[q, LY.C_E_END]
    return total


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def after_step(
    b: int, g: int, P: FloatArray, S: FloatArray, A: FloatArray, tabs: tuple,  # type: ignore[type-arg]
    ageing_every: int, with_ageing: bool, out_every: int, trace_acc: FloatArray,
    trace: FloatArray,
) -> None:
    """Ageing every ``ageing_every`` steps and the pack trace every ``out_every`` steps, after
    global step ``g`` (1-based) of system ``b``."""
    n = P.shape[1]
    if with_ageing and g % ageing_every == 0:
        for q in range(n):
            K.age_pack(P[b, q], S[b, q], A[b, q], tabs[1], tabs[3])
    if g % out_every == 0:
        o = g // out_every - 1
        if o < trace.shape[1]:
            for q in range(n):
                for f in range(LY.N_TR):
                    trace[b, o, q, f] = trace_acc[b, q, f] / out_every
                    trace_acc[b, q, f] = 0.0


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _split_request(
    b: int, req: float, dt_s: float, P: FloatArray, S: FloatArray, tabs: tuple, ws: tuple,  # type: ignore[type-arg]
    lims: FloatArray,
) -> None:
    """Split a bus request over system ``b``'s packs with the controller's rule (into ``alloc``
    of the workspace, as setpoints); looks every pack up at its state and keeps its limit in the
    request's direction in ``lims`` (for :func:`apply_setpoints`)."""
    elec, soc_tab, temp_tab = tabs[0], tabs[1], tabs[2]
    scratch, e_now, e_edge = ws[0], ws[4], ws[5]
    lim, weight, keep, setpoint = ws[8], ws[9], ws[10], ws[7]
    discharge = req >= 0.0
    n = P.shape[1]
    for q in range(n):
        p, s, c = P[b, q], S[b, q], scratch[q]
        k = int(p[LY.P_SET])
        K.lookup_pack(p, s, elec, soc_tab, k, e_now[q], c)
        edge = e_edge[q, 0] if discharge else e_edge[q, 1]
        weight[q] = LM.usable_energy_wh(p, s, e_now[q], edge, discharge)
        lim[q] = 0.0
        why = LY.SH_NOT_JOINED
        if req != 0.0 and p[LY.P_JOINED] >= 0.5:
            f = K.derating(soc_tab, temp_tab, k, c, discharge)
            lim[q], why = LM.bus_limit_why(p, s, c, soc_tab, weight[q], f, dt_s, discharge)
        col = LY.L_BUS_DIS_W if discharge else LY.L_BUS_CH_W
        lims[q, col] = lim[q]
        lims[q, LY.L_WHY_DIS if discharge else LY.L_WHY_CH] = why
    rated = P[b, :, LY.P_CONV_RATED_W]
    split_packs(
        req, lim, weight, rated, rated, rated, P[b, :, LY.P_CONV_K0], P[b, :, LY.P_CONV_K2],
        SPLIT_USABLE_ENERGY, True, setpoint, keep, ws[11], ws[12],
    )  # fmt: skip


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
def _run_system(
    b: int, n_steps: int, dt_s: float, step0: int, request_w: FloatArray, request_row: IntArray,
    request_scale: FloatArray, ambient_c: FloatArray, P: FloatArray, S: FloatArray, A: FloatArray,
    B: FloatArray, SH: FloatArray, tabs: tuple, ageing_every: int, with_ageing: bool,  # type: ignore[type-arg]
    out_every: int, trace_acc: FloatArray, trace_sys_acc: FloatArray, trace: FloatArray,
    trace_sys: FloatArray, delivered_w: FloatArray,
) -> None:
    """Advance system ``b`` by ``n_steps`` following its bus request (body of :func:`run_steps`)."""
    ws = workspace(b, P, S, tabs, dt_s)
    setpoint = np.empty(P.shape[1])
    pack_bus = np.empty(P.shape[1])
    lims = np.zeros((P.shape[1], LY.N_L))
    h = dt_s / 3600.0
    for k in range(n_steps):
        req = request_w[request_row[b], k] * request_scale[b]
        _split_request(b, req, dt_s, P, S, tabs, ws, lims)
        setpoint[:] = ws[7]
        total = apply_setpoints(
            b, setpoint, True, dt_s, ambient_c[k], P, S, A, SH, tabs, ws, trace_acc, pack_bus,
            lims,
        )
        delivered_w[b, k] = total
        if req >= 0.0:
            B[b, LY.B_REQ_DIS_WH] += req * h
            B[b, LY.B_DEL_DIS_WH] += total * h
            B[b, LY.B_UNMET_DIS_WH] += (req - total) * h
        else:
            B[b, LY.B_REQ_CH_WH] -= req * h
            B[b, LY.B_DEL_CH_WH] -= total * h
            B[b, LY.B_UNMET_CH_WH] += (total - req) * h
        trace_sys_acc[b, LY.TS_REQUEST] += req
        trace_sys_acc[b, LY.TS_DELIVERED] += total
        g = step0 + k + 1
        after_step(b, g, P, S, A, tabs, ageing_every, with_ageing, out_every, trace_acc, trace)
        if g % out_every == 0:
            o = g // out_every - 1
            if o < trace_sys.shape[1]:
                for f in range(LY.N_TS):
                    trace_sys[b, o, f] = trace_sys_acc[b, f] / out_every
                    trace_sys_acc[b, f] = 0.0


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, parallel=True)
def run_steps(
    n_steps: int, dt_s: float, step0: int, request_w: FloatArray, request_row: IntArray,
    request_scale: FloatArray, ambient_c: FloatArray, P: FloatArray, S: FloatArray, A: FloatArray,
    B: FloatArray, SH: FloatArray, tabs: tuple, ageing_every: int, with_ageing: bool,  # type: ignore[type-arg]
    out_every: int, trace_acc: FloatArray, trace_sys_acc: FloatArray, trace: FloatArray,
    trace_sys: FloatArray, delivered_w: FloatArray,
) -> None:
    """Advance every system by ``n_steps`` steps of ``dt_s`` seconds following its bus request.

    Parameters
    ----------
    n_steps, dt_s, step0
        Number of steps, step [s] and the global index of the first step (output/ageing phase).
    request_w : ndarray (n_rows, n_steps)
        Power asked of each system's packs at the DC bus, discharge positive [W]; system ``b``
        uses row ``request_row[b]`` scaled by ``request_scale[b]``.
    ambient_c : ndarray (n_steps,)
        Ambient temperature [°C].
    P, S, A, B, SH
        Pack parameters, state, accumulators, system accumulators and shortfalls
        (index constants in :mod:`packlife.simulation.layout`).
    tabs : tuple
        Chemistry tables (see the module docstring).
    ageing_every, with_ageing, out_every, trace_acc, trace_sys_acc, trace, trace_sys
        Ageing interval in steps and switch; output interval in steps, running sums and traces.
    delivered_w : ndarray (n_sys, n_steps)
        Output: bus power the packs delivered each step [W].
    """
    for b in prange(P.shape[0]):
        _run_system(
            b, n_steps, dt_s, step0, request_w, request_row, request_scale, ambient_c, P, S, A, B,
            SH, tabs, ageing_every, with_ageing, out_every, trace_acc, trace_sys_acc, trace,
            trace_sys, delivered_w,
        )  # fmt: skip


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, parallel=True)
def _run_steps_one_thread(
    n_steps: int, dt_s: float, step0: int, request_w: FloatArray, request_row: IntArray,
    request_scale: FloatArray, ambient_c: FloatArray, P: FloatArray, S: FloatArray, A: FloatArray,
    B: FloatArray, SH: FloatArray, tabs: tuple, ageing_every: int, with_ageing: bool,  # type: ignore[type-arg]
    out_every: int, trace_acc: FloatArray, trace_sys_acc: FloatArray, trace: FloatArray,
    trace_sys: FloatArray, delivered_w: FloatArray,
) -> None:
    """:func:`run_steps` compiled separately, for :func:`run_steps_serial` (one thread)."""
    for b in prange(P.shape[0]):
        _run_system(
            b, n_steps, dt_s, step0, request_w, request_row, request_scale, ambient_c, P, S, A, B,
            SH, tabs, ageing_every, with_ageing, out_every, trace_acc, trace_sys_acc, trace,
            trace_sys, delivered_w,
        )  # fmt: skip


def run_steps_serial(*args: Any) -> None:
    """:func:`run_steps` on the calling thread only (same arguments).

    For one system (or a few) waking the thread pool on every call costs more than the work of
    short control intervals. It runs a parallel-compiled copy with the thread count set to 1:
    numba compiles a ``prange`` body as a separate function whose array arguments it marks as
    not aliasing each other, which runs the step loop about twice as fast as a plain ``njit``
    compile. ``set_num_threads`` is thread-local, hence this Python wrapper.
    """
    threads = get_num_threads()
    set_num_threads(1)
    try:
        _run_steps_one_thread(*args)
    finally:
        set_num_threads(threads)
