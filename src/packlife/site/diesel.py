"""The diesel baseline: a generator serving the same demand (vehicles + loads) at the same times.

Fuel follows the linear (HOMER) curve of a set of the scenario's rating with its minimum load;
demand above the rating is served by running longer at full load (full-load L/kWh). The terms
are sums over control intervals, so a run accumulates them chunk by chunk
(:func:`diesel_terms`) without keeping the demand series.
"""

from __future__ import annotations

import numpy as np

from packlife._typing import FloatArray
from packlife.impact import fuel_curve_for_rating, fuel_litres_per_step
from packlife.site.scenario import ImpactSettings

#: Layout of :func:`diesel_terms`: litres at part load, excess energy [kWh], running intervals,
#: demand energy [kWh].
D_LITRES, D_EXCESS_KWH, D_RUNNING, D_ENERGY_KWH = range(4)


def diesel_terms(demand_w: FloatArray, dt_s: float, impact: ImpactSettings) -> FloatArray:
    """Baseline terms of a demand series (one value per interval of ``dt_s``) [see layout]."""
    curve = fuel_curve_for_rating(impact.genset_rated_kw)
    rated_w = impact.genset_rated_kw * 1000.0
    served = np.minimum(demand_w, rated_w)
    litres = float(
        np.sum(
            fuel_litres_per_step(
                served,
                dt_s,
                impact.genset_rated_kw,
                curve.f0_lph_per_kw_rated,
                curve.f1_lph_per_kw,
                impact.genset_min_load_fraction,
            )
        )
    )
    excess_kwh = float(np.sum(demand_w - served)) * dt_s / 3.6e6
    running = float(np.count_nonzero(demand_w > 0))
    return np.array([litres, excess_kwh, running, float(np.sum(demand_w)) * dt_s / 3.6e6])


def diesel_baseline_from_terms(
    terms: FloatArray, dt_s: float, impact: ImpactSettings
) -> dict[str, float]:
    """Litres, generator hours and energy of the baseline from accumulated :func:`diesel_terms`."""
    curve = fuel_curve_for_rating(impact.genset_rated_kw)
    full_load_l_per_kwh = curve.f0_lph_per_kw_rated + curve.f1_lph_per_kw
    litres = terms[D_LITRES] + terms[D_EXCESS_KWH] * full_load_l_per_kwh
    hours = terms[D_RUNNING] * dt_s / 3600.0 + terms[D_EXCESS_KWH] / impact.genset_rated_kw
    return {
        "litres": float(litres),
        "generator_hours": float(hours),
        "energy_kwh": float(terms[D_ENERGY_KWH]),
    }
