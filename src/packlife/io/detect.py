"""Format auto-detection and one entry point :func:`read_any` for all test-data readers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from packlife.errors import DataFileError, PacklifeError
from packlife.io.biologic import looks_like_biologic, read_biologic
from packlife.io.bitrode import looks_like_bitrode, read_bitrode
from packlife.io.bms import BmsSnapshot, looks_like_bms, read_bms
from packlife.io.generic import looks_like_generic, read_generic

Format = Literal["auto", "generic", "bitrode", "biologic", "bms"]
FORMATS: tuple[str, ...] = ("auto", "generic", "bitrode", "biologic", "bms")


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
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, ["file not found"])
    if path.stat().st_size == 0:
        raise DataFileError(path, ["file is empty"])
    if path.suffix.lower() == ".mpr" or looks_like_biologic(path):
        return "biologic"
    if looks_like_bitrode(path):
        return "bitrode"
    if looks_like_generic(path):
        return "generic"
    if looks_like_bms(path):
        return "bms"
    raise DataFileError(
        path,
        [
            "unknown format: expected a generic CSV with header time_s,current_a,voltage_v, "
            "a Bitrode CSV, a BioLogic .mpr or a BMS snapshot JSON/CSV (or pass --format)"
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
    reader = {"generic": read_generic, "bitrode": read_bitrode, "biologic": read_biologic}[chosen]
    data, meta = reader(path)
    return TestRecord(path, chosen, data=data, metadata=meta)
