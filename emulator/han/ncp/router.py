"""``NcpRouterStack``: a router's ``HanPort`` on an EZSP dongle (an emulated ESME on a second
dongle), on bellows' EZSP layer alone.

bellows' ``ControllerApplication`` only forms or resumes a network as coordinator (its
``start_network``/``write_network_info`` end in ``formNetwork``; nothing in it calls
``joinNetwork``), so a joining router drives ``bellows.ezsp.EZSP`` directly: connect and
reset, write bellows' default configuration, register our endpoints, set the preconfigured
(install-code) link key with ``setInitialSecurityState`` and ``joinNetwork`` as a router; the
outcome is the ``stackStatusHandler`` that follows (NETWORK_UP or JOIN_FAILED). APS data goes
out with ``sendUnicast`` (each ends with ``messageSentHandler``) and comes in as
``incomingMessageHandler``.

The network to join (channel, PAN ID, extended PAN ID) is given, as a bench knows its hub's
network: no active scan [U] (``JOIN_SCAN``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import bellows.types as bt
import zigpy.config
from bellows.ezsp import EZSP
from zigpy.zdo import types as zdo_t

from ...codec.eui64 import Eui64
from ...codec.zigbee.aps import PROFILE_SMART_ENERGY, PROFILE_ZDP
from ..clock import Clock, RealClock
from ..port import (
    ApsMessage,
    DeliveryError,
    DropReason,
    FrameDropped,
    Joined,
    JoinRefused,
    KeyEstablished,
    Left,
    LinkStatus,
    LinkTally,
    PortFanOut,
)
from .errors import DongleUnavailable, NcpStackError
from .key_table import erase_link_key, install_link_key, our_eui, zigpy_eui
from .settings import RadioSettings

LOG = logging.getLogger(__name__)

JOIN_SCAN = False
"""[U] Whether the router finds its network by an active scan first. It does not: the bench
gives the hub's PAN and channel, and the NCP emulator joins the first permitting beacon."""
RESOLVE_SENDERS = True
"""[U] A frame from a node this host has not addressed (any but the TC) is delivered once the
dongle names its EUI-64 (``lookupEui64ByNodeId``: the NCP emulator learns it from the NWK
auxiliary header; a real EmberZNet stack from its address and neighbour tables, which may not
hold a node two hops away, or from ``incomingSenderEui64Handler``, not handled here)."""
JOIN_TIMEOUT = 30.0  # seconds from joinNetwork to NETWORK_UP before the join counts as failed
SEND_TIMEOUT = 8.0  # seconds to wait for a send's messageSentHandler (bellows' extended wait)
COORDINATOR = 0x0000
NO_NODE = 0xFFFE
ESME_DEVICE = 0x0501  # ZSE device id of a meter

ROUTER_ENDPOINTS = (
    zdo_t.SimpleDescriptor(
        endpoint=1,
        profile=PROFILE_SMART_ENERGY,
        device_type=ESME_DEVICE,
        device_version=0,
        # Basic, Identify, Key Establishment, Price, Messaging, Tunneling, Prepayment, Metering,
        # Calendar, Device Management, Events.
        input_clusters=[
            0x0000, 0x0003, 0x0800, 0x0700, 0x0703, 0x0704, 0x0705, 0x0702, 0x0707, 0x0708,
            0x0709,
        ],
        output_clusters=[0x000A, 0x0800, 0x0019],  # Time, Key Establishment, OTA client
    ),
)  # fmt: skip
"""An ESME's endpoint [U]: one SE endpoint; a device profile may register others."""


@dataclass(frozen=True)
class NetworkToJoin:
    """The network a router joins: the hub's, as the bench (or the hub's stack) knows it."""

    pan_id: int
    extended_pan_id: Eui64


