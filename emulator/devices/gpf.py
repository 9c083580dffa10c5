"""The Gas Proxy Function: the GSME's always-awake stand-in inside the Communications Hub.

The GPF has its own EUI-64 and GBCS keys, its own gate (``GbcsGate``) and its own Device Log
(``JoinLog``): CS03B joins it with its GSME (Method B: the DCC sends the mirror image of the
GSME's CS03B, naming the GSME, to the GPF [U]), CS04B unjoins, CS07 reads the log; every change
raises GCS62, the GPF Device Log backup alert 0x8071, to the ACB (as the RTDS GCS62 alert shows).

It also holds the **GSME mirror**: the GSME's Prepayment and Metering server attributes (credit,
emergency credit, credit status, accumulated debt; current summation delivered with its unit,
multiplier and divisor), which the GSME pushes on each wake-up with ZCL Report Attributes to the
GPF endpoint, and the Metering client's FunctionalNotificationFlags, which the hub sets while
GBCS waits for the GSME (TUNNEL_MESSAGE_PENDING) and the GSME reads on waking. All of it is in
the GPF's state store. Reads are served on the hub's node at ``GPF_ENDPOINT`` to the GSME, the
GPF's own partners and the GSME's Method C partners (its PPMIDs), and to no one else
(NOT_AUTHORIZED) [U]. [U] The GPF learns the GSME's Method C joins and unjoins from the traffic
it carries: a CS03C / CS04AC for the GSME held in the hub, then the GSME's success response to
it (same originator and counter) going out; our sources do not say how a real GPF learns them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from zigpy.zcl import foundation

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import (
    CRA,
    AlertCode,
    Asn1Payload,
    GeneralSigning,
    KeyStore,
    MessageCode,
    OtherInformation,
)
from ..codec.gbcs.asn1 import decode_asn1, encode_asn1
from ..codec.gbcs.message import apdu_of, decode_message
from ..codec.zcl import frame as zcl
from ..codec.zcl.attributes import Side, reported_values
from ..codec.zcl.metering import (
    FUNCTIONAL_NOTIFICATION_FLAGS,
    METERING,
    FunctionalNotificationFlags,
)
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import StateStore
from .attribute_server import AttributeServer
from .gbcs_gate import GbcsGate, Rejected
from .join_log import HANDLED, JoinLog
from .registers import PREPAYMENT

REPORT_ATTRIBUTES = foundation.GeneralCommand.Report_Attributes
GPF_ENDPOINT = 2
"""[U] The hub node's endpoint for the GPF (and its GSME mirror); GBCS leaves endpoint numbers to
the manufacturer. The CHF's own clusters (Tunneling, Time) stay on endpoint 1."""

MIRRORED: Mapping[tuple[int, Side], tuple[int, ...]] = {
    (PREPAYMENT, Side.SERVER): (0x0001, 0x0002, 0x0003, 0x0005),
    (METERING, Side.SERVER): (0x0000, 0x0300, 0x0301, 0x0302),
    (METERING, Side.CLIENT): (FUNCTIONAL_NOTIFICATION_FLAGS,),
}
"""The attributes the mirror holds, by cluster and side."""


_METHOD_C: dict[int, tuple[str, str]] = {
    MessageCode.CS03C_METHOD_C_JOIN: ("JoinDeviceCommand", "JoinDeviceResponse"),
    MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN: ("UnjoinDeviceCommand", "UnjoinDeviceResponse"),
}


