"""Chemistry tables resampled onto the engine's uniform grids (fast direct-index lookup).

All parameter sets are resampled onto one SoC grid (0–1, 101 points) and one temperature grid
(−20…60 °C, 5 K steps). Tables are clamped at the edges of the data they came from: outside a set's
measured temperature range the nearest measured row is used (no extrapolation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from packlife._typing import FloatArray
from packlife.chemistry import ParameterSet, get_ageing_model
from packlife.models.ageing import ageing_parameter_vector

SOC_GRID = np.linspace(0.0, 1.0, 101)
TEMP_GRID = np.arange(-20.0, 60.0 + 1e-9, 5.0)
SOC_STEP = SOC_GRID[1] - SOC_GRID[0]
TEMP_0 = float(TEMP_GRID[0])
TEMP_STEP = float(TEMP_GRID[1] - TEMP_GRID[0])
REFERENCE_TEMPERATURE_C = 25.0

# indices into the stacked electrical tables (n_sets, N_TABLES, n_temp, n_soc)
T_OCV, T_R0, T_R1, T_C1, T_R2, T_C2 = range(6)
N_TABLES = 6
# indices into the per-set 1-D soc tables (n_sets, N_SOC_TABLES, n_soc)
S_E25, S_OCV25, S_DUDT, S_DER_DIS, S_DER_CH = range(5)
N_SOC_TABLES = 5
# indices into the per-set temperature tables (n_sets, N_TEMP_TABLES, n_temp)
D_DIS, D_CH = range(2)
N_TEMP_TABLES = 2


def _resample(t_axis: list[float], s_axis: list[float], table: list[list[float]]) -> FloatArray:
    """Resample a [temperature, soc] table onto (TEMP_GRID, SOC_GRID), clamped at the edges."""
    arr = np.asarray(table, dtype=float)
    s_axis_a = np.asarray(s_axis, dtype=float)
    by_soc = np.array([np.interp(SOC_GRID, s_axis_a, row) for row in arr])
    if len(t_axis) == 1:
        return np.repeat(by_soc, TEMP_GRID.size, axis=0)
    t_a = np.asarray(t_axis, dtype=float)
    out = np.empty((TEMP_GRID.size, SOC_GRID.size))
    for j in range(SOC_GRID.size):
        out[:, j] = np.interp(TEMP_GRID, t_a, by_soc[:, j])
    return out


@dataclass(frozen=True)
class ChemistryTables:
    """Stacked, resampled tables of the parameter sets a run uses (all per cell).

    Attributes
    ----------
    set_ids : list of str
        Parameter-set id of each stacked index.
    electrical : ndarray, shape (n_sets, 6, n_temp, n_soc)
        OCV [V], R0/R1/R2 [Ω], C1/C2 [F] (C2 = 1 F and R2 = 0 when a set has one RC pair).
    soc_tables : ndarray, shape (n_sets, 5, n_soc)
        Cumulative energy ∫OCV₂₅ dsoc [Wh/Ah], OCV at 25 °C [V], entropic coefficient [V/K],
        discharge and charge derating fraction vs soc.
    temp_tables : ndarray, shape (n_sets, 2, n_temp)
        Discharge and charge derating fraction vs temperature.
    ageing : ndarray, shape (n_sets, n_ageing_params)
        Ageing parameter vectors (see :mod:`packlife.models.ageing`).
    self_discharge_per_s : ndarray, shape (n_sets,)
        Self-discharge as a fraction of capacity per second.
    """

    set_ids: list[str]
    electrical: FloatArray
    soc_tables: FloatArray
    temp_tables: FloatArray
    ageing: FloatArray
    self_discharge_per_s: FloatArray


def build_tables(parameter_sets: list[ParameterSet]) -> ChemistryTables:
    """Resample and stack the given parameter sets for the engine."""
    n = len(parameter_sets)
    elec = np.empty((n, N_TABLES, TEMP_GRID.size, SOC_GRID.size))
    soc_tab = np.empty((n, N_SOC_TABLES, SOC_GRID.size))
    temp_tab = np.empty((n, N_TEMP_TABLES, TEMP_GRID.size))
    ageing_rows = []
    sd = np.empty(n)
    for k, ps in enumerate(parameter_sets):
        ocv, ecm = ps.ocv, ps.ecm
        elec[k, T_OCV] = _resample(ocv.temperature_c, ocv.soc, ocv.voltage_v)
        elec[k, T_R0] = _resample(ecm.temperature_c, ecm.soc, ecm.r0_ohm)
        elec[k, T_R1] = _resample(ecm.temperature_c, ecm.soc, ecm.r1_ohm)
        elec[k, T_C1] = _resample(ecm.temperature_c, ecm.soc, ecm.c1_f)
        if ecm.r2_ohm is not None and ecm.c2_f is not None:
            elec[k, T_R2] = _resample(ecm.temperature_c, ecm.soc, ecm.r2_ohm)
            elec[k, T_C2] = _resample(ecm.temperature_c, ecm.soc, ecm.c2_f)
        else:
            elec[k, T_R2] = 0.0
            elec[k, T_C2] = 1.0
        ocv25 = _ocv_at_reference(ocv.temperature_c, ocv.soc, ocv.voltage_v)
        soc_tab[k, S_E25] = _cumulative_energy(ocv25)
        soc_tab[k, S_OCV25] = ocv25
        soc_tab[k, S_DUDT] = np.interp(SOC_GRID, ocv.soc, ps.thermal.entropic_coefficient_v_per_k)
        der = ps.derating
        soc_tab[k, S_DER_DIS] = np.interp(SOC_GRID, der.soc, der.discharge_fraction_vs_soc)
        soc_tab[k, S_DER_CH] = np.interp(SOC_GRID, der.soc, der.charge_fraction_vs_soc)
        temp_tab[k, D_DIS] = np.interp(
            TEMP_GRID, der.temperature_c, der.discharge_fraction_vs_temperature
        )
        temp_tab[k, D_CH] = np.interp(
            TEMP_GRID, der.temperature_c, der.charge_fraction_vs_temperature
        )
        ageing_rows.append(ageing_parameter_vector(get_ageing_model(ps.ageing_model).parameters))
        sd[k] = ps.self_discharge_per_month / (30.4375 * 86400.0)
    return ChemistryTables(
        set_ids=[p.id for p in parameter_sets],
        electrical=elec,
        soc_tables=soc_tab,
        temp_tables=temp_tab,
        ageing=np.vstack(ageing_rows),
        self_discharge_per_s=sd,
    )


def _ocv_at_reference(
    t_axis: list[float], s_axis: list[float], table: list[list[float]]
) -> FloatArray:
    """OCV at 25 °C on SOC_GRID (clamped to the table's temperature range)."""
    full = _resample(t_axis, s_axis, table)
    j = int(round((REFERENCE_TEMPERATURE_C - TEMP_0) / TEMP_STEP))
    return np.asarray(full[j], dtype=np.float64)


def _cumulative_energy(ocv_on_grid: FloatArray) -> FloatArray:
    """∫₀^soc OCV ds at the SOC_GRID points [Wh per Ah] (exact for a piecewise-linear OCV).

    Between grid points the engine adds the exact quadratic term (:func:`energy_per_ah`), so the
    stored energy is the exact integral of the piecewise-linear OCV everywhere.
    """
    seg = 0.5 * (ocv_on_grid[1:] + ocv_on_grid[:-1]) * SOC_STEP
    return np.concatenate(([0.0], np.cumsum(seg)))


@njit(cache=True, error_model="numpy", inline="always")
def soc_position(soc: float) -> tuple[int, float]:
    """Grid index and weight of ``soc`` on SOC_GRID (clamped)."""
    f = soc / 0.01
    if f <= 0.0:
        return 0, 0.0
    if f >= 100.0:
        return 99, 1.0
    i = int(f)
    return i, f - i


@njit(cache=True, error_model="numpy", inline="always")
def temp_position(temperature_c: float) -> tuple[int, float]:
    """Grid index and weight of ``temperature_c`` on TEMP_GRID (clamped)."""
    f = (temperature_c + 20.0) / 5.0
    if f <= 0.0:
        return 0, 0.0
    if f >= 16.0:
        return 15, 1.0
    j = int(f)
    return j, f - j


@njit(cache=True, error_model="numpy", inline="always")
def energy_per_ah(soc_tables: FloatArray, set_i: int, soc: float) -> float:
    """Stored energy per Ah of capacity per cell in series at ``soc`` [Wh/Ah]: ∫₀^soc OCV₂₅ ds.

    Exact integral of the piecewise-linear 25 °C OCV; extended linearly outside 0–1.
    """
    if soc <= 0.0:
        return float(soc_tables[set_i, S_OCV25, 0] * soc)
    if soc >= 1.0:
        return float(soc_tables[set_i, S_E25, 100] + soc_tables[set_i, S_OCV25, 100] * (soc - 1.0))
    i = int(soc / 0.01)
    if i > 99:
        i = 99
    x = soc - i * 0.01
    v0 = soc_tables[set_i, S_OCV25, i]
    v1 = soc_tables[set_i, S_OCV25, i + 1]
    return float(soc_tables[set_i, S_E25, i] + v0 * x + 0.5 * (v1 - v0) / 0.01 * x * x)


@njit(cache=True, error_model="numpy", inline="always")
def table_bilinear(tab: FloatArray, k: int, t: int, j: int, wt: float, i: int, ws: float) -> float:
    """Bilinear lookup in ``tab[k, t]`` (a temperature × soc table) without making views."""
    a = tab[k, t, j, i] + ws * (tab[k, t, j, i + 1] - tab[k, t, j, i])
    b = tab[k, t, j + 1, i] + ws * (tab[k, t, j + 1, i + 1] - tab[k, t, j + 1, i])
    return float(a + wt * (b - a))


@njit(cache=True, error_model="numpy", inline="always")
def table_linear(tab: FloatArray, k: int, t: int, i: int, w: float) -> float:
    """Linear lookup in the 1-D table ``tab[k, t]``."""
    return float(tab[k, t, i] + w * (tab[k, t, i + 1] - tab[k, t, i]))
