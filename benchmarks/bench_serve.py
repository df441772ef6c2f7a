"""Cycle lateness of ``packlife serve``: 7 packs + 1 PCS over Modbus/TCP, 9 EVSEs over OCPP 2.0.1.

The runtime controls the virtual jlr-test-site over 127.0.0.1 with nine vehicles plugged in from
the start (every EVSE busy, a TxProfile per transaction), for ``--cycles`` cycles of ``--period``
seconds. The virtual plant, its eight pymodbus servers and the nine-EVSE python-ocpp station run in
the same process and event loop as the runtime, so the figure includes their load (a pessimistic
setup: on a site they are separate devices).

Target (issue 13): lateness p99 ≤ 10 % of the period over ≥ 600 cycles.

    .venv/bin/python benchmarks/bench_serve.py --period 1.0 --cycles 600
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from packlife.serve.app import build_runtime
from packlife.serve.store import TelemetryStore
from packlife.serve.virtual.site import VirtualSite
from packlife.site.scenario import load_scenario
from packlife.site.sessions import Session


def _sessions(n: int) -> list[Session]:
    return [
        Session(f"b{k}", 30.0, 10 * 86400.0, 1e9, "range_rover_p440e", 0.05, 7.0) for k in range(n)
    ]


async def _run(period_s: float, cycles: int, db: Path) -> tuple[np.ndarray, float, int, int]:
    scenario = load_scenario("jlr-test-site")[0]
    time_scale = scenario.simulation.step_s / period_s  # one engine step per cycle
    site = VirtualSite(scenario, time_scale, period_s, sessions=_sessions(9))
    devices = await site.start()
    store = TelemetryStore(f"sqlite:///{db}")
    rt = build_runtime(scenario, devices, time_scale, site.plant.now_s, store)
    await rt.start()
    assert rt.csms is not None
    await site.connect_stations(rt.csms.port)
    t0 = time.perf_counter()
    try:
        stats = await rt.run(asyncio.Event(), max_cycles=cycles)
    finally:
        await site.stop()
        store.close()
    wall = time.perf_counter() - t0
    busy = sum(1 for p in site.stations[0].plugs.values() if p is not None)
    return np.asarray(stats.lateness_s), wall, busy, len(rt.packs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--period", type=float, default=1.0, help="control period [s]")
    ap.add_argument("--cycles", type=int, default=600)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        late, wall, busy, n_packs = asyncio.run(
            _run(args.period, args.cycles, Path(tmp) / "bench.db")
        )
    ms = late * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    target = 0.1 * args.period * 1000.0
    print(f"cycles {late.size} at period {args.period * 1000:.0f} ms; {n_packs} packs, "
          f"{busy} of 9 EVSEs charging at the end; wall {wall:.1f} s")
    print(f"lateness ms: p50 {p50:.2f}  p95 {p95:.2f}  p99 {p99:.2f}  max {ms.max():.2f}")
    print(f"target p99 ≤ {target:.0f} ms: {'met' if p99 <= target else 'NOT met'}; "
          f"cycles later than 10 % of the period: {int(np.sum(ms > target))}")


if __name__ == "__main__":
    main()
