"""``packlife claims`` (verdicts, evidence) and ``packlife scenario`` (template, schema, docs)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from packlife.cli.main import app
from packlife.errors import PacklifeError
from packlife.site.reference import reference_markdown
from packlife.site.scenario import load_scenario

runner = CliRunner()


def test_claims_give_verdicts_and_the_net_figure() -> None:
    res = runner.invoke(app, ["claims", "--json", "--no-sim"])
    assert res.exit_code == 0, res.output
    checks = {c["claim_id"]: c for c in json.loads(res.output)}
    assert set(checks) == {"270kwh", "129kg", "15494kg", "3.5t", "leaf-633wh"}
    assert checks["270kwh"]["evidence"]["gross_energy_new_kwh"] == 267.4
    assert 150 < checks["270kwh"]["evidence"]["usable_energy_at_measured_soh_kwh"] < 200
    assert checks["129kg"]["evidence"]["implied_factor_kg_per_l"] == 2.69
    assert checks["15494kg"]["verdict"] == "not as stated"
    assert checks["15494kg"]["evidence"]["implied_generator_hours"] == 360.0
    assert 0 < checks["15494kg"]["evidence"]["net_co2_avoided_kg"] < 15494
    assert abs(checks["leaf-633wh"]["evidence"]["implied_soh"] - 0.633) < 1e-9


def test_nine_phevs_need_a_minimum_arrival_soc() -> None:
    from packlife.site.claims import nine_phevs_at_once

    c = nine_phevs_at_once()
    ev = c.evidence
    assert ev["nine_empty_phevs_need_kwh"] > ev["usable_energy_at_measured_soh_kwh"]
    low, high = ev["simulated"]
    assert low["fully_charged"] < 9 <= high["fully_charged"]
    assert c.verdict == "consistent with caveat"


def test_scenario_new_writes_a_valid_template(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    assert runner.invoke(app, ["scenario", "new", str(path)]).exit_code == 0
    sc, _ = load_scenario(str(path))
    assert sc.site is not None and sc.site.timezone == "Europe/London"
    assert sc.economics.currency == "GBP" and sc.economics.tariff.tou
    again = runner.invoke(app, ["scenario", "new", str(path)])
    assert isinstance(again.exception, PacklifeError) and "--force" in str(again.exception)


def test_reference_page_is_current_and_schema_is_json(tmp_path: Path) -> None:
    page = Path(__file__).parents[2] / "docs" / "scenario-reference.md"
    assert page.read_text(encoding="utf-8") == reference_markdown(), (
        "regenerate: packlife scenario reference --out docs/scenario-reference.md"
    )
    out = tmp_path / "s.json"
    assert runner.invoke(app, ["scenario", "schema", "--out", str(out)]).exit_code == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert {"site", "weather", "profiles", "economics"} <= set(schema["properties"])
