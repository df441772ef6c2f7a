"""Batch import of batteries from a CSV file.

Header (case-sensitive, any column order): required ``serial,catalog_id``; optional ``vin``,
``vehicle_make``, ``vehicle_model``, ``manufactured`` (ISO date), ``first_life_end`` (ISO
date), ``soh`` (fraction 0–1), ``resistance_growth`` (factor of new), ``category``
(ev/industrial/lmt, default ev) and ``parent_serial`` (for a module: the pack it came from,
registered before or earlier in the same file). Unknown columns are an error.

The whole file is validated first (catalog ids, dates, numbers, duplicate serials within the
file and against the database), so a bad row writes nothing. Rows are then written in batches,
each batch one transaction with every battery's ``registered`` event: a process killed
part-way leaves whole committed batches, and ``--skip-existing`` resumes the import.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from packlife.errors import DataFileError, PacklifeError
from packlife.registry.db import RegistryConflictError, transaction
from packlife.registry.models import Battery
from packlife.registry.service import actor_name, check_parent, register, registered_payload

REQUIRED_COLUMNS = ("serial", "catalog_id")
OPTIONAL_COLUMNS = ("vin", "vehicle_make", "vehicle_model", "manufactured", "first_life_end",
                    "soh", "resistance_growth", "category", "parent_serial")
DEFAULT_BATCH_SIZE = 200


@dataclass
class ImportReport:
    """Outcome of an import: rows read, batteries created, rows skipped as already present."""

    rows: int
    created: int
    skipped: int
    batches: int


def _row_payload(path: Path, line: int, row: dict[str, str]) -> dict[str, Any]:
    def opt(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    def date(name: str) -> dt.date | None:
        value = opt(name)
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise DataFileError(path, [f"row {line}, column '{name}': expected an ISO date "
                                       f"YYYY-MM-DD, got {str(value)[:40]!r}"]) from None

    def number(name: str) -> float | None:
        value = opt(name)
        try:
            out = float(value) if value else None
        except ValueError:
            out = math.nan
        if out is None or math.isfinite(out):
            return out
        raise DataFileError(path, [f"row {line}, column '{name}': expected a number, "
                                   f"got {str(value)[:40]!r}"])

    try:
        return registered_payload(
            row.get("serial") or "", (row.get("catalog_id") or "").strip(),
            category=opt("category") or "ev", parent_serial=opt("parent_serial"),
            vin=opt("vin"), vehicle_make=opt("vehicle_make"), vehicle_model=opt("vehicle_model"),
            manufactured_on=date("manufactured"), first_life_end_on=date("first_life_end"),
            soh=number("soh"), resistance_growth=number("resistance_growth"),
        )
    except DataFileError:
        raise
    except PacklifeError as exc:
        serial = (row.get("serial") or "")[:40]
        raise DataFileError(path, [f"row {line} (serial {serial!r}): {exc}"]) from None


def read_import_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, registered payload)`` per data row; raise naming the bad row."""
    if path.is_dir():
        raise DataFileError(path, ["is a folder, expected a CSV file"])
    try:
        fh = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except OSError as exc:
        raise DataFileError(path, [f"cannot be read: {exc.strerror or exc}"]) from None
    with fh:
        reader = csv.DictReader(fh)
        try:
            yield from _rows(path, reader)
        except UnicodeDecodeError:
            raise DataFileError(path, ["not a UTF-8 text file"]) from None
        except csv.Error as exc:
            raise DataFileError(path, [f"row {reader.line_num}: not valid CSV ({exc})"]) from None


def _check_header(path: Path, header: list[str]) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    twice = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or twice:
        problems = [f"header: required column '{c}' is missing" for c in missing]
        problems += [f"header: unknown column {c[:40]!r} (allowed: "
                     f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})" for c in unknown]
        problems += [f"header: column '{c}' appears more than once" for c in twice]
        raise DataFileError(path, problems)


def _rows(path: Path, reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    header = list(reader.fieldnames or [])
    if not header:
        raise DataFileError(path, ["file is empty (expected a header row)"])
    _check_header(path, header)
    for row in reader:
        if None in row:  # more fields than the header has columns
            raise DataFileError(path, [f"row {reader.line_num}: {len(header) + len(row[None])} "
                                       f"fields, the header has {len(header)} columns"])
        yield reader.line_num, _row_payload(path, reader.line_num, row)


def _validate(path: Path, db_url: str | None, skip_existing: bool
              ) -> tuple[list[tuple[int, dict[str, Any]]], int, int]:
    rows = list(read_import_csv(path))
    with transaction(db_url) as session:
        existing = dict(session.execute(select(Battery.serial, Battery.catalog_id)).all())
    seen: dict[str, int] = {}
    catalog_of: dict[str, str] = {}
    todo: list[tuple[int, dict[str, Any]]] = []
    skipped = 0
    for line, p in rows:
        serial = p["serial"]
        if serial in seen:
            raise DataFileError(path, [f"row {line}: serial {serial!r} duplicates row "
                                       f"{seen[serial]}"])
        seen[serial] = line
        if serial in existing:
            if skip_existing and existing[serial] == p["catalog_id"]:
                skipped += 1
                continue
            raise DataFileError(path, [f"row {line}: serial {serial!r} is already registered "
                                       f"(catalog id {existing[serial]!r})"
                                       + ("" if skip_existing else
                                          "; use --skip-existing to resume an import")])
        parent = p["parent_serial"]
        if parent:
            parent_catalog = existing.get(parent) or catalog_of.get(parent)
            if parent_catalog is None:
                raise DataFileError(path, [f"row {line}: parent_serial {parent!r} is neither "
                                           "registered nor on an earlier row"])
            try:
                check_parent(p["catalog_id"], parent, parent_catalog)
            except PacklifeError as exc:
                raise DataFileError(path, [f"row {line} (serial {serial!r}): {exc}"]) from None
        catalog_of[serial] = p["catalog_id"]
        todo.append((line, p))
    return todo, len(rows), skipped


def import_csv(
    path: Path,
    db_url: str | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    skip_existing: bool = False,
    actor: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import batteries from ``path``; each batch of ``batch_size`` rows is one transaction.

    ``progress(n)`` is called after each committed batch with the number of rows in it.
    """
    if batch_size < 1:
        raise PacklifeError(f"batch size {batch_size} must be ≥ 1")
    todo, n_rows, skipped = _validate(path, db_url, skip_existing)
    who = actor_name(actor)
    batches = 0
    for start in range(0, len(todo), batch_size):
        chunk = todo[start:start + batch_size]
        try:
            with transaction(db_url) as session:
                for _line, payload in chunk:
                    register(session, payload, who)
        except RegistryConflictError:
            lines = f"{chunk[0][0]}–{chunk[-1][0]}"
            raise DataFileError(path, [
                f"rows {lines}: a serial was registered by another writer meanwhile; nothing of "
                f"these rows was written ({start} rows before were committed); rerun with "
                "--skip-existing"]) from None
        batches += 1
        if progress is not None:
            progress(len(chunk))
    return ImportReport(rows=n_rows, created=len(todo), skipped=skipped, batches=batches)
