"""Declared schemas of the impact data files (``impact/data/*.toml``): genset fuel curves,
diesel CO2 factors and grid carbon intensities. Every entry lists its ``sources``."""

from __future__ import annotations

from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from packlife.datafiles import EstimatedField, Source


class FuelCurve(BaseModel):
    """A diesel generator's linear (HOMER) fuel curve and the chart points it was fitted to.

    ``fuel_lph = f0_lph_per_kw_rated · rated_power_kw + f1_lph_per_kw · output_kw`` while the set
    runs, 0 when it is off. Below ``min_load_fraction`` of rating the set still burns the fuel of
    its minimum load (it cannot be loaded less without wet stacking).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = ""
    rated_power_kw: float = Field(gt=0, lt=100_000, description="electrical prime rating [kW]")
    f0_lph_per_kw_rated: float = Field(ge=0, lt=1, description="intercept [L/h per kW rated]")
    f1_lph_per_kw: float = Field(gt=0, lt=1, description="slope [L/h per kW out = L/kWh]")
    min_load_fraction: float = Field(0.0, ge=0, lt=1, description="minimum load [of rating]")
    max_residual_lph: float = Field(0.0, ge=0, description="largest |chart - fit| [L/h]")
    chart_load_fraction: list[float] = Field(default_factory=list)
    chart_fuel_lph: list[float] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)
    estimated_fields: list[EstimatedField] = Field(default_factory=list)

    @model_validator(mode="after")
    def _chart(self) -> FuelCurve:
        x, y = self.chart_load_fraction, self.chart_fuel_lph
        if len(x) != len(y):
            raise ValueError("chart_load_fraction and chart_fuel_lph must have the same length")
        if any(not 0 < v <= 1 for v in x) or any(b <= a for a, b in pairwise(x)):
            raise ValueError("chart_load_fraction must be strictly increasing values in (0, 1]")
        if any(v <= 0 for v in y):
            raise ValueError("chart_fuel_lph must be positive [L/h]")
        return self

    @property
    def full_load_fuel_lph(self) -> float:
        """Fuel rate at 100 % load [L/h]."""
        return (self.f0_lph_per_kw_rated + self.f1_lph_per_kw) * self.rated_power_kw

    def resized(self, rated_power_kw: float) -> FuelCurve:
        """The same per-kW curve on a set of another rating (chart points dropped)."""
        return self.model_copy(
            update={
                "id": f"{self.id}_as_{rated_power_kw:g}kw".replace(".", "p"),
                "description": f"{self.description} (coefficients applied to a "
                f"{rated_power_kw:g} kW set)",
                "rated_power_kw": rated_power_kw,
                "chart_load_fraction": [],
                "chart_fuel_lph": [],
                "max_residual_lph": 0.0,
            }
        )


class FuelCurveFile(BaseModel):
    """``genset_fuel_curves.toml``: a list of ``[[curve]]`` tables."""

    model_config = ConfigDict(extra="forbid")
    curve: list[FuelCurve] = Field(min_length=1)


class DieselFactor(BaseModel):
    """CO2(e) emitted per litre of fuel burned."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = ""
    co2_kg_per_l: float = Field(ge=0, lt=10, description="[kg CO2(e)/L]")
    scope: Literal["ttw", "wtw"]
    sources: list[Source] = Field(min_length=1)


class GridIntensity(BaseModel):
    """Average carbon intensity of grid electricity."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    description: str = ""
    intensity_g_per_kwh: float = Field(ge=0, lt=2000, description="[g CO2(e)/kWh]")
    sources: list[Source] = Field(min_length=1)


class EmissionFactorFile(BaseModel):
    """``emission_factors.toml``: ``[[diesel]]`` and ``[[grid]]`` tables."""

    model_config = ConfigDict(extra="forbid")
    diesel: list[DieselFactor] = Field(min_length=1)
    grid: list[GridIntensity] = Field(min_length=1)
