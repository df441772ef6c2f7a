"""``packlife grade`` end to end on real ORNL files and broken files: one test in a subprocess
(real exit status, no traceback), the others through ``packlife.cli.main.main`` in-process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from packlife.grading.fast_test import record_fast_test
from packlife.io.bitrode import read_bitrode

ORNL = Path(__file__).parents[1] / "data" / "ornl_leaf_cell"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", "grade", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_inproc(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: object
) -> tuple[int, str, str]:
    """Run ``packlife grade ARGS`` through the real entry point; (exit status, stdout, stderr)."""
    from packlife.cli.main import main

    monkeypatch.setattr(sys, "argv", ["packlife", "grade", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_batch_with_bad_files_carries_on(tmp_path: Path) -> None:
    good = tmp_path / "LEAF-CELL-1.csv.gz"
    shutil.copy(ORNL / "cell-discharge-bitrode-1c.csv.gz", good)
    bad = {
        "empty.csv": "",
        "truncated.csv": "time_s,current_a,voltage_v\n0,0,3.9\n1,1",
        "nocol.csv": "time_s,current_a\n0,1\n1,1\n",
        "units.csv": "time_s,current_a,voltage_v\n0,1,3900\n1,1,3890\n",
        "nan.csv": "time_s,current_a,voltage_v\n0,1,3.9\n1,1,\n2,1,3.8\n",
        "backwards.csv": "time_s,current_a,voltage_v\n0,1,3.9\n2,1,3.9\n1,1,3.9\n",
    }
    for name, text in bad.items():
        (tmp_path / name).write_text(text)
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            {
                "serial": "LEAF-CELL-1",
                "pack_voltage_v": 3.9,
                "min_cell_voltage_v": 3.9,
                "max_cell_voltage_v": 3.9,
                "cycle_count": 500,
                "manufacture_date": "2013-06-01",
            }
        )
    )
    files = [good, *(tmp_path / n for n in bad)]
    res = run(*files, "--rated-capacity-ah", "33.1", "--history", history, "--json")
    assert res.returncode == 1, res.stderr
    out = {Path(r["file"]).name: r for r in json.loads(res.stdout)}
    assert set(out) == {good.name, *bad}
    g = out[good.name]
    assert "error" not in g and g["capacity_ah"] == pytest.approx(30.34, rel=0.01)
    assert g["soh"] == pytest.approx(30.34 / 33.1, rel=0.01)
    assert g["grade"] == "A" and any("≥ 0.80" in r for r in g["reasons"])
    assert g["dcir_mohm"] is None and g["self_discharge_pct_per_month"] is None
    for name, needle in [
        ("empty.csv", "empty"),
        ("truncated.csv", "voltage_v"),
        ("nocol.csv", "'voltage_v' is missing"),
        ("units.csv", "wrong units"),
        ("nan.csv", "missing or non-numeric"),
        ("backwards.csv", "backwards"),
    ]:
        assert needle in out[name]["error"], (name, out[name]["error"])
        assert out[name]["grade"] is None and out[name]["soh"] is None


def test_catalog_fast_estimate_and_quarantine_without_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the ≤ 15-min fast test recorded on a Leaf cell of the chemistry set (SoH 0.8), as CSV
    rec = record_fast_test("aesc_lmo_nca_leaf2013", soh=0.8, soc_start=0.9, noise_v=0.001)
    window = pd.DataFrame(
        {"time_s": rec.time_s, "current_a": rec.current_a, "voltage_v": rec.voltage_v}
    )
    p = tmp_path / "win.csv"
    window.to_csv(p, index=False)
    code, out, err = run_inproc(
        capsys, monkeypatch, p, "--catalog-id", "nissan_leaf_24kwh", "--level", "cell", "--json"
    )
    assert code == 0, err
    (r,) = json.loads(out)
    assert r["capacity_method"] == "fast_estimate_15min"
    assert r["soh_uncertainty"] > 0.02  # a short test is honest about its spread
    assert abs(r["capacity_ah"] - rec.capacity_ah) < r["soh_uncertainty"] * 33.1
    assert r["grade"] == "quarantine" and "IEC 63338" in r["reasons"][0]


def test_usage_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "x.csv"
    p.write_text("time_s,current_a,voltage_v\n0,0,3.9\n1,1,3.8\n")
    assert run_inproc(capsys, monkeypatch, p, "--format", "bogus")[0] == 2
    code, _, err = run_inproc(capsys, monkeypatch, p, "--catalog-id", "no_such_pack")
    assert code == 2 and "unknown catalog id" in err
    pol = tmp_path / "pol.toml"
    pol.write_text("id = 1\n")
    code, _, err = run_inproc(capsys, monkeypatch, p, "--policy", pol)
    assert code == 2 and "pol.toml" in err


def test_db_records_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from packlife.registry.db import dispose_engines, init_db
    from packlife.registry.service import register_battery

    url = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    init_db(url)
    register_battery(url, "LEAF-CELL-2", "nissan_leaf_24kwh")
    good = tmp_path / "LEAF-CELL-2.csv.gz"
    shutil.copy(ORNL / "cell-discharge-bitrode-2c.csv.gz", good)
    code, _, err = run_inproc(capsys, monkeypatch, good, "--rated-capacity-ah", "33.1", "--db", url)
    assert code == 0, err
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select grade, disposition from grades")).all()
    engine.dispose()
    # no traceability data given → quarantine, recorded as such (not as recycle)
    assert [tuple(r) for r in rows] == [("quarantine", "quarantine")]
    code, _, err = run_inproc(
        capsys,
        monkeypatch,
        good,
        "--serial",
        "NOT-REGISTERED",
        "--rated-capacity-ah",
        "33.1",
        "--db",
        url,
    )
    dispose_engines()
    assert code == 2 and "NOT-REGISTERED" in err


def test_match_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "mods.csv"
    p.write_text("serial,capacity_ah,dcir_mohm\nA,50.0,4.0\nB,45.0,5.0\nC,50.2,4.1\nD,45.3,5.1\n")
    code, stdout, err = run_inproc(capsys, monkeypatch, "match", p, "--size", "2", "--json")
    assert code == 0, err
    out = json.loads(stdout)
    assert out["method"] == "optimal"
    assert sorted(sorted(g["serials"]) for g in out["groups"]) == [["A", "C"], ["B", "D"]]
    assert out["total_cost"] <= out["sort_chunk_total_cost"] + 1e-12


def test_explicit_files_command_and_table(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run_inproc(
        capsys,
        monkeypatch,
        "files",
        ORNL / "cell-discharge-bitrode-3c.csv.gz",
        "--rated-capacity-ah",
        "33.1",
    )
    assert code == 0, err
    assert "cell-discharge-bitrode-3c" in out and "0.862" in out  # 28.53 / 33.1
    assert "IEC 63338" in out


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-2", "-inf"])
def test_rated_capacity_must_be_positive_finite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """Issue #17: ``--rated-capacity-ah inf`` used to grade 'recycle'."""
    p = tmp_path / "x.csv"
    p.write_text("time_s,current_a,voltage_v\n0,0,3.9\n1,1,3.8\n")
    code, out, err = run_inproc(capsys, monkeypatch, p, "--rated-capacity-ah", value)
    assert code == 2 and "--rated-capacity-ah" in err and "Traceback" not in err + out


