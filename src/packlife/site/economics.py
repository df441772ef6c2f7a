"""A run's money: bills, diesel and grid-upgrade alternatives, NPV, payback and LCOS.

Computed after the run from its flows (per output interval: ``source_<name>_power_w``,
``vehicles_power_w``, ``loads_power_w``), the demand per control interval and the summary's fuel
and pack-health numbers, so it does not depend on how the loop is written. A run of ``days`` is
scaled to a year by ``365 / days`` (state this when quoting annual figures from a short run).
Energy the run drew from the packs (stored energy lower at the end) is charged as if bought back
from the grid at the mean import price of the first day, so a BESS that only discharges is not free.

Alternatives compared with the BESS (all serving the same vehicles and loads):

* **diesel**: a hired generator serving the demand (fuel from the part-load curve, hire per day of
  use); the BESS pays its capex back through the running costs it avoids;
* **grid upgrade** (with ``grid_upgrade_capex``): a connection big enough to serve the demand
  directly, paying the tariff on the demand as it comes less the PV the site used (no storage
  losses, higher peaks, the rest of the PV exported).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from packlife.catalog import get_pack_model
from packlife.economics.finance import (
    lcos_per_kwh,
    npv,
    payback_years,
    replacement_years,
)
from packlife.economics.tariffs import bill
from packlife.site.inputs import interval_starts, prices_per_kwh
from packlife.site.run import SiteResult

_GRID_KINDS = ("grid", "dc_charger")


def _annual_bill(result: SiteResult, grid_w: np.ndarray, dt_s: float) -> dict[str, float]:
    """A power series' bill scaled to a year (demand charge on the mean monthly peak × 12)."""
    sc = result.scenario
    t = sc.economics.tariff
    n = grid_w.size
    p_in, p_out = prices_per_kwh(sc, n, dt_s)
    months = np.asarray(interval_starts(sc, n, dt_s).month)
    b = bill(grid_w, dt_s, p_in, p_out, months, t.standing_charge_per_day, 0.0)
    scale = 365.0 / (n * dt_s / 86400.0)
    peaks = [float(np.clip(grid_w[months == m], 0, None).max()) / 1000.0 for m in np.unique(months)]
    demand = t.demand_charge_per_kw_month * 12.0 * (float(np.mean(peaks)) if peaks else 0.0)
    return {
        "energy": (b.energy_import - b.energy_export_credit) * scale,
        "standing": t.standing_charge_per_day * 365.0,
        "demand": demand,
        "import_kwh": b.import_kwh * scale,
        "export_kwh": b.export_kwh * scale,
        "peak_import_kw": b.peak_import_kw,
    }


def _direct_grid_w(result: SiteResult) -> np.ndarray:
    """Grid power without the BESS: vehicles and loads served as they come, PV used first and
    the rest exported (per output interval) [W]."""
    flows = result.flows
    demand = flows["vehicles_power_w"].to_numpy(dtype=float) + flows["loads_power_w"].to_numpy(
        dtype=float
    )
    pv = sum(
        (
            flows[f"source_{s.name}_power_w"].to_numpy(dtype=float)
            for s in result.scenario.sources
            if s.kind == "pv"
        ),
        np.zeros(len(flows)),
    )
    return np.asarray(demand - pv, dtype=float)


def _refill_cost(result: SiteResult, summary: dict[str, Any]) -> float:
    """What it costs to put back the energy the run drew from the packs (stored energy fell):
    bought at the mean import price through the grid inverter; nothing when it rose."""
    drawn_kwh = max(-float(summary["stored_energy_change_kwh"]), 0.0)
    if drawn_kwh == 0.0:
        return 0.0
    sc = result.scenario
    p_in, _ = prices_per_kwh(sc, 24, 3600.0)
    return drawn_kwh / sc.bess.grid_inverter_efficiency * float(np.mean(p_in))


def _days_running(power_w: np.ndarray, dt_s: float) -> float:
    """Days (per year) on which a power series is ever above zero."""
    per_day = max(int(round(86400.0 / dt_s)), 1)
    n_days = math.ceil(power_w.size / per_day)
    padded = np.zeros(n_days * per_day)
    padded[: power_w.size] = power_w
    used = int(np.count_nonzero(padded.reshape(n_days, per_day).max(axis=1) > 0))
    return used * 365.0 / (power_w.size * dt_s / 86400.0)


