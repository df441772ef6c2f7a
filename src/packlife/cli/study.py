"""``packlife study run|report`` and ``packlife compare``: sweeps, Monte Carlo and fleet life."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from packlife.cli._common import console, err_console, print_json
from packlife.errors import PacklifeError

app = typer.Typer(
    help="Studies: parameter sweeps, Monte Carlo and fleet life, locally or on a Dask cluster.",
    no_args_is_help=True,
)


@app.command("run")
def run_cmd(
    study_file: Path = typer.Argument(..., help="Study TOML file."),
    workers: int = typer.Option(
        2, "--workers", help="Local Dask worker processes (0: run in this process, no Dask)."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of an existing Dask scheduler, e.g. tcp://host:8786."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: out/studies/<study name>)."
    ),
    report: bool = typer.Option(True, "--report/--no-report", help="Write report.html."),
) -> None:
    """Run a study; finished variants already in the output folder are not run again."""
    from packlife.studies.report import write_report
    from packlife.studies.runner import run_study
    from packlife.studies.schema import load_study

    study = load_study(study_file)
    out_dir = out or Path("out") / "studies" / study.name
    with Progress(
        TextColumn(f"[bold]study[/bold] {escape(study.name)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("variants", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        run = run_study(study, out_dir, workers=workers, scheduler=scheduler, on_progress=update)
    what = "units" if study.spec.fleet is not None else "variants"
    console.print(
        f"{run.total} {what}: {run.ran} run, {run.skipped} already finished, "
        f"{run.wall_s:.1f} s → {out_dir}/results"
    )
    if study.spec.fleet is None:
        _print_percentiles(out_dir, study.spec.report.outcomes)
    if report:
        console.print(f"wrote {write_report(out_dir)}")


def _print_percentiles(out_dir: Path, outcomes: list[str]) -> None:
    from packlife.studies.analysis import check_outcomes, percentiles
    from packlife.studies.store import read_results

    frame = read_results(out_dir)
    pct = percentiles(frame, check_outcomes(frame, outcomes))
    table = Table(title=f"over {len(frame)} variants")
    for col in ("outcome", "P10", "P50", "P90"):
        table.add_column(col, justify="left" if col == "outcome" else "right")
    for name, row in pct.iterrows():
        table.add_row(escape(str(name)), *(f"{row[q]:,.4g}" for q in ("p10", "p50", "p90")))
    console.print(table)


@app.command("report")
def report_cmd(
    out_dir: Path = typer.Argument(..., help="A study output folder."),
) -> None:
    """(Re)write report.html and figures/*.png of a study output folder."""
    from packlife.studies.report import write_report

    console.print(f"wrote {write_report(out_dir)}")


def compare_cmd(
    runs: list[Path] = typer.Argument(..., help="Two or more simulate or study output folders."),
    outcome: list[str] | None = typer.Option(
        None, "--outcome", help="Outcome column to compare (repeatable; default: the main ones)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Compare runs side by side: values (simulate) or P10/P50/P90 (studies), vs the first run."""
    from packlife.studies.compare import compare_runs

    if len(runs) < 2:
        raise PacklifeError("compare needs at least two run folders")
    frame = compare_runs(list(runs), outcome or None)
    if json_out:
        print_json(frame.to_dict(orient="records"))
        return
    labels = list(dict.fromkeys(frame["run"]))
    table = Table(title="packlife compare (P50 [P10–P90] for studies; Δ vs the first run)")
    table.add_column("outcome")
    for label in labels:
        table.add_column(escape(label), justify="right")
    for out, rows in frame.groupby("outcome", sort=False):
        cells = []
        for label in labels:
            r = rows[rows["run"] == label]
            if r.empty:
                cells.append("–")
                continue
            x = r.iloc[0]
            text = f"{x.p50:,.4g}"
            if x.n > 1:
                text += f" [{x.p10:,.4g}–{x.p90:,.4g}]"
            if label != labels[0]:
                text += f" (Δ {x.diff_p50:+,.3g})"
            cells.append(text)
        table.add_row(escape(str(out)), *cells)
    console.print(table)
