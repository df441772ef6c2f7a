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
in the requested direction (:func:`lookup_pack`, :func:`_bus_limit_w`), the split, the first
current (:func:`start_step`), the fixed-point current solve over the active packs at once
(:func:`solve_currents`), then the bookkeeping (:func:`advance_pack`) — so that independent
per-pack arithmetic overlaps in the CPU. :func:`run_steps` (threads over systems) and
:func:`run_steps_serial` (calling thread only) share the per-system loop :func:`_run_system`.

Array layouts and index constants are defined here; :mod:`packlife.simulation.system` builds them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from packlife._typing import FloatArray, IntArray
from packlife.control.pack_split import MIN_ON_FRACTION
from packlife.models.ageing import ageing_step, half_cycle_update, soh_from_state
from packlife.models.ecm import current_for_power
from packlife.models.power_electronics import bus_limit_from_battery_limit_w, converter_loss_w
from packlife.models.thermal import heat_generation_w
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
    temp_position,
)

# ---- per-pack parameters: P[n_sys, n_packs, N_P] ----
(
    P_SET, P_SERIES, P_R_SCALE, P_C_SCALE, P_CAP_NEW_AH, P_V_MIN, P_V_MAX, P_I_DIS_MAX, P_I_CH_MAX,
    P_SOC_MIN, P_SOC_MAX, P_HEAT_CAP, P_G_PASSIVE, P_G_ACTIVE, P_COOL_ON_C, P_CONV_RATED_W,
    P_CONV_K0, P_CONV_K1, P_CONV_K2, P_T_MAX_C, P_JOINED, P_P_DIS_MAX_W, P_P_CH_MAX_W,
    P_DOCV_DSOC_MAX,
) = range(24)
N_P = 24
# (P_DOCV_DSOC_MAX: the steepest 25 °C OCV slope of the pack's table [V per unit SoC].)

# ---- per-pack state: S[n_sys, n_packs, N_S] ----
(
    S_SOC, S_TEMP, S_V1, S_V2, S_QCAL, S_QCYC, S_RG, S_CAP_AH, S_HC_START, S_EXT, S_DIR, S_DOD,
    S_AGE_T, S_AGE_SOC, S_AGE_TEMP, S_AGE_AH,
) = range(16)
N_S = 16

# ---- per-pack accumulators: A[n_sys, n_packs, N_A] (energies in Wh) ----
(
    A_E_DIS_WH, A_E_CH_WH, A_BUS_WH, A_CONV_WH, A_OHMIC_WH, A_POL_WH, A_ENTROPIC_WH, A_SD_WH,
    A_FADE_WH, A_AH, A_T_MAX, A_SOC_MIN, A_OVERTEMP_S, A_DEEP_S,
    A_P_DIS_MAX_W, A_P_CH_MAX_W, A_BUS_MAX_W, A_V_MEAN_MIN, A_V_MEAN_MAX,
) = range(19)
N_A = 19
# (A_P_*_MAX_W: largest terminal power of a step per direction; A_BUS_MAX_W: largest bus power
# magnitude; A_V_MEAN_*: extremes of the step-mean terminal voltage over steps with current.)

# ---- per-system accumulators: B[n_sys, N_B] (Wh) ----
B_REQ_DIS_WH, B_REQ_CH_WH, B_DEL_DIS_WH, B_DEL_CH_WH, B_UNMET_DIS_WH, B_UNMET_CH_WH = range(6)
N_B = 6

# ---- pack trace fields: mean over each output interval ----
TR_SOC, TR_TEMP, TR_POWER, TR_CURRENT, TR_VOLTAGE = range(5)
N_TR = 5
# ---- system trace fields ----
TS_REQUEST, TS_DELIVERED = range(2)
N_TS = 2

