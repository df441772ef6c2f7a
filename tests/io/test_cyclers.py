"""Readers on real cycler exports (tests/data/cycler_formats, see SOURCES.md there), and
robustness: corrupted .gz, UTF-16, binary content, directories → DataFileError naming the file."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from packlife.errors import DataFileError
from packlife.grading.batch import GradeContext, grade_file
from packlife.io.detect import detect_format, read_any

D = Path(__file__).parents[1] / "data" / "cycler_formats"
BA = "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_timeseries.csv"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("bdt_arbin_example.csv.gz", "arbin"),
        (BA, "arbin"),
        ("bdt_maccor_example.001", "maccor"),
        ("galvani_020-formation_CB5.mpr", "biologic"),
        ("galvani_020-formation_CB5.mpt.gz", "biologic_mpt"),
        ("navani_test.ndax", "neware"),
        ("navani_test.nda", "neware"),
    ],
)
def test_detects_real_files(name: str, fmt: str) -> None:
    assert detect_format(D / name) == fmt
    rec = read_any(D / name)
    assert rec.data is not None
    assert np.all(np.diff(rec.data["time_s"].to_numpy()) >= 0)


def test_arbin_csv_columns_sign_and_counter() -> None:
    d = read_any(D / "bdt_arbin_example.csv.gz").data
    assert d is not None and len(d) == 2142
    # the file writes charge positive: step 11 is a 1.1 A charge, step 12 a 4.4 A discharge
    assert d.loc[d.step == 11, "current_a"].min() == pytest.approx(-1.1, abs=0.01)
    assert d.loc[d.step == 12, "current_a"].median() == pytest.approx(4.4, abs=0.01)
    # cycler counter at the end of each discharge (SOURCES.md: 1.0724 and 1.0729 Ah)
    ends = d[d.step == 12].groupby("cycle")["discharge_counter_ah"].last().to_numpy()
    np.testing.assert_allclose(ends, [1.0724, 1.0729], atol=2e-4)
    assert d["temperature_c"].between(28, 33).all()


def test_arbin_cccv_discharge_counts_the_cc_phase() -> None:
    res = grade_file(D / "bdt_arbin_example.csv.gz", GradeContext(rated_capacity_ah=1.1))[0]
    assert res["capacity_method"] == "full_cc_discharge"
    # CC phase to 2.0 V: less than the CC+CV counter (1.0724 Ah), more than 95 % of it
    assert 0.95 * 1.0724 < float(res["capacity_ah"]) < 1.0724  # type: ignore[arg-type]
    assert any("CC-CV" in str(r) for r in res["reasons"])  # type: ignore[union-attr]


def test_battery_archive_has_no_steps_and_is_charge_positive() -> None:
    d = read_any(D / BA).data
    assert d is not None and "step" not in d
    assert d["current_a"].min() == pytest.approx(-0.675, abs=1e-3)  # charging at 0.5C
    assert d["time_s"].iloc[0] == pytest.approx(30.009)


def test_maccor_minutes_to_seconds() -> None:
    d = read_any(D / "bdt_maccor_example.001").data
    assert d is not None and len(d) == 8
    np.testing.assert_allclose(d["time_s"].iloc[:2], [0.0, 10.002], atol=1e-3)  # 0.1667 min
    assert (d["current_a"] == 0).all() and (d["step"] == 1).all()


def test_biologic_mpr_and_mpt_agree_and_give_the_two_capacities() -> None:
    a = read_any(D / "galvani_020-formation_CB5.mpr").data
    b = read_any(D / "galvani_020-formation_CB5.mpt.gz").data
    assert a is not None and b is not None and len(a) == len(b) == 1323
    np.testing.assert_allclose(a["voltage_v"], b["voltage_v"], atol=1e-5)
    np.testing.assert_allclose(a["current_a"], b["current_a"], atol=1e-8)
    for path in ("galvani_020-formation_CB5.mpr", "galvani_020-formation_CB5.mpt.gz"):
        res = grade_file(D / path, GradeContext(rated_capacity_ah=0.062))[0]
        caps = {round(float(g["c_rate"]), 2): g["capacity_ah"] for g in res["capacity_by_rate"]}  # type: ignore[union-attr]
        # SOURCES.md: 50.85 mAh at C/20 (Ns 4), 49.65 mAh at C/5 (Ns 9)
        assert caps[0.05] == pytest.approx(0.05085, rel=1e-3)
        assert caps[0.2] == pytest.approx(0.04965, rel=1e-3)


def test_neware_ndax_time_rebuilt_from_step_times() -> None:
    d = read_any(D / "navani_test.ndax").data
    assert d is not None and len(d) == 1464
    # 2024-02-01 20:24:23 → 2024-02-02 08:34:23 = 43,800 s
    assert d["time_s"].iloc[-1] == pytest.approx(43800.0, abs=60.0)
    dis = d[d["current_a"] > 0]
    assert dis["current_a"].median() == pytest.approx(0.12e-3, rel=0.01)
    assert d["discharge_counter_ah"].max() == pytest.approx(0.625e-3, rel=0.01)


def test_neware_nda_variable_record_interval() -> None:
    d = read_any(D / "navani_test.nda").data
    assert d is not None and len(d) == 439
    dt = np.diff(d["time_s"].to_numpy())
    assert dt[dt > 0].min() == pytest.approx(0.1, abs=0.01)


def test_corrupted_gzip(tmp_path: Path) -> None:
    p = tmp_path / "broken.csv.gz"
    raw = (D / "bdt_arbin_example.csv.gz").read_bytes()
    p.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(DataFileError, match=r"broken\.csv\.gz"):
        read_any(p)
    q = tmp_path / "notgz.csv.gz"
    q.write_text("time_s,current_a,voltage_v\n0,0,3.5\n")
    with pytest.raises(DataFileError, match="gzip"):
        read_any(q)


def test_utf16_csv_is_read(tmp_path: Path) -> None:
    p = tmp_path / "excel.csv"
    p.write_text("time_s,current_a,voltage_v\n0,0,4.1\n10,1,4.0\n20,1,3.9\n", encoding="utf-16")
    rec = read_any(p)
    assert rec.format == "generic" and rec.data is not None
    assert rec.data["voltage_v"].tolist() == [4.1, 4.0, 3.9]


def test_binary_file_and_directory(tmp_path: Path) -> None:
    p = tmp_path / "data.csv"
    p.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(DataFileError, match="binary content"):
        read_any(p)
    with pytest.raises(DataFileError, match="is a directory"):
        read_any(tmp_path)
    with pytest.raises(DataFileError, match="is a directory"):
        read_any(tmp_path, "generic")


def test_generic_extra_columns_kept_or_ignored_and_listed(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text(
        "time_s,current_a,voltage_v,step,cycle,discharge_counter_ah,comment\n"
        "0,0,4.1,1,1,0,a\n10,1,4.0,2,1,0.0028,b\n20,1,3.9,2,1,0.0056,c\n"
    )
    rec = read_any(p)
    assert rec.data is not None and {"step", "cycle", "discharge_counter_ah"} <= set(rec.data)
    assert rec.metadata["ignored_columns"] == ["comment"]


def test_gzipped_copy_of_every_text_format_reads(tmp_path: Path) -> None:
    for name in ("bdt_maccor_example.001", BA):
        src = D / name
        dst = tmp_path / (name + ".gz")
        with src.open("rb") as fi, gzip.open(dst, "wb") as fo:
            shutil.copyfileobj(fi, fo)
        assert read_any(dst).data is not None


def test_maccor_comma_dialect_with_duration_strings(tmp_path: Path) -> None:
    """A second Maccor dialect written here (the real one is GPL-only): comma-separated,
    ``TestTime`` as ``Nd HH:MM:SS``, ``Current [A]`` unsigned with ``Md`` R/D, ``Cap. [Ah]``
    counter per step. A 1 A discharge for 2 h after a 10-min rest: 2.0 Ah."""
    lines = [
        "Today's Date 01/02/2025  Date of Test: 01/01/2025",
        "Rec,Cycle P,Cycle C,Step,TestTime,StepTime,Cap. [Ah],Current [A],Voltage [V],Md,ES",
    ]
    rec = 1
    for k in range(11):  # rest, one row a minute
        lines.append(f"{rec},0,0,1,0d 00:{k:02d}:00.00,0d 00:{k:02d}:00.00,0,0,4.18,R,0")
        rec += 1
    for k in range(1, 121):  # discharge, one row a minute, cut-off at 2 h
        t = 600 + 60 * k
        v = 4.1 - 1.1 * k / 120
        lines.append(
            f"{rec},0,0,2,0d {t // 3600:02d}:{t % 3600 // 60:02d}:00.00,0d 00:00:00.00,"
            f"{k / 60:.6f},1.0,{v:.4f},D,0"
        )
        rec += 1
    p = tmp_path / "run.txt"
    p.write_text("\n".join(lines) + "\n")
    assert detect_format(p) == "maccor"
    d = read_any(p).data
    assert d is not None and d["time_s"].iloc[-1] == pytest.approx(600 + 7200)
    assert d["current_a"].max() == 1.0 and d["current_a"].min() == 0.0
    res = grade_file(p, GradeContext(rated_capacity_ah=2.2))[0]
    assert res["capacity_ah"] == pytest.approx(2.0, rel=1e-6)
    assert "cycler_counter" in " ".join(map(str, res["reasons"]))  # type: ignore[call-overload]


def _neware_csv(tmp_path: Path, discharge_sign: int) -> Path:
    """A Neware BTSDA-style export written here: rest, then 500 mA CC DChg for 1 h."""
    rows = [
        "DataPoint,Cycle Index,Step Index,Step Type,Time,Total Time,Current(mA),Voltage(V),"
        "DChg. Cap.(Ah)"
    ]
    n = 1
    for k in range(6):
        rows.append(f"{n},1,1,Rest,00:{k:02d}:00,00:{k:02d}:00,0,4.15,0")
        n += 1
    for k in range(1, 61):
        tt = 300 + 60 * k
        rows.append(
            f"{n},1,2,CC DChg,00:{k:02d}:00,{tt // 3600:02d}:{tt % 3600 // 60:02d}:00,"
            f"{discharge_sign * 500},{4.1 - k / 60:.4f},{0.5 * k / 60:.5f}"
        )
        n += 1
    p = tmp_path / f"neware_{discharge_sign}.csv"
    p.write_text("\n".join(rows) + "\n")
    return p


@pytest.mark.parametrize("sign", [-1, 1])
def test_neware_csv_sign_from_step_types(tmp_path: Path, sign: int) -> None:
    p = _neware_csv(tmp_path, sign)
    assert detect_format(p) == "neware_csv"
    rec = read_any(p)
    assert rec.data is not None and rec.data["current_a"].max() == pytest.approx(0.5)
    assert rec.metadata["sign_flipped"] is (sign < 0)
    res = grade_file(p, GradeContext(rated_capacity_ah=0.55))[0]
    assert res["capacity_ah"] == pytest.approx(0.5, rel=1e-6)
