"""``packlife serve users | api | report`` as a user runs them (subprocesses, real SQLite file)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="needs the 'api' extra (fastapi)")
import httpx2 as httpx

PACKLIFE = [sys.executable, "-m", "packlife.cli.main"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PACKLIFE, *args], capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_users_add_list_remove(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    add = _run("serve", "users", "add", "alice", "--role", "operator", "--db", db)
    assert add.returncode == 0, add.stderr
    key = add.stdout.strip()
    assert key.startswith("pl_") and "shown once" in add.stderr
    listed = json.loads(_run("serve", "users", "list", "--db", db).stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("alice", "operator")]
    assert key not in _run("serve", "users", "list", "--db", db).stdout
    again = _run("serve", "users", "add", "alice", "--role", "viewer", "--db", db)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr
    bad = _run("serve", "users", "add", "bob", "--role", "root", "--db", db)
    assert bad.returncode == 2 and "role must be one of viewer, operator, admin" in bad.stderr
    assert _run("serve", "users", "remove", "alice", "--db", db).returncode == 0
    gone = _run("serve", "users", "remove", "alice", "--db", db)
    assert gone.returncode == 2 and "no user 'alice'" in gone.stderr


def test_bad_options_exit_2(tmp_path: Path) -> None:
    api = _run("serve", "--virtual", "jlr-test-site", "--api", "localhost")
    assert api.returncode == 2 and "--api must be HOST:PORT" in api.stderr
    rep = _run("serve", "report", "--out", str(tmp_path / "r"), "--db",
               f"sqlite:///{tmp_path / 'e.db'}", "--from", "2026-01-01T00:00:00")
    assert rep.returncode == 2 and "--from needs a UTC offset" in rep.stderr
    empty = _run("serve", "report", "--out", str(tmp_path / "r"), "--db",
                 f"sqlite:///{tmp_path / 'e.db'}")
    assert empty.returncode == 2 and "no control cycles" in empty.stderr
    assert not (tmp_path / "r").exists()


def test_serve_starts_the_api_and_the_api_dies_with_it(tmp_path: Path) -> None:
    """`serve --virtual … --api HOST:PORT` serves the dashboard; after a SIGKILL of serve the
    API child notices its parent is gone and exits (no orphan holding the port)."""
    db = f"sqlite:///{tmp_path / 's.db'}"
    key = _run("serve", "users", "add", "v", "--role", "viewer", "--db", db).stdout.strip()
    port = _free_port()
    proc = subprocess.Popen(
        [*PACKLIFE, "serve", "--virtual", "jlr-test-site", "--time-scale", "600", "--period",
         "0.2", "--db", db, "--api", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        state = None
        t0 = time.monotonic()
        while time.monotonic() - t0 < 90 and state is None:
            try:
                r = httpx.get(base + "/api/v1/site", headers={"Authorization": f"Bearer {key}"})
                state = r.json() if r.status_code == 200 and r.json()["cycle"] else None
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        assert state is not None and state["site_name"] == "jlr-test-site"
        assert len(state["packs"]) == 7 and len(state["evses"]) == 9
        assert "<title>packlife" in httpx.get(base + "/").text
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    t0 = time.monotonic()
    alive = True
    while time.monotonic() - t0 < 10 and alive:
        try:
            httpx.get(base + "/health", timeout=0.5)
            time.sleep(0.2)
        except httpx.TransportError:
            alive = False
    assert not alive, "the API outlived its serve process"