class GsmeMirror:
    """The GSME's attributes as last reported, and its notification flags; persisted."""

    def __init__(self, store: StateStore, key: str = "gpf/mirror") -> None:
        self._store, self._key = store, key
        saved: dict[str, int] = store.load(key) or {}
        self._values: dict[tuple[int, Side, int], int] = {}
        for name, value in saved.items():
            cluster, side, attr = name.split("/")
            self._values[(int(cluster, 16), Side(side), int(attr, 16))] = int(value)
        self._values.setdefault((METERING, Side.CLIENT, FUNCTIONAL_NOTIFICATION_FLAGS), 0)

    def table(self, cluster: int, side: Side) -> Mapping[int, Any] | None:
        """What a reader gets: held attributes by id (None: that side of the cluster is not
        mirrored; an attribute never reported reads UNSUPPORTED_ATTRIBUTE)."""
        ids = MIRRORED.get((cluster, side))
        if ids is None:
            return None
        return {
            a: self._values[(cluster, side, a)] for a in ids if (cluster, side, a) in self._values
        }

    def update(self, cluster: int, side: Side, values: Mapping[int, Any]) -> int:
        """Keep the reported server attributes the mirror holds; how many were kept."""
        ids = MIRRORED.get((cluster, side), ()) if side is Side.SERVER else ()
        kept = {(cluster, side, a): int(v) for a, v in values.items() if a in ids}
        self._values.update(kept)
        self._save()
        return len(kept)

    @property
    def flags(self) -> FunctionalNotificationFlags:
        return FunctionalNotificationFlags(
            self._values[(METERING, Side.CLIENT, FUNCTIONAL_NOTIFICATION_FLAGS)]
        )

    def set_flag(self, flag: FunctionalNotificationFlags, on: bool) -> None:
        flags = self.flags | flag if on else self.flags & ~flag
        self._values[(METERING, Side.CLIENT, FUNCTIONAL_NOTIFICATION_FLAGS)] = int(flags)
        self._save()

    def _save(self) -> None:
        self._store.save(
            self._key, {f"{c:04x}/{s.value}/{a:04x}": v for (c, s, a), v in self._values.items()}
        )


