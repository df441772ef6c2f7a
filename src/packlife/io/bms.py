"""BMS snapshot files (JSON or CSV): one record per pack/module read out from its BMS.

Schema (:class:`BmsSnapshot`, documented in ``docs/grading.md``): ``serial``,
``pack_voltage_v``, ``min_cell_voltage_v``, ``max_cell_voltage_v``, ``temperatures_c``,
``bms_soh``, ``cycle_count``, ``fault_codes`` and the traceability / inspection fields
``manufacture_date``, ``thermal_event_history``, ``damage_noted`` (IEC 63338 asks for the
lifetime history of a battery before it is repurposed). A JSON file holds one object or a list
of objects; a CSV file has one row per snapshot with ``;``-separated ``temperatures_c`` and
``fault_codes``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from packlife.datafiles import describe_validation_error
from packlife.errors import DataFileError


class BmsSnapshot(BaseModel):
    """One BMS read-out of a pack or module (voltages in V, temperatures in °C, SoH 0–1)."""

    model_config = ConfigDict(extra="forbid")
    serial: str = Field(min_length=1)
    timestamp: dt.datetime | None = None
    pack_voltage_v: float = Field(gt=0, lt=1000)
    min_cell_voltage_v: float = Field(ge=0, lt=5)
    max_cell_voltage_v: float = Field(ge=0, lt=5)
    temperatures_c: list[float] = Field(default_factory=list)
    soc: float | None = Field(None, ge=0, le=1)
    bms_soh: float | None = Field(None, ge=0, le=1.2, description="BMS-reported SoH, 0–1")
    cycle_count: int | None = Field(None, ge=0)
    fault_codes: list[str] = Field(default_factory=list)
    manufacture_date: dt.date | None = None
    thermal_event_history: bool | None = None
    damage_noted: str = Field("", description="swelling, dents, leaks… (empty = none seen)")

    @model_validator(mode="after")
    def _consistent(self) -> BmsSnapshot:
        if self.min_cell_voltage_v > self.max_cell_voltage_v:
            raise ValueError("min_cell_voltage_v must not exceed max_cell_voltage_v")
        for t in self.temperatures_c:
            if not -80 <= t <= 150:
                raise ValueError(f"temperatures_c value {t} is outside −80…150 °C (kelvin?)")
        return self

    @property
    def imbalance_v(self) -> float:
        """Cell voltage spread max − min [V]."""
        return self.max_cell_voltage_v - self.min_cell_voltage_v


def _split(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    return [s.strip() for s in str(value).split(";") if s.strip()]


def _csv_records(path: Path) -> list[dict[str, Any]]:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
    except pd.errors.EmptyDataError:
        raise DataFileError(path, ["file is empty"]) from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(path, [f"not a readable CSV: {exc}"]) from None
    records = []
    for row in frame.to_dict(orient="records"):
        rec: dict[str, Any] = {str(k): v for k, v in row.items() if v != ""}
        for key in ("temperatures_c", "fault_codes"):
            if key in rec:
                rec[key] = _split(rec[key])
        records.append(rec)
    return records


def read_bms(path: str | Path) -> list[BmsSnapshot]:
    """Read a BMS snapshot file (``.json`` or ``.csv``).

    Raises
    ------
    DataFileError
        Naming the file, the record (0-based) and each bad field.
    """
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, ["file not found"])
    if path.stat().st_size == 0:
        raise DataFileError(path, ["file is empty"])
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DataFileError(path, [f"not valid JSON: {exc}"]) from None
        records = raw if isinstance(raw, list) else [raw]
    else:
        records = _csv_records(path)
    if not records:
        raise DataFileError(path, ["no BMS snapshot records"])
    out, problems = [], []
    for k, rec in enumerate(records):
        if not isinstance(rec, dict):
            problems.append(f"record {k}: expected an object")
            continue
        try:
            out.append(BmsSnapshot.model_validate(rec))
        except ValidationError as exc:
            problems += [f"record {k}: {line}" for line in describe_validation_error(exc)]
    if problems:
        raise DataFileError(path, problems)
    return out


def looks_like_bms(path: Path) -> bool:
    """Cheap sniff: JSON, or a CSV whose header names ``min_cell_voltage_v``."""
    if path.suffix.lower() == ".json":
        return True
    from packlife.io._checks import first_data_line

    try:
        return "min_cell_voltage_v" in first_data_line(path)
    except OSError:
        return False
