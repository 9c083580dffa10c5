"""The GSME (gas meter) as a HAN device: a battery-powered sleepy end device that wakes, pushes
its registers to its GPF mirror, and fetches the GBCS the hub holds for it.

Every ``wake_period`` modelled seconds it:

1. reports its Prepayment and Metering server attributes to the GPF endpoint with ZCL Report
   Attributes. Reports, not Write Attributes: ZSE mirroring has the meter report to its mirror,
   Metering server attributes are read-only so a conforming mirror refuses writes, and a report
   needs no answer, so the battery device's radio stays on for less;
2. reads the mirror's FunctionalNotificationFlags (a Metering client attribute: Read Attributes
   sent server to client);
3. when TUNNEL_MESSAGE_PENDING is set, opens its tunnel to the hub if need be, GETs messages one
   by one until none remains (GET-RESPONSE says how many wait), handles each and PUTs its
   response or alert back; the hub sends them to the WAN;
4. on a dual-band hub's sub-GHz HAN, when NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE is set, reads the
   Sub-GHz cluster's ChannelChange attribute from the hub and moves its radio to that channel
   (``CHANNEL_CHANGE_GUARD`` after the answer, so its last frames on the old channel go out).

Suspend ZCL Messages from the hub's Sub-GHz cluster (duty-cycle management) stops the mirror
reports for the period it names (0 lifts it); [U] GBCS through the tunnel still flows, as the
hub discards what must not reach a silenced device itself (DBCH10).

GBCS use cases, after the gate's checks (``gbcs_gate.py``; a refused command gets the gate's
alert, PUT like any answer): GCS28 Set Clock (critical: SetTimeCommand's validity interval; the
GSME takes the hub's time from its Time cluster and, when that time falls inside the interval,
sets its clock to it and answers SetTimeResponse {deviceTime, 0 reliable}, signed; outside it keeps
its clock and answers with status ``DeviceTimeStatus.INVALID`` [U]); the join use cases CS03B
(GPF), CS03C (PPMID with its KA certificate), CS04AC / CS04B and CS07 through its ``JoinLog``.
Registers, clock offset, Device Log and the gate's counters live in the state store.

Firmware (``firmware.py``): the hub raises NEW_OTA_FIRMWARE in the mirror's flags when it holds
an image for the GSME (a sleepy device gets no Image Notify); on a wake-up that reads it the
GSME's ``OtaClient`` fetches the image, polling fast while it does. The receipt alert 0x00CF, and
any alert raised outside a command's turn (a future-dated CS06's 0x00CA), waits in the GSME's
outbox (state store) and goes out on its next wake-up as a PUT through its tunnel. CS06
activates; GCS38 reads the running version (Metering CurrentMeterID, as the RTDS GCS38).

Off a network (never joined yet, or left) the GSME idles: a wake-up whose sends fail with
``NotJoined`` stops the wake loop until the GSME's own ``Joined`` event. A battery meter with no
HAN has nothing to report and no hub to pull from, and an install-and-leave premises waits
months for its WAN (MP121) without a timer per wake-up (about 0.1 ms of work each, so 30 s wake-ups
would cost a 90-day wait some 30 s of wall time on virtual time).

While a key establishment with its hub is under way (``cbke``, the node's Key Establishment
service) the GSME does not wake: its reports and reads are APS-secured with the link key CBKE is
replacing, and the two ends install the new key at different moments (the hub once its last
frame reaches the sleeping GSME, a poll later), so frames sent then fail their MIC. A wake-up
that falls due during CBKE is skipped and the next comes a full ``wake_period`` after the exchange
ends, by when both ends hold the new key. (ZSE has a device establish its link key before it
sends Smart Energy traffic; the GSME stays quiet in the same spirit when the key is renewed.)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import enum
import itertools
from dataclasses import asdict, dataclass, replace
from typing import Protocol

from ..codec.errors import DecodeError
from ..codec.eui64 import Eui64
from ..codec.gbcs import Asn1Payload, KeyStore, MessageCode
from ..codec.gbcs.asn1 import encode_asn1
from ..codec.gbcs.gbz import CONTROL_LAST_COMPONENT, GbzComponent, GbzPayload
from ..codec.gbcs.sub_ghz import ChannelMask
from ..codec.zcl import frame as zcl
from ..codec.zcl.attributes import Side, report_attributes
from ..codec.zcl.metering import (
    FUNCTIONAL_NOTIFICATION_FLAGS,
    METERING,
    FunctionalNotificationFlags,
)
from ..codec.zcl.ota import OTA_UPGRADE
from ..codec.zcl.time import TIME, from_utc_time
from ..han.clock import Clock
from ..han.key_establishment import KeyEstablishmentService
from ..han.medium import Channel
from ..han.port import ApsMessage, DeliveryError, HanPort, Joined, NotJoined
from ..han.radio import Band
from ..han.stack.state import StateStore
from .firmware import AlertFormat, DeviceFirmware
from .firmware_slots import FirmwareSlots
from .gbcs_gate import GbcsGate, Rejected
from .gpf import GPF_ENDPOINT
from .join_log import HANDLED, JoinLog
from .ota_client import OtaClient, OtaClientProfile
from .partners import asn1_value
from .registers import GAS, PREPAYMENT, Registers
from .tunnel import TUNNELING, TunnelClient

SUB_GHZ = 0x070B  # the Sub-GHz cluster (``sub_ghz.py`` serves it on the hub)
CHANNEL_CHANGE = 0x0000  # its ChannelChange attribute: the new channel as a 32-bit mask
SUSPEND_ZCL_MESSAGES = 0x00  # server-to-client command {period, minutes}
CHANNEL_CHANGE_GUARD = 1.0
"""[I] Seconds between the ChannelChange answer and the move: more than the 100 ms rule and
listen-before-talk, so the APS ACK of that answer goes out on the old channel."""


class SubGhzTuner(Protocol):
    """What moves the GSME's radio (its stack): beside ``HanPort``, as only a radio's owner
    changes channel."""

    def tune(self, channel: Channel) -> None: ...


DEFAULT_FIRMWARE_VERSION = bytes.fromhex("0123ABCD")  # as the RTDS GCS38 response reports
CURRENT_METER_ID = 0x0206
"""Metering attribute CurrentMeterID: what the RTDS GCS38 reads for the firmware version."""
READ_ATTRIBUTES, READ_ATTRIBUTES_RESPONSE = 0x00, 0x01
UNSUPPORTED_ATTRIBUTE = 0x86
OCTET_STRING = 0x41


@dataclass(frozen=True)
class GsmeProfile:
    """How this GSME behaves; the defaults are a plausible meter, not a specification."""

    wake_period: float = 30.0
    """[U] Modelled seconds between wake-ups: real GSMEs wake every few seconds to 30 minutes."""
    reply_timeout: float = 240.0
    """Seconds to wait for each answer from the hub. [I] The hub hands each APS fragment over
    on one of the GSME's polls: a 1500-octet GBCS message is 24 fragments, 180 s at the 7.5 s
    poll period of ``han_join``."""
    gpf_endpoint: int = GPF_ENDPOINT
    hub_endpoint: int = 1
    """Where the hub serves the Tunneling and Time clusters."""
    endpoint: int = 1


class DeviceTimeStatus(enum.IntEnum):
    """SetTimeResponse's deviceTimeStatus."""

    RELIABLE = 0
    INVALID = 1
    """[U] The value for a time outside the validity interval is not in our sources."""


