"""``packlife study run`` and ``packlife compare`` run as real subprocesses, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from packlife.studies.store import read_results

SWEEP = """
[study]
name = "cli-sweep"
base = "jlr-test-site"
seed = 1

[overrides]
"simulation.days" = 1
"simulation.step_s" = 300

[grid]
"bess.pack_count" = [5, 7]
"""

pytest.importorskip("matplotlib", reason="the fleet extra (matplotlib) is not installed")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"},
        check=False,
    )


def test_study_run_writes_results_report_and_compares(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SWEEP, encoding="utf-8")
    out = tmp_path / "out"
    proc = _run("study", "run", str(path), "--workers", "0", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "2 variants: 2 run, 0 already finished" in proc.stdout
    assert "energy_to_vehicles_kwh" in proc.stdout
    assert (out / "report.html").is_file()
    frame = read_results(out)
    assert frame["param.bess.pack_count"].tolist() == [5, 7]
    again = _run("study", "run", str(path), "--workers", "0", "--out", str(out), "--no-report")
    assert "2 variants: 0 run, 2 already finished" in again.stdout
    cmp = _run("compare", str(out), str(out), "--json", "--outcome", "usable_energy_kwh")
    assert cmp.returncode == 0, cmp.stderr
    rows = json.loads(cmp.stdout)
    assert [r["diff_p50"] for r in rows] == [0.0, 0.0]


def test_malformed_study_exits_2_with_one_line_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SWEEP.replace("[5, 7]", "[0]"), encoding="utf-8")
    proc = _run("study", "run", str(path), "--workers", "0")
    assert proc.returncode == 2
    assert "grid.'bess.pack_count'[0]" in proc.stderr
    assert "Traceback" not in proc.stderr
