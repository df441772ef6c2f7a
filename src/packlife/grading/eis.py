"""Equivalent-circuit fit of an impedance spectrum: ohmic and charge-transfer resistance.

Model (Randles with a constant-phase double layer and semi-infinite diffusion), fitted with the
maintained `impedance` package (impedance.py, Murbach et al., JOSS 5 (2020) 2349)::

    Z(f) = R0 + R1 ‖ CPE1(Q, α) + W1(A_W)          circuit string "R0-p(R1,CPE1)-W1"

and, where a single arc does not fit, two arcs (SEI/contact, then charge transfer)
``R0-p(R1,CPE1)-p(R2,CPE2)-W1``;
with an optional series inductance ``L0`` when the high-frequency points are inductive
(Im Z > 0). Reported:

- ``r_ohm_intercept_ohm``: the high-frequency intercept, model-free — Re(Z) where Im(Z)
  crosses zero (linear interpolation), or None when the spectrum does not reach it;
- ``r0_ohm`` (fit), ``r_ct_ohm`` (= R1, the charge-transfer arc), their 1σ from the fit
  covariance, and the fit quality: the RMS of ``|Z − Z_fit| / |Z|`` over the points.

The fit is refused (``ok = False`` with a reason) when the spectrum has fewer than 8 points,
shows no capacitive arc, or the relative residual exceeds :data:`MAX_REL_RESIDUAL`.

References
----------
- Barsoukov & Macdonald, *Impedance Spectroscopy*, 3rd ed. (Wiley, 2018), ch. 2: Randles circuit.
- Murbach, Gerwe, Dawson-Elli & Tsui, J. Open Source Softw. 5 (2020) 2349, doi:10.21105/joss.02349.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from packlife.errors import PacklifeError
from packlife.io.eis import Spectrum

#: relative RMS residual above which a fit is not used
MAX_REL_RESIDUAL = 0.05
MIN_POINTS = 8
#: cap on model evaluations per fit (a fit that needs more is refused, not waited for)
MAX_EVALUATIONS = 3000


@dataclass(frozen=True)
class EisFit:
    """Result of :func:`fit_randles` (resistances in Ω)."""

    ok: bool
    reason: str
    circuit: str
    r_ohm_intercept_ohm: float | None
    r0_ohm: float | None
    r0_sigma_ohm: float | None
    r_ct_ohm: float | None
    r_ct_sigma_ohm: float | None
    cpe_alpha: float | None
    rel_residual_rms: float | None
    parameters: dict[str, float]


def hf_intercept_ohm(spec: Spectrum) -> float | None:
    """Re(Z) where Im(Z) changes sign from inductive (> 0) to capacitive (< 0) going down in
    frequency; None if the spectrum has no such crossing."""
    zi, zr = spec.z_imag_ohm, spec.z_real_ohm  # ordered by decreasing frequency
    for k in range(zi.size - 1):
        if zi[k] >= 0 > zi[k + 1]:
            w = zi[k] / (zi[k] - zi[k + 1])
            return float(zr[k] + w * (zr[k + 1] - zr[k]))
    return None


def arc_top_measured(spec: Spectrum) -> bool:
    """Whether the spectrum shows an arc top: a local maximum of −Im(Z) (over ±2 points)
    followed, at lower frequency, by a point at least 5 % lower."""
    mzi = -spec.z_imag_ohm
    for k in range(2, mzi.size - 2):
        if mzi[k] > 0 and mzi[k] >= np.max(mzi[k - 2 : k + 3]):
            if np.min(mzi[k + 1 :]) <= 0.95 * mzi[k]:
                return True
    return False


def _initial_guess(spec: Spectrum) -> tuple[float, float, float, float, float]:
    """(R0, R1, Q, α, A_W) from the spectrum's shape."""
    zr, mzi, f = spec.z_real_ohm, -spec.z_imag_ohm, spec.freq_hz
    r0 = hf_intercept_ohm(spec) or float(np.min(zr))
    cap = mzi > 0
    k_top = int(np.argmax(np.where(cap, mzi, -np.inf)))
    # the arc ends at the first local minimum of −Im(Z) after its top (start of diffusion)
    after = np.arange(k_top, zr.size)
    k_min = next(
        (int(k) for k in after[1:-1] if mzi[k] <= mzi[k - 1] and mzi[k] <= mzi[k + 1]), None
    )
    r1 = float(zr[k_min] - r0) if k_min is not None else 2.0 * float(zr[k_top] - r0)
    r1 = max(r1, 1e-3 * max(r0, 1e-6))
    q = 1.0 / (2.0 * math.pi * float(f[k_top]) * r1)
    aw = max(float(mzi[-1]) * math.sqrt(2.0 * math.pi * float(f[-1])) * 0.5, 1e-6 * r1)
    return max(r0, 1e-9), r1, q, 0.9, aw


