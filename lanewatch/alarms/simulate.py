"""Realistic sensor traffic for demos, tests and load: `lanewatch alarms simulate`.

A seeded fleet of devices talks at a total rate (messages per second):

- electrical fire monitors: residual current (mA) and cable temperature (°C)
  drifting around their normal level, now and then climbing past the
  default alarm limits for a while (the rule engine raises the alarm);
- combustible gas detectors (%LEL) and hydrant/sprinkler pressure gauges
  (MPa), drifting, with rare excursions;
- NB-IoT smoke detectors: quiet, a heartbeat or a battery level now and then;
- with ``--gb``, user information transmission devices reporting their panel's
  components (smoke detectors, manual call points, heat detectors) as
  GB/T 26875.3 component status objects, and their clock as a heartbeat.

Every ``fire_every_s`` a random smoke detector or panel component reports a
fire, cleared by the device ``clear_after_s`` later; faults come and go at
random. Each device keeps to one path (HTTP or MQTT, alternating; GB/T
26875.3 components on their transmission device). The senders live in
`simulate_senders.py`.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from lanewatch.alarms.gb26875 import encode
from lanewatch.alarms.gb26875.info_objects import ComponentState
from lanewatch.alarms.messages import AlarmType, DeviceType, MessageKind, Quantity

JSON_PATHS = ("http", "mqtt")
GB_PATH = "gb"
GB_COMPONENTS_PER_DEVICE = 16
GB_COMPONENT_KINDS = ((42, "光电感烟探测器"), (23, "手动报警按钮"), (31, "感温探测器"))
FAULT_PROBABILITY = 0.002  # per message: a device reports a fault
EXCURSION_PROBABILITY = 0.003  # per reading: a value starts climbing past its alarm limit


class SimulationOptions(BaseModel):
    """What to simulate. ``duration_s`` and/or ``count`` end the run (whichever comes first)."""

    model_config = ConfigDict(extra="forbid")

    devices: int = Field(50, ge=1, le=100_000, description="Devices on the HTTP/MQTT paths (GB components extra).")
    rate: float = Field(20.0, gt=0, le=100_000, description="Messages per second over all paths.")
    duration_s: float | None = Field(None, gt=0)
    count: int | None = Field(None, ge=1, description="Stop after this many messages.")
    fire_every_s: float | None = Field(60.0, gt=0, description="A fire alarm this often; None for none.")
    clear_after_s: float = Field(20.0, gt=0, description="The device reports back to normal after this long.")
    seed: int = 1
    paths: tuple[str, ...] = Field(min_length=1, description="Enabled paths: http, mqtt, gb.")

    @model_validator(mode="after")
    def _check(self) -> SimulationOptions:
        if self.duration_s is None and self.count is None:
            raise ValueError("give a duration or a count")
        unknown = set(self.paths) - {*JSON_PATHS, GB_PATH}
        if unknown:
            raise ValueError(f"unknown path(s): {', '.join(sorted(unknown))}")
        return self


@dataclass(slots=True)
class Outgoing:
    """One message to send: a JSON message object, or a GB/T 26875.3 object for a transmission device."""

    path: str
    device_id: str
    message: dict | None = None
    gb_address: str | None = None
    gb_info_type: int = 0
    gb_object: bytes = b""


@dataclass(slots=True)
class SimDevice:
    device_id: str
    device_type: DeviceType
    path: str
    level: dict[Quantity, float] = field(default_factory=dict)  # current reading per quantity
    excursion: dict[Quantity, float] = field(default_factory=dict)  # quantity -> end of the climb (monotonic s)
    battery: float = 100.0
    open_alarms: set[AlarmType] = field(default_factory=set)
    gb: tuple[str, int, int] | None = None  # transmission device address, component type, component address
    description: str = ""


# quantity: (normal level, noise per message, alarm level during an excursion, lowest, highest)
_READINGS: dict[DeviceType, dict[Quantity, tuple[float, float, float, float, float]]] = {
    DeviceType.ELECTRICAL: {
        Quantity.RESIDUAL_CURRENT_MA: (90.0, 8.0, 420.0, 0.0, 1000.0),
        Quantity.CABLE_TEMPERATURE_C: (38.0, 0.6, 78.0, -10.0, 140.0),
    },
    DeviceType.GAS: {Quantity.GAS_LEL_PCT: (1.0, 0.3, 32.0, 0.0, 100.0)},
    DeviceType.WATER_PRESSURE: {Quantity.PRESSURE_MPA: (0.35, 0.01, 0.06, 0.0, 2.0)},
}
_TALK_WEIGHT = {
    DeviceType.ELECTRICAL: 4.0,
    DeviceType.GAS: 2.0,
    DeviceType.WATER_PRESSURE: 1.0,
    DeviceType.SMOKE: 0.3,
    DeviceType.TRANSMISSION_DEVICE: 1.0,
}
_FLEET_MIX = (
    (DeviceType.ELECTRICAL, "elec", 3),
    (DeviceType.GAS, "gas", 2),
    (DeviceType.WATER_PRESSURE, "water", 2),
    (DeviceType.SMOKE, "smoke", 4),
)


class Fleet:
    """The devices and their state; `take(n, now)` makes the next ``n`` messages, scheduled events first."""

    def __init__(self, options: SimulationOptions) -> None:
        self.options = options
        self.rng = random.Random(options.seed)
        self.devices: list[SimDevice] = []
        self.sequence = 0
        self.fires = 0
        self._scheduled: list[tuple[float, SimDevice, AlarmType, bool]] = []  # (due, device, type, alarm?)
        self._next_fire = options.fire_every_s
        json_paths = [p for p in options.paths if p in JSON_PATHS]
        if json_paths:
            kinds = [k for k in _FLEET_MIX for _ in range(k[2])]
            for index in range(options.devices):
                device_type, prefix, _ = kinds[index % len(kinds)]
                device = SimDevice(
                    f"sim-{prefix}-{index:04d}",
                    device_type,
                    json_paths[index % len(json_paths)],
                    battery=self.rng.uniform(30, 100),
                )
                for quantity, (normal, *_rest) in _READINGS.get(device_type, {}).items():
                    device.level[quantity] = normal * self.rng.uniform(0.8, 1.2)
                self.devices.append(device)
        if GB_PATH in options.paths:
            transmitters = max(1, options.devices // (4 * GB_COMPONENTS_PER_DEVICE))
            for unit in range(transmitters):
                address = f"0000000a{unit + 1:04x}"
                self.devices.append(
                    SimDevice(f"gb:{address}", DeviceType.TRANSMISSION_DEVICE, GB_PATH, gb=(address, 0, 0))
                )
                for number in range(1, GB_COMPONENTS_PER_DEVICE + 1):
                    component_type, name = GB_COMPONENT_KINDS[number % len(GB_COMPONENT_KINDS)]
                    self.devices.append(
                        SimDevice(
                            f"gb:{address}:1-1:{number}",
                            DeviceType.SMOKE,
                            GB_PATH,
                            gb=(address, component_type, number),
                            description=f"{number}号{name}",
                        )
                    )
        self._weights = [
            _TALK_WEIGHT.get(d.device_type, 1.0) if d.gb is None or d.gb[1] == 0 else 0.05 for d in self.devices
        ]
        self._fire_capable = [d for d in self.devices if d.device_type is DeviceType.SMOKE]

    def take(self, count: int, now: float) -> list[Outgoing]:
        out: list[Outgoing] = []
        every = self.options.fire_every_s
        if self._next_fire is not None and every is not None and now >= self._next_fire and self._fire_capable:
            self._next_fire += every
            device = self.rng.choice(self._fire_capable)
            if AlarmType.FIRE not in device.open_alarms:
                self._scheduled.append((now, device, AlarmType.FIRE, True))
        self._scheduled.sort(key=lambda item: item[0])
        while self._scheduled and self._scheduled[0][0] <= now and len(out) < count:
            _, device, alarm_type, raise_it = self._scheduled.pop(0)
            out.append(self._alarm(device, alarm_type, raise_it, now))
        if len(out) < count:
            for device in self.rng.choices(self.devices, self._weights, k=count - len(out)):
                out.append(self._routine(device, now))
        return out

    def _alarm(self, device: SimDevice, alarm_type: AlarmType, raise_it: bool, now: float) -> Outgoing:
        if raise_it:
            self.fires += alarm_type is AlarmType.FIRE
            device.open_alarms.add(alarm_type)
            self._scheduled.append((now + self.options.clear_after_s, device, alarm_type, False))
        else:
            device.open_alarms.discard(alarm_type)
        if device.gb is not None:
            return self._gb_status(device)
        kind = MessageKind.ALARM if raise_it else MessageKind.CLEAR
        return self._json(device, kind=kind, alarm_type=alarm_type)

    def _routine(self, device: SimDevice, now: float) -> Outgoing:
        if self.rng.random() < FAULT_PROBABILITY and AlarmType.FAULT not in device.open_alarms:
            return self._alarm(device, AlarmType.FAULT, True, now)
        if device.gb is not None:
            if device.gb[1] == 0:
                return Outgoing(
                    GB_PATH,
                    device.device_id,
                    gb_address=device.gb[0],
                    gb_info_type=28,
                    gb_object=encode.device_time(_utcnow()),
                )
            return self._gb_status(device)
        readings = _READINGS.get(device.device_type)
        if readings is None:  # a battery smoke detector: mostly heartbeats, now and then its battery
            if self.rng.random() < 0.25:
                device.battery = max(0.0, device.battery - self.rng.uniform(0, 0.5))
                return self._json(device, kind=MessageKind.BATTERY, value=round(device.battery, 1))
            return self._json(device, kind=MessageKind.HEARTBEAT)
        quantity = self.rng.choice(list(readings))
        normal, noise, alarm_level, lowest, highest = readings[quantity]
        if quantity not in device.excursion and self.rng.random() < EXCURSION_PROBABILITY:
            device.excursion[quantity] = now + self.options.clear_after_s
        if device.excursion.get(quantity, 0.0) < now:
            device.excursion.pop(quantity, None)
        target = alarm_level if quantity in device.excursion else normal
        level = device.level[quantity] + 0.3 * (target - device.level[quantity]) + self.rng.gauss(0, noise)
        device.level[quantity] = min(highest, max(lowest, level))
        return self._json(device, kind=MessageKind.READING, quantity=quantity, value=round(device.level[quantity], 3))

    def _json(self, device: SimDevice, **fields: Any) -> Outgoing:
        self.sequence += 1
        message = {
            "device_id": device.device_id,
            "device_type": device.device_type.value,
            "device_time": _utcnow().isoformat(),
            "message_id": f"{device.device_id}-{self.sequence}",
        }
        message.update({k: (v.value if hasattr(v, "value") else v) for k, v in fields.items()})
        return Outgoing(device.path, device.device_id, message=message)

    def _gb_status(self, device: SimDevice) -> Outgoing:
        if device.gb is None:
            raise ValueError(f"{device.device_id} is not a GB/T 26875.3 device")
        address, component_type, number = device.gb
        status = ComponentState.NORMAL
        if AlarmType.FIRE in device.open_alarms:
            status |= ComponentState.FIRE
        if AlarmType.FAULT in device.open_alarms:
            status |= ComponentState.FAULT
        obj = encode.component_status(1, 1, component_type, number, status, device.description, _utcnow())
        return Outgoing(GB_PATH, device.device_id, gb_address=address, gb_info_type=2, gb_object=obj)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class PathStats:
    """Per path: messages sent, confirmed by the receiver (HTTP accepted/duplicate, MQTT PUBACK, GB confirm)."""

    sent: int = 0
    confirmed: int = 0
    errors: int = 0
    last_error: str | None = None


@dataclass(slots=True)
class SimulationSummary:
    paths: dict[str, PathStats]
    seconds: float
    fires: int

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.paths.values())


def run_simulation(
    options: SimulationOptions, senders: dict, *, stop: threading.Event | None = None, tick_s: float = 0.05
) -> SimulationSummary:
    """Send at ``options.rate`` until the duration or count is reached (or ``stop`` is set); close the senders."""
    fleet = Fleet(options)
    stop = stop or threading.Event()
    start = time.monotonic()
    sent = 0
    try:
        while not stop.is_set():
            now = time.monotonic() - start
            if options.duration_s is not None and now >= options.duration_s:
                break
            budget = (options.count - sent) if options.count is not None else 1 << 62
            if budget <= 0:
                break
            due = min(int(options.rate * now) + 1 - sent, budget, max(1, int(options.rate)))
            if due > 0:
                batch = fleet.take(due, now)
                by_path: dict[str, list[Outgoing]] = defaultdict(list)
                for item in batch:
                    by_path[item.path].append(item)
                for path, items in by_path.items():
                    senders[path].send(items)
                sent += len(batch)
            stop.wait(tick_s)
    finally:
        for sender in senders.values():
            sender.close()
    return SimulationSummary(
        {path: sender.stats for path, sender in senders.items()}, time.monotonic() - start, fleet.fires
    )
