"""BMS snapshot files: JSON and CSV, schema errors named by record and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from packlife.errors import DataFileError
from packlife.io.bms import read_bms
from packlife.io.detect import detect_format

SNAP = {
    "serial": "LEAF-0001",
    "pack_voltage_v": 370.2,
    "min_cell_voltage_v": 3.851,
    "max_cell_voltage_v": 3.874,
    "temperatures_c": [21.5, 22.0],
    "bms_soh": 0.78,
    "cycle_count": 1200,
    "fault_codes": [],
    "manufacture_date": "2014-03-01",
}


def test_json_list_and_csv(tmp_path: Path) -> None:
    pj = tmp_path / "snap.json"
    pj.write_text(json.dumps([SNAP, SNAP | {"serial": "LEAF-0002"}]))
    snaps = read_bms(pj)
    assert [s.serial for s in snaps] == ["LEAF-0001", "LEAF-0002"]
    assert snaps[0].imbalance_v == pytest.approx(0.023)
    pc = tmp_path / "snap.csv"
    pc.write_text(
        "serial,pack_voltage_v,min_cell_voltage_v,max_cell_voltage_v,temperatures_c,fault_codes\n"
        "M1,7.6,3.80,3.82,20.5;21,P0A80;U0100\n"
    )
    assert detect_format(pc) == "bms"
    (s,) = read_bms(pc)
    assert s.temperatures_c == [20.5, 21.0] and s.fault_codes == ["P0A80", "U0100"]


@pytest.mark.parametrize(
    ("bad", "needle"),
    [
        ({"min_cell_voltage_v": 3.9}, "min_cell_voltage_v must not exceed"),
        ({"bms_soh": 78}, "record 0: field 'bms_soh'"),
        ({"temperatures_c": [295.0]}, "kelvin"),
        ({"colour": "red"}, "field 'colour': unknown field"),
    ],
)
def test_schema_errors(tmp_path: Path, bad: dict[str, object], needle: str) -> None:
    p = tmp_path / "snap.json"
    p.write_text(json.dumps(SNAP | bad))
    with pytest.raises(DataFileError) as exc:
        read_bms(p)
    assert needle in str(exc.value)


def test_broken_json(tmp_path: Path) -> None:
    p = tmp_path / "snap.json"
    p.write_text('{"serial": "x", ')
    with pytest.raises(DataFileError, match="not valid JSON"):
        read_bms(p)
