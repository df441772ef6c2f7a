"""Vehicles on the DC outputs: acceptance curves and the output allocation algorithms.

All algorithms share the same bounds per output ``k``: ``upper_k = min(connector, vehicle
acceptance at its SoC, energy still needed / step)``; an output runs at ``≥ min_power_w`` or not
at all, and the sum stays within ``budget_w`` (what the packs can deliver plus what the inputs
supply, less the site load). Sorted algorithms follow ACN-Sim (Lee et al., 2021): FCFS sorts by
arrival, EDF by departure, LLF by laxity ``(departure − now) − energy / rate``. Against flapping,
a vehicle that had power last cycle keeps at least the minimum power first (its slot) before new
vehicles are started, until it finishes or leaves.

References
----------
Z. J. Lee, S. Sharma, D. Johansson and S. H. Low, "ACN-Sim: An Open-Source Simulator for
Data-Driven Electric Vehicle Charging Research", *IEEE Trans. Smart Grid* 12(6), 2021.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packlife._typing import FloatArray, IntArray
from packlife.control import kernels as KN
from packlife.control.types import OutputState, VehicleAlgorithm
from packlife.errors import InfeasibleError, PacklifeError
from packlife.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class VehicleModel:
    """A vehicle's usable battery energy and DC acceptance curve (max power vs its SoC).

    Attributes
    ----------
    id, name : str
    usable_energy_kwh : float
        Usable battery energy [kWh].
    soc : tuple of float
        Breakpoints of the acceptance curve [0–1].
    dc_power_kw : tuple of float
        Largest DC power accepted at each breakpoint [kW] (linear in between).
    sources : tuple of str
        URLs and what they support.
    estimated : str
        Which values are estimates, and why.
    """

    id: str
    name: str
    usable_energy_kwh: float
    soc: tuple[float, ...]
    dc_power_kw: tuple[float, ...]
    sources: tuple[str, ...]
    estimated: str = ""

    def acceptance_power_w(self, soc: float) -> float:
        """Largest DC power the vehicle accepts at ``soc`` [W]."""
        return float(np.interp(soc, self.soc, self.dc_power_kw)) * 1000.0

    def acceptance_curve_w(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """``(soc points, power points [W])`` for :class:`~packlife.control.types.OutputState`."""
        return self.soc, tuple(p * 1000.0 for p in self.dc_power_kw)

    def output_state(
        self,
        connector_max_power_w: float,
        session_id: str,
        soc: float,
        energy_needed_wh: float,
        arrival_s: float,
        departure_s: float,
    ) -> OutputState:
        """The :class:`OutputState` of this vehicle plugged into an output."""
        return OutputState(
            connector_max_power_w=connector_max_power_w,
            session_id=session_id,
            vehicle_soc=soc,
            energy_needed_wh=energy_needed_wh,
            arrival_s=arrival_s,
            departure_s=departure_s,
            acceptance_max_power_w=self.acceptance_power_w(soc),
            vehicle_energy_wh=self.usable_energy_kwh * 1000.0,
            acceptance_curve=self.acceptance_curve_w(),
        )


RANGE_ROVER_P440E = VehicleModel(
    id="range_rover_p440e",
    name="Range Rover / Range Rover Sport P440e PHEV (2022–)",
    usable_energy_kwh=31.8,
    soc=(0.0, 0.5, 0.8, 0.9, 1.0),
    dc_power_kw=(50.0, 50.0, 35.0, 20.0, 5.0),
    sources=(
        "https://www.edmunds.com/car-news/prepare-to-be-wowed-2023-land-rover-range-rover-phev.html"
        " — 38.2 kWh gross / 31.8 kWh usable",
        "https://www.greencarguide.co.uk/green-car-guides/land-rover-range-rover-2-0-p400e-phev-404hp-vogue/"
        " — 50 kW DC CCS peak, 0–80 % in under 1 h",
    ),
    estimated="taper above 50 % SoC estimated (only the peak and the 0–80 % time are published)",
)

NISSAN_LEAF_40 = VehicleModel(
    id="nissan_leaf_40",
    name="Nissan Leaf ZE1 40 kWh (2018–)",
    usable_energy_kwh=39.0,
    soc=(0.0, 0.55, 0.8, 0.9, 1.0),
    dc_power_kw=(46.0, 46.0, 25.0, 12.0, 3.0),
    sources=(
        "https://pushevs.com/2018/01/29/2018-nissan-leaf-battery-real-specs/ — 39.5 kWh rated, "
        "~39 kWh usable; 50 kW CHAdeMO inlet",
    ),
    estimated=(
        "curve shape estimated from typical published rapid-charge tests (~46 kW peak, taper "
        "above ~55 %); CHAdeMO inlet: the output needs a CHAdeMO lead, power modelled only"
    ),
)

LARGE_BEV_100 = VehicleModel(
    id="large_bev_100",
    name="Large electric SUV class, ~100 kWh / 150 kW DC (e.g. Range Rover Electric class)",
    usable_energy_kwh=100.0,
    soc=(0.0, 0.5, 0.8, 0.9, 1.0),
    dc_power_kw=(150.0, 150.0, 80.0, 40.0, 10.0),
    sources=(
        "https://www.jaguarlandrover.com/news/2024/04/jlr-powers-zero-emissions-charging-first-energy-storage-system"
        " — Range Rover Electric named as the vehicle tested; no published charging curve found,"
        " so the ~100 kWh / 150 kW figures are a class estimate (packlife catalog: I-PACE 90 kWh)",
    ),
    estimated="whole curve is a class estimate (peak 150 kW, taper from 50 % SoC)",
)

VEHICLE_MODELS: dict[str, VehicleModel] = {
    m.id: m for m in (RANGE_ROVER_P440E, NISSAN_LEAF_40, LARGE_BEV_100)
}


@dataclass(frozen=True)
class OutputArrays:
    """The outputs of a snapshot as arrays (index = output number − 1)."""

    active: np.ndarray
    rate_w: FloatArray  # min(connector, acceptance) [W]
    upper_w: FloatArray  # min(rate, energy needed / step) [W]
    energy_needed_wh: FloatArray
    arrival_s: FloatArray
    departure_s: FloatArray
    outputs: tuple[OutputState, ...] = ()


def output_arrays(outputs: tuple[OutputState, ...], step_s: float, time_s: float) -> OutputArrays:
    """Collect the per-output bounds used by every algorithm."""
    n = len(outputs)
    active = np.zeros(n, dtype=np.bool_)
    rate = np.zeros(n)
    need = np.zeros(n)
    arr = np.zeros(n)
    dep = np.zeros(n)
    for k, o in enumerate(outputs):
        if o.session_id is None or o.energy_needed_wh <= 0.0 or o.departure_s <= time_s:
            continue
        active[k] = True
        rate[k] = max(min(o.connector_max_power_w, o.acceptance_max_power_w), 0.0)
        need[k] = o.energy_needed_wh
        arr[k] = o.arrival_s
        dep[k] = o.departure_s
    upper = np.minimum(rate, need * SECONDS_PER_HOUR / step_s)
    return OutputArrays(active, rate, upper, need, arr, dep, outputs)


def _code(algorithm: VehicleAlgorithm) -> int:
    if algorithm not in KN.ALGORITHM_CODES:
        raise PacklifeError(f"unknown vehicle algorithm {algorithm!r}")
    return KN.ALGORITHM_CODES[algorithm]


def priority_order(algorithm: VehicleAlgorithm, arrays: OutputArrays, time_s: float) -> IntArray:
    """Output indices in service order for ``algorithm`` (ties: lower output number first)."""
    n = arrays.rate_w.shape[0]
    order = np.zeros(n, dtype=np.int64)
    KN.output_order(
        _code(algorithm),
        arrays.rate_w,
        arrays.energy_needed_wh,
        arrays.arrival_s,
        arrays.departure_s,
        time_s,
        np.zeros(n),
        order,
    )
    return order


def sorted_allocation(
    order: IntArray, upper_w: FloatArray, budget_w: float, min_w: float, previous_w: FloatArray
) -> FloatArray:
    """Serve outputs in ``order``: running vehicles keep ``min_w`` first, then top up in order
    (:func:`packlife.control.kernels.sorted_allocation`) [W]."""
    out = np.zeros(upper_w.shape[0])
    KN.sorted_allocation(order.astype(np.int64), upper_w, budget_w, min_w, previous_w, out)
    return out


def equal_allocation(
    order: IntArray, upper_w: FloatArray, budget_w: float, min_w: float, previous_w: FloatArray
) -> FloatArray:
    """Equal shares among as many vehicles as can get ``min_w``
    (:func:`packlife.control.kernels.equal_allocation`) [W]."""
    n = upper_w.shape[0]
    out = np.zeros(n)
    KN.equal_allocation(
        order.astype(np.int64), upper_w, budget_w, min_w, previous_w, out,
        np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.bool_),
    )  # fmt: skip
    return out


def uncontrolled_allocation(upper_w: FloatArray, budget_w: float, min_w: float) -> FloatArray:
    """Each output takes its upper bound; a short bus is shared in proportion [W]."""
    out = np.zeros(upper_w.shape[0])
    KN.uncontrolled_allocation(upper_w, budget_w, min_w, out)
    return out


def allocate_outputs(
    algorithm: VehicleAlgorithm,
    arrays: OutputArrays,
    time_s: float,
    step_s: float,
    budget_w: float,
    min_w: float,
    previous_w: FloatArray,
    horizon_steps: int = 24,
) -> FloatArray:
    """Power per output for one cycle with the chosen algorithm (see the module docstring)."""
    upper = np.where(arrays.active, arrays.upper_w, 0.0)
    code = _code(algorithm)
    plan = np.zeros(upper.shape[0])
    if algorithm == "mpc":
        from packlife.control.mpc import mpc_plan_w

        try:
            plan = mpc_plan_w(arrays, time_s, step_s, max(budget_w, 0.0), horizon_steps)[:, 0]
        except InfeasibleError:  # a solver failure must not stop the site: fall back to LLF
            code = KN.ALG_LLF
    n = upper.shape[0]
    out = np.zeros(n)
    fw, iw, bw = KN.decide_workspace(0, n)
    KN.allocate_outputs_kernel(
        code, upper, arrays.rate_w, arrays.energy_needed_wh, arrays.arrival_s,
        arrays.departure_s, plan, time_s, budget_w, min_w, previous_w, out,
        fw[KN.FW_KEY, :n], iw[KN.IW_ORDER, :n], iw[KN.IW_CAND, :n], bw[KN.BW_FREE, :n],
    )  # fmt: skip
    return out
