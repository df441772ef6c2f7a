"""Diesel displacement by a BESS, and the reconciliation of JLR/Allye's published diesel claim.

A BESS that replaces a generator running at ``diesel_lph`` for ``hours_per_day`` avoids that
diesel's CO2 but is charged from the grid: the energy it must deliver is the generator's output
at that fuel rate (from the generator's fuel curve), and the grid energy is that divided by the
BESS round-trip efficiency. Embodied emissions and transport are not included.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from packlife.errors import InfeasibleError, PacklifeError
from packlife.impact.factors import (
    DEFAULT_DIESEL_FACTOR,
    DEFAULT_GRID_INTENSITY,
    diesel_co2_kg,
    diesel_factor_kg_per_l,
    fuel_curve_for_rating,
    get_fuel_curve,
    grid_co2_kg,
    grid_intensity_g_per_kwh,
)
from packlife.impact.genset import output_for_fuel_kw, specific_fuel_l_per_kwh
from packlife.impact.schema import FuelCurve
from packlife.units import WH_PER_KWH

#: Where JLR/Allye's diesel figures were published (Electrek quote, via The Cool Down).
JLR_CLAIM_URL = "https://thecooldown.com/green-tech/allye-max-battery-energy-storage-jaguar-land-rover"


class DieselDisplacement(BaseModel):
    """Diesel use replaced by a BESS over ``days`` of the same daily duty, and the net CO2."""

    model_config = ConfigDict(frozen=True)
    diesel_lph: float
    hours_per_day: float
    days: float
    generator_hours: float
    diesel_litres: float
    co2_factor: str
    co2_factor_kg_per_l: float
    co2_diesel_kg: float
    genset_curve: str
    genset_rated_power_kw: float
    genset_output_power_kw: float
    genset_load_fraction: float
    genset_below_min_load: bool
    specific_fuel_l_per_kwh: float
    energy_delivered_kwh: float
    bess_efficiency: float
    grid_energy_kwh: float
    grid_intensity: str
    grid_intensity_g_per_kwh: float
    co2_grid_kg: float
    co2_avoided_net_kg: float


def _check_duty(
    diesel_lph: float, hours_per_day: float, days: float, bess_efficiency: float
) -> None:
    problems = []
    if not diesel_lph > 0:
        problems.append(f"diesel_lph must be > 0 L/h (got {diesel_lph:g})")
    if not 0 < hours_per_day <= 24:
        problems.append(f"hours per day must be in (0, 24] (got {hours_per_day:g})")
    if not days > 0:
        problems.append(f"days must be > 0 (got {days:g})")
    if not 0 < bess_efficiency <= 1:
        problems.append(f"bess_efficiency (round trip) must be in (0, 1] (got {bess_efficiency:g})")
    if problems:
        raise PacklifeError("; ".join(problems))


def _resolve_curve(genset: FuelCurve | str | float) -> FuelCurve:
    if isinstance(genset, FuelCurve):
        return genset
    if isinstance(genset, str):
        return get_fuel_curve(genset)
    return fuel_curve_for_rating(float(genset))


def diesel_displacement(
    diesel_lph: float,
    hours_per_day: float,
    days: float = 1.0,
    factor: str | float = DEFAULT_DIESEL_FACTOR,
    grid_intensity: str | float = DEFAULT_GRID_INTENSITY,
    bess_efficiency: float = 0.88,
    genset: FuelCurve | str | float = 60.0,
) -> DieselDisplacement:
    """CO2 of a diesel duty and of the grid energy a BESS needs to replace it.

    Parameters
    ----------
    diesel_lph : float
        Generator fuel rate while running [L/h].
    hours_per_day : float
        Running hours per day [h].
    days : float
        Number of days of that duty.
    factor : str or float
        Diesel CO2 factor name or value [kg/L].
    grid_intensity : str or float
        Grid carbon intensity name or value [g/kWh].
    bess_efficiency : float
        BESS round-trip efficiency (grid energy = delivered energy / efficiency) [0-1].
    genset : FuelCurve, str or float
        Generator fuel curve, its name, or a rating [kW] (see
        :func:`~packlife.impact.factors.fuel_curve_for_rating`); gives the output at ``diesel_lph``.
    """
    _check_duty(diesel_lph, hours_per_day, days, bess_efficiency)
    curve = _resolve_curve(genset)
    coeffs = (curve.rated_power_kw, curve.f0_lph_per_kw_rated, curve.f1_lph_per_kw)
    output_kw = float(output_for_fuel_kw(diesel_lph, *coeffs))
    if output_kw <= 0:
        raise InfeasibleError(
            f"at {diesel_lph:g} L/h a {curve.rated_power_kw:g} kW set only idles and delivers no "
            "energy; choose a smaller generator size"
        )
    generator_hours = hours_per_day * days
    litres = diesel_lph * generator_hours
    delivered_kwh = output_kw * generator_hours
    grid_kwh = delivered_kwh / bess_efficiency
    co2_diesel = diesel_co2_kg(litres, factor)
    co2_grid = grid_co2_kg(grid_kwh * WH_PER_KWH, grid_intensity)
    return DieselDisplacement(
        diesel_lph=diesel_lph,
        hours_per_day=hours_per_day,
        days=days,
        generator_hours=generator_hours,
        diesel_litres=litres,
        co2_factor=factor if isinstance(factor, str) else "custom",
        co2_factor_kg_per_l=diesel_factor_kg_per_l(factor),
        co2_diesel_kg=co2_diesel,
        genset_curve=curve.id,
        genset_rated_power_kw=curve.rated_power_kw,
        genset_output_power_kw=output_kw,
        genset_load_fraction=output_kw / curve.rated_power_kw,
        genset_below_min_load=output_kw < curve.min_load_fraction * curve.rated_power_kw,
        specific_fuel_l_per_kwh=float(specific_fuel_l_per_kwh(output_kw, *coeffs)),
        energy_delivered_kwh=delivered_kwh,
        bess_efficiency=bess_efficiency,
        grid_energy_kwh=grid_kwh,
        grid_intensity=grid_intensity if isinstance(grid_intensity, str) else "custom",
        grid_intensity_g_per_kwh=float(grid_intensity_g_per_kwh(grid_intensity)),
        co2_grid_kg=co2_grid,
        co2_avoided_net_kg=co2_diesel - co2_grid,
    )


class JlrClaim(BaseModel):
    """JLR/Allye's published figures for the Allye MAX replacing a diesel generator."""

    model_config = ConfigDict(frozen=True)
    diesel_lph: float = 16.0
    hours_per_day: float = 3.0
    co2_per_day_kg: float = 129.12
    co2_saved_kg: float = 15_494.0
    test_hours: float = 1000.0
    source_url: str = JLR_CLAIM_URL


