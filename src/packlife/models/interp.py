"""Clamped 1-D and 2-D linear interpolation usable both from numpy code and numba kernels."""

from __future__ import annotations

import numpy as np
from numba import njit

from packlife._typing import FloatArray


@njit(cache=True, error_model="numpy", inline="always")
def interp1_scalar(x_axis: FloatArray, y: FloatArray, x: float) -> float:
    """Linear interpolation of ``y(x_axis)`` at ``x``, clamped to the end values.

    Parameters
    ----------
    x_axis : ndarray
        Strictly increasing axis.
    y : ndarray
        Values at the axis points.
    x : float
        Query point.
    """
    n = x_axis.shape[0]
    if x <= x_axis[0]:
        return float(y[0])
    if x >= x_axis[n - 1]:
        return float(y[n - 1])
    i = np.searchsorted(x_axis, x) - 1
    w = (x - x_axis[i]) / (x_axis[i + 1] - x_axis[i])
    return float(y[i] + w * (y[i + 1] - y[i]))


@njit(cache=True, error_model="numpy", inline="always")
def interp2_scalar(
    t_axis: FloatArray, s_axis: FloatArray, table: FloatArray, t: float, s: float
) -> float:
    """Bilinear interpolation of ``table[t, s]`` (rows = ``t_axis``), clamped at the edges."""
    nt = t_axis.shape[0]
    if nt == 1:
        return interp1_scalar(s_axis, table[0], s)
    if t <= t_axis[0]:
        return interp1_scalar(s_axis, table[0], s)
    if t >= t_axis[nt - 1]:
        return interp1_scalar(s_axis, table[nt - 1], s)
    j = np.searchsorted(t_axis, t) - 1
    w = (t - t_axis[j]) / (t_axis[j + 1] - t_axis[j])
    lo = interp1_scalar(s_axis, table[j], s)
    hi = interp1_scalar(s_axis, table[j + 1], s)
    return float(lo + w * (hi - lo))


@njit(cache=True, error_model="numpy")
def interp2(
    t_axis: FloatArray, s_axis: FloatArray, table: FloatArray, t: FloatArray, s: FloatArray
) -> FloatArray:
    """Vectorised :func:`interp2_scalar` over equal-length arrays ``t`` and ``s``."""
    out = np.empty(s.shape[0])
    for k in range(s.shape[0]):
        out[k] = interp2_scalar(t_axis, s_axis, table, t[k], s[k])
    return out