# ---- limits output: L[n_sys, n_packs, N_L] ----
(
    L_BUS_DIS_W, L_BUS_CH_W, L_E_DIS_WH, L_E_CH_WH, L_DERATE_DIS, L_DERATE_CH, L_WHY_DIS, L_WHY_CH,
) = range(8)
N_L = 8

HALF_CYCLE_MIN_SWING = 0.01
#: The current solve iterates (at least two passes) until the current changes by less than this
#: fraction, so the power delivered equals the power asked to ~1e-12 whatever the step.
SOLVE_TOLERANCE = 1e-12
SOLVE_MAX_PASSES = 12
#: The voltage limit's current is settled until the step-mean voltage is within this fraction
#: of the limit (:func:`voltage_limited_power_w`); Newton needs one or two passes.
LIMIT_TOLERANCE = 1e-12
LIMIT_MAX_PASSES = 16
#: Floating-point relaxations that keep NaN/inf semantics (the accumulators start at ±inf).
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
# ---- why a pack delivered less than its setpoint (physics, inside the step): SH[..., N_SH] ----
SH_ELECTRICAL, SH_SOC_WINDOW, SH_CONVERTER, SH_CONVERTER_MIN, SH_NOT_JOINED = range(5)
N_SH = 5
SHORTFALL_REASONS = (
    "voltage / current limit",
    "SoC window",
    "converter rating",
    "below converter minimum power",
    "pack not joined",
)
DEEP_DISCHARGE_MARGIN = 0.02


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _bilinear(tab: FloatArray, k: int, t: int, j: int, wt: float, i: int, ws: float) -> float:
    """Bilinear lookup in ``tab[k, t]`` (a temperature × soc table) without making views."""
    a = tab[k, t, j, i] + ws * (tab[k, t, j, i + 1] - tab[k, t, j, i])
    b = tab[k, t, j + 1, i] + ws * (tab[k, t, j + 1, i + 1] - tab[k, t, j + 1, i])
    return float(a + wt * (b - a))


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _linear(tab: FloatArray, k: int, t: int, i: int, w: float) -> float:
    """Linear lookup in the 1-D table ``tab[k, t]``."""
    return float(tab[k, t, i] + w * (tab[k, t, i + 1] - tab[k, t, i]))


