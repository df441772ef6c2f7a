"""Fuzz the row-based inputs: session CSVs, design inventories and registry import files.

Each file either fails with one :class:`DataFileError` naming the file (and the row where one is
at fault), or reads into values that are all finite and physically valid."""

from __future__ import annotations

import csv
import io
import math
import shutil
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import event, given
from hypothesis import strategies as st

from packlife.control.vehicles import VEHICLE_MODELS
from packlife.design.inventory import read_inventory_csv
from packlife.errors import DataFileError
from packlife.registry.csv_import import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, read_import_csv
from packlife.site.sessions import read_sessions_csv

from ._fuzz import HOSTILE_FLOATS, HOSTILE_TEXT, fuzz

START = datetime(2024, 6, 3, tzinfo=timezone(timedelta(hours=1)))
RUN_DAYS = 2.0
MODELS = sorted(VEHICLE_MODELS)
PACKS = ["nissan_leaf_24kwh", "range_rover_phev_p440e", "bmw_i3_94ah", "nissan_leaf_gen1_module"]


FOLDER = Path(tempfile.mkdtemp(prefix="packlife-fuzz-"))


def _write(rows: list[list[str]], raw: bytes | None = None) -> Path:
    """The CSV file of one example (the same path each time: examples run one by one)."""
    path = FOLDER / "in.csv"
    if raw is not None:
        path.write_bytes(raw)
        return path
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def teardown_module() -> None:
    shutil.rmtree(FOLDER, ignore_errors=True)


HOSTILE_CELL = st.one_of(HOSTILE_TEXT, HOSTILE_FLOATS.map(repr), HOSTILE_FLOATS.map(str))
#: (row, column, hostile cell) edits; about half of the examples stay unedited (plausible files).
EDITS = st.one_of(st.just([]), st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9),
                                                  HOSTILE_CELL), min_size=1, max_size=2))


def _edited(rows: list[list[str]], edits: list[tuple[int, int, str]]) -> list[list[str]]:
    rows = [list(r) for r in rows]
    for r, c, cell in edits:
        if rows and rows[r % len(rows)]:
            row = rows[r % len(rows)]
            row[c % len(row)] = cell
    return rows


@st.composite
def session_row(draw: st.DrawFn) -> list[str]:
    model = draw(st.sampled_from(MODELS))
    arrival = START + timedelta(seconds=draw(st.floats(-3600, RUN_DAYS * 86400 + 3600)))
    departure = arrival + timedelta(seconds=draw(st.floats(-60, 86400)))
    usable = VEHICLE_MODELS[model].usable_energy_kwh
    energy = draw(st.floats(-0.1, usable * 1.05))
    zone = draw(st.sampled_from([START.tzinfo, UTC, timezone(timedelta(hours=-7))]))
    return [arrival.astimezone(zone).isoformat(), departure.astimezone(zone).isoformat(),
            f"{energy:.3f}", model]


SESSION_HEADER = st.one_of(
    st.just(["arrival", "departure", "energy_kwh", "vehicle_model"]),
    st.lists(st.sampled_from(["arrival", "departure", "energy_kwh", "vehicle_model", "x"]),
             min_size=4, max_size=4))


@fuzz(700)
@given(header=SESSION_HEADER, rows=st.lists(session_row(), max_size=6), edits=EDITS,
       raw=st.one_of(st.none(), st.none(), st.none(), st.binary(max_size=200)))
def test_session_files(header: list[str], rows: list[list[str]],
                       edits: list[tuple[int, int, str]], raw: bytes | None) -> None:
    path = _write([header, *_edited(rows, edits)], raw)
    try:
        sessions = read_sessions_csv(path, START, MODELS[0], 7.0, RUN_DAYS)
    except DataFileError as exc:
        assert str(exc).startswith(str(path)) and "Traceback" not in str(exc)
        event("refused")
        return
    event("accepted" if sessions else "accepted, empty")
    for s in sessions:
        usable_wh = VEHICLE_MODELS[s.vehicle_model].usable_energy_kwh * 1000.0
        assert 0.0 <= s.arrival_s < RUN_DAYS * 86400.0 < math.inf
        assert s.arrival_s < s.departure_s and math.isfinite(s.departure_s)
        assert 0.0 <= s.energy_needed_wh <= usable_wh
        assert 0.0 <= s.soc_arrival <= 1.0


