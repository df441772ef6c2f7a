"""Estimators on the canonical test frame: capacity, DC resistance, OCV, self-discharge, imbalance.

All functions are pure and work on numpy arrays ``time_s`` [s], ``current_a`` [A] (discharge
positive) and ``voltage_v`` [V]. A sample is *at rest* when ``|current_a|`` is below
``rest_threshold_a`` (default: 0.2 % of the 99th-percentile |current|, see
:func:`packlife.grading.steps.rest_threshold_a`; the graders pass C/500 of the rating).

References
----------
- USABC / INL, *Battery Test Manual for Electric Vehicles*, rev. 3.1 (2020), INL/EXT-15-34184:
  HPPC pulse resistance ``R = ΔV/ΔI`` at fixed times after the current step.
- IEC 62660-1:2018, capacity from a constant-current discharge to the cut-off voltage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.grading.steps import rest_threshold_a

#: charge pulses up to this duration do not end a capacity discharge (HPPC) [s]
MAX_PULSE_S = 120.0
#: a full discharge spans at least this fraction of the top voltage (Li-ion 4.2 → 3.0 V: 29 %)
MIN_FULL_SPAN = 0.15
#: relative current accuracy assumed for coulomb counting (cycler class) [-]
COULOMB_REL_UNCERTAINTY = 0.005


@dataclass(frozen=True)
class Runs:
    """Maximal runs of equal sign: ``kind`` +1 discharge, −1 charge, 0 rest; ``end`` inclusive."""

    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray


def rest_threshold(current_a: FloatArray) -> float:
    """Current below which a sample counts as rest without a rating [A] (no fixed floor: a
    C/12 discharge of a 20 mAh cell is 1.7 mA)."""
    return rest_threshold_a(current_a, None)


def find_runs(current_a: FloatArray, threshold_a: float | None = None) -> Runs:
    """Split a current series into rest / discharge / charge runs."""
    thr = rest_threshold(current_a) if threshold_a is None else threshold_a
    kind = np.where(current_a > thr, 1, np.where(current_a < -thr, -1, 0)).astype(np.int8)
    change = np.flatnonzero(np.diff(kind)) + 1
    start = np.concatenate(([0], change))
    end = np.concatenate((change - 1, [kind.size - 1]))
    return Runs(start, end, kind[start])


def cumulative_ah(time_s: FloatArray, current_a: FloatArray) -> FloatArray:
    """Net discharged charge since the first sample [Ah].

    Cyclers log a sample at the *end* of each interval, so the current of sample ``k`` is
    counted over ``(t[k-1], t[k]]``. This matters where the sampling is coarse across a
    current step: the ORNL Bitrode logs the first rest sample 60 s after a 10 A discharge
    ends, and a trapezoid would count 0.083 Ah that never flowed.
    """
    dq = np.diff(time_s) * current_a[1:] / 3600.0
    return np.concatenate(([0.0], np.cumsum(dq)))


@dataclass(frozen=True)
class CapacityResult:
    """Capacity from full discharges: median over all found, and each one [Ah]."""

    capacity_ah: float
    each_ah: list[float]
    mean_current_a: float
    uncertainty_ah: float


def capacity_from_discharge(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    *,
    top_fraction: float = 0.03,
    threshold_a: float | None = None,
) -> CapacityResult | None:
    """Capacity from full discharges: from a rested/charged top state to the cut-off voltage.

    A full discharge starts at the last non-discharge sample before a discharge run whose
    voltage is within ``top_fraction`` of the file's voltage range below its maximum, and ends at
    the first discharge sample within 1 % of the range above the file's minimum voltage; the
    range must be at least :data:`MIN_FULL_SPAN` of the top voltage (else the file holds only a
    partial discharge). Charge pulses up to :data:`MAX_PULSE_S` in between (HPPC) are counted
    net; a longer charge aborts. A discharge running at the file's first sample is opened
    there when that sample is near the top.

    Returns
    -------
    CapacityResult or None
        ``None`` if the file holds no full discharge.
    """
    runs = find_runs(current_a, threshold_a)
    q = cumulative_ah(time_s, current_a)
    v_max, v_min = float(np.max(voltage_v)), float(np.min(voltage_v))
    span = v_max - v_min
    if span < MIN_FULL_SPAN * v_max:
        return None
    v_hi, v_lo = v_max - top_fraction * span, v_min + 0.01 * span
    found: list[float] = []
    currents: list[float] = []
    open_at = -1
    for k in range(runs.kind.size):
        s, e, kind = int(runs.start[k]), int(runs.end[k]), int(runs.kind[k])
        if kind == 1:
            if open_at < 0 and voltage_v[max(s - 1, 0)] >= v_hi:
                open_at = max(s - 1, 0)
            if open_at >= 0:
                hit = np.flatnonzero(voltage_v[s : e + 1] <= v_lo)
                if hit.size:
                    stop = s + int(hit[0])
                    found.append(float(q[stop] - q[open_at]))
                    currents.append(float(np.median(current_a[s : stop + 1])))
                    open_at = -1
        elif kind == -1 and open_at >= 0 and time_s[e] - time_s[s] > MAX_PULSE_S:
            open_at = -1
    if not found:
        return None
    cap = float(np.median(found))
    spread = float(np.std(found)) if len(found) > 1 else 0.0
    return CapacityResult(
        cap,
        found,
        float(np.median(currents)),
        float(np.hypot(COULOMB_REL_UNCERTAINTY * cap, spread)),
    )


@dataclass(frozen=True)
class Pulses:
    """One row per current pulse from rest; resistances in mΩ (NaN if the pulse is too short)."""

    start_time_s: np.ndarray
    current_a: np.ndarray
    rest_voltage_v: np.ndarray
    r10_mohm: np.ndarray
    r30_mohm: np.ndarray
    duration_s: np.ndarray


def _resistance_at(
    t: FloatArray,
    i: FloatArray,
    v: FloatArray,
    s: int,
    e: int,
    t0: float,
    v0: float,
    i0: float,
    after_s: float,
) -> float:
    t_at = t0 + after_s
    if t[e] < t_at - 1.0:
        return float("nan")
    t_at = min(t_at, float(t[e]))
    v_at = float(np.interp(t_at, t[s : e + 1], v[s : e + 1]))
    i_at = float(np.interp(t_at, t[s : e + 1], i[s : e + 1]))
    return (v0 - v_at) / (i_at - i0) * 1000.0


def dcir_from_pulses(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    *,
    min_rest_s: float = 10.0,
    max_pulse_s: float = MAX_PULSE_S,
) -> Pulses:
    """DC internal resistance of every constant-current pulse that starts from rest.

    ``R(x) = (V_rest − V(t0 + x)) / (I(t0 + x) − I_rest)`` for ``x`` = 10 s and 30 s, where
    ``V_rest``/``I_rest`` is the last rest sample before the pulse and ``t0`` the step time
    (first loaded sample minus one sample interval). Positive for discharge and charge pulses.
    Pulses are loaded runs of 5 s to ``max_pulse_s`` after at least ``min_rest_s`` of rest.
    """
    runs = find_runs(current_a)
    rows: list[tuple[float, float, float, float, float, float]] = []
    for k in range(1, runs.kind.size):
        s, e, kind = int(runs.start[k]), int(runs.end[k]), int(runs.kind[k])
        ps, pe = int(runs.start[k - 1]), int(runs.end[k - 1])
        if kind == 0 or runs.kind[k - 1] != 0 or e - s < 2:
            continue
        if time_s[pe] - time_s[ps] < min_rest_s:
            continue
        dt_sample = float(time_s[s + 1] - time_s[s])
        t0 = max(float(time_s[s]) - dt_sample, float(time_s[pe]))
        duration = float(time_s[e]) - t0
        seg = current_a[s : e + 1]
        if not 5.0 <= duration <= max_pulse_s or np.std(seg) > 0.05 * abs(np.mean(seg)):
            continue
        v0, i0 = float(voltage_v[pe]), float(current_a[pe])
        r10 = _resistance_at(time_s, current_a, voltage_v, s, e, t0, v0, i0, 10.0)
        r30 = _resistance_at(time_s, current_a, voltage_v, s, e, t0, v0, i0, 30.0)
        rows.append((t0, float(np.median(seg)), v0, r10, r30, duration))
    arr = np.array(rows, dtype=float).reshape(-1, 6)
    return Pulses(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5])


def rest_points(
    time_s: FloatArray, current_a: FloatArray, voltage_v: FloatArray, *, min_rest_s: float = 1800.0
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the last sample of every rest of at least ``min_rest_s``, and their voltages."""
    runs = find_runs(current_a)
    idx = [
        int(e)
        for s, e, kind in zip(runs.start, runs.end, runs.kind, strict=True)
        if kind == 0 and time_s[e] - time_s[s] >= min_rest_s
    ]
    ends = np.asarray(idx, dtype=np.int64)
    return ends, voltage_v[ends]


