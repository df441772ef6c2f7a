"""The labelled-table fallback reader: real files of every text format give exactly what their own
reader gives (sign decided from the voltage response, not from the format's habit), real ORNL
data in other cyclers' layouts (Basytec-like TSV, Digatron-like semicolon/decimal comma with a
units row, a Landt-like .xlsx workbook) grade as the Bitrode original, and refusals name why."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from packlife.errors import DataFileError
from packlife.grading.batch import GradeContext, grade_file
from packlife.io.detect import detect_format, read_any
from packlife.io.labelled import discharge_sign, read_labelled

DATA = Path(__file__).parents[1] / "data"
D = DATA / "cycler_formats"
ORNL_1C = DATA / "ornl_leaf_cell" / "cell-discharge-bitrode-1c.csv.gz"


@pytest.mark.parametrize(
    "path",
    [
        ORNL_1C,
        DATA / "ornl_leaf_cell" / "cell-low-current-hppc-25c.csv.gz",
        D / "bdt_arbin_example.csv.gz",
        D / "galvani_020-formation_CB5.mpt.gz",
        D / "bdt_maccor_example.001",
        D / "CALCE_CX2-33_prism_LCO_25C_0-100_0.5-0.5C_d_timeseries.csv",
    ],
    ids=lambda p: p.name,
)
def test_real_files_match_their_own_reader(path: Path) -> None:
    ref = read_any(path).data
    got, meta = read_labelled(path)
    assert ref is not None and len(got) == len(ref)
    assert {"time_s", "current_a", "voltage_v"} <= set(got.columns)
    for col in [c for c in ref.columns if c in got.columns]:
        np.testing.assert_allclose(got[col].to_numpy(), ref[col].to_numpy(), rtol=0,
                                   atol=1e-12, err_msg=col)
    assert meta["format"] == "labelled" and meta["notes"][0].startswith("read as a labelled")


def _ornl() -> pd.DataFrame:
    ref = read_any(ORNL_1C).data
    assert ref is not None
    return ref


def _capacity(path: Path) -> tuple[float, list[str]]:
    (res,) = grade_file(path, GradeContext(rated_capacity_ah=33.1))
    cap = res["capacity_ah"]
    assert isinstance(cap, float), res
    return cap, [str(r) for r in res["reasons"]]  # type: ignore[attr-defined]


def test_basytec_like_tsv_of_real_data_grades_as_the_original(tmp_path: Path) -> None:
    """Real ORNL 1C data written as a Basytec-style export: ``~`` comment lines, tab separated,
    time in hours, discharge negative, a Command column: detected as 'labelled', same capacity."""
    ref = _ornl()
    body = pd.DataFrame({
        "~Time[h]": ref["time_s"] / 3600.0, "Command": np.where(
            ref["current_a"] > 0, "Discharge", np.where(ref["current_a"] < 0, "Charge", "Pause")),
        "U[V]": ref["voltage_v"], "I[A]": -ref["current_a"], "Line": ref["step"]})
    p = tmp_path / "basytec.txt"
    p.write_text("~Resulttable Version: 1\n~Name: ORNL Leaf cell 1C (real data, re-laid out)\n"
                 + body.to_csv(sep="\t", index=False), encoding="latin-1")
    assert detect_format(p) == "labelled"
    cap, reasons = _capacity(p)
    assert cap == pytest.approx(30.3212, abs=1e-4)  # the original by its logged current alone
    assert any("charge positive in the file" in r and "flipped" in r for r in reasons)
    assert any("time ← '~Time[h]' [h]" in r for r in reasons)


def test_digatron_like_semicolon_decimal_comma_units_row_unsigned_current(
    tmp_path: Path,
) -> None:
    """Semicolon separated, decimal comma, a row of units under the header, ``hh:mm:ss`` program
    time and an unsigned current signed by the Status column (DCH / CHA / PAU)."""
    ref = _ornl().iloc[::3].reset_index(drop=True)
    t = ref["time_s"].to_numpy()
    stamp = [f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:05.2f}" for s in t]
    i = ref["current_a"].to_numpy()
    body = pd.DataFrame({"Prog Time": stamp, "Step": ref["step"].astype(int),
                         "Status": np.where(i > 0, "DCH", np.where(i < 0, "CHA", "PAU")),
                         "Voltage": ref["voltage_v"], "Current": np.abs(i) * 1000.0})
    text = body.to_csv(sep=";", index=False, decimal=",")
    header, rest = text.split("\n", 1)
    p = tmp_path / "digatron.csv"
    p.write_text(header + "\nhh:mm:ss;;;V;mA\n" + rest, encoding="utf-8")
    got, meta = read_labelled(p)
    np.testing.assert_allclose(got["current_a"], i, atol=1e-9)
    np.testing.assert_allclose(got["time_s"], t, atol=0.006)
    np.testing.assert_allclose(got["voltage_v"], ref["voltage_v"], atol=1e-12)
    assert "current sign from the state column 'Status'" in meta["notes"]
    assert "units taken from the row under the header" in meta["notes"]


def test_landt_like_xlsx_workbook(tmp_path: Path) -> None:
    """A workbook with an info sheet and a record sheet (``Current/mA``, ``Voltage/V``, charge
    positive): the record sheet is found and the sign read from the voltage response."""
    ref = _ornl()
    p = tmp_path / "landt.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"Item": ["Channel", "Cell"], "Value": ["3-1", "ORNL Leaf"]}).to_excel(
            xw, sheet_name="Info", index=False)
        pd.DataFrame({"Record": np.arange(len(ref)) + 1, "TestTime/s": ref["time_s"],
                      "Current/mA": -ref["current_a"] * 1000.0, "Voltage/V": ref["voltage_v"]}
                     ).to_excel(xw, sheet_name="Record", index=False)
    assert detect_format(p) == "labelled"
    cap, reasons = _capacity(p)
    assert cap == pytest.approx(30.3212, abs=1e-4)  # no step column: steps from the current
    assert any("current ← 'Current/mA' [ma]" in r for r in reasons)


def test_refusals_name_the_problem(tmp_path: Path) -> None:
    ref = _ornl()
    p = tmp_path / "unsigned.csv"
    pd.DataFrame({"Time (s)": ref["time_s"], "Current (A)": ref["current_a"].abs(),
                  "Voltage (V)": ref["voltage_v"]}).to_csv(p, index=False)
    with pytest.raises(DataFileError, match="cannot tell the current's sign convention"):
        read_labelled(p)
    q = tmp_path / "unit.csv"
    q.write_text("Time (s),Current (furlong),Voltage (V)\n0,1,3.9\n1,1,3.8\n")
    with pytest.raises(DataFileError, match=r"column 'Current \(furlong\)': unknown current unit"):
        read_labelled(q)


def test_discharge_sign_from_the_voltage_response() -> None:
    """Discharge positive: the voltage falls under positive current; flipped data says −1; too
    few loaded pairs decide nothing."""
    i = np.r_[np.zeros(5), np.full(20, 2.0), np.zeros(5), np.full(20, -1.0)]
    v = np.r_[np.full(5, 3.8), 3.7 - 0.005 * np.arange(20), np.full(5, 3.65),
              3.7 + 0.004 * np.arange(20)]
    assert discharge_sign(i, v)[0] == 1.0
    assert discharge_sign(-i, v)[0] == -1.0
    assert discharge_sign(i[:8], v[:8])[0] == 0.0


def test_chinese_neware_style_export_in_gb18030(tmp_path: Path) -> None:
    """Real ORNL data as a Chinese-language Windows export (GB18030): 总时间 as HH:MM:SS,
    电流(mA) discharge negative, 电压(V), 工步类型 恒流放电/恒流充电/搁置, 温度(K) — the kelvin
    column is converted and said so; the capacity is the original's."""
    ref = _ornl()
    t = ref["time_s"].to_numpy()
    i = ref["current_a"].to_numpy()
    body = pd.DataFrame({
        "记录序号": np.arange(len(ref)) + 1, "工步号": ref["step"].astype(int),
        "工步类型": np.where(i > 0, "恒流放电", np.where(i < 0, "恒流充电", "搁置")),
        "总时间": [f"{int(s // 3600)}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}" for s in t],
        "电流(mA)": -i * 1000.0, "电压(V)": ref["voltage_v"], "温度(K)": 298.15})
    p = tmp_path / "neware_cn.csv"
    p.write_bytes(body.to_csv(index=False).encode("gb18030"))
    assert detect_format(p) == "labelled"
    got, meta = read_labelled(p)
    np.testing.assert_allclose(got["current_a"], i, atol=1e-9)
    np.testing.assert_allclose(got["temperature_c"], 25.0, atol=1e-9)
    assert "'温度(K)' is in kelvin: converted to °C" in meta["notes"]
    cap, _ = _capacity(p)
    assert cap == pytest.approx(30.3212, abs=1e-4)


def test_an_unreadable_optional_column_is_left_out_and_said(tmp_path: Path) -> None:
    ref = _ornl()
    p = tmp_path / "x.csv"
    pd.DataFrame({"Time (s)": ref["time_s"], "Current (A)": -ref["current_a"],
                  "Voltage (V)": ref["voltage_v"], "Temperature (F)": 77.0}).to_csv(p, index=False)
    got, meta = read_labelled(p)
    assert "temperature_c" not in got
    assert any(n.startswith("'Temperature (F)' left out: column 'Temperature (F)': unknown "
                            "temperature unit 'f'") for n in meta["notes"])
