"""Capacity from full constant-current discharges, grouped by C-rate and temperature.

A *full CC discharge* is one discharge step (see :mod:`packlife.grading.steps`) that

- holds a constant current (≥ 90 % of its samples within ±5 % of the step median); of a CC-CV
  discharge only the CC phase counts (IEC 62660-1 capacity is to the cut-off at constant current),
- starts from the top (the sample before it, or its own first sample when the file starts
  inside it, within :data:`TOP_BAND` of the range below the highest start of any CC discharge),
- ends at the cut-off (its last sample within :data:`BOTTOM_BAND` of the range above the lowest
  end of any CC discharge of ≥ 5 min),
- lasts at least :data:`MIN_DISCHARGE_S` (5 min: a 10C discharge),
- spans at least :data:`MIN_FULL_SPAN` of the top voltage.

Each one is a measurement at its own C-rate and temperature. Measurements are grouped by
C-rate (buckets a factor ``RATE_GROUP_RATIO`` wide) and temperature (``TEMP_GROUP_C`` wide) and
never pooled across groups: capacity depends on rate and temperature. The reported capacity is
the median of the group nearest the reference condition (C/3, 25 °C by default, IEC 62660-1
for BEV cells); its 1σ combines the counting uncertainty with the spread inside the group.

References
----------
- IEC 62660-1:2018, 7.2: capacity from a constant-current discharge to the cut-off voltage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from packlife._typing import FloatArray
from packlife.grading.estimators import ocv_slope
from packlife.grading.steps import Steps, step_charge_ah

#: a full discharge starts within this fraction of the voltage range below the file's maximum
TOP_BAND = 0.05
#: and ends within this fraction of the range above the file's minimum
BOTTOM_BAND = 0.03
#: the range must be at least this fraction of the top voltage (Li-ion 4.2 → 3.0 V: 29 %)
MIN_FULL_SPAN = 0.15
#: constant current: this fraction of samples within ``CC_TOLERANCE`` of the median
CC_FRACTION = 0.9
CC_TOLERANCE = 0.05
#: a full discharge lasts at least this long (a 10C discharge: 6 min) [s]
MIN_DISCHARGE_S = 300.0
#: width of a C-rate group (ratio between the slowest and fastest member)
RATE_GROUP_RATIO = 1.25
#: width of a temperature group [K]
TEMP_GROUP_C = 5.0


@dataclass(frozen=True)
class Discharge:
    """One full CC discharge: charge [Ah] and its 1σ, current [A], C-rate (None without a
    rating), temperature [°C] (NaN if unknown), sample range and how the charge was counted."""

    capacity_ah: float
    uncertainty_ah: float
    current_a: float
    c_rate: float | None
    temperature_c: float
    start: int
    end: int
    method: str
    opened_at_file_start: bool
    max_gap_s: float
    cc_phase_of_cccv: bool = False


@dataclass(frozen=True)
class CapacityGroup:
    """Discharges at one C-rate and temperature; ``capacity_ah`` is their median."""

    c_rate: float | None
    current_a: float
    temperature_c: float
    capacity_ah: float
    uncertainty_ah: float
    spread_ah: float
    members: list[Discharge]


@dataclass
class CapacityAssessment:
    """All full discharges of a file, their groups, the chosen group, and notes for the
    reasons (each a sentence)."""

    discharges: list[Discharge]
    groups: list[CapacityGroup]
    chosen: CapacityGroup | None
    notes: list[str] = field(default_factory=list)


def _is_constant_current(i: FloatArray) -> bool:
    med = float(np.median(i))
    if med <= 0:
        return False
    inside = np.abs(i - med) <= CC_TOLERANCE * med
    return float(np.mean(inside)) >= CC_FRACTION


def cc_extent(i: FloatArray) -> int | None:
    """Index (within the step) of the last sample of its constant-current phase: the whole
    step when it is CC, the CC phase of a CC-CV discharge (CC for at least half the step, then
    a decaying current), else None."""
    if i.size < 3:
        return None
    if _is_constant_current(i):
        return int(i.size - 1)
    level = float(np.median(i[: max(3, i.size // 2)]))
    if level <= 0:
        return None
    inside = np.abs(i - level) <= CC_TOLERANCE * level
    first = int(np.argmax(inside))
    outside_after = np.flatnonzero(~inside[first:])
    last = first + int(outside_after[0]) - 1 if outside_after.size else i.size - 1
    tail = i[last + 1 :]
    if last + 1 < i.size // 2 or tail.size == 0 or np.any(tail > (1 + CC_TOLERANCE) * level):
        return None
    return last


def find_full_discharges(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    steps: Steps,
    *,
    rated_capacity_ah: float | None = None,
    temperature_c: FloatArray | None = None,
    step_time_s: FloatArray | None = None,
    discharge_counter_ah: FloatArray | None = None,
) -> list[Discharge]:
    """Every full constant-current discharge step of the series (see the module docstring).

    The top of the range is the highest voltage a discharge step starts from; the bottom is
    the lowest voltage a constant-current discharge step of ≥ 5 min ends at (the cut-off):
    pulses that dip below the cut-off or above the charge limit do not move either.
    """
    cc: list[tuple[int, int]] = []  # (step, last CC sample)
    long_enough = (
        time_s[steps.end] - time_s[np.maximum(steps.start - 1, 0)] >= MIN_DISCHARGE_S
    ) & (steps.kind == 1)
    for k in (int(x) for x in np.flatnonzero(long_enough)):
        s0, e0 = int(steps.start[k]), int(steps.end[k])
        last = cc_extent(current_a[s0 : e0 + 1])
        if last is not None:
            cc.append((k, s0 + last))
    if not cc:
        return []
    long_ends = [float(voltage_v[e]) for _, e in cc]
    starts = [float(voltage_v[max(int(steps.start[k]) - 1, 0)]) for k, _ in cc]
    if not long_ends:
        return []
    v_max, v_min = max(starts), min(long_ends)
    span = v_max - v_min
    if span < MIN_FULL_SPAN * abs(v_max):
        return []
    v_top, v_bottom = v_max - TOP_BAND * span, v_min + BOTTOM_BAND * span
    out: list[Discharge] = []
    for k, e in cc:
        s = int(steps.start[k])
        seg = current_a[s : e + 1]
        at_start = s == 0
        v_before = float(voltage_v[s]) if at_start else float(voltage_v[s - 1])
        counted_from_start = at_start and discharge_counter_ah is not None
        if (v_before < v_top and not counted_from_start) or float(voltage_v[e]) > v_bottom:
            continue
        q = step_charge_ah(
            time_s,
            current_a,
            s,
            e,
            step_time_s=step_time_s,
            counter_ah=discharge_counter_ah,
        )
        i_med = float(np.median(seg))
        rate = i_med / rated_capacity_ah if rated_capacity_ah else None
        temp = (
            float(np.nanmedian(temperature_c[s : e + 1]))
            if temperature_c is not None and np.isfinite(temperature_c[s : e + 1]).any()
            else math.nan
        )
        out.append(
            Discharge(
                q.charge_ah,
                q.uncertainty_ah,
                i_med,
                rate,
                temp,
                s,
                e,
                q.method,
                at_start and q.method != "cycler_counter",
                q.max_gap_s,
                e < int(steps.end[k]),
            )
        )
    return out


def group_discharges(discharges: list[Discharge]) -> list[CapacityGroup]:
    """Group by C-rate (or current without a rating) and temperature; never pool across."""
    groups: list[list[Discharge]] = []
    for d in sorted(discharges, key=lambda x: (x.current_a, x.temperature_c)):
        for g in groups:
            ref = g[0]
            same_rate = d.current_a <= RATE_GROUP_RATIO * ref.current_a
            same_temp = (math.isnan(d.temperature_c) and math.isnan(ref.temperature_c)) or abs(
                d.temperature_c - ref.temperature_c
            ) <= TEMP_GROUP_C
            if same_rate and same_temp:
                g.append(d)
                break
        else:
            groups.append([d])
    out = []
    for g in groups:
        caps = np.array([d.capacity_ah for d in g])
        med = float(np.median(caps))
        spread = float(np.std(caps, ddof=1)) if caps.size > 1 else 0.0
        counting = float(np.median([d.uncertainty_ah for d in g]))
        rates = [d.c_rate for d in g if d.c_rate is not None]
        out.append(
            CapacityGroup(
                float(np.median(rates)) if rates else None,
                float(np.median([d.current_a for d in g])),
                float(np.nanmedian([d.temperature_c for d in g]))
                if any(not math.isnan(d.temperature_c) for d in g)
                else math.nan,
                med,
                float(np.hypot(counting, spread / math.sqrt(caps.size))),
                spread,
                g,
            )
        )
    return out


def choose_group(
    groups: list[CapacityGroup],
    reference_c_rate: float = 1.0 / 3.0,
    reference_temperature_c: float = 25.0,
) -> CapacityGroup | None:
    """The group nearest the reference condition: C-rate by log distance (one decade of rate
    counts like 20 K), unknown temperatures counted as 10 K off. Without a rating, the
    slowest group (closest to the cell's capacity at low rate)."""
    if not groups:
        return None

    def distance(g: CapacityGroup) -> float:
        dtemp = (
            10.0 if math.isnan(g.temperature_c) else abs(g.temperature_c - reference_temperature_c)
        )
        if g.c_rate is None:
            return g.current_a + dtemp
        return 20.0 * abs(math.log10(g.c_rate / reference_c_rate)) + dtemp

    return min(groups, key=distance)


def _rate_label(g: CapacityGroup) -> str:
    """``C/20``, ``2.8C`` or ``0.25 A`` (without a rating)."""
    if g.c_rate is None:
        return f"{g.current_a:.4g} A"
    return f"{g.c_rate:.2g}C" if g.c_rate >= 1 else f"C/{1 / g.c_rate:.3g}"


def assess_capacity(
    time_s: FloatArray,
    current_a: FloatArray,
    voltage_v: FloatArray,
    steps: Steps,
    *,
    rated_capacity_ah: float | None = None,
    temperature_c: FloatArray | None = None,
    step_time_s: FloatArray | None = None,
    discharge_counter_ah: FloatArray | None = None,
) -> CapacityAssessment:
    """Find, group and choose full CC discharges; notes say how, and what looked wrong."""
    found = find_full_discharges(
        time_s,
        current_a,
        voltage_v,
        steps,
        rated_capacity_ah=rated_capacity_ah,
        temperature_c=temperature_c,
        step_time_s=step_time_s,
        discharge_counter_ah=discharge_counter_ah,
    )
    groups = group_discharges(found)
    chosen = choose_group(groups)
    notes: list[str] = []
    if chosen is None:
        return CapacityAssessment(found, groups, None, notes)
    rate = _rate_label(chosen)
    temp = "" if math.isnan(chosen.temperature_c) else f" at {chosen.temperature_c:.0f} °C"
    methods = sorted({d.method for d in chosen.members})
    notes.append(
        f"capacity from {len(chosen.members)} full CC discharge(s) at {rate}{temp} "
        f"({', '.join(methods)}; steps from the {steps.source})"
    )
    if len(groups) > 1:
        others = ", ".join(
            f"{_rate_label(g)}: {g.capacity_ah:.4g} Ah" for g in groups if g is not chosen
        )
        notes.append(f"other rate/temperature groups, not pooled: {others}")
    if any(d.cc_phase_of_cccv for d in chosen.members):
        notes.append("CC-CV discharge: only its constant-current phase to the cut-off counted")
    if any(d.opened_at_file_start for d in chosen.members):
        notes.append(
            "the file starts inside a discharge: it was opened at the first sample "
            "(charge before the file began is not counted)"
        )
    for d in chosen.members:
        length = float(time_s[d.end] - time_s[d.start])
        if d.method != "cycler_counter" and d.max_gap_s > 0.05 * max(length, 1e-9):
            notes.append(
                f"gap of {d.max_gap_s:.0f} s in a loaded step "
                f"({100 * d.max_gap_s / max(length, 1e-9):.1f} % of it; edges uncertain)"
            )
            break
    return CapacityAssessment(found, groups, chosen, notes)


def reaches_charge_limit(voltage_v: FloatArray, window_v: tuple[float, float] | None) -> bool:
    """Whether the record comes within ``TOP_BAND`` of the unit's voltage window below its
    charge limit (``window_v`` = (discharge cut-off, charge limit) [V]; True when unknown).

    Full-discharge detection is relative to the file's own voltages; a partial discharge (a
    ≤ 15-min fast test, a record that starts at mid SoC) also spans a wide range under load,
    so with a known window a capacity to the cut-off needs a start near the charge limit.
    """
    if window_v is None or voltage_v.size == 0:
        return True
    lo, hi = window_v
    return bool(np.nanmax(voltage_v) >= hi - TOP_BAND * (hi - lo))


#: Shortest rest before a discharge whose end voltage pins the start SoC [s].
TOP_REST_S = 600.0
#: Lowest start SoC for which a discharge to the cut-off is corrected for the missing top.
TOP_MIN_SOC = 0.6
#: A discharge rested at or above this SoC by the OCV table starts full (3σ of the table's SoC).
TOP_FULL_SOC = 0.985


def top_corrected(
    t: FloatArray,
    v: FloatArray,
    steps: Steps,
    group: CapacityGroup,
    ocv: tuple[FloatArray, FloatArray],
    soc_sigma: float,
    window_v: tuple[float, float],
) -> tuple[float, float, str, float] | None:
    """Capacity of discharges to the cut-off that start below the charge limit (a lab or a BMS
    that charges to 4.1 V on a 4.2 V chemistry): ``Q / soc0``, ``soc0`` from the OCV table at
    the end of the rest (≥ 10 min) before each discharge.

    The loaded cut-off is taken as SoC 0 as for any full discharge. 1σ per discharge, in
    quadrature: the counted charge's, ``soc_sigma`` of the table's SoC, and the voltage drift
    over the rest's last 5 min (relaxation not finished) through the OCV slope. Returns
    ``(capacity [Ah], 1σ [Ah], note, start SoC)`` (the median over the group's discharges), or
    None where a discharge has no such rest, starts below SoC :data:`TOP_MIN_SOC`, or does not
    end within :data:`TOP_BAND` of the window's bottom (``window_v`` = (cut-off, charge limit)
    [V]: stopped by time, not by the cut-off). The caller
    treats a start SoC ≥ :data:`TOP_FULL_SOC` as full (no correction).
    """
    ocv_soc, ocv_v = ocv
    lo, hi = window_v
    caps, sigmas, socs = [], [], []
    for d in group.members:
        if float(v[d.end]) > lo + TOP_BAND * (hi - lo):
            return None
        k = np.nonzero((steps.start < d.start) & (steps.end >= d.start - 1))[0]
        if k.size == 0 or steps.kind[k[-1]] != 0:
            return None
        a, b = int(steps.start[k[-1]]), int(steps.end[k[-1]])
        if t[b] - t[a] < TOP_REST_S:
            return None
        v_rest = float(v[b])
        soc0 = float(np.interp(v_rest, ocv_v, ocv_soc))
        if soc0 < TOP_MIN_SOC:
            return None
        drift = abs(v_rest - float(np.interp(t[b] - 300.0, t[a:b + 1], v[a:b + 1])))
        slope = ocv_slope(ocv_soc, ocv_v, v_rest)
        soc_sd = math.hypot(soc_sigma, drift / slope if slope > 0 else 1.0)
        cap = d.capacity_ah / soc0
        caps.append(cap)
        sigmas.append(cap * math.hypot(d.uncertainty_ah / d.capacity_ah, soc_sd / soc0))
        socs.append(soc0)
    if not caps:
        return None
    m = int(np.argsort(caps)[len(caps) // 2])
    q = group.members[m].capacity_ah
    note = (f"discharge starts below the charge limit (rested at SoC {socs[m]:.3f} by the OCV "
            f"table): capacity = charge to the cut-off / start SoC ({q:.4g} Ah / "
            f"{socs[m]:.3f}), 1σ includes the table's SoC error")
    return caps[m], sigmas[m], note, socs[m]

