"""``packlife serve report``: a past period of a live site from its store — tables, a summary
(``summary.json``) and a page with charts (``report.html``).

Energies are integrated over the *site* clock (``site_time_s``: wall seconds on a real site,
simulated seconds on a time-scaled virtual one), each cycle's power held until the next cycle
(the controller's zero-order hold). Discharge positive.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from packlife.atomic import write_folder
from packlife.errors import PacklifeError
from packlife.serve.history import Format, period_frame
from packlife.serve.report_html import render
from packlife.serve.store import TelemetryStore

TABLE_NAMES = ("cycles", "packs", "evses", "events")


def _held_energy_wh(t_s: np.ndarray, p_w: np.ndarray) -> float:
    """∫ p dt with each value held until the next sample [Wh] (the last one not counted)."""
    if len(t_s) < 2:
        return 0.0
    return float(np.sum(p_w[:-1] * np.diff(t_s)) / 3600.0)


def summarise(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Energies, lateness, alarms and per-pack figures of the period's frames."""
    cyc = frames["cycles"]
    if cyc.empty:
        raise PacklifeError("no control cycles in the chosen period and run")
    summary: dict[str, Any] = {}
    for run_id, c in cyc.groupby("run_id", sort=False):
        t = c["site_time_s"].to_numpy(float)
        bess = c["bess_power_w"].to_numpy(float)
        sources = pd.DataFrame([json.loads(s) for s in c["source_power_w"]]).fillna(0.0)
        late = c["lateness_s"].to_numpy(float) * 1000.0
        packs = frames["packs"][frames["packs"]["run_id"] == run_id]
        ev = frames["events"][frames["events"]["run_id"] == run_id]
        summary[str(run_id)] = {
            "cycles": len(c),
            "from": c["measured_at"].iloc[0].isoformat(),
            "to": c["measured_at"].iloc[-1].isoformat(),
            "site_time_h": float((t[-1] - t[0]) / 3600.0),
            "bess_discharged_wh": _held_energy_wh(t, np.maximum(bess, 0.0)),
            "bess_charged_wh": _held_energy_wh(t, np.maximum(-bess, 0.0)),
            "to_vehicles_wh": _held_energy_wh(t, c["outputs_power_w"].to_numpy(float)),
            "from_sources_wh": {
                str(k): _held_energy_wh(t, sources[k].to_numpy(float)) for k in sources.columns
            },
            "lateness_p50_ms": float(np.percentile(late, 50)),
            "lateness_p99_ms": float(np.percentile(late, 99)),
            "events": {str(k): int(v) for k, v in ev["kind"].value_counts().items()},
            "packs": _pack_figures(packs),
        }
    return summary


def _pack_figures(packs: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for (i, serial), p in packs.groupby(["pack_index", "serial"], sort=True):
        out.append(
            {
                "pack_index": int(cast(int, i)),
                "serial": str(serial),
                "soc_min": _f(p["soc"].min()),
                "soc_max": _f(p["soc"].max()),
                "temperature_max_c": _f(p["temperature_c"].max()),
                "cycles_isolated": int(p["isolated"].astype(bool).sum()),
                "cycles_in_alarm": int((p["alarms"] != 0).sum()),
            }
        )
    return out


def _f(x: Any) -> float | None:
    return None if pd.isna(x) else float(x)


def write_report(
    store: TelemetryStore,
    out_dir: Path,
    fmt: Format,
    run_id: str | None,
    start: datetime | None,
    end: datetime | None,
) -> dict[str, Any]:
    """Write the period's tables (``<table>.<fmt>``) and ``summary.json`` into ``out_dir``,
    all-or-nothing; returns the summary."""
    frames = {t: period_frame(store, t, run_id, start, end) for t in TABLE_NAMES}
    summary = summarise(frames)
    writers: dict[str, Any] = {}
    for name, frame in frames.items():
        if fmt == "csv":
            writers[f"{name}.csv"] = lambda p, f=frame: f.to_csv(p, index=False)
        else:
            writers[f"{name}.parquet"] = lambda p, f=frame: f.to_parquet(p, index=False)
    writers["summary.json"] = lambda p: Path(p).write_text(json.dumps(summary, indent=2) + "\n")
    page = render(summary, frames)
    writers["report.html"] = lambda p: Path(p).write_text(page, encoding="utf-8")
    write_folder(out_dir, writers)
    return summary
