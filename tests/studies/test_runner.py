"""Running studies: Dask (2 workers) equals one by one; interrupted studies resume."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from packlife.site.run import run_scenario
from packlife.site.summary import summarise
from packlife.studies.runner import run_study, variant_row
from packlife.studies.schema import load_study
from packlife.studies.store import read_results
from packlife.studies.variants import make_variant, n_variants, variant_sessions

pytest.importorskip("distributed", reason="the fleet extra (dask[distributed]) is not installed")


def _one_by_one(study_file: Path) -> pd.DataFrame:
    """Each variant built and run on its own with the site API, no study runner."""
    study = load_study(study_file)
    rows = []
    for i in range(n_variants(study)):
        v = make_variant(study, i)
        res = run_scenario(v.scenario, variant_sessions(study, v.scenario))
        rows.append(variant_row(v, summarise(res), study.spec.study.end_soh, 0.0))
    return pd.DataFrame(rows)


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["simulate_s"]).sort_values("variant_index")
    return frame.reset_index(drop=True)


def test_dask_with_two_workers_gives_the_one_by_one_results(
    sweep_file: Path, tmp_path: Path
) -> None:
    study = load_study(sweep_file)
    run = run_study(study, tmp_path / "out", workers=2)
    assert (run.ran, run.skipped, run.total) == (8, 0, 8)
    got = _comparable(read_results(tmp_path / "out"))
    want = _comparable(_one_by_one(sweep_file))
    pd.testing.assert_frame_equal(got, want[got.columns.tolist()], check_dtype=False)
    # the variants differ: the sweep is not eight copies of one run
    assert got["energy_to_vehicles_kwh"].nunique() > 4


class _Interrupt(Exception):
    pass


def test_an_interrupted_study_resumes_without_rerunning_finished_variants(
    sweep_file: Path, tmp_path: Path
) -> None:
    study = load_study(sweep_file)  # batch_size = 2 → 4 batches
    out = tmp_path / "out"

    def stop_after_two_batches(done: int, total: int) -> None:
        if done >= 4:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        run_study(study, out, workers=0, on_progress=stop_after_two_batches)
    parts = sorted((out / "results").glob("part-*.parquet"))
    assert len(parts) == 2
    before = {p.name: p.stat().st_mtime_ns for p in parts}
    # a half-written part from a crash is a .tmp file; it must not count as finished
    (out / "results" / "part-000000006-00002.tmp").write_bytes(b"partial")

    run = run_study(study, out, workers=2)
    assert (run.skipped, run.ran) == (4, 4)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("part-*.parquet")}
    assert {k: after[k] for k in before} == before
    frame = read_results(out)
    assert sorted(frame["variant_index"]) == list(range(8))
    assert frame["variant_key"].is_unique

    again = run_study(study, out, workers=0)
    assert (again.skipped, again.ran) == (8, 0)


def test_time_series_are_written_only_when_asked(sweep_file: Path, tmp_path: Path) -> None:
    plain = load_study(sweep_file)
    run_study(plain, tmp_path / "a", workers=0)
    assert not (tmp_path / "a" / "timeseries").exists()
    with_series = load_study(sweep_file, timeseries=True, samples=1)
    run_study(with_series, tmp_path / "b", workers=0)
    files = sorted((tmp_path / "b" / "timeseries").glob("*.parquet"))
    keys = set(read_results(tmp_path / "b")["variant_key"])
    assert {f.stem for f in files} == keys
    series = pd.read_parquet(files[0])
    assert len(series) == 96  # one day at 900-s output
    assert "bess_power_w" in series.columns


def test_an_existing_cluster_by_scheduler_address_runs_the_same_code(
    sweep_file: Path, tmp_path: Path
) -> None:
    from distributed import LocalCluster

    study = load_study(sweep_file, samples=1)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        run = run_study(study, tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert run.ran == 4
    local = tmp_path / "local"
    run_study(study, local, workers=0)
    pd.testing.assert_frame_equal(
        _comparable(read_results(tmp_path / "remote")), _comparable(read_results(local))
    )


def test_an_unreachable_scheduler_is_a_user_error(
    sweep_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from packlife.errors import PacklifeError
    from packlife.studies import runner

    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 1.0)
    study = load_study(sweep_file, samples=1)
    with pytest.raises(PacklifeError, match="cannot reach the Dask scheduler"):
        run_study(study, tmp_path / "x", scheduler="tcp://127.0.0.1:9")


def test_a_changed_study_is_not_mixed_into_old_results(sweep_file: Path, tmp_path: Path) -> None:
    from packlife.errors import PacklifeError

    run_study(load_study(sweep_file, samples=1), tmp_path / "out", workers=0)
    with pytest.raises(PacklifeError, match="different study"):
        run_study(load_study(sweep_file, samples=1, seed=4), tmp_path / "out", workers=0)
    # report or batching settings do not change results: resuming is allowed
    again = run_study(load_study(sweep_file, samples=1, batch_size=3), tmp_path / "out", workers=0)
    assert again.skipped == 4
