"""The PPMID (prepayment meter interface device) as a HAN device: a Prepayment client with GBCS.

On the HAN it reads credit and debt from a meter's Prepayment server and tops it up (ZSE Consumer
Top Up with a UTRN the consumer keys in), APS-secured with the link key it shares with that
meter: the ESME at endpoint 1, or the GSME through its mirror in the GPF (the hub's EUI-64 and
the mirror's ``endpoint``). A meter that refuses (Default Response, e.g. NOT_AUTHORIZED to a
device it is not joined to) raises ``MeterRefused``.

GBCS reaches it through its tunnel (``on_gbcs``, after its ``GbcsGate``'s checks): CS03A2 (Method
A responder: the meter becomes a partner in its Device Log, and the meter then runs CBKE with
it), CS04AC (unjoin), CS07 (read the log), CS08 (read firmware version, ASN.1) and CS06 (activate
firmware, ``firmware.py``). Images come by SRV 11.4: the hub sends Image Notify and the PPMID's
``OtaClient`` fetches the image; the image is unsigned (DUIS 11.4 sample) and the PPMID sends no
receipt alert (the hub reports the transfer with CCS08). Its CBKE
responder accepts only its partners and its Trust Centre (``Partners``). Device Log, firmware
version and the gate's counters live in its state store and survive a power cycle.

The dual-mode (SMETS1 / SMETS2+) PPMID wraps this one: ``dual_mode.py``. Emergency credit is
not modelled yet.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zigpy.zcl import foundation

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import KeyStore, MessageCode
from ..codec.gbcs.asn1 import encode_asn1
from ..codec.zcl import frame as zcl
from ..codec.zcl.ota import OTA_UPGRADE
from ..codec.zcl.prepayment import OriginatingDevice, ResultType
from ..han.clock import Clock
from ..han.key_establishment import KeyEstablishmentService
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import MemoryStateStore, StateStore
from .firmware import AlertFormat, DeviceFirmware
from .firmware_slots import FirmwareSlots
from .gbcs_gate import GbcsGate, Rejected
from .ota_client import OtaClient, OtaClientProfile
from .partners import Partners, asn1_value
from .registers import PREPAYMENT
from .tunnel import GbcsSender

READ_TIMEOUT = 30.0  # modelled seconds for the meter's answer
DEFAULT_FIRMWARE_VERSION = bytes.fromhex("0123ABCD")  # as the RTDS CS08 response reports
READ_FIRMWARE_SUCCESS = 0
PPMID_ALERT_FORMAT = AlertFormat.GBZ
"""[U] The PPMID's firmware alerts (0x8F43) in GBZ form, as the GSME's: it is a ZigBee device,
DLMS alerts are the ESME's. No RTDS vector shows a PPMID alert."""
ORIGINATING_DEVICE = OriginatingDevice.IN_HOME_DISPLAY_DEVICE
"""[I] ZSE names no PPMID; it is the in-home device the consumer keys the UTRN into."""
JOIN_USE_CASES = frozenset(
    {
        MessageCode.CS03A2_METHOD_A_JOIN_NON_METER,
        MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN,
        MessageCode.CS07_READ_DEVICE_JOIN_DETAILS,
    }
)
CREDIT_ATTRIBUTES = (0x0001, 0x0002, 0x0003, 0x0005)


@dataclass(frozen=True)
class Credit:
    credit_remaining: int
    emergency_credit_remaining: int
    credit_status: int
    accumulated_debt: int


@dataclass(frozen=True)
class TopUpResult:
    result: ResultType
    value: int
    credit_remaining: int


class MeterRefused(Exception):
    """The meter answered with a ZCL Default Response carrying ``status``."""

    def __init__(self, meter: Eui64, status: foundation.Status) -> None:
        self.meter, self.status = meter, status
        super().__init__(f"{meter} refused: {status.name}")


