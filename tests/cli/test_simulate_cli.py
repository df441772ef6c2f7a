"""``packlife simulate`` as a real subprocess: files written, summary keys, clean user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from packlife.site.scenario import BUILTIN_DIR

SUMMARY_KEYS = {
    "energy_from_sources_kwh",
    "energy_to_vehicles_kwh",
    "energy_to_loads_kwh",
    "losses_kwh",
    "stored_energy_change_kwh",
    "energy_balance_error_kwh",
    "vehicles_served",
    "vehicles_fully_charged",
    "mean_charge_time_min",
    "mean_direct_charge_time_min",
    "diesel_litres_avoided",
    "co2_diesel_kg",
    "co2_grid_kg",
    "co2_avoided_net_kg",
    "nameplate_energy_kwh",
    "usable_energy_kwh",
    "pack_soh_start",
    "pack_soh_end",
}


def _packlife(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_simulate_default_scenario_writes_three_files(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _packlife("simulate", "jlr-test-site", "--days", "1", "--step", "120", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "energy balance error" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["energy_balance_error_pct_of_throughput"] <= 0.01
    assert len(summary["pack_soh_start"]) == len(summary["pack_soh_end"]) == 7
    assert summary["step_s"] == 120.0
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert summary["output_interval_s"] == 1800.0  # 15 min is no multiple of 120 s: lcm
    assert len(ts) == 86400 / 1800
    assert ts.index.name == "time" and str(ts.index.tz) == "Europe/London"  # interval starts
    assert ts.index[0] == pd.Timestamp("2024-06-03T00:00:00+01:00")
    assert {"vehicles_power_w", "pack1_soc", "pack7_temperature_c"} <= set(ts.columns)
    assert ts["pack1_soc"].between(0, 1).all()
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<script" not in html
    assert not list(out.glob(".*.partial"))


def test_simulate_json_prints_the_summary(tmp_path: Path) -> None:
    proc = _packlife("simulate", "leaf-portable", "--days", "0.5", "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["scenario"] == "leaf-portable"
    assert summary["energy_to_loads_kwh"] > 0


def test_malformed_scenario_exits_2_with_one_paragraph_and_no_traceback(tmp_path: Path) -> None:
    text = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")
    bad = tmp_path / "site.toml"
    bad.write_text(text.replace("soh = 0.84", "soh = 'high'"), encoding="utf-8")
    out = tmp_path / "never"
    proc = _packlife("simulate", str(bad), "--out", str(out))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert str(bad) in proc.stderr and "bess.packs.0.soh" in proc.stderr
    assert "\n\n" not in proc.stderr.strip()
    assert not out.exists()


def test_bad_options_are_user_errors(tmp_path: Path) -> None:
    proc = _packlife("simulate", "--step", "0.5", "--out", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "--step" in proc.stderr
    proc = _packlife("simulate", "no-such-site", "--out", str(tmp_path))
    assert proc.returncode == 2 and "unknown scenario" in proc.stderr


def test_json_output_stays_clean_when_the_mpc_uses_highs(tmp_path: Path) -> None:
    text = (BUILTIN_DIR / "jlr-test-site.toml").read_text(encoding="utf-8")
    site = tmp_path / "mpc.toml"
    site.write_text(text.replace('vehicle_algorithm = "llf"', 'vehicle_algorithm = "mpc"'), "utf-8")
    proc = _packlife("simulate", str(site), "--days", "0.5", "--json", "--out", str(tmp_path / "o"))
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)  # a HiGHS banner on stdout would break this
    assert summary["vehicles_served"] > 0
