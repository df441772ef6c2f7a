"""``packlife serve report``: a past period from the store, all-or-nothing, energies by the
site clock with each cycle's power held until the next."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from packlife.errors import PacklifeError
from packlife.serve.report import write_report

from .conftest import N_CYCLES, N_PACKS, fill_store


def test_report_tables_and_energies(tmp_path: Path) -> None:
    store = fill_store(f"sqlite:///{tmp_path / 's.db'}")
    summary = write_report(store, tmp_path / "out", "csv", None, None, None)["r1"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "cycles.csv", "events.csv", "evses.csv", "packs.csv", "report.html", "summary.json"]
    # 20 cycles 1 s apart at 6 kW held: 19 s × 6 kW
    assert summary["bess_discharged_wh"] == pytest.approx(19 * 6000.0 / 3600.0, rel=1e-12)
    assert summary["to_vehicles_wh"] == pytest.approx(19 * 6000.0 / 3600.0, rel=1e-12)
    assert summary["bess_charged_wh"] == 0.0 and summary["cycles"] == N_CYCLES
    assert summary["events"] == {"alarm": 1}
    assert [p["serial"] for p in summary["packs"]] == [f"P{i}" for i in range(N_PACKS)]
    assert summary["packs"][0]["soc_min"] == pytest.approx(0.5 - 0.01 * (N_CYCLES - 1))
    packs = pd.read_csv(tmp_path / "out" / "packs.csv")
    assert len(packs) == N_CYCLES * N_PACKS
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["r1"]["cycles"] == 20


def test_report_of_a_period_and_parquet(tmp_path: Path) -> None:
    store = fill_store(f"sqlite:///{tmp_path / 's.db'}")
    cycles = store.read_cycles("r1")
    start = cycles[5]["measured_at"].replace(tzinfo=UTC)
    end = start + timedelta(seconds=10)
    summary = write_report(store, tmp_path / "p", "parquet", "r1", start, end)["r1"]
    assert summary["cycles"] == 10
    frame = pd.read_parquet(tmp_path / "p" / "cycles.parquet")
    assert list(frame["cycle"]) == list(range(5, 15))


def test_empty_period_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    store = fill_store(f"sqlite:///{tmp_path / 's.db'}")
    future = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(PacklifeError, match="no control cycles"):
        write_report(store, tmp_path / "none", "csv", None, future, None)
    assert not (tmp_path / "none").exists()


def test_report_page_escapes_store_text(tmp_path: Path) -> None:
    store = fill_store(f"sqlite:///{tmp_path / 's.db'}")
    store.event("r1", datetime.now(UTC), "operator", "pack[0] <b>P0</b>", "</script><script>x()")
    write_report(store, tmp_path / "out", "csv", None, None, None)
    page = (tmp_path / "out" / "report.html").read_text()
    assert "&lt;/script&gt;&lt;script&gt;x()" in page and "<b>P0</b>" not in page
    assert page.count("<script") == 3  # the data block, uPlot, the chart code: nothing injected
    assert "uPlot" in page and '"bess_kw": [6.0' in page
