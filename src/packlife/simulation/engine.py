"""The simulation engine: chunked runs of the compiled kernel with a controller hook.

The engine advances a batch of pack systems in fixed steps (1 s … 1 h). A controller is called
once per control interval with an :class:`EngineSnapshot` (state and limits of every pack) and
returns the power asked of each system's packs at the DC bus for the next interval; between calls
the kernel holds that request and splits it across packs every step. Results are streamed: traces
are kept as means over the output interval and energy terms as running sums, so a year at 1 s
never holds every step in memory.

Example
-------
>>> from packlife.simulation.engine import Engine, EngineConfig          # doctest: +SKIP
>>> from packlife.simulation.system import PackSpec, build_systems        # doctest: +SKIP
>>> system = build_systems([[PackSpec(catalog_id="nissan_leaf_40kwh", soh=0.8)]])  # doctest: +SKIP
>>> engine = Engine(system, EngineConfig(dt_s=10))                          # doctest: +SKIP
>>> engine.run_profile(np.full(360, 20e3))                                  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from packlife._typing import FloatArray, IntArray
from packlife.errors import ConsistencyError
from packlife.simulation import kernel as K
from packlife.simulation import layout as LY
from packlife.simulation import stepping as ST
from packlife.simulation.result import SimulationResult, build_result
from packlife.simulation.system import PackSystem

#: Batches with at least this many systems run the threaded kernel.
PARALLEL_MIN_SYSTEMS = 64


@dataclass(frozen=True)
class EngineConfig:
    """Run settings.

    Attributes
    ----------
    dt_s : float
        Fixed step, 1 s to 3600 s.
    output_interval_s : float
        Trace resolution (a multiple of ``dt_s``).
    ageing : bool
        Whether packs age during the run.
    ageing_interval_s : float
        How often ageing is applied (a multiple of ``dt_s``).
    """

    dt_s: float = 60.0
    output_interval_s: float = 900.0
    ageing: bool = True
    ageing_interval_s: float = 3600.0

    def __post_init__(self) -> None:
        if not 1.0 <= self.dt_s <= 3600.0:
            raise ConsistencyError(f"dt_s must lie within 1–3600 s, got {self.dt_s}")
        for name in ("output_interval_s", "ageing_interval_s"):
            value = getattr(self, name)
            if value < self.dt_s or abs(value / self.dt_s - round(value / self.dt_s)) > 1e-9:
                raise ConsistencyError(
                    f"{name} must be a whole multiple of dt_s ({self.dt_s} s), got {value}"
                )


@dataclass(frozen=True)
class EngineSnapshot:
    """What a controller sees at the start of a control interval (arrays: systems × packs).

    ``bus_discharge_limit_w``/``bus_charge_limit_w`` are what each pack can pass to/take from the
    DC bus now (after its converter), ``usable_*_energy_wh`` the energy left in its SoC window.
    """

    time_s: float
    soc: FloatArray
    temperature_c: FloatArray
    soh: FloatArray
    joined: FloatArray
    bus_discharge_limit_w: FloatArray
    bus_charge_limit_w: FloatArray
    usable_discharge_energy_wh: FloatArray
    usable_charge_energy_wh: FloatArray
    derating_discharge: FloatArray
    derating_charge: FloatArray


#: A controller maps a snapshot to the bus power asked of each system for the next interval:
#: an array (n_sys,) held constant, or (n_sys, n_steps) step by step [W, discharge positive].
Controller = Callable[[EngineSnapshot], FloatArray]


@dataclass
class _Buffers:
    trace: FloatArray
    trace_sys: FloatArray
    trace_acc: FloatArray
    trace_sys_acc: FloatArray
    A: FloatArray
    B: FloatArray
    SH: FloatArray
    stored_start_wh: FloatArray
    delivered_chunks: list[FloatArray] = field(default_factory=list)


class Engine:
    """Runs a :class:`PackSystem` forward in time; see the module docstring."""

    def __init__(self, system: PackSystem, config: EngineConfig, max_duration_s: float = 86400.0):
        self.system = system
        self.config = config
        self.P = system.P
        self.S = system.S.copy()
        self.time_s = 0.0
        self._step = 0
        self._out_every = int(round(config.output_interval_s / config.dt_s))
        self._age_every = int(round(config.ageing_interval_s / config.dt_s))
        n_sys, n_packs = system.n_systems, system.n_packs
        n_out = int(max_duration_s / config.output_interval_s) + 1
        A = np.zeros((n_sys, n_packs, LY.N_A))
        A[:, :, LY.A_T_MAX] = -np.inf
        A[:, :, LY.A_SOC_MIN] = np.inf
        A[:, :, LY.A_V_MEAN_MIN] = np.inf
        A[:, :, LY.A_V_MEAN_MAX] = -np.inf
        tables = system.tables
        self._buf = _Buffers(
            trace=np.full((n_sys, n_out, n_packs, LY.N_TR), np.nan),
            trace_sys=np.full((n_sys, n_out, LY.N_TS), np.nan),
            trace_acc=np.zeros((n_sys, n_packs, LY.N_TR)),
            trace_sys_acc=np.zeros((n_sys, LY.N_TS)),
            A=A,
            B=np.zeros((n_sys, LY.N_B)),
            SH=np.zeros((n_sys, n_packs, LY.N_SH)),
            stored_start_wh=K.stored_energy_wh(self.P, self.S, tables.soc_tables),
        )
        self.soh_start = self.S[:, :, LY.S_CAP_AH] / self.P[:, :, LY.P_CAP_NEW_AH]
        #: chemistry tables as the compiled steps take them (see :mod:`stepping`)
        self.tables = (
            tables.electrical, tables.soc_tables, tables.temp_tables, tables.ageing,
            tables.self_discharge_per_s,
        )  # fmt: skip

    # ------------------------------------------------------------------ state
    def snapshot(self) -> EngineSnapshot:
        """State and limits of every pack now."""
        t = self.system.tables
        lim = K.all_pack_limits(
            self.P, self.S, t.electrical, t.soc_tables, t.temp_tables, self.config.dt_s
        )
        return EngineSnapshot(
            time_s=self.time_s,
            soc=self.S[:, :, LY.S_SOC].copy(),
            temperature_c=self.S[:, :, LY.S_TEMP].copy(),
            soh=self.S[:, :, LY.S_CAP_AH] / self.P[:, :, LY.P_CAP_NEW_AH],
            joined=self.P[:, :, LY.P_JOINED].copy(),
            bus_discharge_limit_w=lim[:, :, LY.L_BUS_DIS_W],
            bus_charge_limit_w=lim[:, :, LY.L_BUS_CH_W],
            usable_discharge_energy_wh=lim[:, :, LY.L_E_DIS_WH],
            usable_charge_energy_wh=lim[:, :, LY.L_E_CH_WH],
            derating_discharge=lim[:, :, LY.L_DERATE_DIS],
            derating_charge=lim[:, :, LY.L_DERATE_CH],
        )

    def set_joined(self, system_index: int, pack_index: int, joined: bool) -> None:
        """Join or isolate a pack (a faulted pack is isolated and carries no power)."""
        self.P[system_index, pack_index, LY.P_JOINED] = 1.0 if joined else 0.0

    def state_arrays(self) -> tuple[FloatArray, ...]:
        """``(P, S, A, B, SH, trace_acc, trace, trace_sys_acc, trace_sys)`` for compiled loops
        that step the packs themselves (:mod:`packlife.simulation.site_loop`); they must call
        :meth:`advance_clock` with the steps they ran."""
        b = self._buf
        return (
            self.P, self.S, b.A, b.B, b.SH, b.trace_acc, b.trace, b.trace_sys_acc, b.trace_sys
        )

    def advance_clock(self, n_steps: int) -> None:
        """Count ``n_steps`` steps run by a compiled loop on :meth:`state_arrays`."""
        self._step += n_steps
        self.time_s = self._step * self.config.dt_s

    # ------------------------------------------------------------------ stepping
    def advance(
        self,
        request_w: FloatArray,
        ambient_c: FloatArray | float = 25.0,
        request_row: IntArray | None = None,
        request_scale: FloatArray | None = None,
    ) -> FloatArray:
        """Advance all systems by ``request_w.shape[1]`` steps.

        Parameters
        ----------
        request_w : ndarray (n_rows, n_steps)
            Bus power asked of the packs per step, discharge positive [W]. With the default
            ``request_row`` row ``b`` is system ``b``'s request.
        ambient_c : float or ndarray (n_steps,)
            Ambient temperature [°C].
        request_row, request_scale : ndarray (n_sys,), optional
            Row of ``request_w`` each system follows and a factor applied to it (for batches that
            share one duty profile).

        Returns
        -------
        ndarray (n_sys, n_steps)
            Bus power the packs delivered each step [W].
        """
        request = np.ascontiguousarray(np.atleast_2d(request_w), dtype=float)
        n_sys = self.system.n_systems
        n_steps = request.shape[1]
        rows = (
            np.arange(n_sys, dtype=np.int64)
            if request_row is None
            else request_row.astype(np.int64)
        )
        if rows.max() >= request.shape[0]:
            raise ConsistencyError(
                f"request_w has {request.shape[0]} rows but system {int(rows.argmax())} needs row "
                f"{int(rows.max())}"
            )
        scale = np.ones(n_sys) if request_scale is None else np.asarray(request_scale, dtype=float)
        amb = np.broadcast_to(np.asarray(ambient_c, dtype=float), (n_steps,)).copy()
        delivered = np.empty((n_sys, n_steps))
        b = self._buf
        kernel = ST.run_steps if n_sys >= PARALLEL_MIN_SYSTEMS else ST.run_steps_serial
        kernel(
            n_steps, self.config.dt_s, self._step, request, rows, scale, amb, self.P, self.S,
            b.A, b.B, b.SH, self.tables, self._age_every, self.config.ageing, self._out_every,
            b.trace_acc, b.trace_sys_acc, b.trace, b.trace_sys, delivered,
        )  # fmt: skip
        self._step += n_steps
        self.time_s = self._step * self.config.dt_s
        return delivered

    def run(
        self,
        duration_s: float,
        controller: Controller,
        control_interval_s: float,
        ambient_c: Callable[[float, int], FloatArray] | float = 25.0,
    ) -> None:
        """Run for ``duration_s`` calling ``controller`` every ``control_interval_s``.

        ``ambient_c`` is a constant or a function ``(t0_s, n_steps) -> ndarray`` of temperatures.
        """
        per = int(round(control_interval_s / self.config.dt_s))
        if per < 1:
            raise ConsistencyError("control_interval_s must be at least one step")
        total = int(round(duration_s / self.config.dt_s))
        done = 0
        while done < total:
            n = min(per, total - done)
            req = np.asarray(controller(self.snapshot()), dtype=float)
            req2 = np.repeat(req[:, None], n, axis=1) if req.ndim == 1 else req[:, :n]
            amb = ambient_c(self.time_s, n) if callable(ambient_c) else ambient_c
            self.advance(req2, amb)
            done += n

    def run_profile(
        self,
        request_w: FloatArray,
        ambient_c: FloatArray | float = 25.0,
        chunk_steps: int = 86400,
        request_scale: FloatArray | None = None,
    ) -> None:
        """Follow one shared request profile (n_steps,) in chunks, repeated over all systems."""
        prof = np.asarray(request_w, dtype=float)
        rows = np.zeros(self.system.n_systems, dtype=np.int64)
        amb_full = np.asarray(ambient_c, dtype=float)
        for start in range(0, prof.size, chunk_steps):
            stop = min(start + chunk_steps, prof.size)
            amb = amb_full if amb_full.ndim == 0 else amb_full[start:stop]
            self.advance(prof[None, start:stop], amb, rows, request_scale)

    def run_repeated(
        self,
        day_request_w: FloatArray,
        days: int,
        day_ambient_c: FloatArray | float = 25.0,
        request_scale: FloatArray | None = None,
        chunk_steps: int = 86400,
    ) -> None:
        """Repeat one day's request profile ``days`` times, in chunks of whole days.

        Only one chunk of the repeated profile is ever held in memory.
        """
        rows = np.zeros(self.system.n_systems, dtype=np.int64)
        day = np.asarray(day_request_w, dtype=float)
        amb_day = np.asarray(day_ambient_c, dtype=float)
        days_per_chunk = max(1, chunk_steps // day.size)
        chunk = np.tile(day, days_per_chunk)[None, :]
        amb_chunk = amb_day if amb_day.ndim == 0 else np.tile(amb_day, days_per_chunk)
        done = 0
        while done < days:
            n = min(days_per_chunk, days - done)
            steps = n * day.size
            amb = amb_chunk if amb_chunk.ndim == 0 else amb_chunk[:steps]
            self.advance(chunk[:, :steps], amb, rows, request_scale)
            done += n

    # ------------------------------------------------------------------ results
    def result(self) -> SimulationResult:
        """Aggregates, traces and the energy balance of the run so far."""
        n_out = self._step // self._out_every
        b = self._buf
        stored_end = K.stored_energy_wh(self.P, self.S, self.system.tables.soc_tables)
        return build_result(
            system=self.system,
            config_dt_s=self.config.dt_s,
            output_interval_s=self.config.output_interval_s,
            duration_s=self.time_s,
            A=b.A,
            B=b.B,
            S=self.S,
            P=self.P,
            stored_start_wh=b.stored_start_wh,
            stored_end_wh=stored_end,
            soh_start=self.soh_start,
            trace=b.trace[:, :n_out],
            trace_sys=b.trace_sys[:, :n_out],
        )