class Ppmid:
    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        store: StateStore | None = None,
        keystore: KeyStore | None = None,
        acb: Eui64 | None = None,
        *,
        cbke: KeyEstablishmentService | None = None,
        trust_centre: Eui64 | None = None,
        ota: OtaClientProfile | None = None,
        supplier: Eui64 | None = None,
    ) -> None:
        self.han = han
        self.clock = clock
        self.store = store if store is not None else MemoryStateStore()
        self.gate = (
            GbcsGate(han.eui64, keystore, acb, self.store, clock)
            if keystore is not None and acb is not None
            else None
        )
        self.partners = Partners(han, self.store, "ppmid/join-log", trust_centre)
        self.join_log = self.partners.log
        self.reported_version: bytes | None = None
        """Set by a dual-mode profile: the version it reports in its current personality."""
        self.slots = FirmwareSlots(
            self.store,
            "ppmid/firmware",
            bytes.fromhex(
                self.store.load("ppmid/firmware-version") or DEFAULT_FIRMWARE_VERSION.hex()
            ),
        )
        self.send_gbcs: GbcsSender | None = None
        """Where alerts raised outside a command's turn go (the tunnel's push)."""
        self.firmware: DeviceFirmware | None = None
        if self.gate is not None:
            client = None
            if ota is not None and trust_centre is not None:
                client = OtaClient(han, clock, self.slots, ota, Eui64(trust_centre))
            self.firmware = DeviceFirmware(
                self.gate, clock, self.slots, PPMID_ALERT_FORMAT, supplier, client,
                receipt_alert=False,
            )  # fmt: skip
            self.firmware.send = self._send_deferred
        if cbke is not None:
            cbke.authorise = self.partners.may_establish_key
        self._tsn = itertools.count(1)
        self._answers: dict[tuple[Eui64, int], asyncio.Future[zcl.ZclFrame]] = {}

    @property
    def firmware_version(self) -> bytes:
        """The version the PPMID reports (CS08 reads it): the running firmware's (CS06 changes
        it), unless a profile reports another for its personality (``reported_version``)."""
        return self.reported_version or self.slots.running_version

    async def _send_deferred(self, gbcs: bytes) -> None:
        if self.send_gbcs is None:
            raise DeliveryError("no tunnel to send GBCS on")
        await self.send_gbcs(gbcs)

    async def aclose(self) -> None:
        """Stop the work under way (a power-off)."""
        if self.firmware is not None:
            await self.firmware.aclose()

    async def on_gbcs(self, data: bytes) -> list[bytes]:
        """A GBCS message from the tunnel; the PPMID's response, if any."""
        if self.gate is None:
            return []
        accepted = self.gate.check(data)
        if isinstance(accepted, Rejected):
            return self.gate.rejection_replies(accepted)
        if (answered := self.gate.update_security_credentials(accepted)) is not None:
            return answered
        command = accepted.apdu
        if command.message_code in JOIN_USE_CASES:
            content, partner = self.join_log.command(
                command.message_code, asn1_value(accepted.payload)
            )
            if command.message_code == MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN and partner:
                await self.partners.forget_key(partner.eui64)
            return [self.gate.reply(command, content)]
        if command.message_code == MessageCode.CS08_READ_PPMID_HCALCS_FIRMWARE_VERSION:
            version = {"firmwareVersion": self.firmware_version, "responseCode": 0}
            return [self.gate.reply(command, encode_asn1("ReadFirmwareVersionResponse", version))]
        if command.message_code == MessageCode.CS06_ACTIVATE_FIRMWARE and self.firmware:
            return self.firmware.activate(accepted, asn1_value(accepted.payload))
        return []

    async def handle(self, msg: ApsMessage) -> None:
        """A ZCL frame from a meter: the answer to one of our requests; OTA Upgrade frames from
        the hub go to the OTA client."""
        if msg.cluster == OTA_UPGRADE:
            if self.firmware is not None and self.firmware.ota is not None:
                self.firmware.ota.handle(msg)
            return
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        waiter = self._answers.get((msg.source, frame.tsn))
        if waiter is not None and not waiter.done():
            waiter.set_result(frame)

    async def _ask(
        self, meter: Eui64, request: zcl.ZclFrame, endpoint: int, cluster: int = PREPAYMENT
    ) -> zcl.ZclFrame:
        """Send ``request`` to ``meter``'s ``cluster`` server (Prepayment unless named) and wait
        for its answer; raises TimeoutError if none comes and MeterRefused for a Default
        Response."""
        waiter: asyncio.Future[zcl.ZclFrame] = asyncio.get_running_loop().create_future()
        self._answers[(meter, request.tsn)] = waiter
        try:
            await self.han.send(
                meter, cluster=cluster, payload=request.encode(), dst_endpoint=endpoint
            )
            async with self.clock.timeout(READ_TIMEOUT):
                answer = await waiter
        finally:
            self._answers.pop((meter, request.tsn), None)
        if answer.is_global and answer.command_id == foundation.GeneralCommand.Default_Response:
            refusal: Any = zcl.parse_command(cluster, answer)  # zigpy schema
            raise MeterRefused(meter, refusal.status)
        return answer

    def _next_tsn(self) -> int:
        return next(self._tsn) & 0xFF

    async def read_credit(self, meter: Eui64, endpoint: int = 1) -> Credit:
        """Credit and debt from ``meter``'s Prepayment server at ``endpoint``; raises
        TimeoutError, MeterRefused, or ValueError if it answers without the values."""
        request = zcl.read_attributes(CREDIT_ATTRIBUTES, tsn=self._next_tsn())
        values = zcl.read_attributes_result(await self._ask(meter, request, endpoint))
        try:
            return Credit(*(int(values[a]) for a in CREDIT_ATTRIBUTES))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the meter did not return the credit registers: {values}") from exc

    async def read(
        self, meter: Eui64, cluster: int, attribute_ids: Sequence[int], endpoint: int = 1
    ) -> dict[int, Any]:
        """Read ``attribute_ids`` of ``meter``'s ``cluster`` server (the dual-mode PPMID reads
        the SMETS1 ESI's Price this way); attribute id -> value or failure status."""
        request = zcl.read_attributes(attribute_ids, tsn=self._next_tsn())
        answer = await self._ask(meter, request, endpoint, cluster)
        return zcl.read_attributes_result(answer)

    async def top_up(self, meter: Eui64, code: bytes | str, endpoint: int = 1) -> TopUpResult:
        """Key a UTRN into ``meter`` (Consumer Top Up); the meter's verdict and balance."""
        request = zcl.build_command(
            PREPAYMENT,
            "consumer_top_up",
            tsn=self._next_tsn(),
            originating_device=ORIGINATING_DEVICE,
            top_up_code=code.encode("ascii") if isinstance(code, str) else code,
        )
        answer = await self._ask(meter, request, endpoint)
        try:
            parsed: Any = zcl.parse_command(PREPAYMENT, answer)  # zigpy schema
            result: ResultType = parsed.result_type
            value, credit = int(parsed.top_up_value), int(parsed.credit_remaining)
        except (DecodeError, AttributeError) as exc:
            raise ValueError(f"not a Consumer Top Up Response: {answer}") from exc
        return TopUpResult(result, value, credit - (1 << 32) if credit >= 1 << 31 else credit)
