"""Cross-check packlife's ageing models against NREL BLAST-Lite 1.1.1 on one 10-year duty.

Run from the repository root::

    .venv/bin/python benchmarks/bench_ageing_blast.py

BLAST-Lite pins numpy<2, so it lives in its own virtual environment
(``benchmarks/_work/blast_venv``, created with ``python3 -m venv`` and
``pip install blast-lite==1.1.1 setuptools`` if missing) and runs in a subprocess that returns
JSON.

Duty (identical arrays for both): 10 years, hourly. Every day the SoC rises 0.3 → 0.9 from 00:00 to
06:00, rests, falls 0.9 → 0.3 from 08:00 to 20:00 and rests (0.6 EFC/day). Cell temperature
15 °C ± 10 °C seasonal ± 3 °C daily. BLAST is run with ``is_conserve_energy_throughput=False``
so that both tools see the same SoC window for the whole life (BLAST's default widens the window
as capacity fades).

Pairs compared (capacity fade in % of NEW capacity at years 1/2/5/10):

* ``nmc_lgmj1`` vs BLAST ``Nmc811_GrSi_LGMJ1_4Ah_Battery`` (same cell, other data set) and
  ``NMC_Gr_75Ah_A`` (BLAST's reference NMC);
* ``nmc_gr_75ah_a`` (fit of ``NMC_Gr_75Ah_A``) vs that law, and ``nmc_gr_ev`` (the fit aged
  ``s`` times faster, the ``nmc_generic`` default) vs ``NMC_Gr_75Ah_A`` with
  ``degradation_scalar = s``;
* ``nca_generic`` vs ``Nca_Gr_Panasonic3Ah_Battery`` (transcription of that law);
* ``lfp_generic`` vs ``Lfp_Gr_SonyMurata3Ah_Battery`` (both from Naumann's Sony LFP data);
* ``lmo_nca_leaf`` entering at SoH 0.70 vs ``Lmo_Gr_NissanLeaf66Ah_2ndLife_Battery`` (``qNew``),
  the second-life law it was re-based from.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from packlife.chemistry import get_ageing_model
from packlife.models.ageing import ageing_parameter_vector, project_ageing, second_life_state

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_work"
VENV = WORK / "blast_venv"
YEARS = (1, 2, 5, 10)

BLAST_HELPER = r"""
import json, sys, time
import numpy as np
from blast import models
d = np.load(sys.argv[1])
inp = {"Time_s": d["time_s"], "SOC": d["soc"], "Temperature_C": d["temperature_c"]}
out = {}
for name in sys.argv[2:]:
    model, _, scalar = name.partition("*")  # "Model*2.5": degradation_scalar 2.5
    cell = getattr(models, model)(degradation_scalar=float(scalar or 1.0))
    t0 = time.perf_counter()
    cell.simulate_battery_life(inp, threshold_time=10, is_conserve_energy_throughput=False)
    wall = time.perf_counter() - t0
    q = cell.outputs["qNew"] if "qNew" in cell.outputs else cell.outputs["q"]
    out[name] = {
        "t_days": np.asarray(cell.stressors["t_days"], dtype=float).tolist(),
        "q": np.asarray(q, dtype=float).tolist(),
        "efc": np.asarray(cell.stressors["efc"], dtype=float).tolist(),
        "wall_s": wall,
    }
print(json.dumps(out))
"""


def nmc_gr_ev_scalar() -> float:
    """Time acceleration of ``nmc_gr_ev`` over ``nmc_gr_75ah_a`` (k_cal ratio = s^z_cal)."""
    fit = get_ageing_model("nmc_gr_75ah_a").parameters
    ev = get_ageing_model("nmc_gr_ev").parameters
    return float((ev.k_cal_per_day_z / fit.k_cal_per_day_z) ** (1.0 / fit.z_cal))


PAIRS = [
    ("nmc_lgmj1", 1.0, "Nmc811_GrSi_LGMJ1_4Ah_Battery"),
    ("nmc_lgmj1", 1.0, "NMC_Gr_75Ah_A"),
    ("nmc_gr_75ah_a", 1.0, "NMC_Gr_75Ah_A"),
    ("nmc_gr_ev", 1.0, f"NMC_Gr_75Ah_A*{nmc_gr_ev_scalar():.4f}"),
    ("nca_generic", 1.0, "Nca_Gr_Panasonic3Ah_Battery"),
    ("lfp_generic", 1.0, "Lfp_Gr_SonyMurata3Ah_Battery"),
    ("lmo_nca_leaf", 0.70, "Lmo_Gr_NissanLeaf66Ah_2ndLife_Battery"),
]


def duty(years: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly time [s], SoC and cell temperature [°C] of the benchmark duty."""
    hours = np.arange(0, years * 8760 + 1, dtype=float)
    h = hours % 24
    soc = np.interp(h, [0, 6, 8, 20, 24], [0.3, 0.9, 0.9, 0.3, 0.3])
    doy = hours / 24.0
    temp = 15.0 + 10.0 * np.sin(2 * np.pi * (doy - 110.0) / 365.0)
    temp += 3.0 * np.sin(2 * np.pi * (h - 9.0) / 24.0)
    return hours * 3600.0, soc, temp


def ensure_blast_venv() -> Path:
    """Create the BLAST-Lite venv on first use; return its python."""
    py = VENV / "bin" / "python"
    if not py.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "blast-lite==1.1.1", "setuptools"], check=True
        )
    return py