class Gpf:
    def __init__(
        self,
        han: HanPort,
        eui64: Eui64,
        keystore: KeyStore,
        acb: Eui64,
        store: StateStore,
        clock: Clock | None = None,
        endpoint: int = GPF_ENDPOINT,
    ) -> None:
        self.han = han
        self.eui64 = Eui64(eui64)
        self.acb = Eui64(acb)
        self.endpoint = endpoint
        self.gate = GbcsGate(self.eui64, keystore, self.acb, store, clock)
        self.rejected = self.gate.rejected
        self.join_log = JoinLog(store, "gpf/join-log")
        self.mirror = GsmeMirror(store)
        self.attributes = AttributeServer(self.mirror.table)
        self.is_gsme: Callable[[Eui64], bool] = lambda _: False
        """Whether a device is the premises' GSME (the hub says: a GSME on its Device Log)."""
        self._store = store
        self.gsme_partners = {Eui64(e) for e in store.load("gpf/gsme-method-c") or []}
        """The GSME's Method C partners, as learnt from the traffic (see the module's notes)."""
        self._joining: dict[str, list[Any]] = store.load("gpf/gsme-joining") or {}

    def authorised(self, device: Eui64) -> bool:
        """May ``device`` read the mirror: the GSME, a partner on the GPF's Device Log, or one
        of the GSME's Method C partners."""
        return (
            self.is_gsme(device)
            or self.join_log.get(device) is not None
            or device in self.gsme_partners
        )

    def observe_gsme_traffic(self, data: bytes) -> None:
        """GBCS the hub carries to or from the GSME: follow its Method C joins and unjoins."""
        try:
            apdu = apdu_of(decode_message(data))
            if apdu is None or apdu.message_code not in _METHOD_C:
                return
            if apdu.cra is CRA.COMMAND and self.is_gsme(apdu.recipient):
                key = f"{apdu.originator.hex}/{apdu.originator_counter}"
                type_name = _METHOD_C[apdu.message_code][0]
                command = decode_asn1(type_name, apdu.content)
                other = (
                    command
                    if isinstance(command, bytes)
                    else command["otherDeviceEntityIdentifier"]
                )
                self._joining[key] = [apdu.message_code, Eui64(other).hex]
            elif apdu.cra is CRA.RESPONSE and self.is_gsme(apdu.originator):
                key = f"{apdu.recipient.hex}/{apdu.originator_counter}"
                pending = self._joining.pop(key, None)
                response_type = _METHOD_C[apdu.message_code][1]
                if pending is not None and decode_asn1(response_type, apdu.content) == 0:
                    partner = Eui64(pending[1])
                    if pending[0] == MessageCode.CS03C_METHOD_C_JOIN:
                        self.gsme_partners.add(partner)
                    else:
                        self.gsme_partners.discard(partner)
            else:
                return
        except (DecodeError, KeyError, TypeError, ValueError):
            return
        self._store.save("gpf/gsme-joining", self._joining)
        self._store.save("gpf/gsme-method-c", sorted(e.hex for e in self.gsme_partners))

    def messages_waiting(self, device: Eui64, count: int) -> None:
        """The hub's mailbox changed for ``device``: TUNNEL_MESSAGE_PENDING while any wait."""
        if self.is_gsme(device):
            self.mirror.set_flag(FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING, count > 0)

    def new_ota_firmware(self, device: Eui64, held: bool) -> None:
        """The hub holds (or no longer holds) an OTA image for ``device``: NEW_OTA_FIRMWARE in
        the mirror's flags, which the GSME reads on waking and then fetches the image."""
        if self.is_gsme(device):
            self.mirror.set_flag(FunctionalNotificationFlags.NEW_OTA_FIRMWARE, held)

    async def on_gbcs(self, data: bytes) -> list[bytes]:
        """A GBCS command for the GPF itself; its response and any alert."""
        accepted = self.gate.check(data)
        if isinstance(accepted, Rejected):
            return self.gate.rejection_replies(accepted)
        if (answered := self.gate.update_security_credentials(accepted)) is not None:
            return answered
        apdu, payload = accepted.apdu, accepted.payload
        if apdu.message_code not in HANDLED:
            self.rejected["unsupported use case"] += 1
            return []
        value = payload.value if isinstance(payload, Asn1Payload) else None
        before = [p.eui64 for p in self.join_log]
        content, _ = self.join_log.command(apdu.message_code, value)
        replies = [self.gate.reply(apdu, content)]
        if [p.eui64 for p in self.join_log] != before:
            replies.append(self._device_log_changed())
        return replies

    def _device_log_changed(self) -> bytes:
        """GCS62: alert 0x8071 with the GPF Device Log, to the ACB, MAC'd."""
        body = {
            "alertCode": int(AlertCode.GPF_DEVICE_LOG_CHANGED),
            "backupDateTime": self.gate.now().replace(microsecond=0, tzinfo=None),
            "deviceLogEntries": [
                {"deviceId": p.eui64.big(), "deviceType": int(p.device_type)} for p in self.join_log
            ],
        }
        counter = self.gate.next_counter()
        apdu = GeneralSigning(
            CRA.ALERT,
            counter,
            self.eui64,
            self.acb,
            OtherInformation(MessageCode.GCS62_BACKUP_GPF_DEVICE_LOG),
            encode_asn1("GpfDeviceLogBackupAlert", body),
        )
        return self.gate.protect(apdu).encode()

    async def handle(self, msg: ApsMessage) -> None:
        """ZCL for the GPF endpoint: the GSME's reports, and reads of the mirror."""
        if msg.dst_endpoint != self.endpoint:
            return
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        if frame.is_global and frame.command_id == REPORT_ATTRIBUTES:
            self._report(msg, frame)
            return
        reply = self.attributes.respond(
            msg.cluster, msg.payload, allowed=self.authorised(msg.source)
        )
        if reply is not None:
            with contextlib.suppress(DeliveryError):  # a lost answer is the reader's to retry
                await self.han.send(
                    msg.source,
                    cluster=msg.cluster,
                    payload=reply.encode(),
                    src_endpoint=self.endpoint,
                    dst_endpoint=msg.src_endpoint,
                )

    def _report(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        if not self.is_gsme(msg.source):
            self.rejected["report from another device"] += 1
            return
        try:
            side, values = reported_values(msg.cluster, frame)
        except DecodeError:
            self.rejected["malformed report"] += 1
            return
        self.mirror.update(msg.cluster, side, values)
