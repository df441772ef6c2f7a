"""Self-contained offline HTML page of a design (inline CSS and SVG, no scripts, no downloads)."""

from __future__ import annotations

import html
from typing import Any

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}
.note{color:#555;font-size:0.9em}"""
_BAR_W = 520


def _years(value: float | None) -> str:
    return "> 30" if value is None else _e(value)


def _gap(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.3g} %"


def _e(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, list):
        return ", ".join(_e(v) for v in value)
    return html.escape(str(value))


def _bars(title: str, labels: list[str], values: list[float | None], unit: str) -> str:
    finite = [v for v in values if v is not None]
    top = max(finite) if finite else 1.0
    top = top if top > 0 else 1.0
    rows = []
    for k, (lab, v) in enumerate(zip(labels, values, strict=True)):
        width = _BAR_W if v is None else _BAR_W * v / top
        y = 4 + 20 * k
        rows.append(
            f'<text x="0" y="{y + 12}" font-size="11">{html.escape(lab)}</text>'
            f'<rect x="110" y="{y}" width="{width:.1f}" height="14" fill="#4a7fb5"/>'
            f'<text x="{115 + width:.1f}" y="{y + 12}" font-size="11">{_years(v)} {unit}</text>')
    h = 8 + 20 * len(labels)
    return (f"<h3>{html.escape(title)}</h3><svg viewBox=\"0 0 720 {h}\" width=\"100%\" "
            f"role=\"img\" aria-label=\"{html.escape(title)}\">{''.join(rows)}</svg>")


def _bess(b: dict[str, Any]) -> str:
    units = b["units"]
    head = ("<tr><th class=l>unit</th><th class=l>packs</th><th>mass [kg]</th>"
            "<th>usable energy at rated power [kWh]</th><th>rated power [kW]</th>"
            "<th>weakest SoH</th><th>years to threshold</th><th>round trip</th></tr>")
    body = "".join(
        f"<tr><td class=l>{_e(u['name'])}</td><td class=l>{_e(u['serials'])}</td>"
        f"<td>{u['mass_kg']:,.0f}</td><td>{u['usable_energy_kwh']:,.1f}</td>"
        f"<td>{u['rated_power_kw']:,.1f}</td><td>{min(u['soh']):.3f}</td>"
        f"<td>{_years(u['years_to_threshold'])}</td><td>{u['round_trip_efficiency']:.1%}</td></tr>"
        for u in units)
    milp, greedy = b["milp"], b["greedy"]
    greedy_txt = ("greedy baseline found no valid assignment" if greedy is None else
                  f"greedy objective {greedy['objective_value']:,.4g}; MILP vs greedy "
                  f"{b['milp_vs_greedy_pct']:+.3f} %")
    plan = "".join(f"<li>{html.escape(str(r['text']))}</li>" for r in b["replacement_plan"])
    names = [u["name"] for u in units]
    return (
        f"<h2>BESS units ({len(units)})</h2>"
        f"<p>Objective <b>{_e(b['objective'])}</b>: {_e(milp['method'])} value "
        f"{milp['objective_value']:,.4g} ({_e(milp['status'])}, MIP gap {_gap(milp['mip_gap'])}, "
        f"{milp['solve_time_s']:.2f} s); {greedy_txt}. Candidates: {b['candidates']}.</p>"
        f"<table>{head}{body}</table>"
        + _bars("Usable energy at rated power", names,
                [u["usable_energy_kwh"] for u in units], "kWh")
        + _bars("Years until the weakest pack reaches the threshold", names,
                [u["years_to_threshold"] for u in units], "years")
        + f"<h3>Replacement plan</h3><ul>{plan or '<li>none within the horizon</li>'}</ul>"
    )


def _portable(p: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td class=l>{_e(u['serials'])}</td><td class=l>{_e(u['catalog_id'])}</td>"
        f"<td>{u['energy_wh']:,.0f}</td><td>{u['usable_energy_wh']:,.0f}</td>"
        f"<td>{u['mass_kg']:.1f}</td><td>{_e(u['soh'])}</td></tr>" for u in p["units"])
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in p["notes"])
    return (
        f"<h2>Portable products ({p['count']})</h2><table><tr><th class=l>modules</th>"
        "<th class=l>model</th><th>energy [Wh]</th><th>usable [Wh]</th><th>mass [kg]</th>"
        f"<th>SoH</th></tr>{rows}</table><p class=note>Left over: "
        f"{_e(p['leftover_serials']) or 'none'}</p><ul class=note>{notes}</ul>")


def render_design_html(result: dict[str, Any]) -> str:
    """The HTML page of a :func:`packlife.design.plan.design` result."""
    parts = [f"<h1>packlife design</h1><p>Inventory: {result['inventory']['packs']} packs, "
             f"{result['inventory']['modules']} modules. Threshold SoH "
             f"{result['threshold_soh']:g}, horizon {result['years']} years.</p>"]
    if result.get("bess"):
        parts.append(_bess(result["bess"]))
    if result.get("portable"):
        parts.append(_portable(result["portable"]))
    assumptions = "".join(
        f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>"
        for k, v in result["assumptions"].items() if v is not None)
    parts.append(f"<h2>Assumptions</h2><ul class=note>{assumptions}</ul>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>packlife design</title><style>{_CSS}</style></head><body>"
            + "".join(parts) + "</body></html>\n")
