"""``packlife grade``: grade retired packs/modules from test files; ``grade match`` pairs modules.

``packlife grade FILE...`` is shorthand for ``packlife grade files FILE...``: the group falls
back to its ``files`` command when the first argument is not a sub-command name.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from typer._click.core import Context
from typer.core import TyperGroup

from packlife.cli._common import console, err_console, print_json, say
from packlife.errors import DataFileError, PacklifeError

RESULT_KEYS = (
    "capacity_ah",
    "capacity_method",
    "soh",
    "soh_uncertainty",
    "dcir_mohm",
    "dcir_30s_mohm",
    "resistance_growth",
    "self_discharge_pct_per_month",
    "imbalance_mv",
)


class _DefaultFilesGroup(TyperGroup):
    """A group whose arguments go to its ``files`` command unless they start with a sub-command."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["files", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    rich_markup_mode=None,
    cls=_DefaultFilesGroup,
    help="Grade retired packs/modules from test data (grade FILE...) and match modules.",
    no_args_is_help=True,
)


def _context(
    rated_capacity_ah: float | None,
    catalog_id: str | None,
    level: str,
    policy: Path | None,
    history: Path | None,
) -> Any:
    from packlife.grading.batch import GradeContext, context_from_catalog
    from packlife.grading.policy import load_policy
    from packlife.io.bms import read_bms

    pol = load_policy(policy)
    ctx = context_from_catalog(catalog_id, level, pol) if catalog_id else GradeContext(policy=pol)
    if rated_capacity_ah is not None:
        if not math.isfinite(rated_capacity_ah) or rated_capacity_ah <= 0:
            raise PacklifeError(
                f"--rated-capacity-ah must be a positive finite number of Ah "
                f"(got {rated_capacity_ah})"
            )
        ctx.rated_capacity_ah = rated_capacity_ah
    if history is not None:
        ctx.history = {s.serial: s for s in read_bms(history)}
    return ctx


def _record_in_registry(db_url: str, results: list[dict[str, object]]) -> None:
    try:
        from packlife.registry.service import record_grade_results
    except ImportError as exc:
        raise PacklifeError(
            f"--db needs the packlife registry, which is not available: {exc}"
        ) from None
    record_grade_results(db_url, results)


def _print_table(results: list[dict[str, object]]) -> None:
    table = Table(title=f"packlife grade: {len(results)} units")
    for col in ("serial", "grade", "capacity Ah", "SoH ± 1σ", "DCIR 10 s mΩ", "R growth", "method"):
        table.add_column(col)

    def fmt(x: object, spec: str) -> str:
        return "–" if x is None else format(x, spec)

    for r in results:
        soh = r.get("soh")
        table.add_row(
            str(r.get("serial")),
            str(r.get("grade") or "ERROR"),
            fmt(r.get("capacity_ah"), ".2f"),
            "–" if soh is None else f"{soh:.3f} ± {r.get('soh_uncertainty') or 0:.3f}",
            fmt(r.get("dcir_mohm"), ".2f"),
            fmt(r.get("resistance_growth"), ".2f"),
            str(r.get("capacity_method") or "–"),
        )
    console.print(table)
    for r in results:
        reasons = r.get("reasons")
        lines = [str(r["error"])] if "error" in r else list(map(str, reasons or []))  # type: ignore[call-overload]
        console.print(
            f"[bold]{escape(str(r.get('serial')))}[/bold]: " + escape("; ".join(lines)),
            highlight=False,
            soft_wrap=True,
        )