def test_file_in_ma_is_ungraded_not_a(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #17: a cycler file logged in mA graded as SoH 916, grade A."""
    d = read_bitrode(ORNL / "cell-discharge-bitrode-1c.csv.gz")[0]
    p = tmp_path / "ma.csv"
    d.assign(current_a=d["current_a"] * 1000)[["time_s", "current_a", "voltage_v"]].to_csv(
        p, index=False
    )
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps(
            {
                "serial": "ma",
                "pack_voltage_v": 3.9,
                "min_cell_voltage_v": 3.9,
                "max_cell_voltage_v": 3.9,
                "cycle_count": 500,
                "manufacture_date": "2013-06-01",
            }
        )
    )
    code, out, err = run_inproc(
        capsys, monkeypatch, p, "--rated-capacity-ah", "33.1", "--history", history, "--json"
    )
    assert code == 0, err
    (r,) = json.loads(out)
    assert r["grade"] == "ungraded" and r["disposition"] == "retest"
    assert any("wrong units?" in x for x in r["reasons"])


def test_directory_and_binary_files_are_error_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "folder.csv"
    sub.mkdir()
    binary = tmp_path / "bin.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    code, out, err = run_inproc(capsys, monkeypatch, sub, binary, "--json")
    assert code == 1 and "Traceback" not in err
    rows = {Path(r["file"]).name: r for r in json.loads(out)}
    assert "is a directory" in rows["folder.csv"]["error"]
    assert "binary content" in rows["bin.csv"]["error"]


