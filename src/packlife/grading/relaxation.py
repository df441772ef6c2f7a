"""Rest-voltage relaxation: extrapolate a short rest to the rested (OCV) voltage, with a 1σ.

Model
-----
After a load the voltage relaxes towards the OCV. Over minutes to an hour a real cell relaxes
by solid-state diffusion, not by one time constant: the literature models the rest voltage as a
power law of the time since the load ended, ``v(t) = V_∞ − B·t^(−α)`` (``α = ½`` for
semi-infinite diffusion; a small ``α`` is the logarithmic model ``v = a + b·ln t``, since
``t^(−α) ≈ 1 − α·ln t``). Here it is written relative to the reference rest ``t_ref``
(default 1 h, the rest after which HPPC / GITT OCV tables are usually taken)::

    v(t) = V_ref + B·[(t/t₀)^(−α) − (t_ref/t₀)^(−α)]

so that ``V_ref = v(t_ref)`` is a linear parameter (``t₀``: the first fitted sample, for
conditioning). ``V_ref`` and ``B`` come from linear least squares for each ``α`` on a grid of
0.05–3 (log-time-like to faster than any diffusion); the ``α`` with the smallest residual wins.
The same is done for ``exp(−t/τ)`` (τ 5–2000 s), which replaces the power law only when its
residual sum is lower by more than four residual variances (Δχ² > 4): an equivalent circuit
that relaxes within the rest, as in packlife's own recordings. The power law was chosen before
the held-out check on the ORNL rests; the exponential fallback was added after it, for those
recordings (where a power law invents a long tail).

Uncertainty (1σ of ``V_ref``): the least-squares standard error at the best ``α`` (residual
variance from the fit, at least the logger's quantisation ``q²/12``), in quadrature with the
spread of ``V_ref`` over the ``α`` whose residual sum is within one residual variance of the
best (Δχ² = 1, the profile of ``α``), and in quadrature half the spread to the other family's
best ``V_ref`` where that one fits within the noise too (its χ² ≤ the 95 % quantile): a few
samples at the logger's resolution cannot tell a power law from an exponential (quantisation
of a slowly changing voltage is not independent noise), and their extrapolations may differ
by more than either fit's σ. This last term was added after the ORNL rests fitted on 8 min
showed exponentials chosen at 0.5 mV σ and 9 mV off (in-sample for that choice). A rest with
fewer than four fitted samples has no degree of freedom left and gives no extrapolation.

References
----------
- Pei, L., Wang, T., Lu, R., Zhu, C., "Development of a voltage relaxation model for rapid
  open-circuit voltage prediction in lithium-ion batteries", *J. Power Sources* 253 (2014) 412.
- Weppner, W., Huggins, R. A., *J. Electrochem. Soc.* 124 (1977) 1569 (diffusion relaxation,
  ``t^(−½)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2

from packlife._typing import FloatArray

#: exponents ``α`` tried for ``t^(−α)``
ALPHA_GRID = np.geomspace(0.05, 3.0, 400)
#: time constants ``τ`` tried for ``exp(−t/τ)`` [s]
TAU_GRID_S = np.geomspace(5.0, 2000.0, 400)
#: an exponential replaces the power law only when it lowers the residual sum by more than
#: this many residual variances (Δχ² = 4: two standard deviations)
EXP_PREFERENCE_CHI2 = 4.0
#: the OCV convention: the voltage after this much rest [s]
REFERENCE_REST_S = 3600.0
#: fewest fitted rest samples (three parameters and one degree of freedom)
MIN_FIT_SAMPLES = 4


@dataclass(frozen=True)
class Relaxation:
    """Extrapolated rest voltage (see the module docstring). Voltages in V, times in s."""

    voltage_v: float
    sigma_v: float
    shape: str
    amplitude_v: float
    rms_residual_v: float
    samples: int


def extrapolate_rest(
    since_s: FloatArray,
    voltage_v: FloatArray,
    *,
    reference_s: float = REFERENCE_REST_S,
    resolution_v: float = 0.0,
    skip_s: float = 0.0,
    families: tuple[str, ...] = ("power", "exp"),
) -> Relaxation | None:
    """Voltage ``reference_s`` after the load, from a rest logged ``since_s`` after it.

    Parameters
    ----------
    since_s : ndarray
        Time of each rest sample since the load ended [s], increasing, > 0.
    voltage_v : ndarray
        Rest voltage [V].
    reference_s : float
        Rest time whose voltage is wanted [s]; a rest already longer than it is fitted too.
    resolution_v : float
        Smallest voltage step of the logger [V]: floors the residual variance at ``q²/12``.
    skip_s : float
        Samples earlier than this after the load are left out (the ohmic / fast RC part) [s].
    families : tuple of str
        Shape families fitted: ``"power"`` (``t^(−α)``) and / or ``"exp"`` (``exp(−t/τ)``).

    Returns
    -------
    Relaxation or None
        None when fewer than ``MIN_FIT_SAMPLES`` samples are left to fit.
    """
    keep = since_s >= max(skip_s, 1e-9)
    tt, vv = np.asarray(since_s[keep], dtype=float), np.asarray(voltage_v[keep], dtype=float)
    n = tt.size
    if n < MIN_FIT_SAMPLES:
        return None
    names, g = _shapes(tt, reference_s, families)
    gc = g - g.mean(axis=1, keepdims=True)
    sgg = np.sum(gc**2, axis=1)
    amp = gc @ (vv - vv.mean()) / sgg
    vref = vv.mean() - amp * g.mean(axis=1)
    rss = np.sum((vv - vref[:, None] - amp[:, None] * g) ** 2, axis=1)
    se2 = np.sum(g**2, axis=1) / (n * sgg)  # (XᵀX)⁻¹ for the intercept V_ref
    fam = np.array([name.startswith("exp") for name in names])
    best = _preferred(rss, fam, n, resolution_v)
    var = max(float(rss[best]) / (n - 3), resolution_v**2 / 12.0, 1e-12)
    profile = (rss <= rss[best] + var) & (fam == fam[best])
    spread = float(np.max(np.abs(vref[profile] - vref[best])))
    # the grid step: the best shape lies within a neighbour of the grid's best
    near = [k for k in (best - 1, best + 1) if 0 <= k < fam.size and fam[k] == fam[best]]
    spread = max([spread] + [0.5 * abs(float(vref[k] - vref[best])) for k in near])
    sigma = float(
        np.sqrt(var * se2[best] + spread**2 + _ambiguity(rss, vref, fam, best, n, var) ** 2)
    )
    return Relaxation(
        voltage_v=float(vref[best]),
        sigma_v=sigma,
        shape=names[best],
        amplitude_v=float(amp[best]),
        rms_residual_v=float(np.sqrt(rss[best] / n)),
        samples=n,
    )


def _ambiguity(
    rss: FloatArray, vref: FloatArray, is_exp: np.ndarray, best: int, n: int, var: float
) -> float:
    """Half the spread between the chosen family's ``V_ref`` and the other family's best,
    where that one fits within the noise too (χ² ≤ its 95 % quantile for ``n − 3`` degrees of
    freedom) [V]; else 0.

    Two shapes that both fit a few samples logged near the voltage resolution cannot be told
    apart (quantisation of a slowly changing voltage is not independent noise, so Δχ² > 4
    overstates the evidence for one), and their extrapolations may differ by more than either
    fit's own σ.
    """
    other = is_exp != is_exp[best]
    if not other.any():
        return 0.0
    k = int(np.flatnonzero(other)[np.argmin(rss[other])])
    if rss[k] > var * chi2.ppf(0.95, n - 3):
        return 0.0
    return 0.5 * abs(float(vref[k] - vref[best]))


def _preferred(rss: FloatArray, is_exp: np.ndarray, n: int, resolution_v: float) -> int:
    """Index of the chosen shape: the best power law, unless an exponential fits better by
    more than ``EXP_PREFERENCE_CHI2`` residual variances (a circuit that relaxes within the
    rest) — a real cell relaxes by diffusion, which a few coarse samples cannot tell from an
    exponential."""
    if is_exp.all() or not is_exp.any():
        return int(np.argmin(rss))
    p = int(np.flatnonzero(~is_exp)[np.argmin(rss[~is_exp])])
    e = int(np.flatnonzero(is_exp)[np.argmin(rss[is_exp])])
    var_e = max(float(rss[e]) / (n - 3), resolution_v**2 / 12.0, 1e-12)
    return e if rss[p] - rss[e] > EXP_PREFERENCE_CHI2 * var_e else p


def _shapes(
    tt: FloatArray, reference_s: float, families: tuple[str, ...]
) -> tuple[list[str], FloatArray]:
    """Names and values ``g(t) − g(t_ref)`` (one row per candidate shape) at the fitted times."""
    t0 = float(tt[0])
    names: list[str] = []
    rows: list[FloatArray] = []
    if "power" in families:
        a = ALPHA_GRID[:, None]
        rows.append((tt[None, :] / t0) ** (-a) - (reference_s / t0) ** (-a))
        names += [f"t^-{x:.3g}" for x in ALPHA_GRID]
    if "exp" in families:
        tau = TAU_GRID_S[:, None]
        rows.append(np.exp(-(tt[None, :] - t0) / tau) - np.exp(-(reference_s - t0) / tau))
        names += [f"exp(-t/{x:.3g} s)" for x in TAU_GRID_S]
    if not rows:
        raise ValueError(f"no known shape family in {families!r}; expected 'power' or 'exp'")
    return names, np.vstack(rows)


def logger_resolution_v(voltage_v: FloatArray) -> float:
    """Smallest voltage step the logger shows [V] (0 when no two samples differ)."""
    d = np.abs(np.diff(voltage_v))
    d = d[d > 1e-12]
    return float(d.min()) if d.size else 0.0
