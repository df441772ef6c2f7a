"""The numbers of a run: energy flows, balance, vehicles, diesel and CO2 evidence, pack health."""

from __future__ import annotations

from typing import Any

import numpy as np

from packlife.catalog import get_pack_model
from packlife.impact import diesel_co2_kg, fuel_curve_for_rating, fuel_litres_per_step, grid_co2_kg
from packlife.simulation.layout import (
    SHORTFALL_REASONS,
)
from packlife.site.diesel import diesel_baseline_from_terms
from packlife.site.economics import economics_summary, site_inputs_note
from packlife.site.run import SiteResult

KWH = 1000.0


def diesel_baseline(result: SiteResult) -> dict[str, float]:
    """A diesel generator serving the same demand at the same times
    (:mod:`packlife.site.diesel`)."""
    return diesel_baseline_from_terms(
        result.diesel_terms, result.control_interval_s, result.scenario.impact
    )


def _direct_power_kw(result: SiteResult) -> float:
    """The site supply a vehicle could charge from directly: grid + DC inputs, else the genset."""
    sc = result.scenario
    supply = sum(s.max_power_kw for s in sc.sources if s.kind in ("grid", "dc_charger"))
    return supply if supply > 0 else sc.impact.genset_rated_kw


def vehicle_numbers(result: SiteResult) -> dict[str, Any]:
    """Sessions served, fully charged, and charge times via the BESS vs directly from the supply."""
    direct_kw = _direct_power_kw(result)
    served = [o for o in result.outcomes if o.served]
    full = [o for o in result.outcomes if o.fully_charged]
    charge_min = [(o.charged_s - o.session.arrival_s) / 60.0 for o in full]
    direct_min = [
        o.session.energy_needed_wh / 1000.0 / min(direct_kw, o.session.onboard_charger_kw) * 60.0
        for o in full
    ]
    return {
        "sessions_total": len(result.outcomes),
        "vehicles_served": len(served),
        "vehicles_fully_charged": len(full),
        "mean_charge_time_min": float(np.mean(charge_min)) if charge_min else 0.0,
        "mean_direct_charge_time_min": float(np.mean(direct_min)) if direct_min else 0.0,
        "direct_charge_power_kw": direct_kw,
    }


