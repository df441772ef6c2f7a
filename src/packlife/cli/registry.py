"""``packlife registry``: track every pack through its lives and export its battery passport.

Every command takes ``--db URL`` (default: ``$PACKLIFE_DB_URL`` or a SQLite file in the user
data directory) and runs as one transaction; ``import`` commits in batches.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from packlife.cli._common import console, err_console, print_json, safe, say

app = typer.Typer(
    rich_markup_mode=None,
    help="The battery registry: import, grade history, BESS slots, retirement, recycling and "
    "EU battery passports.",
    no_args_is_help=True,
)

DB_HELP = (
    "Database URL: sqlite:///PATH, a file path, or postgresql+psycopg://USER@HOST/DB "
    "(default: $PACKLIFE_DB_URL, else registry.sqlite in the user data directory)."
)
DbOpt = typer.Option(None, "--db", help=DB_HELP)
ActorOpt = typer.Option(None, "--actor", help="Who acts (default: $PACKLIFE_ACTOR or login).")
JsonOpt = typer.Option(False, "--json", help="Print JSON.")


def _date(value: str | None, name: str) -> dt.date | None:
    from packlife.errors import PacklifeError

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PacklifeError(f"--{name}: expected an ISO date YYYY-MM-DD, got {value!r}") from None


def _print_state(state: dict[str, Any], title: str) -> None:
    table = Table(title=safe(title), show_header=False)
    table.add_column("field")
    table.add_column("value")
    for key, value in state.items():
        if isinstance(value, list):
            continue
        table.add_row(safe(key), "" if value is None else safe(value))
    console.print(table)


@app.command("init")
def init_cmd(db: str | None = DbOpt) -> None:
    """Create the registry database or upgrade its schema to this packlife version."""
    from packlife.registry.db import init_db

    url = init_db(db)
    say(f"registry ready: {url}")


@app.command("import")
def import_cmd(
    csv_path: Path = typer.Argument(
        ...,
        help="CSV with header serial,catalog_id[,vin,"
        "vehicle_make,vehicle_model,manufactured,first_life_end,soh,"
        "resistance_growth,category,parent_serial].",
    ),
    db: str | None = DbOpt,
    batch_size: int = typer.Option(200, help="Rows per committed transaction."),
    skip_existing: bool = typer.Option(
        False, "--skip-existing", help="Skip serials already registered (resume)."
    ),
    actor: str | None = ActorOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Register batteries from a CSV file (validated first; committed in batches)."""
    from packlife.registry.csv_import import import_csv

    with Progress(console=err_console, transient=True, disable=json_out) as progress:
        task = progress.add_task("importing", total=None)
        report = import_csv(
            csv_path,
            db,
            batch_size=batch_size,
            skip_existing=skip_existing,
            actor=actor,
            progress=lambda n: progress.advance(task, n),
        )
    if json_out:
        print_json(report.__dict__)
        return
    say(f"{report.created} batteries registered from {report.rows} rows "
        f"({report.skipped} skipped as already registered, {report.batches} batches)")


@app.command("show")
def show_cmd(
    serial: str = typer.Argument(...), db: str | None = DbOpt, json_out: bool = JsonOpt
) -> None:
    """Show a battery's current state, modules, grades, tests and slot history."""
    from packlife.registry.service import show

    info = show(db, serial)
    if json_out:
        print_json(info)
        return
    _print_state(info, f"battery {serial}")
    for g in info["grades"]:
        say(f"grade {g['grade']} → {g['disposition']} ({g['graded_at']}): "
            + "; ".join(g["reasons"]))
    for a in info["assignments"]:
        say(f"unit {a['unit']} slot {a['slot']}: {a['assigned_on']} → "
            f"{a['unassigned_on'] or 'now'}")
    if info["children"]:
        say("modules: " + ", ".join(info["children"]))


@app.command("history")
def history_cmd(
    serial: str = typer.Argument(...), db: str | None = DbOpt, json_out: bool = JsonOpt
) -> None:
    """List a battery's events (append-only history), oldest first."""
    from packlife.registry.service import battery_history

    events = battery_history(db, serial)
    if json_out:
        print_json(events)
        return
    table = Table(title=safe(f"history of {serial}"))
    for col in ("#", "UTC time", "actor", "event", "payload"):
        table.add_column(col)
    for e in events:
        payload = ", ".join(f"{k}={v}" for k, v in e["payload"].items() if v is not None)
        table.add_row(str(e["id"]), e["occurred_at"], safe(e["actor"]), e["event_type"],
                      safe(payload))
    console.print(table)


