"""A live run's telemetry becomes the packs' operating summaries in the registry."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from packlife.serve.records import operating_summaries, record_run
from packlife.site.scenario import Scenario

from .conftest import start_site


def test_a_run_is_recorded_as_registry_history(scenario: Scenario, tmp_path: Path) -> None:
    pytest.importorskip("alembic", reason="needs the 'db' extra")
    from packlife.registry.db import dispose_engines, init_db
    from packlife.registry.service import battery_history, register_battery

    async def main() -> dict[str, dict]:
        site, rt, store = await start_site(scenario, tmp_path)
        try:
            await rt.run(asyncio.Event(), max_cycles=12)
            return operating_summaries(store, "t", scenario)
        finally:
            await site.stop()
            store.close()

    summaries = asyncio.run(main())
    serials = [p.serial for p in scenario.bess.packs]
    assert sorted(summaries) == sorted(serials)
    total_kwh = sum(s["energy_throughput_kwh"] for s in summaries.values())
    # 11 intervals of 60 s simulated at ~21 kW of charge → ≈ 3.9 kWh over all packs
    assert 2.0 < total_kwh < 5.0
    first = summaries[serials[0]]
    assert first["soh_start"] == pytest.approx(0.84, abs=1e-4)
    db = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    try:
        init_db(db)
        for p in scenario.bess.packs:
            assert p.serial is not None
            register_battery(db, p.serial, p.catalog_id, soh=p.soh)
        assert record_run(db, summaries) == 7
        kinds = [e.get("event_type") for e in battery_history(db, serials[0])]
        assert "operating_summary" in kinds
    finally:
        dispose_engines()
