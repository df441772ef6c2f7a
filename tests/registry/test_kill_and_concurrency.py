"""Nothing lost, nothing half-written: SIGKILL during a batch import, concurrent writers.

Both run real processes/threads against a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from packlife.registry.csv_import import import_csv
from packlife.registry.db import transaction
from packlife.registry.models import Battery, Event, OperatingSummary
from packlife.registry.service import record_operating_summary, register_battery
from packlife.registry.state import history, rebuild_state, stored_state

ROWS, BATCH = 3000, 5


def _count_committed(url: str) -> int:
    engine = create_engine(url)  # plain engine: a reader that never takes the write lock
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Battery)).scalar_one()
    finally:
        engine.dispose()


def test_sigkill_during_import_leaves_whole_batches(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    csv = tmp_path / "big.csv"
    csv.write_text("serial,catalog_id,soh\n" + "".join(
        f"K{i:06d},{catalog_ids[0]},0.75\n" for i in range(ROWS)), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "packlife.cli.main", "registry", "import", str(csv),
         "--db", db_url, "--batch-size", str(BATCH)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    poller = create_engine(db_url)  # plain engine: a reader that never takes the write lock
    deadline = time.monotonic() + 60
    try:
        with poller.connect() as conn:
            while True:
                seen = conn.execute(select(func.count()).select_from(Battery)).scalar_one()
                conn.rollback()  # next poll sees newly committed rows
                if seen >= 2 * BATCH:
                    break
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "import never committed a batch"
                time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        poller.dispose()
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    committed = _count_committed(db_url)
    assert 2 * BATCH <= committed < ROWS, "the import must have been killed part-way"
    assert committed % BATCH == 0, "a batch was half-written"
    with transaction(db_url) as session:
        without_event = session.scalar(
            select(func.count()).select_from(Battery).where(~select(Event.id).where(
                Event.battery_id == Battery.id, Event.event_type == "registered").exists()))
        assert without_event == 0
        assert session.scalar(select(func.count()).select_from(Event)) == committed
        assert rebuild_state(history(session)) == stored_state(session)
    # the killed import resumes: only the missing rows are added
    report = import_csv(csv, db_url, batch_size=500, skip_existing=True)
    assert (report.skipped, report.created) == (committed, ROWS - committed)
    assert _count_committed(db_url) == ROWS


N_THREADS, N_EACH = 6, 8


def test_concurrent_threads_lose_no_update(db_url: str, catalog_ids: tuple[str, str]) -> None:
    register_battery(db_url, "SHARED", catalog_ids[0])
    errors: list[BaseException] = []
    start = threading.Barrier(N_THREADS)

    def work(k: int) -> None:
        try:
            start.wait()
            for _ in range(N_EACH):
                record_operating_summary(db_url, "SHARED", {
                    "energy_throughput_kwh": 1.5, "efc": 0.25,
                    "harmful_events": [{"type": f"thread_{k}", "duration_s": 1.0}]})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    n = N_THREADS * N_EACH
    with transaction(db_url) as session:
        row = session.scalar(select(Battery).where(Battery.serial == "SHARED"))
        assert row is not None
        assert row.energy_throughput_kwh == pytest.approx(1.5 * n)
        assert row.equivalent_full_cycles == pytest.approx(0.25 * n)
        assert row.harmful_event_count == n
        assert row.version == 1 + n  # one optimistic version bump per summary
        assert session.scalar(select(func.count()).select_from(OperatingSummary)) == n
        assert rebuild_state(history(session)) == stored_state(session)


def test_concurrent_processes_lose_no_update(db_url: str, catalog_ids: tuple[str, str]) -> None:
    register_battery(db_url, "SHARED", catalog_ids[0])
    code = textwrap.dedent(f"""
        from packlife.registry.service import record_operating_summary
        for _ in range(10):
            record_operating_summary({db_url!r}, "SHARED",
                                     {{"energy_throughput_kwh": 2.0, "efc": 0.1}})
    """)
    procs = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with transaction(db_url) as session:
        row = session.scalar(select(Battery).where(Battery.serial == "SHARED"))
        assert row is not None and row.energy_throughput_kwh == pytest.approx(60.0)
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.event_type == "operating_summary")) == 30


def test_two_importers_of_the_same_serials(
    db_url: str, catalog_ids: tuple[str, str], tmp_path: Path
) -> None:
    """One import wins; the other fails with a clear error and writes nothing of its batch."""
    from packlife.errors import DataFileError

    csv = tmp_path / "same.csv"
    csv.write_text("serial,catalog_id\n" + "".join(
        f"D{i:04d},{catalog_ids[0]}\n" for i in range(150)), encoding="utf-8")
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def work() -> None:
        start.wait()
        try:
            import_csv(csv, db_url, batch_size=1000)
            outcomes.append("ok")
        except DataFileError as exc:
            assert "already registered" in str(exc) or "another writer" in str(exc), exc
            outcomes.append("refused")

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["ok", "refused"]
    assert _count_committed(db_url) == 150
    with transaction(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 150
