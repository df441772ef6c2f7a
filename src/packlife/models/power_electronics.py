"""Power converter losses: a per-pack DC/DC stage and the BESS's charger/inverter stages.

Losses follow the three-term model of Notton et al. (2010), also used by SimSES:
``loss_w = rated_w·(k0 + k1·p + k2·p²)`` with ``p = |P_bus|/rated_w`` while the converter
carries power, 0 when it is idle (standby consumption is not modelled). Efficiency at load ``p``
is therefore ``p / (p + k0 + k1·p + k2·p²)``.

Sign convention: for a pack converter, battery-side power ``P_batt = P_bus + loss(|P_bus|)``
holds for both directions (discharge positive): discharging, the battery supplies the bus power
plus the loss; charging, it receives the bus power minus the loss.

References
----------
G. Notton, V. Lazarov, L. Stoyanov, "Optimal sizing of a grid-connected PV system for various PV
module technologies and inclinations, inverter efficiency characteristics and locations",
Renewable Energy 35 (2010) 541–554.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from packlife._typing import FloatArray


@njit(cache=True, error_model="numpy", inline="always")
def converter_loss_w(bus_power_w: float, rated_w: float, k0: float, k1: float, k2: float) -> float:
    """Loss of a converter carrying ``bus_power_w`` (either sign) [W]; 0 when idle."""
    if bus_power_w == 0.0:
        return 0.0
    p = abs(bus_power_w) / rated_w
    return rated_w * (k0 + k1 * p + k2 * p * p)


@njit(cache=True, error_model="numpy", inline="always")
def bus_limit_from_battery_limit_w(
    battery_limit_w: float, rated_w: float, k0: float, k1: float, k2: float, discharge: bool
) -> float:
    """Largest bus-side power magnitude a pack converter can pass for a battery-side limit [W].

    Inverts ``P_batt = P_bus + loss(|P_bus|)``; also capped at the converter rating.
    """
    if battery_limit_w <= 0.0:
        return 0.0
    b = battery_limit_w / rated_w
    if discharge:
        # k2 p² + (1 + k1) p + k0 − b = 0
        if b <= k0:
            return 0.0
        if k2 > 0.0:
            p = (-(1.0 + k1) + math.sqrt((1.0 + k1) ** 2 + 4.0 * k2 * (b - k0))) / (2.0 * k2)
        else:
            p = (b - k0) / (1.0 + k1)
    else:
        # p − (k0 + k1 p + k2 p²) = b  →  k2 p² − (1 − k1) p + (k0 + b) = 0, smaller root
        a = 1.0 - k1
        disc = a * a - 4.0 * k2 * (k0 + b)
        if disc < 0.0:
            p = a / (2.0 * k2) if k2 > 0.0 else 1.0
        elif k2 > 0.0:
            p = (a - math.sqrt(disc)) / (2.0 * k2)
        else:
            p = (k0 + b) / a
    return min(max(p, 0.0), 1.0) * rated_w


def efficiency(load_fraction: FloatArray, k0: float, k1: float, k2: float) -> FloatArray:
    """Conversion efficiency vs load fraction ``p = |P|/P_rated`` (array) [0–1]."""
    p = np.asarray(load_fraction, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = p / (p + k0 + k1 * p + k2 * p * p)
    return np.where(p > 0, eta, 0.0)


#: Default coefficients: a 98.5 %-peak SiC DC/DC stage and a 97 %-peak AC/DC charger-inverter.
#: Estimates in the range reported for such converters (Notton 2010, SimSES converter library).
DCDC_DEFAULT = (0.002, 0.005, 0.008)
INVERTER_DEFAULT = (0.005, 0.012, 0.015)
