"""Site inputs for a year at 60 s in one-day chunks: PV from a whole-year PVGIS TMY (pvlib
ModelChain), ambient from the same weather, TOU prices, a repeating measured load.

Usage: .venv/bin/python benchmarks/bench_site_inputs.py
"""

from __future__ import annotations

import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from packlife.site.inputs import build_inputs
from packlife.site.scenario import load_scenario

ROOT = Path(__file__).parents[1]
EXTRA = """
[weather]
file = "pvgis_tmy_45N_8E.csv.gz"
format = "pvgis"

[[sources]]
name = "rooftop_pv"
kind = "pv"
max_power_kw = 40.0
peak_power_kwp = 40.0

[profiles]
load = { file = "load.csv", column = "load_kw", unit = "kW", repeat = true }
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        shutil.copy(ROOT / "tests/data/weather/pvgis_tmy_45N_8E.csv.gz", d)
        rows = "".join(
            f"2024-01-01T{h:02d}:{m:02d}:00+01:00,{5 + 10 * (8 <= h < 18)}\n"
            for h in range(24) for m in (0, 15, 30, 45)
        )
        (d / "load.csv").write_text("time,load_kw\n" + rows, encoding="utf-8")
        text = (ROOT / "src/packlife/site/templates/new-scenario.toml").read_text(encoding="utf-8")
        text = text.replace("2024-06-03T00:00:00+01:00", "2024-01-01T00:00:00+01:00")
        (d / "s.toml").write_text(text + EXTRA, encoding="utf-8")
        sc, _ = load_scenario(str(d / "s.toml"))
        per_day = 1440
        t0 = time.perf_counter()
        c0 = time.process_time()
        pv_kwh = 0.0
        for day in range(365):
            inp = build_inputs(sc, per_day, 60.0, start=day * per_day)
            pv_kwh += float(np.sum(inp.available_w["rooftop_pv"])) * 60.0 / 3.6e6
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"365 one-day chunks at 60 s: wall {wall:.2f} s, CPU {cpu:.2f} s, "
            f"peak RSS {rss:.0f} MB"
        )
        print(
            f"PV yield 40 kWp at 45 N 8 E (PVGIS TMY): {pv_kwh:,.0f} kWh = "
            f"{pv_kwh / 40:,.0f} kWh/kWp"
        )


if __name__ == "__main__":
    main()
