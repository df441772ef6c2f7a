"""CSV import: validation names the row, nothing of a bad file is written, resume works."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from packlife.catalog import list_pack_models
from packlife.errors import DataFileError
from packlife.registry.csv_import import import_csv
from packlife.registry.db import transaction
from packlife.registry.models import Battery, Event
from packlife.registry.service import show

from .conftest import write_csv

HEADER = "serial,catalog_id,vin,manufactured,first_life_end,soh,resistance_growth,parent_serial"


def _counts(url: str) -> tuple[int, int]:
    with transaction(url) as session:
        return (session.scalar(select(func.count()).select_from(Battery)) or 0,
                session.scalar(select(func.count()).select_from(Event)) or 0)


def test_import_registers_every_row_with_its_event(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    pack, module = catalog_ids
    path = write_csv(tmp_path / "in.csv", HEADER, [
        f"L1,{pack},SJNFAAZE0U6000001,2013-04-02,2024-06-01,0.71,1.35,",
        f"L1-M01,{module},,,,0.70,,L1",
        f"L2,{pack},,,,,,",
    ])
    report = import_csv(path, db_url, batch_size=2)
    assert (report.rows, report.created, report.skipped, report.batches) == (3, 3, 0, 2)
    assert _counts(db_url) == (3, 3)
    info = show(db_url, "L1")
    assert (info["vin"], info["manufactured_on"], info["first_life_end_on"]) == (
        "SJNFAAZE0U6000001", "2013-04-02", "2024-06-01")
    assert (info["soh"], info["resistance_growth"], info["children"]) == (0.71, 1.35, ["L1-M01"])
    assert show(db_url, "L1-M01")["kind"] == "module"


@pytest.mark.parametrize(("rows", "message"), [
    (["A,{pack}", "B,{pack}", "A,{pack}"], r"row 4: serial 'A' duplicates row 2"),
    (["A,{pack}", "B,nissan_leaf_99kwh"], r"row 3 \(serial 'B'\): unknown catalog id"),
    (["A,{pack},,2013-13-01"], r"row 2, column 'manufactured': expected an ISO date"),
    (["A,{pack},,,,high"], r"row 2, column 'soh': expected a number, got 'high'"),
    (["A,{pack},,,,72"], r"row 2 \(serial 'A'\): soh 72.0 must be a fraction"),
    (["M,{module},,,,,,P", "P,{pack}"], r"row 2: parent_serial 'P' is neither registered"),
    (["P,{other}", "M,{module},,,,,,P"],
     r"row 3 \(serial 'M'\): parent 'P' is a '{other}', but module '{module}' comes from"),
    (["P,{pack}", "Q,{pack},,,,,,P"], r"row 3 \(serial 'Q'\): only modules have a parent pack"),
])
def test_bad_rows_are_named_and_nothing_is_written(
    sqlite_url: str, catalog_ids: tuple[str, str], tmp_path: Path, rows: list[str], message: str
) -> None:
    pack, module = catalog_ids
    other = next(p.id for p in list_pack_models("pack") if p.id != pack)  # another pack model
    ids = {"pack": pack, "module": module, "other": other}
    path = write_csv(tmp_path / "bad.csv", HEADER, [r.format(**ids) for r in rows])
    with pytest.raises(DataFileError, match=message.format(**ids)) as err:
        import_csv(path, sqlite_url, batch_size=1)
    assert str(path) in str(err.value)
    assert _counts(sqlite_url) == (0, 0)


def test_header_problems(sqlite_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", "serial,model,colour", ["A,x,red"])
    with pytest.raises(DataFileError, match="required column 'catalog_id' is missing") as err:
        import_csv(path, sqlite_url)
    assert "unknown column 'colour'" in str(err.value)


def test_duplicate_against_database_and_resume(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    pack = catalog_ids[0]
    first = write_csv(tmp_path / "a.csv", "serial,catalog_id", [f"A,{pack}", f"B,{pack}"])
    import_csv(first, db_url)
    both = write_csv(tmp_path / "b.csv", "serial,catalog_id", [f"A,{pack}", f"B,{pack}",
                                                              f"C,{pack}"])
    with pytest.raises(DataFileError, match=r"row 2: serial 'A' is already registered"):
        import_csv(both, db_url)
    assert _counts(db_url) == (2, 2)
    report = import_csv(both, db_url, skip_existing=True)
    assert (report.created, report.skipped) == (1, 2)
    assert _counts(db_url) == (3, 3)
