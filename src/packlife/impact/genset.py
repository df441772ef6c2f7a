"""Diesel generator fuel model: the HOMER linear fuel curve as pure, vectorised functions.

``fuel_lph = F0 · rated_power_kw + F1 · output_kw`` while running, 0 when off [1]_. Fitted to
published part-load charts it reproduces them within ~0.3-0.5 L/h [2]_. The intercept F0 is
what makes part-load running expensive: specific fuel use (L/kWh) rises as the load falls,
which is the physics a BESS (or a hybrid genset + BESS) exploits.

References
----------
.. [1] HOMER Pro, "Generator fuel curve intercept coefficient",
   https://www.homerenergy.com/products/pro/docs/3.12/generator_fuel_curve_intercept_coefficient.html
.. [2] Diesel generator fuel consumption chart,
   https://oer.enviraj.com/general/diesel-generator-fuel-consumption-chart
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from packlife._typing import FloatArray
from packlife.errors import ConsistencyError, InfeasibleError
from packlife.units import SECONDS_PER_HOUR, W_PER_KW

#: Tolerance on loads slightly above rating from floating-point round-off [kW per kW rated].
_OVERLOAD_TOL = 1e-9


def _check_curve(rated_power_kw: float, f0_lph_per_kw_rated: float, f1_lph_per_kw: float) -> None:
    if not rated_power_kw > 0:
        raise ConsistencyError(f"rated_power_kw must be > 0 (got {rated_power_kw})")
    if not f0_lph_per_kw_rated >= 0 or not f1_lph_per_kw > 0:
        raise ConsistencyError(
            "fuel curve needs f0_lph_per_kw_rated >= 0 and f1_lph_per_kw > 0 "
            f"(got {f0_lph_per_kw_rated}, {f1_lph_per_kw})"
        )


def _as_load_kw(output_kw: npt.ArrayLike, rated_power_kw: float) -> FloatArray:
    load = np.asarray(output_kw, dtype=np.float64)
    bad = ~np.isfinite(load) | (load < 0) | (load > rated_power_kw * (1 + _OVERLOAD_TOL))
    if np.any(bad):
        idx = int(np.flatnonzero(bad.ravel())[0])
        raise ConsistencyError(
            f"generator output must be finite and within 0..{rated_power_kw:g} kW "
            f"(rated power); element {idx} is {load.ravel()[idx]:g} kW"
        )
    return load


def fuel_rate_lph(
    output_kw: npt.ArrayLike,
    rated_power_kw: float,
    f0_lph_per_kw_rated: float,
    f1_lph_per_kw: float,
    min_load_fraction: float = 0.0,
) -> FloatArray:
    """Fuel rate of a running-when-loaded generator.

    Parameters
    ----------
    output_kw : array_like
        Electrical output [kW]; 0 means the set is off (no fuel).
    rated_power_kw : float
        Electrical prime rating [kW].
    f0_lph_per_kw_rated, f1_lph_per_kw : float
        Fuel curve intercept [L/h per kW rated] and slope [L/h per kW output].
    min_load_fraction : float
        Minimum load [fraction of rating]; a running set loaded below it burns the fuel of the
        minimum load (the surplus is dumped), as in HOMER's minimum load ratio.

    Returns
    -------
    ndarray
        Fuel rate [L/h], same shape as ``output_kw`` (0-d for a scalar).
    """
    _check_curve(rated_power_kw, f0_lph_per_kw_rated, f1_lph_per_kw)
    load = _as_load_kw(output_kw, rated_power_kw)
    effective = np.maximum(load, min_load_fraction * rated_power_kw)
    running = f0_lph_per_kw_rated * rated_power_kw + f1_lph_per_kw * effective
    return np.where(load > 0, running, 0.0)


def fuel_litres_per_step(
    load_w: npt.ArrayLike,
    time_step_s: float,
    rated_power_kw: float,
    f0_lph_per_kw_rated: float,
    f1_lph_per_kw: float,
    min_load_fraction: float = 0.0,
) -> FloatArray:
    """Fuel burned in each step of a load time series (set on whenever the load is > 0).

    Parameters
    ----------
    load_w : array_like
        Load served by the generator in each step [W] (constant within a step).
    time_step_s : float
        Step length [s].
    rated_power_kw, f0_lph_per_kw_rated, f1_lph_per_kw, min_load_fraction
        As in :func:`fuel_rate_lph`.

    Returns
    -------
    ndarray
        Fuel per step [L].
    """
    if not time_step_s > 0:
        raise ConsistencyError(f"time_step_s must be > 0 (got {time_step_s})")
    load_kw = np.asarray(load_w, dtype=np.float64) / W_PER_KW
    rate = fuel_rate_lph(load_kw, rated_power_kw, f0_lph_per_kw_rated, f1_lph_per_kw,
                         min_load_fraction)
    return rate * (time_step_s / SECONDS_PER_HOUR)


def fuel_litres(
    load_w: npt.ArrayLike,
    time_step_s: float,
    rated_power_kw: float,
    f0_lph_per_kw_rated: float,
    f1_lph_per_kw: float,
    min_load_fraction: float = 0.0,
) -> float:
    """Total fuel [L] of a load time series; see :func:`fuel_litres_per_step`."""
    return float(np.sum(fuel_litres_per_step(load_w, time_step_s, rated_power_kw,
                                             f0_lph_per_kw_rated, f1_lph_per_kw,
                                             min_load_fraction)))


def specific_fuel_l_per_kwh(
    output_kw: npt.ArrayLike,
    rated_power_kw: float,
    f0_lph_per_kw_rated: float,
    f1_lph_per_kw: float,
    min_load_fraction: float = 0.0,
) -> FloatArray:
    """Specific fuel consumption at a load [L/kWh delivered]: fuel rate / output.

    Equals ``F1 + F0 · rated / output`` above the minimum load, so it falls with load
    (the part-load penalty). ``output_kw`` must be > 0.
    """
    load = np.asarray(output_kw, dtype=np.float64)
    if np.any(~(load > 0)):
        raise ConsistencyError("specific fuel consumption needs output_kw > 0 at every point")
    rate = fuel_rate_lph(load, rated_power_kw, f0_lph_per_kw_rated, f1_lph_per_kw,
                         min_load_fraction)
    return rate / load


def output_for_fuel_kw(
    fuel_lph: npt.ArrayLike,
    rated_power_kw: float,
    f0_lph_per_kw_rated: float,
    f1_lph_per_kw: float,
) -> FloatArray:
    """Inverse of the fuel curve: the output [kW] at which a running set burns ``fuel_lph``.

    Raises
    ------
    InfeasibleError
        If a rate is below the no-load rate ``F0 · rated`` or above the full-load rate.
    """
    _check_curve(rated_power_kw, f0_lph_per_kw_rated, f1_lph_per_kw)
    fuel = np.asarray(fuel_lph, dtype=np.float64)
    idle = f0_lph_per_kw_rated * rated_power_kw
    full = idle + f1_lph_per_kw * rated_power_kw
    bad = ~np.isfinite(fuel) | (fuel < idle) | (fuel > full * (1 + _OVERLOAD_TOL))
    if np.any(bad):
        value = float(fuel.ravel()[int(np.flatnonzero(bad.ravel())[0])])
        raise InfeasibleError(
            f"a {rated_power_kw:g} kW set burns between {idle:.2f} L/h (no load) and "
            f"{full:.2f} L/h (full load); {value:g} L/h is outside that range — "
            "choose another generator size"
        )
    return np.minimum((fuel - idle) / f1_lph_per_kw, rated_power_kw)


def required_rated_power_kw(
    load_w: npt.ArrayLike,
    max_load_fraction: float = 0.8,
    standard_sizes_kw: Sequence[float] | None = None,
) -> float:
    """Generator size needed for a load profile's peak.

    Parameters
    ----------
    load_w : array_like
        Load [W] (a time series or a single peak value).
    max_load_fraction : float
        Highest planned loading of the set [fraction of rating]; 0.7-0.8 keeps it in the
        efficient range (tesladieselgeneratorset.com/?p=3652), 1.0 sizes to the peak exactly.
    standard_sizes_kw : sequence of float, optional
        Available set ratings [kW]; the smallest one that is large enough is returned.

    Returns
    -------
    float
        Rated power [kW].
    """
    load = np.asarray(load_w, dtype=np.float64)
    if load.size == 0 or not np.all(np.isfinite(load)):
        raise ConsistencyError("load_w must be a non-empty series of finite values [W]")
    if not 0 < max_load_fraction <= 1:
        raise ConsistencyError(f"max_load_fraction must be in (0, 1] (got {max_load_fraction})")
    needed_kw = float(np.max(load)) / W_PER_KW / max_load_fraction
    if standard_sizes_kw is None:
        return needed_kw
    big_enough = sorted(s for s in standard_sizes_kw if s >= needed_kw)
    if not big_enough:
        raise InfeasibleError(
            f"peak load needs a {needed_kw:.1f} kW set at {max_load_fraction:.0%} loading; "
            f"the largest available size is {max(standard_sizes_kw, default=0):g} kW"
        )
    return float(big_enough[0])


def fit_fuel_curve(
    load_fraction: npt.ArrayLike, fuel_lph: npt.ArrayLike, rated_power_kw: float
) -> tuple[float, float, float]:
    """Least-squares linear fuel curve through chart points.

    Parameters
    ----------
    load_fraction : array_like
        Chart loads [fraction of rating], at least two distinct values.
    fuel_lph : array_like
        Chart fuel rates [L/h].
    rated_power_kw : float
        Rating the fractions refer to [kW].

    Returns
    -------
    f0_lph_per_kw_rated, f1_lph_per_kw, max_residual_lph : float
    """
    x = np.asarray(load_fraction, dtype=np.float64) * rated_power_kw
    y = np.asarray(fuel_lph, dtype=np.float64)
    if x.shape != y.shape or np.unique(x).size < 2:
        raise ConsistencyError("need at least two chart points at distinct loads, equal lengths")
    design = np.column_stack([np.full_like(x, rated_power_kw), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    return float(coef[0]), float(coef[1]), float(np.max(np.abs(residual)))
