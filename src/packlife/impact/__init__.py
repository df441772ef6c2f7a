"""Environmental impact: diesel generator baseline, CO2 factors, grid carbon, net CO2 avoided.

Pure functions over numbers and arrays plus two sourced data files
(``data/emission_factors.toml``, ``data/genset_fuel_curves.toml``). See ``docs/impact.md``.
"""

from __future__ import annotations

from packlife.impact.claims import (
    JLR_CLAIM_URL,
    DieselDisplacement,
    JlrClaim,
    JlrReconciliation,
    diesel_displacement,
    jlr_claim_check,
)
from packlife.impact.factors import (
    DEFAULT_DIESEL_FACTOR,
    DEFAULT_GRID_INTENSITY,
    diesel_co2_kg,
    diesel_factor_kg_per_l,
    fuel_curve_for_rating,
    get_diesel_factor,
    get_fuel_curve,
    get_grid_intensity,
    grid_co2_kg,
    grid_intensity_g_per_kwh,
    list_diesel_factors,
    list_fuel_curves,
    list_grid_intensities,
    load_emission_factor_file,
    load_fuel_curve_file,
    net_co2_avoided_kg,
)
from packlife.impact.genset import (
    fit_fuel_curve,
    fuel_litres,
    fuel_litres_per_step,
    fuel_rate_lph,
    output_for_fuel_kw,
    required_rated_power_kw,
    specific_fuel_l_per_kwh,
)
from packlife.impact.schema import DieselFactor, FuelCurve, GridIntensity

__all__ = [
    "DEFAULT_DIESEL_FACTOR",
    "DEFAULT_GRID_INTENSITY",
    "JLR_CLAIM_URL",
    "DieselDisplacement",
    "DieselFactor",
    "FuelCurve",
    "GridIntensity",
    "JlrClaim",
    "JlrReconciliation",
    "diesel_co2_kg",
    "diesel_displacement",
    "diesel_factor_kg_per_l",
    "fit_fuel_curve",
    "fuel_curve_for_rating",
    "fuel_litres",
    "fuel_litres_per_step",
    "fuel_rate_lph",
    "get_diesel_factor",
    "get_fuel_curve",
    "get_grid_intensity",
    "grid_co2_kg",
    "grid_intensity_g_per_kwh",
    "jlr_claim_check",
    "list_diesel_factors",
    "list_fuel_curves",
    "list_grid_intensities",
    "load_emission_factor_file",
    "load_fuel_curve_file",
    "net_co2_avoided_kg",
    "output_for_fuel_kw",
    "required_rated_power_kw",
    "specific_fuel_l_per_kwh",
]
