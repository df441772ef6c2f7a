"""Validation: the fitted ``nmc_lgmj1`` ageing file reproduces the digitised LG MJ1 curves.

The curves (``tests/data/lg_mj1_aging``) are read here independently of the fitting script, and
the model is driven through :func:`packlife.models.ageing.project_ageing` with a synthetic SoC
trace (storage at constant SoC; 10–90 % triangle cycling at 3 h per EFC, the fit's assumed test
schedule), so the half-cycle detector and interval averaging are exercised as well.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from packlife.chemistry import get_ageing_model
from packlife.models.ageing import ageing_parameter_vector, project_ageing

DATA = Path(__file__).resolve().parents[1] / "data" / "lg_mj1_aging"
HOURS_PER_EFC = 3.0

# Regression bounds [percentage points], about 15-25 % above what the committed fit gives on this
# synthetic-trace path (calendar ≤ 1.30, cycling ≤ 2.16, resistance ≤ 5.70).
MAX_RMSE_CAL = 1.5
MAX_RMSE_CYC = 2.6
MAX_RMSE_RES = 7.0


def _read(name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    raw = pd.read_csv(DATA / name, header=None, skiprows=1).to_numpy(dtype=float)
    curves = []
    for k in range(raw.shape[1] // 2):
        x, y = raw[:, 2 * k], raw[:, 2 * k + 1]
        ok = np.isfinite(x) & np.isfinite(y)
        ok[1:] &= ~((x[1:] == 0) & (y[1:] == 0))  # zero padding after the last point
        curves.append((x[ok], y[ok]))
    return curves


@pytest.fixture(scope="module")
def p() -> np.ndarray:
    return ageing_parameter_vector(get_ageing_model("nmc_lgmj1").parameters)


def _storage_loss_pct(p: np.ndarray, temp: float, soc: float, days: np.ndarray) -> np.ndarray:
    t = np.arange(0.0, (days.max() + 1.0) * 86400.0, 3 * 3600.0)
    res = project_ageing(t, np.full_like(t, soc), np.full_like(t, temp), p, interval_s=86400.0)
    x = np.concatenate([[0.0], res["time_days"]])
    y = np.concatenate([[0.0], 100.0 * (1.0 - res["soh"])])
    return np.asarray(np.interp(days, x, y))


def _cycling(p: np.ndarray, temp: float, efc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """SoH [%] and resistance [%] vs EFC for 10-90 % triangle cycling."""
    half_cycle_h = 0.4 * HOURS_PER_EFC  # 0.8 SoC moved = 0.4 EFC
    n_half = int(np.ceil(efc.max() / 0.4)) + 2
    t_turn = np.arange(n_half + 1) * half_cycle_h * 3600.0
    soc_turn = np.where(np.arange(n_half + 1) % 2 == 0, 0.1, 0.9)
    t = np.arange(0.0, t_turn[-1], 600.0)
    soc = np.interp(t, t_turn, soc_turn)
    res = project_ageing(t, soc, np.full_like(t, temp), p, interval_s=3600.0)
    x = np.concatenate([[0.0], res["efc"]])
    soh = np.interp(efc, x, np.concatenate([[100.0], 100.0 * res["soh"]]))
    r = np.interp(efc, x, np.concatenate([[100.0], 100.0 * res["r_growth"]]))
    return soh, r


def _rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def test_calendar_curves(p: np.ndarray) -> None:
    curves = _read("LG_INR18650MJ1_closs_calendar_aging.csv")
    assert len(curves) == 12
    socs = [0.1, 0.1, 0.7, 0.7, 0.9, 0.9]
    rmses = []
    for k, (days, loss) in enumerate(curves):
        temp = 25.0 if k < 6 else 45.0
        rmses.append(_rmse(_storage_loss_pct(p, temp, socs[k % 6], days), loss))
    assert max(rmses) < MAX_RMSE_CAL, rmses


def test_cycling_and_resistance_curves(p: np.ndarray) -> None:
    temps = [0.0] * 3 + [10.0] * 3 + [25.0] * 3
    soh_curves = _read("LG_INR18650MJ1_closs_cycling_aging.csv")
    res_curves = _read("LG_INR18650MJ1_rint_cycling_aging.csv")
    cyc_rmse = [
        _rmse(_cycling(p, temps[k], efc)[0], soh) for k, (efc, soh) in enumerate(soh_curves)
    ]
    res_rmse = [_rmse(_cycling(p, temps[k], efc)[1], r) for k, (efc, r) in enumerate(res_curves)]
    assert max(cyc_rmse) < MAX_RMSE_CYC, cyc_rmse
    assert max(res_rmse) < MAX_RMSE_RES, res_rmse


def test_efc_to_80_percent_ordering_matches_data(p: np.ndarray) -> None:
    """Data: 80 % SoH after ~65-77 EFC at 0 °C, ~97-112 at 10 °C, ~260-335 at 25 °C.

    The fitted law is optimistic at low temperature near 80 % (about 83 and 147 EFC here): the
    low-temperature cells fade almost linearly while one exponent z_cyc serves all temperatures.
    The bounds pin the present behaviour (known deficiency, see docs/ageing.md) and the order.
    """
    efc = np.arange(0.0, 500.0, 1.0)
    at = {}
    for temp in (0.0, 10.0, 25.0):
        soh = _cycling(p, temp, efc)[0]
        at[temp] = float(efc[np.argmax(soh <= 80.0)])
    assert at[0.0] < at[10.0] < at[25.0]
    assert 60 <= at[0.0] <= 95
    assert 95 <= at[10.0] <= 165
    assert 250 <= at[25.0] <= 345


def test_file_reports_rmse_for_every_curve() -> None:
    rmse = get_ageing_model("nmc_lgmj1").fit_rmse_pct
    assert len([k for k in rmse if k.startswith("cal_")]) == 12
    assert len([k for k in rmse if k.startswith("cyc_")]) == 9
    assert len([k for k in rmse if k.startswith("res_")]) == 9
    assert all(0.0 < v < 10.0 for v in rmse.values())
