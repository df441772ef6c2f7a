"""Reader for repeated capacity checks, one row per check.

Required: ``serial``, ``soh`` (0–1.5) and ``date`` (ISO 8601) or ``day`` (days since any origin).
Optional, per check, describing the duty since the previous check (used to fit the chemistry's
ageing law, :mod:`packlife.grading.fade_law`):

* ``efc`` – cumulative equivalent full cycles at the check (≥ 0, not decreasing),
* ``temperature_c`` – mean cell temperature [°C] (−40…80),
* ``soc`` – mean SoC (0–1), ``dod`` – typical depth of discharge (0–1),
* ``c_rate`` – mean |I|/capacity [1/h] (0–10),
* ``catalog_id`` – the unit's catalog model (its chemistry's ageing law), one per serial.

Other columns are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.errors import DataFileError
from packlife.io._checks import read_small_csv

#: Optional duty columns and their accepted ranges.
DUTY_COLUMNS: dict[str, tuple[float, float]] = {
    "efc": (0.0, 1e6),
    "temperature_c": (-40.0, 80.0),
    "soc": (0.0, 1.0),
    "dod": (0.0, 1.0),
    "c_rate": (0.0, 10.0),
}


@dataclass(frozen=True)
class UnitChecks:
    """The checks of one unit, sorted by time."""

    serial: str
    day: FloatArray
    soh: FloatArray
    first_date: str | None
    duty: dict[str, FloatArray] = field(default_factory=dict)
    catalog_id: str | None = None


def read_capacity_checks(path: str | Path) -> Iterator[UnitChecks]:
    """Yield one :class:`UnitChecks` per serial, sorted by time.

    Raises
    ------
    DataFileError
        Missing columns, unparseable dates, SoH outside 0…1.5, non-finite values, a duty value
        out of range, decreasing ``efc`` or two catalog ids for one serial (row and column named).
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
    for name, (lo, hi) in DUTY_COLUMNS.items():
        if name in df:
            frame[name] = _ranged(path, df[name], name, lo, hi)
    if "catalog_id" in df:
        frame["catalog_id"] = df["catalog_id"].fillna("").astype(str).str.strip()
    if "date" in df:
        frame["date"] = pd.to_datetime(df["date"], utc=True).dt.date.astype(str)
    for serial, g in frame.groupby("serial", sort=False):
        yield _unit(path, str(serial), g.sort_values("day", kind="stable"))


def _ranged(path: Path, col: pd.Series, name: str, lo: float, hi: float) -> FloatArray:
    v = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(v) & (v >= lo) & (v <= hi))
    if bad.any():
        row = int(np.argmax(bad)) + 1
        raise DataFileError(path, [f"column '{name}' must be a number in {lo:g}…{hi:g} "
                                   f"(data row {row})"])
    return v


def _unit(path: Path, serial: str, g: pd.DataFrame) -> UnitChecks:
    duty = {c: g[c].to_numpy(dtype=float) for c in DUTY_COLUMNS if c in g}
    if "efc" in duty and np.any(np.diff(duty["efc"]) < 0):
        raise DataFileError(path, [f"column 'efc' decreases between checks of serial {serial!r} "
                                   "(expected cumulative equivalent full cycles)"])
    catalog_id = None
    if "catalog_id" in g:
        ids = sorted({c for c in g["catalog_id"] if c})
        if len(ids) > 1:
            raise DataFileError(path, [f"column 'catalog_id': serial {serial!r} has "
                                       f"{len(ids)} different ids ({', '.join(ids[:3])})"])
        catalog_id = ids[0] if ids else None
    first = str(g["date"].iloc[0]) if "date" in g else None
    return UnitChecks(serial, g["day"].to_numpy(dtype=float), g["soh"].to_numpy(dtype=float),
                      first, duty, catalog_id)
