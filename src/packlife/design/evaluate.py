"""Engine evaluation of proposed units and the per-pack remaining-life forecast.

For every unit (all units have the same number of packs, so they run as one engine batch):

1. **Rated power** ``P_r = min(Σ pack power limits, max(min_power_kw, E_design / 2 h))`` — the
   unit discharges its design energy in the standard duty's 2 h unless a higher minimum power is
   asked for.
2. **Usable energy at rated power**: a constant-power discharge at ``P_r`` from the top of every
   pack's SoC window; the energy delivered until the bus power first falls below 99 % of ``P_r``
   (the first pack limit — voltage, current, SoC window — that forces a reduction).
3. **Standard duty** (:mod:`packlife.design.ratings`): two days of discharge at ``P_r``, 1 h
   rest, an 8 h recharge at ``E/8 h`` (+10 % for losses), 60 s steps, 25 °C ambient; the second
   day's per-pack SoC and temperature (15-min means) are the duty fed to the ageing model.
4. **Forecast**: the day repeats for a year and the year for up to 30 years with
   :func:`packlife.models.ageing.project_ageing` from each pack's second-life state; per pack the
   SoH after each year and the years until the threshold SoH; per unit the weakest pack's years
   and the usable energy after each year, with packs past the threshold counted as removed
   (their duty is held fixed: a simplification — in reality the window shrinks with the pack).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from packlife._typing import FloatArray
from packlife.catalog import ageing_vector
from packlife.design.inventory import InventoryItem
from packlife.design.ratings import (
    AGEING_SAMPLE_S,
    DESIGN_DT_S,
    DUTY_AMBIENT_C,
    DUTY_DISCHARGE_H,
    DUTY_RECHARGE_H,
    DUTY_REST_H,
    MAX_FORECAST_YEARS,
    discharge_energy_wh,
    full_spec,
    repeat_year,
)
from packlife.models.ageing import project_ageing, scale_rates, second_life_state
from packlife.simulation import layout as K
from packlife.simulation.engine import Engine, EngineConfig
from packlife.simulation.system import build_systems

#: Extra recharge power over E/8 h to cover losses.
RECHARGE_MARGIN = 1.10
#: Margin added to the discharge phase so the packs empty their window [h].
DISCHARGE_MARGIN_H = 0.25
DUTY_DAYS = 2


@dataclass
class PackForecast:
    """Remaining-life forecast of one pack on its unit's duty."""

    serial: str
    catalog_id: str
    soh: float
    resistance_growth: float
    years_to_threshold: float
    soh_by_year: list[float]
    equivalent_full_cycles_per_day: float
    max_temperature_c: float


@dataclass
class UnitEvaluation:
    """Engine results and forecast of one unit."""

    rated_power_kw: float
    power_capability_kw: float
    usable_energy_kwh: float
    daily_discharge_kwh: float
    round_trip_efficiency: float
    years_to_threshold: float
    energy_by_year_kwh: list[float]
    packs: list[PackForecast] = field(default_factory=list)


def rated_power_kw(design_energy_kwh: float, power_capability_kw: float,
                   min_power_kw: float) -> float:
    """Rated power of a unit [kW] (see module docstring)."""
    return min(power_capability_kw, max(min_power_kw, design_energy_kwh / DUTY_DISCHARGE_H))


def day_profile(rated_w: float, energy_wh: float, dt_s: float = DESIGN_DT_S) -> FloatArray:
    """One standard-duty day of bus requests [W] (discharge positive) at step ``dt_s``."""
    n = int(round(86400.0 / dt_s))
    hours = min(energy_wh / max(rated_w, 1e-9) + DISCHARGE_MARGIN_H, 12.0)
    k_dis = int(math.ceil(hours * 3600.0 / dt_s))
    k_rest = int(round(DUTY_REST_H * 3600.0 / dt_s))
    k_ch = int(round(DUTY_RECHARGE_H * 3600.0 / dt_s))
    day = np.zeros(n)
    day[:k_dis] = rated_w
    day[k_dis + k_rest: min(n, k_dis + k_rest + k_ch)] = (
        -RECHARGE_MARGIN * energy_wh / DUTY_RECHARGE_H
    )
    return day


def forecast(time_s: FloatArray, soc: FloatArray, temperature_c: FloatArray,
             parameter_set: str, soh: float, resistance_growth: float, threshold_soh: float,
             years: int, rate_factor: float = 1.0) -> tuple[float, list[float]]:
    """Years to ``threshold_soh`` (inf beyond 30) and SoH after each of ``years`` years.

    ``rate_factor`` multiplies the law's rate constants: the pack's own fade fitted from its
    capacity checks (:mod:`packlife.grading.fade_law`), 1.0 = the chemistry's law.
    """
    p = scale_rates(ageing_vector(parameter_set), rate_factor)
    q = second_life_state(soh, resistance_growth, p)
    t, s, temp = repeat_year(time_s, soc, temperature_c)
    by_year: list[float] = []
    reached = math.inf if soh > threshold_soh else 0.0
    prev = soh
    year = 0
    while year < max(years, 1) or (math.isinf(reached) and year < MAX_FORECAST_YEARS):
        res = project_ageing(t, s, temp, p, q_cal=q[0], q_cyc=q[1], r_growth=q[2])
        if math.isinf(reached):
            below = np.nonzero(res["soh"] <= threshold_soh)[0]
            if below.size:
                k = int(below[0])
                s0 = prev if k == 0 else float(res["soh"][k - 1])
                d0 = 0.0 if k == 0 else float(res["time_days"][k - 1])
                d1, s1 = float(res["time_days"][k]), float(res["soh"][k])
                frac = (s0 - threshold_soh) / (s0 - s1) if s0 > s1 else 1.0
                reached = year + (d0 + frac * (d1 - d0)) / 365.0
        q = (float(res["q_cal"][-1]), float(res["q_cyc"][-1]), float(res["r_growth"][-1]))
        prev = float(res["soh"][-1])
        year += 1
        if year <= years:
            by_year.append(prev)
    return reached, by_year


