"""Faults: SIGKILL of serve (reversion, heartbeat), malformed frames, invalid configuration."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from packlife.errors import DataFileError
from packlife.serve.config import load_serve_config
from packlife.site.scenario import BUILTIN_DIR, Scenario

from .conftest import early_sessions, start_site, wait_cycles

SCENARIO_TOML = (BUILTIN_DIR / "jlr-test-site.toml").read_text()


def _devices_toml(
    ports: list[int], pcs_port: int, ocpp_port: int, period_s: float, db: Path
) -> str:
    lines = [
        "\n[devices]",
        f"period_s = {period_s}",
        "revert_cycles = 4",
        f'store_url = "sqlite:///{db}"',
    ]
    for p in ports:
        lines += ["[[devices.packs]]", 'host = "127.0.0.1"', f"port = {p}"]
    lines += [
        "[[devices.pcs]]",
        'source = "site_supply"',
        'host = "127.0.0.1"',
        f"port = {pcs_port}",
        "[devices.ocpp]",
        f"port = {ocpp_port}",
        "default_limit_w = 7000.0",
        "[[devices.ocpp.stations]]",
        'id = "VDC1"',
        "evses = 9",
    ]
    return "\n".join(lines) + "\n"


def test_sigkill_of_serve_reverts_pcs_and_stalls_heartbeat(
    scenario: Scenario, tmp_path: Path
) -> None:
    """A real `packlife serve` process controls the virtual site, then is SIGKILLed: the string
    converters revert to 0 W (704), the packs go safe on the stalled 802 heartbeat and the
    station falls back from its TxProfile to the TxDefault. A restarted serve re-learns the open
    transaction and commands the packs again; both runs' telemetry is stored, none twice."""
    period = 0.2

    async def main() -> tuple[list[float], list[float], list[float], tuple[float, str]]:
        from packlife.serve.virtual.devices import _free_port
        from packlife.serve.virtual.site import VirtualSite

        sessions = [replace(s, arrival_s=0.3) for s in early_sessions(1)]
        # real time: the device clock is the wall
        site = VirtualSite(scenario, 1.0, period, sessions=sessions)
        devices = await site.start()
        ocpp_port = _free_port()
        cfg = tmp_path / "site.toml"
        cfg.write_text(
            SCENARIO_TOML
            + _devices_toml(
                [d.port for d in devices.packs],
                devices.pcs[0].port,
                ocpp_port,
                period,
                tmp_path / "s.db",
            )
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "packlife.cli.main", "serve", str(cfg), "--api", "off"],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "serve.err").open("w"),
        )
        try:
            t0 = time.monotonic()
            while time.monotonic() - t0 < 30:
                try:
                    await site.connect_stations(ocpp_port)
                    break
                except OSError:
                    await asyncio.sleep(0.2)
            st = site.stations[0]
            while (
                site.plant.pack_command_w(0) == 0.0 or st.limit_w(1)[1] != "TxProfile"
            ) and time.monotonic() - t0 < 30:
                await asyncio.sleep(0.1)
            running = [site.plant.pack_command_w(i) for i in range(7)]
            tx_before = st.limit_w(1)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
            await asyncio.sleep(period * 2)
            still = [d.effective_wset_w() for d in site.plant.packs]
            await asyncio.sleep(period * 4)  # past WSetRvrtTms (≥ 1 s) and the heartbeat timeout
            after = [site.plant.pack_command_w(i) for i in range(7)]
            after += [d.effective_wset_w() for d in site.plant.pcs.values()]
            fallback = st.limit_w(1)
            # restart: a new serve re-learns the open transaction (TriggerMessage) and profiles
            proc = subprocess.Popen(
                [sys.executable, "-m", "packlife.cli.main", "serve", str(cfg), "--api", "off"],
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / "serve2.err").open("w"),
            )
            t1 = time.monotonic()
            while time.monotonic() - t1 < 30:
                try:
                    await site.connect_stations(ocpp_port)
                    break
                except OSError:
                    await asyncio.sleep(0.2)
            while (
                st.limit_w(1)[1] != "TxProfile" or site.plant.pack_command_w(0) == 0.0
            ) and time.monotonic() - t1 < 30:
                await asyncio.sleep(0.1)
            relearned = st.limit_w(1)
            resumed = [site.plant.pack_command_w(i) for i in range(7)]
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
            await site.stop()
        assert tx_before[1] == "TxProfile"
        return running, still, after, fallback, relearned, resumed

    running, still, after, fallback, relearned, resumed = asyncio.run(main())
    assert fallback == (7000.0, "TxDefaultProfile")  # within the 1 s TxProfile duration
    assert sum(abs(w) for w in running) > 500.0  # serve was commanding the packs
    assert any(w != 0.0 for w in still)  # a killed serve cannot zero anything itself
    assert after == [0.0] * 8  # reverted / safe without it
    # after the restart the transaction is re-learned: a TxProfile for it again, packs commanded
    assert relearned[1] == "TxProfile"
    assert sum(abs(w) for w in resumed) > 500.0
    # both runs' telemetry is stored apart and whole: in each run every cycle from the first to
    # the last is there once (no gap, none doubled), including the killed run's last cycles
    import sqlalchemy as sa

    eng = sa.create_engine(f"sqlite:///{tmp_path / 's.db'}")
    with eng.connect() as c:
        runs = c.execute(
            sa.text(
                "SELECT run_id, COUNT(*), COUNT(DISTINCT cycle), MIN(cycle), MAX(cycle) "
                "FROM serve_cycles GROUP BY run_id"
            )
        ).fetchall()
    assert len(runs) == 2
    for _, n, distinct, first, last in runs:
        assert n == distinct == last - first + 1


