"""Arbin ``.res`` reader (galvani ``res2sqlite`` + mdbtools ``mdb-export``) on the real file
``tests/data/cycler_formats/navani_arbin_example.res`` (see SOURCES.md there), and its errors:
no mdb-export on PATH, a damaged database, a ``.res`` that is not an Access database."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from packlife.errors import DataFileError, MissingToolError
from packlife.io.arbin_res import read_arbin_res
from packlife.io.detect import detect_format, read_any

D = Path(__file__).parents[1] / "data" / "cycler_formats"
RES = D / "navani_arbin_example.res"
needs_mdbtools = pytest.mark.skipif(
    shutil.which("mdb-export") is None,
    reason="mdb-export is not installed (Debian/Ubuntu: apt-get install mdbtools)",
)
# Arbin's own discharge counter at the end of cycles 1-4 (SOURCES.md; navani 0.1.22 reading
# the same file gives 0.475155859428, 0.474353299947, 0.474001533123, 0.473704386191 mAh)
DISCHARGE_AH = [4.75155859428e-4, 4.74353299947e-4, 4.74001533123e-4, 4.73704386191e-4]


def test_detected_without_mdbtools() -> None:
    assert detect_format(RES) == "arbin_res"


@needs_mdbtools
def test_real_res_file_as_navani_reads_it() -> None:
    rec = read_any(RES)
    d = rec.data
    assert rec.format == "arbin_res" and d is not None
    # navani 0.1.22: 2,150 rows, Test_Time 0.072595 … 345,733.389 s (96.0 h), in Data_Point order
    assert len(d) == 2150
    assert d["time_s"].iloc[0] == pytest.approx(0.072595, abs=1e-6)
    assert d["time_s"].iloc[-1] == pytest.approx(345733.389, abs=1e-3)
    assert np.all(np.diff(d["time_s"].to_numpy()) > 0)
    # the file writes charge positive (step 2: +86.5 µA to 4.30 V): discharge positive here
    assert d.loc[d["step"] == 2, "current_a"].median() == pytest.approx(-86.5e-6, rel=2e-3)
    assert d.loc[d["step"] == 3, "current_a"].median() == pytest.approx(86.6e-6, rel=2e-3)
    assert (d.loc[d["step"].isin([1, 4, 5]), "current_a"] == 0).all()
    assert d["voltage_v"].min() == pytest.approx(3.0, abs=1e-3)
    assert d["voltage_v"].max() == pytest.approx(4.30, abs=1e-3)
    ends = d[d["current_a"] > 0].groupby("cycle")["discharge_counter_ah"].max().to_numpy()
    np.testing.assert_allclose(ends, DISCHARGE_AH, rtol=1e-9)
    assert sorted(set(d["cycle"])) == [1, 2, 3, 4, 5] and sorted(set(d["step"])) == [1, 2, 3, 4, 5]
    meta = rec.metadata
    assert meta["version"] == "Results File 5.23" and meta["sign_flipped"] is True
    assert meta["test_name"] == "ajm314_LCO_ajm5-SSB1-F_Wait48hr-Repeat-01-012"
    assert meta["start"] == "2023-07-24T18:50:00" and meta["mdb_export_messages"] == []


@needs_mdbtools
def test_same_frame_columns_as_the_arbin_csv_reader() -> None:
    res = read_arbin_res(RES)[0]
    csv = read_any(D / "bdt_arbin_example.csv.gz").data
    assert csv is not None
    # the CSV has a temperature column, the .res file has no auxiliary channel
    assert list(res.columns) == [c for c in csv.columns if c != "temperature_c"]


def test_no_mdb_export_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError, match="apt-get install mdbtools"):
        read_any(RES)


def test_res_that_is_not_an_access_database(tmp_path: Path) -> None:
    p = tmp_path / "notes.res"
    p.write_text("Test_Time,Current,Voltage\n0,0,3.7\n")
    with pytest.raises(DataFileError, match=r"notes\.res.*not an MS Access database"):
        read_any(p)


def test_cut_copy_is_refused_before_mdb_export(tmp_path: Path) -> None:
    # mdbtools 1.0 mdb-export loops without end on some cut copies (seen on 77,761 bytes)
    p = tmp_path / "cut.res"
    p.write_bytes(RES.read_bytes()[:77_761])
    with pytest.raises(DataFileError, match=r"cut\.res: truncated MS Access database"):
        read_any(p)


@needs_mdbtools
@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_damaged_database_is_refused(tmp_path: Path, damage: str) -> None:
    raw = RES.read_bytes()
    p = tmp_path / f"{damage}.res"
    # cut at a page boundary, or overwritten: mdb-export exits 0 with errors or warnings on
    # stderr and rows missing
    p.write_bytes(
        raw[: len(raw) // 2]
        if damage == "truncated"
        else raw[:300_000] + b"\xff" * 10_000 + raw[310_000:]
    )
    with pytest.raises(DataFileError, match=rf"{damage}\.res: not a readable Arbin \.res database"):
        read_any(p)
