"""Typed inputs and outputs of the one controller code path (``controller.decide``).

Everything here is a frozen dataclass: a snapshot is built once per control interval (by the
simulation engine or, later, the live service), :func:`~packlife.control.controller.decide` turns it
into :class:`Setpoints`, and nothing is mutated in between.

Signs (``docs/conventions.md``): pack and BESS power is positive when discharging; sources report
the power they *supply* as positive (a grid source exporting is negative); outputs (vehicles) and
the site load report the power they *take* as positive.

Power balance held inside every :class:`Setpoints` (all at the DC bus, lossless)::

    sum(source_power_w) + bess_power_w == sum(output_power_w) + load_served_w

Converter efficiencies between the bus and each pack, source or output are applied by the caller
(the simulation engine), not here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from packlife._typing import BoolArray, FloatArray

SourceKind = Literal["grid", "dc_charger", "pv", "generator"]
VehicleAlgorithm = Literal["uncontrolled", "fcfs", "equal", "edf", "llf", "mpc"]
PackSplit = Literal["usable_energy", "min_loss"]


@dataclass(frozen=True)
class PackLimits:
    """State and limits of every pack this cycle (arrays over packs, all the same length).

    Attributes
    ----------
    soc : ndarray
        State of charge [0–1].
    max_discharge_power_w, max_charge_power_w : ndarray
        Allowed power magnitudes after derating (≥ 0) [W].
    usable_discharge_energy_wh, usable_charge_energy_wh : ndarray
        Energy left above the minimum SoC / room below the maximum SoC (≥ 0) [Wh].
    joined : ndarray of bool
        Pack is connected to the bus and may carry power.
    faulted : ndarray of bool
        Pack is isolated by a fault; it gets zero power whatever ``joined`` says.
    limit_notes : tuple of str
        Optional, one per pack: why its limits are what they are (e.g. ``"derating (temperature
        48 °C)"``), copied into :class:`LimitReason` when the limit binds.
    resistance_ohm, voltage_v : ndarray or None
        Optional pack resistance [Ω] and voltage [V] for the loss-aware split.
    converter_rated_w, converter_k0, converter_k2 : ndarray or None
        Optional pack DC/DC converter rating [W] and its no-load and quadratic loss coefficients
        (Notton model): with them the split runs only as many converters as minimise their
        losses at light load, and none below its minimum operating power.
    """

    soc: FloatArray
    max_discharge_power_w: FloatArray
    max_charge_power_w: FloatArray
    usable_discharge_energy_wh: FloatArray
    usable_charge_energy_wh: FloatArray
    joined: BoolArray
    faulted: BoolArray
    limit_notes: tuple[str, ...] = ()
    resistance_ohm: FloatArray | None = None
    voltage_v: FloatArray | None = None
    converter_rated_w: FloatArray | None = None
    converter_k0: FloatArray | None = None
    converter_k2: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.soc.shape[0]
        for name in (
            "max_discharge_power_w",
            "max_charge_power_w",
            "usable_discharge_energy_wh",
            "usable_charge_energy_wh",
            "joined",
            "faulted",
        ):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"PackLimits.{name} must have one value per pack ({n})")
        if self.limit_notes and len(self.limit_notes) != n:
            raise ValueError(f"PackLimits.limit_notes must have one entry per pack ({n}) or none")

    @property
    def n_packs(self) -> int:
        """Number of packs."""
        return int(self.soc.shape[0])


@dataclass(frozen=True)
class SourceState:
    """One named input this cycle.

    Attributes
    ----------
    name : str
        Unique name (``"grid"``, ``"pv"``, ``"ccs_inlet"``, ``"generator"``…).
    kind : {"grid", "dc_charger", "pv", "generator"}
        Decides its place in the policy: PV first, grid/DC charger to refill, generator last.
    available_power_w : float
        What it can supply now (PV: the AC power the array produces now; grid: 0 when lost) [W].
    max_power_w : float
        Its rating or contractual cap [W].
    priority : int
        Order among sources of the same kind (lower first).
    """

    name: str
    kind: SourceKind
    available_power_w: float
    max_power_w: float
    priority: int = 0


@dataclass(frozen=True)
class OutputState:
    """One DC output (connector) and the vehicle on it, if any.

    Attributes
    ----------
    connector_max_power_w : float
        Connector / output converter rating [W].
    session_id : str or None
        ``None`` when no vehicle is plugged in.
    vehicle_soc : float
        Vehicle state of charge [0–1].
    energy_needed_wh : float
        Energy still wanted by the session [Wh].
    arrival_s, departure_s : float
        Plug-in time and expected departure on the snapshot clock [s].
    acceptance_max_power_w : float
        What the vehicle accepts now (its DC acceptance curve at ``vehicle_soc``) [W].
    vehicle_energy_wh : float
        Optional usable battery energy of the vehicle [Wh]; with ``acceptance_curve`` it lets
        the MPC plan the taper ahead (0 = unknown: the MPC holds the acceptance of now).
    acceptance_curve : tuple
        Optional ``(soc points, power points [W])`` of the vehicle's DC acceptance curve.
    """

    connector_max_power_w: float
    session_id: str | None = None
    vehicle_soc: float = 0.0
    energy_needed_wh: float = 0.0
    arrival_s: float = 0.0
    departure_s: float = 0.0
    acceptance_max_power_w: float = 0.0
    vehicle_energy_wh: float = 0.0
    acceptance_curve: tuple[tuple[float, ...], tuple[float, ...]] | None = None


#: Alias: a vehicle is seen by the controller through its output.
VehicleState = OutputState


@dataclass(frozen=True)
class LimitReason:
    """Why a power was limited: ``quantity`` (what), ``value_w`` (the limit), ``source`` (who)."""

    quantity: str
    value_w: float
    source: str


@dataclass(frozen=True)
class Setpoints:
    """Decisions of one control cycle (see the module docstring for signs and the balance).

    Attributes
    ----------
    output_power_w : ndarray
        Power to each output (≥ 0) [W].
    load_served_w : float
        Site load served [W].
    source_power_w : dict
        Power taken from each source by name (negative = export) [W].
    curtailed_w : float
        Renewable power available but not used or exported [W].
    bess_power_w : float
        Net BESS power at the DC bus, discharge positive [W].
    pack_power_w : ndarray
        Power of each pack, discharge positive; sums to ``bess_power_w`` [W].
    unserved_load_w : float
        Site load that could not be served [W].
    limits : list of LimitReason
        Every limit that bound this cycle.
    """

    output_power_w: FloatArray
    load_served_w: float
    source_power_w: dict[str, float]
    curtailed_w: float
    bess_power_w: float
    pack_power_w: FloatArray
    unserved_load_w: float = 0.0
    limits: list[LimitReason] = field(default_factory=list)

    def balance_error_w(self) -> float:
        """``sources + bess − outputs − load`` [W]; zero up to rounding."""
        return float(
            sum(self.source_power_w.values())
            + self.bess_power_w
            - float(np.sum(self.output_power_w))
            - self.load_served_w
        )


@dataclass(frozen=True)
class SiteSnapshot:
    """Everything :func:`~packlife.control.controller.decide` needs for one cycle.

    Attributes
    ----------
    time_s : float
        Clock of the snapshot [s].
    step_s : float
        Control interval: setpoints are held this long [s].
    packs : PackLimits
    sources : tuple of SourceState
    outputs : tuple of OutputState
    load_power_w : float
        Site AC/DC load other than the vehicles [W].
    previous : Setpoints or None
        Setpoints of the previous cycle (ramp limits, hysteresis); ``None`` at start.
    import_price_per_kwh : float
        Grid import price now, for time-of-use aware charging [currency/kWh].
    """

    time_s: float
    step_s: float
    packs: PackLimits
    sources: tuple[SourceState, ...]
    outputs: tuple[OutputState, ...]
    load_power_w: float = 0.0
    previous: Setpoints | None = None
    import_price_per_kwh: float = 0.0


@dataclass(frozen=True)
class ControllerConfig:
    """Settings of :func:`~packlife.control.controller.decide`.

    Attributes
    ----------
    vehicle_algorithm : str
        ``uncontrolled`` (each output takes what it can; the bus is shared in proportion when
        short), ``fcfs``, ``equal``, ``edf``, ``llf`` or ``mpc`` (HiGHS LP over a horizon).
    min_output_power_w : float
        A DC output runs at ≥ this or not at all [W].
    pack_split : str
        ``usable_energy`` (default water-filling) or ``min_loss`` (LP minimising I²R losses).
    pack_ramp_w_per_s : float
        Largest increase of a pack's power magnitude per second (``inf`` = none) [W/s].
    deadband_w : float
        A net BESS power below this is moved onto a flexible source when one can take it [W].
    export_limit_w : float
        Largest export to grid sources (0 = no export; surplus PV is curtailed) [W].
    use_generator_for_vehicles : bool
        Whether the generator may run to charge vehicles (it always backs up the site load).
    mpc_horizon_steps : int
        MPC horizon in control intervals.
    refill_price_max_per_kwh : float
        Time-of-use aware charging: grid / DC-charger sources refill the packs only while the
        import price is at most this (``inf`` = always) [currency/kWh]; PV that would otherwise
        be curtailed always does.
    refill_reserve_fraction : float
        …and also whenever the packs hold less than this fraction of their usable energy
        window, whatever the price (so they never sit empty waiting for the cheap band) [0–1].
    """

    vehicle_algorithm: VehicleAlgorithm = "llf"
    min_output_power_w: float = 3000.0
    pack_split: PackSplit = "usable_energy"
    pack_ramp_w_per_s: float = float("inf")
    deadband_w: float = 0.0
    export_limit_w: float = 0.0
    use_generator_for_vehicles: bool = True
    mpc_horizon_steps: int = 24
    refill_price_max_per_kwh: float = float("inf")
    refill_reserve_fraction: float = 0.0
