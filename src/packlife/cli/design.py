"""``packlife design``: BESS units (MILP vs greedy) and portable products from graded inventory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from packlife.atomic import check_folder, write_folder
from packlife.cli._common import console, err_console, print_json, safe, say
from packlife.design.assign import ENCLOSURE_MASS_KG, OBJECTIVES, SLOT_MASS_KG, UnitRules
from packlife.design.inventory import (
    InventoryItem,
    items_from_records,
    merge_rate_factors,
    read_inventory_csv,
)
from packlife.design.plan import DesignRequest, design
from packlife.design.portable import PORTABLE_ENCLOSURE_KG, PORTABLE_MAX_MASS_KG
from packlife.design.ratings import DEFAULT_THRESHOLD_SOH
from packlife.design.report import render_design_html
from packlife.errors import PacklifeError
from packlife.redact import mask_secrets

#: The files of a design result set (written together, all-or-nothing).
DESIGN_FILES = ("design.json", "design.html")


def design_cmd(
    inventory: Path | None = typer.Option(
        None,
        "--inventory",
        help="Inventory CSV: serial,catalog_id,soh,resistance_growth[,grade][,kind].",
    ),
    db: str | None = typer.Option(
        None, "--db", help="Read the inventory from this registry instead (free, graded batteries)."
    ),
    units: int = typer.Option(0, "--units", min=0, help="BESS units to build from the packs."),
    slots: int = typer.Option(7, "--slots", min=1, help="Pack slots per unit (all filled)."),
    max_mass_kg: float = typer.Option(3500.0, "--max-mass-kg", help="Unit mass limit [kg]."),
    enclosure_mass_kg: float = typer.Option(
        ENCLOSURE_MASS_KG, "--enclosure-mass-kg", help="Enclosure/trailer mass per unit [kg]."
    ),
    slot_mass_kg: float = typer.Option(
        SLOT_MASS_KG, "--slot-mass-kg", help="Rack + converter mass per slot [kg]."
    ),
    min_power_kw: float = typer.Option(
        0.0, "--min-power-kw", min=0.0, help="Minimum Σ pack power limits per unit [kW]."
    ),
    target_energy_kwh: float | None = typer.Option(
        None, "--target-energy-kwh", min=0.0, help="Minimum usable energy per unit [kWh]."
    ),
    chemistries: str | None = typer.Option(
        None, "--chemistries", help="Allowed chemistries, comma-separated (e.g. nmc,lfp)."
    ),
    one_chemistry: bool = typer.Option(
        False, "--one-chemistry", help="Do not mix chemistries inside a unit."
    ),
    objective: str = typer.Option(
        "energy",
        "--objective",
        help="energy (total) | equal (max-min unit energy) | life "
        "(max-min years-to-threshold proxy).",
    ),
    years: int = typer.Option(10, "--years", min=1, max=30, help="Forecast horizon [years]."),
    threshold_soh: float = typer.Option(
        DEFAULT_THRESHOLD_SOH,
        "--threshold-soh",
        min=0.2,
        max=0.99,
        help="Second-life end threshold (SoH fraction).",
    ),
    time_limit_s: float = typer.Option(
        30.0, "--time-limit-s", min=0.1, help="MILP time limit [s]."
    ),
    modules_per_portable: int = typer.Option(
        2, "--modules-per-portable", min=1, help="Modules per portable product."
    ),
    portable_max_mass_kg: float = typer.Option(
        PORTABLE_MAX_MASS_KG, "--portable-max-mass-kg", help="Portable product mass limit [kg]."
    ),
    fade: Path | None = typer.Option(
        None, "--fade", help="Per-pack ageing_rate_factor CSV from `packlife grade fade --out` "
        "(each pack's own fade in the life forecast)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the design as JSON."),
    out: Path | None = typer.Option(
        None, "--out", help="Write design.json and design.html into this folder."
    ),
) -> None:
    """Design BESS units (MILP vs greedy, engine evaluation, life forecast) and portable units."""
    if out is not None:
        check_folder(out, DESIGN_FILES)
    items = _load(inventory, db)
    fade_note = None
    if fade is not None:
        items, fade_note = merge_rate_factors(items, fade)
        err_console.print(safe(fade_note), highlight=False, soft_wrap=True)
    if objective not in OBJECTIVES:
        raise PacklifeError(
            f"--objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}"
        )
    chem = tuple(c.strip() for c in chemistries.split(",") if c.strip()) if chemistries else None
    rules = None
    if units > 0:
        rules = UnitRules(
            units=units,
            slots=slots,
            max_mass_kg=max_mass_kg,
            enclosure_mass_kg=enclosure_mass_kg,
            slot_mass_kg=slot_mass_kg,
            min_power_kw=min_power_kw,
            target_energy_kwh=target_energy_kwh,
            chemistries=chem,
            one_chemistry_per_unit=one_chemistry,
            objective=objective,  # type: ignore[arg-type]
            time_limit_s=time_limit_s,
        )
    request = DesignRequest(
        rules=rules,
        threshold_soh=threshold_soh,
        years=years,
        modules_per_portable=modules_per_portable,
        portable_max_mass_kg=portable_max_mass_kg,
        portable_enclosure_kg=PORTABLE_ENCLOSURE_KG,
    )
    with err_console.status("designing…"):
        result = design(items, request)
    result["source"] = str(inventory) if inventory is not None else "registry"
    result["fade"] = fade_note
    if out is not None:
        _write(out, result)
    if json_out:
        print_json(result)
        return
    _print_tables(result)
    if out is not None:
        say(f"wrote {out / 'design.json'} and {out / 'design.html'}")


def _write(out: Path, result: dict[str, Any]) -> None:
    """design.json and design.html as one all-or-nothing result set."""
    text = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    html = render_design_html(result)
    write_folder(out, {
        "design.json": lambda p: p.write_text(text, encoding="utf-8"),
        "design.html": lambda p: p.write_text(html, encoding="utf-8"),
    })


def _load(inventory: Path | None, db: str | None) -> list[InventoryItem]:
    if (inventory is None) == (db is None):
        raise PacklifeError("give exactly one of --inventory FILE or --db URL")
    if inventory is not None:
        return read_inventory_csv(inventory)
    from packlife.registry.db import resolve_db_url
    from packlife.registry.service import inventory as registry_inventory

    records = registry_inventory(db)
    if not records:
        raise PacklifeError(
            f"the registry {mask_secrets(resolve_db_url(db))} holds no free, graded batteries")
    return items_from_records(records, source=mask_secrets(resolve_db_url(db)))


def _years(v: Any) -> str:
    return "> 30" if v is None else f"{v:.2f}"


def _print_tables(result: dict[str, Any]) -> None:
    b = result.get("bess")
    if b:
        t = Table(title=f"BESS units (objective {b['objective']})")
        for col in ("unit", "packs", "mass kg", "usable kWh", "rated kW", "years to thr."):
            t.add_column(col, justify="left" if col in ("unit", "packs") else "right")
        for u in b["units"]:
            t.add_row(
                safe(u["name"]),
                safe(" ".join(u["serials"])),
                f"{u['mass_kg']:,.0f}",
                f"{u['usable_energy_kwh']:,.1f}",
                f"{u['rated_power_kw']:,.1f}",
                _years(u["years_to_threshold"]),
            )
        console.print(t)
        m, g = b["milp"], b["greedy"]
        gap = (
            "greedy found no valid assignment"
            if g is None
            else (
                f"greedy {g['objective_value']:,.4g}, "
                f"MILP vs greedy {b['milp_vs_greedy_pct']:+.3f} %"
            )
        )
        console.print(
            f"{m['method']}: objective {m['objective_value']:,.4g} ({m['status']}, "
            f"MIP gap {'n/a' if m['mip_gap'] is None else format(m['mip_gap'], '.3%')}, "
            f"{m['solve_time_s']:.2f} s); {gap}"
        )
        for row in b["replacement_plan"][:10]:
            say(f"  • {row['text']}")
    p = result.get("portable")
    if p:
        t = Table(title=f"Portable products: {p['count']} × {p['modules_per_unit']} modules")
        for col in ("modules", "energy Wh", "usable Wh", "mass kg"):
            t.add_column(col, justify="left" if col == "modules" else "right")
        for u in p["units"]:
            t.add_row(
                safe(" ".join(u["serials"])),
                f"{u['energy_wh']:,.0f}",
                f"{u['usable_energy_wh']:,.0f}",
                f"{u['mass_kg']:.1f}",
            )
        console.print(t)
        for note in p["notes"]:
            say(f"  note: {note}")
