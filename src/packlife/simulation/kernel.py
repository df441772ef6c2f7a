"""The compiled inner loop: fixed steps over a batch of systems × packs.

Every step, for every system: read the power asked of the pack cluster at the DC bus, compute each
pack's limits (voltage, current with temperature/SoC derating and SoH, usable-energy window,
converter rating), switch converters off at light load (:func:`concentrate_converters`), split
the request by usable energy (:func:`allocate_by_weight`), then advance
each pack's equivalent circuit (with the step-average OCV, so energy bookkeeping is exact),
temperature, self-discharge, half-cycle counter and — every ageing interval — its ageing state.

Energy bookkeeping per pack and step (Wh, discharge positive)::

    −ΔE_stored = E_bus + E_converter + E_ohmic + E_polarisation + E_entropic

plus self-discharge and capacity-fade terms that move energy out of storage without a current.
The engine checks the system-level sum against the change of stored energy computed from the state.

Within a step the work runs in phases over the system's packs — table lookups and the limit
in the requested direction (:func:`lookup_pack`, :func:`bus_limit_w`), the split, the first
current (:func:`start_step`), the fixed-point current solve over the active packs at once
(:func:`solve_currents`), then the bookkeeping (:func:`advance_pack`) — so that independent
per-pack arithmetic overlaps in the CPU. :func:`run_steps` (threads over systems) and
:func:`run_steps_serial` (calling thread only) share the per-system loop :func:`_run_system`.

Array layouts and index constants: :mod:`packlife.simulation.layout`; pack limits:
:mod:`packlife.simulation.limits`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from packlife._typing import FloatArray, IntArray
from packlife.models.ageing import (
    ageing_step,
    half_cycle_update,
    soh_from_state,
)
from packlife.models.ecm import (
    current_for_power,
)
from packlife.models.power_electronics import (
    converter_loss_w,
)
from packlife.models.thermal import (
    heat_generation_w,
)
from packlife.simulation.layout import (
    A_AH,
    A_BUS_MAX_W,
    A_BUS_WH,
    A_CONV_WH,
    A_DEEP_S,
    A_E_CH_WH,
    A_E_DIS_WH,
    A_ENTROPIC_WH,
    A_FADE_WH,
    A_OHMIC_WH,
    A_OVERTEMP_S,
    A_P_CH_MAX_W,
    A_P_DIS_MAX_W,
    A_POL_WH,
    A_SD_WH,
    A_SOC_MIN,
    A_T_MAX,
    A_V_MEAN_MAX,
    A_V_MEAN_MIN,
    C_ACTIVE,
    C_C1,
    C_C2,
    C_CURRENT,
    C_D1,
    C_D2,
    C_DOCV_DSOC,
    C_DSOC_PER_A,
    C_DUDT,
    C_E_END,
    C_E_NOW,
    C_LOSS,
    C_OCV25,
    C_OCV_AVG,
    C_OCV_T,
    C_PBATT,
    C_R0,
    C_R1,
    C_R2,
    C_RBAR,
    C_SOI,
    C_SOW,
    C_TJ,
    C_TW,
    C_VBAR,
    DEEP_DISCHARGE_MARGIN,
    FASTMATH,
    HALF_CYCLE_MIN_SWING,
    L_BUS_CH_W,
    L_BUS_DIS_W,
    L_DERATE_CH,
    L_DERATE_DIS,
    L_E_CH_WH,
    L_E_DIS_WH,
    L_WHY_CH,
    L_WHY_DIS,
    N_C,
    N_L,
    P_C_SCALE,
    P_CAP_NEW_AH,
    P_CONV_K0,
    P_CONV_K1,
    P_CONV_K2,
    P_CONV_RATED_W,
    P_COOL_ON_C,
    P_G_ACTIVE,
    P_G_PASSIVE,
    P_HEAT_CAP,
    P_JOINED,
    P_R_SCALE,
    P_SERIES,
    P_SET,
    P_SOC_MAX,
    P_SOC_MIN,
    P_T_MAX_C,
    S_AGE_AH,
    S_AGE_SOC,
    S_AGE_T,
    S_AGE_TEMP,
    S_CAP_AH,
    S_DIR,
    S_DOD,
    S_EXT,
    S_HC_START,
    S_QCAL,
    S_QCYC,
    S_RG,
    S_SOC,
    S_TEMP,
    S_V1,
    S_V2,
    SH_NOT_JOINED,
    SOLVE_MAX_PASSES,
    SOLVE_TOLERANCE,
    TR_CURRENT,
    TR_POWER,
    TR_SOC,
    TR_TEMP,
    TR_VOLTAGE,
)
from packlife.simulation.limits import (
    bus_limit_why,
    usable_energy_wh,
)
from packlife.simulation.tables import (
    D_CH,
    D_DIS,
    S_DER_CH,
    S_DER_DIS,
    S_DUDT,
    S_OCV25,
    SOC_STEP,
    T_C1,
    T_C2,
    T_OCV,
    T_R0,
    T_R1,
    T_R2,
    energy_per_ah,
    soc_position,
    table_bilinear,
    table_linear,
    temp_position,
)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def lookup_pack(
    p: FloatArray, s: FloatArray, elec: FloatArray, soc_tab: FloatArray, k: int, e_now: float,
    c: FloatArray,
) -> None:
    """Look up one pack's ECM parameters at its state into ``c[N_C]``.

    ``e_now`` is :func:`energy_per_ah` at the pack's SoC (the kernel carries it over from the
    previous step instead of recomputing it).
    """
    series = p[P_SERIES]
    i, ws = soc_position(s[S_SOC])
    j, wt = temp_position(s[S_TEMP])
    r_scale = p[P_R_SCALE] * s[S_RG]
    c[C_OCV_T] = series * table_bilinear(elec, k, T_OCV, j, wt, i, ws)
    c[C_OCV25] = series * table_linear(soc_tab, k, S_OCV25, i, ws)
    c[C_R0] = table_bilinear(elec, k, T_R0, j, wt, i, ws) * r_scale
    c[C_R1] = table_bilinear(elec, k, T_R1, j, wt, i, ws) * r_scale
    c[C_C1] = table_bilinear(elec, k, T_C1, j, wt, i, ws) * p[P_C_SCALE]
    c[C_R2] = table_bilinear(elec, k, T_R2, j, wt, i, ws) * r_scale
    c[C_C2] = table_bilinear(elec, k, T_C2, j, wt, i, ws) * p[P_C_SCALE]
    c[C_DUDT] = series * table_linear(soc_tab, k, S_DUDT, i, ws)
    c[C_DOCV_DSOC] = series * (soc_tab[k, S_OCV25, i + 1] - soc_tab[k, S_OCV25, i]) / SOC_STEP
    c[C_SOI] = i
    c[C_SOW] = ws
    c[C_TJ] = j
    c[C_TW] = wt
    c[C_E_NOW] = e_now


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def derating(
    soc_tab: FloatArray, temp_tab: FloatArray, k: int, c: FloatArray, discharge: bool
) -> float:
    """Current derating fraction at ``c``'s grid point: the smaller of the temperature and SoC
    fractions of the direction."""
    i = int(c[C_SOI])
    j = int(c[C_TJ])
    ws = c[C_SOW]
    wt = c[C_TW]
    if discharge:
        return min(
            table_linear(temp_tab, k, D_DIS, j, wt), table_linear(soc_tab, k, S_DER_DIS, i, ws)
        )
    return min(table_linear(temp_tab, k, D_CH, j, wt), table_linear(soc_tab, k, S_DER_CH, i, ws))


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def prepare_pack(
    p: FloatArray, s: FloatArray, elec: FloatArray, soc_tab: FloatArray, temp_tab: FloatArray,
    dt_s: float, e_min: float, e_max: float, c: FloatArray, out: FloatArray,
) -> None:
    """Look up one pack's parameters at its state (into ``c[N_C]``) and its limits (``out[N_L]``).

    Limits: bus-side power for discharge and charge [W] (voltage and derated current limits,
    the SoC window within this step, converter rating; 0 below the converter's minimum operating
    power), usable energy in each direction [Wh], the derating fractions applied and what sets
    each bus limit (``SH_*``).
    ``e_min``/``e_max`` are :func:`energy_per_ah` at the window edges.
    """
    k = int(p[P_SET])
    e_now = energy_per_ah(soc_tab, k, s[S_SOC])
    lookup_pack(p, s, elec, soc_tab, k, e_now, c)
    f_dis = derating(soc_tab, temp_tab, k, c, True)
    f_ch = derating(soc_tab, temp_tab, k, c, False)
    e_dis = usable_energy_wh(p, s, e_now, e_min, True)
    e_ch = usable_energy_wh(p, s, e_now, e_max, False)
    out[L_E_DIS_WH] = e_dis
    out[L_E_CH_WH] = e_ch
    out[L_DERATE_DIS] = f_dis
    out[L_DERATE_CH] = f_ch
    if p[P_JOINED] < 0.5:
        out[L_BUS_DIS_W] = 0.0
        out[L_BUS_CH_W] = 0.0
        out[L_WHY_DIS] = out[L_WHY_CH] = SH_NOT_JOINED
        return
    out[L_BUS_DIS_W], why_dis = bus_limit_why(p, s, c, soc_tab, e_dis, f_dis, dt_s, True)
    out[L_BUS_CH_W], why_ch = bus_limit_why(p, s, c, soc_tab, e_ch, f_ch, dt_s, False)
    out[L_WHY_DIS] = why_dis
    out[L_WHY_CH] = why_ch


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def all_pack_limits(
    P: FloatArray, S: FloatArray, elec: FloatArray, soc_tab: FloatArray, temp_tab: FloatArray,
    dt_s: float,
) -> FloatArray:
    """Limits of every pack of every system, shape (n_sys, n_packs, N_L) (:func:`prepare_pack`)."""
    n_sys, n_packs = P.shape[0], P.shape[1]
    out = np.empty((n_sys, n_packs, N_L))
    c = np.empty(N_C)
    for b in range(n_sys):
        for q in range(n_packs):
            k = int(P[b, q, P_SET])
            e_min = energy_per_ah(soc_tab, k, P[b, q, P_SOC_MIN])
            e_max = energy_per_ah(soc_tab, k, P[b, q, P_SOC_MAX])
            prepare_pack(
                P[b, q], S[b, q], elec, soc_tab, temp_tab, dt_s, e_min, e_max, c, out[b, q]
            )
    return out


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def thermal_decay(p: FloatArray, dt_s: float, active: bool) -> float:
    """Decay factor ``exp(−dt·G/C)`` of the lumped thermal model over one step, cooling off or on.

    Constant for a pack within a run, so the kernel computes it once per pack (see
    :func:`packlife.models.thermal.lumped_step`, whose update :func:`advance_pack` applies).
    """
    g = p[P_G_PASSIVE] + (p[P_G_ACTIVE] if active else 0.0)
    return math.exp(-dt_s * g / p[P_HEAT_CAP])


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def start_step(p: FloatArray, s: FloatArray, c: FloatArray, dt_s: float, bus_w: float) -> None:
    """First part of a pack's step: RC step factors, converter loss and a first current.

    With the current held over the step each RC voltage's mean is affine in the current,
    ``v̄ = v·f + R·(1 − f)·i`` with ``f = (1 − e^{−x})/x``, ``x = dt/τ``; so the terminal power
    ``(ocv_avg + δ − (r0 + r̄)·i − v̄)·i`` is a quadratic in ``i``; the first current takes
    ``ocv_avg`` = the 25 °C OCV at the start (:func:`solve_currents` then settles it). An idle
    pack (``bus_w == 0``) carries exactly 0 A and needs no solve.
    """
    r1 = c[C_R1]
    r2 = c[C_R2]
    x1 = dt_s / (r1 * c[C_C1])
    d1 = math.exp(-x1)
    f1 = (1.0 - d1) / x1 if x1 > 1e-9 else 1.0
    v_bar = s[S_V1] * f1
    r_bar = r1 * (1.0 - f1)
    d2 = 1.0
    if r2 > 0.0:
        x2 = dt_s / (r2 * c[C_C2])
        d2 = math.exp(-x2)
        f2 = (1.0 - d2) / x2 if x2 > 1e-9 else 1.0
        v_bar += s[S_V2] * f2
        r_bar += r2 * (1.0 - f2)
    c[C_D1] = d1
    c[C_D2] = d2
    c[C_VBAR] = v_bar
    c[C_RBAR] = r_bar
    c[C_OCV_AVG] = c[C_OCV25]
    c[C_DSOC_PER_A] = dt_s / (3600.0 * s[S_CAP_AH])  # SoC change per ampere over the step
    if bus_w == 0.0:
        c[C_ACTIVE] = 0.0
        c[C_LOSS] = 0.0
        c[C_PBATT] = 0.0
        c[C_CURRENT] = 0.0
        return
    loss = converter_loss_w(bus_w, p[P_CONV_RATED_W], p[P_CONV_K0], p[P_CONV_K1], p[P_CONV_K2])
    p_batt = bus_w + loss
    c[C_ACTIVE] = 1.0
    c[C_LOSS] = loss
    c[C_PBATT] = p_batt
    delta = c[C_OCV_T] - c[C_OCV25]
    c[C_CURRENT] = current_for_power(p_batt, c[C_OCV25] + delta, v_bar, c[C_R0] + r_bar)


# ---- rows of the current solve's work array: W[N_W, n_packs], the active packs packed first ----
W_CURRENT, W_SOC, W_DSOC, W_E0, W_SERIES, W_DELTA, W_PBATT, W_VBAR, W_REFF, W_OCV_AVG = range(10)
N_W = 10


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def solve_currents(
    p: FloatArray, s: FloatArray, scratch: FloatArray, soc_tab: FloatArray, w: FloatArray,
    active: IntArray, sets: IntArray,
) -> None:
    """Settle the current of every active pack of one system (after :func:`start_step`).

    Fixed-point passes (at least two, until the current moves by less than
    :data:`SOLVE_TOLERANCE`): ``ocv_avg`` = exact mean 25 °C OCV over the SoC change of the
    present current (stored-energy difference over charge), then the current for that
    ``ocv_avg``. What
    the passes need of the active packs is first gathered into the structure-of-arrays ``w`` and
    the passes run pack after pack, so the packs' independent div/sqrt chains overlap in the CPU
    and idle packs cost nothing; current and ``ocv_avg`` are then written back to ``scratch``.
    ``p``, ``s`` and ``scratch`` are the system's (n_packs, …) rows.
    """
    n = 0
    for q in range(p.shape[0]):
        c = scratch[q]
        if c[C_ACTIVE] < 0.5:
            continue
        active[n] = q
        sets[n] = int(p[q, P_SET])
        w[W_CURRENT, n] = c[C_CURRENT]
        w[W_SOC, n] = s[q, S_SOC]
        w[W_DSOC, n] = c[C_DSOC_PER_A]
        w[W_E0, n] = c[C_E_NOW]
        w[W_SERIES, n] = p[q, P_SERIES]
        w[W_DELTA, n] = c[C_OCV_T] - c[C_OCV25]
        w[W_PBATT, n] = c[C_PBATT]
        w[W_VBAR, n] = c[C_VBAR]
        w[W_REFF, n] = c[C_R0] + c[C_RBAR]
        w[W_OCV_AVG, n] = c[C_OCV_AVG]
        n += 1
    for it in range(SOLVE_MAX_PASSES):
        change = 0.0
        for m in range(n):
            soc = w[W_SOC, m]
            soc1 = soc - w[W_CURRENT, m] * w[W_DSOC, m]
            if abs(soc1 - soc) > 1e-13:
                e1 = energy_per_ah(soc_tab, sets[m], soc1)
                w[W_OCV_AVG, m] = w[W_SERIES, m] * (e1 - w[W_E0, m]) / (soc1 - soc)
            i_new = current_for_power(
                w[W_PBATT, m], w[W_OCV_AVG, m] + w[W_DELTA, m], w[W_VBAR, m], w[W_REFF, m]
            )
            change = max(change, abs(i_new - w[W_CURRENT, m]) / (1e-9 + abs(i_new)))
            w[W_CURRENT, m] = i_new
        if it >= 1 and change < SOLVE_TOLERANCE:
            break
    for m in range(n):
        scratch[active[m], C_CURRENT] = w[W_CURRENT, m]
        scratch[active[m], C_OCV_AVG] = w[W_OCV_AVG, m]


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def advance_pack(
    p: FloatArray, s: FloatArray, a: FloatArray, c: FloatArray, soc_tab: FloatArray,
    sd_per_s: FloatArray, ambient_c: float, dt_s: float, tr: FloatArray,
    decay_passive: float, decay_active: float,
) -> float:
    """Finish one pack's step with the current settled in ``c``; returns the bus power delivered.

    ``ocv_avg`` is recomputed for the final current, so the terminal energy equals the change of
    stored energy plus the losses exactly. ``decay_passive``/``decay_active`` are
    :func:`thermal_decay` with cooling off/on. On return ``c[C_E_END]`` holds
    :func:`energy_per_ah` at the new SoC (the next step's ``e_now``).
    """
    k = int(p[P_SET])
    series = p[P_SERIES]
    cap = s[S_CAP_AH]
    soc = s[S_SOC]
    temp = s[S_TEMP]
    ocv_t = c[C_OCV_T]
    ocv25 = c[C_OCV25]
    delta = ocv_t - ocv25
    r0 = c[C_R0]
    r1 = c[C_R1]
    r2 = c[C_R2]
    v1 = s[S_V1]
    v2 = s[S_V2]
    d1 = c[C_D1]
    d2 = c[C_D2]
    v_bar = c[C_VBAR]
    r_bar = c[C_RBAR]
    loss = c[C_LOSS]
    current = c[C_CURRENT]
    e0 = c[C_E_NOW]
    if c[C_ACTIVE] < 0.5:
        soc1 = soc
        e1 = e0
        ocv_avg = ocv25
    else:
        soc1 = soc - current * c[C_DSOC_PER_A]
        e1 = energy_per_ah(soc_tab, k, soc1)
        if abs(soc1 - soc) > 1e-13:
            ocv_avg = series * (e1 - e0) / (soc1 - soc)
        else:
            ocv_avg = ocv25
    vm = v_bar + r_bar * current
    p_term = (ocv_avg + delta - r0 * current - vm) * current
    h = dt_s / 3600.0
    bus_actual = p_term - loss
    a[A_BUS_WH] += bus_actual * h
    a[A_CONV_WH] += loss * h
    a[A_OHMIC_WH] += current * current * r0 * h
    a[A_POL_WH] += current * vm * h
    a[A_ENTROPIC_WH] += -delta * current * h
    if p_term >= 0.0:
        a[A_E_DIS_WH] += p_term * h
        a[A_P_DIS_MAX_W] = max(a[A_P_DIS_MAX_W], p_term)
    else:
        a[A_E_CH_WH] -= p_term * h
        a[A_P_CH_MAX_W] = max(a[A_P_CH_MAX_W], -p_term)
    a[A_BUS_MAX_W] = max(a[A_BUS_MAX_W], abs(bus_actual))
    if current != 0.0:
        v_mean = p_term / current
        a[A_V_MEAN_MIN] = min(a[A_V_MEAN_MIN], v_mean)
        a[A_V_MEAN_MAX] = max(a[A_V_MEAN_MAX], v_mean)
    a[A_AH] += abs(current) * h
    # RC states (exact for constant current), temperature (lumped_step with a precomputed decay)
    s[S_V1] = v1 * d1 + r1 * current * (1.0 - d1)
    if r2 > 0.0:
        s[S_V2] = v2 * d2 + r2 * current * (1.0 - d2)
    heat = heat_generation_w(current, r0, vm, temp, c[C_DUDT])
    cooling = temp > p[P_COOL_ON_C]
    g = p[P_G_PASSIVE] + (p[P_G_ACTIVE] if cooling else 0.0)
    t_eq = ambient_c + heat / g
    temp1 = t_eq + (temp - t_eq) * (decay_active if cooling else decay_passive)
    s[S_TEMP] = temp1
    # self-discharge (an empty pack has nothing left to lose)
    soc2 = max(soc1 - sd_per_s[k] * dt_s, 0.0) if soc1 > 0.0 else soc1
    e2 = energy_per_ah(soc_tab, k, soc2)
    a[A_SD_WH] += series * cap * (e1 - e2)
    c[C_E_END] = e2
    s[S_SOC] = soc2
    # harmful-event counters
    if temp1 > a[A_T_MAX]:
        a[A_T_MAX] = temp1
    if soc2 < a[A_SOC_MIN]:
        a[A_SOC_MIN] = soc2
    if temp1 > p[P_T_MAX_C]:
        a[A_OVERTEMP_S] += dt_s
    if soc2 < p[P_SOC_MIN] - DEEP_DISCHARGE_MARGIN:
        a[A_DEEP_S] += dt_s
    # half cycles and ageing accumulators
    dod, start, ext, direction = half_cycle_update(
        soc2, s[S_HC_START], s[S_EXT], int(s[S_DIR]), HALF_CYCLE_MIN_SWING
    )
    s[S_HC_START] = start
    s[S_EXT] = ext
    s[S_DIR] = float(direction)
    if dod > 0.0:
        s[S_DOD] = dod
    s[S_AGE_T] += dt_s
    s[S_AGE_SOC] += soc2 * dt_s
    s[S_AGE_TEMP] += temp1 * dt_s
    s[S_AGE_AH] += abs(current) * h
    # trace sums
    tr[TR_SOC] += soc2
    tr[TR_TEMP] += temp1
    tr[TR_POWER] += p_term
    tr[TR_CURRENT] += current
    tr[TR_VOLTAGE] += ocv_t - r0 * current - v1 - v2
    return float(bus_actual)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def age_pack(
    p: FloatArray, s: FloatArray, a: FloatArray, soc_tab: FloatArray, ageing: FloatArray
) -> None:
    """Apply the ageing accumulated since the last update; books the stored energy lost to fade."""
    t = s[S_AGE_T]
    if t <= 0.0:
        return
    k = int(p[P_SET])
    cap_old = s[S_CAP_AH]
    dod = max(s[S_DOD], abs(s[S_EXT] - s[S_HC_START]))
    d_efc = s[S_AGE_AH] / (2.0 * cap_old)
    c_rate = s[S_AGE_AH] / (t / 3600.0) / cap_old
    q_cal, q_cyc, rg = ageing_step(
        s[S_QCAL], s[S_QCYC], s[S_RG], t / 86400.0, s[S_AGE_SOC] / t, s[S_AGE_TEMP] / t, d_efc,
        dod, c_rate, ageing[k],
    )
    s[S_QCAL] = q_cal
    s[S_QCYC] = q_cyc
    s[S_RG] = rg
    cap_new = p[P_CAP_NEW_AH] * soh_from_state(q_cal, q_cyc)
    a[A_FADE_WH] += p[P_SERIES] * (cap_old - cap_new) * energy_per_ah(soc_tab, k, s[S_SOC])
    s[S_CAP_AH] = cap_new
    s[S_AGE_T] = 0.0
    s[S_AGE_SOC] = 0.0
    s[S_AGE_TEMP] = 0.0
    s[S_AGE_AH] = 0.0


@njit(cache=True, error_model="numpy", fastmath=FASTMATH)
def stored_energy_wh(P: FloatArray, S: FloatArray, soc_tab: FloatArray) -> FloatArray:
    """Stored energy of each pack, ∫₀^soc OCV₂₅ dQ, shape (n_sys, n_packs) [Wh]."""
    n_sys, n_packs = P.shape[0], P.shape[1]
    out = np.empty((n_sys, n_packs))
    for b in range(n_sys):
        for q in range(n_packs):
            k = int(P[b, q, P_SET])
            e_per_ah = energy_per_ah(soc_tab, k, S[b, q, S_SOC])
            out[b, q] = P[b, q, P_SERIES] * S[b, q, S_CAP_AH] * e_per_ah
    return out
