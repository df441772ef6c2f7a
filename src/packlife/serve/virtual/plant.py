"""The virtual plant: the packlife engine plays the packs and inputs behind virtual SunSpec devices.

One device per pack string (models 1, 713, 802, 803, 704) and one PCS per input (1, 702, 704).
The plant runs on its own clock (simulated seconds = wall seconds × ``time_scale``); each
:meth:`VirtualPlant.tick` advances the engine to that clock in whole engine steps with the power
each string converter runs at (after reversion, heartbeat and contactor), then refreshes every
register image from the engine's state and the scenario's input availability. The engine applies
each pack's set-point exactly as the simulator's site loop does (:class:`PackDriver`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from packlife._typing import FloatArray
from packlife.catalog import get_pack_model
from packlife.serve import sunspec_map as sm
from packlife.serve.virtual.devices import VirtualSunSpecDevice
from packlife.simulation import layout as K
from packlife.simulation.engine import Engine, EngineConfig
from packlife.simulation.stepping import after_step, apply_setpoints, workspace
from packlife.simulation.system import build_systems
from packlife.site.arrays import input_efficiencies
from packlife.site.inputs import build_inputs
from packlife.site.scenario import Scenario

# scale factors the virtual devices publish (10 W, 10 Wh, 0.01 %, 0.1 °C resolution)
_SF = {"W": 1, "WH": 1, "PCT": -2, "TMP": -1}


class PackDriver:
    """Applies each pack's set-point to the engine step by step, exactly as the simulator's site
    loop does (:func:`packlife.simulation.stepping.apply_setpoints`, then ageing and traces)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dt = engine.config.dt_s
        self.age_every = int(round(engine.config.ageing_interval_s / dt))
        self.out_every = int(round(engine.config.output_interval_s / dt))
        self.ws = workspace(0, engine.P, engine.S, engine.tables, dt)
        self.lim = np.zeros((engine.P.shape[1], K.N_L))  # unused with fresh=False
        self._compile()

    def _compile(self) -> None:
        """Run one step on copies so numba compiles now, not inside the first tick."""
        P, S, A, _B, SH, tr_acc, trace, _, _ = self.engine.state_arrays()
        cp = [x.copy() for x in (P, S, A, SH, tr_acc, trace)]
        ws = workspace(0, cp[0], cp[1], self.engine.tables, self.engine.config.dt_s)
        bus = np.empty(P.shape[1])
        apply_setpoints(0, np.zeros(P.shape[1]), False, self.engine.config.dt_s, 20.0, cp[0],
                        cp[1], cp[2], cp[3], self.engine.tables, ws, cp[4], bus,
                        np.zeros((P.shape[1], K.N_L)))  # fmt: skip
        after_step(0, 1, cp[0], cp[1], cp[2], self.engine.tables, self.age_every,
                   self.engine.config.ageing, self.out_every, cp[4], cp[5])  # fmt: skip

    def drive(self, pack_power_w: FloatArray, ambient_c: FloatArray) -> FloatArray:
        """Hold ``pack_power_w`` [W, bus side] for ``len(ambient_c)`` steps; returns each pack's
        mean bus power delivered [W]."""
        eng = self.engine
        P, S, A, _B, SH, tr_acc, trace, _, _ = eng.state_arrays()
        dt = eng.config.dt_s
        sp = np.ascontiguousarray(pack_power_w, dtype=float)
        bus = np.empty(P.shape[1])
        acc = np.zeros(P.shape[1])
        for amb in ambient_c:
            apply_setpoints(0, sp, False, dt, float(amb), P, S, A, SH, eng.tables, self.ws,
                            tr_acc, bus, self.lim)  # fmt: skip
            acc += bus
            eng.advance_clock(1)
            g = int(round(eng.time_s / dt))
            after_step(0, g, P, S, A, eng.tables, self.age_every, eng.config.ageing,
                       self.out_every, tr_acc, trace)  # fmt: skip
        return acc / max(ambient_c.size, 1)


