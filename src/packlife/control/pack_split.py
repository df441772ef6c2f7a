"""Splitting the BESS power over mismatched packs, compiled (the one implementation).

Two rules, both honouring each pack's limit and its converter's minimum operating power:

- ``usable_energy`` (default): at light load only as many converters run as minimise their
  losses (:func:`~packlife.control.pack_allocation.concentrate_converters`, the packs with the most
  usable energy first); the request is water-filled in proportion to usable energy
  (:func:`~packlife.control.pack_allocation.allocate_by_weight`).
- ``min_loss``: least summed I²R loss ``Σ rᵢ·(pᵢ/vᵢ)²`` subject to ``Σ pᵢ = request`` and
  ``0 ≤ |pᵢ| ≤ limitᵢ``, solved exactly: by the KKT conditions ``pᵢ = min(limitᵢ, λ·vᵢ²/(2rᵢ))``,
  with the multiplier ``λ`` found by bisection (the packs share in proportion to ``v²/r`` until
  they saturate).

When charging, a converter asked for less than :data:`MIN_ON_FRACTION` of its rating is switched
off and the request re-split over the others: below that its standby loss would exceed the power
it passes and the pack would discharge while asked to charge. (Discharging at light load is
allowed: the loss is drawn from the pack and booked.) What no pack can take is returned to the
caller, who rebalances the bus.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from packlife._typing import BoolArray, FloatArray
from packlife.control.pack_allocation import allocate_by_weight_into, concentrate_converters

# ---- why a pack's power is what it is (controller side) ----
WHY_NONE, WHY_RATED, WHY_ENERGY, WHY_RAMP, WHY_FAULTED, WHY_NOT_JOINED = range(6)
SPLIT_USABLE_ENERGY, SPLIT_MIN_LOSS = 0, 1
SPLIT_CODES = {"usable_energy": SPLIT_USABLE_ENERGY, "min_loss": SPLIT_MIN_LOSS}
#: Minimum operating power of a pack converter as a fraction of its rating.
MIN_ON_FRACTION = 0.01

_EPS_W = 1e-9


@njit(cache=True)
def allocate_min_loss_exact(
    request_w: float, limit_w: FloatArray, resistance_ohm: FloatArray, voltage_v: FloatArray,
    out_w: FloatArray,
) -> float:
    """Least-I²R split of ``request_w`` within ``limit_w`` (magnitudes) into ``out_w``.

    Returns the part no pack could take (same sign as ``request_w``) [W].
    """
    return allocate_min_loss_into(
        request_w, limit_w, resistance_ohm, voltage_v, out_w, np.empty(limit_w.shape[0])
    )


@njit(cache=True)
def allocate_min_loss_into(
    request_w: float, limit_w: FloatArray, resistance_ohm: FloatArray, voltage_v: FloatArray,
    out_w: FloatArray, cond: FloatArray,
) -> float:
    """:func:`allocate_min_loss_exact` with scratch ``cond`` (one entry per pack)."""
    n = limit_w.shape[0]
    sign = 1.0 if request_w >= 0.0 else -1.0
    total_lim = 0.0
    for i in range(n):
        total_lim += max(limit_w[i], 0.0)
    target = min(abs(request_w), total_lim)
    # cond = v²/(2r): power per unit multiplier [W per W/W]
    hi = 0.0
    for i in range(n):
        r = max(resistance_ohm[i], 1e-12)
        cond[i] = voltage_v[i] * voltage_v[i] / (2.0 * r)
        if limit_w[i] > 0.0:
            hi = max(hi, limit_w[i] / cond[i])
    lo = 0.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        s = 0.0
        for i in range(n):
            s += min(max(limit_w[i], 0.0), mid * cond[i])
        if s < target:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    placed = 0.0
    for i in range(n):
        out_w[i] = min(max(limit_w[i], 0.0), hi * cond[i])
        placed += out_w[i]
    # the bisection leaves ≤ 1e-12 relative: scale onto the target exactly, within limits
    if placed > 0.0:
        f = target / placed
        placed = 0.0
        for i in range(n):
            out_w[i] = min(out_w[i] * f, max(limit_w[i], 0.0))
            placed += out_w[i]
    for i in range(n):
        out_w[i] *= sign
    return sign * (abs(request_w) - placed)


@njit(cache=True)
def _split_once(
    request_w: float, limit_w: FloatArray, weight: FloatArray, resistance_ohm: FloatArray,
    voltage_v: FloatArray, split: int, out_w: FloatArray, free: BoolArray, cond: FloatArray,
) -> None:
    if split == SPLIT_MIN_LOSS:
        allocate_min_loss_into(request_w, limit_w, resistance_ohm, voltage_v, out_w, cond)
    else:
        allocate_by_weight_into(request_w, limit_w, weight, out_w, free)


@njit(cache=True)
def split_packs(
    request_w: float, limit_w: FloatArray, weight: FloatArray, resistance_ohm: FloatArray,
    voltage_v: FloatArray, rated_w: FloatArray, k0: FloatArray, k2: FloatArray, split: int,
    concentrate: bool, out_w: FloatArray, keep: BoolArray, free: BoolArray, cond: FloatArray,
) -> float:
    """Power per pack for a net BESS request (discharge positive) [W]; returns what was placed.

    Parameters
    ----------
    request_w : float
        Net BESS power at the DC bus [W].
    limit_w : ndarray
        Each pack's limit in the request's direction (magnitude); modified in place (packs
        switched off get 0) [W].
    weight : ndarray
        Usable energy in the request's direction [Wh] (``usable_energy`` rule).
    resistance_ohm, voltage_v : ndarray
        Pack resistance [Ω] and voltage [V] (``min_loss`` rule).
    rated_w, k0, k2 : ndarray
        Converter rating [W] and no-load / quadratic loss coefficients; a rating ≤ 0 disables
        the converter rules for that pack.
    split : int
        ``SPLIT_USABLE_ENERGY`` or ``SPLIT_MIN_LOSS``.
    concentrate : bool
        Switch converters off at light load (``usable_energy`` rule only).
    out_w : ndarray
        Output: power per pack, same sign as ``request_w`` [W].
    keep, free, cond : ndarray
        Scratch, one entry per pack.
    """
    n = limit_w.shape[0]
    out_w[:] = 0.0
    if request_w == 0.0:
        return 0.0
    for i in range(n):
        if limit_w[i] <= 0.0:
            weight[i] = 0.0
    if split == SPLIT_USABLE_ENERGY and concentrate:
        concentrate_converters(request_w, limit_w, weight, rated_w, k0, k2, keep)
    _split_once(request_w, limit_w, weight, resistance_ohm, voltage_v, split, out_w, free, cond)
    for _ in range(n if request_w < 0.0 else 0):
        changed = False
        for i in range(n):
            floor = MIN_ON_FRACTION * rated_w[i]
            if out_w[i] != 0.0 and abs(out_w[i]) < floor:
                limit_w[i] = 0.0
                weight[i] = 0.0
                changed = True
        if not changed:
            break
        _split_once(request_w, limit_w, weight, resistance_ohm, voltage_v, split, out_w, free, cond)
    placed = 0.0
    for i in range(n):
        placed += out_w[i]
    if abs(placed) > abs(request_w):  # rounding only
        placed = request_w
    return placed


def i2r_loss_w(pack_w: FloatArray, resistance_ohm: FloatArray, voltage_v: FloatArray) -> float:
    """Summed ``r·(p/v)²`` of a split [W] (the quantity ``min_loss`` minimises)."""
    return float(np.sum(resistance_ohm * (pack_w / voltage_v) ** 2))
