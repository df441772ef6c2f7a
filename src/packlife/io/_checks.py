"""Checks shared by the readers: every problem raises :class:`DataFileError` naming the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from packlife.errors import DataFileError


def check_canonical(data: pd.DataFrame, path: str | Path) -> pd.DataFrame:
    """Validate a canonical frame: required columns, finite numbers, time not going backwards."""
    problems = []
    for col in ("time_s", "current_a", "voltage_v"):
        if col not in data.columns:
            problems.append(f"column '{col}' is missing")
    if problems:
        raise DataFileError(path, problems)
    if len(data) < 2:
        raise DataFileError(path, ["fewer than 2 data rows (empty or truncated file)"])
    for col in ("time_s", "current_a", "voltage_v"):
        values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            problems.append(
                f"column '{col}' has a missing or non-numeric value at data row {row + 1}"
            )
        data[col] = values
    if problems:
        raise DataFileError(path, problems)
    dt = np.diff(data["time_s"].to_numpy())
    if np.any(dt < 0):
        row = int(np.argmax(dt < 0)) + 2
        problems.append(f"column 'time_s' goes backwards at data row {row}")
    v = data["voltage_v"].to_numpy()
    if np.nanmax(v) > 1000 or np.nanmin(v) < -1:
        problems.append("column 'voltage_v' is outside −1…1000 V (wrong units, e.g. mV?)")
    if problems:
        raise DataFileError(path, problems)
    return data.reset_index(drop=True)


def first_line(path: Path) -> str:
    """First line of a text file, transparently for ``.gz`` files."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            return fh.readline()
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        return fh.readline()


def first_data_line(path: Path) -> str:
    """First line of a text file that is neither blank nor a ``#`` comment (``.gz`` aware)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip() and not line.lstrip().startswith("#"):
                return line
    return ""
