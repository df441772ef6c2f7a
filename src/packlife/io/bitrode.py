"""Reader for Bitrode cycler CSV exports (as in the ORNL 2013 Nissan Leaf cell data).

Columns: ``Exclude, Time(s), Cycle, Loop, Loop, Loop, Step, StepTime(s), Current(A), Voltage(V),
Power(W), Capacity(Ah), Energy(Wh), Mode, Data`` and a trailing empty column. Some exports have
no header row. Bitrode writes charge current as positive and labels rows with ``Mode`` (``CHRG``,
``DCHG``, ``REST``); the reader checks the sign against the mode and converts to the packlife
convention (discharge positive).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife.errors import DataFileError
from packlife.io._checks import check_canonical, first_line

BITRODE_COLUMNS = [
    "exclude",
    "time_s",
    "cycle",
    "loop1",
    "loop2",
    "loop3",
    "step",
    "step_time_s",
    "current_a",
    "voltage_v",
    "power_w",
    "capacity_ah",
    "energy_wh",
    "mode",
    "data",
    "trailing",
]


def looks_like_bitrode(path: Path) -> bool:
    """Cheap sniff: a Bitrode header, or a headerless row whose 14th field is a Bitrode mode."""
    try:
        first = first_line(path)
    except OSError:
        return False
    if first.startswith("Exclude,Time(s)"):
        return True
    fields = first.split(",")
    return len(fields) >= 14 and fields[13].strip() in {"REST", "CHRG", "DCHG"}


def read_bitrode(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a Bitrode CSV into the canonical frame.

    Parameters
    ----------
    path : str or Path
        The CSV file (with or without header row).

    Returns
    -------
    data : DataFrame
        ``time_s``, ``current_a`` (discharge positive), ``voltage_v``, ``step``, ``cycle``,
        ``step_time_s``, ``mode`` and ``discharge_counter_ah`` (the step's own Capacity(Ah)
        counter on DCHG rows, 0 elsewhere).
    metadata : dict
        ``format``, ``has_header``, ``sign_flipped`` and ``path``.

    Raises
    ------
    DataFileError
        For an empty, truncated or mislabelled file.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, ["file not found"])
    if path.stat().st_size == 0:
        raise DataFileError(path, ["file is empty"])
    has_header = first_line(path).startswith("Exclude")
    try:
        raw = pd.read_csv(
            path,
            header=None,
            skiprows=1 if has_header else 0,
            names=BITRODE_COLUMNS,
            usecols=range(15),
            skipinitialspace=True,
            on_bad_lines="error",
        )
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(path, [f"not a Bitrode CSV: {exc}"]) from None
    if raw["mode"].isna().all():
        raise DataFileError(path, ["column 'Mode' is empty: not a Bitrode export"])
    # a truncated last line has missing fields: drop it only if it is the final row
    if raw.iloc[-1][["time_s", "current_a", "voltage_v", "mode"]].isna().any():
        raw = raw.iloc[:-1]
    data = pd.DataFrame(
        {
            "time_s": raw["time_s"],
            "current_a": raw["current_a"],
            "voltage_v": raw["voltage_v"],
            "step": pd.to_numeric(raw["step"], errors="coerce"),
            "cycle": pd.to_numeric(raw["cycle"], errors="coerce"),
            "step_time_s": pd.to_numeric(raw["step_time_s"], errors="coerce"),
            "mode": raw["mode"].astype(str).str.strip(),
        }
    )
    counter = pd.to_numeric(raw["capacity_ah"], errors="coerce").to_numpy(dtype=float)
    data = check_canonical(data, path)
    sign = _bitrode_sign(data, path)
    data["current_a"] = sign * data["current_a"]
    # the Capacity(Ah) column is the charge of the current step (signed like the current)
    is_dchg = (data["mode"] == "DCHG").to_numpy()
    data["discharge_counter_ah"] = np.where(is_dchg, np.abs(counter[: len(data)]), 0.0)
    meta = {
        "format": "bitrode",
        "has_header": has_header,
        "sign_flipped": sign < 0,
        "path": str(path),
    }
    return data, meta


def _bitrode_sign(data: pd.DataFrame, path: Path) -> float:
    """Factor that converts the file's current to discharge-positive, checked against ``mode``."""
    current = data["current_a"].to_numpy()
    dchg = current[(data["mode"] == "DCHG").to_numpy()]
    chrg = current[(data["mode"] == "CHRG").to_numpy()]
    votes = []
    if dchg.size:
        votes.append(-1.0 if np.median(dchg) < 0 else 1.0)
    if chrg.size:
        votes.append(-1.0 if np.median(chrg) > 0 else 1.0)
    if not votes:
        raise DataFileError(path, ["no CHRG or DCHG rows: cannot tell the current sign"])
    if len(set(votes)) > 1:
        raise DataFileError(
            path,
            ["CHRG and DCHG rows have the same current sign: the 'Mode' column is mislabelled"],
        )
    return votes[0]