def _replacement_costs(
    result: SiteResult, summary: dict[str, Any]
) -> tuple[list[float], list[dict[str, Any]]]:
    sc = result.scenario
    e = sc.economics
    years = replacement_years(
        summary["pack_soh_start"],
        summary["pack_soh_end"],
        sc.simulation.days / 365.0,
        e.pack_replacement_soh,
        e.project_life_years,
    )
    costs = [0.0] * e.project_life_years
    for pack, ys in zip(sc.bess.packs, years, strict=True):
        kwh = get_pack_model(pack.catalog_id).gross_energy_kwh
        for y in ys:
            costs[y - 1] += e.pack_replacement_cost_per_kwh * kwh
    listing = [
        {"pack": p.serial or f"pack {i + 1}", "years": ys}
        for i, (p, ys) in enumerate(zip(sc.bess.packs, years, strict=True))
    ]
    return costs, listing


def economics_summary(result: SiteResult, summary: dict[str, Any]) -> dict[str, Any]:
    """The economics block of ``summary.json`` (amounts in ``economics_currency``)."""
    sc = result.scenario
    e = sc.economics
    flows = result.flows
    dt_out = result.engine.output_interval_s
    scale = 365.0 / sc.simulation.days
    grid_w = np.zeros(len(flows))
    for s in sc.sources:
        if s.kind in _GRID_KINDS:
            grid_w += flows[f"source_{s.name}_power_w"].to_numpy(dtype=float)
    bess_bill = _annual_bill(result, grid_w, dt_out)
    delivered_kwh = (summary["energy_to_vehicles_kwh"] + summary["energy_to_loads_kwh"]) * scale
    gen_fuel = summary["diesel_litres_bess_case"] * scale * e.diesel_price_per_l
    gen_w = sum(
        (
            flows[f"source_{s.name}_power_w"].to_numpy(dtype=float)
            for s in sc.sources
            if s.kind == "generator"
        ),
        np.zeros(len(flows)),
    )
    gen_hire = _days_running(gen_w, dt_out) * e.genset_rental_per_day if gen_w.any() else 0.0
    refill = _refill_cost(result, summary) * scale
    bess_running = (
        bess_bill["energy"]
        + bess_bill["standing"]
        + bess_bill["demand"]
        + gen_fuel
        + gen_hire
        + refill
        + e.bess_opex_per_year
    )
    replacements, listing = _replacement_costs(result, summary)
    life = e.project_life_years
    bess_costs = [bess_running + r for r in replacements]
    out: dict[str, Any] = {
        "economics_currency": e.currency,
        "economics_annualised_from_days": sc.simulation.days,
        "bess_capex": e.bess_capex,
        "annual_energy_delivered_kwh": delivered_kwh,
        "annual_grid_import_kwh": bess_bill["import_kwh"],
        "peak_grid_import_kw": bess_bill["peak_import_kw"],
        "annual_grid_bill": bess_bill["energy"] + bess_bill["standing"] + bess_bill["demand"],
        "annual_generator_cost_bess_case": gen_fuel + gen_hire,
        "annual_refill_cost": refill,
        "annual_running_cost_bess": bess_running,
        "cost_per_kwh_delivered": _finite(
            lcos_per_kwh(e.discount_rate, e.bess_capex, bess_costs, [delivered_kwh] * life)
        ),
        "pack_replacements": listing,
        "pack_replacement_cost_total": float(sum(replacements)),
    }
    if e.compare_diesel:
        flows = result.flows
        # the generator is hired on days with any demand: a mean over an output interval is > 0
        # exactly when some control interval in it had demand (powers are ≥ 0)
        demand = (flows["vehicles_power_w"] + flows["loads_power_w"]).to_numpy()
        diesel_fuel = summary["diesel_litres_baseline"] * scale * e.diesel_price_per_l
        diesel_hire = _days_running(demand, dt_out) * e.genset_rental_per_day
        diesel_annual = diesel_fuel + diesel_hire
        savings = [diesel_annual - c for c in bess_costs]
        out.update(
            {
                "annual_cost_diesel": diesel_annual,
                "diesel_cost_per_kwh_delivered": lcos_per_kwh(
                    e.discount_rate, 0.0, [diesel_annual] * life, [delivered_kwh] * life
                ),
                "annual_savings_vs_diesel": diesel_annual - bess_running,
                "npv_vs_diesel": npv(e.discount_rate, e.bess_capex, savings),
                "payback_years_vs_diesel": _finite(payback_years(e.bess_capex, savings)),
                "discounted_payback_years_vs_diesel": _finite(
                    payback_years(e.bess_capex, savings, e.discount_rate)
                ),
            }
        )
    if e.grid_upgrade_capex is not None:
        direct = _annual_bill(result, _direct_grid_w(result), dt_out)
        upgrade_annual = direct["energy"] + direct["standing"] + direct["demand"]
        savings = [upgrade_annual - c for c in bess_costs]
        out.update(
            {
                "grid_upgrade_capex": e.grid_upgrade_capex,
                "annual_cost_grid_upgrade": upgrade_annual,
                "grid_upgrade_peak_import_kw": direct["peak_import_kw"],
            "grid_upgrade_annual_import_kwh": direct["import_kwh"],
                "grid_upgrade_cost_per_kwh_delivered": lcos_per_kwh(
                    e.discount_rate,
                    e.grid_upgrade_capex,
                    [upgrade_annual] * life,
                    [delivered_kwh] * life,
                ),
                "npv_vs_grid_upgrade": npv(
                    e.discount_rate, e.bess_capex - e.grid_upgrade_capex, savings
                ),
            }
        )
    return out


