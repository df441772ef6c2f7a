"""Test steps from the data: the cycler's own step column where present, else current levels.

A *step* is a stretch of samples under one control mode (rest, discharge or charge). Cyclers
write a step index (Arbin ``Step_Index``, Maccor ``Step``, Neware ``Step_Index``, BioLogic
``Ns``, Bitrode ``Step``); where a file has one it defines the steps and nothing is guessed.
Files without one are segmented by the sign of the current against a rest threshold given as a
C-rate of the rated capacity (default C/500), so a C/20 capacity check is never taken for rest
next to 5C pulses; the threshold can be overridden in amperes.

Charge moved in a step is taken from the cycler's own counter where the file has one (the
cycler integrates at its internal rate, which a logged series cannot match), else counted from
the samples with the *end-of-interval* convention cyclers use (the current of sample ``k`` flows
over ``(t[k-1], t[k]]``; the step's first interval is its ``step_time_s`` when the file has that
column). A trapezoid over a rest→load edge would count half an interval that may never have
flowed, and one over the load→rest edge half an interval after the cut-off that never did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray

#: default rest threshold as a C-rate of the rated capacity [1/h]
REST_C_RATE = 1.0 / 500.0
#: without a rated capacity: rest below this fraction of the 99th-percentile |current|
REST_FRACTION_OF_PEAK = 0.002
#: a loaded-step gap longer than this many median sample intervals is reported
GAP_FACTOR = 5.0


@dataclass(frozen=True)
class Steps:
    """Steps of a series: index ranges ``[start, end]`` (inclusive), kind (+1 discharge,
    −1 charge, 0 rest), and where the steps came from (``"cycler"`` or ``"current"``)."""

    start: np.ndarray
    end: np.ndarray
    kind: np.ndarray
    source: str
    rest_threshold_a: float

    @property
    def count(self) -> int:
        """Number of steps."""
        return int(self.kind.size)


def rest_threshold_a(
    current_a: FloatArray, rated_capacity_ah: float | None, override_a: float | None = None
) -> float:
    """Current below which a sample is rest [A]: ``override_a``, else C/500 of the rating,
    else 0.2 % of the 99th-percentile |current| (at least 1 µA)."""
    if override_a is not None:
        return float(override_a)
    if rated_capacity_ah is not None and np.isfinite(rated_capacity_ah) and rated_capacity_ah > 0:
        return REST_C_RATE * float(rated_capacity_ah)
    if current_a.size == 0:
        return 1e-6
    return max(1e-6, REST_FRACTION_OF_PEAK * float(np.percentile(np.abs(current_a), 99)))


def _kind_of(current_a: FloatArray, threshold_a: float) -> np.ndarray:
    return np.where(current_a > threshold_a, 1, np.where(current_a < -threshold_a, -1, 0)).astype(
        np.int8
    )


def segment_steps(
    current_a: FloatArray,
    *,
    step_id: np.ndarray | None = None,
    rated_capacity_ah: float | None = None,
    rest_current_a: float | None = None,
) -> Steps:
    """Split a series into steps.

    Parameters
    ----------
    current_a : ndarray
        Current [A], discharge positive.
    step_id : ndarray, optional
        The cycler's step index (any values; a change starts a new step). Within a cycler step
        the kind is the sign of the step's median current; a step whose current changes sign
        (a pulse sequence in one step) is split further by sign.
    rated_capacity_ah : float, optional
        Rated capacity [Ah] for the C-rate rest threshold.
    rest_current_a : float, optional
        Rest threshold override [A].
    """
    thr = rest_threshold_a(current_a, rated_capacity_ah, rest_current_a)
    kind = _kind_of(current_a, thr)
    if step_id is not None and step_id.size == current_a.size:
        ids = np.asarray(step_id)
        change = np.flatnonzero(ids[1:] != ids[:-1]) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change - 1, [ids.size - 1]))
        out_s, out_e, out_k = [], [], []
        for s, e in zip(starts, ends, strict=True):
            seg = kind[s : e + 1]
            loaded = seg[seg != 0]
            if loaded.size and np.any(loaded != loaded[0]):
                sub = _runs(seg)
                out_s += list(sub[0] + s)
                out_e += list(sub[1] + s)
                out_k += list(sub[2])
                continue
            med = float(np.median(current_a[s : e + 1]))
            out_s.append(int(s))
            out_e.append(int(e))
            out_k.append(1 if med > thr else (-1 if med < -thr else 0))
        return Steps(
            np.asarray(out_s, dtype=np.int64),
            np.asarray(out_e, dtype=np.int64),
            np.asarray(out_k, dtype=np.int8),
            "cycler",
            thr,
        )
    s, e, k = _runs(kind)
    return Steps(s, e, k, "current", thr)


def _runs(kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    change = np.flatnonzero(np.diff(kind)) + 1
    start = np.concatenate(([0], change)).astype(np.int64)
    end = np.concatenate((change - 1, [kind.size - 1])).astype(np.int64)
    return start, end, kind[start]


@dataclass(frozen=True)
class StepCharge:
    """Charge moved in one step [Ah] (positive), its 1σ [Ah], and how it was obtained."""

    charge_ah: float
    uncertainty_ah: float
    method: str
    max_gap_s: float


def step_charge_ah(
    time_s: FloatArray,
    current_a: FloatArray,
    start: int,
    end: int,
    *,
    step_time_s: FloatArray | None = None,
    counter_ah: FloatArray | None = None,
    rel_uncertainty: float = 0.005,
) -> StepCharge:
    """Charge moved from the start of a step to its sample ``end`` [Ah], always positive.

    Order of preference: the cycler's counter (``counter_ah``: unsigned charge in this
    direction, cumulative within a cycle or reset at each step — both are handled); the logged
    current with the step's own clock (``step_time_s`` gives the first interval exactly); the
    logged current with the end-of-interval convention (first interval = time since the
    previous sample, unless both edges look unlogged: see the comment in the body).
    """
    t, i = time_s, current_a
    dt = np.diff(t[start : end + 1])
    body = float(np.sum(np.abs(i[start + 1 : end + 1]) * dt)) / 3600.0
    typical = float(np.median(dt)) if dt.size else 0.0
    max_gap = float(np.max(dt)) if dt.size else 0.0
    if start > 0:
        first_dt = float(t[start] - t[start - 1])
    else:
        first_dt = 0.0
    if counter_ah is not None and np.isfinite(counter_ah[end]):
        c = counter_ah
        base = 0.0
        if start > 0 and np.isfinite(c[start - 1]):
            inc = float(c[start] - c[start - 1])
            expected = abs(float(i[start])) * max(first_dt, 0.0) / 3600.0
            if 0.0 <= inc <= 1.5 * expected + 1e-9 + 1e-6 * abs(float(c[end])):
                base = float(c[start - 1])
        charge = abs(float(c[end]) - base)
        return StepCharge(charge, rel_uncertainty * charge, "cycler_counter", max_gap)
    if step_time_s is not None and np.isfinite(step_time_s[start]):
        head = abs(float(i[start])) * max(float(step_time_s[start]), 0.0) / 3600.0
        charge = body + head
        return StepCharge(charge, rel_uncertainty * charge, "coulomb_count_step_time", max_gap)
    # Edges: a cycler logs a sample just after a step change and one at the step end, so the
    # first and last intervals of a step are short or irregular. Where they equal the regular
    # interval the edge was not logged (a log thinned after the fact): the step began (ended)
    # somewhere inside that interval; count half of it and take that half as its 1σ (the
    # edges of one log are correlated: a uniform Δt/√12 per edge covered 42 % within 1σ).
    cur = abs(float(i[start]))
    regular = typical > 2.0 and dt.size >= 2
    var = (rel_uncertainty * body) ** 2
    head = cur * first_dt / 3600.0
    thinned = (
        regular
        and start > 0
        and first_dt >= 0.9 * typical
        and float(dt[0]) >= 0.9 * typical
        and float(dt[-1]) >= 0.9 * typical
    )
    if thinned:
        head *= 0.5
        var += (cur * first_dt / 3600.0) ** 2 / 4.0
    tail = 0.0
    if thinned and end + 1 < t.size:
        next_dt = float(t[end + 1] - t[end])
        if next_dt >= 0.9 * typical:
            cur_end = abs(float(i[end]))
            tail = 0.5 * cur_end * next_dt / 3600.0
            var += (cur_end * next_dt / 3600.0) ** 2 / 4.0
    charge = body + head + tail
    return StepCharge(charge, float(np.sqrt(var)), "coulomb_count", max(max_gap, first_dt))
