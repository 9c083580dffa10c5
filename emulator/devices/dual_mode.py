"""The dual-mode ("bilingual") PPMID of MP202: one device for a SMETS1 or a SMETS2+ system.

It is the SMETS2+ ``Ppmid`` (GBCS through its tunnel, Prepayment client) with a second
personality for SMETS1 HANs, chosen from the HAN it joins. The differences are written in its
profile (``PersonalityBehaviour``), one per personality, never as ad-hoc flags:

===================  ===================================  =====================================
                     SMETS2+                               SMETS1
===================  ===================================  =====================================
GBCS on the HAN      GB-HGRP tunnels from the CHF; CS03A2,  none: a Request Tunnel is answered
                     CS04AC, CS07, CS08 (``Ppmid``)         PROTOCOL_NOT_SUPPORTED
firmware version     CS08 ``firmwareVersion``               ZCL Basic SWBuildID (8 hex digits),
                                                           read by the SMETS1 hub for the S1SP
prepayment source    the meters on its GBCS Device Log      the ESI on its Trust Centre
                     (joined by CS03A2 / CS03C)             (endpoint 1; the S1SP joins it there)
===================  ===================================  =====================================

**How it tells** (``PERSONALITY_SIGNAL``, [U]): once CBKE with its Trust Centre has given it a
link key, it asks the Trust Centre's Tunneling server for its supported tunnel protocols (ZSE
D.6.2.4.7, Get Supported Tunnel Protocols). A SMETS2+ Communications Hub lists GB-HGRP (protocol
6, manufacturer 0xFFFF), the only carrier of GBCS on a GB HAN; a SMETS1 hub, with no GBCS on its
HAN, serves no Tunneling cluster and answers UNSUPPORTED_CLUSTER (or not at all, after
``PROBE_TIMEOUT``). Why this signal and not another: the choice MP202 cares about is "will GBCS
reach me", and this asks exactly that, in one round trip, before any GBCS arrives; waiting for
the CHF's first tunnel would make the choice depend on when the Supplier's first SRV comes;
the KE suite and the certificate issuer are the same in both systems as far as our sources go
(DOMAIN.md section 4, [U]); the Basic cluster has no attribute that names the system. Real
dual-mode PPMIDs may decide otherwise (manufacturers do not publish it).

The choice is persisted (a power cycle keeps it) and made again on each CBKE with a Trust Centre
(a PPMID moved to another system). Faulty profiles show that the rig's checks catch a PPMID that
gets it wrong: ``PersonalitySelection.ALWAYS_SMETS2_PLUS`` (answers as SMETS2+ in a SMETS1 HAN)
and a SMETS1 behaviour reporting the firmware version of the other CPL mode
(``faulty_wrong_firmware_profile``).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
from dataclasses import dataclass
from typing import Any

from zigpy.zcl import foundation

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import KeyStore
from ..codec.gbcs.asn1 import DeviceType
from ..codec.zcl import frame as zcl
from ..codec.zcl.tunneling import GB_HGRP_MANUFACTURER_CODE, ProtocolId, TunnelStatus
from ..han.clock import Clock
from ..han.key_establishment import KeyEstablishmentService
from ..han.port import ApsMessage, DeliveryError, HanPort, KeyEstablished
from ..han.stack.state import MemoryStateStore, StateStore
from .attribute_server import answer, default_response
from .ppmid import Credit, Ppmid, TopUpResult
from .tunnel import TUNNELING, TunnelServer

BASIC = 0x0000
PRICE = 0x0700
ZCL_VERSION, SW_BUILD_ID = 0x0000, 0x4000
DEVICE_ZCL_VERSION = 8
ESI_ENDPOINT = 1
PROBE_TIMEOUT = 10.0
"""Modelled seconds the PPMID waits for its Trust Centre's supported tunnel protocols; silence
counts as "no GB-HGRP" [I]."""
PRICE_ATTRIBUTES = (0x0300, 0x0301, 0x0400)
"""Commodity type, standing charge, no-tier block 1 price (what a SMETS1 PPMID shows)."""


class Personality(enum.Enum):
    SMETS1 = "SMETS1"
    SMETS2_PLUS = "SMETS2+"


class PersonalitySignal(enum.Enum):
    """[U] What a dual-mode PPMID looks at to choose its personality (module docstring)."""

    GB_HGRP_TUNNEL_PROTOCOL = "the Trust Centre's supported tunnel protocols list GB-HGRP"


PERSONALITY_SIGNAL = PersonalitySignal.GB_HGRP_TUNNEL_PROTOCOL


class FirmwareReport(enum.Enum):
    """Where the personality reports its firmware version."""

    GBCS_CS08 = "GBCS CS08 firmwareVersion"
    ZCL_BASIC_SW_BUILD_ID = "ZCL Basic SWBuildID"


class PrepaymentSource(enum.Enum):
    """Whose Prepayment server the personality reads credit from and tops up."""

    DEVICE_LOG_METERS = "the meters on its GBCS Device Log"
    TRUST_CENTRE_ESI = "the ESI on its Trust Centre"


class PersonalitySelection(enum.Enum):
    FROM_HAN = "from the HAN it joins (PERSONALITY_SIGNAL)"
    ALWAYS_SMETS2_PLUS = "always SMETS2+ (faulty: answers as SMETS2+ in a SMETS1 HAN)"


@dataclass(frozen=True)
class PersonalityBehaviour:
    """What one personality does; the table in the module docstring."""

    personality: Personality
    gbcs_on_han: bool
    firmware_report: FirmwareReport
    firmware_version: bytes
    """The 4-byte version this personality reports (its CPL row's)."""
    prepayment_source: PrepaymentSource


@dataclass(frozen=True)
class DualModeProfile:
    """One dual-mode PPMID model: both personalities and how it chooses between them."""

    name: str
    smets2: PersonalityBehaviour
    smets1: PersonalityBehaviour
    selection: PersonalitySelection = PersonalitySelection.FROM_HAN
    description: str = ""

    def behaviour(self, personality: Personality) -> PersonalityBehaviour:
        return self.smets1 if personality is Personality.SMETS1 else self.smets2


def _smets2(firmware: bytes) -> PersonalityBehaviour:
    return PersonalityBehaviour(
        Personality.SMETS2_PLUS,
        True,
        FirmwareReport.GBCS_CS08,
        firmware,
        PrepaymentSource.DEVICE_LOG_METERS,
    )


def _smets1(firmware: bytes) -> PersonalityBehaviour:
    return PersonalityBehaviour(
        Personality.SMETS1,
        False,
        FirmwareReport.ZCL_BASIC_SW_BUILD_ID,
        firmware,
        PrepaymentSource.TRUST_CENTRE_ESI,
    )


def dual_mode_profile(
    firmware: bytes, smets1_firmware: bytes | None = None, name: str = "dual-mode"
) -> DualModeProfile:
    """A conforming dual-mode PPMID. ``smets1_firmware``: what its SMETS1 personality reports,
    the SMETS1 CPL row's version: the real one for the enduring CPL mode (the default), the
    fictitious one for the tactical mode (SEC Appendix Z 3.13(b))."""
    return DualModeProfile(
        name,
        _smets2(firmware),
        _smets1(firmware if smets1_firmware is None else smets1_firmware),
        description="chooses its personality from the HAN it joins; reports its CPL rows' "
        "firmware versions",
    )


def faulty_smets2_in_smets1_profile(
    firmware: bytes, smets1_firmware: bytes | None = None
) -> DualModeProfile:
    """Faulty: answers as SMETS2+ in a SMETS1 HAN (never takes its SMETS1 personality)."""
    good = dual_mode_profile(firmware, smets1_firmware)
    return DualModeProfile(
        "faulty-smets2-in-smets1",
        good.smets2,
        good.smets1,
        PersonalitySelection.ALWAYS_SMETS2_PLUS,
        "answers as SMETS2+ in a SMETS1 HAN",
    )


def faulty_wrong_firmware_profile(firmware: bytes, smets1_firmware: bytes) -> DualModeProfile:
    """Faulty: its SMETS1 personality reports ``smets1_firmware``, the version of the *other* CPL
    mode (the caller passes the fictitious version under the enduring mode, the real one under
    the tactical mode)."""
    return DualModeProfile(
        "faulty-wrong-firmware",
        _smets2(firmware),
        _smets1(smets1_firmware),
        description="reports the wrong firmware version for the CPL mode",
    )


class DualModePpmid:
    """The dual-mode PPMID actor: a ``Ppmid`` (GBCS, Prepayment client) and its personality.

    The node's dispatch hands it Tunneling, Basic and the Prepayment / Metering / Price answers
    (``handle``); ``run`` watches the stack for CBKE with the Trust Centre and chooses the
    personality then."""

    def __init__(
        self,
        han: HanPort,
        clock: Clock,
        profile: DualModeProfile,
        store: StateStore | None = None,
        keystore: KeyStore | None = None,
        acb: Eui64 | None = None,
        *,
        cbke: KeyEstablishmentService | None = None,
        trust_centre: Eui64,
    ) -> None:
        self.han, self.clock, self.profile = han, clock, profile
        self.store = store if store is not None else MemoryStateStore()
        self.trust_centre = Eui64(trust_centre)
        self.ppmid = Ppmid(
            han, clock, self.store, keystore, acb, cbke=cbke, trust_centre=trust_centre
        )
        self.tunnels = TunnelServer(han, self.ppmid.on_gbcs)
        saved = self.store.load("ppmid/personality")
        self.personality: Personality | None = None if saved is None else Personality(saved)
        self.chosen = asyncio.Event()
        if self.personality is not None:
            self._apply(self.personality)
        self._tsn = itertools.count(0x40)
        self._probe: asyncio.Future[bool] | None = None
        self._probe_answer: list[bytes | None] = [None]
        self.probes: list[tuple[bytes, bytes | None]] = []
        """Each personality probe's ZCL request and the answer (None: silence), for evidence."""

    @property
    def eui64(self) -> Eui64:
        return self.han.eui64

    @property
    def behaviour(self) -> PersonalityBehaviour:
        return self.profile.behaviour(self.personality or Personality.SMETS2_PLUS)

    def _apply(self, personality: Personality) -> None:
        self.personality = personality
        self.ppmid.reported_version = self.profile.behaviour(personality).firmware_version
        self.store.save("ppmid/personality", personality.value)
        self.chosen.set()

    async def aclose(self) -> None:
        """Stop the work under way (a power-off): the PPMID's firmware activation and OTA."""
        await self.ppmid.aclose()

    # ---- choosing ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Choose the personality after each CBKE with the Trust Centre (until cancelled)."""
        async for event in self.han.events():
            if (
                isinstance(event, KeyEstablished)
                and event.partner == self.trust_centre
                and event.kind == "cbke"
            ):
                with contextlib.suppress(DeliveryError):
                    await self.choose_personality()

    async def choose_personality(self) -> Personality:
        """Ask the Trust Centre for its tunnel protocols (``PERSONALITY_SIGNAL``) and take the
        personality the answer means; a faulty profile may ignore it."""
        self.chosen.clear()
        gbcs = await self._trust_centre_offers_gb_hgrp()
        personality = Personality.SMETS2_PLUS if gbcs else Personality.SMETS1
        if self.profile.selection is PersonalitySelection.ALWAYS_SMETS2_PLUS:
            personality = Personality.SMETS2_PLUS
        self._apply(personality)
        return personality

    async def _trust_centre_offers_gb_hgrp(self) -> bool:
        request = zcl.build_command(
            TUNNELING, "get_supported_tunnel_protocols", tsn=next(self._tsn) & 0xFF,
            protocol_offset=0,
        )  # fmt: skip
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._probe = waiter
        record: list[bytes | None] = [None]
        self._probe_answer = record
        try:
            await self.han.send(self.trust_centre, cluster=TUNNELING, payload=request.encode())
            async with self.clock.timeout(PROBE_TIMEOUT):
                return await waiter
        except TimeoutError:
            return False
        finally:
            self._probe = None
            self.probes.append((request.encode(), record[0]))

    def _probe_answered(self, frame: zcl.ZclFrame) -> None:
        waiter = self._probe
        if waiter is None or waiter.done():
            return
        self._probe_answer[0] = frame.encode()
        if frame.is_global:  # a Default Response: no Tunneling cluster there
            waiter.set_result(False)
            return
        try:
            parsed: Any = zcl.parse_command(TUNNELING, frame)  # zigpy schema
            offered = {(int(p.manufacturer_code), int(p.protocol_id)) for p in parsed.protocol_list}
        except (DecodeError, AttributeError):
            waiter.set_result(False)
            return
        waiter.set_result((GB_HGRP_MANUFACTURER_CODE, ProtocolId.GB_HGRP) in offered)

    # ---- the HAN ------------------------------------------------------------------------------

    async def handle(self, msg: ApsMessage) -> None:
        """Tunneling, Basic, and answers to the PPMID's own reads and top-ups."""
        if msg.cluster == TUNNELING:
            await self._tunneling(msg)
        elif msg.cluster == BASIC:
            await self._basic(msg)
        else:
            await self.ppmid.handle(msg)

    async def _tunneling(self, msg: ApsMessage) -> None:
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        if frame.direction == zcl.Direction.SERVER_TO_CLIENT:
            if msg.source == self.trust_centre and (frame.is_global or frame.command_id == 0x05):
                self._probe_answered(frame)
            return
        if self.behaviour.gbcs_on_han:
            await self.tunnels.handle(msg)
        elif not frame.is_global and frame.command_id == 0x00:  # Request Tunnel: no GB-HGRP
            reply = zcl.build_command(
                TUNNELING, "request_tunnel_response", tsn=frame.tsn, tunnel_id=0xFFFF,
                tunnel_status=TunnelStatus.PROTOCOL_NOT_SUPPORTED,
                maximum_incoming_transfer_size=0,
            )  # fmt: skip
            await self._reply(msg, reply)

    async def _basic(self, msg: ApsMessage) -> None:
        """Basic server: ZCLVersion always, SWBuildID where the personality reports there."""
        try:
            request = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        if request.direction != zcl.Direction.CLIENT_TO_SERVER:
            return
        if not (
            request.is_global and request.command_id == foundation.GeneralCommand.Read_Attributes
        ):
            await self._reply(
                msg, default_response(BASIC, request, foundation.Status.UNSUP_GENERAL_COMMAND)
            )
            return
        try:
            parsed: Any = zcl.parse_command(BASIC, request, strict=True)
        except DecodeError:
            await self._reply(
                msg, default_response(BASIC, request, foundation.Status.MALFORMED_COMMAND)
            )
            return
        held: dict[int, Any] = {ZCL_VERSION: DEVICE_ZCL_VERSION}
        behaviour = self.behaviour
        if behaviour.firmware_report is FirmwareReport.ZCL_BASIC_SW_BUILD_ID:
            held[SW_BUILD_ID] = behaviour.firmware_version.hex().upper()
        asked = [int(a) for a in parsed.attribute_ids]
        reply = zcl.read_attributes_response(
            BASIC, {a: held.get(a) for a in asked}, tsn=request.tsn
        )
        await self._reply(msg, reply)

    async def _reply(self, msg: ApsMessage, frame: zcl.ZclFrame) -> None:
        await answer(self.han, msg, frame)

    # ---- what the consumer sees -------------------------------------------------------------

    def prepayment_meter(self) -> tuple[Eui64, int] | None:
        """Whose Prepayment server this personality reads (EUI, endpoint); None if none yet."""
        if self.behaviour.prepayment_source is PrepaymentSource.TRUST_CENTRE_ESI:
            return self.trust_centre, ESI_ENDPOINT
        for partner in self.ppmid.join_log:
            if partner.device_type == DeviceType.ESME:
                return partner.eui64, 1
        return None

    async def read_credit(self) -> Credit:
        """Credit from the personality's prepayment source; LookupError if it has none."""
        source = self.prepayment_meter()
        if source is None:
            raise LookupError(f"no prepayment source ({self.behaviour.prepayment_source.value})")
        return await self.ppmid.read_credit(*source)

    async def read_price(self) -> dict[int, Any]:
        """The ESI's price (SMETS1 personality); LookupError where there is no ESI."""
        if self.behaviour.prepayment_source is not PrepaymentSource.TRUST_CENTRE_ESI:
            raise LookupError("the SMETS2+ personality reads no ESI price")
        return await self.ppmid.read(self.trust_centre, PRICE, PRICE_ATTRIBUTES, ESI_ENDPOINT)

    async def top_up(self, code: bytes | str) -> TopUpResult:
        source = self.prepayment_meter()
        if source is None:
            raise LookupError(f"no prepayment source ({self.behaviour.prepayment_source.value})")
        return await self.ppmid.top_up(source[0], code, source[1])
