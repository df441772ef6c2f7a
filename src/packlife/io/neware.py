"""Reader for Neware ``.nda`` / ``.ndax`` files through the maintained `NewareNDA` library.

NewareNDA (https://github.com/Solid-Energy-Systems/NewareNDA, BSD-3-Clause) decodes the binary
formats; this adapter maps its columns to the canonical frame. Its ``Time`` is the time since
the *step* began (it resets at every step), so the absolute time is rebuilt by adding each
step's length; ``Current(mA)`` is charge positive and flipped here; ``Discharge_Capacity(mAh)``
is the cycler's own discharge counter (reset at every step). NewareNDA is an optional dependency
(``pip install 'packlife[grading]'``), imported only when a Neware file is read.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife.errors import DataFileError, PacklifeError
from packlife.io._checks import check_canonical, check_readable_file

NDAX_MAGIC = b"PK\x03\x04"
NDA_MAGIC = b"NEWARE"


def looks_like_neware(path: Path) -> bool:
    """Suffix ``.nda``/``.ndax`` with the right magic bytes (ndax is a zip container)."""
    suffix = path.suffix.lower()
    if suffix not in (".nda", ".ndax"):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(NDAX_MAGIC) if suffix == ".ndax" else head.startswith(NDA_MAGIC)


def _absolute_time_s(step: np.ndarray, step_time_s: np.ndarray) -> np.ndarray:
    """Absolute time from per-step time: each step starts where the previous one ended."""
    change = np.flatnonzero(step[1:] != step[:-1]) + 1
    bumps = np.zeros(step.size)
    bumps[change] = step_time_s[change - 1]
    out: np.ndarray = np.cumsum(bumps) + step_time_s
    return out


def read_neware(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Neware ``.nda`` or ``.ndax`` file into the canonical frame.

    Returns
    -------
    data : DataFrame
        ``time_s`` (rebuilt from step times), ``current_a`` (discharge positive), ``voltage_v``,
        ``step``, ``cycle``, ``step_time_s`` and ``discharge_counter_ah``.
    metadata : dict
        ``format``, ``path``, ``start`` (wall clock of the first row, no time zone in the file).
    """
    path = check_readable_file(path)
    try:
        import NewareNDA
    except ImportError:
        raise PacklifeError(
            "reading Neware .nda/.ndax files needs NewareNDA: pip install 'packlife[grading]'"
        ) from None
    try:
        with warnings.catch_warnings():  # the library's own pandas deprecation warnings
            warnings.simplefilter("ignore")
            raw = NewareNDA.read(str(path))
    except Exception as exc:  # the library raises bare Exceptions / struct errors on bad files
        raise DataFileError(
            path, [f"not a readable Neware file: {type(exc).__name__}: {exc}"]
        ) from None
    need = ("Step", "Time", "Voltage", "Current(mA)")
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataFileError(path, [f"column '{c}' is missing after decoding" for c in missing])
    step = raw["Step"].to_numpy(dtype=float)
    step_time = raw["Time"].to_numpy(dtype=float)
    data = pd.DataFrame(
        {
            "time_s": _absolute_time_s(step, step_time),
            "current_a": -raw["Current(mA)"].to_numpy(dtype=float) / 1000.0,
            "voltage_v": raw["Voltage"].to_numpy(dtype=float),
            "step": step,
            "cycle": raw["Cycle"].to_numpy(dtype=float) if "Cycle" in raw else np.nan,
            "step_time_s": step_time,
        }
    )
    if "Discharge_Capacity(mAh)" in raw:
        data["discharge_counter_ah"] = raw["Discharge_Capacity(mAh)"].to_numpy(dtype=float) / 1000.0
    data = check_canonical(data, path)
    start = str(raw["Timestamp"].iloc[0]) if "Timestamp" in raw else ""
    return data, {"format": "neware", "path": str(path), "start": start, "sign_flipped": True}