@app.command("files")
def files_cmd(
    files: list[Path] = typer.Argument(
        ...,
        help="Test files: generic CSV, Arbin / Battery Archive CSV or .res, Maccor text, Bitrode "
        "CSV, BioLogic .mpr/.mpt, Neware .nda/.ndax/CSV, any table or .xlsx whose header names "
        "time, current and voltage, BMS snapshots, impedance spectra.",
    ),
    fmt: str = typer.Option(
        "auto",
        "--format",
        help="auto|generic|arbin|arbin_res|maccor|bitrode|biologic|biologic_mpt|neware|neware_csv|"
        "labelled|bms|eis",
    ),
    rated_capacity_ah: float | None = typer.Option(
        None,
        "--rated-capacity-ah",
        help="Rated capacity of the tested unit [Ah] (SoH = C/C_rated).",
    ),
    catalog_id: str | None = typer.Option(
        None, "--catalog-id", help="Catalog model: rated capacity, OCV and R of its chemistry."
    ),
    level: str = typer.Option("pack", "--level", help="With --catalog-id: 'cell' or 'pack'."),
    policy: Path | None = typer.Option(None, "--policy", help="Disposition policy TOML."),
    history: Path | None = typer.Option(
        None, "--history", help="BMS snapshot JSON/CSV with traceability data, by serial."
    ),
    temperature_c: float | None = typer.Option(
        None, "--temperature-c", help="Test temperature [°C] for files without temperature_c."
    ),
    serial: str | None = typer.Option(None, "--serial", help="Serial for a single file."),
    rest_current_a: float | None = typer.Option(
        None,
        "--rest-current-a",
        help="Rest threshold [A] for files without a step column (default C/500 of the rating).",
    ),
    ocv: Path | None = typer.Option(
        None,
        "--ocv",
        help="OCV table CSV soc,ocv_v (soc 0–1, V of the tested unit: cell table × series "
        "cells for a module or pack) for the fast estimate; replaces the catalog chemistry's.",
    ),
    ocv_temperature_c: float | None = typer.Option(
        None,
        "--ocv-temperature-c",
        help="Temperature [°C] at which the --ocv table was taken (default 25); the fast "
        "estimate moves it to the test temperature by the catalog chemistry's dOCV/dT.",
    ),
    ica_reference: Path | None = typer.Option(
        None,
        "--ica-reference",
        help="Cycler file of a reference unit (same chemistry): dQ/dV peaks are compared to it.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON records."),
    db: str | None = typer.Option(None, "--db", help="Record results in the registry at URL."),
) -> None:
    """Grade FILE... : capacity, SoH, DCIR, self-discharge and disposition (exit 1 if any fail)."""
    from packlife.grading.batch import grade_file, ica_reference_from_file
    from packlife.io.detect import FORMATS

    if fmt not in (*FORMATS, "eis"):
        raise typer.BadParameter(
            f"expected one of {', '.join((*FORMATS, 'eis'))}", param_hint="--format"
        )
    if serial is not None and len(files) != 1:
        raise typer.BadParameter(
            "--serial is only allowed with a single file", param_hint="--serial"
        )
    ctx = _context(rated_capacity_ah, catalog_id, level, policy, history)
    ctx.test_temperature_c = temperature_c
    if rest_current_a is not None:
        if not math.isfinite(rest_current_a) or rest_current_a <= 0:
            raise PacklifeError(
                f"--rest-current-a must be a positive finite number of A (got {rest_current_a})"
            )
        ctx.rest_current_a = rest_current_a
    if ocv is not None:
        from packlife.io.ocv_csv import read_ocv_table

        ctx.ocv_soc, ctx.ocv_v = read_ocv_table(ocv)
    if ocv_temperature_c is not None:
        if ocv is None:
            raise PacklifeError("--ocv-temperature-c needs --ocv (the table it describes)")
        if not (math.isfinite(ocv_temperature_c) and -40.0 <= ocv_temperature_c <= 80.0):
            raise PacklifeError(
                f"--ocv-temperature-c must be a temperature in −40…80 °C (got {ocv_temperature_c})"
            )
        ctx.ocv_temperature_c = ocv_temperature_c
    if ica_reference is not None:
        ctx.ica_reference = ica_reference_from_file(ica_reference, ctx)
    results: list[dict[str, object]] = []
    with Progress(
        TextColumn("grading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=len(files))
        for path in files:
            progress.update(task, description=path.name)
            for res in grade_file(path, ctx, fmt, serial):
                if "error" in res:
                    res = (
                        {k: res.get(k) for k in ("file", "serial")}
                        | dict.fromkeys(RESULT_KEYS)
                        | res
                    )
                results.append(res)
            progress.advance(task)
    if db:
        _record_in_registry(db, results)
    if json_out:
        print_json(results)
    else:
        _print_table(results)
    if any("error" in r for r in results):
        raise typer.Exit(1)


@app.command("match")
def match_cmd(
    modules_csv: Path = typer.Argument(..., help="CSV: serial,capacity_ah,dcir_mohm[,...]"),
    size: int = typer.Option(2, "--size", min=1, help="Modules per group."),
    method: str = typer.Option(
        "auto", "--method", help="auto (optimal for pairs, else sort) | optimal | sort"
    ),
    resistance_weight: float = typer.Option(1.0, "--resistance-weight", min=0.0),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Form groups of --size modules with the smallest capacity and resistance spread."""
    from packlife.grading.matching import (
        describe_groups,
        group_cost,
        match_pairs_optimal,
        match_sort_chunk,
        read_modules_csv,
    )

    if method not in ("auto", "optimal", "sort"):
        raise typer.BadParameter("expected auto, optimal or sort", param_hint="--method")
    if method == "optimal" and size != 2:
        raise typer.BadParameter("the optimal method is for --size 2", param_hint="--method")
    mods = read_modules_csv(modules_csv)
    chosen = (
        "optimal" if method == "auto" and size == 2 else ("sort" if method == "auto" else method)
    )
    baseline = match_sort_chunk(mods, size)
    groups = match_pairs_optimal(mods, resistance_weight) if chosen == "optimal" else baseline
    used = {k for g in groups for k in g}
    out = {
        "method": chosen,
        "size": size,
        "total_cost": sum(group_cost(mods, g, resistance_weight) for g in groups),
        "sort_chunk_total_cost": sum(group_cost(mods, g, resistance_weight) for g in baseline),
        "resistance_column": mods.resistance_column,
        "groups": describe_groups(mods, groups),
        "unmatched": [s for k, s in enumerate(mods.serial) if k not in used],
    }
    if json_out:
        print_json(out)
        return
    table = Table(
        title=f"{len(groups)} groups of {size} ({chosen}); cost {out['total_cost']:.4f} "
        f"vs sort-and-chunk {out['sort_chunk_total_cost']:.4f}"
    )
    for col in ("serials", "capacity Ah", "ΔC Ah", "ΔC %", "ΔR mΩ"):
        table.add_column(col)
    for g in out["groups"]:  # type: ignore[attr-defined]
        table.add_row(
            " + ".join(g["serials"]),
            " / ".join(f"{c:.2f}" for c in g["capacity_ah"]),
            f"{g['capacity_spread_ah']:.2f}",
            f"{g['capacity_spread_pct']:.2f}",
            f"{g['dcir_spread_mohm']:.2f}",
        )
    console.print(table)
    if out["unmatched"]:
        console.print("unmatched: " + ", ".join(map(str, out["unmatched"])), highlight=False)  # type: ignore[call-overload]


@app.command("fade")
def fade_cmd(
    checks_csv: Path = typer.Argument(
        ..., help="CSV: serial,date (ISO) or day,soh — one row per check; optional duty columns "
        "efc,temperature_c,soc,dod,c_rate and catalog_id."
    ),
    end_soh: float = typer.Option(0.6, "--end-soh", help="Second-life end threshold (0–1)."),
    catalog_id: str | None = typer.Option(
        None, "--catalog-id", help="Catalog model whose ageing law is fitted (where the file "
        "has no catalog_id column)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the per-unit fits as CSV (serial, ageing_rate_factor, …) "
        "for `packlife design --fade`."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Fit each unit's fade from repeated capacity checks (free curve and the chemistry's ageing
    law); forecast days to --end-soh."""
    from packlife.catalog import get_pack_model
    from packlife.grading.fade_law import fade_rows
    from packlife.io.checks_csv import read_capacity_checks

    if not math.isfinite(end_soh) or not 0 < end_soh < 1:
        raise PacklifeError(f"--end-soh must be a fraction between 0 and 1 (got {end_soh})")
    if catalog_id is not None:
        get_pack_model(catalog_id)
    if out is not None and out.is_dir():
        raise PacklifeError(f"--out {out} is a folder; give a file name")
    units = list(read_capacity_checks(checks_csv))
    for u in units:
        if u.catalog_id is not None:
            try:
                get_pack_model(u.catalog_id)
            except PacklifeError as exc:
                raise DataFileError(checks_csv, [f"column 'catalog_id', serial {u.serial!r}: "
                                                 f"{exc}"]) from None
    rows = fade_rows(units, end_soh, catalog_id)
    if out is not None:
        import pandas as pd

        from packlife.atomic import write_file

        write_file(out, pd.DataFrame(rows).to_csv(index=False))
    if json_out:
        print_json(rows)
        return
    _fade_table(rows, end_soh)
    if out is not None:
        say(f"wrote {out}")


def _fade_table(rows: list[dict[str, object]], end_soh: float) -> None:
    table = Table(title=f"fade forecast to SoH {end_soh:.2f}")
    for col in ("serial", "free curve: days to end (±1σ)", "fade/year", "law: rate factor",
                "law: days to end (±1σ)", "note"):
        table.add_column(col)
    for r in rows:
        notes = list(dict.fromkeys(str(x) for x in (r["reason"], r["law_reason"]) if x))
        table.add_row(
            escape(str(r["serial"])),
            _days(r, "days_to_end"),
            str(r["fade_per_year"] or "–"),
            str(r["ageing_rate_factor"] or "–"),
            _days(r, "law_days_to_end"),
            escape("; ".join(notes)),
        )
    console.print(table)
    for assumed in dict.fromkeys(str(r["duty_assumed"]) for r in rows if r["duty_assumed"]):
        say(f"law fit assumed (no column in the file): {assumed}")


def _days(r: dict[str, object], key: str) -> str:
    mid = r[f"{key}_threshold"]
    if mid is None:
        return "–"
    low, high = r[f"{key}_low_1sigma"], r[f"{key}_high_1sigma"]
    return f"{mid:.0f} ({low:.0f}–{high:.0f})" if low is not None else f"{mid:.0f}"
