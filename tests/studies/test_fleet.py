"""Fleet life: per-unit draws independent of chunking, replacement schedule bookkeeping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from packlife.errors import DataFileError
from packlife.studies.fleet import representative_day, unit_packs, yearly_schedule
from packlife.studies.runner import run_study
from packlife.studies.schema import load_study
from packlife.studies.store import read_results

from .conftest import FLEET


def test_representative_day_keeps_the_base_runs_gross_throughput(fleet_file: Path) -> None:
    study = load_study(fleet_file)
    day_w, ambient_c = representative_day(study, 3600.0)
    assert day_w.shape == ambient_c.shape == (48,)
    from packlife.site.run import run_scenario
    from packlife.studies.variants import variant_sessions

    base = run_scenario(study.base, variant_sessions(study, study.base))
    p = base.flows["bess_power_w"].to_numpy()
    out_s = study.base.simulation.output_interval_s
    days = study.base.simulation.days
    # discharge in the first half of each hour, charge in the second; energies per day kept
    assert (day_w[0::2] >= 0).all() and (day_w[1::2] <= 0).all()
    assert day_w[0::2].sum() * 1800.0 == pytest.approx(p.clip(0).sum() * out_s / days, rel=1e-12)
    assert day_w[1::2].sum() * 1800.0 == pytest.approx(p.clip(None, 0).sum() * out_s / days)
    assert ambient_c.max() - ambient_c.min() == pytest.approx(
        study.base.ambient.daily_swing_c, rel=0.02
    )


def test_a_fleet_step_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(FLEET.replace("step_s = 3600", "step_s = 1000"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"fleet\.step_s"):
        run_study(load_study(path), tmp_path / "out", workers=0)


def test_units_are_the_same_whatever_the_chunking(fleet_file: Path, tmp_path: Path) -> None:
    study = load_study(fleet_file)
    run_study(study, tmp_path / "two", workers=0)
    one_chunk = load_study(fleet_file)
    one_chunk.spec.fleet.units_per_task = 4  # type: ignore[union-attr]
    run_study(one_chunk, tmp_path / "one", workers=0)
    a = read_results(tmp_path / "two").drop(columns=["variant_key"])
    b = read_results(tmp_path / "one").drop(columns=["variant_key"])
    pd.testing.assert_frame_equal(a, b)
    assert [p.soh for p in unit_packs(study, 2)] == pytest.approx(a["pack_soh_start"][2])


def test_schedule_counts_every_replacement(fleet_file: Path, tmp_path: Path) -> None:
    study = load_study(fleet_file)
    run = run_study(study, tmp_path / "f", workers=0)
    assert run.ran == 4
    units = read_results(tmp_path / "f")
    sched = yearly_schedule(units, 2.0)
    assert sched["packs_reaching_end"].sum() == units["replacements"].sum() > 0
    first = units["years_to_first_replacement"]
    assert sched["units_first_replacement"].sum() == first.notna().sum()
    # replaced packs start again from a fresh draw: every pack ends above the threshold or was
    # caught at the last check; none is left far below it
    soh_end = np.concatenate([np.asarray(s) for s in units["pack_soh_end"]])
    assert soh_end.min() > 0.66 - 0.01
    again = run_study(study, tmp_path / "f", workers=0)
    assert (again.skipped, again.ran) == (4, 0)


def test_soh_draws_outside_the_valid_range_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(FLEET.replace("high = 0.85", "high = 1.2"), encoding="utf-8")
    study = load_study(path)
    with pytest.raises(DataFileError, match=r"fleet\.pack_soh"):
        run_study(study, tmp_path / "out", workers=0)
