"""Reader for BioLogic EC-Lab ``.mpr`` files through the `galvani` library.

galvani (https://github.com/echemdata/galvani, GPL-3.0-or-later) parses the binary modules;
this adapter only maps its columns to the canonical frame. EC-Lab writes the current in mA
with **charge (oxidation at the working electrode) positive**; packlife uses discharge positive,
so the sign is flipped. galvani is an optional dependency (``pip install packlife[grading]``)
and is imported only when an ``.mpr`` file is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from packlife.errors import DataFileError, PacklifeError
from packlife.io._checks import check_canonical, check_readable_file

MPR_MAGIC_PREFIX = b"BIO-LOGIC MODULAR FILE"
_CURRENT_COLUMNS = ("I/mA", "<I>/mA", "control/mA", "control/V/mA")


def looks_like_biologic(path: Path) -> bool:
    """Cheap sniff: the BioLogic modular-file magic bytes."""
    try:
        with path.open("rb") as fh:
            return fh.read(len(MPR_MAGIC_PREFIX)) == MPR_MAGIC_PREFIX
    except OSError:
        return False


def open_mpr(path: Path) -> Any:
    """Parse a ``.mpr`` file with galvani (``MPRfile``; its ``data`` is a structured array).

    Raises
    ------
    DataFileError
        For a file galvani cannot parse.
    PacklifeError
        If galvani is not installed.
    """
    try:
        from galvani.BioLogic import MPRfile
    except ImportError:
        raise PacklifeError(
            "reading BioLogic .mpr files needs galvani: pip install 'packlife[grading]'"
        ) from None
    try:
        with path.open("rb") as fh:
            return MPRfile(fh)
    except (ValueError, OSError, AssertionError, NotImplementedError, KeyError, EOFError) as exc:
        raise DataFileError(path, [f"not a readable BioLogic .mpr file: {exc}"]) from None


def read_biologic(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a BioLogic ``.mpr`` file into the canonical frame.

    Returns
    -------
    data : DataFrame
        ``time_s``, ``current_a`` (discharge positive), ``voltage_v``, and where the file has
        them ``cycle`` (``cycle number``), ``step`` (``Ns``), ``discharge_counter_ah`` (from
        ``Q charge/discharge/mA.h``) and ``temperature_c``.
    metadata : dict
        ``format``, ``path``, ``columns`` (as named by galvani), ``start_date``.

    Raises
    ------
    DataFileError
        For a file galvani cannot parse or without time/current/voltage columns.
    PacklifeError
        If galvani is not installed.
    """
    path = check_readable_file(path)
    mpr = open_mpr(path)
    names = list(mpr.data.dtype.names or ())
    if "freq/Hz" in names:
        raise DataFileError(path, ["this is an impedance spectrum (freq/Hz): use the EIS reader"])
    current_col = next((c for c in _CURRENT_COLUMNS if c in names), None)
    problems = []
    if "time/s" not in names:
        problems.append("column 'time/s' is missing")
    if "Ewe/V" not in names:
        problems.append("column 'Ewe/V' is missing")
    if current_col is None:
        problems.append("no current column (I/mA, <I>/mA or control/mA)")
    if problems or current_col is None:
        raise DataFileError(path, problems)
    data = pd.DataFrame(
        {
            "time_s": np.asarray(mpr.data["time/s"], dtype=float),
            "current_a": -np.asarray(mpr.data[current_col], dtype=float) / 1000.0,
            "voltage_v": np.asarray(mpr.data["Ewe/V"], dtype=float),
        }
    )
    if "cycle number" in names:
        data["cycle"] = np.asarray(mpr.data["cycle number"], dtype=float)
    if "Ns" in names:
        data["step"] = np.asarray(mpr.data["Ns"], dtype=float)
    if "Q charge/discharge/mA.h" in names:
        # signed (negative on discharge), reset at each half cycle: the discharge counter
        q = np.asarray(mpr.data["Q charge/discharge/mA.h"], dtype=float) / 1000.0
        data["discharge_counter_ah"] = np.where(q < 0, -q, 0.0)
    temp = next((c for c in names if c.startswith("Temperature/")), None)
    if temp is not None:
        data["temperature_c"] = np.asarray(mpr.data[temp], dtype=float)
    data = check_canonical(data, path)
    meta = {
        "format": "biologic",
        "path": str(path),
        "columns": names,
        "start_date": str(getattr(mpr, "startdate", "")),
    }
    return data, meta
