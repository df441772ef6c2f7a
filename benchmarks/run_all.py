"""Run every benchmark script in this folder (``make bench``) and print their tables.

Each ``bench_*.py`` prints its own table; copy the figures with the command into RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    """Run the benchmarks named on the command line (default: all), return a failure count."""
    wanted = set(sys.argv[1:])
    failures = 0
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted and script.stem not in wanted:
            continue
        print(f"\n=== {script.name} ===", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, str(script)], check=False)
        took = time.perf_counter() - t0
        print(f"--- {script.name}: exit {proc.returncode}, {took:.1f} s", flush=True)
        failures += proc.returncode != 0
    return failures


if __name__ == "__main__":
    sys.exit(main())