@app.command("assign")
def assign_cmd(
    serial: str = typer.Argument(...),
    unit: str = typer.Option(..., "--unit", help="BESS unit name (created on first use)."),
    slot: int = typer.Option(..., "--slot", help="Slot number in the unit."),
    on: str | None = typer.Option(None, "--date", help="Assignment date (default today)."),
    force: bool = typer.Option(
        False, "--force", help="Assign a battery graded recycle/quarantine (needs --reason)."
    ),
    reason: str | None = typer.Option(
        None, "--reason", help="Why a battery graded recycle/quarantine is assigned (audited)."
    ),
    db: str | None = DbOpt,
    actor: str | None = ActorOpt,
    json_out: bool = JsonOpt,
) -> None:
    """Put a battery into a BESS unit slot (an original battery is repurposed: new passport)."""
    from packlife.errors import PacklifeError
    from packlife.registry import service

    if force != bool(reason and reason.strip()):
        raise PacklifeError("--force and --reason go together: forcing an assignment needs a "
                            "reason, and a reason is only recorded when forcing")
    state = service.assign(db, serial, unit, slot, on=_date(on, "date"), actor=actor,
                           force_reason=reason if force else None)
    if json_out:
        print_json(state.as_dict())
        return
    where = f"unit {state.unit} slot {state.slot}" if state.unit else "no unit"
    say(f"{serial}: {where}, status {state.status}, passport {state.passport_id}")


@app.command("unassign")
def unassign_cmd(
    serial: str = typer.Argument(...),
    on: str | None = typer.Option(None, "--date", help="Date taken out (default today)."),
    db: str | None = DbOpt,
    actor: str | None = ActorOpt,
) -> None:
    """Take a battery out of its BESS unit slot."""
    from packlife.registry import service

    state = service.unassign(db, serial, on=_date(on, "date"), actor=actor)
    say(f"{serial}: unassigned, status {state.status}")


@app.command("retire")
def retire_cmd(
    serial: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why the battery leaves service."),
    on: str | None = typer.Option(None, "--date", help="Retirement date (default today)."),
    db: str | None = DbOpt,
    actor: str | None = ActorOpt,
) -> None:
    """End a battery's service: take it out of its slot and set its status to waste."""
    from packlife.registry import service

    state = service.retire(db, serial, reason=reason, on=_date(on, "date"), actor=actor)
    say(f"{serial}: status {state.status} since {state.status_changed_on}")


@app.command("recycle")
def recycle_cmd(
    serial: str = typer.Argument(...),
    recycler: str = typer.Option(..., "--recycler", help="Recycling company."),
    on: str | None = typer.Option(None, "--date", help="Hand-over date (default today)."),
    db: str | None = DbOpt,
    actor: str | None = ActorOpt,
) -> None:
    """Record that a battery went to a recycler (status recycled, with recycler and date)."""
    from packlife.registry import service

    state = service.recycle(db, serial, recycler=recycler, on=_date(on, "date"), actor=actor)
    say(f"{serial}: recycled by {state.recycler} on {state.status_changed_on}")


@app.command("passport")
def passport_cmd(
    serial: str = typer.Argument(...),
    db: str | None = DbOpt,
    json_out: bool = JsonOpt,
    original: bool = typer.Option(
        False, "--original", help="The original passport of a repurposed battery."
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="Passport resolver URL (default: $PACKLIFE_PASSPORT_BASE_URL or a placeholder).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Also write the JSON to this file."),
    tier: str = typer.Option(
        "public",
        "--tier",
        help="Access tier (EU 2023/1542 Annex XIII): public | legitimate_interest | authority.",
    ),
) -> None:
    """Export the EU battery passport (Regulation 2023/1542) of a battery."""
    import json

    from packlife.atomic import write_file
    from packlife.registry.passport import check_tier, export_passport

    passport = export_passport(db, serial, original=original, base_url=base_url,
                               tier=check_tier(tier))
    if out is not None:
        write_file(out, json.dumps(passport, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    if json_out:
        print_json(passport)
        return
    console.print(
        f"[bold]battery passport {passport['passport_id']}[/bold]  "
        f"({safe(passport['identity']['passport_url'])}), access tier {passport['access_tier']}",
        highlight=False,
    )
    for section in ("identity", "state_of_health", "usage", "status", "links"):
        if passport[section] is None:
            continue
        flat = {k: v for k, v in passport[section].items() if not isinstance(v, list | dict)}
        _print_state(flat, section)
    if passport["withheld"]:
        say("withheld at this access tier: " + ", ".join(passport["withheld"]))
    say("not available from packlife data: " + ", ".join(passport["not_available"]))
