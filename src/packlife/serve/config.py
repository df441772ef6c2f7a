"""Configuration of ``packlife serve``: a scenario TOML (as for ``simulate``) plus ``[devices]``.

Example (added to a scenario file)::

    [devices]
    period_s = 1.0              # control period (wall clock) [s]
    stale_cycles = 2            # a reading older than this many periods is missing
    revert_cycles = 5           # 704 WSetRvrtTms = this many periods (device reverts to 0 W)
    deadband_w = 50.0           # a pack set-point change smaller than this is not written [W]
    store_url = "sqlite:///serve.db"

    [[devices.packs]]           # one per [[bess.packs]], in the same order
    host = "10.0.0.11"
    port = 502
    unit_id = 1

    [[devices.pcs]]             # one per input that has a controllable converter
    source = "site_supply"
    host = "10.0.0.20"
    port = 502

    [devices.ocpp]              # optional: the CSMS charging stations connect to
    port = 9000
    default_limit_w = 0.0       # TxDefault a station falls back to (default 0 W)
    [[devices.ocpp.stations]]   # EVSEs of all stations = [vehicles] outputs, in order
    id = "DC1"
    evses = 9

    [devices.mqtt]              # optional
    host = "127.0.0.1"
    port = 1883
    topic = "packlife/site1"

A malformed section fails with the file and the field named (:class:`DataFileError`, exit 2).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from packlife.datafiles import load_model, read_toml
from packlife.errors import DataFileError
from packlife.site.scenario import BUILTIN_DIR, Scenario


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModbusDevice(_Strict):
    """A Modbus/TCP SunSpec device."""

    host: str
    port: int = Field(502, ge=1, le=65535)
    unit_id: int = Field(1, ge=0, le=247)


class PcsDevice(ModbusDevice):
    """The converter of one scenario input."""

    source: str


class MqttSettings(_Strict):
    """Broker to publish telemetry to."""

    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    topic: str = Field("packlife/site", pattern=r"^[A-Za-z0-9_\-/]+$")
    keepalive_s: int = Field(10, ge=1, le=3600)


class StationSettings(_Strict):
    """One OCPP 2.0.1 charging station; its EVSEs take the next outputs in order."""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$")
    evses: int = Field(ge=1, le=9)


class OcppSettings(_Strict):
    """The CSMS: where stations connect and the profiles it installs."""

    host: str = "127.0.0.1"
    port: int = Field(9000, ge=0, le=65535, description="0 = a free port")
    default_limit_w: float = Field(0.0, ge=0.0, description="TxDefault when the EMS is gone")
    station_max_w: float | None = Field(None, gt=0.0, description="default: EVSEs × connector")
    stations: list[StationSettings] = Field(min_length=1)


class DevicesConfig(_Strict):
    """The ``[devices]`` section (see the module docstring)."""

    period_s: float = Field(1.0, gt=0.0, le=60.0)
    stale_cycles: float = Field(2.0, ge=1.0, le=100.0)
    revert_cycles: int = Field(5, ge=2, le=1000)
    deadband_w: float = Field(0.0, ge=0.0)
    store_url: str = "sqlite:///serve.db"
    packs: list[ModbusDevice] = Field(default_factory=list)
    pcs: list[PcsDevice] = Field(default_factory=list)
    ocpp: OcppSettings | None = None
    mqtt: MqttSettings | None = None


class ServeFile(_Strict):
    """A scenario with a ``[devices]`` section."""

    devices: DevicesConfig


def load_serve_config(name_or_path: str) -> tuple[Scenario, DevicesConfig, Path]:
    """Read a scenario with a ``[devices]`` section; check devices against the scenario."""
    path = Path(name_or_path)
    if not path.suffix:
        path = BUILTIN_DIR / f"{name_or_path}.toml"
    data = read_toml(path)
    section = data.pop("devices", None)
    scenario = load_model(path, Scenario, data)
    if not isinstance(section, dict):
        raise DataFileError(
            path, ["field 'devices': missing (add a [devices] section, or use --virtual)"]
        )
    devices = load_model(path, ServeFile, {"devices": section}).devices
    check_devices(scenario, devices, path)
    return scenario, devices, path


def check_devices(scenario: Scenario, devices: DevicesConfig, path: Path | str) -> None:
    """Devices must match the scenario: one pack device per pack, PCS of known inputs."""
    problems = []
    if len(devices.packs) != len(scenario.bess.packs):
        problems.append(
            f"field 'devices.packs': {len(devices.packs)} devices for "
            f"{len(scenario.bess.packs)} packs in [bess] (one per pack, same order)"
        )
    names = {s.name for s in scenario.sources}
    for i, p in enumerate(devices.pcs):
        if p.source not in names:
            problems.append(
                f"field 'devices.pcs.{i}.source': unknown input {p.source!r} "
                f"(inputs: {', '.join(sorted(names)) or 'none'})"
            )
    if devices.ocpp is not None:
        n = sum(st.evses for st in devices.ocpp.stations)
        outputs = scenario.vehicles.outputs if scenario.vehicles else 0
        if n != outputs:
            problems.append(
                f"field 'devices.ocpp.stations': {n} EVSEs for {outputs} outputs in [vehicles]"
            )
    if problems:
        raise DataFileError(path, problems)
