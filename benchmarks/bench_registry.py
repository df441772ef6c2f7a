"""Registry benchmark: CSV import throughput by batch size, operating-summary writes (one writer
and 4 concurrent writers on one battery, lost updates counted), passport export time.

Runs on a temporary SQLite file and, when a server answers on 127.0.0.1:5432, on a temporary
PostgreSQL database (dropped afterwards).

Run: ``.venv/bin/python benchmarks/bench_registry.py [--rows 2000]``
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packlife.registry.csv_import import import_csv
from packlife.registry.db import dispose_engines, init_db
from packlife.registry.passport import export_passport
from packlife.registry.service import record_operating_summary, register_battery, show

PACK = "nissan_leaf_24kwh"


@contextmanager
def databases(tmp: Path) -> Iterator[list[tuple[str, str]]]:
    out = [("sqlite", f"sqlite:///{tmp / 'bench.sqlite'}")]
    name = None
    try:
        import psycopg

        name = f"packlife_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True,
                             connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        out.append(("postgresql", f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"))
    except Exception as exc:  # no server: SQLite only
        print(f"(PostgreSQL skipped: {exc})")
        name = None
    try:
        yield out
    finally:
        dispose_engines()
        if name is not None:
            import psycopg

            with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres",
                                 autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_import(kind: str, url: str, tmp: Path, rows: int) -> None:
    for batch in (1, 50, 500):
        csv = tmp / f"{kind}_{batch}.csv"
        csv.write_text("serial,catalog_id,soh\n" + "".join(
            f"B{batch}-{i:06d},{PACK},0.75\n" for i in range(rows)), encoding="utf-8")
        t0 = time.perf_counter()
        rep = import_csv(csv, url, batch_size=batch)
        dt = time.perf_counter() - t0
        print(f"| {kind} | import | batch {batch} | {rep.created} rows | {dt:.2f} s | "
              f"{rep.created / dt:,.0f} rows/s |")


def bench_summaries(kind: str, url: str, n: int = 200, threads: int = 4) -> None:
    register_battery(url, "ONE", PACK)
    t0 = time.perf_counter()
    for _ in range(n):
        record_operating_summary(url, "ONE", {"energy_throughput_kwh": 1.0, "efc": 0.05})
    dt = time.perf_counter() - t0
    print(f"| {kind} | summary, 1 writer | {n} calls | | {dt:.2f} s | "
          f"{1000 * dt / n:.1f} ms/call |")
    register_battery(url, "SHARED", PACK)
    each = n // threads

    def work() -> None:
        for _ in range(each):
            record_operating_summary(url, "SHARED", {"energy_throughput_kwh": 1.0, "efc": 0.05})

    ts = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    got = show(url, "SHARED")["energy_throughput_kwh"]
    lost = threads * each - round(got)
    print(f"| {kind} | summary, {threads} writers | {threads * each} calls | lost {lost} | "
          f"{dt:.2f} s | {threads * each / dt:,.0f} calls/s |")
    t0 = time.perf_counter()
    p = export_passport(url, "ONE")
    dt = time.perf_counter() - t0
    assert p["usage"]["energy_throughput_kwh"] == n
    print(f"| {kind} | passport export | {n + 1} events | | {dt * 1000:.0f} ms | |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        with databases(tmp) as dbs:
            print("| database | operation | setting | size | wall | rate |")
            print("|---|---|---|---|---|---|")
            for kind, url in dbs:
                init_db(url)
                bench_import(kind, url, tmp, args.rows)
                bench_summaries(kind, url)


if __name__ == "__main__":
    main()
