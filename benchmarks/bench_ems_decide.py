"""Benchmark: one ``decide`` call, 7 packs, 9 busy outputs, grid + PV + DC charger + generator.

Every output has a vehicle (acceptance curves of the three vehicle models), the budget binds, a pack
is faulted and one is derated, so every branch of the controller runs.

Run: ``.venv/bin/python benchmarks/bench_ems_decide.py``
"""

from __future__ import annotations

import time

import numpy as np

from packlife.control.controller import decide
from packlife.control.types import ControllerConfig, PackLimits, SiteSnapshot, SourceState
from packlife.control.vehicles import LARGE_BEV_100, NISSAN_LEAF_40, RANGE_ROVER_P440E

N_CALLS = {"mpc": 300, "llf + min-loss packs": 300}


def snapshot() -> SiteSnapshot:
    rng = np.random.default_rng(1)
    n = 7
    packs = PackLimits(
        soc=rng.uniform(0.3, 0.9, n),
        max_discharge_power_w=np.array([50e3, 50e3, 50e3, 50e3, 50e3, 31.7e3, 20e3]),
        max_charge_power_w=np.full(n, 30e3),
        usable_discharge_energy_wh=rng.uniform(5e3, 30e3, n),
        usable_charge_energy_wh=rng.uniform(5e3, 30e3, n),
        joined=np.ones(n, dtype=bool),
        faulted=np.array([False, False, True, False, False, False, False]),
        limit_notes=tuple(["current limit"] * 6 + ["derating (temperature 48 °C)"]),
        resistance_ohm=rng.uniform(0.08, 0.25, n),
        voltage_v=rng.uniform(340.0, 390.0, n),
    )
    sources = (
        SourceState("grid", "grid", 22e3, 22e3),
        SourceState("pv", "pv", 12e3, 30e3),
        SourceState("ccs_inlet", "dc_charger", 40e3, 50e3, priority=1),
        SourceState("generator", "generator", 60e3, 60e3),
    )
    models = (RANGE_ROVER_P440E, NISSAN_LEAF_40, LARGE_BEV_100)
    outputs = tuple(
        models[k % 3].output_state(
            50e3,
            f"s{k}",
            float(rng.uniform(0.1, 0.8)),
            float(rng.uniform(5e3, 30e3)),
            float(rng.uniform(0, 1800)),
            float(rng.uniform(2400, 7200)),
        )
        for k in range(9)
    )
    return SiteSnapshot(1800.0, 60.0, packs, sources, outputs, load_power_w=5e3)


def main() -> None:
    snap = snapshot()
    print(f"{'algorithm':22s} {'median ms':>10s} {'p99 ms':>8s} {'calls':>6s}")
    runs = [(a, a, "usable_energy") for a in ("uncontrolled", "fcfs", "equal", "edf", "llf", "mpc")]
    runs.append(("llf + min-loss packs", "llf", "min_loss"))
    for label, algo, split in runs:
        cfg = ControllerConfig(
            vehicle_algorithm=algo,  # type: ignore[arg-type]
            pack_split=split,  # type: ignore[arg-type]
            use_generator_for_vehicles=False,
        )
        decide(snap, cfg)  # warm-up (numba load, highspy import)
        n = N_CALLS.get(label, 3000)
        times = np.empty(n)
        for i in range(n):
            t0 = time.perf_counter()
            decide(snap, cfg)
            times[i] = time.perf_counter() - t0
        med, p99 = 1e3 * np.median(times), 1e3 * np.percentile(times, 99)
        print(f"{label:22s} {med:10.3f} {p99:8.3f} {n:6d}")


if __name__ == "__main__":
    main()
