"""What every part of the emulated NCP shares: its RAM and tokens, the node on the HAN, and the
EZSP framing (a command in, its response out, callbacks numbered as the firmware numbers them).

The commands live with what they act on (``network.py``, ``security.py``, ``sending.py``, and
start-up and configuration in ``ncp.py``, which composes them into ``EzspNcp``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import bellows.types as t

from ...codec.eui64 import Eui64
from ...codec.zigbee import zdo
from ..clock import Clock
from ..medium import VirtualMedium
from ..port import Joined, JoinRefused, Left
from ..stack.node import EmulatedStack, Role, StackConfig
from ..stack.state import StateStore
from .ezsp import DEFAULT_VERSION, Command, EzspFrameError, EzspSchema
from .trust_centre import TRANSIENT_KEY_TIMEOUT_S, EzspTrustCentre

LOG = logging.getLogger(__name__)

STACK_TYPE = 2  # "Ember ZigBee stack"
STACK_VERSIONS = {8: 0x6A30, 13: 0x7430}
"""The EmberZNet release each emulated protocol version shipped with (6.10.3, 7.4.3)."""
MANUFACTURER_CODE = 0x1049  # Silicon Labs
MFG_STRING = b"GB HAN rig"
MFG_BOARD_NAME = b"ncp-emulator"
WELL_KNOWN_KEY = b"ZigBeeAlliance09"
RSSI = -40  # dBm reported for every frame: the virtual HAN models loss, not signal strength
NO_NODE = 0xFFFE  # EMBER_NULL_NODE_ID
UNKNOWN_NODE = 0xFFFF
CBKE_LIBRARY = False
"""Whether the emulated dongle holds Smart Energy (CBKE) certificates. [U] choice: like most
consumer sticks it does not, so getCertificate and generateCbkeKeys answer LIBRARY_NOT_PRESENT;
the rig runs CBKE in its own Key Establishment service above the dongle instead."""

DEFAULT_CONFIG: dict[str, int] = {
    "CONFIG_PACKET_BUFFER_COUNT": 75,
    "CONFIG_NEIGHBOR_TABLE_SIZE": 16,
    "CONFIG_APS_UNICAST_MESSAGE_COUNT": 10,
    "CONFIG_BINDING_TABLE_SIZE": 0,
    "CONFIG_ADDRESS_TABLE_SIZE": 8,
    "CONFIG_MULTICAST_TABLE_SIZE": 8,
    "CONFIG_ROUTE_TABLE_SIZE": 16,
    "CONFIG_DISCOVERY_TABLE_SIZE": 8,
    "CONFIG_STACK_PROFILE": 2,
    "CONFIG_SECURITY_LEVEL": 5,
    "CONFIG_MAX_HOPS": 30,
    "CONFIG_MAX_END_DEVICE_CHILDREN": 32,
    "CONFIG_INDIRECT_TRANSMISSION_TIMEOUT": 7680,
    "CONFIG_END_DEVICE_POLL_TIMEOUT": 8,
    "CONFIG_TX_POWER_MODE": 0,
    "CONFIG_DISABLE_RELAY": 0,
    "CONFIG_TRUST_CENTER_ADDRESS_CACHE_SIZE": 2,
    "CONFIG_SOURCE_ROUTE_TABLE_SIZE": 16,
    "CONFIG_FRAGMENT_WINDOW_SIZE": 1,
    "CONFIG_FRAGMENT_DELAY_MS": 50,
    "CONFIG_KEY_TABLE_SIZE": 12,
    "CONFIG_APS_ACK_TIMEOUT": 1600,
    "CONFIG_BEACON_JITTER_DURATION": 3,
    "CONFIG_PAN_ID_CONFLICT_REPORT_THRESHOLD": 1,
    "CONFIG_REQUEST_KEY_TIMEOUT": 0,
    "CONFIG_APPLICATION_ZDO_FLAGS": 0,
    "CONFIG_BROADCAST_TABLE_SIZE": 15,
    "CONFIG_SUPPORTED_NETWORKS": 1,
    "CONFIG_SEND_MULTICASTS_TO_SLEEPY_ADDRESS": 0,
    "CONFIG_ZLL_GROUP_ADDRESSES": 0,
    "CONFIG_ZLL_RSSI_THRESHOLD": 0,
    "CONFIG_MTORR_FLOW_CONTROL": 1,
    "CONFIG_RETRY_QUEUE_SIZE": 16,
    "CONFIG_NEW_BROADCAST_ENTRY_THRESHOLD": 10,
    "CONFIG_TRANSIENT_KEY_TIMEOUT_S": TRANSIENT_KEY_TIMEOUT_S,
    "CONFIG_BROADCAST_MIN_ACKS_NEEDED": 1,
    "CONFIG_TC_REJOINS_USING_WELL_KNOWN_KEY_TIMEOUT_S": 300,
    "CONFIG_CTUNE_VALUE": 0,
    "CONFIG_ASSUME_TC_CONCENTRATOR_TYPE": 0,
    "CONFIG_GP_PROXY_TABLE_SIZE": 0,
    "CONFIG_GP_SINK_TABLE_SIZE": 0,
}


def event_about_self(event: object, eui64: Eui64) -> bool:
    return isinstance(event, Joined | Left | JoinRefused) and event.eui64 == eui64


CallbackSink = Callable[[str, dict[str, Any]], None]


def _eui(value: t.EUI64) -> Eui64:
    return Eui64.from_air(bytes(value.serialize()))


def _ezsp_eui(value: Eui64) -> t.EUI64:
    return t.EUI64.deserialize(value.air())[0]


class NcpCore:
    """The EZSP side of one dongle: ``handle`` a command frame, get response frames and
    callbacks through ``send`` (the ASH link's)."""

    def __init__(
        self,
        clock: Clock,
        medium: VirtualMedium,
        channel_of: Callable[[int], Any],
        eui64: Eui64,
        store: StateStore,
        send: Callable[[bytes], None],
        *,
        version: int = DEFAULT_VERSION,
        seed: int = 0,
    ) -> None:
        self.clock = clock
        self.eui64 = eui64
        self.store = store
        self.seed = seed
        self._send = send
        self.schema = EzspSchema(version)
        self.radio = medium.attach(eui64, channel_of(self._stored_channel()))
        self._channel_of = channel_of
        self.node: EmulatedStack | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._node_tasks: set[asyncio.Task[None]] = set()
        self.commands_seen: set[str] = set()
        self._boot()

    # -- RAM: what a reset clears ------------------------------------------------------------------
    def _boot(self) -> None:
        self.negotiated = False
        self.legacy = True
        self.config = dict(DEFAULT_CONFIG)
        self.values: dict[int, bytes] = {}
        self.policies: dict[int, int] = {}
        self.endpoints: dict[int, zdo.SimpleDescriptor] = {}
        self.multicast: dict[int, t.EmberMulticastTableEntry] = {}
        self.trust_centre = EzspTrustCentre(self.clock)
        self.extended_timeouts: set[Eui64] = set()
        self._last_sequence = 0
        self._aps_sequence = 0
        self.network_up = False
        self._joining = False

    async def reset(self) -> None:
        """The chip restarts: RAM is gone at once (before any later command is read), the node
        powers off, tokens stay."""
        commands = list(self._tasks)
        self._boot()
        for task in commands:
            task.cancel()
        await asyncio.gather(*commands, return_exceptions=True)
        await self._stop_node()

    # -- tokens: what survives -------------------------------------------------------------------
    def _tokens(self) -> dict[str, Any]:
        return dict(self.store.load("ncp") or {})

    def _save_tokens(self, **changes: Any) -> None:
        doc = self._tokens()
        doc.update(changes)
        self.store.save("ncp", doc)

    def _security(self) -> dict[str, Any]:
        return dict(self._tokens().get("security") or {})

    def _stored_channel(self) -> int:
        return int(self._tokens().get("network", {}).get("channel", 11))

    # -- the node on the HAN ---------------------------------------------------------------------
    @property
    def role(self) -> Role:
        """What the node is on its network: the coordinator it formed, or a router that joined
        (``joinNetwork``); kept in the network token."""
        network = self._tokens().get("network") or {}
        return Role(network.get("role", Role.COORDINATOR.value))

    @property
    def own_short(self) -> int:
        """The node's short address (the coordinator's 0x0000, a router's from its parent)."""
        if self.node is None or self.node.short is None:
            return NO_NODE
        return self.node.short

    def _make_node(self, network: dict[str, Any]) -> EmulatedStack:
        channel = self._channel_of(network["channel"])
        if channel != self.radio.channel:
            self.radio.retune(channel)
        config = StackConfig(
            Role(network.get("role", Role.COORDINATOR.value)),
            pan_id=network["pan_id"],
            extended_pan_id=Eui64(network["extended_pan_id"]),
        )
        node = EmulatedStack(config, self.clock, self.radio, self.store, self.seed)
        self.trust_centre.key_timeout = float(self.config["CONFIG_TRANSIENT_KEY_TIMEOUT_S"])
        node.policy = self.trust_centre
        return node

    async def _start_node(self) -> None:
        node = self._make_node(self._tokens()["network"])
        await node.start()
        self._node_up(node)

    def _node_up(self, node: EmulatedStack) -> None:
        self.node = node
        self.network_up = True
        self._spawn_node_task(self._pump_messages(node))
        self._spawn_node_task(self._pump_events(node))

    async def _stop_node(self) -> None:
        node, tasks = self.node, list(self._node_tasks)
        self.node = None
        self.network_up = self._joining = False
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if node is not None:
            await node.stop()

    def _spawn_node_task(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._node_tasks.add(task)
        task.add_done_callback(self._node_tasks.discard)

    async def _pump_messages(self, node: EmulatedStack) -> None:
        async for msg in node.messages():
            frame = t.EmberApsFrame(
                profileId=msg.profile,
                clusterId=msg.cluster,
                sourceEndpoint=msg.src_endpoint,
                destinationEndpoint=msg.dst_endpoint,
                options=t.EmberApsOption.APS_OPTION_NONE,
                groupId=0,
                sequence=self._next_sequence(),
            )
            self._incoming(
                frame, msg.source_short, msg.payload, msg.aps_secured, msg.broadcast, msg.lqi
            )

    def _incoming(
        self,
        frame: t.EmberApsFrame,
        sender: int,
        payload: bytes,
        secured: bool,
        broadcast: bool,
        lqi: int = 255,
    ) -> None:
        if secured:
            frame = frame.replace(options=frame.options | t.EmberApsOption.APS_OPTION_ENCRYPTION)
        kind = (
            t.EmberIncomingMessageType.INCOMING_BROADCAST
            if broadcast
            else t.EmberIncomingMessageType.INCOMING_UNICAST
        )
        self.callback(
            "incomingMessageHandler",
            type=kind,
            apsFrame=frame,
            lastHopLqi=lqi,
            lastHopRssi=RSSI,
            sender=sender,
            bindingIndex=0xFF,
            addressIndex=0xFF,
            messageContents=payload,
        )

    async def _pump_events(self, node: EmulatedStack) -> None:
        async for event in node.events():
            if event_about_self(event, self.eui64):
                continue  # a router's own join and leave reach the host as stack status
            if isinstance(event, Joined):
                self._join_callback(
                    event.short,
                    event.eui64,
                    t.EmberDeviceUpdate.STANDARD_SECURITY_UNSECURED_JOIN,
                    t.EmberJoinDecision.USE_PRECONFIGURED_KEY,
                )
            elif isinstance(event, Left):
                short = self._short_of(event.eui64)
                self._join_callback(
                    short,
                    event.eui64,
                    t.EmberDeviceUpdate.DEVICE_LEFT,
                    t.EmberJoinDecision.NO_ACTION,
                )
            elif isinstance(event, JoinRefused):
                self._join_callback(
                    NO_NODE,
                    event.eui64,
                    t.EmberDeviceUpdate.STANDARD_SECURITY_UNSECURED_JOIN,
                    t.EmberJoinDecision.DENY_JOIN,
                )

    def _join_callback(
        self,
        short: int,
        eui64: Eui64,
        status: t.EmberDeviceUpdate,
        decision: t.EmberJoinDecision,
    ) -> None:
        self.callback(
            "trustCenterJoinHandler",
            newNodeId=short,
            newNodeEui64=_ezsp_eui(eui64),
            status=status,
            policyDecision=decision,
            parentOfNewNodeId=self.own_short,
        )

    def _short_of(self, eui64: Eui64) -> int:
        if self.node is None:
            return NO_NODE
        for short, who in self.node.addresses.items():
            if who == eui64:
                return short
        return NO_NODE

    def _next_sequence(self) -> int:
        self._aps_sequence = (self._aps_sequence + 1) & 0xFF
        return self._aps_sequence

    # -- frames ------------------------------------------------------------------------------------
    def callback(self, name: str, **fields: Any) -> None:
        """An asynchronous callback, numbered with the last command's sequence (as the firmware
        does), so a host never mistakes it for the answer it is waiting for."""
        frame = self.schema.encode(name, self._last_sequence, fields, legacy=False, callback=True)
        self._send(frame)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def handle(self, data: bytes) -> None:
        """One EZSP frame from the host."""
        try:
            command = self.schema.decode(data)
        except EzspFrameError as exc:
            LOG.warning("EZSP: unreadable command frame (%s)", exc)
            if len(data) >= 5:
                self._respond_invalid(data[0], t.EzspStatus.ERROR_INVALID_PARAMETER)
            return
        self._spawn(self._run(command))

    async def _run(self, command: Command) -> None:
        handler = getattr(self, f"_cmd_{command.name}", None) if command.name else None
        if handler is None:
            LOG.info("EZSP: %s (0x%04X) is not emulated", command.name or "?", command.frame_id)
            self._respond_invalid(command.sequence, t.EzspStatus.ERROR_INVALID_FRAME_ID)
            return
        self.commands_seen.add(command.name)
        after: list[tuple[str, dict[str, Any]]] = []
        fields = await handler(command.params, after)
        self._send(
            self.schema.encode(
                command.name,
                command.sequence,
                fields,
                legacy=command.legacy,
                callback=False,
            )
        )
        self._last_sequence = command.sequence
        for name, values in after:
            self.callback(name, **values)

    def _respond_invalid(self, sequence: int, status: t.EzspStatus) -> None:
        self._send(
            self.schema.encode(
                "invalidCommand", sequence, {"status": status}, legacy=False, callback=False
            )
        )