def _fit_circuit(
    spec: Spectrum, two_arcs: bool
) -> tuple[str, np.ndarray, np.ndarray, float, list[str]] | str:
    """Fit one model; (circuit, parameters, 1σ, relative residual, names) or a failure reason."""
    from impedance.models.circuits import CustomCircuit

    r0, r1, q, alpha, aw = _initial_guess(spec)
    inductive = bool(spec.z_imag_ohm[0] > 0)
    arcs = "p(R1,CPE1)-p(R2,CPE2)" if two_arcs else "p(R1,CPE1)"
    circuit = ("L0-" if inductive else "") + f"R0-{arcs}-W1"
    if two_arcs:  # a small fast arc (SEI / contact) before the charge-transfer arc
        body = [r0, 0.3 * r1, 0.1 * q, alpha, 0.7 * r1, q, alpha, aw]
        lo = [0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 0.3, 0.0]
        hi = [np.inf, np.inf, np.inf, 1.0, np.inf, np.inf, 1.0, np.inf]
    else:
        body = [r0, r1, q, alpha, aw]
        lo = [0.0, 0.0, 0.0, 0.3, 0.0]
        hi = [np.inf, np.inf, np.inf, 1.0, np.inf]
    guess = ([1e-7] if inductive else []) + body
    lower = ([0.0] if inductive else []) + lo
    upper = ([1e-3] if inductive else []) + hi
    z = spec.z_real_ohm + 1j * spec.z_imag_ohm
    model = CustomCircuit(circuit=circuit, initial_guess=guess)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(
                spec.freq_hz,
                z,
                bounds=(lower, upper),
                weight_by_modulus=True,
                x_scale="jac",
                maxfev=MAX_EVALUATIONS,
                ftol=1e-10,
            )
    except (RuntimeError, ValueError, np.linalg.LinAlgError) as exc:
        return f"fit did not converge ({exc})"
    p = np.asarray(model.parameters_, dtype=float)
    conf = (
        np.asarray(model.conf_, dtype=float) if model.conf_ is not None else np.full(p.size, np.nan)
    )
    z_fit = model.predict(spec.freq_hz)
    resid = float(np.sqrt(np.mean(np.abs(z - z_fit) ** 2 / np.abs(z) ** 2)))
    return circuit, p, conf, resid, list(model.get_param_names()[0])


def fit_randles(spec: Spectrum) -> EisFit:
    """Fit ``R0-p(R1,CPE1)-W1`` and, where it fits clearly better (residual < 0.7×), the
    two-arc ``R0-p(R1,CPE1)-p(R2,CPE2)-W1``; ``L0`` first when the HF end is inductive. With
    two arcs, R_ct is the slower (lower-frequency) arc's resistance."""
    try:
        import impedance  # noqa: F401
    except ImportError:
        raise PacklifeError(
            "fitting impedance spectra needs the impedance package: pip install 'packlife[eis]'"
        ) from None
    intercept = hf_intercept_ohm(spec)
    empty = EisFit(False, "", "", intercept, None, None, None, None, None, None, {})
    if spec.freq_hz.size < MIN_POINTS:
        return _refuse(empty, f"only {spec.freq_hz.size} points (need ≥ {MIN_POINTS})")
    if not np.any(spec.z_imag_ohm < 0):
        return _refuse(empty, "no capacitive arc (Im Z never negative)")
    one = _fit_circuit(spec, two_arcs=False)
    best = one
    if isinstance(one, str) or one[3] > 0.01:
        two = _fit_circuit(spec, two_arcs=True)
        if not isinstance(two, str) and (isinstance(one, str) or two[3] < 0.7 * one[3]):
            best = two
    if isinstance(best, str):
        return _refuse(empty, best)
    circuit, p, conf, resid, names = best
    params = {n: float(v) for n, v in zip(names, p, strict=True)}
    ct = "R2" if "R2" in params else "R1"
    k_r0, k_ct = names.index("R0"), names.index(ct)
    alpha_name = "CPE2_1" if ct == "R2" else "CPE1_1"
    ok = resid <= MAX_REL_RESIDUAL
    reason = "" if ok else f"relative residual {resid:.3f} > {MAX_REL_RESIDUAL}"
    closed = arc_top_measured(spec)
    if ok and not closed:
        reason = (
            f"charge-transfer arc not closed at the lowest frequency "
            f"{float(spec.freq_hz[-1]):.3g} Hz: R_ct not reported"
        )
    return EisFit(
        ok,
        reason,
        circuit,
        intercept,
        float(p[k_r0]),
        _finite(conf[k_r0]),
        float(p[k_ct]) if closed else None,
        _finite(conf[k_ct]) if closed else None,
        params[alpha_name],
        resid,
        params,
    )


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _refuse(fit: EisFit, reason: str) -> EisFit:
    return EisFit(
        False, reason, fit.circuit, fit.r_ohm_intercept_ohm, None, None, None, None, None, None, {}
    )


def eis_summary(fit: EisFit) -> dict[str, object]:
    """JSON-ready fields of a fit (resistances in mΩ, as elsewhere in grading)."""

    def mohm(x: float | None) -> float | None:
        return None if x is None else float(f"{1000.0 * x:.5g}")

    return {
        "eis_circuit": fit.circuit or None,
        "eis_fit_ok": fit.ok,
        "eis_fit_reason": fit.reason or None,
        "r_ohm_intercept_mohm": mohm(fit.r_ohm_intercept_ohm),
        "r0_mohm": mohm(fit.r0_ohm),
        "r0_sigma_mohm": mohm(fit.r0_sigma_ohm),
        "r_ct_mohm": mohm(fit.r_ct_ohm),
        "r_ct_sigma_mohm": mohm(fit.r_ct_sigma_ohm),
        "eis_rel_residual_rms": None
        if fit.rel_residual_rms is None
        else float(f"{fit.rel_residual_rms:.3g}"),
    }
