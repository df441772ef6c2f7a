"""Declared schema of a chemistry parameter set (one TOML file per set in ``chemistry/data``).

All electrical values are per **cell**; pack values follow from the catalog's series/parallel
layout (see :mod:`packlife.catalog`). Tables are indexed ``[temperature, soc]``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from packlife.datafiles import EstimatedField as EstimatedField  # re-exported for the catalog
from packlife.datafiles import Source as Source

Chemistry = Literal["nmc", "lmo", "lmo_nca", "lfp", "nca"]


def _check_axis(name: str, values: list[float]) -> None:
    arr = np.asarray(values, dtype=float)
    if arr.size < 2 or not np.all(np.diff(arr) > 0):
        raise ValueError(f"{name} must have at least 2 strictly increasing values")


def _check_table(name: str, table: list[list[float]], rows: int, cols: int) -> None:
    arr = np.asarray(table, dtype=float)
    if arr.shape != (rows, cols):
        raise ValueError(
            f"{name} must be a {rows}×{cols} table (temperature rows × soc columns), "
            f"got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite numbers")


class OcvTable(BaseModel):
    """Open-circuit voltage of one cell vs SoC (columns) and temperature (rows)."""

    model_config = ConfigDict(extra="forbid")
    soc: list[float]
    temperature_c: list[float]
    voltage_v: list[list[float]]

    @model_validator(mode="after")
    def _shape(self) -> OcvTable:
        _check_axis("soc", self.soc)
        _check_axis("temperature_c", self.temperature_c) if len(self.temperature_c) > 1 else None
        if self.soc[0] < 0 or self.soc[-1] > 1:
            raise ValueError("soc must lie within 0–1")
        _check_table("voltage_v", self.voltage_v, len(self.temperature_c), len(self.soc))
        v = np.asarray(self.voltage_v)
        if np.any(np.diff(v, axis=1) < 0):
            raise ValueError("voltage_v must not decrease with soc")
        return self


class EcmTable(BaseModel):
    """Equivalent-circuit parameters of one cell: R0 plus one or two RC pairs."""

    model_config = ConfigDict(extra="forbid")
    soc: list[float]
    temperature_c: list[float]
    r0_ohm: list[list[float]]
    r1_ohm: list[list[float]]
    c1_f: list[list[float]]
    r2_ohm: list[list[float]] | None = None
    c2_f: list[list[float]] | None = None

    @model_validator(mode="after")
    def _shape(self) -> EcmTable:
        _check_axis("soc", self.soc)
        if len(self.temperature_c) > 1:
            _check_axis("temperature_c", self.temperature_c)
        n_t, n_s = len(self.temperature_c), len(self.soc)
        for name in ("r0_ohm", "r1_ohm", "c1_f", "r2_ohm", "c2_f"):
            table = getattr(self, name)
            if table is None:
                continue
            _check_table(name, table, n_t, n_s)
            if np.any(np.asarray(table) <= 0):
                raise ValueError(f"{name} must be positive")
        if (self.r2_ohm is None) != (self.c2_f is None):
            raise ValueError("r2_ohm and c2_f must be given together")
        return self


class Derating(BaseModel):
    """Allowed fraction of the maximum current vs temperature and SoC (piecewise linear)."""

    model_config = ConfigDict(extra="forbid")
    temperature_c: list[float]
    discharge_fraction_vs_temperature: list[float]
    charge_fraction_vs_temperature: list[float]
    soc: list[float]
    discharge_fraction_vs_soc: list[float]
    charge_fraction_vs_soc: list[float]

    @model_validator(mode="after")
    def _shape(self) -> Derating:
        _check_axis("temperature_c", self.temperature_c)
        _check_axis("soc", self.soc)
        for name, axis in (
            ("discharge_fraction_vs_temperature", self.temperature_c),
            ("charge_fraction_vs_temperature", self.temperature_c),
            ("discharge_fraction_vs_soc", self.soc),
            ("charge_fraction_vs_soc", self.soc),
        ):
            vals = np.asarray(getattr(self, name), dtype=float)
            if vals.shape != (len(axis),):
                raise ValueError(f"{name} must have one value per axis point ({len(axis)})")
            if np.any(vals < 0) or np.any(vals > 1):
                raise ValueError(f"{name} must lie within 0–1")
        return self


class Thermal(BaseModel):
    """Lumped thermal properties of one cell."""

    model_config = ConfigDict(extra="forbid")
    cell_mass_kg: float = Field(gt=0)
    specific_heat_j_per_kg_k: float = Field(gt=100, lt=3000)
    entropic_coefficient_v_per_k: list[float] = Field(
        description="dOCV/dT at the OCV table's soc points [V/K]"
    )


class AgeingParameters(BaseModel):
    """Semi-empirical calendar + cycle ageing (see :mod:`packlife.models.ageing`).

    Calendar capacity loss:
    ``q_cal = k_cal · exp(-ea_cal/R (1/T - 1/T_ref)) · f_soc(soc) · t_days^z_cal``.
    Cycle capacity loss: ``q_cyc = k_cyc · f_T · f_dod · f_c · efc^z_cyc``.
    Resistance growth is proportional to each loss through ``r_per_q_cal`` / ``r_per_q_cyc``.
    ``f_soc = 1 + a (soc - 0.5) + b (soc - 0.5)^2 + c (soc - 0.5)^3`` (floored at 0.05),
    ``f_T = exp(-ea_cyc/R (1/T - 1/T_ref)) · exp(c_lt · max(T_ref - T, 0))`` with
    ``c_lt = cyc_low_temperature_coeff_per_k`` (lithium plating at low temperature),
    ``f_dod = (dod / reference_dod)^dod_exponent``,
    ``f_c = exp(c_rate_coeff · (c_rate - reference_c_rate))``.
    """

    model_config = ConfigDict(extra="forbid")
    k_cal_per_day_z: float = Field(ge=0)
    z_cal: float = Field(gt=0, le=1.5)
    ea_cal_j_per_mol: float = Field(ge=0)
    soc_stress_a: float = Field(
        description="f_soc = 1 + a (soc - 0.5) + b (soc - 0.5)^2 + c (soc - 0.5)^3"
    )
    soc_stress_b: float = 0.0
    soc_stress_c: float = Field(0.0, description="cubic term: + c (soc - 0.5)^3 in f_soc")
    k_cyc_per_efc_z: float = Field(ge=0)
    z_cyc: float = Field(gt=0, le=1.5)
    ea_cyc_j_per_mol: float = 0.0
    cyc_low_temperature_coeff_per_k: float = Field(
        0.0, description="extra stress below t_ref: exp(c · max(t_ref - T, 0))"
    )
    dod_exponent: float = Field(0.0, ge=0, description="f_dod = (dod / reference_dod)^dod_exponent")
    reference_dod: float = Field(0.8, gt=0, le=1)
    c_rate_coeff: float = Field(
        0.0, ge=0, description="f_c = exp(c_rate_coeff · (c_rate - reference_c_rate))"
    )
    reference_c_rate: float = Field(1.0, ge=0)
    reference_temperature_c: float = 25.0
    r_per_q_cal: float = Field(0.0, ge=0)
    r_per_q_cyc: float = Field(0.0, ge=0)
    knee_soh: float | None = Field(None, gt=0, lt=1)
    knee_acceleration: float = Field(1.0, ge=1)


class AgeingModel(BaseModel):
    """One ageing parameter file (``chemistry/data/ageing/<id>.toml``)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    chemistry: Chemistry
    reference_cell: str
    parameters: AgeingParameters
    fit_rmse_pct: dict[str, float] = Field(
        default_factory=dict, description="RMSE per fitted curve [percentage points]"
    )
    sources: list[Source] = Field(min_length=1)
    estimated_fields: list[EstimatedField] = Field(default_factory=list)


class ParameterSet(BaseModel):
    """One chemistry parameter set (a TOML file)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    chemistry: Chemistry
    reference_cell: str = Field(description="the cell the parameters were measured/fitted on")
    cell_capacity_ah: float = Field(gt=0)
    min_cell_voltage_v: float = Field(gt=1.0, lt=4.5)
    max_cell_voltage_v: float = Field(gt=2.0, lt=5.0)
    self_discharge_per_month: float = Field(ge=0, le=0.2)
    ocv: OcvTable
    ecm: EcmTable
    thermal: Thermal
    derating: Derating
    ageing_model: str = Field(description="id of the ageing model in chemistry/data/ageing")
    sources: list[Source] = Field(min_length=1)
    estimated_fields: list[EstimatedField] = Field(default_factory=list)
    fit: dict[str, float] = Field(
        default_factory=dict, description="fit quality figures written by the fitting script"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ParameterSet:
        if self.min_cell_voltage_v >= self.max_cell_voltage_v:
            raise ValueError("min_cell_voltage_v must be below max_cell_voltage_v")
        if len(self.thermal.entropic_coefficient_v_per_k) != len(self.ocv.soc):
            raise ValueError("thermal.entropic_coefficient_v_per_k needs one value per ocv.soc")
        return self