def summarise(result: SiteResult) -> dict[str, Any]:
    """The ``summary.json`` content (numbers; lists per pack in scenario order)."""
    sc = result.scenario
    eng = result.engine
    bal = eng.balance
    stored_change_kwh = float(bal.stored_end_wh[0] - bal.stored_start_wh[0]) / KWH
    engine_losses_kwh = float(bal.losses_wh[0]) / KWH
    losses_kwh = engine_losses_kwh + result.site_converter_loss_wh / KWH
    sources_kwh = {k: v / KWH for k, v in result.source_energy_wh.items()}
    vehicles_kwh = result.vehicles_energy_wh / KWH
    loads_kwh = result.loads_energy_wh / KWH
    error_kwh = sum(sources_kwh.values()) - (
        vehicles_kwh + loads_kwh + losses_kwh + stored_change_kwh
    )
    throughput_kwh = (
        sum(abs(v) for v in sources_kwh.values()) + float(eng.delivered_discharge_wh[0]) / KWH
    )
    inputs_kwh = sum(max(v, 0.0) for v in sources_kwh.values())
    vehicles_kwh_and_loads = vehicles_kwh + loads_kwh
    base = diesel_baseline(result)
    gen_litres_bess = _generator_litres_in_bess_case(result)
    factor = sc.impact.diesel_factor
    co2_diesel = diesel_co2_kg(base["litres"], factor)
    grid_kwh = sum(
        max(sources_kwh[s.name], 0.0) for s in sc.sources if s.kind in ("grid", "dc_charger")
    )
    co2_grid = grid_co2_kg(grid_kwh * KWH, sc.impact.grid_intensity)
    co2_gen_bess = diesel_co2_kg(gen_litres_bess, factor)
    models = [get_pack_model(p.catalog_id) for p in sc.bess.packs]
    soh_start = [float(x) for x in eng.soh_start[0]]
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "days": sc.simulation.days,
        "step_s": sc.simulation.step_s,
        "output_interval_s": result.engine.output_interval_s,
        "energy_from_sources_kwh": sources_kwh,
        "energy_to_vehicles_kwh": vehicles_kwh,
        "energy_to_loads_kwh": loads_kwh,
        "unserved_load_kwh": result.unserved_load_wh / KWH,
        "curtailed_kwh": result.curtailed_wh / KWH,
        "losses_kwh": losses_kwh,
        "bess_losses_kwh": engine_losses_kwh,
        "site_converter_losses_kwh": result.site_converter_loss_wh / KWH,
        "bess_losses_by_kind_kwh": {
            "pack_converters": float(bal.converter_loss_wh[0]) / KWH,
            "ohmic": float(bal.ohmic_loss_wh[0]) / KWH,
            "polarisation": float(bal.polarisation_loss_wh[0]) / KWH,
            "entropic": float(bal.entropic_wh[0]) / KWH,
            "self_discharge": float(bal.self_discharge_wh[0]) / KWH,
            "capacity_fade": float(bal.fade_wh[0]) / KWH,
        },
        "site_efficiency": vehicles_kwh_and_loads / inputs_kwh if inputs_kwh > 0 else 0.0,
        "stored_energy_change_kwh": stored_change_kwh,
        "energy_balance_error_kwh": error_kwh,
        "energy_balance_error_pct_of_throughput": 100.0 * abs(error_kwh) / throughput_kwh
        if throughput_kwh > 0
        else 0.0,
        "bess_energy_balance_error_kwh": float(bal.error_wh[0]) / KWH,
        **vehicle_numbers(result),
        "diesel_litres_baseline": base["litres"],
        "diesel_litres_bess_case": gen_litres_bess,
        "diesel_litres_avoided": base["litres"] - gen_litres_bess,
        "generator_hours_baseline": base["generator_hours"],
        "co2_diesel_kg": co2_diesel,
        "co2_grid_kg": co2_grid,
        "co2_generator_in_bess_case_kg": co2_gen_bess,
        "co2_avoided_net_kg": co2_diesel - co2_grid - co2_gen_bess,
        "diesel_factor": factor,
        "grid_intensity": sc.impact.grid_intensity,
        "nameplate_energy_kwh": float(sum(m.gross_energy_kwh for m in models)),
        "usable_energy_kwh": float(
            sum(m.usable_energy_kwh * s for m, s in zip(models, soh_start, strict=True))
        ),
        "pack_soh_start": soh_start,
        "pack_soh_end": [float(x) for x in eng.soh_end[0]],
        "pack_resistance_growth_end": [float(x) for x in eng.resistance_growth_end[0]],
        "pack_equivalent_full_cycles": [float(x) for x in eng.equivalent_full_cycles[0]],
        "pack_max_temperature_c": [float(x) for x in eng.max_temperature_c[0]],
        "pack_overtemperature_s": [float(x) for x in eng.overtemperature_s[0]],
        "pack_energy_discharged_kwh": [float(x) / KWH for x in eng.pack_discharged_wh[0]],
        "pack_energy_charged_kwh": [float(x) / KWH for x in eng.pack_charged_wh[0]],
        "pack_deep_discharge_s": [float(x) for x in eng.deep_discharge_s[0]],
        "pack_shortfall_by_reason_kwh": {
            reason: float(result.pack_shortfall_wh[:, k].sum()) / KWH
            for k, reason in enumerate(SHORTFALL_REASONS)
        },
        "limits_binding_intervals": dict(
            sorted(result.limit_counts.items(), key=lambda kv: -kv[1])[:10]
        ),
        **site_inputs_note(result),
    }
    summary.update(economics_summary(result, summary))
    return summary


def _generator_litres_in_bess_case(result: SiteResult) -> float:
    """Fuel the scenario's own generator input burned (if it has one) [L]."""
    gens = [s for s in result.scenario.sources if s.kind == "generator"]
    if not gens:
        return 0.0
    total = 0.0
    imp = result.scenario.impact
    flows = result.flows
    dt_s = result.engine.output_interval_s
    for g in gens:
        curve = fuel_curve_for_rating(g.max_power_kw)
        power = np.clip(flows[f"source_{g.name}_power_w"].to_numpy(), 0.0, None)
        total += float(
            np.sum(
                fuel_litres_per_step(
                    power,
                    dt_s,
                    g.max_power_kw,
                    curve.f0_lph_per_kw_rated,
                    curve.f1_lph_per_kw,
                    imp.genset_min_load_fraction,
                )
            )
        )
    return total
