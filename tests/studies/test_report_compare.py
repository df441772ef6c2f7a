"""Study report, compare and the Pareto front."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.errors import PacklifeError
from packlife.studies.analysis import pareto_mask, percentiles, sensitivity
from packlife.studies.compare import compare_runs
from packlife.studies.report import write_report
from packlife.studies.runner import run_study
from packlife.studies.schema import load_study
from packlife.studies.store import read_results

pytest.importorskip("matplotlib", reason="the fleet extra (matplotlib) is not installed")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=40
    ),
    st.sampled_from(["min", "max"]),
    st.sampled_from(["min", "max"]),
)
def test_pareto_mask_equals_brute_force(
    pts: list[tuple[int, int]], xs: str, ys: str
) -> None:
    x = np.array([p[0] for p in pts], float)
    y = np.array([p[1] for p in pts], float)
    sx, sy = (1 if xs == "min" else -1), (1 if ys == "min" else -1)
    want = [
        not any(
            sx * x[j] <= sx * x[i] and sy * y[j] <= sy * y[i]
            and (sx * x[j] < sx * x[i] or sy * y[j] < sy * y[i])
            for j in range(len(x))
        )
        for i in range(len(x))
    ]
    assert pareto_mask(x, y, xs, ys).tolist() == want


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import SWEEP

    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "sweep.toml"
    path.write_text(SWEEP, encoding="utf-8")
    run_study(load_study(path), folder / "out", workers=0)
    return folder / "out"


def test_sensitivity_sees_pack_count_in_usable_energy(sweep_out: Path) -> None:
    frame = read_results(sweep_out)
    sens = sensitivity(frame, ["usable_energy_kwh"]).set_index("parameter")
    # usable energy grows with the number of packs and ignores the supply rating
    assert sens.loc["bess.pack_count", "spearman"] > 0.7
    assert sens.loc["bess.pack_count", "swing"] > 40.0
    assert sens.loc["sources.site_supply.max_power_kw", "swing"] == pytest.approx(0.0, abs=1e-9)
    pct = percentiles(frame, ["usable_energy_kwh"])
    assert pct.loc["usable_energy_kwh", "p10"] <= pct.loc["usable_energy_kwh", "p50"]


def test_report_has_sections_and_figures(sweep_out: Path) -> None:
    page = write_report(sweep_out).read_text(encoding="utf-8")
    for title in ("Sensitivity", "Distributions", "Pareto front", "<svg"):
        assert title in page
    assert (sweep_out / "figures" / "sensitivity.png").stat().st_size > 10_000


def test_compare_a_simulate_folder_with_a_study(sweep_out: Path, tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    sim.mkdir()
    frame = read_results(sweep_out)
    summary = {"days": 1.0, "pack_soh_start": [0.8], "pack_soh_end": [0.79],
               "energy_to_vehicles_kwh": 100.0}
    (sim / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    cmp = compare_runs([sim, sweep_out], ["energy_to_vehicles_kwh"]).set_index("run")
    p50 = float(np.percentile(frame["energy_to_vehicles_kwh"], 50))
    assert cmp.loc["out", "p50"] == pytest.approx(p50)
    assert cmp.loc["out", "diff_p50"] == pytest.approx(p50 - 100.0)
    assert cmp.loc["sim", "n"] == 1
    with pytest.raises(PacklifeError, match="unknown outcome"):
        compare_runs([sim, sweep_out], ["no_such_outcome"])


def test_compare_cli_refuses_a_folder_that_is_no_run(tmp_path: Path, sweep_out: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", "compare", str(tmp_path), str(sweep_out)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}, check=False,
    )
    assert proc.returncode == 2
    assert "not a run folder" in proc.stderr
