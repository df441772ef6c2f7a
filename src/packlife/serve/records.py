"""Operating summaries of a live run, recorded in the registry as the packs' real history.

From the stored telemetry of one run: each pack's energy throughput (measured converter power
integrated over the site clock), equivalent full cycles (throughput / 2 / its rated energy × SoH),
SoH at the first and last reading, the dates the run was measured on, and the time spent in alarm
as a harmful event. :func:`record_run` adds them to the packs' registry records by serial.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from packlife.catalog import get_pack_model
from packlife.serve.store import TelemetryStore
from packlife.site.scenario import Scenario


def operating_summaries(
    store: TelemetryStore, run_id: str, scenario: Scenario
) -> dict[str, dict[str, Any]]:
    """Summary per pack serial (keys as :func:`packlife.registry.service.record_operating_summary`
    takes them); packs never read are left out."""
    times = {c["cycle"]: c["site_time_s"] for c in store.read_cycles(run_id)}
    by_pack: dict[int, list[dict[str, Any]]] = {}
    for row in store.read_pack_rows(run_id):
        by_pack.setdefault(row["pack_index"], []).append(row)
    out: dict[str, dict[str, Any]] = {}
    for i, rows in sorted(by_pack.items()):
        soh = [r["soh"] for r in rows if _num(r["soh"])]
        if not soh:
            continue
        thr_wh = alarm_s = 0.0
        for a, b in itertools.pairwise(rows):
            dt_s = max(times.get(b["cycle"], 0.0) - times.get(a["cycle"], 0.0), 0.0)
            if _num(a["power_w"]):
                thr_wh += abs(a["power_w"]) * dt_s / 3600.0
            if a["alarms"]:
                alarm_s += dt_s
        spec = scenario.bess.packs[i]
        rated_kwh = get_pack_model(spec.catalog_id).gross_energy_kwh * soh[0]
        events = [{"type": "alarm", "duration_s": alarm_s}] if alarm_s > 0 else []
        out[rows[0]["serial"]] = {
            "energy_throughput_kwh": thr_wh / 1000.0,
            "equivalent_full_cycles": thr_wh / 1000.0 / 2.0 / rated_kwh,
            "soh_start": soh[0],
            "soh_end": soh[-1],
            "period_start": rows[0]["measured_at"].date().isoformat(),
            "period_end": rows[-1]["measured_at"].date().isoformat(),
            "harmful_events": events,
        }
    return out


def record_run(db_url: str, summaries: dict[str, dict[str, Any]]) -> int:
    """Add each summary to its pack's registry record; returns how many were recorded."""
    from packlife.registry.service import record_operating_summary

    for serial, summary in summaries.items():
        record_operating_summary(db_url, serial, summary)
    return len(summaries)


def _num(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)
