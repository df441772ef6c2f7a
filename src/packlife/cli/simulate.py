"""``packlife simulate``: run a scenario; write summary.json, timeseries.parquet, report.html."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from packlife.atomic import check_folder
from packlife.cli._common import console, err_console, print_json, say
from packlife.errors import ConsistencyError, PacklifeError
from packlife.simulation.site_loop import compiled_on_disk
from packlife.simulation.system import PackSpec
from packlife.site.economics import economics_rows
from packlife.site.outputs import RESULT_FILES, write_outputs
from packlife.site.run import run_scenario
from packlife.site.scenario import Scenario, builtin_scenarios, load_scenario, revalidate
from packlife.site.sessions import Session, read_sessions_csv, synthetic_sessions
from packlife.site.summary import summarise


def simulate_cmd(
    scenario: str = typer.Argument(
        "jlr-test-site",
        help=f"Built-in scenario ({', '.join(builtin_scenarios())}) or a TOML file.",
    ),
    days: float | None = typer.Option(
        None, "--days", help="Override the scenario's duration [days]."
    ),
    step: float | None = typer.Option(None, "--step", help="Override the engine step [s], 1–3600."),
    out: Path = typer.Option(Path("out"), "--out", help="Folder for the result files."),
    sessions_csv: Path | None = typer.Option(
        None,
        "--sessions",
        help="Session CSV (arrival,departure,energy_kwh[,vehicle_model]) to use.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print summary.json to stdout as well."),
    unit: str | None = typer.Option(
        None,
        "--unit",
        help="Take the BESS packs from this registry unit (needs --db or PACKLIFE_DB_URL).",
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="PACKLIFE_DB_URL",
        help="Registry database URL (default: local SQLite).",
    ),
    record: bool = typer.Option(
        False,
        "--record",
        help="Record each pack's simulated operating summary in the registry (with --unit);"
        " kept as a simulation, never as measured history.",
    ),
) -> None:
    """Simulate a site: packs, inputs, controller and vehicles; prove energy, diesel and CO2."""
    check_folder(out, RESULT_FILES)
    sc, path = load_scenario(scenario)
    sc = _override(sc, days, step)
    if unit is not None:
        sc = _packs_from_registry(sc, db, unit)
    elif record:
        raise PacklifeError("--record needs --unit: only registered packs can be recorded")
    sessions = _sessions(sc, path, sessions_csv)
    if not compiled_on_disk():
        err_console.print(
            "compiling the simulator for this machine (first run only, about a minute) …",
            highlight=False,
        )
    with Progress(
        TextColumn("[bold]simulating[/bold] " + escape(sc.name)),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("run", total=1.0)
        result = run_scenario(sc, sessions, progress=lambda f: progress.update(task, completed=f))
    summary = summarise(result)
    files = write_outputs(result, summary, out)
    if record and unit is not None:
        _record(db, sc, summary)
    if json_out:
        print_json(summary)
    else:
        _print_summary(summary)
        say("wrote " + ", ".join(str(f) for f in files))


def _override(sc: Scenario, days: float | None, step: float | None) -> Scenario:
    sim = sc.simulation
    update: dict[str, float | None] = {}
    if days is not None:
        if not 0 < days <= 3660:
            raise ConsistencyError(f"--days must lie within 0–3660, got {days}")
        update["days"] = days
    if step is not None:
        if not 1 <= step <= 3600:
            raise ConsistencyError(f"--step must lie within 1–3600 s, got {step}")
        update["step_s"] = step
        update["control_interval_s"] = None
        update["output_interval_s"] = _output_interval(sim.output_interval_s, step)
    if not update:
        return sc
    return revalidate(sc.model_copy(update={"simulation": sim.model_copy(update=update)}),
                      "--days/--step")


def _packs_from_registry(sc: Scenario, db: str | None, unit: str) -> Scenario:
    """Replace the scenario's packs with the packs now in registry unit ``unit``."""
    from packlife.registry.service import unit_packs

    rows = unit_packs(db or "", unit)
    if not rows:
        raise PacklifeError(f"registry unit {unit!r} has no packs assigned")
    packs = []
    for r in rows:
        if r["soh"] is None:
            raise PacklifeError(
                f"pack {r['serial']} in unit {unit!r} has no SoH yet: grade it first"
            )
        packs.append(
            PackSpec.model_construct(  # validated with the whole scenario below
                catalog_id=r["catalog_id"],
                serial=r["serial"],
                soh=float(r["soh"]),
                resistance_growth=float(r["resistance_growth"] or 1.0),
                soc_initial=sc.bess.soc_initial if sc.bess.soc_initial is not None else 0.5,
            )
        )
    bess = sc.bess.model_copy(update={"packs": packs, "name": f"{sc.bess.name} — unit {unit}"})
    return revalidate(sc.model_copy(update={"bess": bess}), f"registry unit {unit!r}")


