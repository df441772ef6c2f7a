"""Helpers for hybrid pulse power characterisation (HPPC) data and logged cycler profiles.

Cycler logs (Bitrode, Arbin, ...) write one sample at the *end* of each logging interval: the
current of sample ``k`` flowed over ``(time_s[k-1], time_s[k]]`` and the voltage of sample ``k``
was measured with that current flowing. :func:`packlife.models.ecm.simulate_current` holds sample
``k`` *forward* over ``[time_s[k], time_s[k+1])``. :func:`simulate_logged` converts between the
two, which matters where a logger skips time (e.g. the first minute of a rest after a discharge).

References
----------
INL, *Battery Test Manual for Electric Vehicles*, rev. 3.1, INL/EXT-15-34184, 2020 (HPPC test).
G. Wiggins, S. Allu, H. Wang, *Battery cell data from a 2013 Nissan Leaf*, ORNL, 2019,
doi:10.5281/zenodo.2580327.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from packlife._typing import FloatArray, IntArray
from packlife.models.ecm import simulate_current
from packlife.models.interp import interp2


def discharged_ah(time_s: FloatArray, current_a: FloatArray) -> FloatArray:
    """Cumulative charge removed since the first sample, for end-of-interval logs [Ah].

    Parameters
    ----------
    time_s : ndarray
        Sample times [s], increasing.
    current_a : ndarray
        Current over the interval ending at each sample, discharge positive [A].

    Returns
    -------
    ndarray
        Charge removed up to each sample (discharge positive) [Ah]; 0 at the first sample.
    """
    dt_s = np.diff(time_s, prepend=time_s[0])
    return np.cumsum(current_a * dt_s) / 3600.0


def forward_hold_current(current_a: FloatArray) -> FloatArray:
    """Current held forward from each sample, for an end-of-interval log [A].

    The interval ``[time_s[k], time_s[k+1])`` carries the current logged at sample ``k+1``; the
    last sample keeps its own current.
    """
    out = np.empty_like(current_a)
    out[:-1] = current_a[1:]
    out[-1] = current_a[-1]
    return out


def simulate_logged(
    time_s: FloatArray,
    current_a: FloatArray,
    temperature_c: FloatArray,
    soc0: float,
    capacity_ah: float,
    ocv: tuple[FloatArray, FloatArray, FloatArray],
    ecm: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Terminal voltage of the ECM driven by an end-of-interval cycler log.

    Runs :func:`packlife.models.ecm.simulate_current` with :func:`forward_hold_current` and then
    evaluates the ohmic drop of each sample with the current *logged* at that sample.

    Parameters
    ----------
    time_s, current_a, temperature_c : ndarray
        Logged samples [s], [A] (discharge positive), [°C].
    soc0 : float
        State of charge at the first sample [0–1].
    capacity_ah : float
        Cell capacity [Ah].
    ocv : tuple
        ``(temperature_c, soc, voltage_v)`` OCV table, rows by temperature.
    ecm : tuple
        ``(temperature_c, soc, r0, r1, c1, r2, c2)`` ECM tables [Ω], [F], rows by temperature.

    Returns
    -------
    voltage_v, soc : ndarray
        Simulated terminal voltage [V] and state of charge at each sample.
    """
    ecm_t, ecm_s, r0, r1, c1, r2, c2 = ecm
    i_fwd = forward_hold_current(current_a)
    v_sim, soc = simulate_current(
        time_s, i_fwd, temperature_c, soc0, capacity_ah, *ocv, ecm_t, ecm_s, r0, r1, c1, r2, c2
    )
    r0_k = interp2(ecm_t, ecm_s, r0, temperature_c, soc)
    return v_sim + r0_k * (i_fwd - current_a), soc


def step_runs(step: FloatArray) -> tuple[IntArray, IntArray]:
    """First and last index of each run of equal consecutive ``step`` values.

    Returns
    -------
    starts, ends : ndarray
        Inclusive index bounds of each run.
    """
    change = np.flatnonzero(np.diff(step) != 0)
    starts = np.concatenate(([0], change + 1)).astype(np.int64)
    ends = np.concatenate((change, [step.shape[0] - 1])).astype(np.int64)
    return starts, ends


@dataclass(frozen=True)
class Pulse:
    """One constant-current pulse in a log (inclusive sample indices).

    ``before`` is the last sample before the pulse (rest), ``start``/``end`` the first/last
    sample carrying the pulse current.
    """

    before: int
    start: int
    end: int
    current_a: float


