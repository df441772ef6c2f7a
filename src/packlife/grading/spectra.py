"""Grading from impedance spectra: one result per spectrum (fit, resistance growth, grade)."""

from __future__ import annotations

from pathlib import Path

from packlife.grading.batch import GradeContext, _apply_history, _num
from packlife.grading.eis import eis_summary, fit_randles
from packlife.grading.policy import Measurements, decide, disposition_of
from packlife.io.eis import read_eis


def grade_spectra(
    path: Path, ctx: GradeContext, serial: str | None = None
) -> list[dict[str, object]]:
    """One result per impedance spectrum: the equivalent-circuit fit, resistance growth from
    the fitted ohmic resistance against the new unit's R0 (25 °C, 50 % SoC), and a grade —
    ``ungraded`` without a capacity measurement (impedance alone does not give SoH here)."""
    spectra = read_eis(path)
    base_serial = serial or path.name.split(".")[0]
    out = []
    for k, spec in enumerate(spectra):
        fit = fit_randles(spec)
        growth = None
        if fit.ok and fit.r0_ohm is not None and ctx.reference_r0_mohm:
            growth = 1000.0 * fit.r0_ohm / ctx.reference_r0_mohm
        m = Measurements(resistance_growth=growth, calendar_limit_years=ctx.calendar_limit_years)
        unit = base_serial if len(spectra) == 1 else f"{base_serial}#{k + 1}"
        _apply_history(m, ctx.history.get(unit) or ctx.history.get(base_serial))
        grade, reasons = decide(m, ctx.policy, ctx.today)
        if fit.ok and fit.r0_ohm is not None:
            r_ct = "–" if fit.r_ct_ohm is None else f"{1000 * fit.r_ct_ohm:.4g} mΩ"
            note = (
                f"impedance fit {fit.circuit}: R0 {1000 * fit.r0_ohm:.4g} mΩ, R_ct {r_ct}, "
                f"residual {100 * (fit.rel_residual_rms or 0):.2g} %"
                + (f" ({fit.reason})" if fit.reason else "")
            )
        else:
            note = f"impedance fit not used: {fit.reason}"
        out.append(
            {
                "file": str(path),
                "format": "eis",
                "serial": unit,
                "capacity_ah": None,
                "capacity_method": None,
                "soh": None,
                "soh_uncertainty": None,
                "resistance_growth": _num(growth, 4),
                "grade": grade,
                "disposition": disposition_of(grade, ctx.policy),
                "reasons": [*reasons, note],
                "eis_points": int(spec.freq_hz.size),
            }
            | eis_summary(fit)
        )
    return out
