"""``packlife claims``: the published seed claims, each with a verdict and its evidence."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.markup import escape
from rich.table import Table

from packlife.cli._common import console, print_json
from packlife.site.claims import check_all

_COLOUR = {
    "consistent": "green",
    "consistent with caveat": "yellow",
    "plausible": "cyan",
    "not as stated": "red",
}


def claims_cmd(
    json_out: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
    no_sim: bool = typer.Option(
        False, "--no-sim", help="Skip the nine-PHEV simulation (a few seconds)."
    ),
) -> None:
    """Check the JLR/Allye and Nissan/4R seed claims: verdict and evidence for each."""
    checks = check_all(simulate=not no_sim)
    if json_out:
        print_json([asdict(c) for c in checks])
        return
    table = Table(title="Published claims checked", show_lines=True)
    table.add_column("claim")
    table.add_column("verdict")
    table.add_column("evidence")
    for c in checks:
        colour = _COLOUR.get(c.verdict, "white")
        table.add_row(escape(c.claim), f"[{colour}]{c.verdict}[/{colour}]", escape(c.explanation))
    console.print(table)
    console.print("sources: " + ", ".join(sorted({c.source for c in checks})), highlight=False)
