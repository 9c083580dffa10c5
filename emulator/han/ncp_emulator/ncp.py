"""The emulated dongle: EZSP commands answered by a coordinator node on a virtual HAN.

What the firmware of an EmberZNet NCP keeps, this keeps: in RAM the EZSP configuration, values,
policies, endpoints, the transient key table and the permit-join window (all lost on reset,
which is why hosts write them again after every reset); in "tokens" (the ``StateStore``) the
network parameters, the initial security state, the key table and everything the node's stack
keeps (network key, children, frame counters), so a reset or a power cycle resumes the network
on ``networkInit``.

The node is an ``EmulatedStack`` coordinator and Trust Centre. Its admission decisions follow
the EZSP Trust Centre policy the host sets (``EzspTrustCentre``): a joiner is admitted while
joining is permitted, the policy allows joins and there is a transient key for its EUI-64 (or,
without ``JOINS_USE_INSTALL_CODE_KEY``, the wildcard key bellows installs). Joins, leaves and
refusals come back as ``trustCenterJoinHandler``; APS data as ``incomingMessageHandler``; each
send ends with ``messageSentHandler``.

Not emulated, and answered as the firmware answers a command it lacks (``invalidCommand``):
multicast sends, source routes, Green Power, ZLL, RF4CE, mfglib, and commands nothing we know of
sends. The CBKE commands answer as a dongle without Smart Energy certificates does
(``getCertificate`` -> ``LIBRARY_NOT_PRESENT``): see ``CBKE_LIBRARY``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import bellows.types as t

from ...codec.errors import DecodeError
from ...codec.eui64 import Eui64
from ...codec.zigbee import aps, zdo
from ..clock import Clock
from ..medium import VirtualMedium
from ..port import DeliveryError, Joined, JoinRefused, Left
from ..stack.node import COORDINATOR_SHORT, EmulatedStack, Role, StackConfig
from ..stack.state import StateStore
from ..stack.trust_center import Admission, TrustCenterPolicy
from .ezsp import DEFAULT_VERSION, Command, EzspFrameError, EzspSchema

LOG = logging.getLogger(__name__)

STACK_TYPE = 2  # "Ember ZigBee stack"
STACK_VERSIONS = {8: 0x6A30, 13: 0x7430}
"""The EmberZNet release each emulated protocol version shipped with (6.10.3, 7.4.3)."""
MANUFACTURER_CODE = 0x1049  # Silicon Labs
MFG_STRING = b"GB HAN rig"
MFG_BOARD_NAME = b"ncp-emulator"
WILDCARD = Eui64("FF-FF-FF-FF-FF-FF-FF-FF")
WELL_KNOWN_KEY = b"ZigBeeAlliance09"
PERMIT_FOREVER = 0xFF  # permitJoining(255): open until closed (EmberZNet)
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
    "CONFIG_TRANSIENT_KEY_TIMEOUT_S": 300,
    "CONFIG_BROADCAST_MIN_ACKS_NEEDED": 1,
    "CONFIG_TC_REJOINS_USING_WELL_KNOWN_KEY_TIMEOUT_S": 300,
    "CONFIG_CTUNE_VALUE": 0,
    "CONFIG_ASSUME_TC_CONCENTRATOR_TYPE": 0,
    "CONFIG_GP_PROXY_TABLE_SIZE": 0,
    "CONFIG_GP_SINK_TABLE_SIZE": 0,
}

CallbackSink = Callable[[str, dict[str, Any]], None]


class EzspTrustCentre(TrustCenterPolicy):
    """The node's admission policy as EmberZNet decides it, from what the host configured.

    Nothing here is saved: transient keys and the permit window live in the NCP's RAM.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.decision = t.EzspDecisionBitmask.DEFAULT_CONFIGURATION
        self.permit_until = -1.0
        self.transient: dict[Eui64, tuple[bytes, float]] = {}  # key, expiry (clock time)
        self.key_timeout = float(DEFAULT_CONFIG["CONFIG_TRANSIENT_KEY_TIMEOUT_S"])

    def add_transient_key(self, eui64: Eui64, key: bytes) -> None:
        self.transient[eui64] = (key, self.clock.now() + self.key_timeout)

    def permit_joining(self, seconds: int) -> None:
        now = self.clock.now()
        self.permit_until = float("inf") if seconds == PERMIT_FOREVER else now + seconds

    def _key_for(self, eui64: Eui64, now: float) -> bytes | None:
        candidates = [eui64]
        if not self.decision & t.EzspDecisionBitmask.JOINS_USE_INSTALL_CODE_KEY:
            candidates.append(WILDCARD)
        for who in candidates:
            entry = self.transient.get(who)
            if entry is not None and now <= entry[1]:
                return entry[0]
        return None

    def admission(self, eui64: Eui64, now: float) -> Admission | None:
        if not self.window_open(now) or not self.decision & t.EzspDecisionBitmask.ALLOW_JOINS:
            return None
        key = self._key_for(eui64, now)
        return None if key is None else Admission(key, self.permit_until)

    def window_open(self, now: float) -> bool:
        return now <= self.permit_until

    def revoke(self, eui64: Eui64) -> None:
        self.transient.pop(eui64, None)

    def preconfigured_keys(self) -> list[tuple[Eui64, bytes]]:
        return [(e, k) for e, (k, _) in self.transient.items()]

    def to_json(self) -> dict[str, dict[str, object]]:
        return {}  # RAM only


