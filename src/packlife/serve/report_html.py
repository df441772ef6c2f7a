"""``report.html`` of ``packlife serve report``: summary, packs, events and charts (uPlot, inlined
so the file works offline). Every text from the store is HTML-escaped; the data travel as JSON in a
``<script type="application/json">`` block with ``<`` escaped."""

from __future__ import annotations

import html
import json
from importlib.resources import files
from typing import Any

import pandas as pd

STATIC = files("packlife.serve.api") / "static"


def _rows(items: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items)


def _run_section(run_id: str, s: dict[str, Any], events: pd.DataFrame) -> str:
    items = [
        ("period (UTC)", f"{s['from']} – {s['to']}"),
        ("cycles / site time", f"{s['cycles']} / {s['site_time_h']:.2f} h"),
        ("BESS discharged", _kwh(s["bess_discharged_wh"])),
        ("BESS charged", _kwh(s["bess_charged_wh"])),
        ("to vehicles", _kwh(s["to_vehicles_wh"])),
        *((f"from {k}", _kwh(v)) for k, v in s["from_sources_wh"].items()),
        ("cycle lateness p50 / p99", f"{s['lateness_p50_ms']:.1f} / {s['lateness_p99_ms']:.1f} ms"),
    ]
    packs = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            p["pack_index"], p["serial"], _pct(p["soc_min"]), _pct(p["soc_max"]),
            "–" if p["temperature_max_c"] is None else f"{p['temperature_max_c']:.1f} °C",
            p["cycles_isolated"], p["cycles_in_alarm"])) + "</tr>"
        for p in s["packs"]
    )
    ev = events[events["run_id"] == run_id] if not events.empty else events
    ev_rows = "".join(
        f"<tr><td>{html.escape(str(r.at))}</td><td>{html.escape(str(r.kind))}</td>"
        f"<td>{html.escape(str(r.device))}</td><td>{html.escape(str(r.message))}</td></tr>"
        for r in ev.itertuples()
    )
    return (
        f"<h2>Run {html.escape(run_id)}</h2><table>{_rows(items)}</table>"
        f"<div class='chart' data-run='{html.escape(run_id)}'></div>"
        "<h3>Packs</h3><table><tr><th>#</th><th>serial</th><th>SoC min</th><th>SoC max</th>"
        f"<th>max temp.</th><th>cycles isolated</th><th>cycles in alarm</th></tr>{packs}</table>"
        f"<h3>Events</h3><table><tr><th>at (UTC)</th><th>kind</th><th>device</th><th>message</th>"
        f"</tr>{ev_rows}</table>"
    )


def _kwh(wh: float) -> str:
    return f"{wh / 1000:.2f} kWh"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _series(cycles: pd.DataFrame) -> dict[str, Any]:
    out = {}
    for run_id, c in cycles.groupby("run_id", sort=False):
        t = c["site_time_s"].to_numpy(float)
        out[str(run_id)] = {
            "t_h": ((t - t[0]) / 3600.0).round(5).tolist(),
            "bess_kw": (c["bess_power_w"] / 1000).round(4).tolist(),
            "vehicles_kw": (c["outputs_power_w"] / 1000).round(4).tolist(),
        }
    return out


def render(summary: dict[str, Any], frames: dict[str, pd.DataFrame]) -> str:
    """The report page of ``summary`` (:func:`packlife.serve.report.summarise`) and its frames."""
    data = json.dumps(_series(frames["cycles"])).replace("<", "\\u003c")
    body = "".join(_run_section(r, s, frames["events"]) for r, s in summary.items())
    js = (STATIC / "uPlot.iife.min.js").read_text(encoding="utf-8")
    css = (STATIC / "uPlot.min.css").read_text(encoding="utf-8")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>packlife serve report</title><style>{css}
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; color: #1d2733; }}
table {{ border-collapse: collapse; margin: .5rem 0; }} th, td {{ text-align: left;
padding: .2rem .6rem; border-bottom: 1px solid #e3e7ec; }}</style></head><body>
<h1>packlife serve — report of a past period</h1>
<p>Energies integrated over the site clock, each cycle's power held until the next; discharge
positive; charts against site hours from each run's first cycle.</p>{body}
<script type="application/json" id="data">{data}</script>
<script>{js}</script>
<script>
const data = JSON.parse(document.getElementById("data").textContent);
for (const el of document.querySelectorAll(".chart")) {{
  const d = data[el.dataset.run];
  new uPlot({{ width: 900, height: 260, scales: {{ x: {{ time: false }} }},
    series: [{{ label: "site time [h]" }}, {{ label: "BESS [kW]", stroke: "#2f6fb3" }},
             {{ label: "to vehicles [kW]", stroke: "#2f7d4f" }}],
    axes: [{{ label: "site time [h]" }}, {{ label: "kW" }}] }},
    [d.t_h, d.bess_kw, d.vehicles_kw], el);
}}
</script></body></html>
"""
