"""The ESME (electricity meter) as a HAN device: its Prepayment and Metering servers.

What is here so far: the registers a PPMID reads (credit, emergency credit, credit status,
accumulated debt; the delivered-energy summation with its unit, multiplier and divisor), kept in
the meter's state store so a power cycle keeps them, and served over ``HanPort`` through ZCL Read
Attributes. A frame that does not parse gets a Default Response MALFORMED_COMMAND and a command
the meter does not implement UNSUP_CLUSTER_COMMAND / UNSUP_GENERAL_COMMAND (ZCL r6 §2.5.12); an
attribute it does not hold reads UNSUPPORTED_ATTRIBUTE.

GBCS reaches the meter through its tunnel (``emulator.devices.tunnel``); after the gate's checks
it answers ECS52 (read firmware version: a DLMS GET of class 1, 0-0:0.2.1.255, value). Objects
it does not serve answer OBJECT_UNAVAILABLE. The other ESME use cases, the other SE servers and
the device log for Method A joins come with the rest of issue 6.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, replace
from typing import Any

from zigpy.zcl import foundation

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import KeyStore
from ..codec.gbcs.dlms import (
    AccessRequest,
    AccessRequestKind,
    Data,
    DataAccessResult,
)
from ..codec.gbcs.firmware_version import FIRMWARE_VERSION
from ..codec.zcl import frame as zcl
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import StateStore
from .gbcs_gate import GbcsGate, Rejected

PREPAYMENT, METERING = 0x0705, 0x0702
READ_ATTRIBUTES = foundation.GeneralCommand.Read_Attributes


@dataclass(frozen=True)
class Registers:
    """Values in the meter's units: credit in pence (SE currency units), energy in Wh."""

    credit_remaining: int = 2_000
    emergency_credit_remaining: int = 500
    credit_status: int = 0x01  # credit OK
    accumulated_debt: int = 0
    current_summation_delivered: int = 0
    unit_of_measure: int = 0x00  # kWh (binary), with the multiplier/divisor below
    multiplier: int = 1
    divisor: int = 1000

    def attributes(self, cluster: int) -> dict[int, Any]:
        if cluster == PREPAYMENT:
            return {
                0x0001: self.credit_remaining,
                0x0002: self.emergency_credit_remaining,
                0x0003: self.credit_status,
                0x0005: self.accumulated_debt,
            }
        return {
            0x0000: self.current_summation_delivered,
            0x0300: self.unit_of_measure,
            0x0301: self.multiplier,
            0x0302: self.divisor,
        }


DEFAULT_FIRMWARE_VERSION = bytes.fromhex("0123ABCD")  # as the RTDS ECS52 response reports


class Esme:
    def __init__(
        self,
        han: HanPort,
        store: StateStore,
        keystore: KeyStore | None = None,
        acb: Eui64 | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.han = han
        self.store = store
        saved = store.load("esme/registers")
        self.registers = Registers(**saved) if saved else Registers()
        self.firmware_version = bytes.fromhex(
            store.load("esme/firmware-version") or DEFAULT_FIRMWARE_VERSION.hex()
        )
        self.gate = (
            GbcsGate(han.eui64, keystore, acb, store, clock)
            if keystore is not None and acb is not None
            else None
        )

    async def on_gbcs(self, data: bytes) -> list[bytes]:
        """A GBCS message from the tunnel; the meter's response, if any."""
        if self.gate is None:
            return []
        accepted = self.gate.check(data)
        if isinstance(accepted, Rejected):
            return self.gate.rejection_replies(accepted)
        if not isinstance(accepted.payload, AccessRequest):
            return []
        request = accepted.payload
        served: list[Data] = []
        results: list[DataAccessResult] = []
        for spec in request.specifications:
            if spec.kind is AccessRequestKind.GET and spec.descriptor == FIRMWARE_VERSION:
                served.append(Data.octet_string(self.firmware_version))
                results.append(DataAccessResult.SUCCESS)
            else:
                served.append(Data.null())
                results.append(DataAccessResult.OBJECT_UNAVAILABLE)
        return [self.gate.respond(accepted.apdu, request, served, results)]

    def set_registers(self, **changes: int) -> None:
        self.registers = replace(self.registers, **changes)
        self.store.save("esme/registers", asdict(self.registers))

    async def handle(self, msg: ApsMessage) -> None:
        """A ZCL frame for the Prepayment or Metering server."""
        if msg.cluster not in (PREPAYMENT, METERING):
            return
        try:
            request = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return  # not even a ZCL header: nothing to answer to
        if request.direction != zcl.Direction.CLIENT_TO_SERVER:
            return
        if not request.is_global or request.command_id != READ_ATTRIBUTES:
            status = (
                foundation.Status.UNSUP_GENERAL_COMMAND
                if request.is_global
                else foundation.Status.UNSUP_CLUSTER_COMMAND
            )
            await self._reply(msg, self._default_response(msg, request, status))
            return
        try:
            parsed = zcl.parse_command(msg.cluster, request, strict=True)
        except DecodeError:
            reply = self._default_response(msg, request, foundation.Status.MALFORMED_COMMAND)
            await self._reply(msg, reply)
            return
        held = self.registers.attributes(msg.cluster)
        asked = getattr(parsed, "attribute_ids", ())  # Read Attributes' one field (ZCL §2.5.1)
        values = {int(a): held.get(int(a)) for a in asked}
        await self._reply(msg, zcl.read_attributes_response(msg.cluster, values, tsn=request.tsn))

    def _default_response(
        self, msg: ApsMessage, request: zcl.ZclFrame, status: foundation.Status
    ) -> zcl.ZclFrame:
        return zcl.build_command(
            msg.cluster,
            "Default_Response",
            tsn=request.tsn,
            command_id=request.command_id,
            status=status,
        )

    async def _reply(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        with contextlib.suppress(DeliveryError):  # a lost answer is the asker's to retry
            await self.han.send(
                msg.source,
                cluster=msg.cluster,
                payload=frame.encode(),
                dst_endpoint=msg.src_endpoint,
            )
