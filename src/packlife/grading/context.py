"""What grading needs beyond the file (:class:`GradeContext`), and building it from a catalog
model (ratings, OCV table and its dOCV/dT, the new unit's 10-s resistance)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from packlife.chemistry.schema import ParameterSet
from packlife.errors import PacklifeError
from packlife.grading.ica import IcaCurve
from packlife.grading.policy import GradingPolicy, load_policy
from packlife.io.bms import BmsSnapshot
from packlife.models.interp import interp2


@dataclass
class GradeContext:
    """What grading needs beyond the file: ratings, OCV table, references, policy, history.

    ``ocv_v`` and ``reference_dcir_mohm`` are at the level of the tested unit (cell voltage ×
    ``series_cells``); ``series_cells`` converts unit voltages to cell voltages.
    ``reference_r10_table`` = (temperature_c axis, soc axis, table [mΩ]) of the new unit's 10-s
    resistance; when given it replaces ``reference_dcir_mohm`` (evaluated at each pulse's SoC
    and temperature). ``test_temperature_c`` is the test temperature for files without a
    ``temperature_c`` column (25 °C is assumed if neither is known). ``ocv_dvdt`` = (soc axis,
    dOCV/dT [V/K] at the unit's level) moves the OCV table, taken at ``ocv_temperature_c``, to
    the test temperature for the ≤ 15-min estimate. ``voltage_window_v`` = (cut-off, charge
    limit) of the unit [V] (else the OCV table's ends): a capacity to the cut-off needs a
    record that reaches the top.
    """

    policy: GradingPolicy = field(default_factory=load_policy)
    rated_capacity_ah: float | None = None
    ocv_soc: np.ndarray | None = None
    ocv_v: np.ndarray | None = None
    ocv_dvdt: tuple[np.ndarray, np.ndarray] | None = None
    ocv_temperature_c: float = 25.0
    voltage_window_v: tuple[float, float] | None = None
    reference_dcir_mohm: float | None = None
    reference_r0_mohm: float | None = None
    reference_r10_table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    series_cells: int = 1
    test_temperature_c: float | None = None
    calendar_limit_years: float | None = None
    history: dict[str, BmsSnapshot] = field(default_factory=dict)
    today: dt.date | None = None
    rest_current_a: float | None = None
    ica_reference: IcaCurve | None = None


def context_from_catalog(
    catalog_id: str, level: str = "pack", policy: GradingPolicy | None = None
) -> GradeContext:
    """Context from a catalog entry and its chemistry parameter set (OCV and R at 25 °C, 50 %).

    ``level`` is ``cell`` (one cell of that model) or ``pack`` (the catalog unit itself, which
    is a module for module entries).
    """
    from packlife.catalog import get_pack_model
    from packlife.chemistry import get_parameter_set

    if level not in ("cell", "pack"):
        raise PacklifeError(f"unknown level {level!r}; expected 'cell' or 'pack'")
    pack = get_pack_model(catalog_id)
    pset = get_parameter_set(pack.parameter_set)
    series, parallel = (1, 1) if level == "cell" else (pack.series_cells, pack.parallel_cells)
    temps = np.asarray(pset.ocv.temperature_c, dtype=float)
    table = np.asarray(pset.ocv.voltage_v, dtype=float)
    row = table[0] if temps.size == 1 else np.array([np.interp(25.0, temps, c) for c in table.T])
    r10_table = _r10_table_mohm(pset) * series / parallel
    ecm_t, ecm_s = np.asarray(pset.ecm.temperature_c), np.asarray(pset.ecm.soc)
    return GradeContext(
        policy=load_policy() if policy is None else policy,
        rated_capacity_ah=pack.cell_capacity_ah if level == "cell" else pack.rated_capacity_ah,
        ocv_soc=np.asarray(pset.ocv.soc, dtype=float),
        ocv_v=row * series,
        voltage_window_v=(pset.min_cell_voltage_v * series, pset.max_cell_voltage_v * series),
        ocv_dvdt=(
            np.asarray(pset.ocv.soc, dtype=float),
            np.asarray(pset.thermal.entropic_coefficient_v_per_k, dtype=float) * series,
        ),
        reference_dcir_mohm=float(
            interp2(ecm_t, ecm_s, r10_table, np.array([25.0]), np.array([0.5]))[0]
        ),
        reference_r10_table=(ecm_t, ecm_s, r10_table),
        reference_r0_mohm=float(
            interp2(
                ecm_t,
                ecm_s,
                np.asarray(pset.ecm.r0_ohm, dtype=float) * 1000.0 * series / parallel,
                np.array([25.0]),
                np.array([0.5]),
            )[0]
        ),
        series_cells=series,
        calendar_limit_years=pack.calendar_life_years,
    )


def _r10_table_mohm(pset: ParameterSet) -> np.ndarray:
    """10-s step-response resistance of the ECM, ``R0 + Σ Rk (1 − exp(−10 s / (Rk Ck)))`` [mΩ]."""
    ecm = pset.ecm
    table = np.asarray(ecm.r0_ohm, dtype=float).copy()
    pairs = [(ecm.r1_ohm, ecm.c1_f)]
    if ecm.r2_ohm is not None and ecm.c2_f is not None:
        pairs.append((ecm.r2_ohm, ecm.c2_f))
    for r_tab, c_tab in pairs:
        r, c = np.asarray(r_tab, dtype=float), np.asarray(c_tab, dtype=float)
        table += r * (1.0 - np.exp(-10.0 / (r * c)))
    return table * 1000.0
