"""Generate the nmc_generic / lfp_generic / nca_generic parameter-set TOML files.

Usage: python scripts/generate_parameter_sets.py src/packlife/chemistry/data
(the derivation behind each table is described in docs/catalog.md)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

OUT = Path(sys.argv[1])
R_GAS = 8.314462618
T_ROWS = [-20.0, -10.0, 0.0, 10.0, 25.0, 40.0, 55.0]
TAU1_S = 20.0  # estimated RC time constant
R0_FRACTION = 0.5  # estimated ohmic share of the tabulated DC resistance


def kelvin(t_c: float) -> float:
    return t_c + 273.15


def arrhenius(t_c: float, ea: float, t_ref_c: float = 25.0) -> float:
    return math.exp(ea / R_GAS * (1.0 / kelvin(t_c) - 1.0 / kelvin(t_ref_c)))


# ---------------------------------------------------------------- OCV sources
def sigmoid_ocv(soc, p):
    a1, a2, a3, a4, b1, b2, k0, k1, k2, k3, k4, k5 = p
    return (
        k0
        + k1 / (1 + np.exp(a1 * (soc - b1)))
        + k2 / (1 + np.exp(a2 * (soc - b2)))
        + k3 / (1 + np.exp(a3 * (soc - 1)))
        + k4 / (1 + np.exp(a4 * soc))
        + k5 * soc
    )


SAMSUNG94_P = (3.3479, -6.7241, 2.5958, -61.9684, 0.6350, 1.4376,
               4.5868, 3.1768, -3.8418, -4.6932, 0.3618, 0.9949)
PANASONIC_NCA_P = (-0.3777, 10.2859, 17.0608, -3.7820, -5.6272, 0.2907,
                   4.9852, -2.86523, 0.3852, -0.1599, 1.2256, 0.7412)

# Sony/Murata US26650FTC1 OCV (SimSES-lite CLFP_Sony_US26650_OCV.csv), subsampled, not interpolated.
LFP_OCV = [
    (0.0, 2.28619131438583), (0.01, 2.7833414745785), (0.02, 2.89523772384625),
    (0.03, 2.96734728508958), (0.05, 3.06470488441242), (0.07, 3.13167433362988),
    (0.1, 3.19666175837117), (0.15, 3.21199877322752), (0.2, 3.23434579082356),
    (0.25, 3.2546734440124), (0.3, 3.2702790859448), (0.35, 3.28259786541323),
    (0.4, 3.29212228007289), (0.45, 3.29727369476017), (0.5, 3.29947505072677),
    (0.55, 3.30137463741098), (0.6, 3.30347311020931), (0.65, 3.30630035945494),
    (0.7, 3.31081776500347), (0.75, 3.31854396030643), (0.8, 3.33447327654831),
    (0.85, 3.34026558754017), (0.9, 3.34246816695146), (0.95, 3.34468822019055),
    (0.98, 3.34865826751269), (0.99, 3.36180438667598), (0.995, 3.39626802114163),
    (1.0, 3.53048971293788),
]
LFP_ENTROPY = (  # SimSES-lite CLFP_Sony_US26650_entropy.csv [V/K] at soc 0, 0.1, ..., 1
    [-0.0004900114285714, -0.0001639571428571, -0.0001176328571428, -4.44142857142829e-05,
     9.750285714286e-05, 0.00011027, 0.0001286514285714, 0.00014535, 9.96285714285719e-05,
     8.36442857142826e-05, 0.0001180685714285]
)
# SimSES-lite CLFP_Sony_US26650_Rint.csv, discharge columns, soc 0..1 step 0.1, T = 10/25/40 °C.
LFP_RINT_T = [10.0, 25.0, 40.0]
LFP_RINT = {
    10.0: [0.194952789, 0.194952789, 0.080774939, 0.075055233, 0.074809788, 0.069390124,
           0.065120954, 0.061503438, 0.064822427, 0.061432462, 0.061432462],
    25.0: [0.061685557, 0.061685557, 0.050374992, 0.048845551, 0.051762822, 0.047827935,
           0.04426628, 0.041785842, 0.046555916, 0.042546505, 0.042546505],
    40.0: [0.044090174, 0.044090174, 0.038430102, 0.037541588, 0.040018594, 0.038375676,
           0.035121551, 0.032894641, 0.037723435, 0.033978319, 0.033978319],
}
# SimSES-lite NCA_PanasonicNCR_Rint.csv R_dch at soc 0, 0.05, 0.1, ..., 1.0 (one temperature).
NCA_SOC = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
NCA_RINT = [0.541090909090909, 0.238237796143251, 0.125822155986091, 0.0875994038748137,
            0.0775050173869847, 0.0651540983606556, 0.0619692001987084, 0.0792441288913162,
            0.0769781536293163, 0.0726669642414321, 0.0698181818181817, 0.0698181818181816]


# O'Regan et al. 2022 electrode entropic fits (LG M50), Chen et al. 2020 stoichiometry windows.
def nmc_entropic(soc: np.ndarray) -> np.ndarray:
    x = 0.0279 + soc * (0.9014 - 0.0279)
    y = 0.9084 - soc * (0.9084 - 0.2661)
    dup = 0.04006 * np.exp(-((y - 0.2828) ** 2) / 0.0009855) - 0.06656 * np.exp(
        -((y - 0.8032) ** 2) / 0.02179
    )
    dun = -0.1112 * x + 0.02914 + 0.3561 * np.exp(-((x - 0.08309) ** 2) / 0.004616)
    return (dup - dun) / 1000.0


def rc_tables(r_ref: np.ndarray, ea0: float, ea1: float) -> dict[str, list[list[float]]]:
    """R0/R1/C1 rows for T_ROWS from 25 °C DC resistance per soc, Arrhenius per branch."""
    r0 = [[round(float(R0_FRACTION * r * arrhenius(t, ea0)), 6) for r in r_ref] for t in T_ROWS]
    r1 = [[round(float((1 - R0_FRACTION) * r * arrhenius(t, ea1)), 6) for r in r_ref]
          for t in T_ROWS]
    c1 = [[round(TAU1_S / v, 1) for v in row] for row in r1]
    return {"r0_ohm": r0, "r1_ohm": r1, "c1_f": c1}


def lfp_rc_tables() -> tuple[dict[str, list[list[float]]], dict[str, float]]:
    """Measured 10/25/40 °C rows; outside that range extrapolate from the nearest measured row
    with one Arrhenius activation energy fitted to the three measured rows."""
    inv_t = np.array([1 / kelvin(t) for t in LFP_RINT_T])
    logs = np.log(np.array([LFP_RINT[t] for t in LFP_RINT_T]))  # [3, 11]
    eas, resid = [], []
    for j in range(logs.shape[1]):
        slope, icept = np.polyfit(inv_t, logs[:, j], 1)
        eas.append(slope * R_GAS)
        resid.extend(np.exp(logs[:, j] - (slope * inv_t + icept)) - 1.0)
    eas_a = np.array(eas)
    # pooled slope (one activation energy, per-soc intercepts) keeps the measured soc shape
    xc = inv_t - inv_t.mean()
    yc = logs - logs.mean(axis=0)
    ea_pooled = float((xc @ yc).sum() / (xc @ xc) / logs.shape[1]) * R_GAS
    rint = []
    for t in T_ROWS:
        if t in LFP_RINT:
            rint.append(np.array(LFP_RINT[t]))
        else:
            edge = 10.0 if t < 10.0 else 40.0
            fac = math.exp(ea_pooled / R_GAS * (1 / kelvin(t) - 1 / kelvin(edge)))
            rint.append(np.array(LFP_RINT[edge]) * fac)
    r0 = [[round(float(R0_FRACTION * v), 6) for v in row] for row in rint]
    r1 = [[round(float((1 - R0_FRACTION) * v), 6) for v in row] for row in rint]
    c1 = [[round(TAU1_S / v, 1) for v in row] for row in r1]
    fit = {
        "rint_arrhenius_ea_pooled_j_per_mol": round(ea_pooled, 0),
        "rint_arrhenius_ea_per_soc_min_j_per_mol": round(float(eas_a.min()), 0),
        "rint_arrhenius_ea_per_soc_max_j_per_mol": round(float(eas_a.max()), 0),
        "rint_arrhenius_fit_rms_error_pct": round(
            float(np.sqrt(np.mean(np.square(resid))) * 100), 2),
    }
    return {"r0_ohm": r0, "r1_ohm": r1, "c1_f": c1}, fit


# ---------------------------------------------------------------- TOML writing
def fmt(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        if v and isinstance(v[0], list):
            return "[\n" + "".join(f"  {fmt(r)},\n" for r in v) + "]"
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    raise TypeError(v)


def table(name: str, d: dict[str, object]) -> str:
    return f"\n[{name}]\n" + "".join(f"{k} = {fmt(v)}\n" for k, v in d.items())


def aot(name: str, items: list[dict[str, str]]) -> str:
    return "".join(f"\n[[{name}]]\n" + "".join(f"{k} = {fmt(v)}\n" for k, v in it.items())
                   for it in items)


def write(pid: str, header: str, top: dict[str, object], sections: dict[str, dict[str, object]],
          sources: list[dict[str, str]], estimated: list[dict[str, str]],
          fit: dict[str, float] | None = None) -> None:
    text = header + "".join(f"{k} = {fmt(v)}\n" for k, v in top.items())
    for name, sec in sections.items():
        text += table(name, sec)
    if fit:
        text += table("fit", fit)
    text += aot("sources", sources) + aot("estimated_fields", estimated)
    (OUT / f"{pid}.toml").write_text(text, encoding="utf-8")


DERATE_T = [-30.0, -20.0, -10.0, 0.0, 5.0, 10.0, 25.0, 45.0, 55.0, 60.0, 65.0]
DERATE_SOC = [0.0, 0.05, 0.1, 0.2, 0.8, 0.9, 0.95, 1.0]


def derating(dis_t: list[float], ch_t: list[float]) -> dict[str, object]:
    return {
        "temperature_c": DERATE_T,
        "discharge_fraction_vs_temperature": dis_t,
        "charge_fraction_vs_temperature": ch_t,
        "soc": DERATE_SOC,
        "discharge_fraction_vs_soc": [0.0, 0.3, 0.7, 1.0, 1.0, 1.0, 1.0, 1.0],
        "charge_fraction_vs_soc": [1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.4, 0.0],
    }


DERATE_REASON = (
    "generic BMS-style polyline, not a published table: discharge 0 at and below -20 °C and at "
    "and above 60 °C, charge 0 at and below 0 °C (lithium plating), charge taper above soc 0.8 "
    "and discharge taper below soc 0.2; typical of EV cell datasheets' operating windows"
)
ECM_EST = [
    {"field": "ecm.r0_ohm", "reason": (
        f"ohmic share {R0_FRACTION:.0%} of the tabulated DC resistance (typical HPPC split for "
        "Li-ion cells); the source gives only one lumped resistance")},
    {"field": "ecm.r1_ohm", "reason": (
        f"remaining {1 - R0_FRACTION:.0%} of the tabulated DC resistance, see ecm.r0_ohm")},
    {"field": "ecm.c1_f", "reason": (
        f"from an assumed RC time constant of {TAU1_S:.0f} s (C1 = tau / R1), typical of "
        "10-30 s HPPC relaxation fits")},
    {"field": "derating", "reason": DERATE_REASON},
]
DOI_CHEN = "https://doi.org/10.1149/1945-7111/ab9050"
DOI_OREGAN = "https://doi.org/10.1016/j.electacta.2022.140700"
SIMSES_LITE = "https://github.com/martincornejo/simses-lite"
SIMSES_PAPER = "https://doi.org/10.1016/j.est.2021.103743"


def nmc() -> None:
    soc = np.round(np.linspace(0.0, 1.0, 21), 4)
    ocv = np.round(sigmoid_ocv(soc, SAMSUNG94_P), 4)
    dudt = np.round(nmc_entropic(soc), 7)
    ecm_soc = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    r_ref = np.array([0.75e-3 * (1.0 + 1.0 * math.exp(-s / 0.08)) for s in ecm_soc])
    ecm = {"soc": ecm_soc, "temperature_c": T_ROWS, **rc_tables(r_ref, 15000.0, 40000.0)}
    write(
        "nmc_generic",
        "# NMC/graphite parameter set for large-format EV cells (reference: Samsung SDI 94 Ah\n"
        "# prismatic, the BMW i3 94 Ah cell). Generated once from the sources below; values per cell.\n",
        {
            "id": "nmc_generic",
            "name": "Generic NMC/graphite EV cell (Samsung SDI 94 Ah prismatic reference)",
            "chemistry": "nmc",
            "reference_cell": "Samsung SDI 94 Ah prismatic NMC111/graphite (BMW i3 2016-2018)",
            "cell_capacity_ah": 94.0,
            "min_cell_voltage_v": 2.7,
            "max_cell_voltage_v": 4.15,
            "self_discharge_per_month": 0.02,
            "ageing_model": "nmc_gr_ev",
        },
        {
            "ocv": {"soc": soc.tolist(), "temperature_c": [25.0], "voltage_v": [ocv.tolist()]},
            "ecm": ecm,
            "thermal": {"cell_mass_kg": 2.1, "specific_heat_j_per_kg_k": 1000.0,
                        "entropic_coefficient_v_per_k": dudt.tolist()},
            "derating": derating(
                [0.0, 0.0, 0.3, 0.6, 0.75, 0.9, 1.0, 1.0, 0.5, 0.0, 0.0],
                [0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 1.0, 1.0, 0.3, 0.0, 0.0]),
        },
        [
            {"url": f"{SIMSES_LITE}/blob/62d2003b8df6ba4d803846cefac09376f36bfe39/simses/model/cell/samsung94Ah_nmc.py",
             "supports": ("OCV(soc) sum-of-sigmoids fit of the Samsung 94 Ah cell (tabulated here "
                          "at 21 soc points), 94 Ah, 2.7-4.15 V, 2.1 kg, 1000 J/(kg K), "
                          "internal resistance 0.75 mOhm (SimSES cell model)")},
            {"url": SIMSES_PAPER,
             "supports": ("SimSES: Moeller et al., J. Energy Storage 49 (2022) 103743 - the "
                          "simulation framework the cell model comes from")},
            {"url": "https://pushevs.com/2018/04/05/samsung-sdi-94-ah-battery-cell-full-specifications/",
             "supports": "Samsung SDI 94 Ah cell specifications (NCM111, BMW i3 2016)"},
            {"url": DOI_OREGAN,
             "supports": ("entropic change fits of NMC811 and graphite electrodes (O'Regan et "
                          "al., Electrochim. Acta 425 (2022) 140700), combined into the full-cell "
                          "dOCV/dT; graphite exchange-current activation energy 40 kJ/mol")},
            {"url": DOI_CHEN,
             "supports": ("electrode stoichiometry windows at soc 0/1 (x 0.0279-0.9014, "
                          "y 0.9084-0.2661) used to map the electrode entropic fits onto soc")},
        ],
        [
            {"field": "thermal.entropic_coefficient_v_per_k", "reason": (
                "computed for a similar NMC/graphite cell (LG M50, O'Regan 2022 electrode fits "
                "with Chen 2020 stoichiometry windows); not measured on the 94 Ah cell")},
            {"field": "ecm (soc dependence)", "reason": (
                "the source gives a constant 0.75 mOhm; a rise to 2x at soc 0 "
                "(1 + exp(-soc/0.08)) is assumed, as in measured NMC HPPC data at low soc")},
            {"field": "ecm (temperature dependence)", "reason": (
                "Arrhenius from 25 °C: 15 kJ/mol for R0 (electrolyte conductivity) and 40 kJ/mol "
                "for R1 (graphite charge transfer, O'Regan 2022)")},
            *ECM_EST,
            {"field": "self_discharge_per_month", "reason": (
                "typical 1-3 %/month for NMC cells at 25 °C; SimSES models none")},
            {"field": "ageing_model", "reason": (
                "the 94 Ah cell has no public ageing fit; nmc_gr_ev has the stress dependencies of "
                "BLAST-Lite's law for a similar large-format NMC/graphite EV cell (NMC-Gr A, ~75 Ah "
                "pouch, fitted as nmc_gr_75ah_a) with its rate scaled so that a typical first life "
                "ends at SoH 0.80 (retired packs lose ~3 %/year on stationary duty under it). "
                "nmc_lgmj1 (LG MJ1 18650, harsh lab cycling) loses ~16 %/year on the same duty and is "
                "kept as the fitted MJ1 law")},
        ],
    )


def lfp() -> None:
    soc = np.array([s for s, _ in LFP_OCV])
    ocv = np.round(np.array([v for _, v in LFP_OCV]), 4)
    dudt = np.round(np.interp(soc, np.linspace(0, 1, 11), LFP_ENTROPY), 7)
    rc, fit = lfp_rc_tables()
    ecm = {"soc": [round(x, 1) for x in np.linspace(0, 1, 11)], "temperature_c": T_ROWS, **rc}
    write(
        "lfp_generic",
        "# LFP/graphite parameter set (reference: Sony/Murata US26650FTC1 3 Ah, measured at TUM).\n"
        "# Generated once from the sources below; values per cell.\n",
        {
            "id": "lfp_generic",
            "name": "Generic LFP/graphite cell (Sony/Murata US26650FTC1 reference)",
            "chemistry": "lfp",
            "reference_cell": "Sony/Murata US26650FTC1 3 Ah LFP/graphite 26650",
            "cell_capacity_ah": 3.0,
            "min_cell_voltage_v": 2.0,
            "max_cell_voltage_v": 3.6,
            "self_discharge_per_month": 0.015,
            "ageing_model": "lfp_generic",
        },
        {
            "ocv": {"soc": soc.tolist(), "temperature_c": [25.0], "voltage_v": [ocv.tolist()]},
            "ecm": ecm,
            "thermal": {"cell_mass_kg": 0.07, "specific_heat_j_per_kg_k": 1001.0,
                        "entropic_coefficient_v_per_k": dudt.tolist()},
            "derating": derating(
                [0.0, 0.0, 0.3, 0.6, 0.75, 0.9, 1.0, 1.0, 0.6, 0.0, 0.0],
                [0.0, 0.0, 0.0, 0.0, 0.2, 0.5, 1.0, 1.0, 0.3, 0.0, 0.0]),
        },
        [
            {"url": f"{SIMSES_LITE}/blob/e80c28909a865183718fdc13d6971dfc19235c2b/src/simses/model/cell/data/CLFP_Sony_US26650_OCV.csv",
             "supports": "OCV vs soc at 0.005 steps (28 of the published points are used unchanged)"},
            {"url": f"{SIMSES_LITE}/blob/e04aa49d87db462c28f0b7a6b5b6f53cfa785fd8/src/simses/model/cell/data/CLFP_Sony_US26650_Rint.csv",
             "supports": ("discharge DC resistance vs soc at 10/25/40 °C (rows 10/25/40 °C here are "
                          "these measurements, split into R0 and R1)")},
            {"url": f"{SIMSES_LITE}/blob/e80c28909a865183718fdc13d6971dfc19235c2b/src/simses/model/cell/data/CLFP_Sony_US26650_entropy.csv",
             "supports": "entropic coefficient dOCV/dT vs soc (interpolated onto the OCV soc points)"},
            {"url": f"{SIMSES_LITE}/blob/2170abd39efc3cc811990e2f65ead91fc018a029/src/simses/model/cell/sony_lfp.py",
             "supports": ("3.0 Ah, 3.2 V nominal, 2.0-3.6 V, 70 g, 1001 J/(kg K), operating "
                          "0-60 °C; data from the Sony US26650FTC1 specification and Naumann, "
                          "PhD thesis, TU Munich 2018")},
            {"url": SIMSES_PAPER,
             "supports": "SimSES (Moeller et al. 2022), origin of the cell model and its data"},
        ],
        [
            {"field": "ecm rows -20, -10, 0 and 55 °C", "reason": (
                "extrapolated from the nearest measured row (10 or 40 °C) with the "
                "Arrhenius activation energy (one pooled slope over all soc points) fitted to the 10/25/40 °C data (see [fit])")},
            *ECM_EST,
            {"field": "self_discharge_per_month", "reason": (
                "typical ~1-2 %/month for LFP at 25 °C; SimSES models none")},
        ],
        fit,
    )


def nca() -> None:
    soc = np.round(np.linspace(0.0, 1.0, 21), 4)
    ocv = np.round(sigmoid_ocv(soc, PANASONIC_NCA_P), 4)
    dudt = np.round(nmc_entropic(soc), 7)
    ecm = {"soc": NCA_SOC, "temperature_c": T_ROWS,
           **rc_tables(np.array(NCA_RINT), 15000.0, 40000.0)}
    write(
        "nca_generic",
        "# NCA/graphite parameter set (reference: Panasonic NCR18650PD-type 18650, Keil et al. 2016).\n"
        "# Generated once from the sources below; values per cell.\n",
        {
            "id": "nca_generic",
            "name": "Generic NCA/graphite cell (Panasonic NCR18650 reference)",
            "chemistry": "nca",
            "reference_cell": "Panasonic NCR18650PD 2.73 Ah NCA/graphite 18650 (Keil et al. 2016)",
            "cell_capacity_ah": 2.73,
            "min_cell_voltage_v": 2.5,
            "max_cell_voltage_v": 4.2,
            "self_discharge_per_month": 0.02,
            "ageing_model": "nca_generic",
        },
        {
            "ocv": {"soc": soc.tolist(), "temperature_c": [25.0], "voltage_v": [ocv.tolist()]},
            "ecm": ecm,
            "thermal": {"cell_mass_kg": 0.044, "specific_heat_j_per_kg_k": 1048.0,
                        "entropic_coefficient_v_per_k": dudt.tolist()},
            "derating": derating(
                [0.0, 0.0, 0.3, 0.6, 0.75, 0.9, 1.0, 1.0, 0.5, 0.0, 0.0],
                [0.0, 0.0, 0.0, 0.0, 0.15, 0.4, 1.0, 1.0, 0.2, 0.0, 0.0]),
        },
        [
            {"url": f"{SIMSES_LITE}/blob/c0147fec3d15bb66c927e5e64451e55b4704a151/src/simses/model/cell/panasonic_nca.py",
             "supports": ("OCV(soc) sum-of-sigmoids fit (tabulated here at 21 soc points), "
                          "2.73 Ah, 3.6 V nominal, 2.5-4.2 V, 44 g, 1048 J/(kg K)")},
            {"url": f"{SIMSES_LITE}/blob/c0147fec3d15bb66c927e5e64451e55b4704a151/src/simses/model/cell/data/NCA_PanasonicNCR_Rint.csv",
             "supports": "discharge internal resistance vs soc (25 °C row before the R0/R1 split)"},
            {"url": "https://doi.org/10.1149/2.0411609jes",
             "supports": ("Keil et al., J. Electrochem. Soc. 163 (2016) A1872: measurements "
                          "behind the SimSES Panasonic NCA cell model")},
            {"url": DOI_OREGAN,
             "supports": ("electrode entropic fits used for dOCV/dT; graphite charge-transfer "
                          "activation energy 40 kJ/mol")},
            {"url": DOI_CHEN, "supports": "stoichiometry windows used with the entropic fits"},
        ],
        [
            {"field": "thermal.entropic_coefficient_v_per_k", "reason": (
                "taken from an NMC811/graphite cell (LG M50, O'Regan 2022); the graphite "
                "electrode dominates dOCV/dT and the Ni-rich NCA cathode is similar to NMC811")},
            {"field": "ecm (temperature dependence)", "reason": (
                "the source gives one temperature (25 °C); Arrhenius 15 kJ/mol for R0 and "
                "40 kJ/mol for R1 are assumed")},
            *ECM_EST,
            {"field": "self_discharge_per_month", "reason": (
                "typical 1-3 %/month for NCA cells at 25 °C; SimSES models none")},
            {"field": "ageing_model", "reason": (
                "nca_generic is fitted on the Panasonic NCR18650B, a sibling of the reference "
                "cell")},
        ],
    )


if __name__ == "__main__":
    nmc()
    lfp()
    nca()