def _finite(value: float) -> float | None:
    """``value``, or None (JSON null) when it is infinite (never repaid)."""
    return None if math.isinf(value) else value


def _money(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def economics_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows for the CLI / report table: label with currency, formatted value."""
    cur = summary.get("economics_currency")
    if cur is None:
        return []
    rows = [
        (
            f"cost per kWh delivered (LCOS) [{cur}/kWh]",
            _money(summary["cost_per_kwh_delivered"], 3),
        ),
        (
            f"annual running cost with the BESS [{cur}/yr]",
            f"{summary['annual_running_cost_bess']:,.0f}",
        ),
    ]
    if "annual_cost_diesel" in summary:
        pb = summary["payback_years_vs_diesel"]
        rows += [
            (
                f"diesel cost per kWh delivered [{cur}/kWh]",
                f"{summary['diesel_cost_per_kwh_delivered']:.3f}",
            ),
            (f"annual savings vs diesel [{cur}/yr]", f"{summary['annual_savings_vs_diesel']:,.0f}"),
            (f"NPV vs diesel [{cur}]", f"{summary['npv_vs_diesel']:,.0f}"),
            (
                "payback vs diesel [years]",
                "not within the project life" if pb is None else f"{pb:.1f}",
            ),
        ]
    if "npv_vs_grid_upgrade" in summary:
        rows += [
            (
                f"grid upgrade cost per kWh delivered [{cur}/kWh]",
                f"{summary['grid_upgrade_cost_per_kwh_delivered']:.3f}",
            ),
            (f"NPV vs grid upgrade [{cur}]", f"{summary['npv_vs_grid_upgrade']:,.0f}"),
        ]
    return rows


def site_inputs_note(result: SiteResult) -> dict[str, Any]:
    """Where the run's weather, location and time zone came from (for the summary and report)."""
    from packlife.site.inputs import site_location, site_weather

    sc = result.scenario
    weather = site_weather(sc)
    note: dict[str, Any] = {
        "timezone": sc.site.timezone
        if sc.site is not None
        else str(pd.Timestamp(sc.simulation.start).tz),
        "weather_source": weather.source if weather is not None else "none (sine ambient)",
        "time_labels": "interval end (flows 'time' column); see docs/scenario-reference.md",
    }
    if weather is not None and any(s.kind == "pv" for s in sc.sources):
        note["location"] = site_location(sc, weather)[3]
    return note
