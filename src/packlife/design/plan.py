"""The design pipeline: inventory → candidate packs → greedy + MILP → engine evaluation → JSON.

:func:`design` returns a JSON-ready dict (the CLI prints it, writes it and renders the HTML page).
Years beyond the 30-year forecast horizon are written as ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from packlife.design.assign import (
    Assignment,
    Candidates,
    UnitRules,
    check_feasible,
    greedy,
    solve_milp,
    unit_values,
)
from packlife.design.evaluate import UnitEvaluation, evaluate_units, replacement_plan
from packlife.design.inventory import InventoryItem
from packlife.design.life import improve_life
from packlife.design.lns import LNS_MIN_BINARIES, improve_equal
from packlife.design.portable import (
    MODULES_PER_PRODUCT,
    PORTABLE_ENCLOSURE_KG,
    PORTABLE_MAX_MASS_KG,
    design_portable,
)
from packlife.design.ratings import (
    DEFAULT_THRESHOLD_SOH,
    DUTY_AMBIENT_C,
    DUTY_DISCHARGE_H,
    DUTY_RECHARGE_H,
    DUTY_REST_H,
    life_proxy_years,
    resistance_derates,
)
from packlife.errors import PacklifeError


@dataclass(frozen=True)
class DesignRequest:
    """What to design.

    Attributes
    ----------
    rules : UnitRules or None
        BESS unit rules (None: no BESS units, only portable products).
    threshold_soh : float
        Second-life end threshold [0–1].
    years : int
        Forecast horizon for the ageing and the replacement plan [years].
    portable : bool
        Build portable products from the inventory's modules.
    modules_per_portable, portable_max_mass_kg, portable_enclosure_kg
        Portable product rules (count, [kg], [kg]).
    """

    rules: UnitRules | None
    threshold_soh: float = DEFAULT_THRESHOLD_SOH
    years: int = 10
    portable: bool = True
    modules_per_portable: int = MODULES_PER_PRODUCT
    portable_max_mass_kg: float = PORTABLE_MAX_MASS_KG
    portable_enclosure_kg: float = PORTABLE_ENCLOSURE_KG


def _years(value: float) -> float | None:
    return None if math.isinf(value) else round(value, 3)


def candidate_packs(items: Sequence[InventoryItem], rules: UnitRules, threshold_soh: float
                    ) -> tuple[list[InventoryItem], Candidates, np.ndarray]:
    """Packs (kind 'pack') of allowed chemistries with their coefficients and derates."""
    allowed = set(rules.chemistries) if rules.chemistries else None
    packs = [it for it in items if it.kind == "pack" and (allowed is None or
                                                          it.chemistry in allowed)]
    derate = resistance_derates(packs)
    life = (life_proxy_years(packs, threshold_soh) if rules.objective == "life"
            else np.zeros(len(packs)))
    cand = Candidates(
        energy_kwh=np.array([it.usable_energy_kwh for it in packs]) * derate,
        mass_kg=np.array([it.mass_kg for it in packs]),
        power_kw=np.array([it.max_discharge_power_kw for it in packs]),
        life_years=life,
        chemistry=tuple(it.chemistry for it in packs),
    )
    return packs, cand, derate


def assign_units(items: Sequence[InventoryItem], rules: UnitRules, threshold_soh: float
                 ) -> tuple[list[InventoryItem], Candidates, np.ndarray, Assignment,
                            Assignment | None]:
    """Check feasibility, run the greedy baseline and the MILP (warm-started with greedy).

    On inventories above :data:`LNS_MIN_BINARIES` packs × units (and without a per-unit energy
    target) the per-pack model is replaced: for ``equal`` by the large-neighbourhood search of
    :mod:`packlife.design.lns`, for ``life`` by the bisection of :mod:`packlife.design.life`.
    """
    packs, cand, derate = candidate_packs(items, rules, threshold_soh)
    allowed = ", ".join(rules.chemistries) if rules.chemistries else "any"
    check_feasible(cand, rules, allowed)
    base = greedy(cand, rules)
    large = cand.n * rules.units > LNS_MIN_BINARIES and rules.target_energy_kwh is None
    if large and rules.objective == "equal":
        best = improve_equal(cand, rules, base)
    elif large and rules.objective == "life":
        best = improve_life(cand, rules, base)
    else:
        best = solve_milp(cand, rules, base)
    return packs, cand, derate, best, base


def _summary(a: Assignment | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "method": a.method,
        "objective_value": round(a.objective_value, 6),
        "total_energy_kwh": round(a.total_energy_kwh, 3),
        "status": a.status or None,
        "mip_gap": a.mip_gap,
        "solve_time_s": round(a.solve_time_s, 3),
        "notes": a.notes,
    }


def _unit_dict(name: str, unit: Sequence[InventoryItem], derate: Sequence[float],
               design_kwh: float, pack_mass: float, rules: UnitRules,
               ev: UnitEvaluation) -> dict[str, Any]:
    return {
        "name": name,
        "serials": [it.serial for it in unit],
        "catalog_ids": [it.catalog_id for it in unit],
        "chemistries": sorted({it.chemistry for it in unit}),
        "grades": [it.grade for it in unit],
        "soh": [round(it.soh, 4) for it in unit],
        "resistance_growth": [round(it.resistance_growth, 4) for it in unit],
        "resistance_derate": [round(float(d), 4) for d in derate],
        "pack_mass_kg": round(pack_mass, 1),
        "mass_kg": round(pack_mass + rules.overhead_kg, 1),
        "design_energy_kwh": round(design_kwh, 3),
        "usable_energy_kwh": round(ev.usable_energy_kwh, 3),
        "rated_power_kw": round(ev.rated_power_kw, 2),
        "power_capability_kw": round(ev.power_capability_kw, 1),
        "daily_discharge_kwh": round(ev.daily_discharge_kwh, 3),
        "round_trip_efficiency": round(ev.round_trip_efficiency, 4),
        "years_to_threshold": _years(ev.years_to_threshold),
        "energy_by_year_kwh": [round(e, 3) for e in ev.energy_by_year_kwh],
        "packs": [
            {"serial": p.serial, "catalog_id": p.catalog_id, "soh": round(p.soh, 4),
             "ageing_rate_factor": round(it.ageing_rate_factor, 4),
             "years_to_threshold": _years(p.years_to_threshold),
             "soh_by_year": [round(s, 4) for s in p.soh_by_year],
             "equivalent_full_cycles_per_day": round(p.equivalent_full_cycles_per_day, 3),
             "max_temperature_c": round(p.max_temperature_c, 2)}
            for p, it in zip(ev.packs, unit, strict=True)
        ],
    }


def design_bess(items: Sequence[InventoryItem], rules: UnitRules, threshold_soh: float,
                years: int) -> dict[str, Any]:
    """Assign packs to units, evaluate them with the engine and forecast their packs."""
    packs, cand, derate, best, base = assign_units(items, rules, threshold_soh)
    units = [[packs[p] for p in u] for u in best.units]
    design_kwh, pack_mass, _ = unit_values(best.units, cand)
    evaluations = evaluate_units(units, list(design_kwh), rules.min_power_kw, threshold_soh,
                                 years)
    names = [f"unit-{k + 1:02d}" for k in range(len(units))]
    used = {p for u in best.units for p in u}
    gap_pct = None
    if base is not None and base.objective_value != 0:
        gap_pct = round(100.0 * (best.objective_value - base.objective_value)
                        / abs(base.objective_value), 4)
    return {
        "objective": rules.objective,
        "candidates": cand.n,
        "milp": _summary(best),
        "greedy": _summary(base),
        "milp_vs_greedy_pct": gap_pct,
        "units": [
            _unit_dict(n, u, [derate[p] for p in idx], float(e), float(m), rules, ev)
            for n, u, idx, e, m, ev in zip(names, units, best.units, design_kwh, pack_mass,
                                           evaluations, strict=True)
        ],
        "replacement_plan": replacement_plan(evaluations, names, threshold_soh, years),
        "unused_serials": [packs[p].serial for p in range(len(packs)) if p not in used],
    }


def design(items: Sequence[InventoryItem], request: DesignRequest) -> dict[str, Any]:
    """Run the whole design (BESS units and/or portable products) into a JSON-ready dict."""
    n_packs = sum(1 for it in items if it.kind == "pack")
    modules = [it for it in items if it.kind == "module"]
    if request.rules is None and not (request.portable and modules):
        raise PacklifeError(
            "nothing to design: give --units N for the inventory's packs (it holds "
            f"{n_packs} packs and {len(modules)} modules)")
    out: dict[str, Any] = {
        "inventory": {"packs": n_packs, "modules": len(modules)},
        "threshold_soh": request.threshold_soh,
        "years": request.years,
        "assumptions": assumptions(request),
        "bess": None,
        "portable": None,
    }
    if request.rules is not None:
        out["rules"] = {k: (list(v) if isinstance(v, tuple) else v)
                        for k, v in asdict(request.rules).items()}
        out["bess"] = design_bess(items, request.rules, request.threshold_soh, request.years)
    if request.portable and modules:
        pd_ = design_portable(modules, request.modules_per_portable,
                              request.portable_max_mass_kg, request.portable_enclosure_kg)
        out["portable"] = {
            "count": len(pd_.units),
            "modules_per_unit": request.modules_per_portable,
            "units": [{**asdict(u), "energy_wh": round(u.energy_wh, 1),
                       "usable_energy_wh": round(u.usable_energy_wh, 1),
                       "match_cost": round(u.match_cost, 5)} for u in pd_.units],
            "leftover_serials": pd_.leftover,
            "notes": pd_.notes,
        }
    return out


def assumptions(request: DesignRequest) -> dict[str, Any]:
    """The stated modelling assumptions (also shown on the HTML page)."""
    rules = request.rules
    return {
        "standard_duty": (
            f"daily: full discharge at rated power (nominally {DUTY_DISCHARGE_H:g} h), "
            f"{DUTY_REST_H:g} h rest, recharge over {DUTY_RECHARGE_H:g} h at low power, "
            f"{DUTY_AMBIENT_C:g} °C ambient; engine at 60 s steps"),
        "usable_energy": ("catalog usable energy × SoH × resistance derate (engine 0.5 C "
                          "discharge with the measured vs new resistance)"),
        "rated_power": "min(Σ pack power limits, max(min power, design energy / 2 h))",
        "mass_model": None if rules is None else (
            f"packs + {rules.enclosure_mass_kg:g} kg enclosure/trailer + {rules.slots} × "
            f"{rules.slot_mass_kg:g} kg rack/converter per slot"),
        "forecast": (f"project_ageing from each pack's second-life state on its unit's duty, "
                     "with the law's rates × the pack's ageing_rate_factor (its own fade from "
                     "capacity checks, 1 where none was fitted); "
                     f"threshold SoH {request.threshold_soh:g}; null = beyond 30 years"),
        "portable_mass_model": (f"modules + {request.portable_enclosure_kg:g} kg enclosure "
                                "(JVCKenwood IPB-01G: 14.4 kg − 2 × 3.8 kg)"),
    }
