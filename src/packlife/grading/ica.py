"""Incremental capacity (dQ/dV) and differential voltage (dV/dQ) analysis of slow (dis)charges.

Method
------
The charge ``Q`` [Ah] moved in one slow constant-current step and its voltage are put on a
uniform voltage grid (``dv_v``, default 5 mV; the voltage is made monotone first, since noise
makes it step back and forth), ``dQ/dV`` is the gradient of ``Q(V)`` smoothed with a Gaussian
of ``smooth_v`` (default 15 mV) — the usual trade between noise and peak resolution. Peaks are
local maxima with a prominence of at least ``min_prominence`` of the highest; a peak's *area*
is the charge between the valleys that separate it from its neighbours (``∫ dQ/dV dV``
[Ah]). ``dV/dQ`` is the same curve on a uniform charge grid.

Against a reference curve of the same chemistry (a new cell, or the same cell earlier), matched
peaks give shifts [V] and area ratios. Their pattern is evidence for the degradation mode
(Dubarry, Truchot & Liaw, J. Power Sources 219 (2012) 204; Birkl et al., J. Power Sources 341
(2017) 373): loss of active material shrinks the peaks it feeds, loss of lithium inventory
keeps most peak areas but cuts the capacity at an end of the curve and shifts the peaks along
the voltage axis. This is evidence to report next to the SoH, not a diagnosis.

Only slow steps are meaningful (≤ C/5; C/20 or slower resolves the graphite stages); faster
steps are refused.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from packlife._typing import FloatArray
from packlife.grading.capacity import Discharge

#: fastest step accepted for ICA [C-rate]
MAX_C_RATE = 0.2


@dataclass(frozen=True)
class IcaCurve:
    """dQ/dV on a voltage grid [V → Ah/V], dV/dQ on a charge grid [Ah → V/Ah], and peaks
    (voltage [V], height [Ah/V], area [Ah])."""

    voltage_v: np.ndarray
    dq_dv_ah_per_v: np.ndarray
    charge_ah: np.ndarray
    dv_dq_v_per_ah: np.ndarray
    peak_voltage_v: np.ndarray
    peak_height_ah_per_v: np.ndarray
    peak_area_ah: np.ndarray
    capacity_ah: float


def ica_curve(
    charge_ah: FloatArray,
    voltage_v: FloatArray,
    *,
    dv_v: float = 0.005,
    smooth_v: float = 0.015,
    min_prominence: float = 0.05,
) -> IcaCurve:
    """dQ/dV and dV/dQ of one slow step (``charge_ah`` increasing from 0, any voltage
    direction), with its peaks.

    Raises
    ------
    ValueError
        With fewer than 20 samples or a voltage span below 10 grid steps.
    """
    q = np.asarray(charge_ah, dtype=float)
    v = np.asarray(voltage_v, dtype=float)
    if q.size < 20:
        raise ValueError("fewer than 20 samples")
    sign = 1.0 if v[-1] >= v[0] else -1.0
    vm = np.maximum.accumulate(sign * v)  # monotone in the step's direction
    keep = np.concatenate(([True], np.diff(vm) > 0))
    vm, qm = vm[keep], q[keep]
    if vm[-1] - vm[0] < 10 * dv_v:
        raise ValueError("voltage span too small for dQ/dV")
    grid = np.arange(vm[0], vm[-1], dv_v)
    q_grid = np.interp(grid, vm, qm)
    dq_dv = gaussian_filter1d(np.gradient(q_grid, dv_v), smooth_v / dv_v, mode="nearest")
    volts = sign * grid
    order = np.argsort(volts)
    volts, dq_dv = volts[order], dq_dv[order]
    peaks, _ = find_peaks(dq_dv, prominence=min_prominence * float(np.max(dq_dv)))
    areas = _peak_areas(volts, dq_dv, peaks)
    dq = (q[-1] - q[0]) / 400.0
    q_axis = np.arange(q[0], q[-1], dq) if dq > 0 else q[:1]
    v_of_q = np.interp(q_axis, q, v)
    dv_dq = gaussian_filter1d(np.gradient(v_of_q, dq), 3.0, mode="nearest") if dq > 0 else q_axis
    return IcaCurve(
        volts,
        dq_dv,
        q_axis,
        dv_dq,
        volts[peaks],
        dq_dv[peaks],
        areas,
        float(q[-1] - q[0]),
    )


def _peak_areas(volts: np.ndarray, dq_dv: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Charge under each peak [Ah], between the lowest points separating it from its
    neighbouring peaks (or the curve's ends)."""
    if peaks.size == 0:
        return np.empty(0)
    edges = [0]
    for a, b in itertools.pairwise(peaks):
        edges.append(int(a) + int(np.argmin(dq_dv[a : b + 1])))
    edges.append(volts.size - 1)
    out = [
        float(np.trapezoid(dq_dv[lo : hi + 1], volts[lo : hi + 1]))
        for lo, hi in itertools.pairwise(edges)
    ]
    return np.asarray(out)


