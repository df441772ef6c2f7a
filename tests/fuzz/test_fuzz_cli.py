"""Fuzz through the CLI entry point: hostile inventory and import files given to ``design`` and
``registry import`` end with exit 0 (valid, finite JSON) or exit 2 (one paragraph), never a
traceback or an internal error."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from packlife.cli import main as cli_main

from ._fuzz import finite_numbers, fuzz
from .test_fuzz_files import EDITS, IMPORT_COLUMNS, IMPORT_ROW, INVENTORY_ROW, _edited, _write

FOLDER = Path(tempfile.mkdtemp(prefix="packlife-fuzz-cli-"))


def teardown_module() -> None:
    shutil.rmtree(FOLDER, ignore_errors=True)


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    old = sys.argv
    sys.argv = ["packlife", *args]
    try:
        cli_main.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    out, err = capsys.readouterr()
    return code, out, err


def _clean(code: int, out: str, err: str) -> Any:
    assert code in (0, 2), err
    event(f"exit {code}")
    assert "Traceback" not in out + err and "internal error" not in err
    if code == 2:
        assert err.startswith("error:")
        return None
    data = json.loads(out)
    assert finite_numbers(data) == []
    return data


@fuzz(40)
@given(rows=st.lists(INVENTORY_ROW, min_size=1, max_size=5), edits=EDITS)
def test_design_command(capsys: pytest.CaptureFixture[str], rows: list[tuple[str, ...]],
                        edits: list[tuple[int, int, str]]) -> None:
    header = ["serial", "catalog_id", "soh", "resistance_growth", "grade"]
    path = _write([header, *_edited([list(r) for r in rows], edits)])
    data = _clean(*_main(capsys, "design", "--inventory", str(path), "--json",
                         "--modules-per-portable", "1", "--years", "2", "--units", "1",
                         "--slots", "1", "--time-limit-s", "2"))
    if data is not None:
        assert data["inventory"]["packs"] + data["inventory"]["modules"] >= 1


@fuzz(40)
@given(rows=st.lists(IMPORT_ROW, min_size=1, max_size=4), columns=IMPORT_COLUMNS, edits=EDITS)
def test_registry_import_command(capsys: pytest.CaptureFixture[str],
                                 rows: list[dict[str, str]], columns: list[str],
                                 edits: list[tuple[int, int, str]]) -> None:
    db = FOLDER / "reg.sqlite"
    if not db.exists():
        assert _main(capsys, "registry", "init", "--db", str(db))[0] == 0
    body = _edited([[r.get(c, "") for c in columns] for r in rows], edits)
    path = _write([columns, *body])
    data = _clean(*_main(capsys, "registry", "import", str(path), "--db", str(db), "--json",
                         "--skip-existing"))
    if data is not None:
        assert data["rows"] == data["created"] + data["skipped"]