def ocv_from_rests(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    capacity_ah: float,
    *,
    min_rest_s: float = 1800.0,
) -> tuple[np.ndarray, np.ndarray]:
    """OCV–SoC points from long rests, SoC by coulomb counting from the highest rested voltage.

    Returns
    -------
    soc, ocv_v : ndarray
        Sorted by SoC; the highest rest is SoC 1, later rests ``1 − Ah/capacity_ah``.
    """
    ends, volts = rest_points(time_s, current_a, voltage_v, min_rest_s=min_rest_s)
    if ends.size < 2:
        return np.empty(0), np.empty(0)
    q = cumulative_ah(time_s, current_a)
    top = int(np.argmax(volts))
    after = ends[top:]
    soc = 1.0 - (q[after] - q[ends[top]]) / capacity_ah
    order = np.argsort(soc)
    return soc[order], voltage_v[after][order]


def ocv_slope(ocv_soc: FloatArray, ocv_v: FloatArray, voltage_v: float) -> float:
    """dOCV/dSoC [V per unit SoC] of the table segment containing ``voltage_v``."""
    k = int(np.clip(np.searchsorted(ocv_v, voltage_v) - 1, 0, ocv_v.size - 2))
    return float((ocv_v[k + 1] - ocv_v[k]) / (ocv_soc[k + 1] - ocv_soc[k]))


