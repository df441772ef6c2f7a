"""The main job as the user runs it: ``packlife simulate`` timed side by side with SimSES 2.1.1.

Run from the repository root::

    .venv/bin/python benchmarks/bench_simulate.py [year60] [year1] [batch] [--simses]

- ``year60``: ``packlife simulate jlr-test-site --days 365 --step 60`` as a whole process (wall,
  including interpreter start, numba cache load and writing the three result files), and its
  loop alone (``run_scenario`` in-process after a warm-up, best of 3). With ``--simses`` the
  7-pack SimSES 2.1.1 year at 60 s (``benchmarks/simses_7pack.py`` in its own venv, see
  ``bench_engine_simses.py``) runs in the same invocation, and the per-step ratio is printed.
- ``year1``: the same scenario for 365 days at 1 s, whole process, wall time and peak memory
  (RSS of the child, ``resource.getrusage``).
- ``batch``: 1,000 variants of the default scenario (7 days at 60 s, different session seeds)
  through ``run_scenarios`` on 1 and 2 threads.

Every figure is wall time on whatever else the machine is doing; CPU time is printed beside it.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
PACKLIFE = str(Path(sys.executable).parent / "packlife")


def _child_run(args: list[str]) -> tuple[float, float, float]:
    """Run a command; wall [s], child CPU [s], peak RSS of the children so far [MB]."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024.0


def simulate_cli(days: int, step_s: int) -> tuple[float, float, float]:
    """``packlife simulate jlr-test-site`` as a user runs it (results written to a temp dir)."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [PACKLIFE, "simulate", "jlr-test-site", "--days", str(days), "--step", str(step_s)]
        return _child_run([*cmd, "--out", out])


def loop_only(days: int, step_s: int, repeat: int = 3) -> tuple[float, float, int]:
    """``run_scenario`` in-process (warm), best of ``repeat``: wall, CPU, control steps."""
    from packlife.site.run import run_scenario
    from packlife.site.scenario import load_scenario
    from packlife.site.sessions import synthetic_sessions

    sc, _ = load_scenario("jlr-test-site")
    sim = sc.simulation.model_copy(update={"days": days, "step_s": step_s})
    sc = sc.model_copy(update={"simulation": sim})
    assert sc.vehicles is not None
    sessions = synthetic_sessions(sc.vehicles, days, sc.simulation.seed)
    run_scenario(sc, sessions)  # warm-up (numba cache)
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        run_scenario(sc, sessions)
        best = min(best, (time.perf_counter() - t0, time.process_time() - c0))
    return best[0], best[1], int(days * 86400 / step_s)


def simses_year60() -> dict[str, object]:
    """SimSES 2.1.1, 7 packs, a year at 60 s (the anchor of ``bench_engine_simses.py``)."""
    sys.path.insert(0, str(HERE))
    from bench_engine_simses import run_simses

    return run_simses(ageing=True)


def year60(with_simses: bool) -> None:
    wall, cpu, rss = simulate_cli(365, 60)
    lw, lc, steps = loop_only(365, 60)
    print("\n(a) packlife simulate jlr-test-site --days 365 --step 60 (7 packs, 9 outputs)")
    print(f"  whole command: {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss:.0f} MB")
    print(f"  loop (run_scenario, warm, best of 3): {lw:.3f} s wall, {lc:.3f} s CPU")
    print(f"  per control step: {lc / steps * 1e6:.2f} µs CPU ({steps:,} steps)")
    if with_simses:
        ss = simses_year60()
        ss_cpu = float(ss["loop_cpu_s"])  # type: ignore[arg-type]
        print(f"  SimSES 2.1.1, same 7-pack year at 60 s (loop): {ss_cpu:.2f} s CPU")
        print(f"  per step, SimSES / packlife loop: {ss_cpu / lc:.0f}x")
        print(f"  SimSES loop / whole packlife command: {ss_cpu / cpu:.1f}x (CPU)")


def year1() -> None:
    wall, cpu, rss = simulate_cli(365, 1)
    print("\n(b) packlife simulate jlr-test-site --days 365 --step 1")
    print(f"  whole command: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB")
    print(f"  per step: {cpu / (365 * 86400) * 1e9:.0f} ns CPU (incl. start-up and file writing)")


def batch(n: int = 1000) -> None:
    from packlife.site.run import run_scenarios
    from packlife.site.scenario import load_scenario
    from packlife.site.sessions import synthetic_sessions

    sc, _ = load_scenario("jlr-test-site")
    assert sc.vehicles is not None
    runs = [(sc, synthetic_sessions(sc.vehicles, 7, seed)) for seed in range(n)]
    run_scenarios(runs[:2], threads=2)  # warm-up
    print(f"\n(c) {n} variants of jlr-test-site, 7 days at 60 s (session seeds 0…{n - 1})")
    base = 0.0
    for threads in (1, 2):
        t0 = time.perf_counter()
        run_scenarios(runs, threads=threads)
        wall = time.perf_counter() - t0
        base = base or wall
        print(
            f"  {threads} thread(s): {wall:.1f} s wall, {n / wall:.1f} variants/s, "
            f"{n * 7 * 1440 / wall / 1e6:.2f} M site-steps/s, speed-up {base / wall:.2f}x"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("parts", nargs="*", default=["year60", "year1", "batch"])
    ap.add_argument("--simses", action="store_true", help="run SimSES 2.1.1 side by side")
    ap.add_argument("--variants", type=int, default=1000)
    args = ap.parse_args()
    if "year60" in args.parts:
        year60(args.simses)
    if "year1" in args.parts:
        year1()
    if "batch" in args.parts:
        batch(args.variants)
    return 0


if __name__ == "__main__":
    sys.exit(main())
