"""``packlife impact``: CO2 of a diesel generator duty versus a grid-charged BESS replacing it."""

from __future__ import annotations

import typer
from rich.table import Table

from packlife.cli._common import console, print_json
from packlife.errors import PacklifeError
from packlife.impact import (
    DEFAULT_DIESEL_FACTOR,
    DEFAULT_GRID_INTENSITY,
    DieselDisplacement,
    diesel_displacement,
    list_diesel_factors,
    list_fuel_curves,
    list_grid_intensities,
)

app = typer.Typer(
    rich_markup_mode=None, help="CO2 of a diesel generator duty and of the BESS that replaces it."
)

_ROWS: list[tuple[str, str, str]] = [
    ("generator_hours", "generator running time", "h"),
    ("diesel_litres", "diesel burned", "L"),
    ("co2_factor_kg_per_l", "diesel CO2 factor", "kg/L"),
    ("co2_diesel_kg", "diesel CO2 avoided", "kg"),
    ("genset_rated_power_kw", "generator rating", "kW"),
    ("genset_output_power_kw", "generator output at that fuel rate", "kW"),
    ("genset_load_fraction", "generator load", "of rating"),
    ("specific_fuel_l_per_kwh", "specific fuel consumption", "L/kWh"),
    ("energy_delivered_kwh", "energy the BESS must deliver", "kWh"),
    ("bess_efficiency", "BESS round-trip efficiency", ""),
    ("grid_energy_kwh", "grid energy to charge the BESS", "kWh"),
    ("grid_intensity_g_per_kwh", "grid carbon intensity", "g/kWh"),
    ("co2_grid_kg", "grid CO2 of charging", "kg"),
    ("co2_avoided_net_kg", "net CO2 avoided", "kg"),
]


def _name_or_number(value: str) -> str | float:
    try:
        return float(value)
    except ValueError:
        return value


def _print_result(result: DieselDisplacement) -> None:
    table = Table(
        title=f"Diesel {result.diesel_lph:g} L/h × {result.hours_per_day:g} h/day × "
        f"{result.days:g} day(s) vs a grid-charged BESS"
    )
    for col, justify in (
        ("quantity", "left"),
        ("value", "right"),
        ("unit", "left"),
        ("key", "left"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    values = result.model_dump()
    for key, label, unit in _ROWS:
        value = float(values[key])
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.2f}"
        table.add_row(label, text, unit, f"[dim]{key}[/dim]")
    console.print(table)
    console.print(
        f"factor [bold]{result.co2_factor}[/bold], grid [bold]{result.grid_intensity}[/bold], "
        f"fuel curve [bold]{result.genset_curve}[/bold]"
        + (
            "  [yellow]below the set's minimum load (wet stacking)[/yellow]"
            if result.genset_below_min_load
            else ""
        ),
        highlight=False,
    )


def _print_factors(json_out: bool) -> None:
    diesel, grid, curves = list_diesel_factors(), list_grid_intensities(), list_fuel_curves()
    if json_out:
        print_json(
            {
                "diesel": [d.model_dump(mode="json") for d in diesel],
                "grid": [g.model_dump(mode="json") for g in grid],
                "fuel_curves": [c.model_dump(mode="json") for c in curves],
            }
        )
        return
    table = Table(title="Diesel CO2 factors (--factor)")
    for col in ("name", "kg/L", "scope", "description"):
        table.add_column(col)
    for d in diesel:
        table.add_row(d.id, f"{d.co2_kg_per_l:.5f}", d.scope.upper(), d.description)
    console.print(table)
    table = Table(title="Grid carbon intensities (--grid-intensity)")
    for col in ("name", "g/kWh", "description"):
        table.add_column(col)
    for g in grid:
        table.add_row(g.id, f"{g.intensity_g_per_kwh:g}", g.description)
    console.print(table)
    table = Table(title="Generator fuel curves (--fuel-curve)")
    for col in ("name", "kW", "F0 L/h/kW_rated", "F1 L/kWh", "min load", "description"):
        table.add_column(col)
    for c in curves:
        table.add_row(
            c.id,
            f"{c.rated_power_kw:g}",
            f"{c.f0_lph_per_kw_rated:.4f}",
            f"{c.f1_lph_per_kw:.4f}",
            f"{c.min_load_fraction:.0%}",
            c.description,
        )
    console.print(table)


@app.callback(invoke_without_command=True)
def impact_cmd(
    diesel_lph: float | None = typer.Option(
        None, "--diesel-lph", help="Generator fuel rate while running (L/h)."
    ),
    hours: float | None = typer.Option(None, "--hours", help="Running hours per day (h)."),
    days: float = typer.Option(1.0, "--days", help="Number of days of that duty."),
    factor: str = typer.Option(
        DEFAULT_DIESEL_FACTOR, "--factor", help="Diesel CO2 factor name, or a number (kg/L)."
    ),
    grid_intensity: str = typer.Option(
        DEFAULT_GRID_INTENSITY,
        "--grid-intensity",
        help="Grid carbon intensity name, or a number (g/kWh).",
    ),
    bess_efficiency: float = typer.Option(
        0.88, "--bess-efficiency", help="BESS round-trip efficiency (0-1]."
    ),
    genset_kw: float = typer.Option(
        60.0,
        "--genset-kw",
        help="Generator rating (kW); uses the chart fuel curve of the nearest size.",
    ),
    fuel_curve: str | None = typer.Option(
        None, "--fuel-curve", help="Named fuel curve (overrides --genset-kw)."
    ),
    list_factors: bool = typer.Option(
        False, "--list-factors", help="List factors, grid intensities and fuel curves."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (unit-suffixed keys)."),
) -> None:
    """CO2 avoided by replacing a diesel generator duty with a grid-charged BESS, net of charging.

    Example: packlife impact --diesel-lph 16 --hours 3 --days 120
    """
    if list_factors:
        _print_factors(json_out)
        return
    missing = [name for name, v in (("--diesel-lph", diesel_lph), ("--hours", hours)) if v is None]
    if missing:
        raise PacklifeError(
            f"packlife impact needs {' and '.join(missing)} (e.g. --diesel-lph 16 --hours 3); "
            "--list-factors shows the factor names"
        )
    assert diesel_lph is not None and hours is not None
    result = diesel_displacement(
        diesel_lph,
        hours,
        days,
        factor=_name_or_number(factor),
        grid_intensity=_name_or_number(grid_intensity),
        bess_efficiency=bess_efficiency,
        genset=fuel_curve if fuel_curve is not None else genset_kw,
    )
    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        _print_result(result)