# ---- per-step scratch of one pack: C[N_C] ----
(
    C_OCV_T, C_OCV25, C_R0, C_R1, C_C1, C_R2, C_C2, C_DUDT, C_E_NOW, C_SOI, C_SOW, C_TJ, C_TW,
    C_E_END, C_ACTIVE, C_D1, C_D2, C_VBAR, C_RBAR, C_LOSS, C_PBATT, C_CURRENT, C_OCV_AVG,
    C_DSOC_PER_A, C_DOCV_DSOC,
) = range(25)
N_C = 25


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
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
    c[C_OCV_T] = series * _bilinear(elec, k, T_OCV, j, wt, i, ws)
    c[C_OCV25] = series * _linear(soc_tab, k, S_OCV25, i, ws)
    c[C_R0] = _bilinear(elec, k, T_R0, j, wt, i, ws) * r_scale
    c[C_R1] = _bilinear(elec, k, T_R1, j, wt, i, ws) * r_scale
    c[C_C1] = _bilinear(elec, k, T_C1, j, wt, i, ws) * p[P_C_SCALE]
    c[C_R2] = _bilinear(elec, k, T_R2, j, wt, i, ws) * r_scale
    c[C_C2] = _bilinear(elec, k, T_C2, j, wt, i, ws) * p[P_C_SCALE]
    c[C_DUDT] = series * _linear(soc_tab, k, S_DUDT, i, ws)
    c[C_DOCV_DSOC] = series * (soc_tab[k, S_OCV25, i + 1] - soc_tab[k, S_OCV25, i]) / SOC_STEP
    c[C_SOI] = i
    c[C_SOW] = ws
    c[C_TJ] = j
    c[C_TW] = wt
    c[C_E_NOW] = e_now


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
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
        return min(_linear(temp_tab, k, D_DIS, j, wt), _linear(soc_tab, k, S_DER_DIS, i, ws))
    return min(_linear(temp_tab, k, D_CH, j, wt), _linear(soc_tab, k, S_DER_CH, i, ws))


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _step_mean_rc(s: FloatArray, c: FloatArray, dt_s: float) -> tuple[float, float]:
    """Mean RC voltage over a step at zero current [V] and its resistance per ampere [Ω]:
    ``Σ v·f`` and ``Σ R·(1 − f)`` with ``f = (1 − e^{−x})/x``, ``x = dt/τ``."""
    r1 = c[C_R1]
    x1 = dt_s / (r1 * c[C_C1])
    f1 = (1.0 - math.exp(-x1)) / x1 if x1 > 1e-9 else 1.0
    v = s[S_V1] * f1
    r = r1 * (1.0 - f1)
    r2 = c[C_R2]
    if r2 > 0.0:
        x2 = dt_s / (r2 * c[C_C2])
        f2 = (1.0 - math.exp(-x2)) / x2 if x2 > 1e-9 else 1.0
        v += s[S_V2] * f2
        r += r2 * (1.0 - f2)
    return v, r


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _mean_voltage_excess(
    p: FloatArray, s: FloatArray, c: FloatArray, soc_tab: FloatArray, dsoc_per_a: float,
    base_v: float, r_ohm: float, current_a: float,
) -> tuple[float, float]:
    """Step-mean terminal voltage above ``base_v + v_limit`` at a current held over the step [V]
    and its derivative by the current [V/A] (discharge positive).

    The mean is ``m(i) + base_v − r_ohm·i`` with ``m`` the exact mean 25 °C OCV over the SoC
    change (stored-energy difference over charge, as in :func:`solve_currents`);
    ``dm/di = (OCV₂₅(soc₁) − m)/i``. ``base_v`` carries ``OCV_T − OCV₂₅``, the RC voltages'
    decayed mean and minus the voltage limit.
    """
    soc = s[S_SOC]
    du = -current_a * dsoc_per_a
    if abs(du) <= 1e-13:
        # vanishing SoC change: m = OCV₂₅ at the start, dm/di = −slope·(dSoC/dA)/2
        return c[C_OCV25] + base_v - r_ohm * current_a, -0.5 * c[C_DOCV_DSOC] * dsoc_per_a - r_ohm
    k = int(p[P_SET])
    series = p[P_SERIES]
    soc1 = soc + du
    m = series * (energy_per_ah(soc_tab, k, soc1) - c[C_E_NOW]) / du
    i1, w1 = soc_position(soc1)
    ocv1 = series * _linear(soc_tab, k, S_OCV25, i1, w1)
    return m + base_v - r_ohm * current_a, (ocv1 - m) / current_a - r_ohm


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def voltage_limited_power_w(
    p: FloatArray, s: FloatArray, c: FloatArray, soc_tab: FloatArray, dt_s: float,
    v_limit: float, i_limit: float, discharge: bool,
) -> float:
    """Largest terminal power magnitude over the step whose *mean* terminal voltage stays within
    ``v_limit`` (the minimum for discharge, the maximum for charge) at no more than ``i_limit``
    amperes [W].

    With the current held over the step the mean terminal voltage is
    ``m(i) + (OCV_T − OCV₂₅) − v̄ − (r0 + r̄)·i`` (RC means as in :func:`start_step`, ``m`` the
    exact mean 25 °C OCV over the step's SoC change, :func:`_mean_voltage_excess`). A first
    current takes ``m`` linear in ``i`` (the OCV slope at the start); the excess over the limit
    is then evaluated exactly there, and — unless the current limit holds with the voltage
    within its limit — Newton steps (kept inside the bracket of feasible and infeasible
    currents, bisecting otherwise) settle the current at the limit to ~1e-12 V/V. The power
    returned is the exact mean power at that current, so the current solve lands on it.
    """
    sign = 1.0 if discharge else -1.0
    v_bar, r_bar = _step_mean_rc(s, c, dt_s)
    dsoc = dt_s / (3600.0 * s[S_CAP_AH])
    r_ohm = c[C_R0] + r_bar
    base_v = c[C_OCV_T] - c[C_OCV25] - v_bar - v_limit
    r_lin = r_ohm + 0.5 * max(c[C_DOCV_DSOC], 0.0) * dsoc
    mag = min(max(sign * (c[C_OCV_T] - v_bar - v_limit) / r_lin, 0.0), i_limit)
    if not mag > 0.0:
        return 0.0
    # fast paths without a table lookup: (a) the SoC stays on the start's linear OCV segment,
    # where the linear mean is exact; (b) the current limit holds with the voltage within its
    # limit even for the steepest OCV slope of the table (the mean OCV lies above the OCV at
    # the end of the step for discharge, below it for charge)
    lo_seg = c[C_SOI] * SOC_STEP
    soc1 = s[S_SOC] - sign * mag * dsoc
    if c[C_DOCV_DSOC] >= 0.0 and lo_seg <= soc1 <= lo_seg + SOC_STEP:
        return float((c[C_OCV_T] - v_bar - sign * r_lin * mag) * mag)
    if mag >= i_limit:
        worst = c[C_OCV_T] - sign * (p[P_DOCV_DSOC_MAX] * mag * dsoc + r_ohm * mag)
        if sign * (worst - v_bar - v_limit) >= 0.0:
            return float((c[C_OCV_T] - v_bar - sign * r_lin * mag) * mag)
    g = 0.0
    lo, hi = 0.0, i_limit  # magnitudes within the voltage limit / beyond it (once evaluated)
    hi_beyond = False
    for _ in range(LIMIT_MAX_PASSES):
        g, dg = _mean_voltage_excess(p, s, c, soc_tab, dsoc, base_v, r_ohm, sign * mag)
        if sign * g >= 0.0:
            lo = mag
            if mag >= i_limit:
                break  # current-limited, the voltage within its limit
        else:
            hi = mag
            hi_beyond = True
        if abs(g) <= LIMIT_TOLERANCE * v_limit:
            break
        nxt = mag - sign * g / dg if dg != 0.0 else -1.0
        if lo < nxt < hi:
            mag = nxt
        elif nxt >= hi and not hi_beyond:
            mag = hi  # try the current limit itself
        else:
            mag = 0.5 * (lo + hi)
    if sign * g < -LIMIT_TOLERANCE * v_limit:  # not settled: the bracket's end within the limit
        mag = lo
        if not mag > 0.0:
            return 0.0
        g, dg = _mean_voltage_excess(p, s, c, soc_tab, dsoc, base_v, r_ohm, sign * mag)
    return float(max((v_limit + g) * mag, 0.0))


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def bus_limit_why(
    p: FloatArray, s: FloatArray, c: FloatArray, soc_tab: FloatArray, energy_wh: float,
    derate: float, dt_s: float, discharge: bool,
) -> tuple[float, int]:
    """Bus-side power limit of a joined pack in one direction [W] and what sets it (``SH_*``).

    The battery-side limit is the least of the voltage and derated current limits, the pack's
    power rating at its actual voltage (both scaled by SoH and derating) and the SoC window
    within this step (``energy_wh``: usable energy in that direction); the converter then
    passes at most its rating, and is switched off below its minimum operating power.

    The voltage limit holds for the step's *mean* terminal voltage, with the RC voltages' and
    the OCV's exact means over the step (:func:`voltage_limited_power_w`); from the state at the
    start the mean voltage fell up to ~1 % below the minimum within a step, and with the OCV
    linear in the step's SoC change up to 0.5 % (60-s steps on the Leaf's steep low-SoC OCV).
    The SoC window is the current ``i`` that ends the step at the window's edge, whose mean
    terminal power is exactly ``E·3600/dt + (OCV_T − OCV₂₅ − v̄ − (r0 + r̄)·i)·i`` (``E`` the
    usable energy is the chemical energy moved); an estimate from the state at the start,
    without the RC voltages' growth, overshot the window on 900-s steps.
    """
    soh = s[S_CAP_AH] / p[P_CAP_NEW_AH]
    dsoc = dt_s / (3600.0 * s[S_CAP_AH])
    if discharge:
        i_max = p[P_I_DIS_MAX] * soh * derate
        p_el = min(voltage_limited_power_w(p, s, c, soc_tab, dt_s, p[P_V_MIN], i_max, True),
                   p[P_P_DIS_MAX_W] * soh * derate)
        i_soc = max(s[S_SOC] - p[P_SOC_MIN], 0.0) / dsoc
    else:
        i_max = p[P_I_CH_MAX] * soh * derate
        p_el = min(voltage_limited_power_w(p, s, c, soc_tab, dt_s, p[P_V_MAX], i_max, False),
                   p[P_P_CH_MAX_W] * soh * derate)
        i_soc = -max(p[P_SOC_MAX] - s[S_SOC], 0.0) / dsoc
    p_soc = p_el
    if abs(i_soc) < i_max:  # the window binds before the current limit
        v_bar, r_bar = _step_mean_rc(s, c, dt_s)
        rest = c[C_OCV_T] - c[C_OCV25] - v_bar - (c[C_R0] + r_bar) * i_soc
        p_soc = max(energy_wh * 3600.0 / dt_s + rest * abs(i_soc), 0.0)
    why = SH_ELECTRICAL if p_el <= p_soc else SH_SOC_WINDOW
    rated = p[P_CONV_RATED_W]
    bus = bus_limit_from_battery_limit_w(
        min(p_el, p_soc), rated, p[P_CONV_K0], p[P_CONV_K1], p[P_CONV_K2], discharge
    )
    if bus >= rated * (1.0 - 1e-12):
        why = SH_CONVERTER
    # below its minimum operating power a converter is switched off (no-load losses would dominate)
    if bus < MIN_ON_FRACTION * rated:
        return 0.0, SH_CONVERTER_MIN
    return bus, why


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def _bus_limit_w(
    p: FloatArray, s: FloatArray, c: FloatArray, soc_tab: FloatArray, energy_wh: float,
    derate: float, dt_s: float, discharge: bool,
) -> float:
    """Bus-side power limit of a joined pack in one direction [W] (:func:`bus_limit_why`)."""
    return bus_limit_why(p, s, c, soc_tab, energy_wh, derate, dt_s, discharge)[0]


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def usable_energy_wh(
    p: FloatArray, s: FloatArray, e_now: float, e_edge: float, discharge: bool
) -> float:
    """Energy left in the SoC window in one direction [Wh] (``e_edge``: energy/Ah at the edge)."""
    if discharge:
        return float(max(p[P_SERIES] * s[S_CAP_AH] * (e_now - e_edge), 0.0))
    return float(max(p[P_SERIES] * s[S_CAP_AH] * (e_edge - e_now), 0.0))


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
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


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
def thermal_decay(p: FloatArray, dt_s: float, active: bool) -> float:
    """Decay factor ``exp(−dt·G/C)`` of the lumped thermal model over one step, cooling off or on.

    Constant for a pack within a run, so the kernel computes it once per pack (see
    :func:`packlife.models.thermal.lumped_step`, whose update :func:`advance_pack` applies).
    """
    g = p[P_G_PASSIVE] + (p[P_G_ACTIVE] if active else 0.0)
    return math.exp(-dt_s * g / p[P_HEAT_CAP])


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
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


@njit(cache=True, error_model="numpy", fastmath=_FASTMATH)
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
