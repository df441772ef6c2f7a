"""The design inventory: graded packs and modules read from a CSV file or from registry records.

CSV header (one row per pack or module; ``#`` starts a comment line)::

    serial,catalog_id,soh,resistance_growth[,grade][,kind][,ageing_rate_factor][,…]

* ``serial`` – unique identifier of the physical pack/module,
* ``catalog_id`` – a catalog model id (``packlife catalog list``),
* ``soh`` – measured capacity as a fraction of new (0.2 < soh ≤ 1),
* ``resistance_growth`` – measured resistance as a factor of new (0.8–5, 1.0 = new),
* ``grade`` (optional) – the grading letter, carried through to the output,
* ``kind`` (optional) – ``pack`` or ``module``; if given it must agree with the catalog entry,
* ``ageing_rate_factor`` (optional, 0.01–100, default 1) – the pack's own fade as a factor on its
  chemistry's ageing-law rates, fitted from repeated capacity checks by ``packlife grade fade``
  (:mod:`packlife.grading.fade_law`); ``packlife design --fade FILE`` merges it by serial.

Further columns are ignored. Every bad value raises :class:`packlife.errors.DataFileError` naming
the row (1 = first data row), the serial and the field.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from packlife.catalog import PackModel, get_pack_model
from packlife.errors import DataFileError, PacklifeError

REQUIRED_COLUMNS = ("serial", "catalog_id", "soh", "resistance_growth")
#: Accepted ranges (same as :class:`packlife.simulation.system.PackSpec`).
SOH_RANGE = (0.2, 1.0)
RESISTANCE_GROWTH_RANGE = (0.8, 5.0)
#: Accepted range of a pack's own ageing rate factor.
RATE_FACTOR_RANGE = (0.01, 100.0)


@dataclass(frozen=True)
class InventoryItem:
    """One graded pack or module with its catalog ratings.

    Attributes
    ----------
    serial, catalog_id : str
        Identity and catalog model.
    kind : str
        ``pack`` or ``module`` (from the catalog).
    chemistry : str
        Catalog chemistry (``nmc``, ``lfp``, ``lmo_nca`` …).
    soh : float
        Capacity fraction of new [0–1].
    resistance_growth : float
        Resistance factor of new [-].
    grade : str or None
        Grading letter if known.
    model : PackModel
        The catalog entry.
    ageing_rate_factor : float
        Factor on the ageing law's rate constants (1.0 = the chemistry's law as catalogued).
    """

    serial: str
    catalog_id: str
    kind: str
    chemistry: str
    soh: float
    resistance_growth: float
    grade: str | None
    model: PackModel
    ageing_rate_factor: float = 1.0

    @property
    def mass_kg(self) -> float:
        """Catalog mass [kg]."""
        return self.model.mass_kg

    @property
    def usable_energy_kwh(self) -> float:
        """OEM usable energy scaled by the measured SoH [kWh] (no power derate)."""
        return self.model.usable_energy_kwh * self.soh

    @property
    def max_discharge_power_kw(self) -> float:
        """Catalog discharge power limit of the pack [kW]."""
        return self.model.max_discharge_power_kw


def read_inventory_csv(path: str | Path) -> list[InventoryItem]:
    """Read and validate an inventory CSV (see the module docstring for the header).

    Raises
    ------
    DataFileError
        Missing file/columns, unreadable CSV, or a bad value (row, serial and field named).
    """
    path = Path(path)
    if path.is_dir():
        raise DataFileError(path, ["is a folder, expected an inventory CSV file"])
    try:
        with warnings.catch_warnings():  # a row longer than the header must not lose data
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, comment="#", skipinitialspace=True, dtype=str,
                                keep_default_na=False, encoding="utf-8", index_col=False)
    except pd.errors.ParserWarning:
        raise DataFileError(path, ["a row has more fields than the header has columns"]) from None
    except FileNotFoundError:
        raise DataFileError(path, ["file not found"]) from None
    except pd.errors.EmptyDataError:
        raise DataFileError(path, ["file is empty"]) from None
    except (OSError, ValueError, EOFError, zlib.error) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)[:200]
        raise DataFileError(path, [f"not a readable CSV ({reason})"]) from None
    names = [str(c).strip() for c in frame.columns]
    twice = sorted({n for n in names if names.count(n) > 1}
                   | {n[:-2] for n in names if n[-2:] in (".1", ".2") and n[:-2] in names})
    if twice:
        raise DataFileError(path, [f"header: column '{c}' appears more than once" for c in twice])
    frame.columns = names
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DataFileError(
            path,
            [f"column '{c}' is missing (header must hold {', '.join(REQUIRED_COLUMNS)})"
             for c in missing],
        )
    if frame.empty:
        raise DataFileError(path, ["no data rows"])
    records = [{str(k): v for k, v in rec.items()} for rec in frame.to_dict(orient="records")]
    return items_from_records(records, source=path)


def items_from_records(
    records: Sequence[Mapping[str, Any]], source: str | Path = "inventory"
) -> list[InventoryItem]:
    """Validate inventory records (CSV rows or registry listings) into :class:`InventoryItem`.

    Parameters
    ----------
    records : sequence of mapping
        Each with ``serial``, ``catalog_id``, ``soh``, ``resistance_growth`` and optionally
        ``grade`` and ``kind``.
    source : str or Path
        Named in error messages (file path or database URL).
    """
    items: list[InventoryItem] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for index, rec in enumerate(records, start=1):
        try:
            item = _item(rec)
        except PacklifeError as exc:
            serial = str(rec.get("serial", "")).strip()[:40] or "?"
            problems.append(f"row {index} (serial {serial}): {exc}")
            if len(problems) >= 10:
                break
            continue
        if item.serial in seen:
            problems.append(
                f"row {index}: field 'serial': {item.serial!r} repeats row {seen[item.serial]}"
            )
            continue
        seen[item.serial] = index
        items.append(item)
    if problems:
        raise DataFileError(source, problems)
    if not items:
        raise DataFileError(source, ["no packs or modules in the inventory"])
    return items


def _number(rec: Mapping[str, Any], field: str, low: float, high: float, low_open: bool) -> float:
    raw = rec.get(field)
    try:
        value = float(str(raw).strip()) if raw is not None else math.nan
    except ValueError:
        value = math.nan
    lower_ok = value > low if low_open else value >= low
    if not (math.isfinite(value) and lower_ok and value <= high):
        bracket = "(" if low_open else "["
        raise PacklifeError(
            f"field '{field}': expected a number in {bracket}{low}, {high}], got {raw!r}"
        )
    return value


def _item(rec: Mapping[str, Any]) -> InventoryItem:
    serial = str(rec.get("serial") or "").strip()
    if not serial:
        raise PacklifeError("field 'serial': must not be empty")
    if len(serial) > 64 or any(ord(c) < 32 or ord(c) == 127 for c in serial):
        raise PacklifeError("field 'serial': expected at most 64 printable characters, got "
                            f"{serial[:40]!r}")
    catalog_id = str(rec.get("catalog_id") or "").strip()
    if not catalog_id:
        raise PacklifeError("field 'catalog_id': must not be empty")
    try:
        model = get_pack_model(catalog_id)
    except PacklifeError as exc:
        raise PacklifeError(f"field 'catalog_id': {exc}") from None
    soh = _number(rec, "soh", *SOH_RANGE, low_open=True)
    rg = _number(rec, "resistance_growth", *RESISTANCE_GROWTH_RANGE, low_open=False)
    kind = str(rec.get("kind") or "").strip()
    if kind and kind != model.kind:
        raise PacklifeError(
            f"field 'kind': {kind!r} disagrees with catalog entry {catalog_id!r} ({model.kind!r})"
        )
    grade = str(rec.get("grade") or "").strip() or None
    factor = 1.0
    if str(rec.get("ageing_rate_factor") or "").strip() not in ("", "nan", "None"):
        factor = _number(rec, "ageing_rate_factor", *RATE_FACTOR_RANGE, low_open=False)
    return InventoryItem(
        serial=serial,
        catalog_id=catalog_id,
        kind=model.kind,
        chemistry=str(model.chemistry),
        soh=soh,
        resistance_growth=rg,
        grade=grade,
        model=model,
        ageing_rate_factor=factor,
    )


def merge_rate_factors(items: Sequence[InventoryItem], path: str | Path
                       ) -> tuple[list[InventoryItem], str]:
    """Set each pack's ``ageing_rate_factor`` from a fade file (``packlife grade fade --out``).

    The file needs ``serial`` and ``ageing_rate_factor`` columns; an empty factor (no fit for that
    serial) leaves the pack at its current factor. Returns the items and a one-line account of
    what was merged (matched, without a fit, not in the inventory), which the caller reports.

    Raises
    ------
    DataFileError
        Missing columns, a factor outside :data:`RATE_FACTOR_RANGE`, a repeated serial.
    """
    from dataclasses import replace

    from packlife.io._checks import read_small_csv

    checked, frame = read_small_csv(path)
    missing = [c for c in ("serial", "ageing_rate_factor") if c not in frame.columns]
    if missing:
        raise DataFileError(checked, [f"column '{c}' is missing" for c in missing])
    factors: dict[str, float] = {}
    unfitted = 0
    for index, raw in enumerate(frame.to_dict(orient="records"), start=1):
        rec = {str(k): v for k, v in raw.items()}
        serial = str(rec.get("serial") or "").strip()
        if serial in factors:
            raise DataFileError(checked, [f"row {index}: serial {serial!r} appears twice"])
        if str(rec.get("ageing_rate_factor") or "").strip() in ("", "nan", "None"):
            unfitted += 1
            continue
        try:
            factors[serial] = _number(rec, "ageing_rate_factor", *RATE_FACTOR_RANGE, False)
        except PacklifeError as exc:
            raise DataFileError(checked, [f"row {index} (serial {serial[:40]}): {exc}"]) from None
    known = {it.serial for it in items}
    out = [replace(it, ageing_rate_factor=factors[it.serial]) if it.serial in factors else it
           for it in items]
    stray = sorted(set(factors) - known)
    note = (f"ageing rate factors from {checked.name}: {len(factors) - len(stray)} of "
            f"{len(items)} inventory items; {unfitted} serial(s) in the file without a fit")
    if stray:
        note += f"; not in the inventory: {', '.join(stray[:5])}" + (" …" if len(stray) > 5 else "")
    return out, note
