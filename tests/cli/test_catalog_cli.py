"""``packlife catalog`` run as a real subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from packlife.catalog import PackModel
from packlife.chemistry import list_parameter_sets

pytestmark = pytest.mark.skipif(
    "aesc_lmo_nca_leaf2013" not in {p.id for p in list_parameter_sets()},
    reason="the Leaf parameter set (another developer's) is missing; the catalog refuses to load",
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", "catalog", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_list_json_has_packs_with_schema_field_names() -> None:
    proc = _run("list", "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    packs = [e for e in entries if e["kind"] == "pack"]
    assert len(packs) >= 10
    for entry in entries:
        assert set(entry) == set(PackModel.model_fields)
    by_id = {e["id"]: e for e in entries}
    assert by_id["range_rover_phev_p440e"]["gross_energy_kwh"] == 38.2


def test_list_kind_module_only_lists_modules() -> None:
    proc = _run("list", "--kind", "module", "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert entries and all(e["kind"] == "module" for e in entries)
    assert "nissan_leaf_gen1_module" in {e["id"] for e in entries}


def test_list_table_names_every_entry() -> None:
    proc = _run("list")
    assert proc.returncode == 0, proc.stderr
    assert "range_rover_phev_p440e" in proc.stdout
    assert "nissan_leaf_gen1_module" in proc.stdout


def test_show_json_and_table() -> None:
    proc = _run("show", "range_rover_phev_p440e", "--json")
    assert proc.returncode == 0, proc.stderr
    entry = json.loads(proc.stdout)
    assert (entry["gross_energy_kwh"], entry["usable_energy_kwh"]) == (38.2, 31.8)
    table = _run("show", "range_rover_phev_p440e")
    assert table.returncode == 0, table.stderr
    assert "estimate" in table.stdout  # estimated values are marked
    assert "edmunds.com" in table.stdout  # sources are listed


def test_unknown_id_exits_2_with_one_line_and_no_traceback() -> None:
    proc = _run("show", "nissan_leaf_24kw")
    assert proc.returncode == 2
    assert proc.stdout == ""
    message = proc.stderr.strip()
    assert "\n" not in message
    assert "Traceback" not in proc.stderr
    assert "nissan_leaf_24kw" in message and "did you mean nissan_leaf_24kwh" in message
