"""Grade one test record (time series or BMS snapshots) into result dicts for JSON / registry.

:class:`GradeContext` and :func:`context_from_catalog` live in :mod:`packlife.grading.context`
and are re-exported here; the capacity choice is :mod:`packlife.grading.choose`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from packlife.errors import MissingToolError, PacklifeError
from packlife.grading.capacity import CapacityAssessment, assess_capacity
from packlife.grading.choose import choose_capacity, step_ids
from packlife.grading.context import GradeContext, context_from_catalog
from packlife.grading.estimators import (
    Pulses,
    dcir_from_pulses,
    find_runs,
    imbalance_mv,
    self_discharge_pct_per_month,
)
from packlife.grading.ica import IcaCurve, ica_of_discharges, reference_curve
from packlife.grading.plausibility import (
    soh_reasons,
    unit_reasons,
)
from packlife.grading.policy import (
    Measurements,
    decide,
    disposition_of,
)
from packlife.grading.steps import segment_steps
from packlife.io.bms import BmsSnapshot
from packlife.io.detect import TestRecord, read_any
from packlife.models.interp import interp2

__all__ = [
    "GradeContext",
    "context_from_catalog",
    "grade_file",
    "grade_record",
    "grade_series",
    "grade_snapshot",
    "ica_reference_from_file",
]


def _num(x: float | None, digits: int = 6) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def _apply_history(m: Measurements, snap: BmsSnapshot | None) -> None:
    if snap is None:
        return
    m.fault_codes = list(snap.fault_codes)
    m.thermal_event_history = snap.thermal_event_history
    m.damage_noted = snap.damage_noted
    m.manufacture_date = snap.manufacture_date
    m.cycle_count = snap.cycle_count
    m.imbalance_mv = imbalance_mv(snap.min_cell_voltage_v, snap.max_cell_voltage_v)
    lowest = snap.min_cell_voltage_v
    m.min_cell_voltage_v = (
        lowest if m.min_cell_voltage_v is None else min(m.min_cell_voltage_v, lowest)
    )


def _pulse_table(
    t: np.ndarray, i: np.ndarray, v: np.ndarray, temp: np.ndarray | None, ctx: GradeContext
) -> tuple[Pulses, np.ndarray, np.ndarray]:
    """Pulses with each one's SoC (OCV of the rest before it; NaN without OCV) and temperature
    (from the file's ``temperature_c``; NaN without)."""
    pulses = dcir_from_pulses(t, i, v)
    if ctx.ocv_soc is not None and ctx.ocv_v is not None:
        soc = np.interp(pulses.rest_voltage_v, ctx.ocv_v, ctx.ocv_soc)
    else:
        soc = np.full(pulses.current_a.size, np.nan)
    temp_at = (
        np.interp(pulses.start_time_s, t, temp)
        if temp is not None
        else np.full(pulses.current_a.size, np.nan)
    )
    return pulses, soc, temp_at


def _resistance_growth(
    pulses: Pulses, soc: np.ndarray, temp: np.ndarray, ctx: GradeContext
) -> float | None:
    """Median over discharge pulses of measured R10 / the new unit's R10 (same SoC and
    temperature; 50 % and 25 °C where unknown)."""
    ok = (pulses.current_a > 0) & np.isfinite(pulses.r10_mohm)
    if not ok.any():
        return None
    if ctx.reference_r10_table is not None:
        t_ax, s_ax, table = ctx.reference_r10_table
        ref = interp2(
            t_ax, s_ax, table, np.nan_to_num(temp[ok], nan=25.0), np.nan_to_num(soc[ok], nan=0.5)
        )
    elif ctx.reference_dcir_mohm is not None:
        ref = np.full(int(ok.sum()), ctx.reference_dcir_mohm)
    else:
        return None
    return float(np.median(pulses.r10_mohm[ok] / ref))


def _median_finite(x: np.ndarray) -> float | None:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def grade_series(
    time_s: np.ndarray,
    current_a: np.ndarray,
    voltage_v: np.ndarray,
    ctx: GradeContext,
    serial: str,
    temperature_c: np.ndarray | None = None,
    columns: Mapping[str, np.ndarray] | None = None,
) -> dict[str, object]:
    """Estimate everything measurable from one canonical series and decide its disposition.

    ``columns`` may hold the cycler's own ``step``, ``cycle``, ``step_time_s`` and
    ``discharge_counter_ah`` series (same length); they define steps and count charge.
    """
    t, i, v = time_s, current_a, voltage_v
    if temperature_c is None and ctx.test_temperature_c is not None:
        temperature_c = np.full(t.size, ctx.test_temperature_c)
    cap_out = choose_capacity(t, i, v, ctx, temperature_c, columns or {})
    capacity, unc, method = cap_out.capacity_ah, cap_out.uncertainty_ah, cap_out.method
    pulses, p_soc, p_temp = _pulse_table(t, i, v, temperature_c, ctx)
    dis = pulses.current_a > 0
    r10 = _median_finite(pulses.r10_mohm[dis])
    r10_all = pulses.r10_mohm[dis][np.isfinite(pulses.r10_mohm[dis])]
    # 1σ of the median: spread between pulses (different SoC) / √n, and ≥ 1 % (ΔV/ΔI reading)
    r10_sigma = (
        max(float(np.std(r10_all, ddof=1)) / math.sqrt(r10_all.size), 0.01 * float(r10))
        if r10 is not None and r10_all.size > 1
        else (0.01 * r10 if r10 is not None else None)
    )
    r30 = _median_finite(pulses.r30_mohm[dis])
    sd = None
    if ctx.ocv_soc is not None and ctx.ocv_v is not None:
        sd = self_discharge_pct_per_month(t, i, v, ctx.ocv_soc, ctx.ocv_v)
    runs = find_runs(i)
    rest = np.repeat(runs.kind == 0, runs.end - runs.start + 1)
    rated = ctx.rated_capacity_ah
    m = Measurements(
        soh=capacity / rated if capacity and rated else None,
        soh_uncertainty=(unc or 0.0) / rated if rated else 0.0,
        resistance_growth=_resistance_growth(pulses, p_soc, p_temp, ctx),
        self_discharge_pct_per_month=sd,
        min_cell_voltage_v=float(np.min(v[rest])) / ctx.series_cells if rest.any() else None,
        calendar_limit_years=ctx.calendar_limit_years,
    )
    _apply_history(m, ctx.history.get(serial))
    grade, reasons = decide(m, ctx.policy, ctx.today)
    blockers = (
        unit_reasons(t, i, rated, v, cap_out.rest_threshold_a)
        + cap_out.implausible
        + soh_reasons(m.soh, m.soh_uncertainty if m.soh is not None else None, method)
    )
    if blockers and grade != "quarantine":
        grade = "ungraded"
        reasons = [f"not graded: {b}" for b in blockers] + reasons
    ica: dict[str, object] | None = None
    ica_notes: list[str] = []
    if cap_out.assessment is not None:
        ica, ica_notes = ica_of_discharges(
            t, i, v, cap_out.assessment.discharges, ctx.ica_reference
        )
    reasons = reasons + cap_out.notes + ica_notes
    if capacity is not None and rated is None:
        reasons.append("soh not computed: give --rated-capacity-ah or --catalog-id")
    if method == "fast_estimate_15min" and m.soh is not None:
        reasons.append(
            f"soh from a ≤ 15-min test: {m.soh:.3f} ± {m.soh_uncertainty:.3f} (1σ); "
            "confirm with a full discharge near a grade boundary"
        )
    points = [
        {
            "current_a": _num(float(pulses.current_a[k]), 4),
            "soc": _num(float(p_soc[k]), 3),
            "temperature_c": _num(float(p_temp[k]), 3),
            "r10_mohm": _num(float(pulses.r10_mohm[k]), 4),
            "r30_mohm": _num(float(pulses.r30_mohm[k]), 4),
        }
        for k in range(pulses.current_a.size)
    ]
    return {
        "serial": serial,
        "capacity_ah": _num(capacity),
        "capacity_method": method,
        "capacity_uncertainty_ah": _num(unc, 3),
        "capacity_by_rate": _groups_json(cap_out.assessment),
        "soh": _num(m.soh, 4),
        "soh_uncertainty": _num(m.soh_uncertainty, 3) if m.soh is not None else None,
        "dcir_mohm": _num(r10, 4),
        "dcir_uncertainty_mohm": _num(r10_sigma, 3),
        "dcir_method": "hppc_pulse_10s" if r10 is not None else None,
        "dcir_30s_mohm": _num(r30, 4),
        "resistance_growth": _num(m.resistance_growth, 4),
        "self_discharge_pct_per_month": _num(sd, 4),
        "imbalance_mv": _num(m.imbalance_mv, 4),
        "grade": grade,
        "disposition": disposition_of(grade, ctx.policy),
        "reasons": reasons,
        "dcir_points": points,
        "ica": ica,
    }


def _groups_json(ass: CapacityAssessment | None) -> list[dict[str, object]]:
    """Every rate/temperature group of full CC discharges, for the JSON output."""
    if ass is None:
        return []
    return [
        {
            "c_rate": _num(g.c_rate, 4),
            "current_a": _num(g.current_a, 5),
            "temperature_c": _num(g.temperature_c, 3),
            "capacity_ah": _num(g.capacity_ah),
            "uncertainty_ah": _num(g.uncertainty_ah, 3),
            "n": len(g.members),
            "chosen": g is ass.chosen,
        }
        for g in ass.groups
    ]


def grade_snapshot(snap: BmsSnapshot, ctx: GradeContext) -> dict[str, object]:
    """Disposition from a BMS read-out alone (BMS-reported SoH, imbalance, faults, history)."""
    m = Measurements(soh=snap.bms_soh, calendar_limit_years=ctx.calendar_limit_years)
    _apply_history(m, snap)
    grade, reasons = decide(m, ctx.policy, ctx.today)
    blockers = soh_reasons(snap.bms_soh, None, "bms_reported")
    if blockers and grade != "quarantine":
        grade = "ungraded"
        reasons = [f"not graded: {b}" for b in blockers] + reasons
    if snap.bms_soh is not None:
        reasons.append("soh as reported by the BMS (not measured)")
    return {
        "serial": snap.serial,
        "capacity_ah": _num(snap.bms_soh * ctx.rated_capacity_ah)
        if snap.bms_soh is not None and ctx.rated_capacity_ah
        else None,
        "capacity_method": "bms_reported" if snap.bms_soh is not None else None,
        "soh": _num(snap.bms_soh, 4),
        "soh_uncertainty": None,
        "dcir_mohm": None,
        "dcir_30s_mohm": None,
        "resistance_growth": None,
        "self_discharge_pct_per_month": None,
        "imbalance_mv": _num(m.imbalance_mv, 4),
        "grade": grade,
        "disposition": disposition_of(grade, ctx.policy),
        "reasons": reasons,
        "dcir_points": [],
    }


def grade_record(
    record: TestRecord, ctx: GradeContext, serial: str | None = None
) -> list[dict[str, object]]:
    """Grade a record read by :func:`packlife.io.detect.read_any` (one dict per unit)."""
    base = {"file": str(record.path), "format": record.format}
    if record.data is not None:
        d = record.data
        res = grade_series(
            d["time_s"].to_numpy(dtype=float),
            d["current_a"].to_numpy(dtype=float),
            d["voltage_v"].to_numpy(dtype=float),
            ctx,
            serial or record.path.name.split(".")[0],
            d["temperature_c"].to_numpy(dtype=float) if "temperature_c" in d else None,
            columns={
                c: d[c].to_numpy(dtype=float)
                for c in ("step", "cycle", "step_time_s", "discharge_counter_ah")
                if c in d
            },
        )
        notes = [str(n) for n in record.metadata.get("notes", [])]
        if notes:  # how the reader interpreted the file (mapping, units, sign) goes with it
            res["reasons"] = [*list(res.get("reasons", [])), *notes]  # type: ignore[call-overload]
        return [base | res]
    return [base | grade_snapshot(s, ctx) for s in record.bms]


def ica_reference_from_file(path: str | Path, ctx: GradeContext) -> IcaCurve:
    """dQ/dV reference from the slowest full CC discharge in ``path`` (a new cell of the same
    chemistry, or the same unit earlier).

    Raises
    ------
    PacklifeError
        If the file holds no full constant-current discharge.
    """
    record = read_any(path)
    if record.data is None:
        raise PacklifeError(f"{path}: an ICA reference must be a cycler time series")
    d = record.data
    t, i, v = (d[c].to_numpy(dtype=float) for c in ("time_s", "current_a", "voltage_v"))
    cols = {c: d[c].to_numpy(dtype=float) for c in ("step", "cycle", "step_time_s") if c in d}
    steps = segment_steps(
        i,
        step_id=step_ids(cols),
        rated_capacity_ah=ctx.rated_capacity_ah,
        rest_current_a=ctx.rest_current_a,
    )
    found = assess_capacity(t, i, v, steps, rated_capacity_ah=ctx.rated_capacity_ah).discharges
    curve = reference_curve(t, i, v, found)
    if curve is None:
        raise PacklifeError(f"{path}: no full constant-current discharge for an ICA reference")
    return curve


def grade_file(
    path: str | Path, ctx: GradeContext, fmt: str = "auto", serial: str | None = None
) -> list[dict[str, object]]:
    """Read and grade one file (cycler series, BMS snapshots or impedance spectra); a file that
    fails gives one dict with ``error``."""
    from packlife.grading.spectra import grade_spectra
    from packlife.io.eis import is_eis_file

    path = Path(path)
    try:
        if fmt == "eis" or (fmt == "auto" and path.is_file() and is_eis_file(path)):
            return grade_spectra(path, ctx, serial)
        return grade_record(read_any(path, fmt), ctx, serial)
    except MissingToolError:
        raise  # not this file's fault: every file of its kind would fail the same way
    except PacklifeError as exc:
        return [
            {
                "file": str(path),
                "serial": serial or path.name.split(".")[0],
                "grade": None,
                "disposition": "retest",
                "reasons": [],
                "error": str(exc),
            }
        ]
