"""The 7-pack year at 60 s: packlife's engine side by side with SimSES 2.1.1, same duty arrays.

Run from the repository root::

    .venv/bin/python benchmarks/bench_engine_simses.py [--repeat N] [--no-ageing]

On first use this creates ``benchmarks/_work/simses_venv`` (SimSES 2.x needs Python ≥ 3.12:
``python3.12 -m venv``, found on PATH or under ``~/.pyenv/versions/3.12.*``) and installs
``simses==2.1.1`` there; packlife's own venv is untouched. The SimSES side runs in
``benchmarks/simses_7pack.py`` (read its docstring for the model choices). Both sides get the same
packs (SoH, resistance growth, SoC window, converter rating), the same per-step request and
ambient arrays, thermal on and ageing on (unless ``--no-ageing``). Only the stepping loops are
timed (CPU seconds of each process; best of ``--repeat`` for packlife, one SimSES run since it
takes tens of seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from packlife.catalog import get_pack_model
from packlife.simulation.system import soc_window

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import DAYS, PACK_ID, best_year, daily_duty, seven_pack_specs

HERE = Path(__file__).parent
WORK = HERE / "_work"
VENV = WORK / "simses_venv"
SIMSES_VERSION = "2.1.1"
DT_S = 60.0


def _python312() -> str:
    candidates = [shutil.which("python3.12") or ""]
    pyenv = Path.home() / ".pyenv" / "versions"
    candidates += [str(p) for p in sorted(pyenv.glob("3.12.*/bin/python3.12"))]
    for exe in candidates:
        if not exe:
            continue
        env = dict(os.environ, PYENV_VERSION=Path(exe).parent.parent.name)
        ok = subprocess.run(
            [exe, "--version"], capture_output=True, text=True, env=env, check=False
        )
        if ok.returncode == 0 and ok.stdout.startswith("Python 3.12"):
            return exe
    raise SystemExit("SimSES 2.x needs Python 3.12: no python3.12 found (PATH or ~/.pyenv)")


def ensure_simses_venv() -> Path:
    """Create the SimSES venv if missing; return its python."""
    py = VENV / "bin" / "python"
    if py.exists():
        check = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; print(m.version('simses'))"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.stdout.strip() == SIMSES_VERSION:
            return py
    WORK.mkdir(parents=True, exist_ok=True)
    exe = _python312()
    print(f"creating {VENV} with {exe} and simses=={SIMSES_VERSION} …", flush=True)
    subprocess.run([exe, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", f"simses=={SIMSES_VERSION}"], check=True)
    return py


def run_packlife(ageing: bool, repeat: int) -> dict[str, object]:
    """The packlife year; best CPU time of ``repeat`` runs after a warm-up."""
    _, amb = daily_duty(DT_S)
    wall, cpu, res, steps_per_day = best_year(DT_S, ageing, repeat, ambient_c=float(amb[0]))
    return {
        "loop_wall_s": wall,
        "loop_cpu_s": cpu,
        "pack_steps": 7 * steps_per_day * DAYS,
        "delivered_discharge_mwh": float(res.delivered_discharge_wh[0] / 1e6),
        "unmet_discharge_kwh": float(res.unmet_discharge_wh[0] / 1e3),
        "soh_end": [round(float(x), 4) for x in res.soh_end[0]],
        "soc_end": [round(float(x), 4) for x in res.soc_end[0]],
        "max_temperature_c": round(float(res.max_temperature_c[0].max()), 2),
    }


def run_simses(ageing: bool) -> dict[str, object]:
    """The SimSES year in its own venv (same arrays via .npy files)."""
    py = ensure_simses_venv()
    day, amb = daily_duty(DT_S)
    np.save(WORK / "duty_request_w.npy", day)
    np.save(WORK / "duty_ambient_c.npy", amb)
    model = get_pack_model(PACK_ID)
    lo, hi = soc_window(model)
    packs = [
        {
            "energy_wh": model.gross_energy_kwh * 1e3,
            "soh": s.soh,
            "resistance_growth": s.resistance_growth,
            "soc_initial": s.soc_initial,
            "soc_min": lo,
            "soc_max": hi,
            "rated_w": model.max_discharge_power_kw * 1e3,
        }
        for s in seven_pack_specs()
    ]
    spec = {
        "day_request_path": str(WORK / "duty_request_w.npy"),
        "day_ambient_path": str(WORK / "duty_ambient_c.npy"),
        "days": DAYS,
        "dt_s": DT_S,
        "ambient0_c": float(amb[0]),
        "ageing": ageing,
        "packs": packs,
    }
    spec_path = WORK / "simses_spec.json"
    spec_path.write_text(json.dumps(spec))
    out = subprocess.run(
        [str(py), str(HERE / "simses_7pack.py"), str(spec_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> int:
    """Run both sides and print the comparison table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="packlife repetitions (best is kept)")
    ap.add_argument("--no-ageing", action="store_true")
    args = ap.parse_args()
    ageing = not args.no_ageing
    pl = run_packlife(ageing, args.repeat)
    ss = run_simses(ageing)
    print(
        f"\n7 x {PACK_ID} (SoH 0.70–0.85), 365 days at {DT_S:.0f} s, thermal on, ageing "
        f"{'on' if ageing else 'off'}"
    )
    print(
        f"{'tool':<16} {'loop CPU [s]':>12} {'loop wall [s]':>13} {'pack-steps/s':>13} "
        f"{'delivered [MWh]':>15} {'unmet [kWh]':>11} {'max T [°C]':>10}"
    )
    for name, r in (("packlife", pl), ("SimSES 2.1.1", ss)):
        print(
            f"{name:<16} {r['loop_cpu_s']:>12.3f} {r['loop_wall_s']:>13.3f} "
            f"{float(r['pack_steps']) / float(r['loop_cpu_s']):>13,.0f} "  # type: ignore[arg-type]
            f"{r['delivered_discharge_mwh']:>15.2f} {r['unmet_discharge_kwh']:>11.1f} "
            f"{r['max_temperature_c']:>10}"
        )
    ratio_cpu = float(ss["loop_cpu_s"]) / float(pl["loop_cpu_s"])  # type: ignore[arg-type]
    ratio_wall = float(ss["loop_wall_s"]) / float(pl["loop_wall_s"])  # type: ignore[arg-type]
    print(f"speed ratio SimSES/packlife: {ratio_cpu:.0f}x (CPU), {ratio_wall:.0f}x (wall)")
    print(f"SoH end packlife {pl['soh_end']}\nSoH end SimSES   {ss['soh_end']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
