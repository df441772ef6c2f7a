"""Building the engine's arrays from catalog packs with their measured state of health."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from packlife._typing import FloatArray
from packlife.catalog import PackModel, get_pack_model
from packlife.chemistry import get_ageing_model, get_parameter_set
from packlife.datafiles import STRICT_CONFIG
from packlife.errors import ConsistencyError
from packlife.models.ageing import ageing_parameter_vector, second_life_state
from packlife.models.power_electronics import DCDC_DEFAULT
from packlife.simulation import layout as K
from packlife.simulation.tables import S_OCV25, SOC_STEP, ChemistryTables, build_tables

#: Thermal conductance to ambient per kg of pack [W/K/kg] by cooling type: (always, extra when
#: active cooling runs). Estimates: ~3 m² pack surface at 4–5 W/m²K natural convection for 300 kg
#: (≈0.04 W/K/kg); forced air ≈ 3× that; a liquid loop with a chiller ≈ 0.5 W/K/kg.
COOLING_CONDUCTANCE_W_PER_K_KG = {
    "passive": (0.04, 0.0),
    "air": (0.04, 0.12),
    "liquid": (0.04, 0.5),
}
#: Effective specific heat of a pack incl. housing and busbars [J/(kg·K)] (cells ≈ 1,000–1,100,
#: aluminium housing ≈ 900).
PACK_SPECIFIC_HEAT_J_PER_KG_K = 1000.0
ACTIVE_COOLING_ON_C = 30.0


class PackSpec(BaseModel):
    """One pack (or module) in a system: a catalog model in a measured state.

    Attributes
    ----------
    catalog_id : str
        Catalog model id.
    serial : str, optional
        Identifier of the physical pack.
    soh : float
        Measured capacity as a fraction of the new rating [0–1].
    resistance_growth : float
        Measured resistance as a factor of new (1.0 = new).
    soc_initial : float
        State of charge at the start [0–1].
    temperature_initial_c : float, optional
        Temperature at the start [°C] (default: the ambient).
    converter_rated_kw : float, optional
        Rating of the pack's DC/DC converter [kW] (default: the pack's max discharge power).
    faulted : bool
        A faulted pack is isolated (never joined) and carries no power.
    """

    model_config = STRICT_CONFIG
    catalog_id: str = Field(min_length=1, max_length=64)
    serial: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    soh: float = Field(1.0, gt=0.2, le=1.0)
    resistance_growth: float = Field(1.0, ge=0.8, le=5.0)
    soc_initial: float = Field(0.5, ge=0.0, le=1.0)
    temperature_initial_c: float | None = Field(None, ge=-40, le=70)
    converter_rated_kw: float | None = Field(None, gt=0, le=10000)
    faulted: bool = False


@dataclass
class PackSystem:
    """Engine arrays for a batch of systems with the same number of packs.

    Attributes
    ----------
    P : ndarray (n_sys, n_packs, N_P)
        Pack parameters (see :mod:`packlife.simulation.layout` index constants).
    S : ndarray (n_sys, n_packs, N_S)
        Initial pack state.
    tables : ChemistryTables
        The chemistry tables the packs index into.
    specs : list of list of PackSpec
        The packs of each system.
    models : list of PackModel
        Catalog entry of each pack of system 0 (for reports).
    """

    P: FloatArray
    S: FloatArray
    tables: ChemistryTables
    specs: list[list[PackSpec]]
    models: list[PackModel]

    @property
    def n_systems(self) -> int:
        return int(self.P.shape[0])

    @property
    def n_packs(self) -> int:
        return int(self.P.shape[1])


def soc_window(pack: PackModel) -> tuple[float, float]:
    """SoC window that reproduces the OEM usable energy, split evenly at top and bottom."""
    margin = (1.0 - pack.usable_fraction) / 2.0
    return margin, 1.0 - margin


def build_systems(
    systems: list[list[PackSpec]],
    ambient_c: float = 25.0,
    converter: tuple[float, float, float] = DCDC_DEFAULT,
) -> PackSystem:
    """Build engine arrays for one or more systems.

    Parameters
    ----------
    systems : list of list of PackSpec
        Packs of each system; every system must have the same number of packs.
    ambient_c : float
        Initial temperature of packs that do not state one [°C].
    converter : tuple of float
        Notton loss coefficients (k0, k1, k2) of the per-pack DC/DC converters.
    """
    if not systems or not systems[0]:
        raise ConsistencyError("a system needs at least one pack")
    n_packs = len(systems[0])
    if any(len(s) != n_packs for s in systems):
        raise ConsistencyError("every system of a batch must have the same number of packs")
    set_ids: list[str] = []
    model_cache: dict[str, PackModel] = {}
    for spec in (sp for sys in systems for sp in sys):
        if spec.catalog_id not in model_cache:
            model_cache[spec.catalog_id] = get_pack_model(spec.catalog_id)
            ps_id = model_cache[spec.catalog_id].parameter_set
            if ps_id not in set_ids:
                set_ids.append(ps_id)
    tables = build_tables([get_parameter_set(i) for i in set_ids])
    P = np.zeros((len(systems), n_packs, K.N_P))
    S = np.zeros((len(systems), n_packs, K.N_S))
    for b, sys in enumerate(systems):
        for q, spec in enumerate(sys):
            model = model_cache[spec.catalog_id]
            P[b, q] = _pack_parameters(model, spec, set_ids.index(model.parameter_set), converter)
            S[b, q] = _pack_state(model, spec, P[b, q], tables, ambient_c)
    ocv25 = tables.soc_tables[:, S_OCV25]
    steepest = np.max(np.diff(ocv25, axis=1), axis=1) / SOC_STEP  # per cell, per set
    P[:, :, K.P_DOCV_DSOC_MAX] = P[:, :, K.P_SERIES] * steepest[P[:, :, K.P_SET].astype(int)]
    return PackSystem(
        P=P,
        S=S,
        tables=tables,
        specs=systems,
        models=[model_cache[s.catalog_id] for s in systems[0]],
    )


def _pack_parameters(
    model: PackModel, spec: PackSpec, set_index: int, converter: tuple[float, float, float]
) -> FloatArray:
    pset = get_parameter_set(model.parameter_set)
    p = np.zeros(K.N_P)
    series = float(model.series_cells)
    cell_cap = pset.cell_capacity_ah
    parallel_equiv = model.rated_capacity_ah / cell_cap
    soc_min, soc_max = soc_window(model)
    g_passive, g_active = COOLING_CONDUCTANCE_W_PER_K_KG[model.cooling]
    p[K.P_SET] = set_index
    p[K.P_SERIES] = series
    p[K.P_R_SCALE] = series / parallel_equiv
    p[K.P_C_SCALE] = parallel_equiv / series
    p[K.P_CAP_NEW_AH] = model.rated_capacity_ah
    p[K.P_V_MIN] = model.min_voltage_v
    p[K.P_V_MAX] = model.max_voltage_v
    p[K.P_I_DIS_MAX] = model.max_discharge_power_kw * 1000.0 / model.nominal_voltage_v
    p[K.P_I_CH_MAX] = model.max_charge_power_kw * 1000.0 / model.nominal_voltage_v
    # the kW rating holds as a power at the actual voltage, the current limit at nominal voltage
    p[K.P_P_DIS_MAX_W] = model.max_discharge_power_kw * 1000.0
    p[K.P_P_CH_MAX_W] = model.max_charge_power_kw * 1000.0
    p[K.P_SOC_MIN] = soc_min
    p[K.P_SOC_MAX] = soc_max
    p[K.P_HEAT_CAP] = model.mass_kg * PACK_SPECIFIC_HEAT_J_PER_KG_K
    p[K.P_G_PASSIVE] = g_passive * model.mass_kg
    p[K.P_G_ACTIVE] = g_active * model.mass_kg
    p[K.P_COOL_ON_C] = ACTIVE_COOLING_ON_C
    rated_kw = spec.converter_rated_kw or model.max_discharge_power_kw
    p[K.P_CONV_RATED_W] = rated_kw * 1000.0
    p[K.P_CONV_K0], p[K.P_CONV_K1], p[K.P_CONV_K2] = converter
    p[K.P_T_MAX_C] = model.max_temperature_c
    p[K.P_JOINED] = 0.0 if spec.faulted else 1.0
    return p


def _pack_state(
    model: PackModel, spec: PackSpec, p: FloatArray, tables: ChemistryTables, ambient_c: float
) -> FloatArray:
    pset = get_parameter_set(model.parameter_set)
    ageing_params = get_ageing_model(pset.ageing_model).parameters
    q_cal, q_cyc, r_growth = second_life_state(
        spec.soh, spec.resistance_growth, ageing_parameter_vector(ageing_params)
    )
    s = np.zeros(K.N_S)
    s[K.S_SOC] = spec.soc_initial
    s[K.S_TEMP] = ambient_c if spec.temperature_initial_c is None else spec.temperature_initial_c
    s[K.S_QCAL] = q_cal
    s[K.S_QCYC] = q_cyc
    s[K.S_RG] = r_growth
    s[K.S_CAP_AH] = p[K.P_CAP_NEW_AH] * spec.soh
    s[K.S_HC_START] = spec.soc_initial
    s[K.S_EXT] = spec.soc_initial
    s[K.S_DIR] = 0.0
    return s
