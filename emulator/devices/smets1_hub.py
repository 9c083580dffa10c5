"""A SMETS1 Communications Hub, modelled at the ZigBee Smart Energy level: no GBCS on its HAN.

MP202 is about PPMIDs that work in a SMETS1 system as well as a SMETS2+ one; the rig needs a
SMETS1 system for them to join. DOMAIN.md section 8 leaves SMETS1 HAN detail open and says to
model it at the ZSE level, without GBCS, behind an S1SP adapter in the DCC. What is modelled:

- **The HAN**: the hub is coordinator and Trust Centre; a device joins with its install-code link
  key once the S1SP has whitelisted it (``add_device``, the S1SP's 8.11), then runs CBKE with the
  hub (the node's Key Establishment service: any joined device may, as ZSE has it).
- **The ESI** (Energy Service Interface) the SMETS1 meter's data is served from, on the hub's
  endpoint 1 ([U] many SMETS1 installations have the hub inside the electricity meter; the
  profile's ``esme`` is that meter's SMI identity): Prepayment (credit, emergency credit, credit
  status, debt; Consumer Top Up with a UTRN made for the ESME), Metering (summation, unit,
  multiplier, divisor), Price (commodity, standing charge, the no-tier block 1 price) and Time.
  Only devices the S1SP joined to the meter (``join``, its 8.7.1) may read them or top up, and only
  APS secured; anyone else gets Default Response NOT_AUTHORIZED.
- **No GBCS**: the hub serves no Tunneling cluster, so a Get Supported Tunnel Protocols or a
  Request Tunnel is answered UNSUPPORTED_CLUSTER; that is how a dual-mode PPMID tells it joined a
  SMETS1 HAN (``dual_mode.py``).
- **The S1SP's side** (``rig.dcc.s1sp``): ``add_device`` / ``remove_device`` (Device Log and join
  window), ``join`` / ``unjoin`` (a PPMID on the ESI), ``read_firmware_version`` (ZCL Read
  Attributes of a device's Basic SWBuildID, ``SMETS1_FIRMWARE_ATTRIBUTE``) and ``device_log``;
  each answers an ``S1Outcome`` with the ZCL frames it exchanged, for the evidence.

What is not modelled: the SMETS1 WAN and head-end (the S1SP calls the hub in-process after
``rig.dcc.s1sp.S1SP_WAN_DELAY``), SMETS1 meter configuration, tariffs beyond one price, alerts,
OTA. The Device Log, the joined devices and the meter's registers live in the ``StateStore``.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from zigpy.zcl import foundation

from ..codec import utrn
from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.security import keys
from ..codec.zcl import frame as zcl
from ..codec.zcl.attributes import Side
from ..codec.zcl.time import TIME, TIME_STATUS_MASTER_SYNCHRONISED, utc_time
from ..han.clock import Clock
from ..han.port import ApsMessage, DeliveryError, HanPort
from ..han.stack.state import StateStore
from .attribute_server import AttributeServer, answer, default_response
from .registers import METERING, PREPAYMENT, Registers
from .top_up import TopUpLedger
from .tunnel import TUNNELING

PRICE = 0x0700
BASIC = 0x0000
SW_BUILD_ID = 0x4000
ZCL_VERSION = 0x0000
CONSUMER_TOP_UP = 0x04
READ_TIMEOUT = 30.0
"""Modelled seconds the hub waits for a device's answer to its ZCL read."""
SMETS1_FIRMWARE_ATTRIBUTE = (BASIC, SW_BUILD_ID)
"""[U] Where a SMETS1 system reads a HAN device's firmware version: ZCL Basic SWBuildID (a
character string; we carry the 4-byte version as 8 hex digits, as the CPL writes it). SMETS1
head-ends are proprietary; this is the ZCL attribute made for it."""


class Smets1Operation(enum.StrEnum):
    """What the S1SP asks the SMETS1 hub to do (the SMETS1 side of a DUIS SRV)."""

    ADD_DEVICE = "add device"
    REMOVE_DEVICE = "remove device"
    JOIN = "join"
    UNJOIN = "unjoin"
    READ_FIRMWARE_VERSION = "read firmware version"
    READ_DEVICE_LOG = "read device log"


@dataclass(frozen=True)
class ZclExchange:
    """One ZCL frame the hub sent or received for an operation (evidence for reports)."""

    direction: str  # "sent" / "received"
    peer: Eui64
    cluster: int
    frame: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "direction": self.direction,
            "peer": str(self.peer),
            "cluster": f"0x{self.cluster:04X}",
            "zcl": self.frame.hex().upper(),
        }