def test_malformed_writes_are_rejected_and_the_loop_keeps_running(
    scenario: Scenario, tmp_path: Path
) -> None:
    async def main() -> tuple[list[bool], int, int]:
        from pymodbus.client import AsyncModbusTcpClient

        from packlife.serve import sunspec_map as sm

        site, rt, store = await start_site(scenario, tmp_path)
        stop = asyncio.Event()
        task = asyncio.create_task(rt.run(stop))
        dev = site.plant.packs[0]
        base = dev.addr[704] + sm.layout(704).points["WSet"].offset
        hostile = AsyncModbusTcpClient("127.0.0.1", port=dev.port, timeout=1, retries=0)
        await hostile.connect()
        try:
            await wait_cycles(rt, 2)
            errors = [
                # WSet far above the converter rating
                (
                    await hostile.write_registers(
                        base, sm.encode_point(sm.layout(704).points["WSet"], 10**9)
                    )
                ).isError(),
                # half of an int32 point
                (await hostile.write_registers(base + 1, [7])).isError(),
                # a read-only point (802 SoC)
                (
                    await hostile.write_registers(
                        dev.addr[802] + sm.layout(802).points["SoC"].offset, [1]
                    )
                ).isError(),
                # beyond the end of the map
                (await hostile.read_holding_registers(49000, count=4)).isError(),
            ]
            cycles = rt.stats.cycles
            await wait_cycles(rt, 3)
        finally:
            hostile.close()
            stop.set()
            await task
            await site.stop()
            store.close()
        return errors, dev.rejected, rt.stats.cycles - cycles

    errors, rejected, more = asyncio.run(main())
    assert errors == [True, True, True, True]
    assert rejected == 3
    assert more >= 3


def test_a_device_with_a_wrong_map_is_stale_not_fatal(scenario: Scenario, tmp_path: Path) -> None:
    async def main() -> tuple[float, str]:
        site, rt, store = await start_site(scenario, tmp_path)
        site.plant.packs[1].regs[0] = 0x1234  # no "SunS" marker any more
        try:
            await rt.run(asyncio.Event(), max_cycles=4)
        finally:
            await site.stop()
            store.close()
        err = next(v for k, v in rt.cache.errors.items() if k.startswith("pack[1]"))
        return float(rt.previous.pack_power_w[1]), err

    power, err = asyncio.run(main())
    assert power == 0.0
    assert "SunSpec marker" in err


def test_invalid_devices_section_names_the_field(tmp_path: Path) -> None:
    cfg = tmp_path / "site.toml"
    cfg.write_text(SCENARIO_TOML + "\n[devices]\nperiod_s = -1\n")
    with pytest.raises(DataFileError, match=r"devices\.period_s"):
        load_serve_config(str(cfg))
    cfg.write_text(SCENARIO_TOML + '\n[devices]\n[[devices.packs]]\nhost = "x"\n')
    with pytest.raises(DataFileError, match=r"devices.packs': 1 devices for 7 packs"):
        load_serve_config(str(cfg))
    cfg.write_text(SCENARIO_TOML)
    with pytest.raises(DataFileError, match="'devices': missing"):
        load_serve_config(str(cfg))


def test_cli_invalid_config_exits_2(tmp_path: Path) -> None:
    cfg = tmp_path / "site.toml"
    cfg.write_text(SCENARIO_TOML + "\n[devices]\nbogus = 1\n")
    res = subprocess.run(
        [sys.executable, "-m", "packlife.cli.main", "serve", str(cfg), "--api", "off"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 2
    assert "devices.bogus" in res.stderr
    assert "Traceback" not in res.stderr


def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    """`packlife serve --virtual` prints what it controls; SIGINT stops it with exit status 0."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "packlife.cli.main",
            "serve",
            "--virtual",
            "jlr-test-site",
            "--time-scale",
            "600",
            "--period",
            "0.1",
            "--db",
            f"sqlite:///{tmp_path / 'c.db'}",
            "--api",
            "off",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            if "telemetry store" in line:
                break
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    head = "".join(lines)
    assert "pack[6]  SunSpec Modbus/TCP 127.0.0.1:" in head
    assert "station VDC1 (9 EVSEs)  OCPP 2.0.1 CSMS ws://127.0.0.1:" in head
    assert proc.returncode == 0, err
    assert "set-points returned to 0 W" in out
    assert "Traceback" not in err