INVENTORY_ROW = st.tuples(st.text(st.characters(codec="ascii", categories=["L", "N"]),
                                  min_size=1, max_size=8),
                          st.sampled_from(PACKS),
                          st.floats(min_value=0.15, max_value=1.02).map(str),
                          st.floats(min_value=0.75, max_value=5.1).map(str),
                          st.sampled_from(["", "", "", "B"]))


@fuzz(600)
@given(rows=st.lists(INVENTORY_ROW, max_size=6), edits=EDITS,
       header=st.sampled_from([["serial", "catalog_id", "soh", "resistance_growth", "kind"],
                               ["serial", "catalog_id", "soh", "resistance_growth", "grade"],
                               ["serial", "catalog_id", "soh", "resistance_growth", "grade"],
                               ["serial", "catalog_id", "soh", "soh", "kind"],
                               ["serial", "soh", "resistance_growth"]]))
def test_inventory_files(rows: list[tuple[str, ...]], edits: list[tuple[int, int, str]],
                         header: list[str]) -> None:
    path = _write([header, *_edited([list(r) for r in rows], edits)])
    try:
        items = read_inventory_csv(path)
    except DataFileError as exc:
        assert str(exc).startswith(str(path)) and "Traceback" not in str(exc)
        event("refused")
        return
    event("accepted")
    assert len({i.serial for i in items}) == len(items) >= 1
    for item in items:
        assert 0.2 < item.soh <= 1.0 and 0.8 <= item.resistance_growth <= 5.0
        assert item.serial.strip() and all(ord(c) >= 32 for c in item.serial)
        assert math.isfinite(item.usable_energy_kwh) and item.usable_energy_kwh > 0


DATE = st.one_of(st.just(""), st.dates(min_value=datetime(1985, 1, 1).date(),
                                        max_value=datetime(2030, 1, 1).date()).map(str))
IMPORT_ROW = st.fixed_dictionaries({
    "serial": st.text(st.characters(codec="ascii", categories=["L", "N", "P"]), min_size=1,
                      max_size=66),
    "catalog_id": st.sampled_from(PACKS[:3]),
    "vin": st.text(st.characters(codec="ascii", categories=["L", "N"]), max_size=34),
    "manufactured": DATE, "first_life_end": DATE,
    "soh": st.one_of(st.just(""), st.floats(min_value=0.0, max_value=1.3).map(str)),
    "resistance_growth": st.one_of(st.just(""), st.floats(min_value=0.4, max_value=11).map(str)),
    "category": st.sampled_from(["", "ev", "industrial", "lmt", "bus"]),
})
IMPORT_COLUMNS = st.one_of(
    st.just([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS[:5], "soh", "resistance_growth", "category"]),
    st.lists(st.sampled_from([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, "extra"]),
             min_size=1, max_size=8))


@fuzz(600)
@given(rows=st.lists(IMPORT_ROW, max_size=5), columns=IMPORT_COLUMNS, edits=EDITS,
       ragged=st.sampled_from([False, False, False, True]))
def test_registry_import_files(rows: list[dict[str, str]], columns: list[str],
                               edits: list[tuple[int, int, str]], ragged: bool) -> None:
    body = [[r.get(c, "") for c in columns] + (["x"] if ragged else []) for r in rows]
    body = _edited(body, edits)
    path = _write([columns, *body])
    today = datetime.now(UTC).date()
    try:
        payloads = list(read_import_csv(path))
    except DataFileError as exc:
        assert str(exc).startswith(str(path)) and "Traceback" not in str(exc)
        event("refused")
        return
    event("accepted" if payloads else "accepted, empty")
    assert len(set(columns)) == len(columns) and not (ragged and rows)
    for _line, p in payloads:
        assert 1 <= len(p["serial"]) <= 64 and all(ord(c) >= 32 for c in p["serial"])
        assert p["vin"] is None or len(p["vin"]) <= 32
        for key in ("soh", "resistance_growth"):
            assert p[key] is None or math.isfinite(p[key])
        made, end = p["manufactured_on"], p["first_life_end_on"]
        for day in (made, end):
            assert day is None or "1990-01-01" <= day <= str(today + timedelta(days=1))
        if made and end:
            assert made <= end