class NcpRouterStack(PortFanOut):
    """A router on an EZSP dongle that joins the hub's network (``HanPort``)."""

    def __init__(
        self,
        settings: RadioSettings,
        clock: Clock,
        *,
        endpoints: tuple[zdo_t.SimpleDescriptor, ...] = ROUTER_ENDPOINTS,
        network: NetworkToJoin | None = None,
    ) -> None:
        if not isinstance(clock, RealClock):
            raise NcpStackError("a HAN with a dongle on it runs on RealClock (DESIGN.md rule 3)")
        self.settings = settings
        self.clock = clock
        self.endpoints = endpoints
        self.network = network
        """The network ``join`` joins when it names none: the hub's, as the bench wiring knows
        it, so a test joins the router as it joins an emulated device (``join(key)``)."""
        self.ezsp: EZSP | None = None
        self._eui64: Eui64 | None = None
        self.short: int | None = None
        self.trust_centre: Eui64 | None = None
        PortFanOut.__init__(self)
        self._addresses: dict[int, Eui64] = {}
        self._shorts: dict[Eui64, int] = {}
        self._keys: dict[Eui64, bytes] = {}
        self._links: dict[Eui64, LinkTally] = {}
        self._sent: dict[int, asyncio.Future[bt.EmberStatus]] = {}
        self._tag = 0
        self._aps_sequence = 0
        self._status: asyncio.Queue[bt.EmberStatus] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self.drops: dict[DropReason, int] = dict.fromkeys(DropReason, 0)

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect, reset and configure the dongle, and resume the network in its flash if it
        has one (``networkInit``). ``DongleUnavailable`` when the port does not answer EZSP."""
        device = zigpy.config.SCHEMA_DEVICE(self.settings.bellows_config()["device"])
        ezsp = EZSP(device)
        try:
            await ezsp.connect(use_thread=False)
            await ezsp.write_config({})
            for descriptor in self.endpoints:
                (status,) = await ezsp.addEndpoint(
                    endpoint=descriptor.endpoint,
                    profileId=descriptor.profile,
                    deviceId=descriptor.device_type,
                    deviceVersion=descriptor.device_version,
                    inputClusterCount=len(descriptor.input_clusters),
                    outputClusterCount=len(descriptor.output_clusters),
                    inputClusterList=descriptor.input_clusters,
                    outputClusterList=descriptor.output_clusters,
                )
            (ieee,) = await ezsp.getEui64()
        except Exception as exc:
            with contextlib.suppress(Exception):
                await ezsp.disconnect()
            raise DongleUnavailable.explain(self.settings.port, exc) from exc
        self.ezsp = ezsp
        self._eui64 = our_eui(ieee)
        ezsp.add_callback(self._on_callback)
        (status,) = await ezsp.networkInit(networkInitBitmask=bt.EmberNetworkInitBitmask(0))
        if bt.sl_Status.from_ember_status(status) == bt.sl_Status.OK:
            await self._await_status()
            await self._learn_network()

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.ezsp is not None:
            ezsp, self.ezsp = self.ezsp, None
            with contextlib.suppress(Exception):
                await ezsp.disconnect()

    async def __aenter__(self) -> NcpRouterStack:
        await self.start()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def _ezsp(self) -> EZSP:
        if self.ezsp is None:
            raise DeliveryError(f"the dongle on {self.settings.port} is not connected")
        return self.ezsp

    @property
    def joined(self) -> bool:
        return self.short is not None

    # -- joining ----------------------------------------------------------------------------------
    async def join(
        self,
        install_code_key: bytes,
        network: NetworkToJoin | None = None,
        *,
        timeout: float = JOIN_TIMEOUT,
    ) -> None:
        """Join ``network`` (by default ``self.network``) as a router with the install-code
        link key. ``JoinRefused`` is emitted and ``DeliveryError`` raised when the dongle
        reports the join failed."""
        ezsp = self._ezsp()
        network = network or self.network
        if network is None:
            raise DeliveryError("no network to join: give one, or the stack's default")
        if self.joined:
            with contextlib.suppress(Exception):
                await ezsp.leaveNetwork()
            self.short = None
        bits = (
            bt.EmberInitialSecurityBitmask.HAVE_PRECONFIGURED_KEY
            | bt.EmberInitialSecurityBitmask.REQUIRE_ENCRYPTED_KEY
        )
        state = bt.EmberInitialSecurityState(
            bitmask=bits,
            preconfiguredKey=bt.KeyData(install_code_key),
            networkKey=bt.KeyData(bytes(16)),
            networkKeySequenceNumber=0,
            preconfiguredTrustCenterEui64=bt.EUI64(bytes(8)),
        )
        (status,) = await ezsp.setInitialSecurityState(state=state)
        self._check(status, "setInitialSecurityState")
        parameters = bt.EmberNetworkParameters(
            extendedPanId=zigpy_eui(network.extended_pan_id),
            panId=network.pan_id,
            radioTxPower=self.settings.tx_power,
            radioChannel=self.settings.channel,
            joinMethod=bt.EmberJoinMethod.USE_MAC_ASSOCIATION,
            nwkManagerId=0,
            nwkUpdateId=0,
            channels=bt.Channels.from_channel_list([self.settings.channel]),
        )
        while not self._status.empty():
            self._status.get_nowait()
        (status,) = await ezsp.joinNetwork(nodeType=bt.EmberNodeType.ROUTER, parameters=parameters)
        self._check(status, "joinNetwork")
        try:
            outcome = await self._await_status(timeout)
        except TimeoutError:
            outcome = bt.EmberStatus.JOIN_FAILED
        if outcome != bt.EmberStatus.NETWORK_UP:
            self._emit(JoinRefused(self.eui64, f"the dongle reports {outcome.name}"))
            raise DeliveryError(f"join failed: {outcome.name}")
        await self._learn_network()
        assert self.short is not None
        self._emit(Joined(self.eui64, self.short, self.trust_centre))
        if self.trust_centre is not None:
            self._emit(KeyEstablished(self.trust_centre, "tc-link-key"))

    def _check(self, status: Any, command: str) -> None:
        if bt.sl_Status.from_ember_status(status) != bt.sl_Status.OK:
            raise DeliveryError(f"the dongle refused {command}: {status!r}")

    async def _await_status(self, timeout: float = JOIN_TIMEOUT) -> bt.EmberStatus:
        async with asyncio.timeout(timeout):
            return await self._status.get()

    async def _learn_network(self) -> None:
        ezsp = self._ezsp()
        (short,) = await ezsp.getNodeId()
        self.short = int(short)
        status, state = await ezsp.getCurrentSecurityState()
        if bt.sl_Status.from_ember_status(status) == bt.sl_Status.OK:
            self.trust_centre = our_eui(state.trustCenterLongAddress)
            self._learn(COORDINATOR, self.trust_centre)

    # -- HanPort: identity, events, messages -------------------------------------------------------
    @property
    def eui64(self) -> Eui64:
        if self._eui64 is None:
            raise NcpStackError("the dongle's EUI-64 is known once the stack has started")
        return self._eui64

    # -- callbacks from the dongle -----------------------------------------------------------------
    def _fields(self, name: str, args: list[Any]) -> dict[str, Any]:
        assert self.ezsp is not None
        return dict(zip(self.ezsp.COMMANDS[name][2], args, strict=False))

    def _on_callback(self, name: str, args: list[Any]) -> None:
        if name == "stackStatusHandler":
            status = bt.EmberStatus(args[0])
            self._status.put_nowait(status)
            if status == bt.EmberStatus.NETWORK_DOWN and self.short is not None:
                self.short = None
                self._emit(Left(self.eui64))
        elif name == "messageSentHandler":
            fields = self._fields(name, args)
            waiter = self._sent.pop(int(fields["messageTag"]), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(fields["status"])
        elif name == "incomingMessageHandler":
            self._incoming(self._fields(name, args))

    def _incoming(self, fields: dict[str, Any]) -> None:
        frame: bt.EmberApsFrame = fields["apsFrame"]
        if int(frame.profileId) == PROFILE_ZDP:
            return  # the dongle's stack answers ZDO itself
        sender = int(fields["sender"])
        source = self._addresses.get(sender)
        if source is None and not RESOLVE_SENDERS:
            self._drop_unknown(sender)
            return
        if source is None:
            # Not the TC nor a partner we sent to (a PPMID reading the meter): ask the dongle.
            task = asyncio.get_running_loop().create_task(self._resolve(sender, fields))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._deliver(source, fields)

    async def _resolve(self, sender: int, fields: dict[str, Any]) -> None:
        """The EUI-64 of ``sender`` from the dongle's tables (``lookupEui64ByNodeId``) [U]
        (``RESOLVE_SENDERS``), then the message; dropped as UNKNOWN_SENDER when it knows none."""
        try:
            status, ieee = await self._ezsp().lookupEui64ByNodeId(nodeId=sender)
        except Exception as exc:  # the dongle went away or timed out: the frame is not ours
            LOG.info("no EUI-64 for sender 0x%04X: %s", sender, exc)
            status = bt.EmberStatus.ERR_FATAL
        if bt.sl_Status.from_ember_status(status) != bt.sl_Status.OK:
            self._drop_unknown(sender)
            return
        source = self._addresses.get(sender) or our_eui(ieee)
        self._learn(sender, source)
        self._deliver(source, fields)

    def _drop_unknown(self, sender: int) -> None:
        self.drops[DropReason.UNKNOWN_SENDER] += 1
        self._emit(FrameDropped(DropReason.UNKNOWN_SENDER, sender))

    def _deliver(self, source: Eui64, fields: dict[str, Any]) -> None:
        frame: bt.EmberApsFrame = fields["apsFrame"]
        sender = int(fields["sender"])
        now, lqi = self.clock.now(), int(fields["lastHopLqi"])
        self._links.setdefault(source, LinkTally()).heard_at(now, lqi)
        kind = fields["type"]
        self._messages.put_nowait(
            ApsMessage(
                source=source,
                source_short=sender,
                src_endpoint=int(frame.sourceEndpoint),
                dst_endpoint=int(frame.destinationEndpoint),
                cluster=int(frame.clusterId),
                profile=int(frame.profileId),
                payload=bytes(fields["messageContents"]),
                aps_secured=bool(frame.options & bt.EmberApsOption.APS_OPTION_ENCRYPTION),
                broadcast=kind != bt.EmberIncomingMessageType.INCOMING_UNICAST,
                lqi=lqi,
                time=now,
            )
        )

    def _learn(self, short: int, eui64: Eui64) -> None:
        old = self._shorts.get(eui64)
        if old is not None and old != short:
            self._addresses.pop(old, None)
        self._addresses[short] = eui64
        self._shorts[eui64] = short

    # -- sending ----------------------------------------------------------------------------------
    async def _short_for(self, destination: Eui64) -> int:
        short = self._shorts.get(destination)
        if short is None:
            (found,) = await self._ezsp().lookupNodeIdByEui64(eui64=zigpy_eui(destination))
            if int(found) >= NO_NODE:
                raise DeliveryError(f"no short address known for {destination}")
            short = int(found)
            self._learn(short, destination)
        return short

    async def send(
        self,
        destination: Eui64 | int,
        *,
        cluster: int,
        payload: bytes,
        profile: int = PROFILE_SMART_ENERGY,
        src_endpoint: int = 1,
        dst_endpoint: int = 1,
        aps_security: bool = True,
        ack: bool = True,
    ) -> None:
        ezsp = self._ezsp()
        if not self.joined:
            raise DeliveryError("the router has not joined a network")
        if isinstance(destination, Eui64):
            short, partner = await self._short_for(destination), destination
        else:
            short, partner = destination, self._addresses.get(destination)  # type: ignore[assignment]
        broadcast = short >= 0xFFF8
        options = bt.EmberApsOption.APS_OPTION_NONE
        if aps_security and not broadcast:
            options |= bt.EmberApsOption.APS_OPTION_ENCRYPTION
        if ack and not broadcast:
            options |= bt.EmberApsOption.APS_OPTION_RETRY
        self._aps_sequence = (self._aps_sequence + 1) & 0xFF
        frame = bt.EmberApsFrame(
            profileId=profile,
            clusterId=cluster,
            sourceEndpoint=src_endpoint,
            destinationEndpoint=dst_endpoint,
            options=options,
            groupId=0,
            sequence=self._aps_sequence,
        )
        self._tag = (self._tag + 1) & 0xFF
        tag = self._tag
        waiter: asyncio.Future[bt.EmberStatus] = asyncio.get_running_loop().create_future()
        self._sent[tag] = waiter
        try:
            if broadcast:
                status, _ = await ezsp.sendBroadcast(
                    destination=short, apsFrame=frame, radius=0, messageTag=tag,
                    messageContents=payload,
                )  # fmt: skip
            else:
                status, _ = await ezsp.sendUnicast(
                    type=bt.EmberOutgoingMessageType.OUTGOING_DIRECT,
                    indexOrDestination=short,
                    apsFrame=frame,
                    messageTag=tag,
                    messageContents=payload,
                )
            self._check(status, "the send")
            async with asyncio.timeout(SEND_TIMEOUT):
                sent = await waiter
            self._check(sent, "the delivery")
        except (DeliveryError, TimeoutError) as exc:
            if partner is not None and ack:
                self._links.setdefault(partner, LinkTally()).failed += 1
            raise DeliveryError(f"to {destination}: {exc or 'no messageSentHandler'}") from None
        finally:
            self._sent.pop(tag, None)
        if partner is not None and ack:
            self._links.setdefault(partner, LinkTally()).delivered += 1

    # -- what a router cannot do, and keys ---------------------------------------------------------
    async def permit_joining(self, eui64: Eui64, link_key: bytes, seconds: float) -> None:
        raise DeliveryError("a router is not the Trust Centre: it admits no one")

    async def remove_device(self, eui64: Eui64) -> None:
        raise DeliveryError("a router is not the Trust Centre: it removes no one")

    def link_key(self, partner: Eui64) -> bytes | None:
        """A key this host installed with ``partner`` (CBKE); the TC link key stays inside."""
        return self._keys.get(partner)

    async def request_link_key(self, partner: Eui64) -> None:
        raise DeliveryError("not emulated on a router dongle: use CBKE and set_link_key")

    async def set_link_key(self, partner: Eui64, key: bytes, kind: str) -> None:
        await install_link_key(self._ezsp(), partner, key)
        self._keys[partner] = key
        self._emit(KeyEstablished(partner, kind))

    async def remove_link_key(self, partner: Eui64) -> None:
        await erase_link_key(self._ezsp(), partner)
        self._keys.pop(partner, None)

    def link_status(self, partner: Eui64) -> LinkStatus | None:
        tally = self._links.get(partner)
        return tally.status() if tally is not None else None

    async def poll(self) -> None:
        """A router's receiver is always on: it polls no parent."""
