"""A unit's own fade from repeated capacity checks, and when it reaches the end threshold.

Model (per unit): ``soh(t) = a − b · t^z`` with ``t`` the days since the first check, fitted by
least squares (``scipy.optimize.curve_fit``) with ``z`` in 0.5…1.5 (√t calendar-like to
super-linear) when there are ≥ 4 checks, else ``z = 1`` (a straight line). The forecast is the
day the curve reaches ``end_soh``; its interval (16th–84th percentile, i.e. ±1σ for a normal
spread) comes from 400 draws of the fitted parameters from their covariance. A unit with fewer
than 3 checks, no measurable fade (a drop over the checks below 0.001 or twice their scatter),
or a fit that does not converge gets no forecast, with the reason.

References
----------
- Schmalstieg et al., J. Power Sources 257 (2014) 325: capacity fade as a power of time/throughput.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray

MIN_CHECKS = 3


@dataclass(frozen=True)
class FadeForecast:
    """Fit and forecast for one unit (days since its first check)."""

    ok: bool
    reason: str
    z: float | None
    fade_per_year: float | None
    end_day: float | None
    end_day_low: float | None
    end_day_high: float | None
    rms_residual: float | None
    #: the fitted curve ``a − b·t^z`` (None without a fit)
    a: float | None = None
    b: float | None = None


def _model(t: np.ndarray, a: float, b: float, z: float) -> np.ndarray:
    out: np.ndarray = a - b * np.power(np.maximum(t, 0.0), z)
    return out


def measurable_fade(day: FloatArray, soh: FloatArray) -> str:
    """Why the checks cannot support a fade fit, or ``""`` if they can.

    Needs ≥ :data:`MIN_CHECKS` checks on more than one day and a drop of the fitted straight line
    over the checks of at least 0.001 and twice the checks' scatter about it.
    """
    t = np.asarray(day, dtype=float)
    y = np.asarray(soh, dtype=float)
    if t.size < MIN_CHECKS:
        return f"{t.size} capacity check(s); a forecast needs ≥ {MIN_CHECKS}"
    if float(np.ptp(t)) <= 0:
        return "all checks on the same day"
    line = np.polyfit(t, y, 1)
    noise = float(np.std(y - np.polyval(line, t)))
    drop = -float(line[0]) * float(np.ptp(t))
    if drop < max(1e-3, 2.0 * noise):
        return (f"no measurable fade between the checks (fitted drop {drop:.4f} of SoH, "
                f"scatter {noise:.4f})")
    return ""


def fit_fade(day: FloatArray, soh: FloatArray, end_soh: float, *, seed: int = 0) -> FadeForecast:
    """Fit ``soh(day)`` and forecast the day it reaches ``end_soh`` (see module docstring)."""
    from scipy.optimize import curve_fit

    t = np.asarray(day, dtype=float) - float(np.min(day))
    y = np.asarray(soh, dtype=float)
    none = FadeForecast(False, "", None, None, None, None, None, None)
    reason = measurable_fade(t, y)
    if reason:
        return _refused(none, reason)
    slope = float(np.polyfit(t, y, 1)[0])
    free_z = t.size >= 4
    try:
        if free_z:
            p, cov = curve_fit(
                _model,
                t,
                y,
                p0=(float(y[0]), -slope, 1.0),
                bounds=([0.0, 0.0, 0.5], [1.5, np.inf, 1.5]),
            )
        else:
            p2, cov2 = np.polyfit(t, y, 1, cov="unscaled" if t.size == 3 else True)
            p = np.array([p2[1], -p2[0], 1.0])
            resid = y - np.polyval(p2, t)
            s2 = float(np.sum(resid**2)) / max(t.size - 2, 1)
            cov = np.zeros((3, 3))
            cov[:2, :2] = np.asarray(cov2)[::-1, ::-1] * (s2 if t.size == 3 else 1.0)
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        return _refused(none, f"fit did not converge ({exc})")
    a, b, z = (float(x) for x in p)
    rms = float(np.sqrt(np.mean((y - _model(t, a, b, z)) ** 2)))
    if a <= end_soh:
        return FadeForecast(
            True, "already at or below the end threshold", z, None, 0.0, 0.0, 0.0, rms, a, b
        )
    end = ((a - end_soh) / b) ** (1.0 / z)
    rng = np.random.default_rng(seed)
    cov = np.nan_to_num(np.asarray(cov, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    draws = rng.multivariate_normal(p, cov, size=400, check_valid="ignore")
    ends = []
    for da, db, dz in draws:
        dz = min(max(dz, 0.5), 1.5)
        if db > 0 and da > end_soh:
            ends.append(((da - end_soh) / db) ** (1.0 / dz))
    low, high = (
        (float(np.percentile(ends, 16)), float(np.percentile(ends, 84))) if ends else (None, None)
    )
    per_year = b * z * max(float(t[-1]), 1.0) ** (z - 1.0) * 365.25
    return FadeForecast(True, "", z, per_year, float(end), low, high, rms, a, b)


def _refused(f: FadeForecast, reason: str) -> FadeForecast:
    return FadeForecast(False, reason, None, None, None, None, None, None)


def forecast_summary(serial: str, f: FadeForecast, first_day_iso: str | None) -> dict[str, object]:
    """JSON-ready row for one unit."""

    def r(x: float | None, d: int = 1) -> float | None:
        return None if x is None or not math.isfinite(x) else round(x, d)

    return {
        "serial": serial,
        "forecast_ok": f.ok,
        "reason": f.reason or None,
        "first_check": first_day_iso,
        "exponent_z": r(f.z, 3),
        "fade_per_year": r(f.fade_per_year, 4),
        "days_to_end_threshold": r(f.end_day),
        "days_to_end_low_1sigma": r(f.end_day_low),
        "days_to_end_high_1sigma": r(f.end_day_high),
        "rms_residual_soh": r(f.rms_residual, 5),
    }
