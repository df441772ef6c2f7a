"""``packlife serve users | api | report``: keys and roles, the web API alone, past periods."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from packlife.cli._common import console, err_console, print_json, safe
from packlife.cli.serve import app, parse_bind
from packlife.errors import PacklifeError

if TYPE_CHECKING:
    from packlife.serve.access import AccessStore

DB_HELP = "Telemetry store URL of `packlife serve` (default: sqlite:///serve.db)."
users_app = typer.Typer(help="API users: add (prints the key once), remove, list.")
app.add_typer(users_app, name="users")


def _db(db: str | None) -> str:
    return db or "sqlite:///serve.db"


def _access(db: str | None) -> AccessStore:
    from packlife.serve.access import AccessStore
    from packlife.serve.store import TelemetryStore

    return AccessStore(TelemetryStore(_db(db)))


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="User name (letters, digits, - and _)."),
    role: str = typer.Option(..., "--role", help="viewer, operator or admin."),
    db: str | None = typer.Option(None, "--db", envvar="PACKLIFE_SERVE_DB", help=DB_HELP),
) -> None:
    """Add a user and print its API key — the only time it is shown (stored hashed)."""
    access = _access(db)
    key = access.add_user(name, role)
    err_console.print(f"user {safe(name)} ({safe(role)}) added; its API key (shown once):")
    typer.echo(key)


@users_app.command("remove")
def users_remove(
    name: str = typer.Argument(..., help="User name."),
    db: str | None = typer.Option(None, "--db", envvar="PACKLIFE_SERVE_DB", help=DB_HELP),
) -> None:
    """Remove a user; its key stops working within a second."""
    access = _access(db)
    access.remove_user(name)
    console.print(f"user {safe(name)} removed")


@users_app.command("list")
def users_list(
    db: str | None = typer.Option(None, "--db", envvar="PACKLIFE_SERVE_DB", help=DB_HELP),
) -> None:
    """Users and roles (never keys)."""
    access = _access(db)
    print_json(
        [
            {"name": u.name, "role": u.role, "created_at": u.created_at.isoformat()}
            for u in access.list_users()
        ]
    )


@app.command("api")
def api_cmd(
    db: str | None = typer.Option(None, "--db", envvar="PACKLIFE_SERVE_DB", help=DB_HELP),
    bind: str = typer.Option("127.0.0.1:8080", "--bind", help="HOST:PORT to listen on."),
    registry_db: str | None = typer.Option(
        None, "--registry-db", envvar="PACKLIFE_DB_URL", help="Registry for pack look-ups."
    ),
    parent_pid: int | None = typer.Option(None, "--parent-pid", hidden=True),
) -> None:
    """Serve the web API and dashboard over a store (started by `serve run`, or alone)."""
    try:
        from packlife.serve.api.app import ApiSettings, run_server
    except ImportError:
        raise PacklifeError(
            "the web API needs the 'api' extra: pip install 'packlife[api,db]'"
        ) from None
    host, port = parse_bind(bind, "--bind")
    if parent_pid is not None:  # started by `serve run`: the control loop has the CPU first
        import os

        os.nice(10)
    settings = ApiSettings(store_url=_db(db), registry_url=registry_db, parent_pid=parent_pid)
    run_server(settings, host, port)


@app.command("report")
def report_cmd(
    out: Path = typer.Option(..., "--out", help="Result folder (replaced all-or-nothing)."),
    db: str | None = typer.Option(None, "--db", envvar="PACKLIFE_SERVE_DB", help=DB_HELP),
    run: str | None = typer.Option(None, "--run", help="Run id (default: every run)."),
    start: datetime | None = typer.Option(None, "--from", help="ISO 8601 with a UTC offset."),
    end: datetime | None = typer.Option(None, "--to", help="ISO 8601 with a UTC offset."),
    fmt: str = typer.Option("csv", "--format", help="csv or parquet."),
) -> None:
    """Telemetry, events and a summary (energies, lateness, per pack) of a past period."""
    from packlife.serve.report import write_report
    from packlife.serve.store import TelemetryStore

    if fmt not in ("csv", "parquet"):
        raise PacklifeError(f"--format must be csv or parquet, got {fmt!r}")
    for name, t in (("--from", start), ("--to", end)):
        if t is not None and t.tzinfo is None:
            raise PacklifeError(f"{name} needs a UTC offset, e.g. 2026-12-06T10:00:00+00:00")
    store = TelemetryStore(_db(db))
    try:
        summary = write_report(store, out, fmt, run, start, end)  # type: ignore[arg-type]
    finally:
        store.close()
    for run_id, s in summary.items():
        console.print(
            f"run {safe(run_id)}: {s['cycles']} cycles, {s['site_time_h']:.2f} h; BESS "
            f"{s['bess_discharged_wh'] / 1000:.2f} kWh out, {s['bess_charged_wh'] / 1000:.2f} kWh "
            f"in; to vehicles {s['to_vehicles_wh'] / 1000:.2f} kWh; lateness p99 "
            f"{s['lateness_p99_ms']:.1f} ms"
        )
    console.print(f"written to {safe(out)}")