def test_real_biologic_with_ica_reference_and_eis_spectra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    d = Path(__file__).parents[1] / "data" / "cycler_formats"
    mpr = d / "galvani_020-formation_CB5.mpr"
    code, out, err = run_inproc(
        capsys,
        monkeypatch,
        mpr,
        d / "galvani_v1150_PEIS.mpt",
        "--rated-capacity-ah",
        "0.062",
        "--ica-reference",
        d / "galvani_020-formation_CB5.mpt.gz",
        "--json",
    )
    assert code == 0, err
    rows = json.loads(out)
    cell = rows[0]
    assert cell["capacity_method"] == "full_cc_discharge"
    assert cell["ica"]["vs_reference"]["capacity_ratio"] == pytest.approx(1.0, abs=1e-3)
    eis = [r for r in rows if r["format"] == "eis"]
    assert len(eis) == 4 and all(r["r0_mohm"] > 10_000 for r in eis)  # 12 Ω object
    code, _, err = run_inproc(
        capsys, monkeypatch, mpr, "--ica-reference", d / "galvani_v1150_PEIS.mpt"
    )
    assert code == 2 and "galvani_v1150_PEIS.mpt" in err


def test_user_ocv_file_drives_the_fast_estimate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--ocv FILE`` without a catalog id: the user's table is the one the estimate uses."""
    from packlife.grading.fast_test import ocv_at

    rec = record_fast_test("aesc_lmo_nca_leaf2013", soh=0.8, soc_start=0.9, noise_v=0.001)
    p = tmp_path / "win.csv"
    pd.DataFrame(
        {"time_s": rec.time_s, "current_a": rec.current_a, "voltage_v": rec.voltage_v}
    ).to_csv(p, index=False)
    soc, ocv = ocv_at("aesc_lmo_nca_leaf2013", 25.0)
    caps = []
    for name, scale in (("ocv.csv", 1.0), ("ocv_stretched.csv", 1.25)):
        table = tmp_path / name
        # the stretched table claims each voltage lies 25 % further from full: less capacity
        pd.DataFrame({"soc": 1 - (1 - soc) * scale, "ocv_v": ocv})[lambda d: d.soc >= 0].to_csv(
            table, index=False
        )
        code, out, err = run_inproc(
            capsys, monkeypatch, p, "--rated-capacity-ah", "33.1", "--ocv", table, "--json"
        )
        assert code == 0, err
        (r,) = json.loads(out)
        assert r["capacity_method"] == "fast_estimate_15min"
        caps.append(r["capacity_ah"])
    assert caps[0] == pytest.approx(rec.capacity_ah, rel=0.02)
    assert caps[1] == pytest.approx(caps[0] / 1.25, rel=0.03)


