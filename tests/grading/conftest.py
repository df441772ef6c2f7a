"""Shared fixtures: the real ORNL 2013 Leaf cell files (tests/data/ornl_leaf_cell)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.io.bitrode import read_bitrode

ORNL = Path(__file__).parents[1] / "data" / "ornl_leaf_cell"
#: measured capacities from the ORNL data set README (full discharges at 1C/2C/3C) [Ah]
MEASURED_AH = {"1c": 30.34, "2c": 29.97, "3c": 28.72}
RATED_AH = 33.1


@cache
def ornl(name: str) -> pd.DataFrame:
    """Canonical frame of ``tests/data/ornl_leaf_cell/<name>.csv.gz`` (cached, do not mutate)."""
    return read_bitrode(ORNL / f"{name}.csv.gz")[0]


def arrays(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = ornl(name)
    return (
        d["time_s"].to_numpy(dtype=float),
        d["current_a"].to_numpy(dtype=float),
        d["voltage_v"].to_numpy(dtype=float),
    )


@cache
def hppc_ocv_25c() -> tuple[np.ndarray, np.ndarray]:
    """OCV table built independently here from the 25 °C HPPC rest ends (end of each 1-h rest).

    SoC by coulomb counting from the top rest, relative to the net Ah to 3.0 V at the end of the
    file; computed with plain pandas on the step labels, not with packlife's estimators.
    """
    d = ornl("cell-low-current-hppc-25c")
    t, i, v = (d[c].to_numpy(dtype=float) for c in ("time_s", "current_a", "voltage_v"))
    q = np.concatenate(([0.0], np.cumsum(np.diff(t) * i[1:] / 3600)))  # logged at interval end
    seg = (d["step"] != d["step"].shift()).cumsum().to_numpy()
    ends = []
    for k in np.unique(seg):
        idx = np.flatnonzero(seg == k)
        if (d["mode"].iloc[idx[0]] == "REST") and t[idx[-1]] - t[idx[0]] > 3000:
            ends.append(idx[-1])
    ends_arr = np.asarray(ends)
    top = ends_arr[np.argmax(v[ends_arr])]
    ends_arr = ends_arr[ends_arr >= top]
    soc = (q[-1] - q[ends_arr]) / (q[-1] - q[top])
    order = np.argsort(soc)
    return soc[order], v[ends_arr][order]
