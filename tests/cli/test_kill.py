"""Kill tests (issue #17): SIGKILL at random points of ``simulate``, ``design`` and ``passport``
output never leaves a mixed or partial result set, nor stray temporary files after the next run.

Each command runs as a real subprocess through ``packlife.cli.main``. To land kills inside the
short output phase, the child slows every fsync of :mod:`packlife.atomic` (the write phase then
lasts a few tenths of a second) and announces the first one on stderr; the parent kills it at a
random moment after that announcement, or at a random moment of the whole run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from packlife.atomic import TMP_TAG

INVENTORY = Path(__file__).parents[1] / "data" / "inventory" / "mixed_fleet.csv"
DRIVER = """
import os, sys, time
import packlife.atomic as atomic
real = atomic._fsync
def slow(path):
    sys.stderr.write("@@WRITING@@\\n"); sys.stderr.flush()
    time.sleep(0.08)
    real(path)
atomic._fsync = slow
from packlife.cli.main import main
sys.argv = ["packlife", *sys.argv[1:]]
main()
"""
RNG = random.Random(17)


def _run(*args: str) -> None:
    proc = subprocess.run([sys.executable, "-c", DRIVER, *args], capture_output=True, text=True,
                          timeout=300, check=False, env=os.environ.copy())
    assert proc.returncode == 0, proc.stderr


def _killed(args: list[str], in_write_phase: bool, run_s: float) -> None:
    """Start the command and SIGKILL it at a random point (of the write phase, or of the run)."""
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, *args], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, env=os.environ.copy())
    assert proc.stderr is not None
    if in_write_phase:
        for line in proc.stderr:
            if "@@WRITING@@" in line:
                break
        time.sleep(RNG.uniform(0.0, 0.5))
    else:
        time.sleep(RNG.uniform(0.0, run_s))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    proc.stderr.close()


def _strays(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if TMP_TAG in p.name]


def _kill_cycle(out: Path, first: list[str], second: list[str],
                check: Callable[[Path], str]) -> None:
    """first run completes; kills of a second run leave the first or the second set whole."""
    t0 = time.monotonic()
    _run(*first)
    run_s = time.monotonic() - t0
    seen = {check(out)}
    for k in range(4):
        _killed(second, in_write_phase=k < 3, run_s=run_s)
        if out.exists():
            seen.add(check(out))  # whole and self-consistent, whichever set it is
    _run(*second)
    assert check(out) == "second" and _strays(out.parent) == []
    assert "first" in seen


def _simulate_set(out: Path) -> str:
    names = sorted(p.name for p in out.iterdir())
    assert names == ["report.html", "summary.json", "timeseries.parquet"], names
    summary = json.loads((out / "summary.json").read_text())
    rows = len(pd.read_parquet(out / "timeseries.parquet"))
    html = (out / "report.html").read_text()
    days = summary["days"]
    assert rows == round(days * 86400 / summary["output_interval_s"])
    assert f"{days:g} days from" in html or f"{days} days from" in html
    return {0.05: "first", 0.1: "second"}[days]


def test_killing_simulate_never_mixes_result_sets(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = ["simulate", "leaf-portable", "--out", str(out), "--json"]
    _kill_cycle(out, [*base, "--days", "0.05"], [*base, "--days", "0.1"], _simulate_set)


def _design_set(out: Path) -> str:
    assert sorted(p.name for p in out.iterdir()) == ["design.html", "design.json"]
    years = json.loads((out / "design.json").read_text())["years"]
    assert f"horizon {years} years" in (out / "design.html").read_text()
    return {3: "first", 4: "second"}[years]


def test_killing_design_never_mixes_result_sets(tmp_path: Path) -> None:
    out = tmp_path / "design"
    base = ["design", "--inventory", str(INVENTORY), "--units", "1", "--out", str(out),
            "--json", "--time-limit-s", "2"]
    _kill_cycle(out, [*base, "--years", "3"], [*base, "--years", "4"], _design_set)


def test_killing_passport_export_leaves_a_whole_file(tmp_path: Path) -> None:
    db = str(tmp_path / "reg.sqlite")
    csv = tmp_path / "packs.csv"
    csv.write_text("serial,catalog_id,soh\nP1,nissan_leaf_24kwh,0.8\n", encoding="utf-8")
    _run("registry", "init", "--db", db)
    _run("registry", "import", str(csv), "--db", db)
    target = tmp_path / "pp" / "passport.json"
    target.parent.mkdir()
    base = ["registry", "passport", "P1", "--db", db, "--out", str(target), "--json"]

    def check(path: Path) -> str:
        data = json.loads(path.read_text())  # never truncated
        return {"public": "first", "authority": "second"}[data["access_tier"]]

    t0 = time.monotonic()
    _run(*base, "--tier", "public")
    run_s = time.monotonic() - t0
    for k in range(4):
        _killed([*base, "--tier", "authority"], in_write_phase=k < 3, run_s=run_s)
        assert check(target) in ("first", "second")
    _run(*base, "--tier", "authority")
    assert check(target) == "second" and _strays(target.parent) == []
