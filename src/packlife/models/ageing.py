"""Semi-empirical calendar + cycle ageing with virtual-time continuation and a second-life start.

State per pack (all dimensionless):

* ``q_cal`` – calendar capacity loss, fraction of the NEW capacity,
* ``q_cyc`` – cycle capacity loss, fraction of the NEW capacity,
* ``r_growth`` – resistance factor of new (1.0 = new).

``soh = 1 - q_cal - q_cyc``. The laws (symbols as in
:class:`packlife.chemistry.schema.AgeingParameters`) are

.. math::

    q_{cal} = k_{cal}\\, e^{-E_{a,cal}/R\\,(1/T - 1/T_{ref})}\\, f_{soc}(soc)\\, t_{days}^{z_{cal}}

    q_{cyc} = k_{cyc}\\, f_T\\, f_{dod}\\, f_c\\, \\mathrm{EFC}^{z_{cyc}}

with ``f_soc = max(1 + a x + b x² + c x³, 0.05)``, ``x = soc - 0.5``;
``f_T = exp(-Ea_cyc/R (1/T - 1/T_ref)) · exp(c_lt · max(T_ref - T, 0))`` (the second factor is the
low-temperature / lithium-plating term); ``f_dod = (dod/dod_ref)^e``;
``f_c = exp(c_c (c_rate - c_ref))``.

Conditions vary from step to step, so each law is integrated by **virtual-time continuation**: the
equivalent time (or throughput) that would have produced the current loss under the *current* stress
is ``t_eq = (q/A)^(1/z)``, and the step advances it: ``q' = A (t_eq + dt)^z``. Under constant
conditions one step of 100 days therefore equals 100 steps of one day, and a pack that enters with
an existing loss continues at the (slower) rate of its equivalent age instead of restarting a fresh
``√t`` clock. Below ``knee_soh`` the capacity increments are multiplied by ``knee_acceleration``.
Resistance grows by ``r_per_q_cal · Δq_cal + r_per_q_cyc · Δq_cyc`` (never decreases).

References
----------
J. Schmalstieg et al., J. Power Sources 257 (2014) 325–334 (calendar/cycle √t laws, virtual time).
M. Naumann et al., J. Energy Storage 17 (2018) 153–169; J. Power Sources 451 (2020) 227666.
K. Smith et al., BLAST-Lite (NREL), https://github.com/NatLabRockies/BLAST-Lite (power-law state
equations ``dy = k p (k/y)^((1-p)/p) dx``).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numba import njit

from packlife._typing import FloatArray
from packlife.errors import PacklifeError

R_GAS_J_PER_MOL_K = 8.314462618
_KELVIN = 273.15

# Index constants of the flat parameter vector built by :func:`ageing_parameter_vector`.
P_K_CAL = 0  # k_cal [1/day^z_cal]
P_Z_CAL = 1
P_EA_CAL = 2  # [J/mol]
P_SOC_A = 3
P_SOC_B = 4
P_SOC_C = 5
P_K_CYC = 6  # k_cyc [1/EFC^z_cyc]
P_Z_CYC = 7
P_EA_CYC = 8  # [J/mol]
P_LOWT = 9  # low-temperature coefficient [1/K]
P_DOD_EXP = 10
P_DOD_REF = 11
P_C_COEFF = 12
P_C_REF = 13
P_T_REF_C = 14  # [°C]
P_R_CAL = 15
P_R_CYC = 16
P_KNEE_SOH = 17  # 0.0 = no knee
P_KNEE_ACC = 18
N_PARAMS = 19


class AgeingParameterSource(Protocol):
    """What :func:`ageing_parameter_vector` reads (satisfied by ``AgeingParameters``)."""

    @property
    def k_cal_per_day_z(self) -> float: ...
    @property
    def z_cal(self) -> float: ...
    @property
    def ea_cal_j_per_mol(self) -> float: ...
    @property
    def soc_stress_a(self) -> float: ...
    @property
    def soc_stress_b(self) -> float: ...
    @property
    def soc_stress_c(self) -> float: ...
    @property
    def k_cyc_per_efc_z(self) -> float: ...
    @property
    def z_cyc(self) -> float: ...
    @property
    def ea_cyc_j_per_mol(self) -> float: ...
    @property
    def cyc_low_temperature_coeff_per_k(self) -> float: ...
    @property
    def dod_exponent(self) -> float: ...
    @property
    def reference_dod(self) -> float: ...
    @property
    def c_rate_coeff(self) -> float: ...
    @property
    def reference_c_rate(self) -> float: ...
    @property
    def reference_temperature_c(self) -> float: ...
    @property
    def r_per_q_cal(self) -> float: ...
    @property
    def r_per_q_cyc(self) -> float: ...
    @property
    def knee_soh(self) -> float | None: ...
    @property
    def knee_acceleration(self) -> float: ...


def ageing_parameter_vector(params: AgeingParameterSource) -> FloatArray:
    """Flatten ageing parameters into the float64 vector the kernels take (see ``P_*`` indices).

    Parameters
    ----------
    params : AgeingParameters
        Validated parameters (``packlife.chemistry.schema.AgeingParameters``).

    Returns
    -------
    ndarray, shape (N_PARAMS,)
    """
    p = np.zeros(N_PARAMS)
    p[P_K_CAL] = params.k_cal_per_day_z
    p[P_Z_CAL] = params.z_cal
    p[P_EA_CAL] = params.ea_cal_j_per_mol
    p[P_SOC_A] = params.soc_stress_a
    p[P_SOC_B] = params.soc_stress_b
    p[P_SOC_C] = params.soc_stress_c
    p[P_K_CYC] = params.k_cyc_per_efc_z
    p[P_Z_CYC] = params.z_cyc
    p[P_EA_CYC] = params.ea_cyc_j_per_mol
    p[P_LOWT] = params.cyc_low_temperature_coeff_per_k
    p[P_DOD_EXP] = params.dod_exponent
    p[P_DOD_REF] = params.reference_dod
    p[P_C_COEFF] = params.c_rate_coeff
    p[P_C_REF] = params.reference_c_rate
    p[P_T_REF_C] = params.reference_temperature_c
    p[P_R_CAL] = params.r_per_q_cal
    p[P_R_CYC] = params.r_per_q_cyc
    p[P_KNEE_SOH] = 0.0 if params.knee_soh is None else params.knee_soh
    p[P_KNEE_ACC] = params.knee_acceleration
    return p


@njit(cache=True)
def calendar_rate(soc_mean: float, temperature_c: float, p: FloatArray) -> float:
    """Calendar coefficient ``A_cal = k_cal · f_T,cal · f_soc`` [1/day^z_cal]."""
    t_k = temperature_c + _KELVIN
    t_ref_k = p[P_T_REF_C] + _KELVIN
    x = soc_mean - 0.5
    f_soc = 1.0 + p[P_SOC_A] * x + p[P_SOC_B] * x * x + p[P_SOC_C] * x * x * x
    f_soc = max(f_soc, 0.05)
    f_t = math.exp(-p[P_EA_CAL] / R_GAS_J_PER_MOL_K * (1.0 / t_k - 1.0 / t_ref_k))
    return float(p[P_K_CAL] * f_t * f_soc)


@njit(cache=True)
def cycle_rate(temperature_c: float, dod: float, c_rate: float, p: FloatArray) -> float:
    """Cycle coefficient ``A_cyc = k_cyc · f_T · f_dod · f_c`` [1/EFC^z_cyc]."""
    t_k = temperature_c + _KELVIN
    t_ref_k = p[P_T_REF_C] + _KELVIN
    f_t = math.exp(-p[P_EA_CYC] / R_GAS_J_PER_MOL_K * (1.0 / t_k - 1.0 / t_ref_k))
    f_t *= math.exp(p[P_LOWT] * max(p[P_T_REF_C] - temperature_c, 0.0))
    d = min(max(dod, 0.0), 1.0)
    if p[P_DOD_EXP] > 0.0:
        f_dod = (d / p[P_DOD_REF]) ** p[P_DOD_EXP]
    else:
        f_dod = 1.0
    f_c = math.exp(p[P_C_COEFF] * (max(c_rate, 0.0) - p[P_C_REF]))
    return float(p[P_K_CYC] * f_t * f_dod * f_c)


@njit(cache=True, inline="always")
def power_law_increment(q: float, dx: float, a: float, z: float) -> float:
    """Increment of ``q = a·x^z`` over ``dx`` starting from the equivalent ``x`` of ``q``.

    Parameters
    ----------
    q : float
        Current value of the state (≥ 0).
    dx : float
        Advance of the independent variable (days or EFC) (≥ 0).
    a, z : float
        Coefficient and exponent of the law under the current stress.

    Returns
    -------
    float
        ``a·(x_eq + dx)^z - q`` (≥ 0), with ``x_eq = (q/a)^(1/z)``.
    """
    if dx <= 0.0 or a <= 0.0:
        return 0.0
    if q <= 0.0:
        return float(a * dx**z)
    x_eq = math.exp((math.log(q) - math.log(a)) / z)
    if not x_eq < math.inf:  # negligible stress for this much loss: no measurable increment
        return 0.0
    if x_eq <= 0.0:  # loss too small to resolve an equivalent time
        return float(max(a * dx**z - q, 0.0))
    # q·((1 + dx/x_eq)^z - 1), accurate also for dx << x_eq
    return float(max(q * math.expm1(z * math.log1p(dx / x_eq)), 0.0))


@njit(cache=True)
def soh_from_state(q_cal: float, q_cyc: float) -> float:
    """State of health (capacity fraction of new, 0–1) from the two loss states."""
    return min(max(1.0 - q_cal - q_cyc, 0.0), 1.0)


@njit(cache=True)
def ageing_step(
    q_cal: float,
    q_cyc: float,
    r_growth: float,
    dt_days: float,
    soc_mean: float,
    temperature_c: float,
    d_efc: float,
    dod: float,
    c_rate: float,
    p: FloatArray,
) -> tuple[float, float, float]:
    """Advance the ageing state of one pack by one interval (virtual-time continuation).

    Parameters
    ----------
    q_cal, q_cyc : float
        Calendar and cycle capacity loss, fractions of new capacity.
    r_growth : float
        Resistance factor of new (1.0 = new).
    dt_days : float
        Interval length [days].
    soc_mean : float
        Mean SoC over the interval (0–1).
    temperature_c : float
        Mean cell temperature [°C].
    d_efc : float
        Equivalent full cycles in the interval: Ah throughput / (2 · capacity).
    dod : float
        Depth of the most recent completed half cycle (0–1).
    c_rate : float
        Mean |I| / capacity [1/h].
    p : ndarray
        Parameter vector from :func:`ageing_parameter_vector`.

    Returns
    -------
    tuple of float
        New ``(q_cal, q_cyc, r_growth)``.
    """
    q_tot = q_cal + q_cyc
    dq_cal = power_law_increment(
        q_cal, dt_days, calendar_rate(soc_mean, temperature_c, p), p[P_Z_CAL]
    )
    dq_cyc = power_law_increment(
        q_cyc, d_efc, cycle_rate(temperature_c, dod, c_rate, p), p[P_Z_CYC]
    )
    knee = p[P_KNEE_SOH]
    if knee > 0.0 and 1.0 - q_tot < knee:
        dq_cal *= p[P_KNEE_ACC]
        dq_cyc *= p[P_KNEE_ACC]
    r_new = r_growth + p[P_R_CAL] * dq_cal + p[P_R_CYC] * dq_cyc
    return q_cal + dq_cal, q_cyc + dq_cyc, r_new


@njit(cache=True)
def half_cycle_update(
    soc: float, soc_start: float, soc_extreme: float, direction: int, min_swing: float
) -> tuple[float, float, float, int]:
    """Streaming half-cycle detector, one SoC sample at a time.

    Reversals smaller than ``min_swing`` are ignored (hysteresis).

    Parameters
    ----------
    soc : float
        New SoC sample (0–1).
    soc_start : float
        SoC where the running half cycle started (initialise with the first sample).
    soc_extreme : float
        Furthest SoC reached in the running half cycle (initialise with the first sample).
    direction : int
        +1 charging, -1 discharging, 0 not yet known (initialise with 0).
    min_swing : float
        Reversal hysteresis (e.g. 0.02): a turn counts once SoC moved back this far.

    Returns
    -------
    completed_dod : float
        Depth of the half cycle completed at this sample, 0.0 if none completed.
    soc_start, soc_extreme : float
        Updated detector state.
    direction : int
        Updated direction.
    """
    completed = 0.0
    if direction == 0:
        if soc >= soc_start + min_swing:
            return 0.0, soc_start, soc, 1
        if soc <= soc_start - min_swing:
            return 0.0, soc_start, soc, -1
        return 0.0, soc_start, soc_extreme, 0
    if direction > 0:
        if soc > soc_extreme:
            return 0.0, soc_start, soc, 1
        if soc_extreme - soc >= min_swing:
            completed = soc_extreme - soc_start
            return completed, soc_extreme, soc, -1
        return 0.0, soc_start, soc_extreme, 1
    if soc < soc_extreme:
        return 0.0, soc_start, soc, -1
    if soc - soc_extreme >= min_swing:
        completed = soc_start - soc_extreme
        return completed, soc_extreme, soc, 1
    return 0.0, soc_start, soc_extreme, -1


@njit(cache=True)
def _project_kernel(
    time_s: FloatArray,
    soc: FloatArray,
    temperature_c: FloatArray,
    interval_s: float,
    q_cal0: float,
    q_cyc0: float,
    r0: float,
    p: FloatArray,
    min_swing: float,
) -> FloatArray:
    n = time_s.shape[0]
    out = np.empty((n, 5))  # time_days, q_cal, q_cyc, r_growth, efc (rows used: m)
    q_cal, q_cyc, r = q_cal0, q_cyc0, r0
    s_start, s_ext, direc = soc[0], soc[0], 0
    dod_run = 0.0
    efc_total = 0.0
    m = 0
    acc_t = acc_soc = acc_temp = acc_thr = acc_d2 = acc_d = 0.0
    t0 = time_s[0]
    for i in range(1, n):
        dt = time_s[i] - time_s[i - 1]
        if dt < 0.0:
            dt = 0.0
        ds = abs(soc[i] - soc[i - 1])
        acc_t += dt
        acc_soc += 0.5 * (soc[i] + soc[i - 1]) * dt
        acc_temp += 0.5 * (temperature_c[i] + temperature_c[i - 1]) * dt
        acc_thr += ds
        done, s_start, s_ext, direc = half_cycle_update(soc[i], s_start, s_ext, direc, min_swing)
        if done > 0.0:
            acc_d2 += done * done
            acc_d += done
            dod_run = done
        if acc_t >= interval_s or i == n - 1:
            if acc_t > 0.0:
                if acc_d > 0.0:
                    dod = acc_d2 / acc_d  # throughput-weighted DoD of completed half cycles
                elif dod_run > 0.0:
                    dod = dod_run
                else:
                    dod = abs(s_ext - s_start)  # nothing completed yet: running swing
                d_efc = 0.5 * acc_thr
                c_rate = acc_thr / (acc_t / 3600.0)
                q_cal, q_cyc, r = ageing_step(
                    q_cal,
                    q_cyc,
                    r,
                    acc_t / 86400.0,
                    acc_soc / acc_t,
                    acc_temp / acc_t,
                    d_efc,
                    dod,
                    c_rate,
                    p,
                )
                efc_total += d_efc
            out[m, 0] = (time_s[i] - t0) / 86400.0
            out[m, 1] = q_cal
            out[m, 2] = q_cyc
            out[m, 3] = r
            out[m, 4] = efc_total
            m += 1
            acc_t = acc_soc = acc_temp = acc_thr = acc_d2 = acc_d = 0.0
    return out[:m]


def project_ageing(
    time_s: FloatArray,
    soc: FloatArray,
    temperature_c: FloatArray,
    p: FloatArray,
    *,
    q_cal: float = 0.0,
    q_cyc: float = 0.0,
    r_growth: float = 1.0,
    interval_s: float = 3600.0,
    min_swing: float = 0.02,
) -> dict[str, FloatArray]:
    """Age one pack along a SoC / temperature time series.

    Samples are grouped into ageing intervals of about ``interval_s``; each interval feeds its
    duration, time-weighted mean SoC and temperature, throughput (EFC = Σ|ΔSoC|/2), mean C-rate
    and the throughput-weighted depth of its completed half cycles to :func:`ageing_step`.

    Parameters
    ----------
    time_s : ndarray
        Increasing sample times [s].
    soc : ndarray
        SoC samples (0–1), relative to the present capacity.
    temperature_c : ndarray
        Cell temperature samples [°C].
    p : ndarray
        Parameter vector (:func:`ageing_parameter_vector`).
    q_cal, q_cyc, r_growth : float
        Initial state (e.g. from :func:`second_life_state`).
    interval_s : float
        Ageing interval [s].
    min_swing : float
        Half-cycle reversal hysteresis (SoC fraction).

    Returns
    -------
    dict of ndarray
        ``time_days``, ``q_cal``, ``q_cyc``, ``r_growth``, ``efc`` and ``soh`` at each interval end.
    """
    t = np.ascontiguousarray(time_s, dtype=np.float64)
    s = np.ascontiguousarray(soc, dtype=np.float64)
    temp = np.ascontiguousarray(temperature_c, dtype=np.float64)
    if not (t.shape == s.shape == temp.shape) or t.ndim != 1 or t.size < 2:
        raise PacklifeError(
            "project_ageing: time_s, soc and temperature_c must be 1-D arrays of equal length ≥ 2, "
            f"got shapes {t.shape}, {s.shape}, {temp.shape}"
        )
    if np.any(np.diff(t) < 0):
        raise PacklifeError("project_ageing: time_s must not decrease")
    if interval_s <= 0:
        raise PacklifeError(f"project_ageing: interval_s must be positive, got {interval_s}")
    out = _project_kernel(
        t,
        s,
        temp,
        float(interval_s),
        q_cal,
        q_cyc,
        r_growth,
        np.asarray(p, dtype=np.float64),
        float(min_swing),
    )
    return {
        "time_days": out[:, 0].copy(),
        "q_cal": out[:, 1].copy(),
        "q_cyc": out[:, 2].copy(),
        "r_growth": out[:, 3].copy(),
        "efc": out[:, 4].copy(),
        "soh": np.clip(1.0 - out[:, 1] - out[:, 2], 0.0, 1.0),
    }


def days_to_soh(
    time_s: FloatArray,
    soc: FloatArray,
    temperature_c: FloatArray,
    p: FloatArray,
    target_soh: float,
    *,
    q_cal: float = 0.0,
    q_cyc: float = 0.0,
    r_growth: float = 1.0,
    max_days: float = 365.25 * 30,
    interval_s: float = 3600.0,
) -> float:
    """Days until SoH falls to ``target_soh`` when the given duty repeats (remaining-life forecast).

    The duty (e.g. one typical year) is repeated back to back from the given state. Returns
    ``inf`` if the target is not reached within ``max_days``, and 0.0 if the pack is already there.
    """
    if soh_from_state(q_cal, q_cyc) <= target_soh:
        return 0.0
    period_days = (float(time_s[-1]) - float(time_s[0])) / 86400.0
    if period_days <= 0:
        raise PacklifeError("days_to_soh: the duty must span a positive time")
    elapsed = 0.0
    state = (q_cal, q_cyc, r_growth)
    while elapsed < max_days:
        res = project_ageing(
            time_s,
            soc,
            temperature_c,
            p,
            q_cal=state[0],
            q_cyc=state[1],
            r_growth=state[2],
            interval_s=interval_s,
        )
        below = np.nonzero(res["soh"] <= target_soh)[0]
        if below.size:
            k = int(below[0])
            s_prev = soh_from_state(state[0], state[1]) if k == 0 else float(res["soh"][k - 1])
            t_prev = 0.0 if k == 0 else float(res["time_days"][k - 1])
            t_k, s_k = float(res["time_days"][k]), float(res["soh"][k])
            frac = (s_prev - target_soh) / (s_prev - s_k) if s_prev > s_k else 1.0
            return elapsed + t_prev + frac * (t_k - t_prev)
        state = (float(res["q_cal"][-1]), float(res["q_cyc"][-1]), float(res["r_growth"][-1]))
        elapsed += period_days
    return math.inf


def scale_rates(p: FloatArray, factor: float) -> FloatArray:
    """Copy of ``p`` with both rate constants ``k_cal`` and ``k_cyc`` multiplied by ``factor``.

    A unit's own fade, fitted to the law (:mod:`packlife.grading.fade_law`), is carried as this
    one factor (> 0); ``factor = 1`` returns an equal copy.
    """
    if not (factor > 0.0 and math.isfinite(factor)):
        raise PacklifeError(f"ageing rate factor must be a positive number, got {factor}")
    out = np.array(p, dtype=np.float64, copy=True)
    out[P_K_CAL] *= factor
    out[P_K_CYC] *= factor
    return out


def reference_history_split(
    p: FloatArray,
    *,
    years: float = 8.0,
    efc: float = 1000.0,
    temperature_c: float = 20.0,
    soc_mean: float = 0.6,
    dod: float = 0.7,
    c_rate: float = 0.3,
) -> float:
    """Calendar share of the loss a typical first life leaves under the model.

    The default history (8 years parked/driven at a mean 20 °C and mean SoC 0.6, 1,000 EFC of
    0.7-deep cycles at 0.3 C) is a stated assumption for a retired EV pack, not a measurement.
    """
    q_cal = calendar_rate(soc_mean, temperature_c, p) * (years * 365.25) ** p[P_Z_CAL]
    q_cyc = cycle_rate(temperature_c, dod, c_rate, p) * efc ** p[P_Z_CYC]
    total = q_cal + q_cyc
    return 0.5 if total <= 0.0 else float(q_cal / total)


def second_life_state(
    soh: float,
    resistance_growth: float,
    p: FloatArray,
    calendar_fraction: float | None = None,
) -> tuple[float, float, float]:
    """Initial ageing state of a pack that enters second life with measured SoH and resistance.

    The measured loss ``1 - soh`` is split into calendar and cycle parts: by ``calendar_fraction``
    if given, otherwise by :func:`reference_history_split` (a typical first life under the same
    model). Because :func:`ageing_step` continues each law from its equivalent time, such a pack
    fades at the rate of a pack that really has that age. The measured resistance factor replaces
    the model's; later growth adds on.

    Parameters
    ----------
    soh : float
        Measured capacity fraction of new (0 < soh ≤ 1).
    resistance_growth : float
        Measured resistance factor of new (≥ 1 normally; values below 1 are accepted as measured).
    p : ndarray
        Parameter vector.
    calendar_fraction : float, optional
        Share (0–1) of the loss attributed to calendar ageing.

    Returns
    -------
    tuple of float
        ``(q_cal, q_cyc, r_growth)``.
    """
    if not 0.0 < soh <= 1.0:
        raise PacklifeError(f"second_life_state: soh must lie in (0, 1], got {soh}")
    if resistance_growth <= 0.0:
        raise PacklifeError(
            f"second_life_state: resistance_growth must be positive, got {resistance_growth}"
        )
    frac = reference_history_split(p) if calendar_fraction is None else calendar_fraction
    if not 0.0 <= frac <= 1.0:
        raise PacklifeError(f"second_life_state: calendar_fraction must lie in 0–1, got {frac}")
    loss = 1.0 - soh
    return frac * loss, (1.0 - frac) * loss, float(resistance_growth)
