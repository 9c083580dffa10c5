"""The ESME (electricity meter) as a HAN device: its Prepayment and Metering servers.

What is here so far: the registers a PPMID reads (credit, emergency credit, credit status,
accumulated debt; the delivered-energy summation with its unit, multiplier and divisor), kept in
the meter's state store so a power cycle keeps them, and served over ``HanPort`` through ZCL Read
Attributes. A frame that does not parse gets a Default Response MALFORMED_COMMAND and a command
the meter does not implement UNSUP_CLUSTER_COMMAND / UNSUP_GENERAL_COMMAND (ZCL r6 §2.5.12); an
attribute it does not hold reads UNSUPPORTED_ATTRIBUTE.

GBCS reaches the meter through its tunnel (``emulator.devices.tunnel``); after the gate's checks
it answers ECS52 (read firmware version: a DLMS GET of class 1, 0-0:0.2.1.255, value), ECS70 (set
clock: the Clock object of ``meter_clock``) and the join use cases on its own Device Log
(``JoinLog``): CS03A1 makes the named device a partner and then runs CBKE with it as initiator
(Method A) for their application link key; the signed response goes out when CBKE ends, through
``send_gbcs`` (the tunnel's push), so the meter's message loop never waits for it. A failed CBKE
answers FAILURE and the partner is dropped again [U]. CS04AC removes a partner, CS07 reads the
log. Objects it does not serve answer OBJECT_UNAVAILABLE.

Only partners in the Device Log, over APS security, may read the Prepayment and Metering servers
or top up [U]; anyone else gets Default Response NOT_AUTHORIZED. A top-up (Consumer Top Up) is
checked by ``TopUpLedger`` and answered with Consumer Top Up Response. The meter's CBKE responder
accepts only its partners and its Trust Centre.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import asdict, replace
from typing import Any

from zigpy.zcl import foundation

from ..codec import utrn
from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import KeyStore, MessageCode
from ..codec.gbcs.asn1 import encode_asn1
from ..codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    Data,
    DataAccessResult,
)
from ..codec.gbcs.firmware_version import FIRMWARE_VERSION
from ..codec.gbcs.headers import GeneralSigning
from ..codec.zcl import frame as zcl
from ..codec.zcl.attributes import Side
from ..codec.zcl.ota import OTA_UPGRADE
from ..han.clock import Clock
from ..han.key_establishment import KeyEstablishmentFailed, KeyEstablishmentService
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import StateStore
from .attribute_server import AttributeServer, answer, default_response
from .firmware import AlertFormat, DeviceFirmware
from .firmware_slots import FirmwareSlots
from .gbcs_gate import Accepted, GbcsGate, Rejected
from .join_log import JoinResponse, Partner
from .meter_clock import MeterClock, is_clock
from .ota_client import OtaClient, OtaClientProfile
from .partners import Partners, asn1_value
from .registers import METERING, PREPAYMENT, Registers
from .top_up import DEFAULT_LIMITS, TopUpLedger, TopUpLimits
from .tunnel import GbcsSender

log = logging.getLogger(__name__)

DEFAULT_FIRMWARE_VERSION = bytes.fromhex("0123ABCD")  # as the RTDS ECS52 response reports


PARTNER_CBKE_TIMEOUT = 120.0
"""[I] Modelled seconds a CS03A1's CBKE with the new partner may take before the ESME answers
FAILURE: the exchange's own timeouts (generate times plus margins) end well before."""
JOIN_USE_CASES = frozenset(
    {
        MessageCode.CS03A1_METHOD_A_JOIN_METER,
        MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN,
        MessageCode.CS07_READ_DEVICE_JOIN_DETAILS,
    }
)
"""The join use cases an ESME answers; [U] other join codes (for other device types) get no
response."""
CONSUMER_TOP_UP = 0x04
NOT_AUTHORIZED = foundation.Status.NOT_AUTHORIZED


