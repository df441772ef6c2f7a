"""Issue #17: a database password never appears in any output of the fault suite.

Every command that takes a database URL is run against failing databases whose URL carries a
password (unreachable server, unknown scheme, malformed port, unknown role, via ``--db`` and via
``$PACKLIFE_DB_URL``, with ``-vv`` logging); stdout, stderr and any crash log are searched.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from packlife.cli import main as cli_main

PASSWORD = "S3cr3t-Pa55w0rd"
URLS = [
    f"postgresql://bob:{PASSWORD}@127.0.0.1:1/reg",  # nothing listens on port 1
    f"postgresql+psycopg://bob:{PASSWORD}@127.0.0.1:5432/no_such_db_packlife",
    f"mysql://bob:{PASSWORD}@127.0.0.1/reg",  # unsupported scheme
    f"postgresql://bob:{PASSWORD}@127.0.0.1:notaport/reg",  # malformed
    f"postgresql://bob:{PASSWORD}@[::1/reg",  # malformed host
]


def _commands(url: str, tmp: Path) -> list[list[str]]:
    csv = tmp / "in.csv"
    csv.write_text("serial,catalog_id\nA,nissan_leaf_24kwh\n", encoding="utf-8")
    return [
        ["registry", "init", "--db", url],
        ["registry", "show", "A", "--db", url],
        ["registry", "history", "A", "--db", url],
        ["registry", "import", str(csv), "--db", url],
        ["registry", "assign", "A", "--unit", "U", "--slot", "0", "--db", url],
        ["registry", "passport", "A", "--db", url],
        ["-vv", "registry", "retire", "A", "--reason", "x", "--db", url],
        ["design", "--db", url, "--units", "1"],
        ["simulate", "leaf-portable", "--unit", "U", "--db", url, "--out", str(tmp / "o")],
    ]


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
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
    return code, out + err


@pytest.mark.parametrize("url", URLS)
def test_no_output_of_any_failing_command_shows_the_password(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    logs = tmp_path / "logs"
    monkeypatch.setenv(cli_main.LOG_DIR_ENV, str(logs))
    monkeypatch.delenv("PACKLIFE_DB_URL", raising=False)
    seen = []
    for args in _commands(url, tmp_path):
        code, text = _run(capsys, args)
        seen.append(text)
        assert code == 2, (args, text)  # a user error, not a crash
        assert PASSWORD not in text, (args, text)
    monkeypatch.setenv("PACKLIFE_DB_URL", url)
    code, text = _run(capsys, ["registry", "show", "A"])
    assert code == 2 and PASSWORD not in text
    crash_logs = list(logs.glob("*")) if logs.exists() else []
    assert all(PASSWORD not in p.read_text() for p in crash_logs)
    assert all("error:" in t for t in seen), seen
