"""Fast capacity / SoH estimate from a ≤ 15-minute test: rest-to-rest OCV, extrapolated rest.

Test procedure (15 min in all)
------------------------------
The unit arrives rested (≥ 30 min without current, e.g. from storage) or rests first; then

1. ≥ 1 min of logged rest: its last voltage is the OCV that pins the start SoC;
2. a 10-s discharge pulse, then 30 s of rest (R0 for the record);
3. a constant-current discharge (or charge) for about 10 min at 2C where the unit allows it
   (ΔSoC ≈ 0.33); at 1C (ΔSoC ≈ 0.17) the stated 1σ stays above the grading limit;
4. ≥ 3 min of rest (4 min in :func:`packlife.grading.fast_test.fast_test_current`).

Method
------
``capacity = ΔQ / (soc0 − soc1)``: ``ΔQ`` is counted over the window, ``soc0 = OCV⁻¹(V_rest)``
from the chemistry's OCV table (or a user-supplied one) and ``soc1 = OCV⁻¹(V_ref)``, where
``V_ref`` is the final rest extrapolated to the rest after which OCV tables are taken
(``ocv_rest_s``, 1 h) by :func:`packlife.grading.relaxation.extrapolate_rest`: a power law
``V_ref + B·[(t/t₀)^(−α) − (t_ref/t₀)^(−α)]`` of the time since the load (diffusion; small
``α`` is the log-time model), replaced by an exponential only where that fits clearly better
(an equivalent circuit that relaxes within the rest); the first 10 s (the fast RC) are skipped.
Held out on the 29 ORNL Leaf 1-h rests after a C/3 discharge (fit on the first 5 min, compared
with the logged voltage at 60 min) the extrapolation's mean absolute error is 4.9 mV against
9.1 mV for the last sample (``benchmarks/RESULTS.md``).

The OCV table is moved to the test temperature with the chemistry's entropic coefficient,
``OCV + dOCV/dT · (T − T_table)`` (``ocv_dvdt_v_per_k``, ``delta_temperature_k``;
:func:`fast_estimate_at_temperature` for the grader): on the ORNL Leaf rests the 25 °C table
is up to ~10 mV off at 10 °C and 40 °C, 2–3 points of SoH over a 0.3-SoC window.

A least-squares fit of (capacity, start SoC) to the *loaded* curve with a 2-RC circuit was
tried first and rejected: the change of resistance with SoC over the window is confounded with
the OCV decline (known-answer MAE 11 % on the Leaf set, 1.7–5 % on the NMC set).

Uncertainty (1σ, in quadrature):

- the OCV table: an error ``ocv_sigma_v`` in the OCV *difference* across the window,
  ``σ_C / C = ocv_sigma_v / |ΔOCV|`` (large where the OCV curve is flat), and an error of
  ``OCV_SOC_SIGMA`` in the table's SoC at each end (an aged cell's curve is not the new
  cell's), ``√2 · OCV_SOC_SIGMA / |ΔSoC|``;
- the end voltage, through the OCV slope at ``soc1``: the extrapolation's own 1σ (least-squares
  standard error and the profile of the shape parameter) and, for the model's error, half the
  extrapolated correction ``|V_ref − V_last|``; the standard error of the start OCV (mean of the
  last ≤ 30 s of the start rest);
- the temperature: half the change of the dOCV/dT correction across the window
  (``ENTROPIC_REL_SIGMA``), and where the test temperature is unknown, dOCV/dT's change across
  the window × ``UNKNOWN_TEMPERATURE_SIGMA_K``; both in the OCV-difference error;
- coulomb counting (0.5 %).

Refused (:class:`FastRefusal`, with the reason): no rest to start from, a window that does not
end in ≥ ``min_end_rest_s`` of rest (or a final rest with < 4 samples to fit),
``|ΔSoC| < min_delta_soc``, ``|ΔOCV| < min_delta_ocv_v`` (flat OCV: LFP, mid-SoC plateaus),
voltages outside the OCV table, or charge and OCV change of opposite sign.

References
----------
- Plett, G. L., *Battery Management Systems, Vol. II* (Artech House, 2015), ch. 4: capacity as
  ΔQ/ΔSoC between OCV-pinned states.
- Pei, L. et al., "Development of a voltage relaxation model for rapid open-circuit voltage
  prediction in lithium-ion batteries", *J. Power Sources* 253 (2014) 412.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray
from packlife.grading.estimators import (
    COULOMB_REL_UNCERTAINTY,
    cumulative_ah,
    find_runs,
    rest_threshold,
)
from packlife.grading.relaxation import (
    MIN_FIT_SAMPLES,
    REFERENCE_REST_S,
    extrapolate_rest,
    logger_resolution_v,
)

log = logging.getLogger(__name__)

#: first seconds of the final rest left out of the relaxation fit (the fast RC) [s]
RELAX_SKIP_S = 10.0
#: model error of the extrapolated relaxation (1σ), as a fraction of the extrapolated
#: correction ``|V_ref − V_last|``, in quadrature with the fit's own 1σ
EXTRAP_REL_SIGMA = 0.5
#: 1σ error of the OCV table's SoC axis at each end of a window for the tested unit (the
#: table is a new cell's; ageing shifts the electrodes and the curve): 0.5 % of SoC
OCV_SOC_SIGMA = 0.005
#: 1σ error of a temperature correction of the OCV table by the entropic coefficient, as a
#: fraction of the correction's change across the window (the same convention as
#: ``EXTRAP_REL_SIGMA``; literature dOCV/dT of one chemistry differ by about this much)
ENTROPIC_REL_SIGMA = 0.5
#: 1σ of the test temperature about the OCV table's when the record does not say it [K]
#: (test rooms and warehouses at 15–35 °C around a 25 °C table)
UNKNOWN_TEMPERATURE_SIGMA_K = 10.0
#: a fast estimate may be graded only with an SoH 1σ at most this (issue #12)
MAX_FAST_SOH_SIGMA = 0.03
#: the start OCV is the mean of the start rest's last samples within this span [s]
START_AVERAGE_S = 30.0


@dataclass(frozen=True)
class FastEstimate:
    """Result of :func:`fast_capacity_estimate` (capacities in Ah, times in s, voltages in V)."""

    capacity_ah: float
    uncertainty_ah: float
    soc_start: float
    soc_end: float
    delta_ah: float
    delta_ocv_v: float
    relaxed_v: float
    r0_ohm: float
    start_time_s: float
    window_s: float


@dataclass(frozen=True)
class FastRefusal:
    """Why no fast estimate is given (one sentence naming the limit)."""

    reason: str


def soc_from_ocv(ocv_soc: FloatArray, ocv_v: FloatArray, voltage_v: float) -> float:
    """SoC of a rested voltage by inverse interpolation of a non-decreasing OCV table."""
    return float(np.interp(voltage_v, ocv_v, ocv_soc))


def _onset_r0(t: FloatArray, i: FloatArray, v: FloatArray) -> float:
    """Ohmic resistance at the first step from rest into load in the window [Ω] (NaN when
    the step is not logged within 2 s); reported, not used in the capacity."""
    k = int(np.argmax(np.abs(i) > rest_threshold(i)))
    if k == 0 or t[k] - t[k - 1] > 2.0:
        return float("nan")
    return float((v[k - 1] - v[k]) / (i[k] - i[k - 1]))


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
    min_end_rest_s: float = 180.0,
    ocv_sigma_v: float = 0.003,
    min_delta_soc: float = 0.05,
    min_delta_ocv_v: float = 0.03,
    ocv_rest_s: float = REFERENCE_REST_S,
    ocv_dvdt_v_per_k: FloatArray | None = None,
    delta_temperature_k: float = 0.0,
    temperature_sigma_k: float = 0.0,
) -> FastEstimate | FastRefusal:
    """Capacity from at most ``window_s`` of data after a rest (see the module docstring).

    Parameters
    ----------
    time_s, current_a, voltage_v : ndarray
        Canonical series [s], [A] (discharge positive, logged at interval end), [V] of one cell
        or of a pack whose OCV table is scaled to the pack voltage.
    ocv_soc, ocv_v : ndarray
        OCV table [-], [V], non-decreasing.
    start_index : int, optional
        Last rest sample that starts the window; default: the first rest of ≥ ``min_rest_s``
        that is followed by current, or the rest the record starts with (a record that starts
        at rest is taken as a unit that arrived rested).
    window_s : float
        Longest span of data used [s] (900 s = 15 min).
    min_end_rest_s : float
        The window must end in at least this much rest [s].
    ocv_sigma_v : float
        1σ error of the OCV table's voltage difference across a window [V].
    min_delta_soc, min_delta_ocv_v : float
        Refuse windows spanning less SoC [-] or less OCV change [V].
    ocv_rest_s : float
        Rest after which the OCV table's voltages were taken [s] (1 h: HPPC / GITT practice):
        the final rest is extrapolated to this rest time.
    ocv_dvdt_v_per_k : ndarray, optional
        dOCV/dT at the ``ocv_soc`` points [V/K] (the chemistry's entropic coefficient, at the
        level of ``ocv_v``). With ``delta_temperature_k`` the table is moved to the test
        temperature, ``ocv_v + dOCV/dT · ΔT``, and ``ENTROPIC_REL_SIGMA`` of the correction's
        change across the window is added to the OCV-difference error.
    delta_temperature_k : float
        Test temperature minus the temperature of the OCV table [K] (0: no correction).
    temperature_sigma_k : float
        1σ of ``delta_temperature_k`` [K] (an unknown test temperature): adds
        ``|ΔdOCV/dT| · temperature_sigma_k`` across the window to the OCV-difference error.

    Returns
    -------
    FastEstimate or FastRefusal
    """
    t, i, v = time_s, current_a, voltage_v
    dvdt = np.zeros_like(ocv_v) if ocv_dvdt_v_per_k is None else np.asarray(ocv_dvdt_v_per_k)
    if delta_temperature_k != 0.0:
        # a table made non-monotonic by the shift is flattened there (inverse lookup)
        ocv_v = np.maximum.accumulate(ocv_v + dvdt * delta_temperature_k)
    a = _window_start(t, i, min_rest_s) if start_index is None else start_index
    if a is None or a >= t.size - 3:
        return FastRefusal("no rest followed by current to start a fast (≤ 15 min) test from")
    e = int(np.searchsorted(t, t[a] + window_s, side="right"))
    tw, iw, vw = t[a:e], i[a:e], v[a:e]
    runs = find_runs(iw)
    end_rest = int(runs.start[-1])
    if runs.kind[-1] != 0 or runs.kind.size < 2 or tw[-1] - tw[end_rest] < min_end_rest_s:
        return FastRefusal(
            f"fast-test window does not end in ≥ {min_end_rest_s:.0f} s of rest after its "
            "load (procedure: rest, pulse, ~10 min constant current, ≥ 3 min rest)"
        )
    r0 = _onset_r0(tw, iw, vw)
    relax = extrapolate_rest(
        tw[end_rest:] - tw[end_rest - 1],
        vw[end_rest:],
        reference_s=ocv_rest_s,
        resolution_v=logger_resolution_v(vw),
        skip_s=RELAX_SKIP_S,
    )
    if relax is None:
        return FastRefusal(
            f"final rest of the fast test logged too coarsely (< {MIN_FIT_SAMPLES} samples "
            f"after its first {RELAX_SKIP_S:.0f} s: no relaxation fit)"
        )
    v_inf = relax.voltage_v
    v0, v0_sigma = _start_ocv(t, i, v, a)
    for volt in (v0, v_inf):
        if not ocv_v[0] <= volt <= ocv_v[-1]:
            return FastRefusal(f"rested voltage {volt:.3f} V outside the OCV table")
    q = float(cumulative_ah(tw, iw)[-1])
    soc0 = soc_from_ocv(ocv_soc, ocv_v, v0)
    soc1 = soc_from_ocv(ocv_soc, ocv_v, v_inf)
    dvdt_change = abs(float(np.interp(soc0, ocv_soc, dvdt) - np.interp(soc1, ocv_soc, dvdt)))
    temp_sigma_k = np.hypot(ENTROPIC_REL_SIGMA * delta_temperature_k, temperature_sigma_k)
    ocv_sigma_v = float(np.hypot(ocv_sigma_v, dvdt_change * temp_sigma_k))
    return _estimate(
        (soc0, soc1),
        q,
        (v0, v_inf, float(v_inf - vw[-1])),
        (EXTRAP_REL_SIGMA, float(np.hypot(relax.sigma_v, v0_sigma))),
        (ocv_soc, ocv_v),
        (ocv_sigma_v, min_delta_soc, min_delta_ocv_v),
        (float(tw[0]), float(tw[-1])),
        r0,
    )


def fast_estimate_at_temperature(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    ocv: tuple[FloatArray, FloatArray],
    ocv_dvdt: tuple[FloatArray, FloatArray] | None,
    ocv_temperature_c: float,
    temperature_c: FloatArray | None,
) -> tuple[FastEstimate | FastRefusal, list[str]]:
    """:func:`fast_capacity_estimate` with the OCV table moved to the test temperature.

    ``ocv_dvdt`` = (soc axis, dOCV/dT [V/K] at the level of ``ocv``) and ``ocv_temperature_c``
    the table's temperature [°C]; the test temperature is the mean of ``temperature_c`` [°C].
    Where the test temperature is unknown the table is used as it is, with
    ``UNKNOWN_TEMPERATURE_SIGMA_K`` of temperature in the σ. Returns the estimate and a note
    saying which (none without ``ocv_dvdt``).
    """
    finite = None if temperature_c is None else temperature_c[np.isfinite(temperature_c)]
    known = finite is not None and finite.size > 0
    d_t = float(finite.mean()) - ocv_temperature_c if known else 0.0  # type: ignore[union-attr]
    dvdt = None if ocv_dvdt is None else np.interp(ocv[0], *ocv_dvdt)
    est = fast_capacity_estimate(
        time_s,
        current_a,
        voltage_v,
        *ocv,
        ocv_dvdt_v_per_k=dvdt,
        delta_temperature_k=d_t,
        temperature_sigma_k=0.0 if known else UNKNOWN_TEMPERATURE_SIGMA_K,
    )
    if dvdt is None or isinstance(est, FastRefusal) or (d_t == 0.0 and known):
        return est, []
    if not known:
        return est, [
            f"fast estimate: test temperature unknown; OCV table at {ocv_temperature_c:g} °C "
            f"with ±{UNKNOWN_TEMPERATURE_SIGMA_K:g} K (1σ) of dOCV/dT in its uncertainty"
        ]
    return est, [
        f"fast estimate: OCV table moved from {ocv_temperature_c:g} °C to the test temperature "
        f"{ocv_temperature_c + d_t:.1f} °C by the chemistry's dOCV/dT"
    ]


def _estimate(
    socs: tuple[float, float],
    q_ah: float,
    volts: tuple[float, float, float],
    relax: tuple[float, float],  # (relative σ of the correction, other voltage σ [V])
    ocv: tuple[FloatArray, FloatArray],
    limits: tuple[float, float, float],
    times: tuple[float, float],
    r0_ohm: float,
) -> FastEstimate | FastRefusal:
    """Checks and uncertainty of a rest-to-rest estimate."""
    (soc0, soc1), (v0, v_inf, correction_v), (ocv_sigma_v, min_dsoc, min_docv) = socs, volts, limits
    dsoc, d_ocv = soc0 - soc1, v0 - v_inf
    if abs(dsoc) < min_dsoc:
        return FastRefusal(
            f"fast test spans only ΔSoC {abs(dsoc):.3f} (< {min_dsoc}): a longer or "
            "higher-current constant-current step is needed"
        )
    if abs(d_ocv) < min_docv:
        return FastRefusal(
            f"OCV too flat over the fast-test window (ΔOCV {1000 * abs(d_ocv):.0f} mV < "
            f"{1000 * min_docv:.0f} mV for ΔSoC {abs(dsoc):.2f}): run a full discharge"
        )
    if q_ah * dsoc <= 0:
        return FastRefusal("charge passed and OCV change disagree in sign (current sign?)")
    cap = q_ah / dsoc
    slope1 = abs(_slope(ocv, soc1))
    sig_extrap_v = float(np.hypot(relax[0] * correction_v, relax[1]))
    rel = float(
        np.sqrt(
            (ocv_sigma_v / d_ocv) ** 2
            + 2.0 * (OCV_SOC_SIGMA / dsoc) ** 2
            + (sig_extrap_v / max(slope1, 1e-3) / dsoc) ** 2
            + COULOMB_REL_UNCERTAINTY**2
        )
    )
    log.debug("fast estimate %.4g Ah ± %.1f %%", cap, 100 * rel)
    return FastEstimate(
        capacity_ah=cap,
        uncertainty_ah=cap * rel,
        soc_start=soc0,
        soc_end=soc1,
        delta_ah=q_ah,
        delta_ocv_v=d_ocv,
        relaxed_v=v_inf,
        r0_ohm=r0_ohm,
        start_time_s=times[0],
        window_s=times[1] - times[0],
    )


def _start_ocv(t: FloatArray, i: FloatArray, v: FloatArray, a: int) -> tuple[float, float]:
    """Mean voltage of the last ≤ 30 s of the start rest and its standard error [V]."""
    k = a
    thr = rest_threshold(i)
    while k > 0 and abs(i[k - 1]) <= thr and t[a] - t[k - 1] <= START_AVERAGE_S:
        k -= 1
    seg = v[k : a + 1]
    sem = float(np.std(seg) / np.sqrt(seg.size)) if seg.size > 2 else 0.0
    return float(np.mean(seg)), sem


def _slope(ocv: tuple[FloatArray, FloatArray], soc: float) -> float:
    """dOCV/dSoC over ±0.025 around ``soc`` [V per unit SoC]."""
    lo, hi = max(soc - 0.025, 0.0), min(soc + 0.025, 1.0)
    return float((np.interp(hi, *ocv) - np.interp(lo, *ocv)) / (hi - lo))


def _window_start(t: FloatArray, i: FloatArray, min_rest_s: float) -> int | None:
    runs = find_runs(i)
    for k in range(runs.kind.size - 1):
        s, e = int(runs.start[k]), int(runs.end[k])
        first = k == 0 and e > s  # a record that starts at rest: the unit arrived rested
        if runs.kind[k] == 0 and (first or t[e] - t[s] >= min_rest_s):
            return e
    return None
