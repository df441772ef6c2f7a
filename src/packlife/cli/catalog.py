"""``packlife catalog``: the built-in catalog of EV pack and module models."""

from __future__ import annotations

import typer
from rich.table import Table

from packlife.catalog import get_pack_model, list_pack_models
from packlife.cli._common import console, print_json

app = typer.Typer(
    rich_markup_mode=None,
    help="Browse the catalog of real EV pack and module models.",
    no_args_is_help=True,
)


@app.command("list")
def list_cmd(
    json_out: bool = typer.Option(False, "--json", help="Print JSON (catalog field names)."),
    kind: str | None = typer.Option(None, help="Only 'pack' or 'module' entries."),
) -> None:
    """List every pack and module model with its key ratings."""
    packs = list_pack_models(kind)
    if json_out:
        print_json([p.model_dump(mode="json") for p in packs])
        return
    table = Table(title=f"packlife catalog: {len(packs)} models")
    for col in (
        "id",
        "kind",
        "make / model",
        "years",
        "chem",
        "S×P",
        "V nom",
        "gross kWh",
        "usable kWh",
        "mass kg",
        "sources",
    ):
        table.add_column(col, justify="right" if col[0] in "VSgum" else "left")
    for p in packs:
        table.add_row(
            p.id,
            p.kind,
            f"{p.make} {p.model}",
            p.years,
            p.chemistry,
            f"{p.series_cells}s{p.parallel_cells}p",
            f"{p.nominal_voltage_v:.0f}",
            f"{p.gross_energy_kwh:.1f}",
            f"{p.usable_energy_kwh:.1f}",
            f"{p.mass_kg:.0f}",
            str(len(p.sources)),
        )
    console.print(table)


@app.command("show")
def show_cmd(
    model_id: str = typer.Argument(..., help="Catalog id, e.g. range_rover_phev_p440e."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (catalog field names)."),
) -> None:
    """Show one model with all fields, its sources and which values are estimates."""
    pack = get_pack_model(model_id)
    if json_out:
        print_json(pack.model_dump(mode="json"))
        return
    table = Table(title=f"{pack.make} {pack.model} ({pack.id})", show_header=False)
    table.add_column("field")
    table.add_column("value")
    estimated = {e.field: e.reason for e in pack.estimated_fields}
    for key, value in pack.model_dump(exclude={"sources", "estimated_fields"}).items():
        mark = f"  [yellow](estimate: {estimated[key]})[/yellow]" if key in estimated else ""
        table.add_row(key, f"{value}{mark}")
    console.print(table)
    for s in pack.sources:
        console.print(f"• {s.url}\n  [dim]{s.supports}[/dim]")
