"""Plausibility checks that run before any disposition: a result that fails one is ``ungraded``.

A grade is a decision a repurposer acts on; a number that cannot be right (an SoH above the
rating, a current of 900 C, a capacity check whose repeats disagree by more than their stated
uncertainty) must not become one. Each check returns a sentence saying what was seen and what
it suggests; an empty list means the result may be graded.
"""

from __future__ import annotations

import math

import numpy as np

from packlife._typing import FloatArray
from packlife.grading.capacity import CapacityGroup
from packlife.grading.steps import Steps

#: an SoH above this is not believed [-]
MAX_PLAUSIBLE_SOH = 1.05
#: a current above this C-rate suggests mA logged as A [1/h]
MAX_PLAUSIBLE_C_RATE = 30.0
#: SoH outside this range suggests wrong units of time or current [-]
UNIT_SOH_RANGE = (0.02, 5.0)
#: repeats in one group may disagree by up to this many counting 1σ
MAX_SPREAD_SIGMAS = 2.0
#: an SoH 1σ above this is too uncertain to grade [-]
MAX_SOH_SIGMA = 0.05


def unit_reasons(
    time_s: FloatArray,
    current_a: FloatArray,
    rated_capacity_ah: float | None,
    voltage_v: FloatArray | None = None,
    rest_threshold_a: float | None = None,
) -> list[str]:
    """Signs that the file's current or time is not in A and s, judged against the rating:
    a current above 30 C, or rest voltages that moved like a full discharge while less than
    1 % of the rating was moved (time in hours, current in kA)."""
    if not rated_capacity_ah or current_a.size < 2:
        return []
    peak = float(np.percentile(np.abs(current_a), 99.5))
    out = []
    if peak > MAX_PLAUSIBLE_C_RATE * rated_capacity_ah:
        out.append(
            f"wrong units? the current reaches {peak:.4g} A = {peak / rated_capacity_ah:.0f} C "
            f"for the rated {rated_capacity_ah:.4g} Ah (current in mA, or a wrong rating?)"
        )
    if voltage_v is not None and rest_threshold_a is not None:
        rest = np.abs(current_a) <= rest_threshold_a
        moved_ah = float(np.sum(np.abs(current_a[1:]) * np.diff(time_s))) / 3600.0
        if rest.sum() >= 2:
            v_rest = voltage_v[rest]
            swing = float(np.max(v_rest) - np.min(v_rest))
            if swing >= 0.15 * float(np.max(v_rest)) and moved_ah < 0.01 * rated_capacity_ah:
                out.append(
                    f"wrong units? the rest voltage moved {swing:.3g} V (a full discharge) but "
                    f"only {moved_ah:.3g} Ah = {100 * moved_ah / rated_capacity_ah:.2g} % of the "
                    "rating was counted (time in hours, or a wrong rating?)"
                )
    return out


def capacity_reasons(
    group: CapacityGroup | None,
    time_s: FloatArray,
    rated_capacity_ah: float | None,
) -> list[str]:
    """Checks on the chosen capacity group: SoH range, units via the discharge duration, and
    agreement of repeats."""
    if group is None:
        return []
    out: list[str] = []
    if rated_capacity_ah:
        soh = group.capacity_ah / rated_capacity_ah
        lo, hi = UNIT_SOH_RANGE
        if not lo <= soh <= hi:
            member = group.members[0]
            duration = float(time_s[member.end] - time_s[member.start])
            out.append(
                f"wrong units? a full discharge of {group.capacity_ah:.4g} Ah is SoH {soh:.4g} "
                f"of the rated {rated_capacity_ah:.4g} Ah after {duration:.4g} time units "
                "(time in ms or hours, current in mA, or a wrong rating?)"
            )
        elif soh > MAX_PLAUSIBLE_SOH:
            out.append(
                f"implausible SoH {soh:.3f} > {MAX_PLAUSIBLE_SOH} of the rated "
                f"{rated_capacity_ah:.4g} Ah (wrong rating, or a discharge that was not one step?)"
            )
    if len(group.members) > 1:
        counting = float(np.median([d.uncertainty_ah for d in group.members]))
        if group.spread_ah > MAX_SPREAD_SIGMAS * counting:
            out.append(
                f"repeated capacity checks at the same rate disagree: spread "
                f"{group.spread_ah:.4g} Ah > {MAX_SPREAD_SIGMAS:g} × the counting 1σ "
                f"{counting:.3g} Ah"
            )
    return out


def soh_reasons(soh: float | None, soh_sigma: float | None, method: str | None) -> list[str]:
    """Checks on any SoH, whatever the method: finite, ≤ 1.05, and a 1σ small enough."""
    if soh is None:
        return []
    if not math.isfinite(soh):
        return ["SoH is not a finite number"]
    out = []
    if soh > MAX_PLAUSIBLE_SOH and method != "full_cc_discharge":
        out.append(f"implausible SoH {soh:.3f} > {MAX_PLAUSIBLE_SOH} ({method})")
    if soh_sigma is not None and soh_sigma > MAX_SOH_SIGMA:
        out.append(
            f"too uncertain to grade: SoH {soh:.3f} ± {soh_sigma:.3f} (1σ > {MAX_SOH_SIGMA}; "
            "run a full discharge)"
        )
    return out


def sign_reasons(time_s: FloatArray, voltage_v: FloatArray, steps: Steps) -> list[str]:
    """A current sign that contradicts the voltage: in the packlife convention the voltage falls
    while the current is positive (discharge). If it rises in most loaded steps of ≥ 60 s
    (at least two, or one of ≥ 30 min), the file is probably charge-positive."""
    long_steps = [
        k
        for k in range(steps.count)
        if steps.kind[k] != 0 and time_s[steps.end[k]] - time_s[steps.start[k]] >= 60.0
    ]
    if not long_steps:
        return []
    wrong = [
        k
        for k in long_steps
        if steps.kind[k] * (voltage_v[steps.end[k]] - voltage_v[steps.start[k]]) > 0
    ]
    longest = max(long_steps, key=lambda k: time_s[steps.end[k]] - time_s[steps.start[k]])
    enough = (
        len(long_steps) >= 2 or time_s[steps.end[longest]] - time_s[steps.start[longest]] >= 1800
    )
    if enough and len(wrong) >= 0.7 * len(long_steps):
        return [
            f"current sign reversed? the voltage rises in {len(wrong)} of {len(long_steps)} "
            "loaded steps while the current says discharge (expected discharge positive)"
        ]
    return []