def find_pulses(
    time_s: FloatArray,
    current_a: FloatArray,
    step: FloatArray,
    min_abs_current_a: float,
    max_duration_s: float,
) -> list[Pulse]:
    """Pulses: runs of one step with ``|current| ≥ min_abs_current_a`` lasting ≤ ``max_duration_s``.

    Each pulse must be preceded by a sample at (near) zero current, so that the voltage step at
    its onset measures the ohmic resistance.
    """
    pulses: list[Pulse] = []
    starts, ends = step_runs(step)
    for s, e in zip(starts, ends, strict=True):
        if s == 0:
            continue
        i_med = float(np.median(current_a[s : e + 1]))
        duration_s = float(time_s[e] - time_s[s - 1])
        if abs(i_med) >= min_abs_current_a and duration_s <= max_duration_s:
            if abs(current_a[s - 1]) < 0.05 * abs(i_med):
                pulses.append(Pulse(int(s - 1), int(s), int(e), i_med))
    return pulses


def onset_resistance_ohm(voltage_v: FloatArray, current_a: FloatArray, pulse: Pulse) -> float:
    """Resistance from the voltage step at a pulse onset, ``-(ΔV)/(ΔI)`` [Ω].

    Uses the last pre-pulse sample and the first pulse sample; with discharge-positive current
    the terminal voltage falls by ``R·ΔI``. Includes any polarisation within the first logging
    interval, so the fastest logging available gives the cleanest ohmic value.
    """
    dv = voltage_v[pulse.start] - voltage_v[pulse.before]
    di = current_a[pulse.start] - current_a[pulse.before]
    return float(-dv / di)


def rest_end_indices(
    time_s: FloatArray, current_a: FloatArray, step: FloatArray, min_duration_s: float
) -> IntArray:
    """Index of the last sample of every rest (``|I| < 0.05 A``) lasting ≥ ``min_duration_s``."""
    starts, ends = step_runs(step)
    out = [
        int(e)
        for s, e in zip(starts, ends, strict=True)
        if np.all(np.abs(current_a[s : e + 1]) < 0.05)
        and time_s[e] - time_s[max(s - 1, 0)] >= min_duration_s
    ]
    return np.asarray(out, dtype=np.int64)


def full_charge_end_indices(
    time_s: FloatArray, current_a: FloatArray, step: FloatArray, min_duration_s: float = 3600.0
) -> IntArray:
    """Last sample of each charge step lasting ≥ ``min_duration_s`` (a CC-CV charge to full).

    These are the ``soc = 1`` anchors of a log.
    """
    starts, ends = step_runs(step)
    out = [
        int(e)
        for s, e in zip(starts, ends, strict=True)
        if np.median(current_a[s : e + 1]) < 0.0 and time_s[e] - time_s[s] >= min_duration_s
    ]
    return np.asarray(out, dtype=np.int64)


def initial_soc(
    time_s: FloatArray, current_a: FloatArray, step: FloatArray, capacity_ah: float
) -> float:
    """State of charge at the first sample, counted back from the log's first full charge [0–1].

    Raises
    ------
    ValueError
        If the log has no charge step of at least one hour.
    """
    ends = full_charge_end_indices(time_s, current_a, step)
    if ends.size == 0:
        raise ValueError("the log has no full (≥ 1 h) charge to anchor the state of charge")
    ah = discharged_ah(time_s, current_a)
    k = int(ends[0])
    return float(min(max(1.0 + (ah[k] - ah[0]) / capacity_ah, 0.0), 1.0))


def simulate_logged_from_each_full_charge(
    time_s: FloatArray,
    current_a: FloatArray,
    temperature_c: FloatArray,
    step: FloatArray,
    capacity_ah: float,
    ocv: tuple[FloatArray, FloatArray, FloatArray],
    ecm: tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray],
) -> FloatArray:
    """:func:`simulate_logged` restarted at ``soc = 1`` (RC voltages 0) at every full charge.

    Removes the drift of open-loop coulomb counting over many cycles (as a BMS that recalibrates
    at full charge would). Samples before the first full charge are NaN.

    Returns
    -------
    ndarray
        Simulated terminal voltage [V].
    """
    out = np.full(time_s.shape, np.nan)
    ends = full_charge_end_indices(time_s, current_a, step)
    bounds = [*ends.tolist(), time_s.shape[0]]
    for a, b in pairwise(bounds):
        sl = slice(a, b)
        out[sl], _ = simulate_logged(
            time_s[sl], current_a[sl], temperature_c[sl], 1.0, capacity_ah, ocv, ecm
        )
    return out
