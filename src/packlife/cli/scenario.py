"""``packlife scenario``: write a commented template, the JSON Schema and the reference page."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from packlife.cli._common import console
from packlife.errors import PacklifeError
from packlife.site.reference import TEMPLATE, json_schema, reference_markdown

app = typer.Typer(rich_markup_mode=None, help="Scenario files: template, schema, reference.")


@app.command("new")
def new_cmd(
    path: Path = typer.Argument(..., help="TOML file to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented scenario template (a UK site; edit and run with `packlife simulate`)."""
    if path.exists() and not force:
        raise PacklifeError(f"{path} exists; use --force to overwrite it")
    try:
        path.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        raise PacklifeError(f"cannot write {path}: {exc}") from None
    console.print(f"wrote {path}; run it with: packlife simulate {path}")


@app.command("schema")
def schema_cmd(
    out: Path | None = typer.Option(None, "--out", help="Write to a file instead of stdout."),
) -> None:
    """Print (or write) the JSON Schema of scenario files."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")


@app.command("reference")
def reference_cmd(
    out: Path | None = typer.Option(None, "--out", help="Write to a file instead of stdout."),
) -> None:
    """Print (or write) the scenario reference page, generated from the schema."""
    text = reference_markdown()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
