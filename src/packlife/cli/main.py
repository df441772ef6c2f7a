"""Entry point of the ``packlife`` command."""

from __future__ import annotations

import sys

import typer

from packlife import __version__
from packlife.cli import catalog, design, grade, impact, registry, serve, simulate
from packlife.cli._common import err_console
from packlife.errors import PacklifeError

app = typer.Typer(
    rich_markup_mode=None,
    help="packlife — second-life EV battery storage: grade, design, simulate, operate, prove,"
    " track.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(catalog.app, name="catalog")
app.add_typer(impact.app, name="impact")
app.add_typer(registry.app, name="registry")
app.add_typer(grade.app, name="grade")
app.command("simulate")(simulate.simulate_cmd)
app.command("design")(design.design_cmd)
app.command("serve")(serve.serve_cmd)


@app.command("version")
def version_cmd() -> None:
    """Print the packlife version."""
    typer.echo(__version__)


def main() -> None:
    """Run the CLI; user errors print one paragraph and exit with status 2, no traceback."""
    try:
        app()
    except PacklifeError as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