class JlrReconciliation(BaseModel):
    """What JLR's figures imply, and the net saving once grid charging is counted."""

    model_config = ConfigDict(frozen=True)
    claim: JlrClaim
    litres_per_day: float
    implied_factor_kg_per_l: float
    implied_days: float
    days: int
    generator_hours: float
    generator_share_of_test_hours: float
    daily: DieselDisplacement
    total: DieselDisplacement
    net_share_of_claim: float


def jlr_claim_check(
    bess_efficiency: float = 0.88,
    grid_intensity: str | float = DEFAULT_GRID_INTENSITY,
    factor: str | float = DEFAULT_DIESEL_FACTOR,
    genset: FuelCurve | str | float = 60.0,
    claim: JlrClaim | None = None,
) -> JlrReconciliation:
    """Reconcile JLR's diesel claim from its own inputs.

    16 L/h × 3 h = 48 L/day; 129.12 kg / 48 L = 2.69 kg/L (combustion of mineral diesel);
    15,494 kg / 129.12 kg = 120 days = 360 generator-hours (not the 1,000 test hours quoted
    beside it); 16 L/h is ~51 kW on a 60 kW set, ~153 kWh/day; the net saving subtracts the
    grid CO2 of charging the BESS with that energy divided by ``bess_efficiency``.
    """
    c = claim or JlrClaim()
    litres_per_day = c.diesel_lph * c.hours_per_day
    implied_days = c.co2_saved_kg / c.co2_per_day_kg
    days = round(implied_days)
    daily, total = (
        diesel_displacement(c.diesel_lph, c.hours_per_day, n_days, factor, grid_intensity,
                            bess_efficiency, genset)
        for n_days in (1.0, float(days))
    )
    return JlrReconciliation(
        claim=c,
        litres_per_day=litres_per_day,
        implied_factor_kg_per_l=c.co2_per_day_kg / litres_per_day,
        implied_days=implied_days,
        days=days,
        generator_hours=days * c.hours_per_day,
        generator_share_of_test_hours=days * c.hours_per_day / c.test_hours,
        daily=daily,
        total=total,
        net_share_of_claim=total.co2_avoided_net_kg / c.co2_saved_kg,
    )
