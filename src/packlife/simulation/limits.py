"""Pack limits of one step, compiled: what a pack can deliver or take at the DC bus and why.

The voltage limit holds for the step-mean terminal voltage with the exact mean OCV over the step
(:func:`voltage_limited_power_w`, bracketed Newton); the SoC window is an exact current limit;
kW ratings hold as power at the actual voltage; the converter rating and its losses are applied
at the bus (:func:`bus_limit_why`). :mod:`packlife.simulation.kernel` calls these every step.
"""

from __future__ import annotations

import math

from numba import njit

from packlife._typing import FloatArray
from packlife.control.pack_split import (
    MIN_ON_FRACTION,
)
from packlife.models.power_electronics import (
    bus_limit_from_battery_limit_w,
)
from packlife.simulation.layout import (
    C_C1,
    C_C2,
    C_DOCV_DSOC,
    C_E_NOW,
    C_OCV25,
    C_OCV_T,
    C_R0,
    C_R1,
    C_R2,
    C_SOI,
    FASTMATH,
    LIMIT_MAX_PASSES,
    LIMIT_TOLERANCE,
    P_CAP_NEW_AH,
    P_CONV_K0,
    P_CONV_K1,
    P_CONV_K2,
    P_CONV_RATED_W,
    P_DOCV_DSOC_MAX,
    P_I_CH_MAX,
    P_I_DIS_MAX,
    P_P_CH_MAX_W,
    P_P_DIS_MAX_W,
    P_SERIES,
    P_SET,
    P_SOC_MAX,
    P_SOC_MIN,
    P_V_MAX,
    P_V_MIN,
    S_CAP_AH,
    S_SOC,
    S_V1,
    S_V2,
    SH_CONVERTER,
    SH_CONVERTER_MIN,
    SH_ELECTRICAL,
    SH_SOC_WINDOW,
)
from packlife.simulation.tables import (
    S_OCV25,
    SOC_STEP,
    energy_per_ah,
    soc_position,
    table_linear,
)


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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
    ocv1 = series * table_linear(soc_tab, k, S_OCV25, i1, w1)
    return m + base_v - r_ohm * current_a, (ocv1 - m) / current_a - r_ohm


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
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


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def bus_limit_w(
    p: FloatArray, s: FloatArray, c: FloatArray, soc_tab: FloatArray, energy_wh: float,
    derate: float, dt_s: float, discharge: bool,
) -> float:
    """Bus-side power limit of a joined pack in one direction [W] (:func:`bus_limit_why`)."""
    return bus_limit_why(p, s, c, soc_tab, energy_wh, derate, dt_s, discharge)[0]


@njit(cache=True, error_model="numpy", fastmath=FASTMATH, inline="always")
def usable_energy_wh(
    p: FloatArray, s: FloatArray, e_now: float, e_edge: float, discharge: bool
) -> float:
    """Energy left in the SoC window in one direction [Wh] (``e_edge``: energy/Ah at the edge)."""
    if discharge:
        return float(max(p[P_SERIES] * s[S_CAP_AH] * (e_now - e_edge), 0.0))
    return float(max(p[P_SERIES] * s[S_CAP_AH] * (e_edge - e_now), 0.0))