@dataclass(frozen=True)
class S1Outcome:
    """The hub's answer to one S1SP operation: done or not (and why), the values read."""

    operation: Smets1Operation
    ok: bool
    reason: str = ""
    values: tuple[tuple[str, str], ...] = ()
    zcl: tuple[ZclExchange, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Smets1HubProfile:
    """The SMETS1 Communications Hub as a profile (the SMETS2+ hub is ``comms_hub.CommsHub``).

    ``smets_chts_version`` is what its CPL row says (``SMETS1`` for the DCC's SMETS version);
    ``esme`` the SMI identity of the meter whose data the ESI serves."""

    name: str
    esme: Eui64
    smets_chts_version: str = "SMETS1"
    registers: Registers = field(default_factory=Registers)
    standing_charge: int = 2_500
    """Price: standing charge, in the currency's smallest unit per day [I]."""
    block_1_price: int = 2_450
    """Price: no-tier block 1 price per kWh [I]."""
    commodity_type: int = 0x00  # electric metering
    gbcs_on_han: bool = False
    """Always False: a SMETS1 HAN carries no GBCS (DOMAIN.md section 8). Kept explicit so a
    report can say what the hub offers."""


class Smets1Hub:
    """The SMETS1 hub actor on its node's ``HanPort`` (``han``: the coordinator's stack)."""

    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        store: StateStore,
        profile: Smets1HubProfile,
    ) -> None:
        self.han, self.clock, self.store, self.profile = han, clock, store, profile
        saved = store.load("smets1/registers")
        self.registers = Registers(**saved) if saved else profile.registers
        self.top_ups = TopUpLedger(
            store,
            profile.esme,
            utrn.meter_test_key(profile.esme),
            key="smets1/top-up/used-sequences",
        )
        self._log: dict[str, str] = dict(store.load("smets1/device-log") or {})
        """EUI hex -> device type (DUIS text)."""
        self._joined: set[str] = set(store.load("smets1/esi-partners") or [])
        self._esi = AttributeServer(self._esi_attributes)
        self._tsn = itertools.count(1)
        self._answers: dict[tuple[Eui64, int], asyncio.Future[zcl.ZclFrame]] = {}
        self.rejected: dict[str, int] = {}

    @property
    def eui64(self) -> Eui64:
        return self.han.eui64

    # ---- the S1SP's operations ------------------------------------------------------------------

    def device_log(self) -> list[tuple[Eui64, str]]:
        return [(Eui64(e), t) for e, t in sorted(self._log.items())]

    def joined(self, device: Eui64) -> bool:
        return Eui64(device).hex in self._joined

    async def add_device(
        self, device: Eui64, device_type: str, install_code: bytes, seconds: float
    ) -> S1Outcome:
        """Whitelist ``device``: on the Device Log, admitted to join with its install-code key."""
        op = Smets1Operation.ADD_DEVICE
        if len(install_code) not in (6, 8, 12, 16):
            return S1Outcome(op, False, "install code of an invalid length")
        self._log[Eui64(device).hex] = device_type
        self.store.save("smets1/device-log", self._log)
        key = keys.install_code_key(install_code)
        await self.han.permit_joining(Eui64(device), key, seconds)
        return S1Outcome(op, True)

    async def remove_device(self, device: Eui64) -> S1Outcome:
        op = Smets1Operation.REMOVE_DEVICE
        if self._log.pop(Eui64(device).hex, None) is None:
            return S1Outcome(op, False, "not on the Device Log")
        self._joined.discard(Eui64(device).hex)
        self._save()
        await self.han.remove_device(Eui64(device))
        return S1Outcome(op, True)

    async def join(self, device: Eui64, meter: Eui64) -> S1Outcome:
        """A device on the Device Log may read and top up ``meter`` (the ESI's meter)."""
        op = Smets1Operation.JOIN
        if Eui64(meter) != self.profile.esme:
            return S1Outcome(op, False, f"{meter} is not this hub's meter")
        if Eui64(device).hex not in self._log:
            return S1Outcome(op, False, f"{device} is not on the Device Log")
        self._joined.add(Eui64(device).hex)
        self._save()
        return S1Outcome(op, True)

    async def unjoin(self, device: Eui64, meter: Eui64) -> S1Outcome:
        op = Smets1Operation.UNJOIN
        if Eui64(device).hex not in self._joined or Eui64(meter) != self.profile.esme:
            return S1Outcome(op, False, f"{device} is not joined to {meter}")
        self._joined.discard(Eui64(device).hex)
        self._save()
        return S1Outcome(op, True)

    async def read_firmware_version(self, device: Eui64) -> S1Outcome:
        """ZCL Read Attributes of ``device``'s Basic SWBuildID (``SMETS1_FIRMWARE_ATTRIBUTE``)."""
        op = Smets1Operation.READ_FIRMWARE_VERSION
        cluster, attribute = SMETS1_FIRMWARE_ATTRIBUTE
        request = zcl.read_attributes([attribute], tsn=next(self._tsn) & 0xFF)
        frames = [ZclExchange("sent", Eui64(device), cluster, request.encode())]
        try:
            answer = await self._ask(Eui64(device), cluster, request)
        except (DeliveryError, TimeoutError) as exc:
            return S1Outcome(
                op, False, f"no answer: {exc or type(exc).__name__}", zcl=tuple(frames)
            )
        frames.append(ZclExchange("received", Eui64(device), cluster, answer.encode()))
        try:
            value = zcl.read_attributes_result(answer).get(attribute)
        except DecodeError:
            value = None
        if not isinstance(value, str):
            why = value.name if isinstance(value, foundation.Status) else "no SWBuildID"
            return S1Outcome(op, False, f"firmware version not read: {why}", zcl=tuple(frames))
        return S1Outcome(op, True, values=(("FirmwareVersion", value),), zcl=tuple(frames))

    def _save(self) -> None:
        self.store.save("smets1/device-log", self._log)
        self.store.save("smets1/esi-partners", sorted(self._joined))

    async def _ask(self, device: Eui64, cluster: int, request: zcl.ZclFrame) -> zcl.ZclFrame:
        waiter: asyncio.Future[zcl.ZclFrame] = asyncio.get_running_loop().create_future()
        self._answers[(device, request.tsn)] = waiter
        try:
            await self.han.send(device, cluster=cluster, payload=request.encode())
            async with self.clock.timeout(READ_TIMEOUT):
                return await waiter
        finally:
            self._answers.pop((device, request.tsn), None)

    # ---- the HAN ------------------------------------------------------------------------------

    def _esi_attributes(self, cluster: int, side: Side) -> dict[int, Any] | None:
        if side is not Side.SERVER:
            return None
        if cluster in (PREPAYMENT, METERING):
            return dict(self.registers.attributes(cluster))
        if cluster == PRICE:
            p = self.profile
            return {0x0300: p.commodity_type, 0x0301: p.standing_charge, 0x0400: p.block_1_price}
        if cluster == TIME:
            return {
                0x0000: utc_time(self.clock.datetime()),
                0x0001: TIME_STATUS_MASTER_SYNCHRONISED,
            }
        return None

    def set_registers(self, **changes: int) -> None:
        self.registers = replace(self.registers, **changes)
        self.store.save("smets1/registers", asdict(self.registers))

    async def handle(self, msg: ApsMessage) -> None:
        """Every ZCL frame for the hub's applications (the node's dispatch hands them over)."""
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        waiter = self._answers.get((msg.source, frame.tsn))
        if frame.direction == zcl.Direction.SERVER_TO_CLIENT:
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
            return
        if msg.cluster in (PREPAYMENT, METERING, PRICE):
            await self._serve_esi(msg, frame)
        elif msg.cluster == TIME:
            reply = self._esi.respond(TIME, msg.payload)
            if reply is not None:
                await self._reply(msg, reply)
        elif not frame.is_global or msg.cluster == TUNNELING:
            # no GBCS on a SMETS1 HAN: no Tunneling cluster (nor any other we do not serve)
            unsupported = foundation.Status.UNSUPPORTED_CLUSTER
            await self._reply(msg, default_response(msg.cluster, frame, unsupported))
            self.rejected[f"cluster 0x{msg.cluster:04X}"] = (
                self.rejected.get(f"cluster 0x{msg.cluster:04X}", 0) + 1
            )

    async def _serve_esi(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        allowed = msg.aps_secured and msg.source.hex in self._joined
        if not allowed:
            reply = default_response(msg.cluster, frame, foundation.Status.NOT_AUTHORIZED)
        elif (
            msg.cluster == PREPAYMENT
            and not frame.is_global
            and frame.command_id == CONSUMER_TOP_UP
        ):
            reply = self._top_up(msg, frame)
        else:
            answer = self._esi.respond(msg.cluster, msg.payload)
            if answer is None:
                return
            reply = answer
        await self._reply(msg, reply)

    def _top_up(self, msg: ApsMessage, frame: zcl.ZclFrame) -> zcl.ZclFrame:
        """Consumer Top Up (ZSE D.7.2.3.5) on the meter's credit, with the meter's UTRN key."""
        try:
            parsed: Any = zcl.parse_command(PREPAYMENT, frame, strict=True)  # zigpy schema
        except DecodeError:
            return default_response(msg.cluster, frame, foundation.Status.MALFORMED_COMMAND)
        credit = self.registers.credit_remaining
        outcome = self.top_ups.apply(bytes(parsed.top_up_code), credit)
        if outcome.value:
            self.set_registers(credit_remaining=credit + outcome.value)
        return zcl.build_command(
            PREPAYMENT,
            "consumer_top_up_response",
            tsn=frame.tsn,
            result_type=outcome.result,
            top_up_value=outcome.value,
            source_of_top_up=parsed.originating_device,
            credit_remaining=self.registers.credit_remaining & 0xFFFFFFFF,
        )

    async def _reply(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        await answer(self.han, msg, frame)
