"""The Communications Hub: its HAN (coordinator and Trust Centre) and its GBCS WAN endpoint.

The CHF Device Log service: a GBCS command from the Access Control Broker arrives over the WAN
link, its MAC (keyed ACB <-> CHF) and anti-replay counter are checked, CCS01 registers a device in
the Device Log and opens its join window on the HAN with the install-code key, CCS02 removes it
(its TC link key kept in the historic log) and evicts it from the HAN, CCS03 restores removed
devices from the historic log with their keys; the CHF answers with the MAC'd DLMS ACCESS response
the RTDS CCS01/CCS02 responses show (one result per request specification; the command's counter
and supplementary fields). CCS06 reads the log with each device's link status
(``chf_han_check.py``).

After a change to the Device Log the CHF also raises the CS14 alert 0x8F12 "CHF Device Log
Changed" to the ACB, with the log's entries, laid out as the RTDS CS14 alert shows it.

A command that fails its checks is counted, never acted on, and answered with the generic alert
the gate names (0x8F1E malformed, 0x8F3D MAC or replay; ``gbcs_gate.py``) to the ACB. GBCS for a
device on the Device Log goes unjudged into that device's tunnel (GB-HGRP), and what the device
sends back goes to the WAN.

The sleepy GSME is the exception: GBCS for it waits in the hub's ``SleepyMailbox`` (persisted)
while the GPF's mirror shows TUNNEL_MESSAGE_PENDING; the GSME opens its own tunnel to the hub,
GETs each message and PUTs its answers, which go to the WAN. GBCS for the GPF goes to the GPF
(``gpf.py``), which shares the hub's node. The hub also serves the Time cluster (0x000A): Time
from the modelled clock, TimeStatus master and synchronised (the hub is the HAN's time source).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
from collections.abc import Coroutine
from typing import Any

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import (
    AlertCode,
    GeneralCiphering,
    GeneralSigning,
    KeyStore,
    MessageCode,
    decode_message,
)
from ..codec.gbcs.device_log import (
    ACTIVE_DEVICES,
    KEY_TYPE_INSTALL_CODE,
    ZIGBEE_NETWORK_CONTROL_CLASS,
    DeviceLogAttribute,
    DeviceLogMethod,
    HanDeviceType,
)
from ..codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    Data,
    DataAccessResult,
    DataType,
    date_time,
)
from ..codec.zcl.attributes import Side
from ..codec.zcl.ota import OTA_UPGRADE
from ..codec.zcl.time import TIME, TIME_STATUS_MASTER_SYNCHRONISED, utc_time
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import StateStore
from .attribute_server import AttributeServer, answer
from .chf_device_log import ChfDeviceLog, Registration
from .chf_han_check import active_devices
from .gbcs_gate import GbcsGate, Rejected
from .gpf import Gpf
from .hub_firmware import HubFirmware
from .mailbox import SleepyMailbox
from .ota_server import ImageDelivery, ServingProfile
from .partners import asn1_value
from .sub_ghz import DBCH_COMMANDS, SUB_GHZ, SubGhzFunction
from .tunnel import TUNNELING, TunnelClient, TunnelServer

DEFAULT_JOIN_TIMEOUT = 3600  # seconds; CCS01 sets it, JoinTimePeriod <= 3600 (DOMAIN.md §3)


class CommsHub:
    def __init__(
        self,
        han: HanPort,
        keystore: KeyStore,
        acb: Eui64,
        store: StateStore,
        clock: Clock | None = None,
        gpf: Gpf | None = None,
        sub_ghz: SubGhzFunction | None = None,
        *,
        supplier: Eui64 | None = None,
        ota_serving: dict[Eui64, ServingProfile] | None = None,
    ) -> None:
        self.han = han
        self.clock = clock
        self.keystore = keystore
        self.acb = Eui64(acb)
        self.store = store
        self.device_log = ChfDeviceLog(store)
        self.gate = GbcsGate(han.eui64, keystore, self.acb, store, clock)
        self.rejected = self.gate.rejected
        self._join_timeout = int(store.load("chf/join-timeout") or DEFAULT_JOIN_TIMEOUT)
        self._wan_out: asyncio.Queue[bytes] | None = None
        self.tunnels = TunnelClient(han, clock, self._to_wan) if clock is not None else None
        self.gpf = gpf
        self.mailbox = SleepyMailbox(store, self._messages_waiting)
        self.sleepy_tunnels = TunnelServer(
            han, self._from_sleepy, mailbox=self.mailbox, accept=self._on_device_log
        )
        self.time = AttributeServer(self._time_attributes)
        self._background: set[asyncio.Task[None]] = set()
        # A dual-band hub (``ch_profile.py``) manages its sub-GHz HAN (``sub_ghz.py``); without
        # it the hub is single band and the DBCH objects are undefined.
        self.sub_ghz = sub_ghz
        if sub_ghz is not None:
            sub_ghz.bind(self.gate, lambda gbcs: self._to_wan(None, gbcs))
        self.firmware: HubFirmware | None = None
        """OTA images (served to HAN devices, or the CH's own) and CCS08 (``hub_firmware``)."""
        if clock is not None:
            self.firmware = HubFirmware(
                han, clock, store, self.gate, supplier=supplier, serving=ota_serving
            )
            self.firmware.firmware.send = self._send_wan
        if gpf is not None:
            gpf.is_gsme = self._is_gsme
            if self.firmware is not None:
                self.firmware.server.on_held = gpf.new_ota_firmware
            for device in self.mailbox.devices():  # the flags as the mailbox left them
                gpf.messages_waiting(device, self.mailbox.pending(device))

    @property
    def eui64(self) -> Eui64:
        return self.han.eui64

    async def serve(self, to_hub: asyncio.Queue[bytes], from_hub: asyncio.Queue[bytes]) -> None:
        """The WAN endpoint: every command in, its response (if any) out; what HAN devices
        answer through their tunnels goes out too."""
        self._wan_out = from_hub
        while True:
            for reply in await self.on_gbcs(await to_hub.get()):
                from_hub.put_nowait(reply)

    async def serve_images(
        self, images: asyncio.Queue[ImageDelivery], from_hub: asyncio.Queue[bytes]
    ) -> None:
        """The SM WAN's image deliveries (``WanLink.images``): each to the OTA server, or into
        the CH's own download slot; what the CHF answers at once goes to the WAN."""
        self._wan_out = from_hub
        while True:
            delivery = await images.get()
            if self.firmware is None:
                self.rejected["no OTA server without a clock"] += 1
                continue
            await self._tunnel_for_alerts(delivery.target)
            for reply in await self.firmware.deliver(delivery):
                from_hub.put_nowait(reply)

    async def _tunnel_for_alerts(self, device: Eui64) -> None:
        """A device receiving an image answers with alerts through its tunnel: open one if the
        hub has none yet (the CHF opens tunnels to its devices, DOMAIN.md section 2)."""
        if self.tunnels is None or device == self.eui64 or self._is_gsme(device):
            return
        if device in self.tunnels._tunnels:
            return
        with contextlib.suppress(DeliveryError, TimeoutError):
            await self.tunnels.open(device)

    async def _send_wan(self, gbcs: bytes) -> None:
        self._to_wan(None, gbcs)

    def _to_wan(self, device: Eui64 | None, gbcs: bytes) -> None:
        if self._wan_out is not None:
            self._wan_out.put_nowait(gbcs)

    async def _from_sleepy(self, gbcs: bytes) -> list[bytes]:
        """What the GSME PUTs through its tunnel goes to the WAN; nothing goes back."""
        if self.gpf is not None:
            self.gpf.observe_gsme_traffic(gbcs)
        self._to_wan(None, gbcs)
        return []

    def _on_device_log(self, device: Eui64) -> bool:
        return self.device_log.get(device) is not None

    def _is_gsme(self, device: Eui64) -> bool:
        entry = self.device_log.get(device)
        return entry is not None and entry.device_type is HanDeviceType.GSME

    def _messages_waiting(self, device: Eui64, count: int) -> None:
        if self.gpf is not None:
            self.gpf.messages_waiting(device, count)

    def _time_attributes(self, cluster: int, side: Side) -> dict[int, int] | None:
        if cluster != TIME or side is not Side.SERVER:
            return None
        # The hub keeps the HAN's time (set from the DCC's; here the modelled clock): master.
        return {0x0000: utc_time(self.gate.now()), 0x0001: TIME_STATUS_MASTER_SYNCHRONISED}

    async def handle(self, msg: ApsMessage) -> None:
        """HAN traffic for the hub's applications: the tunnels (the hub's to the ESME and the
        GSME's to the hub), the GPF's endpoint and the Time server.

        What answers a request goes out from a task of its own: an answer to the sleepy GSME
        waits for its polls (one per APS fragment), and the hub's other devices must not wait
        behind it. Each request's synchronous part runs in arrival order."""
        if msg.cluster == TUNNELING:
            if self.tunnels is not None:
                self.tunnels.handle(msg)  # answers, server to client
            self._spawn(self.sleepy_tunnels.handle(msg))  # requests, client to server
        elif msg.cluster == TIME:
            self._spawn(self._answer_time(msg))
        elif msg.cluster == SUB_GHZ and self.sub_ghz is not None:
            self._spawn(self.sub_ghz.handle(msg))
        elif msg.cluster == OTA_UPGRADE and self.firmware is not None:
            self._spawn(self.firmware.server.handle(msg))
        elif self.gpf is not None and msg.dst_endpoint == self.gpf.endpoint:
            self._spawn(self.gpf.handle(msg))

    async def aclose(self) -> None:
        """Cancel the answers still under way (a power-off)."""
        if self.sub_ghz is not None:
            await self.sub_ghz.aclose()
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _answer_time(self, msg: ApsMessage) -> None:
        reply = self.time.respond(TIME, msg.payload)
        if reply is not None:
            await answer(self.han, msg, reply)  # the reader asks again

    async def on_gbcs(self, data: bytes) -> list[bytes]:
        """Handle one GBCS message from the WAN; returns what the CHF sends back itself.

        A command for a device on the Device Log goes into that device's tunnel unchanged (the
        MAC is the device's to check: it is keyed between the device and the ACB)."""
        recipient = _recipient(data)
        discarded = self._discarded(data, recipient)
        if discarded is not None:
            return [discarded]
        if self.gpf is not None and recipient == self.gpf.eui64:
            return await self.gpf.on_gbcs(data)
        if recipient is not None and self._is_gsme(recipient):
            if not self.mailbox.put(recipient, data):
                self.rejected["mailbox full"] += 1  # [U] GBCS has the CHF alert on this
            elif self.gpf is not None:
                self.gpf.observe_gsme_traffic(data)
            return []
        if recipient is not None and recipient != self.eui64 and self.device_log.get(recipient):
            if self.tunnels is None:
                self.rejected["no tunnels without a clock"] += 1
                return []
            try:
                await self.tunnels.put(recipient, data)
            except (DeliveryError, TimeoutError):
                self.rejected["device unreachable"] += 1  # [U] GBCS has the CHF alert on this
            return []
        accepted = self.gate.check(data)
        if isinstance(accepted, Rejected):
            return self.gate.rejection_replies(accepted)
        apdu = accepted.apdu
        request = accepted.payload
        if (
            apdu.other_information.message_code == MessageCode.CS06_ACTIVATE_FIRMWARE
            and self.firmware is not None
        ):
            return self.firmware.firmware.activate(accepted, asn1_value(request))
        if not isinstance(request, AccessRequest):
            self.rejected["unsupported payload"] += 1
            return []
        code = apdu.other_information.message_code
        if code == MessageCode.CCS06_READ_CHF_DEVICE_LOG_AND_CHECK_HAN_COMMUNICATIONS:
            return [self._check_han_communications(apdu, request)]
        if code in DBCH_COMMANDS:
            if self.sub_ghz is not None:
                return await self.sub_ghz.on_command(apdu, request)
            undefined = [DataAccessResult.OBJECT_UNDEFINED for _ in request.specifications]
            return [self.gate.respond(apdu, request, [Data.null() for _ in undefined], undefined)]
        if code not in _DEVICE_LOG_CHANGES:
            self.rejected["unsupported use case"] += 1
            return []
        before = [e.eui64 for e in self.device_log]
        results = await self._device_log_request(request)
        replies = [self.gate.respond(apdu, request, [Data.null() for _ in results], results)]
        if [e.eui64 for e in self.device_log] != before:
            replies.append(self._device_log_changed().encode())
        return replies

    def _check_han_communications(self, apdu: GeneralSigning, request: AccessRequest) -> bytes:
        """CCS06: each GET of ``active_devices`` answered from the Device Log and the links."""
        epoch = self.clock.epoch if self.clock is not None else datetime.datetime.now(datetime.UTC)
        data, results = [], []
        for spec in request.specifications:
            d = spec.descriptor
            if (
                spec.kind is AccessRequestKind.GET
                and d.class_id == ZIGBEE_NETWORK_CONTROL_CLASS
                and d.member_id == ACTIVE_DEVICES
            ):
                data.append(active_devices(self.device_log, self.han, epoch))
                results.append(DataAccessResult.SUCCESS)
            else:
                data.append(Data.null())
                results.append(DataAccessResult.OBJECT_UNAVAILABLE)
        return self.gate.respond(apdu, request, data, results)

    def _discarded(self, data: bytes, recipient: Eui64 | None) -> bytes | None:
        """DBCH10 for a command to a sub-GHz device the duty cycle has silenced."""
        if self.sub_ghz is None or recipient is None or recipient == self.eui64:
            return None
        try:
            message = decode_message(data)
        except DecodeError:
            return None
        if not isinstance(message, GeneralCiphering):
            return None
        return self.sub_ghz.discard(message.apdu)

    async def _device_log_request(self, request: AccessRequest) -> list[DataAccessResult]:
        """Apply each ACCESS specification of CCS01/CCS02/CCS03 to the Device Log, in order."""
        results: list[DataAccessResult] = []
        admitted: list[Eui64] = []
        for spec, data in zip(request.specifications, request.data, strict=False):
            d = spec.descriptor
            if d.class_id != ZIGBEE_NETWORK_CONTROL_CLASS:
                results.append(DataAccessResult.OBJECT_UNAVAILABLE)
                continue
            try:
                result = await self._apply(spec.kind, d.member_id, data, admitted)
            except (ValueError, TypeError):
                result = DataAccessResult.TYPE_UNMATCHED
            results.append(result)
        return results

    async def _apply(
        self, kind: AccessRequestKind, member: int, data: Data, admitted: list[Eui64]
    ) -> DataAccessResult:
        if kind is AccessRequestKind.ACTION and member == DeviceLogMethod.REGISTER_DEVICE:
            eui, key_type, code, device_type = (item.value for item in _structure(data, 4))
            if key_type != KEY_TYPE_INSTALL_CODE or not isinstance(code, bytes):
                return DataAccessResult.TYPE_UNMATCHED
            outcome = self.device_log.register(
                Eui64(_octets(eui)), HanDeviceType(int(str(device_type))), code
            )
            if outcome is Registration.LOG_FULL:
                return DataAccessResult.TEMPORARY_FAILURE  # [U] the result GBCS gives a full log
            admitted.append(Eui64(_octets(eui)))
            return DataAccessResult.SUCCESS
        if kind is AccessRequestKind.ACTION and member == DeviceLogMethod.UNREGISTER_DEVICE:
            eui = Eui64(_octets(data.value))
            key = self.han.link_key(eui)
            if key is not None:  # the historic log keeps it, for a restore (CCS03)
                self.device_log.record_link_key(eui, key)
            self.device_log.unregister(eui)
            self.mailbox.clear(eui)
            await self.han.remove_device(eui)  # no more joins, and off the network now
            return DataAccessResult.SUCCESS
        if kind is AccessRequestKind.ACTION and member == DeviceLogMethod.RESTORE_PAN:
            return await self._restore(data)
        if kind is AccessRequestKind.SET and member == DeviceLogAttribute.JOIN_TIMEOUT:
            self._join_timeout = int(str(data.value))
            self.store.save("chf/join-timeout", self._join_timeout)
            return DataAccessResult.SUCCESS
        if kind is AccessRequestKind.SET and member == DeviceLogAttribute.ENABLE_DISABLE_JOINING:
            if data.value:
                for eui in admitted:
                    entry = self.device_log.get(eui)
                    if entry is not None:
                        await self.han.permit_joining(
                            eui, entry.preconfigured_key, self._join_timeout
                        )
            return DataAccessResult.SUCCESS
        return DataAccessResult.OBJECT_UNAVAILABLE

    async def _restore(self, data: Data) -> DataAccessResult:
        """CCS03 (``restore_PAN`` [U], see ``device_log.ccs03_payload``): each EUI-64 back from
        the historic log with the TC link key it had, admitted to rejoin with that key."""
        if not isinstance(data.value, tuple):
            return DataAccessResult.TYPE_UNMATCHED
        euis = [Eui64(_octets(item.value)) for item in data.value]
        outcomes = [self.device_log.restore(eui) for eui in euis]
        if any(o is None or o is Registration.LOG_FULL for o in outcomes):
            return DataAccessResult.OBJECT_UNAVAILABLE  # [U] not (all) in the historic log
        for eui in euis:
            entry = self.device_log.get(eui)
            if entry is not None:
                key = entry.link_key or entry.preconfigured_key
                await self.han.permit_joining(eui, key, self._join_timeout)
        return DataAccessResult.SUCCESS

    def _device_log_changed(self) -> GeneralCiphering:
        """CS14: alert 0x8F12 with the Device Log's entries (EUI-64, install code).

        Body as the RTDS CS14 alert: {alert code, time stamp, {time of change, 8 bytes, array of
        {EUI-64, install code}}}. [U] The 8-byte field's meaning is not in our sources (the RTDS
        alert carries 00 01 02 03 04 05 06 07); we send the HAN's extended PAN ID there.
        """
        now = date_time(self.gate.now())
        entries = tuple(
            Data.structure(Data.octet_string(e.eui64.big()), Data.octet_string(e.install_code))
            for e in self.device_log
        )
        body = Data.structure(
            Data(DataType.LONG_UNSIGNED, AlertCode.CHF_DEVICE_LOG_CHANGED),
            Data.octet_string(now),
            Data.structure(
                Data.octet_string(now),
                Data.octet_string(self.eui64.big()),
                Data.array(*entries),
            ),
        )
        code = MessageCode.CS14_DEVICE_ADDITION_TO_REMOVAL_FROM_HAN_WHITELIST_ALERTS
        return self.gate.alert(code, body)


_DEVICE_LOG_CHANGES = (
    MessageCode.CCS01_ADD_DEVICE_TO_CHF_DEVICE_LOG,
    MessageCode.CCS02_REMOVE_DEVICE_FROM_CHF_DEVICE_LOG,
    MessageCode.CCS03_RESTORE_CHF_DEVICE_LOG,
)


def _recipient(data: bytes) -> Eui64 | None:
    try:
        message = decode_message(data)
    except DecodeError:
        return None
    return message.apdu.recipient if isinstance(message, GeneralCiphering) else None


def _structure(data: Data, size: int) -> tuple[Data, ...]:
    if not isinstance(data.value, tuple) or len(data.value) != size:
        raise ValueError(f"expected a structure of {size} elements")
    return data.value


def _octets(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError("expected an octet string")
    return value
