"""Equivalent-circuit model (R0 + up to two RC pairs) of a cell or pack.

Sign convention: discharge current and power are positive. Terminal voltage
``v = ocv - r0·i - v_rc1 - v_rc2``; each RC voltage obeys ``dv/dt = -v/(R·C) + i/C`` and is
advanced exactly for a current held constant over the step (zero-order hold).

References
----------
G. L. Plett, *Battery Management Systems, Vol. 1: Battery Modeling*, Artech House, 2015, ch. 2.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from packlife._typing import FloatArray
from packlife.models.interp import interp2_scalar


@njit(cache=True, error_model="numpy", inline="always")
def rc_step(v_rc_v: float, current_a: float, r_ohm: float, c_f: float, dt_s: float) -> float:
    """Advance one RC pair's voltage by ``dt_s`` with constant ``current_a`` (exact solution).

    Parameters
    ----------
    v_rc_v : float
        RC voltage at the start of the step [V].
    current_a : float
        Current through the pair, discharge positive [A].
    r_ohm, c_f : float
        Resistance [Ω] and capacitance [F] of the pair.
    dt_s : float
        Step [s].

    Returns
    -------
    float
        RC voltage at the end of the step [V].
    """
    decay = math.exp(-dt_s / (r_ohm * c_f))
    return v_rc_v * decay + r_ohm * current_a * (1.0 - decay)


@njit(cache=True, error_model="numpy", inline="always")
def rc_mean_voltage(
    v_rc_v: float, current_a: float, r_ohm: float, c_f: float, dt_s: float
) -> float:
    """Mean RC voltage over a step of constant current [V] (for exact step energy accounting)."""
    tau = r_ohm * c_f
    x = dt_s / tau
    if x < 1e-9:
        return v_rc_v
    frac = (1.0 - math.exp(-x)) / x
    v_inf = r_ohm * current_a
    return v_inf + (v_rc_v - v_inf) * frac


@njit(cache=True, error_model="numpy", inline="always")
def current_for_power(power_w: float, ocv_v: float, v_rc_v: float, r0_ohm: float) -> float:
    """Current that makes terminal power ``(ocv - v_rc - r0·i)·i`` equal ``power_w``.

    Takes the root with the smaller magnitude (the physical branch). If the power exceeds the
    maximum transferable power ``e²/(4·r0)`` the current at maximum power ``e/(2·r0)`` is returned;
    callers cap power beforehand with :func:`max_power_w`.

    Parameters
    ----------
    power_w : float
        Terminal power, discharge positive [W].
    ocv_v : float
        Open-circuit voltage [V].
    v_rc_v : float
        Sum of RC voltages [V].
    r0_ohm : float
        Ohmic resistance [Ω].
    """
    e = ocv_v - v_rc_v
    disc = e * e - 4.0 * r0_ohm * power_w
    if disc < 0.0:
        return e / (2.0 * r0_ohm)
    return 2.0 * power_w / (e + math.sqrt(disc))


@njit(cache=True, error_model="numpy", inline="always")
def max_power_w(
    ocv_v: float, v_rc_v: float, r0_ohm: float, v_limit_v: float, i_limit_a: float, discharge: bool
) -> float:
    """Largest terminal power magnitude within a voltage limit and a current limit [W].

    For discharge ``v_limit_v`` is the minimum voltage, for charge the maximum voltage.
    """
    e = ocv_v - v_rc_v
    if discharge:
        i_v = (e - v_limit_v) / r0_ohm
        i = min(max(i_v, 0.0), i_limit_a)
        return max((e - r0_ohm * i) * i, 0.0)
    i_v = (v_limit_v - e) / r0_ohm
    i = min(max(i_v, 0.0), i_limit_a)
    return max((e + r0_ohm * i) * i, 0.0)


@njit(cache=True, error_model="numpy")
def simulate_current(
    time_s: FloatArray,
    current_a: FloatArray,
    temperature_c: FloatArray,
    soc0: float,
    capacity_ah: float,
    ocv_t: FloatArray,
    ocv_s: FloatArray,
    ocv_v: FloatArray,
    ecm_t: FloatArray,
    ecm_s: FloatArray,
    r0: FloatArray,
    r1: FloatArray,
    c1: FloatArray,
    r2: FloatArray,
    c2: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Terminal voltage of a cell driven by a measured current profile.

    Current sample ``k`` is held from ``time_s[k]`` to ``time_s[k+1]``; the voltage at sample
    ``k`` uses the state at ``time_s[k]``. Pass ``r2`` filled with zeros to use one RC pair.

    Parameters
    ----------
    time_s, current_a, temperature_c : ndarray
        Samples (discharge positive) [s], [A], [°C].
    soc0 : float
        State of charge at the first sample [0–1].
    capacity_ah : float
        Cell capacity [Ah].
    ocv_t, ocv_s, ocv_v : ndarray
        OCV table axes (temperature [°C], soc) and values [V], rows by temperature.
    ecm_t, ecm_s, r0, r1, c1, r2, c2 : ndarray
        ECM table axes and values [Ω], [F], rows by temperature.

    Returns
    -------
    voltage_v, soc : ndarray
        Simulated terminal voltage [V] and state of charge at each sample.
    """
    n = time_s.shape[0]
    v_out = np.empty(n)
    soc_out = np.empty(n)
    soc = soc0
    v1 = 0.0
    v2 = 0.0
    for k in range(n):
        t_c = temperature_c[k]
        i = current_a[k]
        ocv = interp2_scalar(ocv_t, ocv_s, ocv_v, t_c, soc)
        r0k = interp2_scalar(ecm_t, ecm_s, r0, t_c, soc)
        v_out[k] = ocv - r0k * i - v1 - v2
        soc_out[k] = soc
        if k + 1 < n:
            dt = time_s[k + 1] - time_s[k]
            r1k = interp2_scalar(ecm_t, ecm_s, r1, t_c, soc)
            c1k = interp2_scalar(ecm_t, ecm_s, c1, t_c, soc)
            v1 = rc_step(v1, i, r1k, c1k, dt)
            r2k = interp2_scalar(ecm_t, ecm_s, r2, t_c, soc)
            if r2k > 0.0:
                c2k = interp2_scalar(ecm_t, ecm_s, c2, t_c, soc)
                v2 = rc_step(v2, i, r2k, c2k, dt)
            soc -= i * dt / (3600.0 * capacity_ah)
    return v_out, soc_out
