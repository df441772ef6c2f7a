"""Inventory CSV reading: the example file and clear errors naming the row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from packlife.design.inventory import items_from_records, merge_rate_factors, read_inventory_csv
from packlife.errors import DataFileError

EXAMPLE = Path(__file__).parents[1] / "data" / "inventory" / "mixed_fleet.csv"
HEADER = "serial,catalog_id,soh,resistance_growth,kind\n"


def _write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "inv.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_example_inventory_reads_packs_and_modules() -> None:
    items = read_inventory_csv(EXAMPLE)
    assert sum(it.kind == "pack" for it in items) == 24
    assert sum(it.kind == "module" for it in items) == 9
    rr = next(it for it in items if it.catalog_id == "range_rover_phev_p440e")
    assert rr.mass_kg == 280.0  # catalog entry
    assert rr.usable_energy_kwh == pytest.approx(31.8 * rr.soh)


def test_unreadable_files_and_repeated_columns(tmp_path: Path) -> None:
    u16 = tmp_path / "u16.csv"
    u16.write_text("serial,catalog_id,soh,resistance_growth\nA,bmw_i3_94ah,0.8,1.2\n",
                   encoding="utf-16")
    dup = tmp_path / "dup.csv"
    dup.write_text("serial,catalog_id,soh,soh,resistance_growth\nA,bmw_i3_94ah,0.8,0.7,1.2\n")
    for path, message in [(u16, "not a readable CSV"), (tmp_path, "is a folder"),
                          (dup, "column 'soh' appears more than once")]:
        with pytest.raises(DataFileError, match=message):
            read_inventory_csv(path)


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("A,range_rover_phev_p440e,0.8,1.2,pack\nB,range_rover_phev_p440e,1.3,1.2,pack\n",
         ["row 2 (serial B)", "field 'soh'", "1.3"]),
        ("A,range_rover_phev_p440e,0.8,abc,pack\n", ["row 1 (serial A)",
                                                     "field 'resistance_growth'"]),
        ("A,no_such_pack,0.8,1.2,pack\n", ["row 1", "field 'catalog_id'", "no_such_pack"]),
        ("A,nissan_leaf_gen1_module,0.8,1.2,pack\n", ["field 'kind'", "module"]),
        ("A,bmw_i3_94ah,0.8,1.2,pack\nA,bmw_i3_94ah,0.7,1.2,pack\n",
         ["row 2", "field 'serial'", "repeats row 1"]),
        (",bmw_i3_94ah,0.8,1.2,pack\n", ["row 1", "field 'serial'"]),
        # issue #17: non-finite numbers, control characters, extra fields
        ("A,bmw_i3_94ah,inf,1.2,pack\n", ["row 1", "field 'soh'", "inf"]),
        ("A,bmw_i3_94ah,0.8,nan,pack\n", ["row 1", "field 'resistance_growth'", "nan"]),
        ('"A\x00B",bmw_i3_94ah,0.8,1.2,pack\n', ["row 1", "field 'serial'", "printable"]),
        ("A,bmw_i3_94ah,0.8,1.2,pack,extra\n", ["more fields than the header"]),
    ],
)
def test_bad_rows_name_row_and_field(tmp_path: Path, body: str, fragments: list[str]) -> None:
    with pytest.raises(DataFileError) as info:
        read_inventory_csv(_write(tmp_path, body))
    for fragment in fragments:
        assert fragment in str(info.value)


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "A,bmw_i3_94ah,0.8\n", header="serial,catalog_id,soh\n")
    with pytest.raises(DataFileError, match="column 'resistance_growth' is missing"):
        read_inventory_csv(path)
    with pytest.raises(DataFileError, match="file not found"):
        read_inventory_csv(tmp_path / "nope.csv")


def test_registry_records_with_missing_resistance_are_rejected() -> None:
    records = [{"serial": "X1", "catalog_id": "bmw_i3_94ah", "soh": 0.8,
                "resistance_growth": None, "kind": "pack"}]
    with pytest.raises(DataFileError, match=r"row 1 .*resistance_growth"):
        items_from_records(records, source="sqlite:///r.db")


def test_ageing_rate_factor_column_and_merge(tmp_path: Path) -> None:
    path = _write(tmp_path, "A,bmw_i3_94ah,0.8,1.2,pack,2.0\nB,bmw_i3_94ah,0.8,1.2,pack,\n",
                  header=HEADER.strip() + ",ageing_rate_factor\n")
    a, b = read_inventory_csv(path)
    assert (a.ageing_rate_factor, b.ageing_rate_factor) == (2.0, 1.0)
    fade = tmp_path / "fade.csv"
    fade.write_text("serial,ageing_rate_factor\nB,0.5\nA,\nZ,3\n")
    merged, note = merge_rate_factors([a, b], fade)
    assert [it.ageing_rate_factor for it in merged] == [2.0, 0.5]
    assert note == ("ageing rate factors from fade.csv: 1 of 2 inventory items; 1 serial(s) in "
                    "the file without a fit; not in the inventory: Z")
    fade.write_text("serial,ageing_rate_factor\nB,0.5\nB,0.6\n")
    with pytest.raises(DataFileError, match="row 2: serial 'B' appears twice"):
        merge_rate_factors([a, b], fade)
    fade.write_text("serial,factor\nB,0.5\n")
    with pytest.raises(DataFileError, match="column 'ageing_rate_factor' is missing"):
        merge_rate_factors([a, b], fade)
