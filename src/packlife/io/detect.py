"""Format auto-detection and one entry point :func:`read_any` for all test-data readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd

from packlife.errors import DataFileError, PacklifeError
from packlife.io._checks import check_readable_file
from packlife.io.arbin_res import looks_like_access_db, read_arbin_res
from packlife.io.biologic import looks_like_biologic, read_biologic
from packlife.io.bitrode import looks_like_bitrode, read_bitrode
from packlife.io.bms import BmsSnapshot, looks_like_bms, read_bms
from packlife.io.cyclers import (
    looks_like_arbin_csv,
    looks_like_maccor,
    looks_like_mpt,
    looks_like_neware_csv,
    read_arbin_csv,
    read_maccor,
    read_mpt,
    read_neware_csv,
)
from packlife.io.generic import looks_like_generic, read_generic
from packlife.io.labelled import looks_like_labelled, read_labelled
from packlife.io.neware import looks_like_neware, read_neware

Format = Literal[
    "auto",
    "generic",
    "bitrode",
    "biologic",
    "biologic_mpt",
    "arbin",
    "arbin_res",
    "maccor",
    "neware",
    "neware_csv",
    "labelled",
    "bms",
]
FORMATS: tuple[str, ...] = get_args(Format)
_READERS = {
    "generic": read_generic,
    "bitrode": read_bitrode,
    "biologic": read_biologic,
    "biologic_mpt": read_mpt,
    "arbin": read_arbin_csv,
    "arbin_res": read_arbin_res,
    "maccor": read_maccor,
    "neware": read_neware,
    "neware_csv": read_neware_csv,
    "labelled": read_labelled,
}


@dataclass
class TestRecord:
    """What one file holds: a canonical time series, BMS snapshots, or both empty on error."""

    __test__ = False  # not a pytest test class

    path: Path
    format: str
    data: pd.DataFrame | None = None
    bms: list[BmsSnapshot] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


def detect_format(path: str | Path) -> str:
    """Guess the format of ``path`` from magic bytes, suffix and header line.

    Raises
    ------
    DataFileError
        If the file is missing, empty, or matches no known format.
    """
    path = check_readable_file(path)
    if path.suffix.lower() == ".res":
        if not looks_like_access_db(path):
            raise DataFileError(
                path, ["a .res file that is not an MS Access database (Arbin .res files are)"]
            )
        return "arbin_res"
    if path.suffix.lower() == ".mpr" or looks_like_biologic(path):
        return "biologic"
    if looks_like_neware(path):
        return "neware"
    sniffers = (
        (looks_like_mpt, "biologic_mpt"),
        (looks_like_bitrode, "bitrode"),
        (looks_like_generic, "generic"),
        (looks_like_arbin_csv, "arbin"),
        (looks_like_neware_csv, "neware_csv"),
        (looks_like_maccor, "maccor"),
        (looks_like_bms, "bms"),
        (looks_like_labelled, "labelled"),
    )
    for sniff, name in sniffers:
        if sniff(path):
            return name
    from packlife.io._checks import text_encoding

    text_encoding(path)  # binary content or a corrupted .gz gets its own message
    raise DataFileError(
        path,
        [
            "unknown format: expected a generic CSV with header time_s,current_a,voltage_v, "
            "an Arbin .res or CSV, a Battery Archive CSV, a Maccor text export, a Bitrode CSV, "
            "a BioLogic .mpr/.mpt, a Neware .nda/.ndax or CSV, a BMS snapshot JSON/CSV, or "
            "any table (CSV, TSV, .xlsx) whose header names a time, a current and a voltage "
            "column (or pass --format)"
        ],
    )


def read_any(path: str | Path, fmt: str = "auto") -> TestRecord:
    """Read ``path`` with the reader for ``fmt`` (``auto`` detects it).

    Raises
    ------
    DataFileError
        For unreadable files (message names the file and the problem).
    PacklifeError
        For an unknown ``fmt``.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise PacklifeError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen == "bms":
        return TestRecord(path, chosen, bms=read_bms(path), metadata={"format": "bms"})
    check_readable_file(path)
    try:
        data, meta = _READERS[chosen](path)
    except PacklifeError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
        # a reader meeting input it does not expect: a data problem, reported as one
        raise DataFileError(
            path, [f"not readable as {chosen}: {type(exc).__name__}: {exc}"]
        ) from None
    return TestRecord(path, chosen, data=data, metadata=meta)