def _record(db: str | None, sc: Scenario, summary: dict[str, Any]) -> None:
    """Record each pack's simulated operating summary (kept apart from measured history)."""
    from packlife.registry.service import record_operating_summary

    start = sc.simulation.start
    end = start + timedelta(days=sc.simulation.days)
    for i, pack in enumerate(sc.bess.packs):
        assert pack.serial is not None
        events = []
        if summary["pack_deep_discharge_s"][i] > 0:
            events.append(
                {"type": "deep_discharge", "duration_s": summary["pack_deep_discharge_s"][i]}
            )
        if summary["pack_overtemperature_s"][i] > 0:
            events.append(
                {"type": "over_temperature", "duration_s": summary["pack_overtemperature_s"][i]}
            )
        record_operating_summary(
            db or "",
            pack.serial,
            {
                "energy_throughput_kwh": summary["pack_energy_discharged_kwh"][i]
                + summary["pack_energy_charged_kwh"][i],
                "equivalent_full_cycles": summary["pack_equivalent_full_cycles"][i],
                "soh_start": summary["pack_soh_start"][i],
                "soh_end": summary["pack_soh_end"][i],
                "resistance_growth_end": summary["pack_resistance_growth_end"][i],
                "period_start": start.date().isoformat(),
                "period_end": end.date().isoformat(),
                "harmful_events": events,
                "simulated": True,  # a simulation, never measured operating history
            },
        )


def _output_interval(wanted_s: float, step_s: float) -> float:
    """An output interval that is a whole multiple of the step, close to ``wanted_s``.

    Keeps ``wanted_s`` when the step divides it, else the least common multiple of both (when
    at most an hour), else the nearest multiple of the step.
    """
    if abs(wanted_s / step_s - round(wanted_s / step_s)) < 1e-9:
        return wanted_s
    if float(wanted_s).is_integer() and float(step_s).is_integer():
        lcm = float(math.lcm(int(wanted_s), int(step_s)))
        if lcm <= 3600.0:
            return lcm
    return max(round(wanted_s / step_s), 1) * step_s


def _sessions(sc: Scenario, path: Path, csv: Path | None) -> list[Session]:
    v = sc.vehicles
    if v is None:
        if csv is not None:
            raise PacklifeError(
                f"scenario {sc.name!r} has no [vehicles] section to use --sessions with"
            )
        return []
    default_model = v.fleet[0].vehicle_model
    obc = v.fleet[0].onboard_charger_kw
    if csv is None and v.sessions_csv is not None:
        csv = path.parent / v.sessions_csv
    if csv is not None:
        return read_sessions_csv(csv, sc.simulation.start, default_model, obc, sc.simulation.days)
    return synthetic_sessions(v, sc.simulation.days, sc.simulation.seed)


def _print_summary(s: dict[str, object]) -> None:
    table = Table(
        title=escape(f"packlife simulate — {s['scenario']} ({s['days']} days)"), show_header=False
    )
    table.add_column("quantity")
    table.add_column("value", justify="right")

    def num(key: str, fmt: str = "{:,.1f}") -> str:
        value = s[key]
        return fmt.format(value) if isinstance(value, int | float) else str(value)

    sources = s["energy_from_sources_kwh"]
    if isinstance(sources, dict):
        for name, kwh in sources.items():
            table.add_row(escape(f"energy from {name} [kWh]"), f"{kwh:,.1f}")
    rows = [
        ("energy to vehicles [kWh]", num("energy_to_vehicles_kwh")),
        ("energy to loads [kWh]", num("energy_to_loads_kwh")),
        ("losses [kWh]", num("losses_kwh")),
        ("stored energy change [kWh]", num("stored_energy_change_kwh")),
        (
            "energy balance error [% of throughput]",
            num("energy_balance_error_pct_of_throughput", "{:.2e}"),
        ),
        (
            "vehicles served / fully charged",
            f"{s['vehicles_served']} / {s['vehicles_fully_charged']}",
        ),
        ("mean charge time via BESS [min]", num("mean_charge_time_min")),
        ("mean direct charge time from supply [min]", num("mean_direct_charge_time_min")),
        ("diesel avoided [L]", num("diesel_litres_avoided")),
        ("CO2 diesel baseline [kg]", num("co2_diesel_kg")),
        ("CO2 grid charging [kg]", num("co2_grid_kg")),
        ("CO2 avoided, net [kg]", num("co2_avoided_net_kg")),
        (
            "nameplate / usable energy [kWh]",
            f"{num('nameplate_energy_kwh')} / {num('usable_energy_kwh')}",
        ),
    ]
    rows += economics_rows(s)
    for k, v in rows:
        table.add_row(escape(k), v)
    soh0, soh1 = s["pack_soh_start"], s["pack_soh_end"]
    if isinstance(soh0, list) and isinstance(soh1, list):
        table.add_row(
            "pack SoH start → end",
            ", ".join(f"{a:.4f}→{b:.4f}" for a, b in zip(soh0, soh1, strict=True)),
        )
    console.print(table)
