"""``packlife impact`` as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "packlife.cli.main", "impact", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_json_daily_figure() -> None:
    proc = _run("--diesel-lph", "16", "--hours", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["co2_diesel_kg"] == pytest.approx(16 * 3 * 2.69) == pytest.approx(129.12)
    assert out["diesel_litres"] == 48.0
    assert out["generator_hours"] == 3.0
    for key in ("energy_delivered_kwh", "grid_energy_kwh", "co2_grid_kg", "co2_avoided_net_kg"):
        assert key in out
    assert out["co2_avoided_net_kg"] == pytest.approx(out["co2_diesel_kg"] - out["co2_grid_kg"])
    assert out["grid_energy_kwh"] == pytest.approx(out["energy_delivered_kwh"] / 0.88)


def test_json_120_days() -> None:
    proc = _run("--diesel-lph", "16", "--hours", "3", "--days", "120", "--json",
                "--factor", "combustion_2p69", "--grid-intensity", "uk_2024_average",
                "--bess-efficiency", "0.88", "--genset-kw", "60")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["co2_diesel_kg"] == pytest.approx(120 * 129.12) == pytest.approx(15_494.4)
    assert out["generator_hours"] == 360.0
    assert out["co2_grid_kg"] == pytest.approx(out["grid_energy_kwh"] * 0.124)


def test_numeric_factor_and_intensity() -> None:
    proc = _run("--diesel-lph", "10", "--hours", "2", "--factor", "2.5",
                "--grid-intensity", "0", "--json")
    out = json.loads(proc.stdout)
    assert out["co2_diesel_kg"] == pytest.approx(50.0)
    assert out["co2_avoided_net_kg"] == pytest.approx(50.0)
    assert out["co2_factor"] == "custom"


def test_table_output() -> None:
    proc = _run("--diesel-lph", "16", "--hours", "3")
    assert proc.returncode == 0, proc.stderr
    assert "net CO2 avoided" in proc.stdout and "129.12" in proc.stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("--diesel-lph", "16", "--hours", "-3"), "hours per day must be in (0, 24]"),
        (("--diesel-lph", "16", "--hours", "3", "--factor", "defra_b7"), "did you mean"),
        (("--diesel-lph", "16", "--hours", "3", "--grid-intensity", "uk_2042"), "did you mean"),
        (("--diesel-lph", "16",), "needs --hours"),
        (("--diesel-lph", "40", "--hours", "3"), "choose another generator size"),
    ],
)
def test_bad_parameters_exit_2_without_traceback(args: tuple[str, ...], match: str) -> None:
    proc = _run(*args)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert match in " ".join(proc.stderr.split())


def test_list_factors_json() -> None:
    proc = _run("--list-factors", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "defra_2025_b7_wtw" in {d["id"] for d in out["diesel"]}
    assert "uk_2024_average" in {g["id"] for g in out["grid"]}
    assert "homer_50kw" in {c["id"] for c in out["fuel_curves"]}