@dataclass(frozen=True)
class IcaComparison:
    """Matched peaks of a curve against a reference: shifts [V], area ratios, the capacity
    ratio, and a one-line reading of the pattern."""

    capacity_ratio: float
    peak_voltage_v: np.ndarray
    shift_v: np.ndarray
    area_ratio: np.ndarray
    evidence: str


def compare_to_reference(
    curve: IcaCurve, reference: IcaCurve, *, match_window_v: float = 0.06
) -> IcaComparison:
    """Match each reference peak to the nearest peak of ``curve`` within ``match_window_v``."""
    ratio = curve.capacity_ah / reference.capacity_ah
    volts, shifts, areas = [], [], []
    for vr, ar in zip(reference.peak_voltage_v, reference.peak_area_ah, strict=True):
        if curve.peak_voltage_v.size == 0:
            break
        k = int(np.argmin(np.abs(curve.peak_voltage_v - vr)))
        if abs(curve.peak_voltage_v[k] - vr) <= match_window_v:
            volts.append(vr)
            shifts.append(curve.peak_voltage_v[k] - vr)
            areas.append(curve.peak_area_ah[k] / ar if ar > 0 else np.nan)
    area_ratio = np.asarray(areas)
    shift = np.asarray(shifts)
    lost = 1.0 - ratio
    if area_ratio.size == 0:
        evidence = "no peaks matched the reference: no evidence on the degradation mode"
    elif lost < 0.02:
        evidence = "capacity within 2 % of the reference: no clear degradation"
    elif np.nanmin(area_ratio) < 1.0 - 0.5 * lost:
        evidence = (
            f"peak areas fell (min ratio {np.nanmin(area_ratio):.2f}): evidence for loss of "
            "active material (LAM)"
        )
    else:
        evidence = (
            f"peak areas kept (min ratio {np.nanmin(area_ratio):.2f}) while capacity fell "
            f"{100 * lost:.1f} % and peaks moved up to "
            f"{1000 * float(np.max(np.abs(shift))):.0f} mV: "
            "evidence for loss of lithium inventory (LLI)"
        )
    return IcaComparison(ratio, np.asarray(volts), shift, area_ratio, evidence)


def ica_of_discharges(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    discharges: list[Discharge],
    reference: IcaCurve | None = None,
) -> tuple[dict[str, object] | None, list[str]]:
    """dQ/dV of the slowest full CC discharge at ≤ C/5 (JSON-ready), compared with
    ``reference`` when given; and notes for the reasons."""
    slow = [d for d in discharges if d.c_rate is not None and d.c_rate <= MAX_C_RATE]
    if not slow:
        return None, []
    d = min(slow, key=lambda x: x.current_a)
    rate = float(d.c_rate or 0.0)
    s, e = d.start, d.end
    dt = np.diff(time_s[s : e + 1], prepend=time_s[s])
    q = np.cumsum(current_a[s : e + 1] * dt) / 3600.0
    try:
        curve = ica_curve(q, voltage_v[s : e + 1])
    except ValueError as exc:
        return None, [f"dQ/dV not computed: {exc}"]
    out: dict[str, object] = {
        "c_rate": float(f"{rate:.3g}"),
        "peaks": [
            {"voltage_v": round(float(pv), 4), "area_ah": float(f"{pa:.4g}")}
            for pv, pa in zip(curve.peak_voltage_v, curve.peak_area_ah, strict=True)
        ],
    }
    notes = [f"dQ/dV of the C/{1 / rate:.3g} discharge: {curve.peak_voltage_v.size} peak(s)"]
    if reference is not None:
        cmp = compare_to_reference(curve, reference)
        out["vs_reference"] = {
            "capacity_ratio": float(f"{cmp.capacity_ratio:.4g}"),
            "shift_v": [round(float(x), 4) for x in cmp.shift_v],
            "area_ratio": [float(f"{x:.3g}") for x in cmp.area_ratio],
            "evidence": cmp.evidence,
        }
        notes.append(f"dQ/dV vs reference: {cmp.evidence}")
    return out, notes


def reference_curve(
    time_s: FloatArray, current_a: FloatArray, voltage_v: FloatArray, discharges: list[Discharge]
) -> IcaCurve | None:
    """The dQ/dV curve of the slowest full CC discharge of a reference file (any rate)."""
    if not discharges:
        return None
    d = min(discharges, key=lambda x: x.current_a)
    s, e = d.start, d.end
    dt = np.diff(time_s[s : e + 1], prepend=time_s[s])
    q = np.cumsum(current_a[s : e + 1] * dt) / 3600.0
    try:
        return ica_curve(q, voltage_v[s : e + 1])
    except ValueError:
        return None