def self_discharge_pct_per_month(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    ocv_soc: FloatArray,
    ocv_v: FloatArray,
    *,
    min_rest_s: float = 24 * 3600.0,
) -> float | None:
    """Self-discharge from the rest-voltage drift of the longest rest [% of capacity per month].

    The first half of the rest is skipped (relaxation); a straight line through the second half
    gives dV/dt, converted to SoC with the OCV slope: ``100 · (dV/dt) / (dOCV/dSoC) · 30.44 d``.
    ``None`` if no rest lasts ``min_rest_s`` or the OCV slope there is below 10 mV per unit SoC.
    """
    runs = find_runs(current_a)
    best = -1
    best_len = 0.0
    for k in range(runs.kind.size):
        if runs.kind[k] != 0:
            continue
        length = float(time_s[runs.end[k]] - time_s[runs.start[k]])
        if length >= min_rest_s and length > best_len:
            best, best_len = k, length
    if best < 0:
        return None
    s, e = int(runs.start[best]), int(runs.end[best])
    half = s + int(np.searchsorted(time_s[s : e + 1], time_s[s] + 0.5 * best_len))
    t, v = time_s[half : e + 1], voltage_v[half : e + 1]
    if t.size < 3:
        return None
    dv_dt = float(np.polyfit(t - t[0], v, 1)[0])
    slope = ocv_slope(ocv_soc, ocv_v, float(np.mean(v)))
    if slope < 0.01:
        return None
    return max(0.0, -dv_dt / slope * 30.44 * 86400.0 * 100.0)


def imbalance_mv(min_cell_voltage_v: float, max_cell_voltage_v: float) -> float:
    """Cell voltage spread from a BMS read-out [mV]."""
    return (max_cell_voltage_v - min_cell_voltage_v) * 1000.0