def run_blast(time_s: np.ndarray, soc: np.ndarray, temp: np.ndarray) -> dict[str, dict[str, Any]]:
    py = ensure_blast_venv()
    npz = WORK / "ageing_duty.npz"
    np.savez(npz, time_s=time_s, soc=soc, temperature_c=temp)
    names = sorted({b for _, _, b in PAIRS})
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(py), "-c", BLAST_HELPER, str(npz), *names], check=True, capture_output=True, text=True
    )
    print(f"BLAST subprocess wall (import + all models): {time.perf_counter() - t0:.1f} s")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def run_packlife(
    model_id: str, start_soh: float, time_s: np.ndarray, soc: np.ndarray, temp: np.ndarray
) -> dict[str, np.ndarray | float]:
    p = ageing_parameter_vector(get_ageing_model(model_id).parameters)
    q_cal, q_cyc, r = second_life_state(start_soh, 1.0, p) if start_soh < 1.0 else (0.0, 0.0, 1.0)
    t0 = time.perf_counter()
    res = project_ageing(time_s, soc, temp, p, q_cal=q_cal, q_cyc=q_cyc, r_growth=r)
    wall = time.perf_counter() - t0
    return {**res, "wall_s": wall}


def fade_at(t_days: np.ndarray, soh: np.ndarray, years: tuple[int, ...]) -> list[float]:
    """Capacity fade [% of new] at the given years (linear interpolation in time)."""
    return [100.0 * (1.0 - float(np.interp(y * 365.0, t_days, soh))) for y in years]


def main() -> None:
    time_s, soc, temp = duty()
    print(f"duty: {time_s.size} hourly points, {time_s[-1] / 86400 / 365:.1f} years, 0.6 EFC/day")
    # compile once so that the timings below are warm (cache=True keeps it across runs)
    t0 = time.perf_counter()
    p0 = ageing_parameter_vector(get_ageing_model("nmc_lgmj1").parameters)
    project_ageing(time_s[:48], soc[:48], temp[:48], p0)
    print(f"packlife first call (numba load/compile): {time.perf_counter() - t0:.2f} s")
    blast = run_blast(time_s, soc, temp)

    head = f"{'model':<44s} {'start':>5s} " + " ".join(f"{'y' + str(y):>6s}" for y in YEARS)
    print("\nCapacity fade [% of new capacity]; EFC after 10 y; wall time of the ageing run\n")
    print(f"{head} {'EFC10':>7s} {'wall_s':>8s}")
    done: set[str] = set()
    for pk_id, start, bl_name in PAIRS:
        if pk_id + str(start) not in done:
            done.add(pk_id + str(start))
            r = run_packlife(pk_id, start, time_s, soc, temp)
            fades = fade_at(r["time_days"], r["soh"], YEARS)  # type: ignore[arg-type]
            efc10 = float(r["efc"][-1])  # type: ignore[index]
            row = " ".join(f"{f:6.1f}" for f in fades)
            print(f"{'packlife ' + pk_id:<44s} {start:5.2f} {row} {efc10:7.0f} {r['wall_s']:8.3f}")
        b = blast[bl_name]
        t_days, q = np.asarray(b["t_days"]), np.asarray(b["q"])
        fades = fade_at(t_days, q, YEARS)
        row = " ".join(f"{f:6.1f}" for f in fades)
        b_start = float(q[0])
        print(
            f"{'BLAST ' + bl_name:<44s} {b_start:5.2f} {row} {b['efc'][-1]:7.0f} {b['wall_s']:8.3f}"
        )
    second_life_table(time_s, soc, temp)


def second_life_table(time_s: np.ndarray, soc: np.ndarray, temp: np.ndarray) -> None:
    """packlife only (BLAST has no warm start): packs entering at SoH 0.78, first year of the duty.

    Compares virtual-time continuation (:func:`second_life_state`) with a restarted clock (the
    fresh law shifted down to 0.78, what SimSES 1.3.12's generic law does).
    """
    n = 365 * 24 + 1
    t, s, tc = time_s[:n], soc[:n], temp[:n]
    print("\nSecond-life start at SoH 0.78: SoH loss [pp] after 7 / 30 / 365 days of the duty")
    print(f"  {'model':<14s} {'how':<24s} {'7 d':>6s} {'30 d':>6s} {'365 d':>6s}")
    for model_id in (
        "nmc_lgmj1",
        "nmc_gr_75ah_a",
        "nmc_gr_ev",
        "nca_generic",
        "lfp_generic",
        "lmo_nca_leaf",
    ):
        p = ageing_parameter_vector(get_ageing_model(model_id).parameters)
        q_cal, q_cyc, r = second_life_state(0.78, 1.3, p)
        cont = project_ageing(t, s, tc, p, q_cal=q_cal, q_cyc=q_cyc, r_growth=r)
        fresh = project_ageing(t, s, tc, p)
        for how, res, start in (("continuation", cont, 0.78), ("restarted clock", fresh, 1.0)):
            lost = [start - float(np.interp(d, res["time_days"], res["soh"])) for d in (7, 30, 365)]
            cells = " ".join(f"{100 * x:6.2f}" for x in lost)
            print(f"  {model_id:<14s} {how:<24s} {cells}")


if __name__ == "__main__":
    main()
