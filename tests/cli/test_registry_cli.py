"""``packlife registry`` commands: the passport acceptance check and an error as real
subprocesses, the other commands in-process through the same ``main()`` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from packlife.cli.main import main

PACK_ID = "nissan_leaf_24kwh"


@pytest.fixture(scope="module", autouse=True)
def _catalog() -> None:
    from packlife.catalog import list_pack_models

    if PACK_ID not in {p.id for p in list_pack_models()}:
        pytest.skip(f"catalog entry {PACK_ID!r} is not in src/packlife/catalog/data yet")


@pytest.fixture(autouse=True)
def _close_engines() -> object:
    yield None
    from packlife.registry.db import dispose_engines

    dispose_engines()


def _subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "packlife.cli.main", "registry", *args],
                          capture_output=True, text=True, timeout=120, check=False,
                          env=os.environ.copy())


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``packlife registry ARGS`` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["packlife", "registry", *args]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def _ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = _cli(capsys, *args)
    assert code == 0, err
    return out


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """An initialised SQLite registry holding LEAF-7 and LEAF-8 (imported from CSV)."""
    path = str(tmp_path / "reg.sqlite")
    csv = tmp_path / "packs.csv"
    csv.write_text("serial,catalog_id,vin,manufactured,soh,resistance_growth\n"
                   f"LEAF-7,{PACK_ID},SJNFAAZE0U6000007,2014-02-03,0.74,1.3\n"
                   f"LEAF-8,{PACK_ID},,,0.69,\n", encoding="utf-8")
    _ok(capsys, "init", "--db", path)
    imported = json.loads(_ok(capsys, "import", str(csv), "--db", path, "--json"))
    assert imported == {"rows": 2, "created": 2, "skipped": 0, "batches": 1}
    return path


def test_repurposed_pack_passport_links_to_original(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    original_pid = json.loads(_ok(capsys, "show", "LEAF-7", "--db", db, "--json"))["passport_id"]
    _ok(capsys, "assign", "LEAF-7", "--unit", "MAX-1", "--slot", "2", "--date", "2025-05-01",
        "--db", db, "--actor", "alice")
    proc = _subprocess("passport", "LEAF-7", "--json", "--db", db, "--tier", "legitimate_interest")
    assert proc.returncode == 0, proc.stderr
    passport = json.loads(proc.stdout)
    assert passport["passport_id"] != original_pid
    assert passport["links"]["original_passport_id"] == original_pid
    assert passport["status"]["battery_status"] == "repurposed"
    original = json.loads(_ok(capsys, "passport", "LEAF-7", "--json", "--original", "--db", db))
    assert original["passport_id"] == original_pid
    assert original["links"]["successor_passport_id"] == passport["passport_id"]
    events = json.loads(_ok(capsys, "history", "LEAF-7", "--db", db, "--json"))
    assert [e["event_type"] for e in events] == ["registered", "repurposed", "assigned"]
    assert events[-1]["actor"] == "alice"
    assert "battery passport" in _ok(capsys, "passport", "LEAF-7", "--db", db)


def test_retire_recycle_and_env_url(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKLIFE_DB_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    csv = tmp_path / "one.csv"
    csv.write_text(f"serial,catalog_id,first_life_end\nP1,{PACK_ID},2024-06-01\n", encoding="utf-8")
    _ok(capsys, "init")
    _ok(capsys, "import", str(csv))
    _ok(capsys, "assign", "P1", "--unit", "U", "--slot", "0", "--date", "2025-01-01")
    _ok(capsys, "retire", "P1", "--reason", "soh below 0.6", "--date", "2026-01-01")
    _ok(capsys, "recycle", "P1", "--recycler", "Example Recycling Ltd", "--date", "2026-02-01")
    info = json.loads(_ok(capsys, "show", "P1", "--json"))
    assert (info["status"], info["recycler"], info["unit"]) == ("recycled",
                                                                "Example Recycling Ltd", None)
    assert info["assignments"][0]["unassigned_on"] == "2026-01-01"
    assert (tmp_path / "env.sqlite").is_file()


def test_unknown_serial_exits_2_without_traceback(db: str) -> None:
    proc = _subprocess("show", "NOPE", "--db", db)
    assert proc.returncode == 2
    assert "unknown battery serial 'NOPE'" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("assign", "NOPE", "--unit", "U", "--slot", "0"), "unknown battery serial 'NOPE'"),
    (("assign", "LEAF-8", "--unit", "U", "--slot", "0", "--date", "01/02/2025"),
     "--date: expected an ISO date"),
    (("recycle", "LEAF-8", "--recycler", " "), "recycler must name"),
])
def test_user_errors_exit_2(db: str, capsys: pytest.CaptureFixture[str],
                            args: tuple[str, ...], message: str) -> None:
    code, _, err = _cli(capsys, *args, "--db", db)
    assert code == 2 and message in err.replace("\n", " ")


def test_bad_import_names_the_row_and_writes_nothing(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "dup.csv"
    csv.write_text(f"serial,catalog_id\nA,{PACK_ID}\nB,{PACK_ID}\nA,{PACK_ID}\n",
                   encoding="utf-8")
    code, _, err = _cli(capsys, "import", str(csv), "--db", db)
    assert code == 2 and "row 4: serial 'A' duplicates row 2" in err.replace("\n", " ")
    assert _cli(capsys, "show", "B", "--db", db)[0] == 2  # row 3 was not written either


def test_uninitialised_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _cli(capsys, "show", "X", "--db", str(tmp_path / "none.sqlite"))
    assert code == 2 and "not initialised" in err
