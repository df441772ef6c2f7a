"""A unit's own fade fitted to its chemistry's ageing law: a rate factor for the design forecast.

:mod:`packlife.grading.fade` fits a free curve ``a − b·t^z`` to the checks; this module fits the
**chemistry's ageing law** (:mod:`packlife.models.ageing`, calendar + cycle power laws with
virtual-time continuation) to the same checks with two free parameters:

* ``soh0`` – the SoH at the first check (the first measurement has noise too),
* ``rate_factor`` ``f`` – a multiplier on both rate constants ``k_cal`` and ``k_cyc`` of the law
  (:func:`packlife.models.ageing.scale_rates`); ``f = 1`` is the law as catalogued, ``f = 2`` a
  unit whose laws run with twice the coefficients.

The unit enters at its first check with :func:`~packlife.models.ageing.second_life_state` and is
aged check to check with :func:`~packlife.models.ageing.ageing_step` under the duty between the
checks: days, and where the checks file gives them the cumulative equivalent full cycles
``efc``, mean ``temperature_c``, mean ``soc``, depth ``dod`` and ``c_rate``; missing columns take
:data:`DEFAULT_DUTY` (stated in the result). ``log f`` and ``soh0`` are fitted by least squares
(``scipy.optimize.least_squares``); the 1σ of ``f`` is the standard error of ``log f``. The
forecast continues the mean duty of the checks in 30-day steps until ``end_soh`` (30 years at
most); its ±1σ interval comes from 200 draws of the two parameters.

The factor is what :mod:`packlife.design` takes per pack (inventory column
``ageing_rate_factor``, or ``packlife design --fade``): the design forecast then runs the same
law on the unit's duty with the pack's own rates. Fewer than 3 checks, no measurable fade or a
failed fit give no factor, with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.grading.fade import fit_fade, forecast_summary, measurable_fade
from packlife.io.checks_csv import UnitChecks
from packlife.models.ageing import ageing_step, scale_rates, second_life_state

#: Duty assumed for a column the checks file lacks (EFC per day, °C, SoC, DoD, C-rate).
DEFAULT_DUTY = {"temperature_c": 25.0, "soc": 0.5, "dod": 0.8, "c_rate": 0.5}
#: Longest ageing step [days] (finer steps only matter near a knee).
STEP_DAYS = 30.0
FORECAST_YEARS = 30.0
#: Bounds of the fitted rate factor (the range `packlife design` accepts per pack).
FACTOR_BOUNDS = (0.01, 100.0)


@dataclass(frozen=True)
class CheckDuty:
    """Duty of one unit at each check (arrays of equal length, sorted by day)."""

    day: FloatArray
    efc: FloatArray
    temperature_c: FloatArray
    soc: FloatArray
    dod: FloatArray
    c_rate: FloatArray
    assumed: tuple[str, ...] = ()


@dataclass(frozen=True)
class LawFadeFit:
    """Fit of the ageing law's rate factor to one unit's checks (days since its first check)."""

    ok: bool
    reason: str
    rate_factor: float | None = None
    rate_factor_sigma_log: float | None = None
    soh0: float | None = None
    end_day: float | None = None
    end_day_low: float | None = None
    end_day_high: float | None = None
    rms_residual: float | None = None


def duty_from_columns(day: FloatArray, columns: Mapping[str, np.ndarray | None]) -> CheckDuty:
    """Build a :class:`CheckDuty` from optional per-check columns (missing → :data:`DEFAULT_DUTY`).

    ``columns`` may hold ``efc`` (cumulative equivalent full cycles), ``temperature_c``, ``soc``,
    ``dod`` and ``c_rate`` arrays aligned with ``day``; a missing one is recorded in ``assumed``.
    """
    d = np.asarray(day, dtype=float)
    assumed: list[str] = []

    def col(name: str, default: float) -> FloatArray:
        v = columns.get(name)
        if v is None:
            assumed.append(f"{name}={default:g}")
            return np.full(d.size, default)
        return np.asarray(v, dtype=float)

    efc = columns.get("efc")
    if efc is None:
        assumed.append("no cycling between checks (no 'efc' column)")
        efc_arr = np.zeros(d.size)
    else:
        efc_arr = np.asarray(efc, dtype=float)
    return CheckDuty(d, efc_arr, col("temperature_c", DEFAULT_DUTY["temperature_c"]),
                     col("soc", DEFAULT_DUTY["soc"]), col("dod", DEFAULT_DUTY["dod"]),
                     col("c_rate", DEFAULT_DUTY["c_rate"]), tuple(assumed))


def law_soh(duty: CheckDuty, p: FloatArray, soh0: float, factor: float) -> FloatArray:
    """SoH at every check under the law with rates × ``factor``, entering at ``soh0``."""
    ps = scale_rates(p, factor)
    q_cal, q_cyc, r = second_life_state(min(max(soh0, 1e-3), 1.0), 1.0, ps)
    out = np.empty(duty.day.size)
    out[0] = 1.0 - q_cal - q_cyc
    for k in range(1, duty.day.size):
        dt = float(duty.day[k] - duty.day[k - 1])
        d_efc = max(float(duty.efc[k] - duty.efc[k - 1]), 0.0)
        n = max(1, math.ceil(dt / STEP_DAYS))
        for _ in range(n):
            q_cal, q_cyc, r = ageing_step(
                q_cal, q_cyc, r, dt / n, float(duty.soc[k]), float(duty.temperature_c[k]),
                d_efc / n, float(duty.dod[k]), float(duty.c_rate[k]), ps)
        out[k] = 1.0 - q_cal - q_cyc
    return out


def fit_law_rate(duty: CheckDuty, soh: FloatArray, p: FloatArray, end_soh: float,
                 *, seed: int = 0) -> LawFadeFit:
    """Fit ``(soh0, rate_factor)`` of the ageing law to the checks and forecast ``end_soh``.

    Parameters
    ----------
    duty : CheckDuty
        Days and duty at each check (:func:`duty_from_columns`).
    soh : ndarray
        Measured SoH at each check (0–1).
    p : ndarray
        Ageing parameter vector of the unit's chemistry.
    end_soh : float
        Second-life end threshold (0–1).
    seed : int
        Seed of the parameter draws for the forecast interval.

    Returns
    -------
    LawFadeFit
        ``ok=False`` with the reason when the checks cannot support a fit.
    """
    from scipy.optimize import least_squares

    y = np.asarray(soh, dtype=float)
    reason = measurable_fade(duty.day, y)
    if reason:
        return LawFadeFit(False, reason)

    def resid(x: FloatArray) -> FloatArray:
        out: FloatArray = law_soh(duty, p, float(x[0]), math.exp(float(x[1]))) - y
        return out

    lo, hi = (math.log(b) for b in FACTOR_BOUNDS)
    try:
        sol = least_squares(resid, x0=np.array([float(y[0]), 0.0]),
                            bounds=([0.05, lo], [1.0, hi]), x_scale=np.array([0.01, 0.5]))
    except (ValueError, np.linalg.LinAlgError) as exc:
        return LawFadeFit(False, f"law fit did not converge ({exc})")
    if not sol.success:
        return LawFadeFit(False, f"law fit did not converge ({sol.message})")
    soh0, log_f = float(sol.x[0]), float(sol.x[1])
    if log_f <= lo + 1e-6 or log_f >= hi - 1e-6:
        return LawFadeFit(False, "the law cannot follow these checks (rate factor at its "
                          f"bound {math.exp(log_f):.3g})")
    n = y.size
    ssr = float(np.sum(sol.fun**2))
    s2 = ssr / max(n - 2, 1) * autocorrelation_inflation(sol.fun)
    cov = np.linalg.pinv(sol.jac.T @ sol.jac) * s2
    sigma_log = float(math.sqrt(max(cov[1, 1], 0.0)))
    rms = math.sqrt(ssr / n)
    ends = _forecast_draws(duty, p, sol.x, cov, end_soh, seed)
    end = forecast_end_day(duty, p, soh0, math.exp(log_f), end_soh)
    # an end beyond the horizon is inf: a high percentile of inf is "beyond 30 years"
    low = float(np.percentile(ends, 16)) if np.isfinite(ends).any() else None
    high = float(np.percentile(ends, 84)) if np.isfinite(ends).any() else None
    return LawFadeFit(True, "", math.exp(log_f), sigma_log, soh0, end, low, high, rms)


def autocorrelation_inflation(resid: FloatArray) -> float:
    """Variance factor ``(1 + ρ) / (1 − ρ)`` for residuals with lag-1 autocorrelation ``ρ > 0``.

    Residuals that run in long same-signed stretches mean the law's shape does not follow the
    unit (model-form error), and the checks carry fewer independent facts than their count:
    the effective number is ``n (1 − ρ) / (1 + ρ)`` (AR(1) residuals; e.g. Wilks, *Statistical
    Methods in the Atmospheric Sciences*, 4th ed., §5.2.4). ``ρ`` is capped at 0.95 (factor 39).
    """
    r = np.asarray(resid, dtype=float)
    if r.size < 4 or not np.any(r):
        return 1.0
    rho = float(np.sum(r[1:] * r[:-1]) / np.sum(r * r))
    rho = min(max(rho, 0.0), 0.95)
    return (1.0 + rho) / (1.0 - rho)


def forecast_end_day(duty: CheckDuty, p: FloatArray, soh0: float, factor: float,
                     end_soh: float) -> float:
    """Day (since the first check) the law reaches ``end_soh`` under the checks' mean duty.

    Returns ``inf`` beyond :data:`FORECAST_YEARS`, 0 if the first check is already at or below.
    """
    ps = scale_rates(p, factor)
    q_cal, q_cyc, r = second_life_state(min(max(soh0, 1e-3), 1.0), 1.0, ps)
    if 1.0 - q_cal - q_cyc <= end_soh:
        return 0.0
    span = float(duty.day[-1] - duty.day[0])
    efc_per_day = float(duty.efc[-1] - duty.efc[0]) / span if span > 0 else 0.0
    soc, temp = float(np.mean(duty.soc)), float(np.mean(duty.temperature_c))
    dod, c_rate = float(np.mean(duty.dod)), float(np.mean(duty.c_rate))
    day, prev = 0.0, 1.0 - q_cal - q_cyc
    while day < FORECAST_YEARS * 365.25:
        q_cal, q_cyc, r = ageing_step(q_cal, q_cyc, r, STEP_DAYS, soc, temp,
                                      efc_per_day * STEP_DAYS, dod, c_rate, ps)
        now = 1.0 - q_cal - q_cyc
        if now <= end_soh:
            frac = (prev - end_soh) / (prev - now) if prev > now else 1.0
            return day + frac * STEP_DAYS
        prev, day = now, day + STEP_DAYS
    return math.inf


def _forecast_draws(duty: CheckDuty, p: FloatArray, x: FloatArray, cov: FloatArray,
                    end_soh: float, seed: int) -> FloatArray:
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(x, cov, size=200, check_valid="ignore")
    lo, hi = (math.log(b) for b in FACTOR_BOUNDS)
    out = [forecast_end_day(duty, p, min(max(s0, 0.05), 1.0), math.exp(min(max(lf, lo), hi)),
                            end_soh)
           for s0, lf in draws]
    return np.asarray(out, dtype=float)


def law_summary(f: LawFadeFit) -> dict[str, object]:
    """JSON-ready columns of one unit's law fit (``None`` where there is no fit)."""

    def r(v: float | None, d: int) -> float | None:
        return None if v is None or not math.isfinite(v) else round(v, d)

    return {
        "ageing_rate_factor": r(f.rate_factor, 4),
        "ageing_rate_factor_sigma_log": r(f.rate_factor_sigma_log, 4),
        "law_days_to_end_threshold": r(f.end_day, 1),
        "law_days_to_end_low_1sigma": r(f.end_day_low, 1),
        "law_days_to_end_high_1sigma": r(f.end_day_high, 1),
        "law_rms_residual_soh": r(f.rms_residual, 5),
        "law_reason": f.reason or None,
    }


def fade_rows(units: Iterable[UnitChecks], end_soh: float,
              catalog_id: str | None = None) -> list[dict[str, object]]:
    """Both fits per unit: the free curve (:func:`~packlife.grading.fade.fit_fade`) and the law.

    The law is the ageing law of the unit's catalog model (``catalog_id`` column of the checks,
    else the ``catalog_id`` argument); without either the law columns are empty with the reason.
    """
    from packlife.catalog import ageing_vector, get_pack_model

    rows = []
    for u in units:
        row = forecast_summary(u.serial, fit_fade(u.day, u.soh, end_soh), u.first_date)
        cid = u.catalog_id or catalog_id
        if cid is None:
            law = LawFadeFit(False, "no catalog_id (column or --catalog-id) for the ageing law")
            assumed: tuple[str, ...] = ()
        else:
            p = ageing_vector(get_pack_model(cid).parameter_set)
            duty = duty_from_columns(u.day - u.day[0], u.duty)
            law = fit_law_rate(duty, u.soh, p, end_soh)
            assumed = duty.assumed
        row.update({"catalog_id": cid, **law_summary(law),
                    "duty_assumed": "; ".join(assumed) or None})
        rows.append(row)
    return rows
