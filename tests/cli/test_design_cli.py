"""``packlife design`` as real subprocesses: JSON, output files, registry input, user errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[1] / "data" / "inventory" / "mixed_fleet.csv"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "packlife.cli.main", *args],
                          capture_output=True, text=True, timeout=180, check=False,
                          env=os.environ.copy())


def test_json_output_and_files(tmp_path: Path) -> None:
    """With --fade (as `packlife grade fade --out` writes it) the forecast takes each pack's own
    ageing rate factor; packs without a fit keep 1; the merge is reported on stderr and in JSON."""
    out = tmp_path / "out"
    serials = [line.split(",")[0] for line in EXAMPLE.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith(("#", "serial"))]
    fade = tmp_path / "fade.csv"
    fade.write_text("serial,ageing_rate_factor,law_reason\n"
                    + "".join(f"{s},2.5,\n" for s in serials[::2])
                    + f"{serials[1]},,no measurable fade\nNOT-HERE,1.2,\n", encoding="utf-8")
    proc = _run("design", "--inventory", str(EXAMPLE), "--units", "2", "--objective", "equal",
                "--years", "3", "--json", "--out", str(out), "--fade", str(fade))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)  # stdout is pure JSON
    note = (f"ageing rate factors from fade.csv: {len(serials[::2])} of {len(serials)} "
            "inventory items; 1 serial(s) in the file without a fit; not in the inventory: "
            "NOT-HERE")
    assert data["fade"] == note and note in proc.stderr
    units = data["bess"]["units"]
    assert len(units) == 2
    for u in units:
        assert {"serials", "mass_kg", "usable_energy_kwh", "rated_power_kw",
                "years_to_threshold"} <= set(u)
        assert u["mass_kg"] <= 3500.0
        for pack in u["packs"]:
            want = 2.5 if pack["serial"] in serials[::2] else 1.0
            assert pack["ageing_rate_factor"] == want
    assert json.loads((out / "design.json").read_text(encoding="utf-8")) == data
    assert "<svg" in (out / "design.html").read_text(encoding="utf-8")


def test_table_output_names_milp_and_greedy() -> None:
    proc = _run("design", "--inventory", str(EXAMPLE), "--units", "1", "--years", "2")
    assert proc.returncode == 0, proc.stderr
    assert "milp" in proc.stdout and "greedy" in proc.stdout
    assert "Portable products" in proc.stdout


def test_bad_row_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("serial,catalog_id,soh,resistance_growth\nA,bmw_i3_94ah,0.8,1.2\n"
                   "B,bmw_i3_94ah,eighty,1.2\n", encoding="utf-8")
    proc = _run("design", "--inventory", str(bad), "--units", "1")
    assert proc.returncode == 2
    assert "row 2 (serial B)" in proc.stderr and "field 'soh'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_fade_file_exits_2_naming_row_and_serial(tmp_path: Path) -> None:
    fade = tmp_path / "fade.csv"
    fade.write_text("serial,ageing_rate_factor\nRR-0004,-3\n", encoding="utf-8")
    proc = _run("design", "--inventory", str(EXAMPLE), "--units", "1", "--fade", str(fade))
    assert proc.returncode == 2
    assert ("row 1 (serial RR-0004): field 'ageing_rate_factor': expected a number in "
            "[0.01, 100.0]") in proc.stderr
    assert "Traceback" not in proc.stderr


def test_infeasible_request_exits_2_with_the_binding_constraint() -> None:
    proc = _run("design", "--inventory", str(EXAMPLE), "--units", "1",
                "--min-power-kw", "2000")
    assert proc.returncode == 2
    assert "min power 2,000 kW > 7 × max pack power" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_inventory_from_the_registry(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    csv_path = tmp_path / "reg.csv"
    csv_path.write_text(
        "serial,catalog_id,soh,resistance_growth\n"
        "P1,bmw_i3_94ah,0.82,1.3\nP2,bmw_i3_94ah,0.78,1.4\nP3,bmw_i3_94ah,0.74,1.6\n"
        "P4,range_rover_phev_p440e,0.80,1.3\n", encoding="utf-8")
    assert _run("registry", "init", "--db", url).returncode == 0
    imp = _run("registry", "import", str(csv_path), "--db", url)
    assert imp.returncode == 0, imp.stderr
    proc = _run("design", "--db", url, "--units", "1", "--slots", "3", "--years", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    unit = json.loads(proc.stdout)["bess"]["units"][0]
    assert len(unit["serials"]) == 3
    assert "P3" not in unit["serials"]  # the weakest i3 pack is left out (energy objective)