class Esme:
    """The ESME actor. ``cbke`` is the node's Key Establishment service (the ESME installs its
    partner policy on it and initiates CS03A1's CBKE through it); ``send_gbcs`` is where deferred
    GBCS responses go (``TunnelServer.push``), set once the tunnel server exists."""

    def __init__(
        self,
        han: HanPort,
        store: StateStore,
        keystore: KeyStore | None = None,
        acb: Eui64 | None = None,
        clock: Clock | None = None,
        *,
        cbke: KeyEstablishmentService | None = None,
        trust_centre: Eui64 | None = None,
        utrn_key: bytes | None = None,
        limits: TopUpLimits = DEFAULT_LIMITS,
        ota: OtaClientProfile | None = None,
        supplier: Eui64 | None = None,
    ) -> None:
        self.han = han
        self.store = store
        saved = store.load("esme/registers")
        self.registers = Registers(**saved) if saved else Registers()
        self._attributes = AttributeServer(
            lambda cluster, side: (
                self.registers.attributes(cluster) if side is Side.SERVER else None
            )
        )
        self.slots = FirmwareSlots(
            store,
            "esme/firmware",
            bytes.fromhex(store.load("esme/firmware-version") or DEFAULT_FIRMWARE_VERSION.hex()),
        )
        self.gate = (
            GbcsGate(han.eui64, keystore, acb, store, clock)
            if keystore is not None and acb is not None
            else None
        )
        self.firmware: DeviceFirmware | None = None
        """Firmware slots, OTA client and CS06 (with a gate and a clock)."""
        if self.gate is not None and clock is not None:
            client = None
            if ota is not None and trust_centre is not None:
                client = OtaClient(han, clock, self.slots, ota, trust_centre)
            self.firmware = DeviceFirmware(
                self.gate, clock, self.slots, AlertFormat.DLMS, supplier, client
            )
            self.firmware.send = self._send_deferred
        self.partners = Partners(han, store, "esme/join-log", trust_centre)
        self.join_log = self.partners.log
        self.meter_clock = MeterClock(store, clock, "esme/clock")
        self.top_ups = TopUpLedger(
            store,
            han.eui64,
            utrn_key if utrn_key is not None else utrn.meter_test_key(han.eui64),
            limits,
            "esme/top-up/used-sequences",
        )
        self.cbke = cbke
        if cbke is not None:
            cbke.authorise = self.partners.may_establish_key
        self.send_gbcs: GbcsSender | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def firmware_version(self) -> bytes:
        """The running firmware's version (ECS52 reads it, CS06 changes it)."""
        return self.slots.running_version

    async def _send_deferred(self, gbcs: bytes) -> None:
        if self.send_gbcs is None:
            raise DeliveryError("no tunnel to send GBCS on")
        await self.send_gbcs(gbcs)

    async def on_gbcs(self, data: bytes) -> list[bytes]:
        """A GBCS message from the tunnel; the meter's response, if any (CS03A1's comes later,
        through ``send_gbcs``)."""
        if self.gate is None:
            return []
        accepted = self.gate.check(data)
        if isinstance(accepted, Rejected):
            return self.gate.rejection_replies(accepted)
        if (answered := self.gate.update_security_credentials(accepted)) is not None:
            return answered
        if accepted.apdu.message_code in JOIN_USE_CASES:
            return await self._join_use_case(accepted)
        if (
            accepted.apdu.message_code == MessageCode.CS06_ACTIVATE_FIRMWARE
            and self.firmware is not None
        ):
            return self.firmware.activate(accepted, asn1_value(accepted.payload))
        if not isinstance(accepted.payload, AccessRequest):
            return []
        return [self._access(accepted.apdu, accepted.payload)]

    def _access(self, command: GeneralSigning, request: AccessRequest) -> bytes:
        """A DLMS ACCESS request: one data item and one result per specification."""
        assert self.gate is not None
        served: list[Data] = []
        results: list[DataAccessResult] = []
        for i, spec in enumerate(request.specifications):
            data = request.data[i] if i < len(request.data) else Data.null()
            if spec.kind is AccessRequestKind.GET and spec.descriptor == FIRMWARE_VERSION:
                answer, result = Data.octet_string(self.firmware_version), DataAccessResult.SUCCESS
            elif is_clock(spec.descriptor):
                answer, result = self.meter_clock.access(spec, data)
            else:
                answer, result = Data.null(), DataAccessResult.OBJECT_UNAVAILABLE
            served.append(answer)
            results.append(result)
        return self.gate.respond(command, request, served, results)

    async def _join_use_case(self, accepted: Accepted) -> list[bytes]:
        assert self.gate is not None
        command = accepted.apdu
        content, partner = self.join_log.command(command.message_code, asn1_value(accepted.payload))
        if command.message_code == MessageCode.CS04AC_METHOD_A_OR_C_UNJOIN and partner:
            await self.partners.forget_key(partner.eui64)
        if command.message_code != MessageCode.CS03A1_METHOD_A_JOIN_METER or partner is None:
            return [self.gate.reply(command, content)]
        self._spawn(self._pair(command, partner))
        return []

    async def _pair(self, command: GeneralSigning, partner: Partner) -> None:
        """CS03A1's second half: CBKE with the new partner, then the signed response."""
        assert self.gate is not None
        joined = await self._establish(partner.eui64)
        if not joined:
            self.join_log.remove(partner.eui64)
        code = JoinResponse.SUCCESS if joined else JoinResponse.FAILURE
        reply = self.gate.reply(command, encode_asn1("JoinDeviceResponse", int(code)))
        if self.send_gbcs is None:
            log.warning("%s: no way to send the CS03A1 response", self.han.eui64)
            return
        with contextlib.suppress(DeliveryError):  # the hub's to chase at the GBCS level
            await self.send_gbcs(reply)

    async def _establish(self, partner: Eui64) -> bool:
        if self.cbke is None:
            return False
        try:
            async with self.cbke.clock.timeout(PARTNER_CBKE_TIMEOUT):
                await self.cbke.establish(partner)
        except (KeyEstablishmentFailed, DeliveryError, TimeoutError) as exc:
            log.info("%s: CBKE with partner %s failed: %s", self.han.eui64, partner, exc)
            return False
        return True

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Cancel the work under way (a power-off)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.firmware is not None:
            await self.firmware.aclose()

    def set_registers(self, **changes: int) -> None:
        self.registers = replace(self.registers, **changes)
        self.store.save("esme/registers", asdict(self.registers))

    async def handle(self, msg: ApsMessage) -> None:
        """A ZCL frame for the Prepayment or Metering server: partners only (``Partners``);
        OTA Upgrade frames from the hub go to the OTA client."""
        if msg.cluster == OTA_UPGRADE:
            if self.firmware is not None and self.firmware.ota is not None:
                self.firmware.ota.handle(msg)
            return
        if msg.cluster not in (PREPAYMENT, METERING):
            return
        try:
            request = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return  # not even a ZCL header: nothing to answer to
        if request.direction != zcl.Direction.CLIENT_TO_SERVER:
            return
        if not self.partners.serves(msg):
            await self._reply(msg, default_response(msg.cluster, request, NOT_AUTHORIZED))
        elif (
            msg.cluster == PREPAYMENT
            and not request.is_global
            and request.command_id == CONSUMER_TOP_UP
        ):
            await self._top_up(msg, request)
        else:
            reply = self._attributes.respond(msg.cluster, msg.payload)
            if reply is not None:
                await self._reply(msg, reply)

    async def _top_up(self, msg: ApsMessage, request: zcl.ZclFrame) -> None:
        """Consumer Top Up (ZSE D.7.2.3.5): the UTRN checked, the credit added and persisted."""
        try:
            parsed: Any = zcl.parse_command(PREPAYMENT, request, strict=True)  # zigpy schema
        except DecodeError:
            reply = default_response(msg.cluster, request, foundation.Status.MALFORMED_COMMAND)
            await self._reply(msg, reply)
            return
        credit = self.registers.credit_remaining
        outcome = self.top_ups.apply(bytes(parsed.top_up_code), credit)
        if outcome.value:
            self.set_registers(credit_remaining=credit + outcome.value)
        reply = zcl.build_command(
            PREPAYMENT,
            "consumer_top_up_response",
            tsn=request.tsn,
            result_type=outcome.result,
            top_up_value=outcome.value,
            source_of_top_up=parsed.originating_device,
            credit_remaining=self.registers.credit_remaining & 0xFFFFFFFF,  # int32 octets
        )
        await self._reply(msg, reply)

    async def _reply(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        await answer(self.han, msg, frame)
