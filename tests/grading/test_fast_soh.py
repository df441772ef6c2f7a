"""Fast (≤ 15 min) capacity estimate on the real ORNL data.

The OCV table (built in conftest) and the overpotential factor ``k`` come from the 25 °C HPPC
file; the 10 °C and 40 °C HPPC files (same cell, other temperature, other day) are held out.
The in-sample 25 °C windows are only reported in benchmarks/RESULTS.md (grading section).
"""

from __future__ import annotations

import numpy as np
import pytest

from packlife.grading.estimators import capacity_from_discharge, find_runs
from packlife.grading.fast_soh import fast_capacity_estimate

from .conftest import RATED_AH, arrays, hppc_ocv_25c


def _window_starts(t: np.ndarray, i: np.ndarray) -> list[int]:
    runs = find_runs(i)
    return [
        int(runs.end[k])
        for k in range(runs.kind.size - 1)
        if runs.kind[k] == 0 and t[runs.end[k]] - t[runs.start[k]] >= 3000
    ]


@pytest.mark.parametrize("temp", ["10c", "40c"])
def test_fast_estimate_held_out_temperatures(temp: str) -> None:
    soc, ocv = hppc_ocv_25c()
    t, i, v = arrays(f"cell-low-current-hppc-{temp}")
    full = capacity_from_discharge(t, i, v)
    assert full is not None
    errors, z = [], []
    for a in _window_starts(t, i):
        est = fast_capacity_estimate(t, i, v, soc, ocv, start_index=a)
        if est is None or not 0.2 <= est.soc_end <= 0.95:
            continue
        assert est.window_s <= 900.0
        w = (t >= t[a]) & (t <= t[a] + 900)
        expected_ah = float(np.sum(np.diff(t[w]) * i[w][1:])) / 3600  # independent count
        assert est.delta_ah == pytest.approx(expected_ah, rel=0.01)
        errors.append(est.capacity_ah / full.capacity_ah - 1)
        z.append((est.capacity_ah - full.capacity_ah) / est.uncertainty_ah)
    assert len(errors) >= 6
    # screening-grade accuracy: mean |error| below 25 %, every window within 3 stated σ
    assert np.mean(np.abs(errors)) < 0.25
    assert np.all(np.abs(z) < 3.0)


def test_fast_estimate_rejects_high_current_window() -> None:
    soc, ocv = hppc_ocv_25c()
    t, i, v = arrays("cell-discharge-bitrode-1c")
    # 1C (30.6 A) is outside the calibrated range (≤ 0.5C)
    assert fast_capacity_estimate(t, i, v, soc, ocv, max_current_a=0.5 * RATED_AH) is None


def test_fast_estimate_needs_a_rest() -> None:
    soc, ocv = hppc_ocv_25c()
    t = np.arange(0.0, 900.0)
    i = np.full_like(t, 10.0)
    v = np.linspace(4.0, 3.95, t.size)
    assert fast_capacity_estimate(t, i, v, soc, ocv) is None


def test_fast_estimate_rest_to_rest_is_exact_on_ideal_cell() -> None:
    # ideal cell on the table's OCV: rest, 500 s at 20 A, rest ≥ 5 min — no overpotential
    soc_axis, ocv_axis = hppc_ocv_25c()
    cap = 25.0
    t = np.arange(0.0, 1500.0)
    i = np.where((t >= 300) & (t < 800), 20.0, 0.0)
    q = np.concatenate(([0.0], np.cumsum(np.diff(t) * 0.5 * (i[1:] + i[:-1]) / 3600)))
    v = np.interp(0.7 - q / cap, soc_axis, ocv_axis)
    est = fast_capacity_estimate(t, i, v, soc_axis, ocv_axis, start_index=299, window_s=900)
    assert est is not None
    assert est.capacity_ah == pytest.approx(cap, rel=1e-3)


def test_fast_estimate_rejects_short_final_run() -> None:
    # the window ends 2 min into a constant-current run: k does not hold yet
    soc, ocv = hppc_ocv_25c()
    t, i, v = arrays("cell-low-current-hppc-25c")
    a = _window_starts(t, i)[3]
    assert fast_capacity_estimate(t, i, v, soc, ocv, start_index=a, window_s=200) is None
    assert fast_capacity_estimate(t, i, v, soc, ocv, start_index=a, window_s=900) is not None