def test_ocv_table_temperature_is_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 10 °C test with the 10 °C OCV table given as such (``--ocv-temperature-c 10``) is not
    moved; the same table claimed at 25 °C (the default) is moved by the chemistry's dOCV/dT and
    gives another capacity. Without --ocv the option is refused (exit 2)."""
    from packlife.grading.fast_test import ocv_at

    rec = record_fast_test("aesc_lmo_nca_leaf2013", soh=0.8, soc_start=0.9, noise_v=0.001,
                           temperature_c=10.0)
    p = tmp_path / "win.csv"
    pd.DataFrame({"time_s": rec.time_s, "current_a": rec.current_a,
                  "voltage_v": rec.voltage_v}).to_csv(p, index=False)
    soc, ocv = ocv_at("aesc_lmo_nca_leaf2013", 10.0)
    table = tmp_path / "ocv10.csv"
    pd.DataFrame({"soc": soc, "ocv_v": ocv}).to_csv(table, index=False)
    base = ("--catalog-id", "nissan_leaf_24kwh", "--level", "cell", "--temperature-c", "10",
            "--ocv", table, "--json")
    caps = []
    for extra in (("--ocv-temperature-c", "10"), ()):
        code, out, err = run_inproc(capsys, monkeypatch, p, *base, *extra)
        assert code == 0, err
        (r,) = json.loads(out)
        assert r["capacity_method"] == "fast_estimate_15min"
        caps.append(r["capacity_ah"])
    assert caps[0] == pytest.approx(rec.capacity_ah, rel=0.01)
    assert abs(caps[1] / caps[0] - 1) > 0.005
    code, _, err = run_inproc(capsys, monkeypatch, p, "--ocv-temperature-c", "10")
    assert code == 2 and "--ocv-temperature-c needs --ocv" in err


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("soc,voltage\n0,3.0\n0.5,3.7\n1,4.1\n", "column 'ocv_v' is missing"),
        ("soc,ocv_v\n0,3.0\n50,3.7\n100,4.1\n", "column 'soc' must be a number in 0–1"),
        ("soc,ocv_v\n0,3000\n0.5,3700\n1,4100\n", "column 'ocv_v' must be a number in 0–1000"),
        ("soc,ocv_v\n0,3.0\n0.5,3.9\n1,3.8\n", "column 'ocv_v' must increase with soc"),
        ("soc,ocv_v\n0,3.0\n0.5,3.7\n0.5,3.8\n", "column 'soc' repeats"),
        ("soc,ocv_v\n0,3.0\n1,4.1\n", "fewer than 3 rows"),
    ],
)
def test_bad_ocv_file_exits_2_naming_file_and_field(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    field: str,
) -> None:
    p = tmp_path / "x.csv"
    p.write_text("time_s,current_a,voltage_v\n0,0,3.9\n1,1,3.8\n")
    table = tmp_path / "my_ocv.csv"
    table.write_text(text)
    code, _, err = run_inproc(capsys, monkeypatch, p, "--ocv", table)
    assert code == 2
    assert "my_ocv.csv" in err and field in " ".join(err.split())


RES = Path(__file__).parents[1] / "data" / "cycler_formats" / "navani_arbin_example.res"
needs_mdbtools = pytest.mark.skipif(
    shutil.which("mdb-export") is None,
    reason="mdb-export is not installed (Debian/Ubuntu: apt-get install mdbtools)",
)


@needs_mdbtools
def test_real_arbin_res_graded_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    history = tmp_path / "bms.json"
    history.write_text(
        json.dumps(
            {
                "serial": "navani_arbin_example",
                "pack_voltage_v": 3.87,
                "min_cell_voltage_v": 3.87,
                "max_cell_voltage_v": 3.87,
                "cycle_count": 4,
                "manufacture_date": "2023-07-01",
            }
        )
    )
    args = (RES, "--rated-capacity-ah", "0.0005", "--json")
    code, out, err = run_inproc(capsys, monkeypatch, *args, "--history", history)
    assert code == 0, err
    (r,) = json.loads(out)
    assert r["format"] == "arbin_res" and r["capacity_method"] == "full_cc_discharge"
    # median of Arbin's own counters at the end of the 4 discharges (0.4752, 0.4744, 0.4740,
    # 0.4737 mAh, see tests/io/test_arbin_res.py)
    assert r["capacity_ah"] == pytest.approx((4.74353299947e-4 + 4.74001533123e-4) / 2, rel=1e-5)
    (group,) = r["capacity_by_rate"]
    assert group["n"] == 4 and group["c_rate"] == pytest.approx(86.55e-6 / 0.0005, rel=1e-3)
    assert r["soh"] == pytest.approx(0.9484, abs=1e-4)
    assert r["grade"] == "A", r["reasons"]
    # without a rating: a capacity, no SoH and the reason why
    code, out, err = run_inproc(capsys, monkeypatch, RES, "--json")
    (r,) = json.loads(out)
    assert code == 0 and r["capacity_ah"] == pytest.approx(4.7418e-4, rel=1e-4)
    assert r["soh"] is None and "soh not computed: give --rated-capacity-ah" in r["reasons"][-1]


def test_arbin_res_without_mdb_export_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "cell.csv"
    csv.write_text("time_s,current_a,voltage_v\n0,0,3.9\n1,1,3.8\n")
    monkeypatch.setenv("PATH", str(tmp_path))  # no mdb-export anywhere
    code, out, err = run_inproc(capsys, monkeypatch, csv, RES, "--json")
    # a missing program stops the batch: every .res file would fail the same way
    assert code == 2 and out == "" and "Traceback" not in err
    assert "apt-get install mdbtools" in " ".join(err.split())


@needs_mdbtools
def test_corrupt_arbin_res_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "channel12.res"
    raw = RES.read_bytes()
    bad.write_bytes(raw[: len(raw) // 2])
    # as a file to grade: an error row naming it, the batch goes on (exit 1, like any bad file)
    code, out, err = run_inproc(capsys, monkeypatch, bad, RES, "--json")
    assert code == 1 and "Traceback" not in err
    rows = {Path(r["file"]).name: r for r in json.loads(out)}
    assert "channel12.res: not a readable Arbin .res database" in rows["channel12.res"]["error"]
    assert rows[RES.name]["capacity_method"] == "full_cc_discharge"
    # as the one reference file of the run: exit 2 naming it
    code, _, err = run_inproc(capsys, monkeypatch, RES, "--ica-reference", bad)
    assert code == 2 and "channel12.res" in err and "Traceback" not in err