def evaluate_units(
    units: Sequence[Sequence[InventoryItem]],
    design_energy_kwh: Sequence[float],
    min_power_kw: float,
    threshold_soh: float,
    years: int,
) -> list[UnitEvaluation]:
    """Simulate every unit on the standard duty and forecast its packs (module docstring)."""
    if not units:
        return []
    capability = np.array([sum(it.max_discharge_power_kw for it in u) for u in units])
    rated_kw = np.array([rated_power_kw(e, cap, min_power_kw)
                         for e, cap in zip(design_energy_kwh, capability, strict=True)])
    specs = [[full_spec(it) for it in u] for u in units]
    e_design_wh = np.asarray(design_energy_kwh, dtype=float) * 1000.0
    hours = float(np.max(e_design_wh / (rated_kw * 1000.0))) * 1.5 + 0.5
    usable_wh = discharge_energy_wh(specs, rated_kw * 1000.0, hours)
    system = build_systems(specs, ambient_c=DUTY_AMBIENT_C)
    config = EngineConfig(dt_s=DESIGN_DT_S, output_interval_s=AGEING_SAMPLE_S, ageing=False)
    engine = Engine(system, config, max_duration_s=DUTY_DAYS * 86400.0)
    days = np.stack([day_profile(p * 1000.0, e) for p, e in zip(rated_kw, e_design_wh,
                                                              strict=True)])
    delivered = np.zeros(len(units))
    charged = np.zeros(len(units))
    for d in range(DUTY_DAYS):
        out = engine.advance(days, DUTY_AMBIENT_C)
        if d == DUTY_DAYS - 1:
            h = DESIGN_DT_S / 3600.0
            delivered = np.where(out > 0, out, 0.0).sum(axis=1) * h
            charged = -np.where(out < 0, out, 0.0).sum(axis=1) * h
    result = engine.result()
    per_day = int(round(86400.0 / AGEING_SAMPLE_S))
    trace = result.trace[:, -per_day:]
    t_day = np.arange(per_day, dtype=np.float64) * AGEING_SAMPLE_S
    evaluations = []
    for b, unit in enumerate(units):
        packs = []
        for q, it in enumerate(unit):
            soc = trace[b, :, q, K.TR_SOC]
            temp = trace[b, :, q, K.TR_TEMP]
            years_thr, by_year = forecast(t_day, soc, temp, it.model.parameter_set, it.soh,
                                          it.resistance_growth, threshold_soh, years,
                                          it.ageing_rate_factor)
            efc = float(np.abs(np.diff(np.append(soc, soc[0]))).sum() / 2.0)
            packs.append(PackForecast(it.serial, it.catalog_id, it.soh, it.resistance_growth,
                                      years_thr, by_year, efc, float(temp.max())))
        shares = _pack_energies(unit, usable_wh[b] / 1000.0)
        energy_by_year = [
            float(sum(e_p * pf.soh_by_year[y] / pf.soh
                      for e_p, pf in zip(shares, packs, strict=True)
                      if pf.soh_by_year[y] > threshold_soh))
            for y in range(years)
        ]
        evaluations.append(UnitEvaluation(
            rated_power_kw=float(rated_kw[b]),
            power_capability_kw=float(capability[b]),
            usable_energy_kwh=float(usable_wh[b] / 1000.0),
            daily_discharge_kwh=float(delivered[b] / 1000.0),
            round_trip_efficiency=float(delivered[b] / charged[b]) if charged[b] > 0 else 0.0,
            years_to_threshold=min(p.years_to_threshold for p in packs),
            energy_by_year_kwh=energy_by_year,
            packs=packs,
        ))
    return evaluations


def _pack_energies(unit: Sequence[InventoryItem], unit_energy_kwh: float) -> list[float]:
    """Split a unit's energy over its packs in proportion to their SoH-scaled usable energy."""
    weights = np.array([it.usable_energy_kwh for it in unit])
    return [float(x) for x in unit_energy_kwh * weights / weights.sum()]


def replacement_plan(evaluations: Sequence[UnitEvaluation], unit_names: Sequence[str],
                     threshold_soh: float, years: int) -> list[dict[str, object]]:
    """Packs that reach the threshold within ``years``, soonest first, with a sentence each."""
    plan: list[dict[str, object]] = []
    for name, ev in zip(unit_names, evaluations, strict=True):
        for pf in ev.packs:
            if pf.years_to_threshold <= years:
                months = pf.years_to_threshold * 12.0
                when = f"~{months:.0f} months" if months < 24 else \
                    f"~{pf.years_to_threshold:.1f} years"
                plan.append({
                    "unit": name,
                    "serial": pf.serial,
                    "years": round(pf.years_to_threshold, 3),
                    "months": round(months, 1),
                    "text": f"pack {pf.serial} ({name}) reaches {threshold_soh:.0%} SoH in {when}",
                })
    plan.sort(key=lambda r: float(str(r["years"])))
    return plan
