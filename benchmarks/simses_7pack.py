"""SimSES 2.1.1 side of ``bench_engine_simses.py``: 7 battery strings, 7 converters, one year.

Runs inside ``benchmarks/_work/simses_venv`` (Python 3.12, ``simses==2.1.1``); it does not import
packlife. Reads a JSON spec (argv[1]) with the duty arrays' ``.npy`` paths and the packs, and prints
one JSON line of results.

Model, following the SimSES docs' Multi-String guide (there is no multi-string class):

* each pack is a ``Battery`` of ``Samsung94AhNMC`` cells (the closest shipped NMC cell) in a
  ``(serial, 1)`` circuit sized to the pack's energy, ``start_soh_Q`` = pack SoH,
  ``start_soh_R`` = resistance growth, SoC window = the pack's usable window;
* ageing: ``Samsung94AhNMC`` ships no ageing law, so the shipped Sony LFP calendar + cyclic laws
  are attached, warm-started with the pack's capacity loss split half/half (as in the research
  notes' measurement); this is for timing, not for comparing fade;
* behind each string a ``Converter`` with a symmetric ``Notton`` loss model at the pack's rating;
* one ``AmbientThermalModel`` holding all 7 strings, its ambient updated every step;
* the split is the guide's SoC-weighted recipe: discharge ∝ SoC·E, charge ∝ (1 − SoC)·E,
  single pass (a saturated string's shortfall is not redistributed).

SimSES convention: power positive = charging; the packlife duty is discharge positive.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from simses.battery import Battery
from simses.converter import Converter
from simses.degradation.degradation import DegradationModel
from simses.degradation.state import DegradationState
from simses.model.cell.samsung94Ah_nmc import Samsung94AhNMC
from simses.model.converter.notton import Notton
from simses.model.degradation.sony_lfp_calendar import SonyLFPCalendarDegradation
from simses.model.degradation.sony_lfp_cyclic import SonyLFPCyclicDegradation
from simses.thermal import AmbientThermalModel


def build(spec: dict) -> tuple[list[Battery], list[Converter], AmbientThermalModel]:
    """The 7 (Battery, Converter) strings and the thermal model."""
    batteries, converters = [], []
    thermal = AmbientThermalModel(T_ambient=float(spec["ambient0_c"]))
    for p in spec["packs"]:
        cell = Samsung94AhNMC()
        cell_wh = cell.electrical.nominal_capacity * cell.electrical.nominal_voltage
        serial = max(1, round(p["energy_wh"] / cell_wh))
        degradation = None
        if spec["ageing"]:
            loss = 1.0 - p["soh"]
            degradation = DegradationModel(
                calendar=SonyLFPCalendarDegradation(),
                cyclic=SonyLFPCyclicDegradation(),
                initial_soc=p["soc_initial"],
                initial_state=DegradationState(qloss_cal=loss / 2, qloss_cyc=loss / 2),
            )
        bat = Battery(
            cell=cell,
            circuit=(serial, 1),
            initial_states={
                "start_soc": p["soc_initial"],
                "start_T": float(spec["ambient0_c"]),
                "start_soh_Q": p["soh"],
                "start_soh_R": p["resistance_growth"],
            },
            soc_limits=(p["soc_min"], p["soc_max"]),
            degradation=degradation,
        )
        conv = Converter(loss_model=Notton(P0=0.002, K=0.008), max_power=p["rated_w"], storage=bat)
        thermal.add_component(bat)
        batteries.append(bat)
        converters.append(conv)
    return batteries, converters, thermal


def run(spec: dict) -> dict:
    """Run the year; time only the stepping loop."""
    day = np.load(spec["day_request_path"])
    amb = np.load(spec["day_ambient_path"])
    days = int(spec["days"])
    dt = float(spec["dt_s"])
    batteries, converters, thermal = build(spec)
    energy = [b.nominal_energy_capacity for b in batteries]
    n = len(batteries)
    day_req = day.tolist()  # Python floats: numpy scalars slow SimSES' scalar loop
    day_amb = amb.tolist()
    delivered = np.empty(days * len(day_req))
    k = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(days):
        for req, t_amb in zip(day_req, day_amb, strict=True):
            thermal.T_ambient = t_amb
            if req >= 0.0:
                w = [b.state.soc * e for b, e in zip(batteries, energy, strict=True)]
            else:
                w = [(1.0 - b.state.soc) * e for b, e in zip(batteries, energy, strict=True)]
            total_w = sum(w)
            out = 0.0
            for i in range(n):
                share = w[i] / total_w if total_w > 0.0 else 1.0 / n
                conv = converters[i]
                conv.step(-req * share, dt)
                out -= conv.state.power
            thermal.step(dt)
            delivered[k] = out
            k += 1
    loop_wall = time.perf_counter() - t0
    loop_cpu = time.process_time() - c0
    req_all = np.tile(day, days)
    h = dt / 3600.0
    dis = req_all > 0
    return {
        "loop_wall_s": loop_wall,
        "loop_cpu_s": loop_cpu,
        "steps": int(req_all.size),
        "pack_steps": int(req_all.size * n),
        "serial": [b.circuit[0] for b in batteries],
        "energy_kwh": [round(b.nominal_energy_capacity / 1e3, 2) for b in batteries],
        "delivered_discharge_mwh": float(delivered[dis].sum() * h / 1e6),
        "unmet_discharge_kwh": float((req_all[dis] - delivered[dis]).sum() * h / 1e3),
        "soh_end": [round(b.state.soh_Q, 4) for b in batteries],
        "soc_end": [round(b.state.soc, 4) for b in batteries],
        "max_temperature_c": round(max(b.state.T for b in batteries), 2),
    }


if __name__ == "__main__":
    spec_in = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(run(spec_in)))
