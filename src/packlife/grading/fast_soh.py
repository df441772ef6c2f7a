"""Fast capacity / SoH estimate from a short test (≤ 15 min): OCV-pinned coulomb counting.

Method
------
1. The window starts at the last sample of a rest (default ≥ 5 min): its voltage is an OCV,
   giving ``soc_start = OCV⁻¹(V_rest)`` from the chemistry's OCV table.
2. Charge is counted through the window (pulses included): ``ΔAh``.
3. At the window end the cell has carried a constant current ``I`` for ≥ 5 min; then
   ``OCV_end = V_end + I · k · R30``, where ``R30`` is the 30-s resistance measured in the same
   window on its first loaded run of ≥ 25 s (a 30-s pulse or the step into the
   constant-current run) and ``k`` the ratio of the overpotential after several minutes to the
   30-s resistance (diffusion keeps growing after 30 s). A window may instead end after ≥ 5 min
   of rest, whose voltage is taken as the OCV (not validated: remaining relaxation biases it).
4. ``capacity = ΔAh / (soc_start − soc_end)``.

The uncertainty propagates the OCV-table error (``ocv_sigma_v``) at both ends and the spread of
``k`` (``k_rel_sigma``) at the end through the local OCV slope, plus 0.5 % for coulomb counting.
It is large where the OCV curve is flat (LFP, mid-SoC plateaus) and when ``|ΔSoC|`` is small;
windows with ``|ΔSoC| < min_delta_soc`` are rejected. ``k`` and its spread were calibrated on
the ORNL 2013 Leaf cell HPPC data at 25 °C, at C/3 (see ``docs/grading.md``).

Known bias: ``k`` multiplies all of ``R30``, so a unit whose resistance grew mostly in its ohmic
part (which does not grow with time under load) gets its end overpotential overestimated and its
capacity overestimated. Splitting ``R30`` into ohmic and polarisation parts was tried and fitted
the ORNL windows worse (mean absolute error 19 % instead of 17 % at 10 °C), so it is not used.

References
----------
- Plett, G. L., *Battery Management Systems, Vol. II* (Artech House, 2015), ch. 4: capacity as
  ΔAh/ΔSoC between OCV-pinned states.
- Wiggins, Allu & Wang (2019), ORNL 2013 Nissan Leaf cell data, doi:10.5281/zenodo.2580327.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.grading.estimators import (
    COULOMB_REL_UNCERTAINTY,
    cumulative_ah,
    find_runs,
    ocv_slope,
)

#: overpotential after ~13 min at constant current / (I · R30): median over the 25 °C ORNL Leaf
#: HPPC windows with the shipped ``aesc_lmo_nca_leaf2013`` OCV (1.12–1.76, median 1.53)
DEFAULT_K = 1.5
#: relative spread (1σ) of that ratio over the calibration windows (0.14 measured)
DEFAULT_K_REL_SIGMA = 0.15


@dataclass(frozen=True)
class FastEstimate:
    """Result of :func:`fast_capacity_estimate` (capacities in Ah, times in s)."""

    capacity_ah: float
    uncertainty_ah: float
    soc_start: float
    soc_end: float
    delta_ah: float
    r30_ohm: float
    start_time_s: float
    window_s: float


def soc_from_ocv(ocv_soc: FloatArray, ocv_v: FloatArray, voltage_v: float) -> float:
    """SoC of a rested voltage by inverse interpolation of a non-decreasing OCV table."""
    return float(np.interp(voltage_v, ocv_v, ocv_soc))


def _step_r30(t: FloatArray, i: FloatArray, v: FloatArray, s: int, e: int) -> float:
    """Resistance 30 s after the step into run ``s..e`` relative to the sample before it [Ω]."""
    t_at = min(float(t[s]) + 29.0, float(t[e]))
    v_at = float(np.interp(t_at, t[s : e + 1], v[s : e + 1]))
    i_at = float(np.interp(t_at, t[s : e + 1], i[s : e + 1]))
    return (float(v[s - 1]) - v_at) / (i_at - float(i[s - 1]))


def _window_r30(t: FloatArray, i: FloatArray, v: FloatArray, a: int, e: int) -> float:
    """R30 from the first loaded run in ``a..e`` that lasts ≥ 25 s (pulse or long step) [Ω]."""
    runs = find_runs(i[a : e + 1])
    for k in range(runs.kind.size):
        s, end = a + int(runs.start[k]), a + int(runs.end[k])
        if runs.kind[k] != 0 and s > 0 and t[end] - t[s] >= 25.0:
            return _step_r30(t, i, v, s, end)
    return float("nan")


def fast_capacity_estimate(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    ocv_soc: FloatArray,
    ocv_v: FloatArray,
    *,
    start_index: int | None = None,
    window_s: float = 900.0,
    min_rest_s: float = 300.0,
    max_current_a: float | None = None,
    k: float = DEFAULT_K,
    k_rel_sigma: float = DEFAULT_K_REL_SIGMA,
    ocv_sigma_v: float = 0.005,
    min_delta_soc: float = 0.04,
    min_final_run_s: float = 300.0,
) -> FastEstimate | None:
    """Capacity from at most ``window_s`` of data after a rest (see module docstring).

    Parameters
    ----------
    time_s, current_a, voltage_v : ndarray
        Canonical series [s], [A] (discharge positive), [V] of one cell or of a pack whose
        OCV table is scaled to the pack voltage.
    ocv_soc, ocv_v : ndarray
        OCV table [-], [V], non-decreasing.
    start_index : int, optional
        Last rest sample that starts the window; default: the first rest of ≥ ``min_rest_s``
        that is followed by current, or the rest the record starts with (a record that starts
        at rest is taken as a unit that arrived rested, e.g. from storage).
    window_s : float
        Longest span of data used [s] (900 s = 15 min).
    max_current_a : float, optional
        Reject windows whose final current exceeds this [A] (validity range of ``k``:
        calibrated at C/3; use about 0.5 × rated capacity in A).
    min_final_run_s : float
        The window must end in a constant-current run of at least this length [s] (``k`` holds
        for several minutes of constant current), or in a rest of at least ``min_rest_s``
        whose last voltage is taken as the OCV (that case is not validated on the ORNL data:
        remaining relaxation biases it).

    Returns
    -------
    FastEstimate or None
        ``None`` when no usable window exists (no rest, no current, final run too short or
        not constant, ``|ΔSoC|`` too small, rested voltage outside the OCV table).
    """
    t, i, v = time_s, current_a, voltage_v
    a = _window_start(t, i, min_rest_s) if start_index is None else start_index
    if a is None or a >= t.size - 2:
        return None
    e = int(np.searchsorted(t, t[a] + window_s, side="right")) - 1
    if not ocv_v[0] <= v[a] <= ocv_v[-1] + 0.02:
        return None
    if max_current_a is not None and abs(i[e]) > max_current_a:
        return None
    tail = find_runs(i[a : e + 1])
    last_start = a + int(tail.start[-1])
    loaded = tail.kind[-1] != 0
    if t[e] - t[last_start] < (min_final_run_s if loaded else min_rest_s):
        return None
    eta_v = 0.0
    r30 = _window_r30(t, i, v, a, e)
    if loaded:
        run = i[last_start : e + 1]
        if not np.isfinite(r30) or r30 <= 0 or np.std(run) > 0.05 * abs(np.mean(run)):
            return None
        eta_v = float(i[e]) * k * r30
    ocv_end = float(v[e]) + eta_v
    q = cumulative_ah(t[a : e + 1], i[a : e + 1])
    soc0 = soc_from_ocv(ocv_soc, ocv_v, float(v[a]))
    soc1 = soc_from_ocv(ocv_soc, ocv_v, ocv_end)
    dsoc = soc0 - soc1
    if abs(dsoc) < min_delta_soc or q[-1] * dsoc <= 0 or ocv_end < ocv_v[0]:
        return None
    cap = float(q[-1] / dsoc)
    sig_soc0 = ocv_sigma_v / max(ocv_slope(ocv_soc, ocv_v, float(v[a])), 1e-3)
    sig_v1 = float(np.hypot(ocv_sigma_v, k_rel_sigma * eta_v))
    sig_soc1 = sig_v1 / max(ocv_slope(ocv_soc, ocv_v, ocv_end), 1e-3)
    rel = float(np.sqrt(((sig_soc0**2 + sig_soc1**2) / dsoc**2) + COULOMB_REL_UNCERTAINTY**2))
    return FastEstimate(
        capacity_ah=cap,
        uncertainty_ah=abs(cap) * rel,
        soc_start=soc0,
        soc_end=soc1,
        delta_ah=float(q[-1]),
        r30_ohm=float(r30),
        start_time_s=float(t[a]),
        window_s=float(t[e] - t[a]),
    )


def _window_start(t: FloatArray, i: FloatArray, min_rest_s: float) -> int | None:
    runs = find_runs(i)
    for k in range(runs.kind.size - 1):
        s, e = int(runs.start[k]), int(runs.end[k])
        first = k == 0 and e > s  # a record that starts at rest: the unit arrived rested
        if runs.kind[k] == 0 and (first or t[e] - t[s] >= min_rest_s):
            return e
    return None