class VirtualPlant:
    """Engine + register images of a scenario's packs and inputs (see the module docstring)."""

    def __init__(
        self,
        scenario: Scenario,
        time_scale: float,
        hb_timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.scenario = scenario
        self.time_scale = time_scale
        self._wall = clock
        self._t0 = clock()
        sim = scenario.simulation
        self.dt_s = sim.step_s
        self.ctrl_s = sim.control_interval_s or sim.step_s
        self.n_ctrl = int(round(sim.days * 86400.0 / self.ctrl_s))
        packs = list(scenario.bess.packs)
        if scenario.bess.soc_initial is not None:
            packs = [p.model_copy(update={"soc_initial": scenario.bess.soc_initial}) for p in packs]
        self.serials = [p.serial or f"pack-{i}" for i, p in enumerate(packs)]
        self.engine = Engine(
            build_systems([packs], ambient_c=scenario.ambient.mean_temperature_c),
            EngineConfig(
                dt_s=self.dt_s, output_interval_s=sim.output_interval_s, ageing=sim.ageing
            ),
            max_duration_s=self.n_ctrl * self.ctrl_s,
        )
        self.inputs = build_inputs(scenario, self.n_ctrl, self.ctrl_s)
        self.packs = [self._pack_device(i, p.catalog_id, hb_timeout_s) for i, p in enumerate(packs)]
        self.pcs = {
            s.name: self._pcs_device(s.name, s.max_power_kw * 1000.0) for s in scenario.sources
        }
        self.delivered_wh = 0.0
        self.source_wh = {s.name: 0.0 for s in scenario.sources}
        self._bus_need_wh = 0.0
        self.driver = PackDriver(self.engine)
        self.refresh()

    # ------------------------------------------------------------ clock
    def now_s(self) -> float:
        """Plant clock: simulated seconds since start (capped at the scenario's end)."""
        return min((self._wall() - self._t0) * self.time_scale, self.n_ctrl * self.ctrl_s)

    def done(self) -> bool:
        """Whether the scenario's duration has been simulated."""
        return self.engine.time_s >= self.n_ctrl * self.ctrl_s - 1e-9

    # ------------------------------------------------------------ devices
    def _pack_device(self, i: int, catalog_id: str, hb_timeout_s: float) -> VirtualSunSpecDevice:
        model = get_pack_model(catalog_id)
        rating = float(self.engine.P[0, i, K.P_CONV_RATED_W])
        values: dict[int, dict[str, int | str | None]] = {
            1: {"Mn": "packlife virtual", "Md": catalog_id[:32], "SN": self.serials[i], "DA": 1},
            713: {
                "WHRtg": sm.raw_for(model.gross_energy_kwh * 1000.0, _SF["WH"]),
                "WH_SF": _SF["WH"],
                "Pct_SF": _SF["PCT"],
                "Sta": 1,
            },
            802: {
                "SoC_SF": _SF["PCT"],
                "SoH_SF": _SF["PCT"],
                "WChaDisChaMax_SF": _SF["W"],
                "W_SF": _SF["W"],
                "State": 3,
                "Evt1": 0,
                "Typ": 4,
                "LocRemCtl": 0,
                "SoCMax": sm.raw_for(float(self.engine.P[0, i, K.P_SOC_MAX]) * 100, _SF["PCT"]),
                "SoCMin": sm.raw_for(float(self.engine.P[0, i, K.P_SOC_MIN]) * 100, _SF["PCT"]),
            },
            803: {
                "NStr": 1,
                "NStrCon": 1,
                "ModTmp_SF": _SF["TMP"],
                "SoC_SF": _SF["PCT"],
                "SoH_SF": _SF["PCT"],
                "string.0.StrSetCon": 1,
                "string.0.StrSetEna": 1,
            },
            704: {"WSet_SF": 0, "WSetEna": 0, "WSetMod": 1},
        }
        return VirtualSunSpecDevice(
            f"pack[{i}]", sm.PACK_MODELS, values, rating, self.now_s, hb_timeout_s
        )

    def _pcs_device(self, name: str, rating_w: float) -> VirtualSunSpecDevice:
        values: dict[int, dict[str, int | str | None]] = {
            1: {"Mn": "packlife virtual", "Md": "PCS", "SN": name, "DA": 1},
            702: {"W_SF": _SF["W"], "WMaxRtg": sm.raw_for(rating_w, _SF["W"])},
            704: {"WSet_SF": 0, "WSetEna": 0, "WSetMod": 1},
        }
        return VirtualSunSpecDevice(
            f"pcs {name}", sm.PCS_MODELS, values, rating_w * 1.5, self.now_s
        )

    def pack_command_w(self, i: int) -> float:
        """Bus power pack ``i``'s converter runs at (0 with its contactor open) [W]."""
        dev = self.packs[i]
        if dev.get(803, "string.0.StrSetCon") == 2 or not dev.heartbeat_ok():
            return 0.0
        return dev.effective_wset_w()

    # ------------------------------------------------------------ stepping
    def tick(self, sinks_bus_wh: float = 0.0) -> bool:
        """Advance the engine to the plant clock and refresh every register image.

        ``sinks_bus_wh`` is the energy the outputs took from the DC bus since the last tick that
        advanced [Wh]. The inputs close the bus balance (:meth:`_book_sources`). Returns whether
        the engine advanced (the sinks were booked).
        """
        target = int(math.floor(self.now_s() / self.dt_s + 1e-9))
        n = target - int(round(self.engine.time_s / self.dt_s))
        if n <= 0:
            return False
        cmd = np.array([self.pack_command_w(i) for i in range(len(self.packs))])
        for i, dev in enumerate(self.packs):
            joined = dev.get(803, "string.0.StrSetCon") != 2 and dev.heartbeat_ok()
            self.engine.set_joined(0, i, joined)
        k0 = int(round(self.engine.time_s / self.dt_s))
        amb = self.inputs.ambient_c[k0 : k0 + n]
        if amb.size == 0:
            return False
        pack_bus = self.driver.drive(cmd, amb)
        delivered = np.full(amb.size, float(np.sum(pack_bus)))
        self.delivered_wh += float(np.sum(delivered)) * self.dt_s / 3600.0
        duration_s = amb.size * self.dt_s
        bess_wh = float(np.sum(delivered)) * self.dt_s / 3600.0
        self._book_sources((sinks_bus_wh - bess_wh) * 3600.0 / duration_s, duration_s)
        self.refresh(pack_bus)
        return True

    def _book_sources(self, needed_bus_w: float, duration_s: float) -> None:
        """The inputs are the bus slack: they supply what the sinks took and the BESS did not
        give, split in proportion to their commands; a surplus (timing between the station's and
        the plant's ticks) is carried to the next booking rather than booked as export."""
        self._bus_need_wh += needed_bus_w * duration_s / 3600.0
        if self._bus_need_wh <= 0.0:
            return
        eff = input_efficiencies(self.scenario)
        cmd = {k: max(-d.effective_wset_w(), 0.0) for k, d in self.pcs.items()}
        total = sum(cmd.values())
        share = {k: (c / total if total > 0 else 1.0 / len(cmd)) for k, c in cmd.items()}
        for k in cmd:
            self.source_wh[k] += self._bus_need_wh * share[k] / eff[k]
        self._bus_need_wh = 0.0

    def refresh(self, pack_bus_w: FloatArray | None = None) -> None:
        """Write the engine's state into the pack images and the inputs into the PCS images."""
        snap = self.engine.snapshot()
        for i, dev in enumerate(self.packs):
            p = float(pack_bus_w[i]) if pack_bus_w is not None else 0.0
            joined = snap.joined[0, i] > 0.5
            dev.set_points(
                802,
                {
                    "SoC": sm.raw_for(float(snap.soc[0, i]) * 100, _SF["PCT"]),
                    "SoH": sm.raw_for(float(snap.soh[0, i]) * 100, _SF["PCT"]),
                    "WDisChaRteMax": sm.raw_for(float(snap.bus_discharge_limit_w[0, i]), _SF["W"]),
                    "WChaRteMax": sm.raw_for(float(snap.bus_charge_limit_w[0, i]), _SF["W"]),
                    "W": sm.raw_for(p, _SF["W"]),
                    "State": 3 if joined else 1,
                },
            )
            dev.set_points(
                713,
                {
                    "WHAvail": sm.raw_for(float(snap.usable_discharge_energy_wh[0, i]), _SF["WH"]),
                    "SoC": sm.raw_for(float(snap.soc[0, i]) * 100, _SF["PCT"]),
                    "SoH": sm.raw_for(float(snap.soh[0, i]) * 100, _SF["PCT"]),
                },
            )
            dev.set_points(
                803, {"ModTmpMax": sm.raw_for(float(snap.temperature_c[0, i]), _SF["TMP"])}
            )
        c = min(int(self.engine.time_s // self.ctrl_s), self.n_ctrl - 1)
        for name, dev in self.pcs.items():
            avail = float(self.inputs.available_w[name][c])
            dev.set_points(702, {"WChaRteMax": sm.raw_for(avail, _SF["W"])})
