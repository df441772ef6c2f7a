"""Reader for a user's OCV table: CSV ``soc,ocv_v`` (``soc`` 0–1, ``ocv_v`` in V of the tested
unit, one row per point, any order; ``#`` comments allowed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import DataFileError
from packlife.io._checks import read_small_csv

#: fewest points of a usable OCV table
MIN_OCV_POINTS = 3


def read_ocv_table(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """``(soc [-], ocv_v [V])`` sorted by SoC, the OCV strictly increasing with it.

    Raises
    ------
    DataFileError
        Not a CSV, a missing column, a non-numeric value, SoC outside 0–1 (percent?), a
        voltage outside 0–1000 V (mV?), fewer than ``MIN_OCV_POINTS`` rows, a repeated SoC or
        an OCV that does not increase with SoC (the SoC of a voltage would be ambiguous).
    """
    path, df = read_small_csv(path)
    missing = [f"column '{c}' is missing" for c in ("soc", "ocv_v") if c not in df]
    if missing:
        raise DataFileError(path, missing)
    if len(df) < MIN_OCV_POINTS:
        raise DataFileError(path, [f"fewer than {MIN_OCV_POINTS} rows of soc,ocv_v"])
    cols = {}
    for col, lo, hi, hint in (("soc", 0.0, 1.0, "percent?"), ("ocv_v", 0.0, 1000.0, "mV?")):
        x = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(x) & (x >= lo) & (x <= hi))
        if bad.any():
            row = int(np.argmax(bad)) + 1
            raise DataFileError(
                path,
                [f"column '{col}' must be a number in {lo:g}–{hi:g} ({hint}) at data row {row}"],
            )
        cols[col] = x
    order = np.argsort(cols["soc"], kind="stable")
    soc, ocv = cols["soc"][order], cols["ocv_v"][order]
    if np.any(np.diff(soc) <= 0):
        k = int(np.argmax(np.diff(soc) <= 0))
        raise DataFileError(path, [f"column 'soc' repeats the value {soc[k]:g}"])
    if np.any(np.diff(ocv) <= 0):
        k = int(np.argmax(np.diff(ocv) <= 0))
        raise DataFileError(
            path,
            [
                f"column 'ocv_v' must increase with soc (it does not between soc {soc[k]:g} "
                f"and {soc[k + 1]:g})"
            ],
        )
    return soc, ocv
