"""Web API under load while the control loop runs (issue #14).

Starts ``packlife serve --virtual jlr-test-site --period 0.2`` (real time, time scale 1; the
short period gives 300 cycles a minute for the lateness percentiles) with its API child on
loopback, then:

1. ``--quiet-s`` seconds without load: the loop's cycle lateness (from the store);
2. ``--load-s`` seconds of ``wrk`` (Debian's package) on the read endpoints — ``/api/v1/site``,
   ``/api/v1/packs``, ``/api/v1/evses``, ``/api/v1/overrides``, ``/health`` in turn — with a
   viewer's key: requests/s and latency percentiles as wrk measures them, and the loop's
   lateness in the same window.

Targets: ≥ 500 requests/s with p99 ≤ 50 ms; lateness p99 unchanged within 10 %.

Usage: ``.venv/bin/python benchmarks/bench_api.py [--quiet-s 60] [--load-s 60] [--connections 8]
[--period 0.2]``. wrk runs on the same machine at nice 10 (a real site's browsers are elsewhere);
the API process started by ``serve run`` runs at nice 10 too (the control loop comes first).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from packlife.serve.access import AccessStore
from packlife.serve.history import period_frame
from packlife.serve.store import TelemetryStore

PATHS = ["/api/v1/site", "/api/v1/packs", "/api/v1/evses", "/api/v1/overrides", "/health"]
LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], {["Authorization"] = "Bearer %s"})
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _lateness_ms(store: TelemetryStore, start: datetime, end: datetime) -> np.ndarray:
    cycles = period_frame(store, "cycles", None, start, end)
    return cycles["lateness_s"].to_numpy(float) * 1000.0


def _wrk(base: str, key: str, seconds: int, connections: int, lua: Path) -> dict[str, float]:
    lua.write_text(LUA % (", ".join(f'"{p}"' for p in PATHS), key))
    out = subprocess.run(
        ["nice", "-n", "10", "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-s", str(lua), base],
        capture_output=True, text=True, check=True,
    ).stdout
    print(out)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    pct = {}
    for label, value, unit in re.findall(r"\s(50|75|90|99)%\s+([\d.]+)(us|ms|s)\b", out):
        pct[label] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rate": rate, "p50": pct["50"], "p99": pct["99"],
            "non2xx": float(non2xx.group(1)) if non2xx else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quiet-s", type=int, default=60)
    ap.add_argument("--load-s", type=int, default=60)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--period", type=float, default=0.2, help="control period [s]")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        print("needs wrk (apt-get install wrk)")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="bench_api_"))
    url = f"sqlite:///{tmp / 'serve.db'}"
    store = TelemetryStore(url)
    key = AccessStore(store).add_user("bench", "viewer")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen(
        [sys.executable, "-m", "packlife.cli.main", "serve", "--virtual", "jlr-test-site",
         "--period", str(args.period), "--db", url, "--api", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=(tmp / "serve.err").open("w"),
    )
    try:
        time.sleep(15)  # compile, start, first cycles
        t0 = datetime.now(UTC)
        time.sleep(args.quiet_s)
        t1 = datetime.now(UTC)
        load = _wrk(base, key, args.load_s, args.connections, tmp / "paths.lua")
        t2 = datetime.now(UTC)
        quiet = _lateness_ms(store, t0, t1)
        busy = _lateness_ms(store, t1, t2)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(30)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("| phase | cycles | lateness p50 | lateness p99 | requests/s | latency p50 | "
          "latency p99 | non-2xx |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| no load ({args.quiet_s} s) | {len(quiet)} | {np.percentile(quiet, 50):.2f} ms | "
          f"{np.percentile(quiet, 99):.2f} ms | – | – | – | – |")
    print(f"| wrk {args.connections} connections ({args.load_s} s) | {len(busy)} | "
          f"{np.percentile(busy, 50):.2f} ms | {np.percentile(busy, 99):.2f} ms | "
          f"{load['rate']:.0f} | {load['p50']:.1f} ms | {load['p99']:.1f} ms | "
          f"{load['non2xx']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
