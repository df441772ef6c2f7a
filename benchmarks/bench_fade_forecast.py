"""Fade forecast from repeated capacity checks, held out in time on real LG MJ1 cells (issue #12).

Nine LG INR18650-MJ1 cells cycled at 0/10/25 °C (digitised curves, `tests/data/lg_mj1_aging`).
Each cell's checks up to a fraction of its final EFC are written as a checks CSV and fitted the
way ``packlife grade fade --catalog-id`` does (``fade_rows`` on ``read_capacity_checks``); the
later checks are the held-out truth: the SoH error on them and the error of the forecast EFC at
which SoH reaches 0.82 (every cell crosses it in the data).

Methods: the chemistry's ageing law with the fitted rate factor, the same law as catalogued
(factor 1), and the free curve ``a − b·t^z`` (``packlife.grading.fade``). The default NMC law
(``nmc_generic`` → ``nmc_gr_ev``) was **not** fitted to these cells (out of sample); the
``nmc_lgmj1`` law was fitted to them (in sample, shown for comparison only).
Days are EFC / 6 (continuous cycling is assumed; the files have no time axis).

Run: ``.venv/bin/python benchmarks/bench_fade_forecast.py``
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.catalog import ageing_vector, list_pack_models
from packlife.chemistry import get_ageing_model
from packlife.grading.fade import _model, fit_fade
from packlife.grading.fade_law import duty_from_columns, fade_rows, fit_law_rate, law_soh
from packlife.io.checks_csv import read_capacity_checks
from packlife.models.ageing import ageing_parameter_vector

DATA = Path(__file__).parents[1] / "tests" / "data" / "lg_mj1_aging"
EFC_PER_DAY = 6.0
END_SOH = 0.82


def cells() -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """(name, temperature °C, cumulative EFC, SoH) per cell; zero padding removed."""
    df = pd.read_csv(DATA / "LG_INR18650MJ1_closs_cycling_aging.csv")
    out = []
    for j in range(df.shape[1] // 2):
        efc = df.iloc[:, 2 * j].dropna().to_numpy(dtype=float)
        soh = df.iloc[:, 2 * j + 1].dropna().to_numpy(dtype=float) / 100.0
        keep = soh > 0
        keep[0] = True
        m = re.search(r"T=([\d.]+)K", str(df.columns[2 * j]))
        assert m is not None
        t_c = float(m.group(1)) - 273.15
        out.append((f"{t_c:.0f}C-{j % 3 + 1}", t_c, efc[keep], soh[keep]))
    return out


def crossing_efc(efc: np.ndarray, soh: np.ndarray, level: float) -> float:
    """First EFC at which the (piecewise linear) SoH curve reaches ``level`` (nan if never)."""
    below = np.nonzero(soh <= level)[0]
    if below.size == 0:
        return math.nan
    k = int(below[0])
    if k == 0:
        return float(efc[0])
    f = (soh[k - 1] - level) / (soh[k - 1] - soh[k])
    return float(efc[k - 1] + f * (efc[k] - efc[k - 1]))


def main() -> None:
    nmc = next(m.id for m in list_pack_models("pack") if m.parameter_set == "nmc_generic")
    p_gen = ageing_vector("nmc_generic")
    p_mj1 = ageing_parameter_vector(get_ageing_model("nmc_lgmj1").parameters)
    t0 = time.perf_counter()
    print(f"catalog model for the law: {nmc} (parameter set nmc_generic); end SoH {END_SOH}")
    print("| fitted on | method | law | cells | SoH error on later checks: mean / max [pp] | "
          f"EFC to SoH {END_SOH}: mean / max abs error | within ±1σ |")
    print("|---|---|---|---|---|---|---|")
    for frac in (0.3, 0.5):
        res: dict[str, list[tuple[float, float, bool | None]]] = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name, t_c, efc, soh in cells():
                first = efc <= frac * efc[-1]
                day = efc / EFC_PER_DAY
                true_x = crossing_efc(efc, soh, END_SOH)
                csv = Path(tmp) / f"{name}.csv"
                pd.DataFrame({"serial": name, "day": day[first], "soh": soh[first],
                              "efc": efc[first], "temperature_c": t_c, "dod": 1.0}
                             ).to_csv(csv, index=False)
                row = fade_rows(read_capacity_checks(csv), END_SOH, nmc)[0]
                cols = {"efc": efc, "temperature_c": np.full(efc.size, t_c),
                        "dod": np.ones(efc.size)}
                full = duty_from_columns(day, cols)
                part = duty_from_columns(day[first], {k: v[first] for k, v in cols.items()})
                later = ~first
                for label, p in (("nmc_generic", p_gen), ("nmc_lgmj1", p_mj1)):
                    f = fit_law_rate(part, soh[first], p, END_SOH)
                    if label == "nmc_generic":  # the CLI path gives the same fit
                        assert row["ageing_rate_factor"] == round(f.rate_factor or 0, 4)
                    assert f.ok and f.soh0 is not None and f.rate_factor is not None
                    pred = law_soh(full, p, f.soh0, f.rate_factor)
                    x = (f.end_day or math.nan) * EFC_PER_DAY
                    lo = (f.end_day_low or math.nan) * EFC_PER_DAY
                    hi = (f.end_day_high or math.nan) * EFC_PER_DAY
                    res.setdefault(f"law, fitted factor|{label}", []).append(
                        (float(np.mean(np.abs(pred[later] - soh[later]))),
                         abs(x - true_x) / true_x, bool(lo <= true_x <= hi)))
                    prior = law_soh(full, p, soh[0], 1.0)
                    res.setdefault(f"law as catalogued|{label}", []).append(
                        (float(np.mean(np.abs(prior[later] - soh[later]))),
                         abs(crossing_efc(efc, prior, END_SOH) - true_x) / true_x, None))
                e = fit_fade(day[first], soh[first], END_SOH)
                assert e.a is not None and e.b is not None and e.z is not None
                pred_e = _model(day - day[0], e.a, e.b, e.z)
                x_e = (e.end_day or math.nan) * EFC_PER_DAY
                inside = (e.end_day_low or math.nan) * EFC_PER_DAY <= true_x <= (
                    e.end_day_high or math.nan) * EFC_PER_DAY
                res.setdefault("free curve a − b·t^z|–", []).append(
                    (float(np.mean(np.abs(pred_e[later] - soh[later]))),
                     abs(x_e - true_x) / true_x, bool(inside)))
        for key, vals in res.items():
            method, law = key.split("|")
            soh_err = np.array([v[0] for v in vals]) * 100
            x_err = np.array([v[1] for v in vals]) * 100
            cover = [v[2] for v in vals if v[2] is not None]
            tag = " (in sample)" if law == "nmc_lgmj1" else ""
            missed = int(np.sum(~np.isfinite(x_err)))
            x_txt = (f"{np.nanmean(x_err):.1f} % / {np.nanmax(x_err):.1f} %"
                     if missed < x_err.size else "–")
            if missed:
                x_txt += f" ({missed} of {x_err.size} never reach it in the data's EFC range)"
            print(f"| first {frac:.0%} of EFC | {method} | {law}{tag} | {len(vals)} | "
                  f"{soh_err.mean():.2f} / {soh_err.max():.2f} | {x_txt} | "
                  f"{(f'{np.mean(cover):.0%}' if cover else '–')} |")
    print(f"\nwall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
