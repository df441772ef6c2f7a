"""Reader for the documented generic CSV format (see ``docs/grading.md``).

The header must hold ``time_s,current_a,voltage_v`` (SI units, current **discharge positive**)
and may hold the optional columns in :data:`OPTIONAL` (the cycler's step and cycle index, the
time since the step began, unsigned charge counters, temperature). Any other column is ignored
and listed in the metadata (``ignored_columns``), except names that look like a required
quantity in another unit (``voltage_mv``, ``current_ma``, ``time_h``), which are refused. Files
may be gzip-compressed (``.csv.gz``), UTF-8, UTF-8 with BOM or UTF-16. Lines starting with ``#``
are comments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from packlife.errors import DataFileError
from packlife.io._checks import check_canonical, check_readable_file, text_encoding

REQUIRED = ("time_s", "current_a", "voltage_v")
OPTIONAL = (
    "temperature_c",
    "step",
    "cycle",
    "step_time_s",
    "discharge_counter_ah",
    "charge_counter_ah",
)
#: column name starts that must not appear in another unit than the canonical one
_QUANTITY_PREFIXES = ("time_", "current_", "voltage_", "temperature_")


def looks_like_generic(path: Path) -> bool:
    """Cheap sniff: the first non-comment line is a header starting with ``time_s``."""
    from packlife.io._checks import first_data_line

    try:
        line = first_data_line(path)
    except OSError:
        return False
    return line.replace(" ", "").startswith("time_s")


def read_generic(path: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a generic CSV (``time_s,current_a,voltage_v[,temperature_c]``) into the canonical frame.

    Parameters
    ----------
    path : str or Path
        CSV or CSV.GZ file.

    Returns
    -------
    data : DataFrame
        ``time_s`` [s], ``current_a`` [A] (discharge positive), ``voltage_v`` [V] and
        ``temperature_c`` [°C] if present.
    metadata : dict
        ``format`` and ``path``.

    Raises
    ------
    DataFileError
        Empty/truncated file, missing or unknown columns, non-numeric values, time going
        backwards, or a voltage outside −1…1000 V (e.g. millivolts).
    """
    path = check_readable_file(path)
    encoding = text_encoding(path)  # also refuses binary content and corrupted .gz
    try:
        raw = pd.read_csv(path, comment="#", skipinitialspace=True, encoding=encoding)
    except pd.errors.EmptyDataError:
        raise DataFileError(path, ["file is empty"]) from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    unknown = [c for c in raw.columns if c not in REQUIRED + OPTIONAL]
    wrong_unit = [c for c in unknown if c.lower().startswith(_QUANTITY_PREFIXES)]
    problems = [f"column '{c}' is missing" for c in missing]
    problems += [
        f"column '{c}' is not allowed (expected time_s,current_a,voltage_v[,temperature_c] "
        "in SI units, discharge positive)"
        for c in wrong_unit
    ]
    if problems:
        raise DataFileError(path, problems)
    data = check_canonical(raw[[c for c in REQUIRED + OPTIONAL if c in raw.columns]].copy(), path)
    for col in OPTIONAL[1:]:
        if col in data.columns:
            data[col] = pd.to_numeric(data[col], errors="coerce")
    if "temperature_c" in data.columns:
        temp = pd.to_numeric(data["temperature_c"], errors="coerce").to_numpy(dtype=float)
        if (temp > 150).any() or (temp < -80).any():
            raise DataFileError(
                path, ["column 'temperature_c' is outside −80…150 °C (wrong units, e.g. kelvin?)"]
            )
        data["temperature_c"] = temp
    ignored = [c for c in unknown if c not in wrong_unit]
    return data, {"format": "generic", "path": str(path), "ignored_columns": ignored}
