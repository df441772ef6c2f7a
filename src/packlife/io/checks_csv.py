"""Reader for repeated capacity checks: ``serial,date,soh`` or ``serial,day,soh`` (one row per
check; ``date`` ISO 8601, ``day`` days since any origin; ``soh`` 0–1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import DataFileError
from packlife.io._checks import read_small_csv


def read_capacity_checks(
    path: str | Path,
) -> Iterator[tuple[str, np.ndarray, np.ndarray, str | None]]:
    """Yield ``(serial, day, soh, first date or None)`` per unit, sorted by time.

    Raises
    ------
    DataFileError
        Missing columns, unparseable dates, SoH outside 0…1.5, non-finite values.
    """
    path, df = read_small_csv(path)
    problems = [f"column '{c}' is missing" for c in ("serial", "soh") if c not in df]
    if "date" not in df and "day" not in df:
        problems.append("column 'date' (ISO 8601) or 'day' is missing")
    if problems:
        raise DataFileError(path, problems)
    soh = pd.to_numeric(df["soh"], errors="coerce").to_numpy(dtype=float)
    if "date" in df:
        when = pd.to_datetime(df["date"], errors="coerce", utc=True)
        if when.isna().any():
            row = int(np.argmax(when.isna().to_numpy())) + 1
            raise DataFileError(path, [f"column 'date' is not an ISO 8601 date at data row {row}"])
        day = (when - when.min()).dt.total_seconds().to_numpy() / 86400.0
    else:
        day = pd.to_numeric(df["day"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(soh) & np.isfinite(day) & (soh > 0) & (soh <= 1.5))
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise DataFileError(
            path, [f"'soh' must be a number in 0…1.5 and the time finite (data row {row})"]
        )
    frame = pd.DataFrame({"serial": df["serial"].astype(str), "day": day, "soh": soh})
    if "date" in df:
        frame["date"] = pd.to_datetime(df["date"], utc=True).dt.date.astype(str)
    for serial, g in frame.groupby("serial", sort=False):
        g = g.sort_values("day")
        first = str(g["date"].iloc[0]) if "date" in g else None
        yield str(serial), g["day"].to_numpy(), g["soh"].to_numpy(), first
