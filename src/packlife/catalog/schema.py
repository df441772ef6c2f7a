"""Declared schema of a catalog entry: one TOML file per EV pack or module model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from packlife.chemistry.schema import Chemistry, EstimatedField, Source

#: Allowed relative mismatch between gross energy and series × parallel × cell Ah × cell V.
ENERGY_CONSISTENCY_TOLERANCE = 0.03


class PackModel(BaseModel):
    """A pack (or module) model as built by the OEM, with new-condition ratings.

    All energies are for a new pack; a second-life pack's energy follows from its measured
    ``soh`` (capacity fraction of new).
    """

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$", description="catalog id, equal to the file stem")
    kind: Literal["pack", "module"] = "pack"
    make: str
    model: str
    years: str = Field(pattern=r"^\d{4}(–|-)(\d{4})?$", description="e.g. '2018–2021' or '2022–'")
    chemistry: Chemistry
    parameter_set: str = Field(description="id of the chemistry parameter set used for simulation")
    cell_format: Literal["pouch", "prismatic", "cylindrical"]
    cell_capacity_ah: float = Field(gt=0, lt=500)
    cell_nominal_voltage_v: float = Field(gt=1.5, lt=4.5)
    series_cells: int = Field(ge=1, le=400)
    parallel_cells: int = Field(ge=1, le=100)
    modules: int = Field(ge=1, le=100)
    cells_per_module: int = Field(ge=1, le=1000)
    nominal_voltage_v: float = Field(gt=0, lt=1000)
    min_voltage_v: float = Field(gt=0, lt=1000)
    max_voltage_v: float = Field(gt=0, lt=1000)
    rated_capacity_ah: float = Field(gt=0, lt=2000)
    gross_energy_kwh: float = Field(gt=0, lt=300)
    usable_energy_kwh: float = Field(gt=0, lt=300, description="OEM usable window, new")
    max_discharge_power_kw: float = Field(gt=0, lt=1000)
    max_charge_power_kw: float = Field(gt=0, lt=1000)
    mass_kg: float = Field(gt=0, lt=1500)
    cooling: Literal["passive", "air", "liquid"]
    typical_retirement_soh: float = Field(gt=0.3, le=1.0)
    calendar_life_years: float | None = Field(
        None, gt=0, lt=40, description="maker's calendar limit for (re)use, if any"
    )
    min_temperature_c: float = Field(-30.0, ge=-50, le=10)
    max_temperature_c: float = Field(55.0, ge=30, le=80)
    parent_pack_id: str | None = Field(None, description="for modules: the pack they come from")
    notes: str = ""
    sources: list[Source] = Field(min_length=1)
    estimated_fields: list[EstimatedField] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> PackModel:
        problems = []
        if not self.min_voltage_v < self.nominal_voltage_v < self.max_voltage_v:
            problems.append("need min_voltage_v < nominal_voltage_v < max_voltage_v")
        if self.usable_energy_kwh > self.gross_energy_kwh:
            problems.append("usable_energy_kwh must not exceed gross_energy_kwh")
        if self.modules * self.cells_per_module != self.series_cells * self.parallel_cells:
            problems.append(
                "modules × cells_per_module must equal series_cells × parallel_cells "
                f"({self.modules}×{self.cells_per_module} ≠ "
                f"{self.series_cells}×{self.parallel_cells})"
            )
        mismatch = energy_mismatch(self)
        if abs(mismatch) > ENERGY_CONSISTENCY_TOLERANCE:
            problems.append(
                "gross_energy_kwh must agree with series × parallel × cell_capacity_ah × "
                f"cell_nominal_voltage_v within {ENERGY_CONSISTENCY_TOLERANCE:.0%} "
                f"(mismatch {mismatch:+.1%})"
            )
        cap_mismatch = self.rated_capacity_ah / (self.parallel_cells * self.cell_capacity_ah) - 1
        if abs(cap_mismatch) > ENERGY_CONSISTENCY_TOLERANCE:
            problems.append(
                "rated_capacity_ah must equal parallel_cells × cell_capacity_ah within 3 % "
                f"(mismatch {cap_mismatch:+.1%})"
            )
        if self.kind == "module" and not self.parent_pack_id:
            problems.append("a module entry needs parent_pack_id")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def usable_fraction(self) -> float:
        """OEM usable window as a fraction of gross energy."""
        return self.usable_energy_kwh / self.gross_energy_kwh


def energy_mismatch(pack: PackModel) -> float:
    """Relative mismatch of ``gross_energy_kwh`` vs series × parallel × cell Ah × cell V."""
    computed_kwh = (
        pack.series_cells
        * pack.parallel_cells
        * pack.cell_capacity_ah
        * pack.cell_nominal_voltage_v
        / 1000.0
    )
    return pack.gross_energy_kwh / computed_kwh - 1.0
