"""Which capacity a record gives: full CC discharges (grouped by rate and temperature; top-
corrected where they start below the charge limit), else a stepped (HPPC-style) discharge, else
the ≤ 15-min estimate; with the plausibility reasons of each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from packlife.grading.capacity import (
    TOP_FULL_SOC,
    CapacityAssessment,
    assess_capacity,
    reaches_charge_limit,
    top_corrected,
)
from packlife.grading.context import GradeContext
from packlife.grading.estimators import COULOMB_REL_UNCERTAINTY, capacity_from_discharge
from packlife.grading.fast_soh import (
    MAX_FAST_SOH_SIGMA,
    OCV_SOC_SIGMA,
    FastRefusal,
    fast_estimate_at_temperature,
)
from packlife.grading.plausibility import capacity_reasons, sign_reasons
from packlife.grading.steps import Steps, segment_steps


@dataclass
class CapacityOutcome:
    """Capacity [Ah], its 1σ [Ah], the method, notes for the reasons, and reasons not to grade."""

    capacity_ah: float | None = None
    uncertainty_ah: float | None = None
    method: str | None = None
    notes: list[str] = field(default_factory=list)
    implausible: list[str] = field(default_factory=list)
    assessment: CapacityAssessment | None = None
    rest_threshold_a: float | None = None


def step_ids(cols: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """One id per (cycle, step) pair from the cycler's columns, or None."""
    step = cols.get("step")
    if step is None:
        return None
    cycle = cols.get("cycle")
    ids: np.ndarray = np.nan_to_num(np.asarray(step, dtype=float), nan=-1.0)
    if cycle is not None:
        ids = ids + 1e6 * np.nan_to_num(np.asarray(cycle, dtype=float), nan=-1.0)
    return ids


def choose_capacity(
    t: np.ndarray,
    i: np.ndarray,
    v: np.ndarray,
    ctx: GradeContext,
    temp: np.ndarray | None,
    cols: Mapping[str, np.ndarray],
) -> CapacityOutcome:
    """Capacity from full CC discharges (grouped by rate and temperature), else a stepped
    (HPPC-style) discharge, else the ≤ 15-min estimate; with plausibility checks."""
    rated = ctx.rated_capacity_ah
    steps = segment_steps(
        i, step_id=step_ids(cols), rated_capacity_ah=rated, rest_current_a=ctx.rest_current_a
    )
    out = _capacity_from_steps(t, i, v, ctx, temp, cols, steps)
    out.rest_threshold_a = steps.rest_threshold_a
    out.implausible += sign_reasons(t, v, steps)
    return out


PARTIAL_NOTE = (
    "no full or stepped discharge capacity: the record never comes near the top of the "
    "unit's voltage window, {:.4g} V (a partial discharge)"
)


def _capacity_from_steps(
    t: np.ndarray,
    i: np.ndarray,
    v: np.ndarray,
    ctx: GradeContext,
    temp: np.ndarray | None,
    cols: Mapping[str, np.ndarray],
    steps: Steps,
) -> CapacityOutcome:
    rated = ctx.rated_capacity_ah
    ass = assess_capacity(
        t,
        i,
        v,
        steps,
        rated_capacity_ah=rated,
        temperature_c=temp,
        step_time_s=cols.get("step_time_s"),
        discharge_counter_ah=cols.get("discharge_counter_ah"),
    )
    window = ctx.voltage_window_v
    if window is None and ctx.ocv_v is not None and ctx.ocv_v.size > 1:
        window = (float(ctx.ocv_v[0]), float(ctx.ocv_v[-1]))  # the OCV at SoC 0 and 1
    full = reaches_charge_limit(v, window)
    partial = [] if full else [PARTIAL_NOTE.format(window[1])]  # type: ignore[index]
    top = None
    if (ass.chosen is not None and ctx.ocv_soc is not None and ctx.ocv_v is not None
            and window is not None):
        top = top_corrected(t, v, steps, ass.chosen, (ctx.ocv_soc, ctx.ocv_v), OCV_SOC_SIGMA,
                            window)
    if top is not None and top[3] < TOP_FULL_SOC and ass.chosen is not None:
        g = replace(ass.chosen, capacity_ah=top[0])
        return CapacityOutcome(top[0], top[1], "full_cc_discharge_top_corrected",
                               [*ass.notes, top[2]], capacity_reasons(g, t, rated), ass)
    if ass.chosen is not None and full:
        g = ass.chosen
        return CapacityOutcome(
            g.capacity_ah,
            g.uncertainty_ah,
            "full_cc_discharge",
            list(ass.notes),
            capacity_reasons(g, t, rated),
            ass,
        )
    stepped = capacity_from_discharge(t, i, v, threshold_a=steps.rest_threshold_a) if full else None
    if stepped is not None:
        note = (
            "capacity from a stepped discharge (no single full CC step: rests and pulses of "
            "≤ 120 s in between counted net, end-of-interval coulomb count)"
        )
        unc = float(np.hypot(stepped.uncertainty_ah, COULOMB_REL_UNCERTAINTY * stepped.capacity_ah))
        out = CapacityOutcome(stepped.capacity_ah, unc, "stepped_discharge", [note], [], ass)
        if rated:
            soh = stepped.capacity_ah / rated
            if soh > 1.05 or soh < 0.02:
                out.implausible.append(
                    f"wrong units or implausible: stepped discharge gives SoH {soh:.4g} of the "
                    f"rated {rated:.4g} Ah"
                )
        return out
    if ctx.ocv_soc is None or ctx.ocv_v is None:
        return CapacityOutcome(notes=partial, assessment=ass)
    fast, notes = fast_estimate_at_temperature(
        t, i, v, (ctx.ocv_soc, ctx.ocv_v), ctx.ocv_dvdt, ctx.ocv_temperature_c, temp
    )
    if isinstance(fast, FastRefusal):
        return CapacityOutcome(
            notes=[*partial, f"no fast capacity estimate: {fast.reason}"], assessment=ass
        )
    implausible = []
    if rated and fast.uncertainty_ah / rated > MAX_FAST_SOH_SIGMA:
        implausible.append(
            f"fast (≤ 15 min) estimate too uncertain to grade: SoH 1σ "
            f"{fast.uncertainty_ah / rated:.3f} > {MAX_FAST_SOH_SIGMA} (run a full discharge)"
        )
    return CapacityOutcome(
        fast.capacity_ah,
        fast.uncertainty_ah,
        "fast_estimate_15min",
        partial + notes,
        implausible,
        ass,
    )
