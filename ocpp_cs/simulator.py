"""Simulated OCPP 1.6 stations: boot, heartbeat, status per connector, RFID sessions with meter values,
reconnect with the messages produced while offline sent afterwards.

Used by ``csms simulate``, by tests and by the benchmarks; built on the ``ocpp`` library's client ChargePoint.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ClientChargePoint
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action
from websockets.typing import Subprotocol

log = logging.getLogger("csms.simulator")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Session:
    connector_id: int
    id_tag: str
    meter_wh: int
    transaction_id: int | None = None  # known once the StartTransaction (maybe queued) was answered
    draw_a: float = 16.0  # what the car would draw; MeterValues report it within the charging profile's limit


class _Client(ClientChargePoint):
    """Answers the CSMS->station calls the way a simple station does."""

    sim: SimulatedStation

    async def _handle_call(self, msg: Any) -> Any:
        if msg.action in self.sim.silent:  # a station that never answers this action (tests)
            self.sim.unanswered.append((msg.action, msg.payload))
            return None
        return await super()._handle_call(msg)

    @on(Action.get_configuration)
    async def on_get_configuration(self, key: list[str] | None = None, **_: Any) -> Any:
        sim = self.sim
        keys = [{"key": k, "readonly": k in sim.readonly_keys, "value": v} for k, v in sim.configuration.items()]
        if key:
            keys = [k for k in keys if k["key"] in key]
            unknown = [k for k in key if k not in sim.configuration]
            if unknown:
                return call_result.GetConfiguration(configuration_key=keys, unknown_key=unknown)
        return call_result.GetConfiguration(configuration_key=keys)

    @on(Action.change_configuration)
    async def on_change_configuration(self, key: str, value: str, **_: Any) -> Any:
        if key not in self.sim.configuration:
            return call_result.ChangeConfiguration(status="NotSupported")
        if key in self.sim.readonly_keys or "ChangeConfiguration" in self.sim.refuse:
            return call_result.ChangeConfiguration(status="Rejected")
        self.sim.configuration[key] = value
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> Any:
        connector = connector_id or 1
        if "RemoteStartTransaction" in self.sim.refuse or connector in self.sim.sessions:
            return call_result.RemoteStartTransaction(status="Rejected")
        # AuthorizeRemoteTxRequests=false (the usual default): no Authorize.req before a remote start.
        asyncio.get_running_loop().create_task(self.sim.start_session(connector, id_tag, authorize=False))
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int, **_: Any) -> Any:
        for session in self.sim.sessions.values():
            if session.transaction_id == transaction_id:
                asyncio.get_running_loop().create_task(self.sim.stop_session(session.connector_id, "Remote"))
                return call_result.RemoteStopTransaction(status="Accepted")
        return call_result.RemoteStopTransaction(status="Rejected")

    @on(Action.trigger_message)
    async def on_trigger(self, requested_message: str, connector_id: int | None = None, **_: Any) -> Any:
        if requested_message == "Heartbeat":
            asyncio.get_running_loop().create_task(self.sim.send(call.Heartbeat()))
            return call_result.TriggerMessage(status="Accepted")
        if requested_message == "StatusNotification":
            status = "Charging" if connector_id in self.sim.sessions else "Available"
            notification = call.StatusNotification(connector_id=connector_id or 0, error_code="NoError", status=status)
            asyncio.get_running_loop().create_task(self.sim.send(notification))
            return call_result.TriggerMessage(status="Accepted")
        return call_result.TriggerMessage(status="NotImplemented")

    @on(Action.unlock_connector)
    async def on_unlock(self, connector_id: int, **_: Any) -> Any:
        return call_result.UnlockConnector(status=self._answer("UnlockConnector", "Unlocked", "UnlockFailed"))

    @on(Action.reset)
    async def on_reset(self, type: str, **_: Any) -> Any:  # noqa: A002 - OCPP field name
        status = self._answer("Reset")
        if status == "Accepted" and self.sim.reboot_on_reset:
            self._later(self.sim.reboot(f"{type}Reset"))
        return call_result.Reset(status=status)

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id: int, type: str, **_: Any) -> Any:  # noqa: A002
        return call_result.ChangeAvailability(status=self._answer("ChangeAvailability"))

    @on(Action.clear_cache)
    async def on_clear_cache(self, **_: Any) -> Any:
        return call_result.ClearCache(status=self._answer("ClearCache"))

    def _answer(self, action: str, yes: str = "Accepted", no: str = "Rejected") -> str:
        return no if action in self.sim.refuse else yes

    def _later(self, coro: Any) -> None:
        self.sim.tasks.add(task := asyncio.get_running_loop().create_task(coro))
        task.add_done_callback(self.sim.tasks.discard)

    @on(Action.update_firmware)
    async def on_update_firmware(self, location: str, retrieve_date: str, **_: Any) -> Any:
        self._later(self.sim.update_firmware(location))
        return call_result.UpdateFirmware()

    @on(Action.get_diagnostics)
    async def on_get_diagnostics(self, location: str, **_: Any) -> Any:
        name = f"{self.sim.charge_box_id}-diagnostics.log"

        async def upload() -> None:
            await self.sim.send(call.DiagnosticsStatusNotification(status="Uploading"))
            try:
                async with httpx.AsyncClient(timeout=30) as http:
                    response = await http.put(f"{location.rstrip('/')}/{name}", content=self.sim.diagnostics)
                status = "Uploaded" if response.status_code < 300 else "UploadFailed"
            except httpx.HTTPError:
                status = "UploadFailed"
            await self.sim.send(call.DiagnosticsStatusNotification(status=status))

        self._later(upload())
        return call_result.GetDiagnostics(file_name=name)

    @on(Action.send_local_list)
    async def on_send_local_list(self, list_version: int, update_type: str, **kwargs: Any) -> Any:
        if "SendLocalList" in self.sim.refuse:
            return call_result.SendLocalList(status="Failed")
        entries = kwargs.get("local_authorization_list") or []
        if update_type == "Full":
            self.sim.local_list.clear()
        for entry in entries:
            if entry.get("id_tag_info"):
                self.sim.local_list[entry["id_tag"]] = entry["id_tag_info"]["status"]
            else:
                self.sim.local_list.pop(entry["id_tag"], None)
        self.sim.local_list_version = list_version
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    async def on_get_local_list_version(self, **_: Any) -> Any:
        return call_result.GetLocalListVersion(list_version=self.sim.local_list_version)

    @on(Action.reserve_now)
    async def on_reserve_now(self, connector_id: int, reservation_id: int, **_: Any) -> Any:
        if connector_id in self.sim.sessions:
            return call_result.ReserveNow(status="Occupied")
        status = self._answer("ReserveNow")
        if status == "Accepted":
            self.sim.reservations[reservation_id] = connector_id
        return call_result.ReserveNow(status=status)

    @on(Action.cancel_reservation)
    async def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        found = self.sim.reservations.pop(reservation_id, None) is not None
        return call_result.CancelReservation(status="Accepted" if found else "Rejected")

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any) -> Any:
        status = self._answer("SetChargingProfile")
        if status == "Accepted":
            self.sim.charging_profiles[cs_charging_profiles["charging_profile_id"]] = (
                connector_id, cs_charging_profiles
            )  # fmt: skip
            if self.sim.on_profile is not None:
                self.sim.on_profile(self.sim)
        return call_result.SetChargingProfile(status=status)

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(self, id: int | None = None, **_: Any) -> Any:  # noqa: A002
        if id is not None:
            found = self.sim.charging_profiles.pop(id, None) is not None
        else:
            found = bool(self.sim.charging_profiles)
            self.sim.charging_profiles.clear()
        return call_result.ClearChargingProfile(status="Accepted" if found else "Unknown")

    @on(Action.get_composite_schedule)
    async def on_get_composite_schedule(self, connector_id: int, duration: int, **kwargs: Any) -> Any:
        profiles = [p for c, p in self.sim.charging_profiles.values() if c in (0, connector_id)]
        if not profiles:
            return call_result.GetCompositeSchedule(status="Rejected")
        schedule = json.loads(json.dumps(profiles[-1]["charging_schedule"], default=float))  # limits arrive as Decimal
        return call_result.GetCompositeSchedule(
            status="Accepted", connector_id=connector_id, schedule_start=_now(),
            charging_schedule={**schedule, "duration": duration},
        )  # fmt: skip

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **kwargs: Any) -> Any:
        if vendor_id != self.sim.vendor:
            return call_result.DataTransfer(status="UnknownVendorId")
        return call_result.DataTransfer(status="Accepted", data=f"echo:{kwargs.get('data', '')}")


@dataclass
class SimulatedStation:
    url: str  # ws://host:port/ocpp (the charge box id is appended)
    charge_box_id: str
    password: str
    connectors: int = 2
    vendor: str = "csms"
    model: str = "Simulator"
    heartbeat_interval: float | None = None  # None: the interval the CSMS sends in BootNotification.conf
    meter_interval: float = 60.0
    reconnect_delay: float = 1.0
    configuration: dict[str, str] = field(default_factory=lambda: {"HeartbeatInterval": "300"})
    readonly_keys: set[str] = field(default_factory=set)
    refuse: set[str] = field(default_factory=set)  # actions this station answers negatively (tests)
    silent: set[str] = field(default_factory=set)  # actions this station never answers (tests)
    unanswered: list[tuple[str, Any]] = field(default_factory=list)
    on_profile: Callable[[SimulatedStation], None] | None = None  # called after a profile was applied (tests)
    local_list: dict[str, str] = field(default_factory=dict)
    local_list_version: int = 0
    reservations: dict[int, int] = field(default_factory=dict)
    charging_profiles: dict[int, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    diagnostics: bytes = b"simulated diagnostics\n"
    reboot_on_reset: bool = False  # a real station restarts after an accepted Reset (csms simulate does)
    firmware_version: str = ""  # sent in BootNotification (when set)
    # UpdateFirmware: "download" or "install" makes that step fail (tests); each step takes firmware_step seconds;
    # after Installed a station with reboot_after_firmware boots again with firmware_after_update (default: the
    # file name of the firmware URL without its extension).
    firmware_failure: str = ""
    firmware_step: float = 0.0
    reboot_after_firmware: bool = False
    firmware_after_update: str = ""
    firmware_updates: int = 0  # UpdateFirmware requests received
    firmware_updating: bool = False  # between UpdateFirmware and its last FirmwareStatusNotification
    boot_on_reconnect: bool = True  # False: after a lost connection it reconnects without booting (sessions go on)
    boots: int = 0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    sessions: dict[int, Session] = field(default_factory=dict)
    queue: list[Callable[[], Any]] = field(default_factory=list)  # calls made while offline, in order
    boot_status: str = ""
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    _client: _Client | None = None
    _stop: bool = False
    _ws: Any = None

    async def _connect(self) -> None:
        auth = base64.b64encode(f"{self.charge_box_id}:{self.password}".encode()).decode()
        self._ws = await websockets.connect(
            f"{self.url.rstrip('/')}/{self.charge_box_id}",
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers={"Authorization": f"Basic {auth}"},
            max_size=65536,
        )
        client = _Client(self.charge_box_id, self._ws, response_timeout=30)
        client.sim = self
        self._client = client

    async def send(self, message: Any) -> Any:
        """Send now when connected; otherwise queue it (a real station keeps transaction messages).

        While older messages wait in the queue new ones go behind them, so Start comes before Meter/Stop.
        """
        if self._client is None or not self.connected.is_set() or self.queue:
            self.queue.append(lambda: message)
            return None
        try:
            return await self._client.call(message)
        except (websockets.ConnectionClosed, OSError):
            self.queue.append(lambda: message)
            return None

    async def _send_queued(self) -> None:
        while self.queue and self._client is not None:
            factory = self.queue[0]
            message = factory()
            result = await self._client.call(message)
            self.queue.pop(0)
            if isinstance(message, call.StartTransaction):
                self._remember_transaction(message, result)

    def _remember_transaction(self, message: Any, result: Any) -> None:
        session = self.sessions.get(message.connector_id)
        if session is not None and result is not None:
            session.transaction_id = result.transaction_id

    async def run(self) -> None:
        """Connect, boot, and keep the connection (reconnecting) until ``stop()``."""
        while not self._stop:
            try:
                await self._connect()
                assert self._client is not None
                reader = asyncio.create_task(self._client.start())
                # Booting ends with the connection: a call whose answer was cut off would wait out its 30 s timeout
                online = asyncio.create_task(self._online())
                try:
                    await asyncio.wait({reader, online}, return_when=asyncio.FIRST_COMPLETED)
                    if online.done():
                        online.result()
                    await reader
                finally:
                    online.cancel()
                    reader.cancel()
            except (websockets.ConnectionClosed, OSError, websockets.InvalidStatus, TimeoutError) as exc:
                log.info("%s: connection lost (%s)", self.charge_box_id, exc)
            finally:
                self.connected.clear()
                self._client = None
            if not self._stop:
                await asyncio.sleep(self.reconnect_delay)

    async def _online(self) -> None:
        assert self._client is not None
        if self.boots and not self.boot_on_reconnect:  # the connection was lost, the station kept running
            self.connected.set()
            await self._send_queued()
            asyncio.get_running_loop().create_task(self._heartbeats(300))
            return
        boot = await self._client.call(
            call.BootNotification(charge_point_vendor=self.vendor, charge_point_model=self.model,
                                  firmware_version=self.firmware_version or None)
        )  # fmt: skip
        self.boot_status = boot.status
        self.boots += 1
        self.connected.set()
        await self._send_queued()
        for connector in range(0, self.connectors + 1):
            status = "Charging" if connector in self.sessions else "Available"
            await self.send(call.StatusNotification(connector_id=connector, error_code="NoError", status=status))
        asyncio.get_running_loop().create_task(self._heartbeats(boot.interval))

    async def _heartbeats(self, interval: int) -> None:
        period = self.heartbeat_interval or interval or 300
        client = self._client
        while client is self._client and self.connected.is_set():
            await asyncio.sleep(period)
            if client is self._client and self.connected.is_set():
                await self.send(call.Heartbeat())

    async def start_session(self, connector_id: int, id_tag: str, authorize: bool = True) -> Session:
        session = Session(connector_id, id_tag, meter_wh=random.randint(0, 10_000) * 1000)
        self.sessions[connector_id] = session
        if authorize:
            await self.send(call.Authorize(id_tag=id_tag))
        await self.send(call.StatusNotification(connector_id=connector_id, error_code="NoError", status="Preparing"))
        start = call.StartTransaction(
            connector_id=connector_id, id_tag=id_tag, meter_start=session.meter_wh, timestamp=_now()
        )
        result = await self.send(start)
        if result is not None:
            self._remember_transaction(start, result)
        await self.send(call.StatusNotification(connector_id=connector_id, error_code="NoError", status="Charging"))
        return session

    def _meter_message(self, session: Session) -> Callable[[], Any]:
        reading = session.meter_wh
        stamp = _now()

        def build() -> Any:  # the transaction id may only be known when the message is finally sent
            return call.MeterValues(
                connector_id=session.connector_id,
                transaction_id=session.transaction_id,
                meter_value=[
                    {
                        "timestamp": stamp,
                        "sampledValue": [
                            {"value": str(reading), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                            {
                                "value": f"{self.current_draw(session):.1f}",
                                "measurand": "Current.Import",
                                "phase": "L1",
                                "unit": "A",
                            },
                        ],
                    }
                ],
            )

        return build

    def applied_limit(self, connector_id: int) -> float | None:
        """The current limit (A) in force on the connector: its TxDefaultProfile of the highest stack level, or the
        station-wide one (connector 0); None when no profile limits it."""
        candidates = [
            ((profile["stack_level"], connector == connector_id), profile)
            for connector, profile in self.charging_profiles.values()
            if profile["charging_profile_purpose"] == "TxDefaultProfile" and connector in (0, connector_id)
        ]
        if not candidates:
            return None
        profile = max(candidates, key=lambda item: item[0])[1]
        return float(profile["charging_schedule"]["charging_schedule_period"][0]["limit"])

    def current_draw(self, session: Session) -> float:
        limit = self.applied_limit(session.connector_id)
        return session.draw_a if limit is None else min(session.draw_a, limit)

    async def meter_tick(self, connector_id: int, wh: int = 500) -> None:
        session = self.sessions.get(connector_id)
        if session is None:
            return
        session.meter_wh += wh
        await self._send_built(self._meter_message(session))

    async def _send_built(self, build: Callable[[], Any]) -> None:
        if self._client is None or not self.connected.is_set() or self.queue:
            self.queue.append(build)
            return
        try:
            await self._client.call(build())
        except (websockets.ConnectionClosed, OSError):
            self.queue.append(build)

    async def stop_session(self, connector_id: int, reason: str = "Local") -> None:
        session = self.sessions.pop(connector_id, None)
        if session is None:
            return
        reading, stamp = session.meter_wh, _now()
        await self._send_built(
            lambda: call.StopTransaction(
                meter_stop=reading,
                timestamp=stamp,
                transaction_id=session.transaction_id or 0,
                reason=reason,
                id_tag=session.id_tag,
            )
        )
        await self.send(call.StatusNotification(connector_id=connector_id, error_code="NoError", status="Available"))

    async def charge_forever(self, id_tags: list[str], session_seconds: float = 1800.0) -> None:
        """Demo behaviour: sessions on free connectors with MeterValues every ``meter_interval`` seconds."""
        await self.connected.wait()
        while not self._stop:
            connector = random.randint(1, self.connectors)
            if connector not in self.sessions:
                await self.start_session(connector, random.choice(id_tags))
                elapsed = 0.0
                while elapsed < session_seconds and not self._stop:
                    await asyncio.sleep(self.meter_interval)
                    elapsed += self.meter_interval
                    await self.meter_tick(connector, wh=random.randint(100, 3000))
                await self.stop_session(connector)
            await asyncio.sleep(random.uniform(5, 60))

    async def update_firmware(self, location: str) -> None:
        """The steps of an UpdateFirmware, each reported by FirmwareStatusNotification; a failure on demand."""
        self.firmware_updates += 1
        self.firmware_updating = True
        try:
            installed = await self._firmware_steps()
        finally:
            self.firmware_updating = False
        if installed and self.reboot_after_firmware:
            name = location.rstrip("/").rsplit("/", 1)[-1]
            self.firmware_version = self.firmware_after_update or name.split(".")[0] or self.firmware_version
            await self.reboot("Reboot")

    async def _firmware_steps(self) -> bool:
        steps = (("Downloading", "Downloaded", "DownloadFailed", "download"),
                 ("Installing", "Installed", "InstallationFailed", "install"))  # fmt: skip
        for doing, done, failed, step in steps:
            await self.send(call.FirmwareStatusNotification(status=doing))
            await asyncio.sleep(self.firmware_step)
            if self.firmware_failure == step:
                await self.send(call.FirmwareStatusNotification(status=failed))
                return False
            await self.send(call.FirmwareStatusNotification(status=done))
        return True

    async def reboot(self, reason: str) -> None:
        """After an accepted Reset: end the sessions (StopTransaction with the reset as reason), restart, boot."""
        await asyncio.sleep(0.2)  # the Reset.conf goes out first
        for connector in list(self.sessions):
            await self.stop_session(connector, reason)
        await self.drop_connection()

    async def drop_connection(self) -> None:
        """Simulate a network loss: the socket closes, the station reconnects after ``reconnect_delay``."""
        self.connected.clear()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    async def stop(self) -> None:
        self._stop = True
        await self.drop_connection()


async def run_many(
    url: str,
    charge_box_ids: list[str],
    password: str,
    *,
    id_tags: list[str] | None = None,
    charging_share: float = 0.25,
    meter_interval: float = 60.0,
    on_ready: Callable[[list[SimulatedStation]], Awaitable[None]] | None = None,
) -> None:
    """``csms simulate``: run stations until cancelled; a share of them charges with the given id tags."""
    sims = [SimulatedStation(url, cb, password, meter_interval=meter_interval, reboot_on_reset=True,
                             reboot_after_firmware=True)
            for cb in charge_box_ids]  # fmt: skip
    tasks = [asyncio.create_task(sim.run()) for sim in sims]
    if id_tags:
        for sim in sims[: max(1, int(len(sims) * charging_share))]:
            tasks.append(asyncio.create_task(sim.charge_forever(id_tags)))
    if on_ready is not None:
        await on_ready(sims)
    try:
        await asyncio.gather(*tasks)
    finally:
        for sim in sims:
            await sim.stop()
