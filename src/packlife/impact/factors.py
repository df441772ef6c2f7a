"""Diesel CO2 factors and grid carbon intensities, selectable by name, and the CO2 arithmetic.

Factors live in ``impact/data/emission_factors.toml`` (each with sources); generator fuel curves
in ``impact/data/genset_fuel_curves.toml``. Any function taking a factor or intensity also
accepts a plain number (kg/L, g/kWh); grid intensity may be a per-step series (g/kWh).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from functools import cache
from pathlib import Path
from typing import overload

import numpy as np
import numpy.typing as npt

from packlife._typing import FloatArray
from packlife.datafiles import load_model
from packlife.errors import DataFileError, PacklifeError
from packlife.impact.schema import (
    DieselFactor,
    EmissionFactorFile,
    FuelCurve,
    FuelCurveFile,
    GridIntensity,
)
from packlife.units import WH_PER_KWH

DATA_DIR = Path(__file__).parent / "data"
EMISSION_FACTORS_FILE = DATA_DIR / "emission_factors.toml"
FUEL_CURVES_FILE = DATA_DIR / "genset_fuel_curves.toml"

#: Default diesel factor: combustion of mineral diesel, the basis of JLR's claim.
DEFAULT_DIESEL_FACTOR = "combustion_2p69"
#: Default grid intensity: GB 2024 generation average.
DEFAULT_GRID_INTENSITY = "uk_2024_average"

GRAMS_PER_KG = 1000.0


def _unique(path: Path, kind: str, ids: list[str]) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise DataFileError(path, [f"field '{kind}.id': duplicate ids {', '.join(dupes)}"])


def load_emission_factor_file(path: Path) -> EmissionFactorFile:
    """Load and validate an emission factor TOML file (schema and unique ids)."""
    data = load_model(path, EmissionFactorFile)
    _unique(path, "diesel", [d.id for d in data.diesel])
    _unique(path, "grid", [g.id for g in data.grid])
    return data


def load_fuel_curve_file(path: Path) -> FuelCurveFile:
    """Load and validate a genset fuel curve TOML file (schema and unique ids)."""
    data = load_model(path, FuelCurveFile)
    _unique(path, "curve", [c.id for c in data.curve])
    return data


@cache
def _diesel() -> dict[str, DieselFactor]:
    return {d.id: d for d in load_emission_factor_file(EMISSION_FACTORS_FILE).diesel}


@cache
def _grid() -> dict[str, GridIntensity]:
    return {g.id: g for g in load_emission_factor_file(EMISSION_FACTORS_FILE).grid}


@cache
def _curves() -> dict[str, FuelCurve]:
    return {c.id: c for c in load_fuel_curve_file(FUEL_CURVES_FILE).curve}


def _lookup(kind: str, name: str, table: Collection[str]) -> None:
    if name not in table:
        close = difflib.get_close_matches(name, list(table), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise PacklifeError(
            f"unknown {kind} {name!r}{hint} (known: {', '.join(sorted(table))})"
        )


def list_diesel_factors() -> list[DieselFactor]:
    """All built-in diesel CO2 factors, in file order."""
    return list(_diesel().values())


def list_grid_intensities() -> list[GridIntensity]:
    """All built-in grid carbon intensities, in file order."""
    return list(_grid().values())


def list_fuel_curves() -> list[FuelCurve]:
    """All built-in generator fuel curves, in file order."""
    return list(_curves().values())


def get_diesel_factor(name: str) -> DieselFactor:
    """The built-in diesel factor ``name``; unknown names raise with close matches."""
    table = _diesel()
    _lookup("diesel CO2 factor", name, table.keys())
    return table[name]


def get_grid_intensity(name: str) -> GridIntensity:
    """The built-in grid intensity ``name``; unknown names raise with close matches."""
    table = _grid()
    _lookup("grid carbon intensity", name, table.keys())
    return table[name]


def get_fuel_curve(name: str) -> FuelCurve:
    """The built-in generator fuel curve ``name``; unknown names raise with close matches."""
    table = _curves()
    _lookup("generator fuel curve", name, table.keys())
    return table[name]


def fuel_curve_for_rating(rated_power_kw: float) -> FuelCurve:
    """Fuel curve of a set of ``rated_power_kw``.

    The part-load chart preset of exactly that rating if there is one (``chart_*`` first), else
    the chart preset of the nearest rating with its per-kW coefficients applied to the requested
    rating (:meth:`FuelCurve.resized`).
    """
    if not rated_power_kw > 0:
        raise PacklifeError(f"generator rating must be > 0 kW (got {rated_power_kw:g})")
    charts = [c for c in _curves().values() if c.id.startswith("chart_")]
    for curve in charts:
        if curve.rated_power_kw == rated_power_kw:
            return curve
    nearest = min(charts, key=lambda c: abs(np.log(c.rated_power_kw / rated_power_kw)))
    return nearest.resized(rated_power_kw)


def diesel_factor_kg_per_l(factor: str | float) -> float:
    """Resolve a factor name (or a number, returned as is) to kg CO2(e) per litre."""
    if isinstance(factor, str):
        return get_diesel_factor(factor).co2_kg_per_l
    value = float(factor)
    if not (np.isfinite(value) and value >= 0):
        raise PacklifeError(f"diesel CO2 factor must be a finite number >= 0 kg/L (got {value})")
    return value


def grid_intensity_g_per_kwh(intensity: str | float | npt.ArrayLike) -> float | FloatArray:
    """Resolve an intensity name, number or per-step series to g CO2(e) per kWh."""
    if isinstance(intensity, str):
        return get_grid_intensity(intensity).intensity_g_per_kwh
    arr = np.asarray(intensity, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise PacklifeError("grid carbon intensity must be finite and >= 0 g/kWh at every step")
    return float(arr) if arr.ndim == 0 else arr


@overload
def diesel_co2_kg(litres: float, factor: str | float = ...) -> float: ...
@overload
def diesel_co2_kg(litres: FloatArray, factor: str | float = ...) -> FloatArray: ...
def diesel_co2_kg(
    litres: float | FloatArray, factor: str | float = DEFAULT_DIESEL_FACTOR
) -> float | FloatArray:
    """CO2 of burning diesel [kg]: litres × factor.

    Parameters
    ----------
    litres : float or ndarray
        Fuel burned [L] (>= 0).
    factor : str or float
        Factor name from ``emission_factors.toml`` (e.g. ``"defra_2025_b7_ttw"``) or [kg/L].
    """
    kg_per_l = diesel_factor_kg_per_l(factor)
    arr = np.asarray(litres, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise PacklifeError("diesel litres must be finite and >= 0")
    if arr.ndim == 0:
        return float(arr) * kg_per_l
    return arr * kg_per_l


def grid_co2_kg(
    energy_wh: float | npt.ArrayLike,
    intensity: str | float | npt.ArrayLike = DEFAULT_GRID_INTENSITY,
) -> float:
    """CO2 of grid energy drawn [kg], total over a series.

    Parameters
    ----------
    energy_wh : float or array_like
        Energy drawn from the grid [Wh], a total or one value per step (>= 0).
    intensity : str, float or array_like
        Intensity name, a constant [g/kWh], or one value per step [g/kWh] (then ``energy_wh``
        must be a series of the same length).
    """
    energy = np.asarray(energy_wh, dtype=np.float64)
    if not np.all(np.isfinite(energy)) or np.any(energy < 0):
        raise PacklifeError("grid energy must be finite and >= 0 Wh (energy drawn from the grid)")
    g_per_kwh = grid_intensity_g_per_kwh(intensity)
    if isinstance(g_per_kwh, np.ndarray) and g_per_kwh.shape != energy.shape:
        raise PacklifeError(
            f"a grid intensity series needs one energy value per step: intensity has shape "
            f"{g_per_kwh.shape}, energy_wh {energy.shape}"
        )
    return float(np.sum(energy / WH_PER_KWH * g_per_kwh)) / GRAMS_PER_KG


def net_co2_avoided_kg(
    diesel_litres: float,
    grid_energy_wh: float | npt.ArrayLike,
    factor: str | float = DEFAULT_DIESEL_FACTOR,
    intensity: str | float | npt.ArrayLike = DEFAULT_GRID_INTENSITY,
) -> float:
    """Diesel CO2 avoided minus the grid CO2 of charging the BESS that replaced it [kg].

    ``grid_energy_wh`` is what the BESS drew from the grid, round-trip losses included (the
    caller divides the delivered energy by the round-trip efficiency).
    """
    return diesel_co2_kg(float(diesel_litres), factor) - grid_co2_kg(grid_energy_wh, intensity)
