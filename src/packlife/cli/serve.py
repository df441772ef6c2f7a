"""``packlife serve``: run the controller live against a site's devices (or a virtual site).

``packlife serve CONFIG`` / ``packlife serve --virtual SCENARIO`` run the site (``run`` is the
default subcommand); ``serve users``, ``serve api`` and ``serve report`` manage its users, serve
its web API alone and report a past period (:mod:`packlife.cli.serve_admin`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
from typing import Any

import numpy as np
import typer
from typer._click.core import Context
from typer.core import TyperGroup

from packlife.cli._common import console, err_console
from packlife.errors import PacklifeError


class _RunByDefault(TyperGroup):
    """``packlife serve X …`` means ``packlife serve run X …`` unless X is a subcommand."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_RunByDefault,
    help="Operate a live site (run is the default), its users, web API and reports.",
    no_args_is_help=False,
)


@app.command("run")
def serve_cmd(
    config: str | None = typer.Argument(
        None, help="Scenario TOML with a [devices] section (addresses of the real devices)."
    ),
    virtual: str | None = typer.Option(
        None,
        "--virtual",
        help="Run a virtual site of this scenario on 127.0.0.1 and control it over the wire.",
    ),
    time_scale: float = typer.Option(
        1.0, "--time-scale", help="Virtual site: simulated seconds per wall second."
    ),
    period: float | None = typer.Option(None, "--period", help="Control period (wall) [s]."),
    cycles: int | None = typer.Option(None, "--cycles", help="Stop after this many cycles."),
    days: float | None = typer.Option(
        None, "--days", help="Virtual site: simulate this many days (default: the scenario's)."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Telemetry store URL (default: the config's store_url)."
    ),
    record: bool = typer.Option(
        False,
        "--record",
        help="On stop, record each pack's operating summary in the registry (--registry-db).",
    ),
    registry_db: str | None = typer.Option(
        None,
        "--registry-db",
        envvar="PACKLIFE_DB_URL",
        help="Registry database URL for --record (default: local SQLite).",
    ),
    api: str = typer.Option(
        "127.0.0.1:8080",
        "--api",
        help="Serve the web API and dashboard on HOST:PORT (a separate process reading the "
        "store); 'off' for none.",
    ),
) -> None:
    """Operate a site: poll devices, decide with the simulator's controller, clamp, write, store.

    Events and warnings are logged (``packlife -v serve …`` for every event)."""
    # pymodbus logs every unanswered request with a frame dump; packlife logs the failure itself
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    if (config is None) == (virtual is None):
        raise PacklifeError(
            "give either a CONFIG file (a scenario with a devices section) or --virtual SCENARIO"
        )
    if time_scale <= 0:
        raise PacklifeError(f"--time-scale must be > 0, got {time_scale}")
    if period is not None and not 0 < period <= 60:
        raise PacklifeError(f"--period must lie in (0, 60] s, got {period}")
    if days is not None and not 0 < days <= 366:
        raise PacklifeError(f"--days must lie in (0, 366], got {days}")
    bind = None if api == "off" else parse_bind(api)
    asyncio.run(
        _serve(
            config,
            virtual,
            time_scale,
            period,
            cycles,
            db,
            days,
            registry_db if record else None,
            bind,
            registry_db,
        )
    )


def parse_bind(text: str, option: str = "--api") -> tuple[str, int]:
    """``HOST:PORT`` → (host, port); exit 2 with the expected form otherwise."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise PacklifeError(f"{option} must be HOST:PORT (e.g. 127.0.0.1:8080), got {text!r}")
    return host, int(port)


def start_api(store_url: str, bind: tuple[str, int], registry_url: str | None) -> Any:
    """Start ``packlife serve api`` as a child process (it exits when this process is gone)."""
    import os

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise PacklifeError(
            "the web API needs the 'api' extra: pip install 'packlife[api,db]' (or --api off)"
        ) from None
    cmd = [sys.executable, "-m", "packlife.cli.main", "serve", "api", "--db", store_url]
    cmd += ["--bind", f"{bind[0]}:{bind[1]}", "--parent-pid", str(os.getpid())]
    if registry_url:
        cmd += ["--registry-db", registry_url]
    return subprocess.Popen(cmd)


async def _serve(
    config: str | None,
    virtual: str | None,
    time_scale: float,
    period: float | None,
    cycles: int | None,
    db: str | None,
    days: float | None,
    record_to: str | None,
    bind: tuple[str, int] | None = None,
    registry_url: str | None = None,
) -> None:
    from packlife.cli.simulate import _sessions  # the same sessions `packlife simulate` uses
    from packlife.serve.app import build_runtime
    from packlife.serve.config import DevicesConfig, load_serve_config
    from packlife.serve.store import TelemetryStore
    from packlife.serve.virtual.site import VirtualSite
    from packlife.site.scenario import load_scenario

    site: VirtualSite | None = None
    if virtual is not None:
        scenario, path = load_scenario(virtual)
        if days is not None:
            sim = scenario.simulation.model_copy(update={"days": days})
            scenario = scenario.model_copy(update={"simulation": sim})
        base = DevicesConfig(period_s=period or 1.0)
        site = VirtualSite(
            scenario, time_scale, base.period_s, sessions=_sessions(scenario, path, None)
        )
        devices = await site.start(base)
        clock = site.plant.now_s
    else:
        assert config is not None
        scenario, devices, _ = load_serve_config(config)
        if period is not None:
            devices = devices.model_copy(update={"period_s": period})
        clock = None
        time_scale = 1.0
    store = TelemetryStore(db or devices.store_url)
    runtime = build_runtime(scenario, devices, time_scale, clock, store)
    if site is not None and runtime.csms is not None:
        await runtime.start()
        await site.connect_stations(runtime.csms.port)
    _announce(scenario.name, devices, store.url, time_scale, site is not None, runtime.csms)
    api_proc = start_api(store.url, bind, registry_url) if bind is not None else None
    if bind is not None:
        err_console.print(
            f"  web API and dashboard http://{bind[0]}:{bind[1]}/ "
            "(keys: packlife serve users add NAME --role viewer|operator|admin)"
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = asyncio.create_task(_stop_when_done(site, stop)) if site else None
    try:
        stats = await runtime.run(stop, max_cycles=cycles)
    finally:
        if api_proc is not None:
            api_proc.terminate()
            api_proc.wait(timeout=10)
        if watcher is not None:
            watcher.cancel()
        if site is not None:
            await site.stop()
        if record_to is not None:
            from packlife.serve.records import operating_summaries, record_run

            n = record_run(record_to, operating_summaries(store, runtime.run_id, scenario))
            console.print(f"recorded operating summaries of {n} packs in the registry")
        store.close()
    late = np.asarray(stats.lateness_s) * 1000.0
    console.print(
        f"stopped after {stats.cycles} cycles; set-points returned to 0 W. Cycle lateness "
        f"p50 {np.percentile(late, 50):.1f} ms, p99 {np.percentile(late, 99):.1f} ms "
        f"(period {devices.period_s * 1000:.0f} ms); telemetry in {store.url} run {runtime.run_id}"
        if stats.cycles
        else "stopped before the first cycle"
    )
    if site is not None:
        p = site.plant
        console.print(
            f"virtual site: {p.engine.time_s / 3600:.2f} h simulated; energy to vehicles "
            f"{site.queue.energy_wh / 1000:.2f} kWh; BESS at the bus "
            f"{p.delivered_wh / 1000:.2f} kWh (discharge +); from inputs "
            + ", ".join(f"{k} {v / 1000:.2f} kWh" for k, v in p.source_wh.items())
        )


async def _stop_when_done(site: object, stop: asyncio.Event) -> None:
    from packlife.serve.virtual.site import VirtualSite

    assert isinstance(site, VirtualSite)
    while not site.plant.done():
        await asyncio.sleep(site.period_s)
    stop.set()


def _announce(
    name: str, devices: object, store_url: str, time_scale: float, virtual: bool, csms: object
) -> None:
    from packlife.serve.config import DevicesConfig

    assert isinstance(devices, DevicesConfig)
    kind = f"virtual site ×{time_scale:g}" if virtual else "site"
    err_console.print(f"packlife serve — {name} ({kind}), period {devices.period_s:g} s")
    for i, d in enumerate(devices.packs):
        err_console.print(f"  pack[{i}]  SunSpec Modbus/TCP {d.host}:{d.port} unit {d.unit_id}")
    for d in devices.pcs:
        err_console.print(
            f"  pcs {d.source}  SunSpec Modbus/TCP {d.host}:{d.port} unit {d.unit_id}"
        )
    if devices.ocpp is not None:
        port = getattr(csms, "port", devices.ocpp.port)
        for st in devices.ocpp.stations:
            err_console.print(
                f"  station {st.id} ({st.evses} EVSEs)  OCPP 2.0.1 CSMS "
                f"ws://{devices.ocpp.host}:{port}/{st.id}"
            )
    if devices.mqtt is not None:
        m = devices.mqtt
        err_console.print(f"  MQTT {m.host}:{m.port} topic {m.topic}/…")
    err_console.print(f"  telemetry store {store_url}; Ctrl-C stops with set-points at 0 W")
