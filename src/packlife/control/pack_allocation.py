"""Splitting a BESS power request across mismatched packs.

The default rule weights each pack by its usable energy in the direction of the request —
``(soc - soc_min) × capacity`` for discharge, ``(soc_max - soc) × capacity`` for charge — and
water-fills against each pack's own power limit, redistributing what saturated packs cannot take.
Measured on five mismatched packs at 250 kW this held full power 28 min against 21 min for an
equal split and 24 min for a SoC-% split (packlife research notes, ``ems_anchors.md`` §6.4).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from packlife._typing import FloatArray

_EPS_W = 1e-9


@njit(cache=True)
def allocate_by_weight(
    request_w: float, limit_w: FloatArray, weight: FloatArray, out_w: FloatArray
) -> float:
    """Split ``request_w`` across packs in proportion to ``weight``, capped at ``limit_w``.

    Parameters
    ----------
    request_w : float
        Power asked of the packs together, discharge positive [W].
    limit_w : ndarray
        Each pack's power limit in the direction of the request (magnitude, ≥ 0) [W]. A pack
        that is not joined (or faulted) has limit 0 and receives nothing.
    weight : ndarray
        Non-negative weights (usable energy in the request direction [Wh]). If all weights of
        the packs that still have headroom are zero, their remaining limits are used instead.
    out_w : ndarray
        Output: power per pack, same sign as ``request_w`` [W].

    Returns
    -------
    float
        The part of the request that no pack could take (same sign as ``request_w``) [W].
    """
    n = limit_w.shape[0]
    sign = 1.0 if request_w >= 0.0 else -1.0
    remaining = abs(request_w)
    for i in range(n):
        out_w[i] = 0.0
    free = np.empty(n, dtype=np.bool_)
    for i in range(n):
        free[i] = limit_w[i] > _EPS_W
    for _ in range(n + 1):
        if remaining <= _EPS_W:
            break
        total = 0.0
        for i in range(n):
            if free[i]:
                total += weight[i]
        use_limits = total <= 0.0
        if use_limits:
            for i in range(n):
                if free[i]:
                    total += limit_w[i] - out_w[i]
        if total <= 0.0:
            break
        placed = 0.0
        for i in range(n):
            if not free[i]:
                continue
            w = (limit_w[i] - out_w[i]) if use_limits else weight[i]
            give = remaining * w / total
            head = limit_w[i] - out_w[i]
            take = give if give < head else head
            out_w[i] += take
            placed += take
            if limit_w[i] - out_w[i] <= _EPS_W * (1.0 + limit_w[i]):
                free[i] = False
        remaining -= placed
        if placed <= _EPS_W:
            break
    if remaining < 0.0:
        remaining = 0.0
    for i in range(n):
        out_w[i] *= sign
    return sign * remaining


def usable_energy_weights_wh(
    soc: FloatArray,
    capacity_ah: FloatArray,
    nominal_voltage_v: FloatArray,
    soc_min: FloatArray,
    soc_max: FloatArray,
    discharge: bool,
) -> FloatArray:
    """Usable energy of each pack in one direction [Wh] (the default allocation weight).

    ``(soc - soc_min)·Q·V`` for discharge, ``(soc_max - soc)·Q·V`` for charge, floored at 0.
    """
    window = (soc - soc_min) if discharge else (soc_max - soc)
    return np.maximum(window, 0.0) * capacity_ah * nominal_voltage_v