def _eui(value: t.EUI64) -> Eui64:
    return Eui64.from_air(bytes(value.serialize()))


def _ezsp_eui(value: Eui64) -> t.EUI64:
    return t.EUI64.deserialize(value.air())[0]


class EzspNcp:
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

    def _stored_channel(self) -> int:
        return int(self._tokens().get("network", {}).get("channel", 11))

    # -- the node on the HAN ---------------------------------------------------------------------
    async def _start_node(self) -> None:
        network = self._tokens()["network"]
        channel = self._channel_of(network["channel"])
        if channel != self.radio.channel:
            self.radio.retune(channel)
        config = StackConfig(
            Role.COORDINATOR,
            pan_id=network["pan_id"],
            extended_pan_id=Eui64(network["extended_pan_id"]),
        )
        node = EmulatedStack(config, self.clock, self.radio, self.store, self.seed)
        self.trust_centre.key_timeout = float(self.config["CONFIG_TRANSIENT_KEY_TIMEOUT_S"])
        node.policy = self.trust_centre
        await node.start()
        self.node = node
        self.network_up = True
        self._spawn_node_task(self._pump_messages(node))
        self._spawn_node_task(self._pump_events(node))

    async def _stop_node(self) -> None:
        node, tasks = self.node, list(self._node_tasks)
        self.node = None
        self.network_up = False
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
            parentOfNewNodeId=COORDINATOR_SHORT,
        )

    def _short_of(self, eui64: Eui64) -> int:
        if self.node is None:
            return NO_NODE
        for short, who in self.node.addresses.items():
            if who == eui64:
                return short
        return NO_NODE

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

    # -- start-up ----------------------------------------------------------------------------------
    async def _cmd_version(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if p["desiredProtocolVersion"] == self.schema.version:
            self.negotiated = True
        return {
            "protocolVersion": self.schema.version,
            "stackType": STACK_TYPE,
            "stackVersion": STACK_VERSIONS[self.schema.version],
        }

    async def _cmd_nop(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {}

    async def _cmd_customFrame(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.INVALID_CALL, "reply": b""}  # no XNCP extensions

    async def _cmd_getMfgToken(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        token = p["tokenId"]
        values = {
            t.EzspMfgTokenId.MFG_STRING: MFG_STRING,
            t.EzspMfgTokenId.MFG_BOARD_NAME: MFG_BOARD_NAME,
            t.EzspMfgTokenId.MFG_CUSTOM_EUI_64: b"\xff" * 8,
        }
        return {"tokenData": values.get(token, b"")}

    async def _cmd_getTokenData(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.NOT_FOUND}  # no NVM3 tokens exposed

    async def _cmd_getConfigurationValue(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        name = p["configId"].name
        if name not in self.config:
            return {"status": t.EzspStatus.ERROR_INVALID_ID, "value": 0}
        return {"status": t.EzspStatus.SUCCESS, "value": self.config[name]}

    async def _cmd_setConfigurationValue(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EzspStatus.ERROR_INVALID_CALL}  # config is fixed once running
        self.config[p["configId"].name] = int(p["value"])
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_getValue(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        value_id = p["valueId"]
        if value_id == t.EzspValueId.VALUE_VERSION_INFO:
            stack = STACK_VERSIONS[self.schema.version]
            build = 0
            digits = bytes(((stack >> 12) & 0xF, (stack >> 8) & 0xF, (stack >> 4) & 0xF, 0))
            return {"status": t.EzspStatus.SUCCESS, "value": build.to_bytes(2, "little") + digits}
        if value_id == t.EzspValueId.VALUE_FREE_BUFFERS:
            return {"status": t.EzspStatus.SUCCESS, "value": bytes((200,))}
        if int(value_id) in self.values:
            return {"status": t.EzspStatus.SUCCESS, "value": self.values[int(value_id)]}
        return {"status": t.EzspStatus.ERROR_INVALID_ID, "value": b""}

    async def _cmd_setValue(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.values[int(p["valueId"])] = bytes(p["value"])
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_setPolicy(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.policies[int(p["policyId"])] = int(p["decisionId"])
        if p["policyId"] == t.EzspPolicyId.TRUST_CENTER_POLICY:
            self.trust_centre.decision = t.EzspDecisionBitmask(int(p["decisionId"]))
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_addEndpoint(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if p["endpoint"] in self.endpoints:
            return {"status": t.EzspStatus.ERROR_INVALID_CALL}
        # bellows' schema reads both cluster lists into the first: split them by the counts.
        clusters = [int(c) for c in p["inputClusterList"]] + [
            int(c) for c in p["outputClusterList"]
        ]
        inputs = int(p["inputClusterCount"])
        self.endpoints[p["endpoint"]] = zdo.SimpleDescriptor(
            int(p["endpoint"]),
            int(p["profileId"]),
            int(p["deviceId"]),
            int(p["deviceVersion"]),
            tuple(clusters[:inputs]),
            tuple(clusters[inputs : inputs + int(p["outputClusterCount"])]),
        )
        return {"status": t.EzspStatus.SUCCESS}

    async def _cmd_getEui64(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"eui64": _ezsp_eui(self.eui64)}

    async def _cmd_getNodeId(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"nodeId": COORDINATOR_SHORT if self.network_up else NO_NODE}

    async def _cmd_setConcentrator(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.SUCCESS}  # one hop: no many-to-one routes to keep

    async def _cmd_setSourceRouteDiscoveryMode(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"remainingTime": 0}

    async def _cmd_setRadioPower(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if not -26 <= int(p["power"]) <= 20:
            return {"status": t.EmberStatus.PHY_INVALID_POWER}
        network = self._tokens().get("network")
        if network is not None:
            network["tx_power"] = int(p["power"])
            self._save_tokens(network=network)
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_setManufacturerCode(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {}

    async def _cmd_readCounters(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"values": [0] * len(t.EmberCounterType.__members__)}

    async def _cmd_readAndClearCounters(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"values": [0] * len(t.EmberCounterType.__members__)}

    async def _cmd_gpSinkTableClearAll(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {}

    async def _cmd_getMulticastTableEntry(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        index = int(p["index"])
        if index >= self.config["CONFIG_MULTICAST_TABLE_SIZE"]:
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE, "value": _empty_multicast()}
        entry = self.multicast.get(index, _empty_multicast())
        return {"status": t.EmberStatus.SUCCESS, "value": entry}

    async def _cmd_setMulticastTableEntry(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        index = int(p["index"])
        if index >= self.config["CONFIG_MULTICAST_TABLE_SIZE"]:
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE}
        self.multicast[index] = p["value"]
        return {"status": t.EmberStatus.SUCCESS}

    # -- network -----------------------------------------------------------------------------------
    async def _cmd_networkState(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        state = (
            t.EmberNetworkStatus.JOINED_NETWORK
            if self.network_up
            else t.EmberNetworkStatus.NO_NETWORK
        )
        return {"status": state}

    async def _cmd_networkInit(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        if "network" not in self._tokens():
            return {"status": t.EmberStatus.NOT_JOINED}
        await self._start_node()
        after.append(("stackStatusHandler", {"status": t.EmberStatus.NETWORK_UP}))
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_formNetwork(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        security = self._tokens().get("security")
        if security is None or not security.get("network_key"):
            return {"status": t.EmberStatus.SECURITY_CONFIGURATION_INVALID}
        params: t.EmberNetworkParameters = p["parameters"]
        if not 11 <= int(params.radioChannel) <= 26:
            return {"status": t.EmberStatus.PHY_INVALID_CHANNEL}
        network = {
            "pan_id": int(params.panId),
            "extended_pan_id": _eui(t.EUI64(params.extendedPanId)).hex,
            "channel": int(params.radioChannel),
            "tx_power": int(params.radioTxPower),
            "nwk_update_id": int(params.nwkUpdateId),
        }
        # A new network: the node's old state goes, the host's network key comes in.
        self.store.save(
            "stack",
            {
                "nwk_key": security["network_key"],
                "key_seq": security["key_seq"],
                "short": COORDINATOR_SHORT,
                "pan_id": network["pan_id"],
            },
        )
        self._save_tokens(network=network)
        await self._start_node()
        after.append(("stackStatusHandler", {"status": t.EmberStatus.NETWORK_UP}))
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_leaveNetwork(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if not self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        await self._stop_node()
        self._forget_network()
        after.append(("stackStatusHandler", {"status": t.EmberStatus.NETWORK_DOWN}))
        return {"status": t.EmberStatus.SUCCESS}

    def _forget_network(self) -> None:
        doc = self._tokens()
        doc.pop("network", None)
        self.store.save("ncp", doc)
        self.store.save("stack", {})

    async def _cmd_tokenFactoryReset(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        await self._stop_node()
        self.store.save("ncp", {})
        self.store.save("stack", {})
        return {}

    async def _cmd_getNetworkParameters(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        network = self._tokens().get("network")
        params = t.EmberNetworkParameters(
            extendedPanId=t.ExtendedPanId.deserialize(b"\x00" * 8)[0],
            panId=0,
            radioTxPower=0,
            radioChannel=0,
            joinMethod=t.EmberJoinMethod.USE_MAC_ASSOCIATION,
            nwkManagerId=0,
            nwkUpdateId=0,
            channels=t.Channels.NO_CHANNELS,
        )
        if network is None or not self.network_up:
            return {
                "status": t.EmberStatus.NOT_JOINED,
                "nodeType": t.EmberNodeType.UNKNOWN_DEVICE,
                "parameters": params,
            }
        params = params.replace(
            extendedPanId=t.ExtendedPanId.deserialize(Eui64(network["extended_pan_id"]).air())[0],
            panId=network["pan_id"],
            radioTxPower=network["tx_power"] & 0xFF,
            radioChannel=network["channel"],
            nwkUpdateId=network["nwk_update_id"],
            channels=t.Channels.from_channel_list([network["channel"]]),
        )
        return {
            "status": t.EmberStatus.SUCCESS,
            "nodeType": t.EmberNodeType.COORDINATOR,
            "parameters": params,
        }

    async def _cmd_startScan(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        channels = [c for c in range(11, 27) if p["channelMask"] & (1 << c)]
        if p["scanType"] == t.EzspNetworkScanType.ENERGY_SCAN:
            for channel in channels:
                # The virtual HAN has no interferers: a quiet floor everywhere.
                after.append(("energyScanResultHandler", {"channel": channel, "maxRssiValue": -95}))
        last = channels[-1] if channels else 0
        after.append(("scanCompleteHandler", {"channel": last, "status": t.EmberStatus.SUCCESS}))
        return {"status": t.EmberStatus.SUCCESS}

    # -- security ----------------------------------------------------------------------------------
    async def _cmd_setInitialSecurityState(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        if self.network_up:
            return {"status": t.EmberStatus.INVALID_CALL}
        state: t.EmberInitialSecurityState = p["state"]
        security = {
            "bitmask": int(state.bitmask),
            "network_key": bytes(state.networkKey.serialize()).hex(),
            "key_seq": int(state.networkKeySequenceNumber),
            "tc_link_key": bytes(state.preconfiguredKey.serialize()).hex(),
        }
        self._save_tokens(security=security)
        return {"status": t.EmberStatus.SUCCESS}

    def _security(self) -> dict[str, Any]:
        return dict(self._tokens().get("security") or {})

    async def _cmd_getCurrentSecurityState(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        initial = t.EmberInitialSecurityBitmask(self._security().get("bitmask", 0))
        bits = (
            t.EmberCurrentSecurityBitmask.STANDARD_SECURITY_MODE
            | t.EmberCurrentSecurityBitmask.HAVE_TRUST_CENTER_LINK_KEY
        )
        if initial & t.EmberInitialSecurityBitmask.TRUST_CENTER_GLOBAL_LINK_KEY:
            bits |= t.EmberCurrentSecurityBitmask.GLOBAL_LINK_KEY
        if initial & t.EmberInitialSecurityBitmask.TRUST_CENTER_USES_HASHED_LINK_KEY:
            bits |= t.EmberCurrentSecurityBitmask.TRUST_CENTER_USES_HASHED_LINK_KEY
        state = t.EmberCurrentSecurityState(
            bitmask=bits, trustCenterLongAddress=_ezsp_eui(self.eui64)
        )
        status = t.EmberStatus.SUCCESS if self.network_up else t.EmberStatus.NOT_JOINED
        return {"status": status, "state": state}

    def _network_key(self) -> bytes | None:
        if self.node is not None and self.node.network_key is not None:
            return self.node.network_key
        key = self._security().get("network_key")
        return bytes.fromhex(key) if key else None

    async def _cmd_exportKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        context: t.SecurityManagerContextV13 = p["context"]
        kind = context.core_key_type
        key: bytes | None = None
        if kind == t.SecurityManagerKeyType.NETWORK:
            key = self._network_key()
        elif kind == t.SecurityManagerKeyType.TC_LINK:
            stored = self._security().get("tc_link_key")
            key = bytes.fromhex(stored) if stored else None
        if key is None:
            return {"key": t.KeyData(b"\x00" * 16), "status": t.sl_Status.NOT_FOUND}
        return {"key": t.KeyData(key), "status": t.sl_Status.OK}

    async def _cmd_getNetworkKeyInfo(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        key = self._network_key()
        info = t.SecurityManagerNetworkKeyInfo(
            network_key_set=key is not None,
            alternate_network_key_set=False,
            network_key_sequence_number=self._security().get("key_seq", 0),
            alt_network_key_sequence_number=0,
            network_key_frame_counter=int(self.store.load("nwk/out") or 0),
        )
        return {"status": t.sl_Status.OK, "network_key_info": info}

    def _key_struct(self, kind: t.EmberKeyType, key: bytes, partner: Eui64, seq: int = 0) -> Any:
        return t.EmberKeyStruct(
            bitmask=t.EmberKeyStructBitmask.KEY_HAS_SEQUENCE_NUMBER
            | t.EmberKeyStructBitmask.KEY_HAS_OUTGOING_FRAME_COUNTER
            | t.EmberKeyStructBitmask.KEY_HAS_PARTNER_EUI64,
            type=kind,
            key=t.KeyData(key),
            outgoingFrameCounter=0,
            incomingFrameCounter=0,
            sequenceNumber=seq,
            partnerEUI64=_ezsp_eui(partner),
        )

    async def _cmd_getKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        """EZSP v8's way to read the network and Trust Centre link keys."""
        kind = p["keyType"]
        key: bytes | None = None
        if kind == t.EmberKeyType.CURRENT_NETWORK_KEY:
            key = self._network_key()
        elif kind == t.EmberKeyType.TRUST_CENTER_LINK_KEY:
            stored = self._security().get("tc_link_key")
            key = bytes.fromhex(stored) if stored else None
        if key is None:
            return {
                "status": t.EmberStatus.KEY_INVALID,
                "keyStruct": self._key_struct(kind, b"\x00" * 16, Eui64(0)),
            }
        seq = self._security().get("key_seq", 0)
        return {
            "status": t.EmberStatus.SUCCESS,
            "keyStruct": self._key_struct(kind, key, WILDCARD, seq),
        }

    async def _cmd_getKeyTableEntry(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        empty = self._key_struct(t.EmberKeyType.APPLICATION_LINK_KEY, b"\x00" * 16, Eui64(0))
        if index >= len(table):
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE, "keyStruct": empty}
        entry = table[index]
        if entry is None:
            return {"status": t.EmberStatus.NOT_FOUND, "keyStruct": empty}
        kind = t.EmberKeyType.APPLICATION_LINK_KEY
        return {
            "status": t.EmberStatus.SUCCESS,
            "keyStruct": self._key_struct(kind, entry[1], entry[0]),
        }

    def _key_table(self) -> list[tuple[Eui64, bytes] | None]:
        rows = self._tokens().get("key_table") or []
        size = self.config["CONFIG_KEY_TABLE_SIZE"]
        table: list[tuple[Eui64, bytes] | None] = [None] * size
        for index, row in enumerate(rows[:size]):
            if row is not None:
                table[index] = (Eui64(row[0]), bytes.fromhex(row[1]))
        return table

    def _save_key_table(self, table: list[tuple[Eui64, bytes] | None]) -> None:
        rows = [None if e is None else [e[0].hex, e[1].hex()] for e in table]
        self._save_tokens(key_table=rows)

    async def _cmd_clearKeyTable(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self._save_tokens(key_table=[])
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_findKeyTableEntry(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        who = _eui(p["address"])
        for index, entry in enumerate(self._key_table()):
            if entry is not None and entry[0] == who:
                return {"index": index}
        return {"index": 0xFF}

    async def _cmd_eraseKeyTableEntry(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        if index >= len(table):
            return {"status": t.EmberStatus.INDEX_OUT_OF_RANGE}
        table[index] = None
        self._save_key_table(table)
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_importLinkKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        if index >= len(table):
            return {"status": t.sl_Status.INVALID_INDEX}
        table[index] = (_eui(p["address"]), bytes(p["key"].serialize()))
        self._save_key_table(table)
        return {"status": t.sl_Status.OK}

    async def _cmd_exportLinkKeyByIndex(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        table = self._key_table()
        index = int(p["index"])
        entry = table[index] if index < len(table) else None
        metadata = t.SecurityManagerAPSKeyMetadata(
            bitmask=t.EmberKeyStructBitmask(0),
            outgoing_frame_counter=0,
            incoming_frame_counter=0,
            ttl_in_seconds=0,
        )
        if entry is None:
            return {
                "eui64": _ezsp_eui(Eui64(0)),
                "plaintext_key": t.KeyData(b"\x00" * 16),
                "key_data": metadata,
                "status": t.sl_Status.NOT_FOUND,
            }
        return {
            "eui64": _ezsp_eui(entry[0]),
            "plaintext_key": t.KeyData(entry[1]),
            "key_data": metadata,
            "status": t.sl_Status.OK,
        }

    async def _cmd_importTransientKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.trust_centre.add_transient_key(_eui(p["eui64"]), bytes(p["plaintext_key"].serialize()))
        return {"status": t.sl_Status.OK}

    async def _cmd_addTransientLinkKey(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        self.trust_centre.add_transient_key(
            _eui(p["partner"]), bytes(p["transientKey"].serialize())
        )
        return {"status": t.EmberStatus.SUCCESS}

    async def _cmd_permitJoining(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if not self.network_up:
            return {"status": t.EmberStatus.NETWORK_DOWN}
        self.trust_centre.permit_joining(int(p["duration"]))
        return {"status": t.EmberStatus.SUCCESS}

    # -- addresses and children --------------------------------------------------------------------
    async def _cmd_lookupNodeIdByEui64(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"nodeId": self._short_of(_eui(p["eui64"]))}

    async def _cmd_lookupEui64ByNodeId(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        who = self.node.addresses.get(int(p["nodeId"])) if self.node is not None else None
        if who is None:
            return {"status": t.EmberStatus.ERR_FATAL, "eui64": _ezsp_eui(Eui64(0))}
        return {"status": t.EmberStatus.SUCCESS, "eui64": _ezsp_eui(who)}

    async def _cmd_getAddressTableRemoteNodeId(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"nodeId": UNKNOWN_NODE}  # the address table is not used: every entry is free

    async def _cmd_getAddressTableRemoteEui64(
        self, p: dict[str, Any], after: list[Any]
    ) -> dict[str, Any]:
        return {"eui64": _ezsp_eui(Eui64(0))}

    async def _cmd_getChildData(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        children = self.node.children() if self.node is not None else []
        index = int(p["index"])
        field = "child_data" if self.schema.version >= 10 else "childData"
        data_type = self.schema.commands["getChildData"][2][field]
        if index >= len(children):
            empty = data_type(
                eui64=_ezsp_eui(Eui64(0)),
                type=t.EmberNodeType.UNKNOWN_DEVICE,
                id=0,
                phy=0,
                power=0,
                timeout=0,
                **({"timeout_remaining": 0} if self.schema.version >= 10 else {}),
            )
            return {"status": t.EmberStatus.NOT_JOINED, field: empty}
        eui, short, rx_on = children[index]
        kind = t.EmberNodeType.END_DEVICE if rx_on else t.EmberNodeType.SLEEPY_END_DEVICE
        data = data_type(
            eui64=_ezsp_eui(eui),
            type=kind,
            id=short,
            phy=0,
            power=0,
            timeout=0,
            **({"timeout_remaining": 0} if self.schema.version >= 10 else {}),
        )
        return {"status": t.EmberStatus.SUCCESS, field: data}

    async def _cmd_setExtendedTimeout(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        who = _eui(p["remoteEui64"])
        if p["extendedTimeout"]:
            self.extended_timeouts.add(who)
        else:
            self.extended_timeouts.discard(who)
        return {}

    async def _cmd_getExtendedTimeout(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"extendedTimeout": t.Bool(_eui(p["remoteEui64"]) in self.extended_timeouts)}

    # -- sending ---------------------------------------------------------------------------------
    def _next_sequence(self) -> int:
        self._aps_sequence = (self._aps_sequence + 1) & 0xFF
        return self._aps_sequence

    async def _cmd_sendUnicast(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.node is None:
            return {"status": t.EmberStatus.NETWORK_DOWN, "sequence": 0}
        if p["type"] != t.EmberOutgoingMessageType.OUTGOING_DIRECT:
            return {"status": t.EmberStatus.INVALID_CALL, "sequence": 0}  # no address table
        sequence = self._next_sequence()
        self._spawn_node_task(
            self._deliver(
                int(p["indexOrDestination"]),
                p["apsFrame"],
                int(p["messageTag"]),
                bytes(p["messageContents"]),
                p["type"],
            )
        )
        return {"status": t.EmberStatus.SUCCESS, "sequence": sequence}

    async def _cmd_sendBroadcast(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        if self.node is None:
            return {"status": t.EmberStatus.NETWORK_DOWN, "sequence": 0}
        sequence = self._next_sequence()
        self._spawn_node_task(
            self._deliver(
                int(p["destination"]),
                p["apsFrame"],
                int(p["messageTag"]),
                bytes(p["messageContents"]),
                t.EmberOutgoingMessageType.OUTGOING_BROADCAST,
            )
        )
        return {"status": t.EmberStatus.SUCCESS, "sequence": sequence}

    async def _deliver(
        self,
        destination: int,
        frame: t.EmberApsFrame,
        tag: int,
        payload: bytes,
        kind: t.EmberOutgoingMessageType,
    ) -> None:
        status = t.EmberStatus.SUCCESS
        node = self.node
        try:
            if node is None:
                raise DeliveryError("network down")
            if destination == COORDINATOR_SHORT:
                self._to_self(frame, payload)  # the stack answers its own ZDO; nothing on air
            else:
                await node.send(
                    destination,
                    cluster=int(frame.clusterId),
                    payload=payload,
                    profile=int(frame.profileId),
                    src_endpoint=int(frame.sourceEndpoint),
                    dst_endpoint=int(frame.destinationEndpoint),
                    aps_security=bool(frame.options & t.EmberApsOption.APS_OPTION_ENCRYPTION),
                    ack=bool(frame.options & t.EmberApsOption.APS_OPTION_RETRY),
                )
        except DeliveryError as exc:
            LOG.info("EZSP: send to 0x%04X failed: %s", destination, exc)
            status = t.EmberStatus.DELIVERY_FAILED
        self.callback(
            "messageSentHandler",
            type=kind,
            indexOrDestination=destination,
            apsFrame=frame,
            messageTag=tag,
            status=status,
            messageContents=b"",
        )

    def _to_self(self, frame: t.EmberApsFrame, payload: bytes) -> None:
        """A message the host addressed to its own node: ZDO requests are answered by the
        stack's ZDO from the endpoints the host registered; anything else loops back."""
        if int(frame.profileId) != aps.PROFILE_ZDP:
            self._incoming(frame, COORDINATOR_SHORT, payload, secured=False, broadcast=False)
            return
        try:
            request = zdo.decode_zdo(int(frame.clusterId), payload)
        except DecodeError:
            return
        answer = self._zdo_answer(request)
        if answer is None:
            return
        reply = t.EmberApsFrame(
            profileId=aps.PROFILE_ZDP,
            clusterId=answer.cluster_id,
            sourceEndpoint=0,
            destinationEndpoint=0,
            options=t.EmberApsOption.APS_OPTION_NONE,
            groupId=0,
            sequence=self._next_sequence(),
        )
        self._incoming(reply, COORDINATOR_SHORT, answer.encode(), secured=False, broadcast=False)

    def _zdo_answer(self, request: zdo.ZdoMessage) -> zdo.ZdoMessage | None:
        me = COORDINATOR_SHORT
        if isinstance(request, zdo.NodeDescReq):
            descriptor = zdo.NodeDescriptor(
                zdo.LogicalType.COORDINATOR,
                mac_capability_flags=zdo.MacCapability(0x8F),
                manufacturer_code=MANUFACTURER_CODE,
                maximum_buffer_size=82,
                maximum_incoming_transfer_size=128,
                server_mask=0x2C41,
                maximum_outgoing_transfer_size=128,
            )
            return zdo.NodeDescRsp(request.tsn, zdo.ZdoStatus.SUCCESS, me, descriptor)
        if isinstance(request, zdo.ActiveEpReq):
            return zdo.ActiveEpRsp(request.tsn, zdo.ZdoStatus.SUCCESS, me, tuple(self.endpoints))
        if isinstance(request, zdo.SimpleDescReq):
            endpoint = self.endpoints.get(request.endpoint)
            if endpoint is None:
                return zdo.SimpleDescRsp(request.tsn, zdo.ZdoStatus.NOT_ACTIVE, me)
            return zdo.SimpleDescRsp(request.tsn, zdo.ZdoStatus.SUCCESS, me, endpoint)
        if request.cluster_id < 0x8000:
            try:  # R22 §2.4.3: an unsupported request gets NOT_SUPPORTED on its response cluster
                status = bytes((zdo.ZdoStatus.NOT_SUPPORTED,))
                return zdo.RawZdp(request.tsn, request.cluster_id | 0x8000, status)
            except ValueError:
                return None  # a modelled response cluster we do not serve: no answer
        return None

    # -- Smart Energy key establishment ------------------------------------------------------------
    async def _no_cbke_library(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        return {"status": t.EmberStatus.LIBRARY_NOT_PRESENT}

    _cmd_generateCbkeKeys = _no_cbke_library
    _cmd_generateCbkeKeys283k1 = _no_cbke_library
    _cmd_calculateSmacs = _no_cbke_library
    _cmd_calculateSmacs283k1 = _no_cbke_library
    _cmd_clearTemporaryDataMaybeStoreLinkKey = _no_cbke_library
    _cmd_clearTemporaryDataMaybeStoreLinkKey283k1 = _no_cbke_library
    _cmd_setPreinstalledCbkeData = _no_cbke_library

    async def _cmd_getCertificate(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        empty = t.EmberCertificateData(b"\x00" * 48)
        return {"status": t.EmberStatus.LIBRARY_NOT_PRESENT, "localCert": empty}

    async def _cmd_getCertificate283k1(self, p: dict[str, Any], after: list[Any]) -> dict[str, Any]:
        empty = t.EmberCertificate283k1Data(b"\x00" * 74)
        return {"status": t.EmberStatus.LIBRARY_NOT_PRESENT, "localCert": empty}


def _empty_multicast() -> t.EmberMulticastTableEntry:
    return t.EmberMulticastTableEntry(multicastId=0, endpoint=0, networkIndex=0)
