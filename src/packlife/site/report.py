"""A self-contained HTML report (inline SVG charts, no scripts, works offline)."""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from packlife._typing import FloatArray
from packlife.site.economics import economics_rows
from packlife.site.run import SiteResult

_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
_W, _H, _PAD = 860, 240, 48


def _line_chart(title: str, x_h: FloatArray, series: dict[str, FloatArray], unit: str) -> str:
    """An SVG line chart of several series against hours since the start."""
    if x_h.size == 0:
        return f"<h3>{html.escape(title)}</h3><p>(no data)</p>"
    values = np.concatenate([np.asarray(v, dtype=float) for v in series.values()])
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-9:
        hi = lo + 1.0
    x0, x1 = float(x_h[0]), float(x_h[-1]) if x_h[-1] > x_h[0] else float(x_h[0]) + 1.0

    def sx(x: FloatArray) -> FloatArray:
        return _PAD + (x - x0) / (x1 - x0) * (_W - 2 * _PAD)

    def sy(y: FloatArray) -> FloatArray:
        return _H - _PAD / 2 - (y - lo) / (hi - lo) * (_H - _PAD)

    parts = [
        f'<svg viewBox="0 0 {_W} {_H + 20}" width="100%" role="img" aria-label="{html.escape(title)}">'
    ]
    for frac in (0.0, 0.5, 1.0):
        yv = lo + frac * (hi - lo)
        py = float(sy(np.array(yv)))
        parts.append(
            f'<line x1="{_PAD}" x2="{_W - _PAD}" y1="{py:.1f}" y2="{py:.1f}" stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{_PAD - 4}" y="{py + 4:.1f}" font-size="10" text-anchor="end">{yv:.3g}</text>'
        )
    for frac in np.linspace(0, 1, 6):
        xt = x0 + float(frac) * (x1 - x0)
        px = float(sx(np.array(xt)))
        parts.append(
            f'<text x="{px:.1f}" y="{_H + 4}" font-size="10" text-anchor="middle">{xt:.0f} h</text>'
        )
    for k, (name, y) in enumerate(series.items()):
        yy = np.asarray(y, dtype=float)
        ok = np.isfinite(yy)
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx(x_h[ok]), sy(yy[ok]), strict=True))
        colour = _COLOURS[k % len(_COLOURS)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.3" points="{pts}"/>')
        parts.append(
            f'<text x="{_PAD + 8 + 110 * (k % 7)}" y="{12 + 12 * (k // 7)}" font-size="10" '
            f'fill="{colour}">'
            f"{html.escape(name)}</text>"
        )
    parts.append("</svg>")
    return f"<h3>{html.escape(title)} [{html.escape(unit)}]</h3>" + "".join(parts)


def _timeline(result: SiteResult) -> str:
    """Vehicle sessions per output as horizontal bars (grey = waiting, green = charging)."""
    outs = [o for o in result.outcomes if o.output >= 0]
    if not outs:
        return "<h3>Vehicle sessions</h3><p>(no vehicle sessions)</p>"
    n_out = max(o.output for o in outs) + 1
    end_h = result.scenario.simulation.days * 24.0
    row = 22
    h = n_out * row + 30
    parts = [f'<svg viewBox="0 0 {_W} {h}" width="100%" role="img" aria-label="sessions">']
    for k in range(n_out):
        y = 10 + k * row
        parts.append(
            f'<text x="{_PAD - 6}" y="{y + 13}" font-size="10" text-anchor="end">out {k + 1}</text>'
        )
    for o in outs:
        x_a = _PAD + o.session.arrival_s / 3600.0 / end_h * (_W - 2 * _PAD)
        x_p = _PAD + o.plug_in_s / 3600.0 / end_h * (_W - 2 * _PAD)
        leave = o.leave_s if np.isfinite(o.leave_s) else end_h * 3600.0
        x_l = _PAD + leave / 3600.0 / end_h * (_W - 2 * _PAD)
        y = 10 + o.output * row
        colour = "#2ca02c" if o.fully_charged else "#ff7f0e"
        label = html.escape(f"{o.session.session_id}: {o.energy_delivered_wh / 1000:.1f} kWh")
        parts.append(
            f'<rect x="{x_a:.1f}" y="{y + 6}" width="{max(x_p - x_a, 0):.1f}" height="6" fill="#bbb"/>'
        )
        parts.append(
            f'<rect x="{x_p:.1f}" y="{y}" width="{max(x_l - x_p, 1):.1f}" height="16" fill="{colour}">'
            f"<title>{label}</title></rect>"
        )
    parts.append("</svg>")
    return (
        "<h3>Vehicle sessions (green: charged to target, orange: left before, grey: waiting)</h3>"
        + "".join(parts)
    )


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.2e}" if v != 0.0 and abs(v) < 0.01 else f"{v:,.2f}"
    if isinstance(v, dict):
        return ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def render_report(result: SiteResult, summary: dict[str, Any], pack_traces: pd.DataFrame) -> str:
    """The report as one HTML string."""
    sc = result.scenario
    flows = result.flows
    t0 = pd.Timestamp(sc.simulation.start)
    hours = (flows["time"] - t0).dt.total_seconds() / 3600.0
    x_h = np.asarray(hours.to_numpy() if len(flows) else np.zeros(0), dtype=np.float64)
    power = {
        "vehicles": flows["vehicles_power_w"].to_numpy() / 1000,
        "BESS (discharge +)": flows["bess_power_w"].to_numpy() / 1000,
    }
    for s in sc.sources:
        power[s.name] = flows[f"source_{s.name}_power_w"].to_numpy() / 1000
    if flows["loads_power_w"].abs().sum() > 0:
        power["loads"] = flows["loads_power_w"].to_numpy() / 1000
    px_h = np.asarray(np.unique(pack_traces["time_s"].to_numpy()) / 3600.0, dtype=np.float64)
    labels = [p.serial or f"pack {i + 1}" for i, p in enumerate(sc.bess.packs)]
    groups = [(labels[int(str(q))], g) for q, g in pack_traces.groupby("pack")]
    soc = {name: g["soc"].to_numpy() for name, g in groups}
    temp = {name: g["temperature_c"].to_numpy() for name, g in groups}
    ageing_rows = "".join(
        f"<tr><td>{html.escape(labels[i])}</td><td>{p.catalog_id}</td>"
        f"<td>{summary['pack_soh_start'][i]:.4f}</td><td>{summary['pack_soh_end'][i]:.4f}</td>"
        f"<td>{summary['pack_resistance_growth_end'][i]:.3f}</td>"
        f"<td>{summary['pack_equivalent_full_cycles'][i]:.1f}</td>"
        f"<td>{summary['pack_max_temperature_c'][i]:.1f}</td></tr>"
        for i, p in enumerate(sc.bess.packs)
    )
    headline = [
        ("energy from sources [kWh]", summary["energy_from_sources_kwh"]),
        ("energy to vehicles [kWh]", summary["energy_to_vehicles_kwh"]),
        ("energy to loads [kWh]", summary["energy_to_loads_kwh"]),
        ("losses [kWh]", summary["losses_kwh"]),
        ("stored energy change [kWh]", summary["stored_energy_change_kwh"]),
        (
            "energy balance error [% of throughput]",
            summary["energy_balance_error_pct_of_throughput"],
        ),
        (
            "vehicles served / fully charged",
            f"{summary['vehicles_served']} / {summary['vehicles_fully_charged']}",
        ),
        ("mean charge time via BESS [min]", summary["mean_charge_time_min"]),
        (
            "mean direct charge time from the site supply [min]",
            summary["mean_direct_charge_time_min"],
        ),
    ]
    diesel = [
        ("diesel baseline [L]", summary["diesel_litres_baseline"]),
        ("generator hours (baseline)", summary["generator_hours_baseline"]),
        ("diesel burned with the BESS [L]", summary["diesel_litres_bess_case"]),
        ("diesel avoided [L]", summary["diesel_litres_avoided"]),
        (f"CO2 of the baseline [kg] ({summary['diesel_factor']})", summary["co2_diesel_kg"]),
        (f"CO2 of grid charging [kg] ({summary['grid_intensity']})", summary["co2_grid_kg"]),
        ("CO2 avoided, net [kg]", summary["co2_avoided_net_kg"]),
    ]
    sources_list = "".join(f"<li>{html.escape(s)}</li>" for s in sc.sources_of_numbers)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>packlife — {html.escape(sc.name)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:920px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:0.5em 0}} th,td{{border:1px solid #ccc;padding:3px 8px;text-align:left}}
th{{background:#f4f4f4}} h3{{margin-top:1.6em}}
</style></head><body>
<h1>packlife report: {html.escape(sc.name)}</h1>
<p>{html.escape(sc.description)}</p>
<p>{sc.simulation.days:g} days from {html.escape(str(sc.simulation.start))}, step {sc.simulation.step_s:g} s;
BESS: {html.escape(sc.bess.name)}, {summary["nameplate_energy_kwh"]:.1f} kWh nameplate,
{summary["usable_energy_kwh"]:.1f} kWh usable at measured SoH.
Time zone: {html.escape(str(summary.get("timezone", "")))};
weather: {html.escape(str(summary.get("weather_source", "")))}.</p>
<h2>Summary</h2>{_table(headline)}
<h2>Power flows</h2>{_line_chart("Power by source and sink", x_h, power, "kW")}
<h2>Packs</h2>{_line_chart("State of charge per pack", px_h, soc, "0–1")}
{_line_chart("Temperature per pack", px_h, temp, "°C")}
<h2>Vehicles</h2>{_timeline(result)}
<h2>Ageing</h2><table><tr><th>pack</th><th>model</th><th>SoH start</th><th>SoH end</th>
<th>resistance ×new</th><th>equivalent full cycles</th><th>max °C</th></tr>{ageing_rows}</table>
<h2>Diesel comparison</h2>{_table(diesel)}
<h2>Economics</h2>{_table(economics_rows(summary)) if economics_rows(summary) else "<p>(none)</p>"}
<h2>Where the numbers come from</h2><ul>{sources_list}</ul>
<p style="color:#666;font-size:small">Generated by packlife. Discharge positive; SoC/SoH as 0–1 fractions.</p>
</body></html>
"""