class Gsme:
    def __init__(
        self,
        han: HanPort,
        store: StateStore,
        keystore: KeyStore,
        acb: Eui64,
        clock: Clock,
        hub: Eui64,
        profile: GsmeProfile | None = None,
        *,
        tuner: SubGhzTuner | None = None,
        cbke: KeyEstablishmentService | None = None,
        ota: OtaClientProfile | None = None,
        supplier: Eui64 | None = None,
    ) -> None:
        self.han = han
        self.tuner = tuner
        """Set on the sub-GHz band: the GSME follows the hub's channel changes."""
        self.cbke = cbke
        self.suspended_until = 0.0
        """Modelled time until which Suspend ZCL Messages holds the mirror reports back."""
        self.channel_changes = 0
        self.store = store
        self.clock = clock
        self.hub = Eui64(hub)
        self.profile = profile or GsmeProfile()
        saved = store.load("gsme/registers")
        self.registers = Registers(**saved) if saved else GAS
        self._mirrored: Registers | None = None
        """What the mirror was last sent (volatile: after a power cycle the GSME sends again)."""
        self.join_log = JoinLog(store, "gsme/join-log")
        self.gate = GbcsGate(han.eui64, keystore, Eui64(acb), store, clock)
        self.rejected = self.gate.rejected
        self.tunnel = TunnelClient(han, clock)
        self.slots = FirmwareSlots(store, "gsme/firmware", DEFAULT_FIRMWARE_VERSION)
        client = None if ota is None else OtaClient(han, clock, self.slots, ota, self.hub)
        self.firmware = DeviceFirmware(
            self.gate, clock, self.slots, AlertFormat.GBZ, supplier, client
        )
        self.firmware.send = self._queue
        self.wakes = 0
        self.off_network = False
        """The last wake-up found the GSME on no network (``NotJoined``): ``run`` idles."""
        self.wakes_skipped = 0
        """Wake-ups not made because a key establishment with the hub was under way."""
        self._tsn = itertools.count(1)
        self._replies: dict[tuple[int, int], asyncio.Future[zcl.ZclFrame]] = {}

    @property
    def eui64(self) -> Eui64:
        return self.han.eui64

    def now(self) -> datetime.datetime:
        """The GSME's own clock: the modelled time plus the offset it was set to."""
        offset = float(self.store.load("gsme/clock-offset") or 0.0)
        return self.clock.datetime() + datetime.timedelta(seconds=offset)

    def set_registers(self, **changes: int) -> None:
        self.registers = replace(self.registers, **changes)
        self.store.save("gsme/registers", asdict(self.registers))

    @property
    def firmware_version(self) -> bytes:
        return self.slots.running_version

    @property
    def outbox(self) -> list[bytes]:
        """Alerts raised between wake-ups, PUT on the next one (persisted)."""
        return [bytes.fromhex(m) for m in self.store.load("gsme/outbox") or []]

    async def _queue(self, gbcs: bytes) -> None:
        self.store.save("gsme/outbox", [m.hex() for m in (*self.outbox, gbcs)])

    async def flush(self) -> None:
        """PUT what the outbox holds, oldest first; each leaves it once the hub has it."""
        while queued := self.outbox:
            await self.tunnel.put(self.hub, queued[0])
            self.store.save("gsme/outbox", [m.hex() for m in queued[1:]])

    async def run(self) -> None:
        """Wake every ``wake_period`` for ever (a task of the premises); idle while on no
        network and while CBKE with the hub is under way (module docstring)."""
        while True:
            await self.clock.sleep(self.profile.wake_period)
            if self.cbke is not None and self.cbke.under_way(self.hub):
                self.wakes_skipped += 1
                await self.cbke.settled(self.hub)
                continue
            await self.wake()
            if self.off_network:
                await self._until_joined()

    async def _until_joined(self) -> None:
        """Until the GSME's own ``Joined``. No await lies between the send that found it on no
        network and the subscription here, so a join cannot slip between them."""
        async for event in self.han.events():
            if isinstance(event, Joined) and event.eui64 == self.eui64:
                self.off_network = False
                return

    async def wake(self) -> int:
        """One wake-up: push the registers, read the flags, fetch and answer what waits.
        Returns how many GBCS messages it fetched; a hub that does not answer ends the wake-up."""
        self.wakes += 1
        self.off_network = False
        try:
            if self.registers != self._mirrored and not self.suspended:
                await self.push_registers()  # the battery's sake: only what changed
            flags = await self.read_flags()
            ota = self.firmware.ota
            if FunctionalNotificationFlags.NEW_OTA_FIRMWARE in flags and ota is not None:
                ota.start()  # in the background, unless a transfer runs already
            await self.flush()
            fetched = 0
            if FunctionalNotificationFlags.TUNNEL_MESSAGE_PENDING in flags:
                fetched = await self.pull()
            if FunctionalNotificationFlags.NEW_SUB_GHZ_CHANNEL_MASKS_AVAILABLE in flags:
                await self.follow_channel_change()
            return fetched
        except NotJoined:
            self.off_network = True
            return 0
        except (DeliveryError, TimeoutError):
            return 0

    @property
    def suspended(self) -> bool:
        return self.clock.now() < self.suspended_until

    async def follow_channel_change(self) -> None:
        """Read the hub's ChannelChange; move there (a GSME not on sub-GHz has nothing to do)."""
        if self.tuner is None:
            return
        request = zcl.read_attributes([CHANNEL_CHANGE], tsn=self._next_tsn())
        answer = await self._request(SUB_GHZ, request, self.profile.hub_endpoint)
        value = zcl.read_attributes_result(answer).get(CHANNEL_CHANGE)
        if not isinstance(value, int) or value == 0:
            return  # no change pending (any more)
        try:
            channel = next(iter(ChannelMask.from_word(value)))
        except (ValueError, StopIteration):
            return  # not one channel: ignored [U]
        await self.clock.sleep(CHANNEL_CHANGE_GUARD)
        self.tuner.tune(Channel(Band.SUB_GHZ, int(channel.page), channel.number))
        self.channel_changes += 1

    async def push_registers(self) -> None:
        """Report the registers to the GPF's mirror (a send that fails raises DeliveryError)."""
        registers = self.registers
        for cluster in (PREPAYMENT, METERING):
            frame = report_attributes(
                cluster, Side.SERVER, registers.attributes(cluster), tsn=self._next_tsn()
            )
            await self.han.send(
                self.hub,
                cluster=cluster,
                payload=frame.encode(),
                src_endpoint=self.profile.endpoint,
                dst_endpoint=self.profile.gpf_endpoint,
            )
        self._mirrored = registers

    async def read_flags(self) -> FunctionalNotificationFlags:
        """The mirror's FunctionalNotificationFlags (none, if the GPF refuses the read)."""
        request = zcl.read_attributes(
            [FUNCTIONAL_NOTIFICATION_FLAGS],
            tsn=self._next_tsn(),
            direction=zcl.Direction.SERVER_TO_CLIENT,
        )
        answer = await self._request(METERING, request, self.profile.gpf_endpoint)
        try:
            value = zcl.read_attributes_result(answer).get(FUNCTIONAL_NOTIFICATION_FLAGS)
        except DecodeError:
            return FunctionalNotificationFlags(0)
        return FunctionalNotificationFlags(value if isinstance(value, int) else 0)

    async def pull(self) -> int:
        """GET until the hub holds nothing more; every answer PUT back."""
        fetched = 0
        while True:
            message, remaining = await self.tunnel.get(self.hub, self.profile.reply_timeout)
            if message is not None:
                fetched += 1
                for reply in await self.on_gbcs(message):
                    await self.tunnel.put(self.hub, reply)
            if message is None or remaining == 0:
                return fetched

    async def hub_time(self) -> datetime.datetime:
        """The hub's Time attribute (UTC seconds since 2000)."""
        request = zcl.read_attributes([0x0000], tsn=self._next_tsn())
        answer = await self._request(TIME, request, self.profile.hub_endpoint)
        value = zcl.read_attributes_result(answer).get(0x0000)
        if not isinstance(value, int):
            raise DeliveryError(f"the hub's time did not read: {value!r}")
        return from_utc_time(int(value))

    async def on_gbcs(self, data: bytes) -> list[bytes]:
        """A GBCS message fetched from the hub; what the GSME sends back."""
        accepted = self.gate.check(data)
        if isinstance(accepted, Rejected):
            return self.gate.rejection_replies(accepted)
        if (answered := self.gate.update_security_credentials(accepted)) is not None:
            return answered
        apdu, payload = accepted.apdu, accepted.payload
        value = payload.value if isinstance(payload, Asn1Payload) else None
        if apdu.message_code == MessageCode.GCS28_SET_CLOCK_ON_GSME and isinstance(value, dict):
            return [self.gate.reply(apdu, await self._set_clock(value))]
        if apdu.message_code == MessageCode.CS06_ACTIVATE_FIRMWARE:
            return self.firmware.activate(accepted, asn1_value(payload))
        if apdu.message_code == MessageCode.GCS38_READ_GSME_FIRMWARE_VERSION and isinstance(
            payload, GbzPayload
        ):
            return [self.gate.reply(apdu, read_firmware_version(payload, self.firmware_version))]
        if apdu.message_code in HANDLED:
            content, _ = self.join_log.command(apdu.message_code, value)
            return [self.gate.reply(apdu, content)]
        self.rejected["unsupported use case"] += 1
        return []

    async def _set_clock(self, command: dict[str, datetime.datetime]) -> bytes:
        start = command["validityIntervalStart"].replace(tzinfo=datetime.UTC)
        end = command["validityIntervalEnd"].replace(tzinfo=datetime.UTC)
        status = DeviceTimeStatus.INVALID
        with contextlib.suppress(DeliveryError, TimeoutError, DecodeError):
            hub_now = await self.hub_time()
            if start <= hub_now <= end:
                offset = (hub_now - self.clock.datetime()).total_seconds()
                self.store.save("gsme/clock-offset", offset)
                status = DeviceTimeStatus.RELIABLE
        device_time = self.now().replace(microsecond=0, tzinfo=None)
        response = {"deviceTime": device_time, "deviceTimeStatus": int(status)}
        return encode_asn1("SetTimeResponse", response)

    async def handle(self, msg: ApsMessage) -> None:
        """HAN frames for the GSME: its tunnel's answers and the answers to its reads. Never
        waits: the wake-up task waits for them."""
        if msg.cluster == TUNNELING:
            self.tunnel.handle(msg)
            return
        if msg.cluster == OTA_UPGRADE:
            if self.firmware.ota is not None:
                self.firmware.ota.handle(msg)
            return
        try:
            frame = zcl.decode_zcl(msg.payload)
        except DecodeError:
            return
        if (
            msg.cluster == SUB_GHZ
            and msg.source == self.hub
            and not frame.is_global
            and frame.command_id == SUSPEND_ZCL_MESSAGES
            and frame.direction is zcl.Direction.SERVER_TO_CLIENT
            and frame.payload
        ):
            self.suspended_until = self.clock.now() + 60.0 * frame.payload[0]
            return
        waiter = self._replies.get((msg.cluster, frame.tsn))
        if waiter is not None and not waiter.done() and msg.source == self.hub:
            waiter.set_result(frame)

    async def _request(self, cluster: int, frame: zcl.ZclFrame, endpoint: int) -> zcl.ZclFrame:
        key = (cluster, frame.tsn)
        waiter: asyncio.Future[zcl.ZclFrame] = asyncio.get_running_loop().create_future()
        self._replies[key] = waiter
        try:
            await self.han.send(
                self.hub,
                cluster=cluster,
                payload=frame.encode(),
                src_endpoint=self.profile.endpoint,
                dst_endpoint=endpoint,
            )
            async with self.clock.timeout(self.profile.reply_timeout):
                return await waiter
        finally:
            self._replies.pop(key, None)

    def _next_tsn(self) -> int:
        return next(self._tsn) & 0xFF

    async def aclose(self) -> None:
        """Stop the work under way (a power-off): the OTA transfer, pending timers."""
        await self.firmware.aclose()


def read_firmware_version(command: GbzPayload, version: bytes) -> bytes:
    """GCS38's GBZ response: each Read Attributes component answered, CurrentMeterID with the
    running version as an octet string (RTDS GCS38 response), any other attribute
    UNSUPPORTED_ATTRIBUTE."""
    components = []
    for i, c in enumerate(command.components):
        records = b""
        ids = c.payload if c.command_id == READ_ATTRIBUTES else b""
        for at in range(0, len(ids) - 1, 2):
            attribute = int.from_bytes(ids[at : at + 2], "little")
            records += ids[at : at + 2]
            if c.cluster_id == METERING and attribute == CURRENT_METER_ID:
                records += bytes((0, OCTET_STRING, len(version))) + version
            else:
                records += bytes((UNSUPPORTED_ATTRIBUTE,))
        last = CONTROL_LAST_COMPONENT if i == len(command.components) - 1 else 0
        header = bytes((0x08, c.zcl_header[-2], READ_ATTRIBUTES_RESPONSE))
        components.append(GbzComponent(last, c.cluster_id, header, records))
    return GbzPayload.of(*components).encode()
