"""``packlife simulate --unit … --db … --record``: registry packs in, summaries written back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _packlife(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_simulate_a_registered_unit_and_record_its_summaries(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'reg.sqlite'}"
    csv = tmp_path / "packs.csv"
    csv.write_text(
        "serial,catalog_id,soh,resistance_growth\n"
        "RR-A,range_rover_phev_p440e,0.81,1.25\n"
        "RR-B,range_rover_phev_p440e,0.74,1.45\n"
        "RR-C,range_rover_phev_p440e,0.70,1.60\n",
        encoding="utf-8",
    )
    for args in (("registry", "init"), ("registry", "import", str(csv))):
        proc = _packlife(*args, "--db", db)
        assert proc.returncode == 0, proc.stderr
    for slot, serial in enumerate(("RR-A", "RR-B", "RR-C"), start=1):
        proc = _packlife(
            "registry", "assign", serial, "--unit", "MAX-7", "--slot", str(slot), "--db", db
        )
        assert proc.returncode == 0, proc.stderr
    out = tmp_path / "run"
    proc = _packlife(
        "simulate",
        "jlr-test-site",
        "--days",
        "0.5",
        "--unit",
        "MAX-7",
        "--db",
        db,
        "--record",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pack_soh_start"] == [0.81, 0.74, 0.70]
    hist = _packlife("registry", "history", "RR-B", "--db", db, "--json")
    assert hist.returncode == 0, hist.stderr
    events = json.loads(hist.stdout)
    kinds = [e.get("event_type") or e.get("type") for e in events]
    assert "operating_summary" in kinds
    recorded = [e for e in events if (e.get("event_type") or e.get("type")) == "operating_summary"][
        -1
    ]
    payload = recorded.get("payload", recorded)
    assert payload["soh_start"] == 0.74
    assert payload["soh_end"] < 0.74
    assert payload["energy_throughput_kwh"] > 0
    assert payload["simulated"] is True  # issue #17: a simulation, never measured history
    shown = _packlife("registry", "show", "RR-B", "--db", db, "--json")
    state = json.loads(shown.stdout)
    assert (state["soh"], state["energy_throughput_kwh"]) == (0.74, 0.0)


def test_record_without_unit_is_a_user_error(tmp_path: Path) -> None:
    proc = _packlife("simulate", "--record", "--out", str(tmp_path))
    assert proc.returncode == 2 and "--unit" in proc.stderr and "Traceback" not in proc.stderr
