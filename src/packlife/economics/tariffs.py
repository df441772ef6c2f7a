"""Tariffs: prices per interval (flat or time-of-use) and the electricity bill of a power series."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray

#: (start_hour, end_hour, price_per_kwh, days) with days in {"all", "weekdays", "weekends"}.
TouBand = tuple[float, float, float, str]


def tou_prices(
    local_hour: FloatArray,
    day_of_week: np.ndarray,
    flat_price_per_kwh: float,
    bands: Sequence[TouBand] = (),
) -> FloatArray:
    """Price of each interval: the last matching time-of-use band, else the flat price.

    Parameters
    ----------
    local_hour : ndarray
        Local clock hour at each interval start (0–24) [h].
    day_of_week : ndarray of int
        Monday = 0 … Sunday = 6.
    flat_price_per_kwh : float
        [currency/kWh].
    bands : sequence of (start_hour, end_hour, price_per_kwh, days)
        ``[start_hour, end_hour)`` in local time; ``start > end`` wraps past midnight.
    """
    price = np.full(local_hour.shape, float(flat_price_per_kwh))
    weekend = day_of_week >= 5
    for a, b, p, days in bands:
        inside = (
            (local_hour >= a) & (local_hour < b)
            if a <= b
            else ((local_hour >= a) | (local_hour < b))
        )
        if days == "weekdays":
            inside &= ~weekend
        elif days == "weekends":
            inside &= weekend
        price = np.where(inside, p, price)
    return np.asarray(price, dtype=float)


@dataclass(frozen=True)
class Bill:
    """An electricity bill over a period (amounts in the caller's currency)."""

    energy_import: float
    energy_export_credit: float
    standing: float
    demand: float
    import_kwh: float
    export_kwh: float
    peak_import_kw: float

    @property
    def total(self) -> float:
        """What is paid: energy + standing + demand − export credit."""
        return self.energy_import + self.standing + self.demand - self.energy_export_credit


def bill(
    grid_power_w: FloatArray,
    dt_s: float,
    price_import_per_kwh: FloatArray,
    price_export_per_kwh: FloatArray,
    month: np.ndarray,
    standing_charge_per_day: float = 0.0,
    demand_charge_per_kw_month: float = 0.0,
) -> Bill:
    """Bill of a grid power series (import positive, export negative) [W] on intervals of ``dt_s``.

    The demand charge applies to the highest mean import interval of each calendar month in the
    series (``month`` labels each interval); the standing charge to the period's length in days.
    """
    p = np.asarray(grid_power_w, dtype=float)
    imp_kwh = np.clip(p, 0.0, None) * dt_s / 3.6e6
    exp_kwh = np.clip(-p, 0.0, None) * dt_s / 3.6e6
    peaks = [float(np.clip(p[month == m], 0.0, None).max()) for m in np.unique(month)]
    days = p.size * dt_s / 86400.0
    return Bill(
        energy_import=float(np.sum(imp_kwh * price_import_per_kwh)),
        energy_export_credit=float(np.sum(exp_kwh * price_export_per_kwh)),
        standing=standing_charge_per_day * days,
        demand=demand_charge_per_kw_month * sum(peaks) / 1000.0,
        import_kwh=float(imp_kwh.sum()),
        export_kwh=float(exp_kwh.sum()),
        peak_import_kw=max(peaks, default=0.0) / 1000.0,
    )
