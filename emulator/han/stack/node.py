"""An emulated ZigBee PRO R22 node with Smart Energy security, implementing ``HanPort``.

Roles: coordinator and Trust Centre, router, sleepy end device. The topology is one hop: every
node is in range of the coordinator, which is every joiner's parent, and frames to a sleepy end
device go through it (indirect transmission). Multi-hop routing is not modelled.

A dual-band coordinator (the CHTS v1.1 hub) has a radio on each band (``add_radio``): one
network, one PAN ID and short address, each child on the band it joined on (ZigBee R22
multi-PHY). It relays between its interfaces: broadcasts heard on one go out on the others, and
unicasts for a child come to the child on its band. A device whose direct unicast is not
acknowledged (the destination is on the other band, or out of reach) sends it again through the
coordinator, and keeps doing so for that destination.

Joining (R22 §3.6.1, §4.6.3; ZSE §5.4): beacon request and beacons, association (the response is
indirect), the network key under the install-code key-transport key, device announce, then the
Trust Centre link key update (request key, transport key under the key-load key, verify key,
confirm key). A device the TC was not told about is refused at association; one with a wrong
install code cannot decrypt the network key and its join fails on the security timeout. Both
end with an event, never a hang.

Every received frame is checked (FCS, decode, key, frame counter) and dropped with a counted
reason when it fails; nothing raises out of the receive loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ...codec import ieee802154 as mac
from ...codec.errors import DecodeError, SecurityError
from ...codec.eui64 import Eui64
from ...codec.security import ccm, keys
from ...codec.zigbee import aps, nwk, zdo
from ...codec.zigbee.auxiliary import AuxiliaryHeader, KeyId
from ..clock import Clock
from ..medium import Channel, Radio, Reception, TxStatus
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
    NotJoined,
    PortFanOut,
)
from ..radio import Band, PhyParameters
from .mac import MacService
from .state import IncomingCounters, OutgoingCounter, StateStore
from .trust_center import TrustCenterPolicy

COORDINATOR_SHORT = 0x0000
KEY_EXCHANGE_TRIES = 3  # Request/Verify Key are not APS-acknowledged: repeated on silence
ACTIVE_SCANS = 3  # beacon requests per scan: neither they nor beacons are acknowledged
APS_ACK_WAIT = 1.6  # apsAckWaitDuration for one hop: 0.05 s * 2 * nwkcMaxDepth (R22 Table 2.24)
APS_MAX_RETRIES = 3  # apscMaxFrameRetries
SECURITY_TIMEOUT = 10.0  # how long a joiner waits for the network key / a key exchange step
ADDRESS_DISCOVERY_TIMEOUT = 2.0  # seconds to wait for a NWK_addr_rsp
ADDRESS_DISCOVERY_TRIES = 3
MAX_APS_PAYLOAD = 73
"""Bytes of APS payload one secured frame carries: 127 less MAC 9 + FCS 2, NWK 8 + auxiliary
14 + MIC 4, APS 8 + auxiliary 5 + MIC 4. Longer payloads are fragmented (R22 §2.2.8.4.5)."""
MAX_UNSECURED_APS_PAYLOAD = MAX_APS_PAYLOAD + 9
"""Without APS security (NWK security only) the APS auxiliary header and MIC are not there: 82
bytes fit one frame. Used for unacknowledged unsecured unicasts (OTA Upgrade blocks)."""
APS_BLOCK = 64  # bytes per fragment, within the 71 an extended header leaves
FAST_POLL = 0.25  # seconds between polls while a sleepy device awaits a reply
APS_DUPLICATE_WINDOW = 16  # recent (sender, APS counter) pairs remembered for duplicate rejection


class Role(Enum):
    COORDINATOR = "coordinator"
    ROUTER = "router"
    END_DEVICE = "sleepy end device"


@dataclass(frozen=True)
class StackConfig:
    role: Role
    pan_id: int = 0x1A62  # the coordinator's; joiners learn it from the beacon
    extended_pan_id: Eui64 | None = None
    poll_period: float = 7.5  # sleepy end device: seconds between data requests
    poll_window: float = 0.05  # how long a polled end device keeps its receiver on
    aps_ack_wait: float = APS_ACK_WAIT
    security_timeout: float = SECURITY_TIMEOUT


class JoinError(Exception):
    """A join that failed; the reason says which step."""


@dataclass
class _Child:
    eui64: Eui64
    short: int
    rx_on_when_idle: bool
    link_key: bytes  # the install-code key until the TC link key update completes
    joined: bool = False
    band: Band = Band.GHZ_2_4  # the coordinator interface it joined on


@dataclass
class _Assembly:
    """The blocks of one fragmented ASDU received so far; the first block says how many."""

    count: int | None = None
    blocks: dict[int, bytes] = field(default_factory=dict)


class EmulatedStack(PortFanOut):
    """One node of a virtual HAN. ``start()`` it, then use it through the ``HanPort`` API."""

    def __init__(
        self,
        config: StackConfig,
        clock: Clock,
        radio: Radio,
        store: StateStore,
        seed: int = 0,
    ) -> None:
        self.config = config
        self.clock = clock
        self.radio = radio
        self.store = store
        self.rng = random.Random(f"{radio.eui64.hex}/{seed}")
        self.mac = MacService(radio, clock, self.rng.randrange(256))
        self.interfaces: dict[Band, MacService] = {radio.band: self.mac}
        """The MAC of each band's radio: the first radio's is ``mac``."""
        self._rx_mac = self.mac  # the interface of the reception being processed
        self._via_parent: set[int] = set()  # destinations reached through the coordinator
        self.drops: Counter[DropReason] = Counter()
        self._last_seq: dict[int | Eui64, int] = {}
        self._nwk_out = OutgoingCounter(store, "nwk/out")
        self._aps_out = OutgoingCounter(store, "aps/out")
        self._nwk_in = IncomingCounters(store, "nwk/in")
        self._aps_in = IncomingCounters(store, "aps/in")
        self._nwk_seq = self.rng.randrange(256)
        self._aps_counter = self.rng.randrange(256)
        self._tasks: set[asyncio.Task[None]] = set()
        PortFanOut.__init__(self)
        self._aps_acks: dict[tuple[int, int, int | None], asyncio.Future[None]] = {}
        self._fragments: dict[tuple[int, int], _Assembly] = {}
        self._recent: list[tuple[int, int]] = []
        self._links: dict[Eui64, LinkTally] = {}
        self._lqi = 255  # of the reception being processed (the receive path is synchronous)
        self._beacons: list[tuple[int, int, mac.Beacon]] = []
        self._association: asyncio.Future[mac.AssociationResponse] | None = None
        self._waiters: dict[str, asyncio.Future[Any]] = {}
        self._children: dict[Eui64, _Child] = {}
        self._pending_tclk: dict[Eui64, bytes] = {}
        self._install_key: bytes | None = None  # a joiner's install-code key until it has a TCLK
        self._next_short = 0x0001
        self._sleepy: set[int] = set()
        self._load()

    @property
    def _phy(self) -> PhyParameters:
        return self.radio.medium.model.phy(self.radio.channel.band)

    # -- interfaces -----------------------------------------------------------------------------
    def add_radio(self, radio: Radio) -> None:
        """A coordinator's radio on another band, same node (before ``start``)."""
        if self.config.role != Role.COORDINATOR:
            raise ValueError("only the coordinator runs a network on two bands")
        if radio.eui64 != self.eui64 or radio.band in self.interfaces:
            raise ValueError(f"not a new band of {self.eui64}: {radio.band.value}")
        self.interfaces[radio.band] = MacService(radio, self.clock, self.rng.randrange(256))
        radio.short, radio.pan_id = self.radio.short, self.radio.pan_id

    @property
    def radios(self) -> list[Radio]:
        return [m.radio for m in self.interfaces.values()]

    def band_of(self, eui64: Eui64) -> Band | None:
        """The band a child joined on (coordinator), or this node's own band."""
        if eui64 == self.eui64:
            return self.radio.band
        child = self._children.get(eui64)
        return child.band if child is not None else None

    def children_on(self, band: Band) -> list[Eui64]:
        """The joined children on ``band`` (coordinator)."""
        return [c.eui64 for c in self._children.values() if c.band is band and c.joined]

    def tune(self, channel: Channel) -> None:
        """Move this node's radio on ``channel.band`` to ``channel`` (a sub-GHz channel change)."""
        mac_service = self.interfaces.get(channel.band)
        if mac_service is None:
            raise ValueError(f"{self.eui64} has no {channel.band.value} radio")
        mac_service.radio.retune(channel)

    def _mac_for(self, short: int) -> MacService:
        """The interface a child is reached on (the first one for anyone else)."""
        if len(self.interfaces) > 1:
            for child in self._children.values():
                if child.short == short:
                    return self.interfaces.get(child.band, self.mac)
        return self.mac

    # -- persistence ----------------------------------------------------------------------------
    def _load(self) -> None:
        saved = self.store.load("stack") or {}
        self.network_key: bytes | None = (
            bytes.fromhex(saved["nwk_key"]) if "nwk_key" in saved else None
        )
        self.key_seq: int = saved.get("key_seq", 0)
        self.link_keys: dict[Eui64, bytes] = {
            Eui64(e): bytes.fromhex(k) for e, k in saved.get("link_keys", {}).items()
        }
        self.addresses: dict[int, Eui64] = {
            int(s): Eui64(e) for s, e in saved.get("addresses", {}).items()
        }
        self._short_of: dict[Eui64, int] = {e: s for s, e in self.addresses.items()}

        self.trust_center: Eui64 | None = Eui64(saved["tc"]) if "tc" in saved else None
        if "short" in saved:
            for radio in self.radios:
                radio.short, radio.pan_id = saved["short"], saved["pan_id"]
        for e, c in saved.get("children", {}).items():
            band = Band(c.get("band", self.radio.band.value))
            child = _Child(
                Eui64(e), c["short"], c["rx_on"], bytes.fromhex(c["key"]), c["joined"], band
            )
            self._children[child.eui64] = child
            if not child.rx_on_when_idle:
                self._sleepy.add(child.short)
        self._next_short = saved.get("next_short", self._next_short)
        self.policy = TrustCenterPolicy.from_json(saved.get("admissions", {}))
        self._sleepy |= set(saved.get("sleepy", []))

    def _save(self) -> None:
        doc: dict[str, object] = {
            "key_seq": self.key_seq,
            "link_keys": {e.hex: k.hex() for e, k in self.link_keys.items()},
            "addresses": {str(s): e.hex for s, e in self.addresses.items()},
            "children": {
                e.hex: {
                    "short": c.short,
                    "rx_on": c.rx_on_when_idle,
                    "key": c.link_key.hex(),
                    "joined": c.joined,
                    "band": c.band.value,
                }
                for e, c in self._children.items()
            },
            "next_short": self._next_short,
            "sleepy": sorted(self._sleepy),
            "admissions": self.policy.to_json(),
        }
        if self.network_key is not None:
            doc["nwk_key"] = self.network_key.hex()
        if self.trust_center is not None:
            doc["tc"] = self.trust_center.hex
        if self.radio.short is not None:
            doc["short"], doc["pan_id"] = self.radio.short, self.radio.pan_id
        self.store.save("stack", doc)

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def eui64(self) -> Eui64:
        return self.radio.eui64

    @property
    def short(self) -> int | None:
        return self.radio.short

    @property
    def joined(self) -> bool:
        return self.network_key is not None and self.radio.short is not None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Power on: form the network (coordinator) or resume from stored state."""
        if self.config.role == Role.COORDINATOR:
            if self.network_key is None:
                self.network_key = self.rng.randbytes(16)
                self._save()
            for radio in self.radios:  # one network on every band
                radio.short, radio.pan_id = COORDINATOR_SHORT, self.config.pan_id
            self._learn_address(COORDINATOR_SHORT, self.eui64)
        # Receivers listen once they are on a network; a device waiting to be joined is idle
        # until its join starts (a sleepy device listens only while it polls).
        for mac_service in self.interfaces.values():
            mac_service.radio.rx_on = self.config.role != Role.END_DEVICE and self.joined
            mac_service.radio.on_receive = self._receiver(mac_service)
        if self.config.role == Role.END_DEVICE and self.joined:
            self._spawn(self._poll_loop())

    async def stop(self) -> None:
        """Power off: tasks end; what matters is already in the store."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for radio in self.radios:
            radio.rx_on = False
            radio.on_receive = None

    # -- HanPort: events and messages -------------------------------------------------------------

    def _drop(
        self, reason: DropReason, source: Eui64 | int | None = None, detail: str = ""
    ) -> None:
        self.drops[reason] += 1
        self._emit(FrameDropped(reason, source, detail))

    # -- the receive path ---------------------------------------------------------------------
    def _receiver(self, mac_service: MacService) -> Callable[[Reception], None]:
        def on_receive(reception: Reception) -> None:
            self._rx_mac = mac_service
            self._on_reception(reception)

        return on_receive

    def _on_reception(self, reception: Reception) -> None:
        """The radio's receive interrupt: every check, synchronously; nothing escapes."""
        self._lqi = reception.lqi
        try:
            self._on_psdu(reception.psdu, reception.time)
        except (DecodeError, ValueError) as exc:
            self._drop(DropReason.MALFORMED, detail=str(exc))

    def _on_psdu(self, psdu: bytes, time: float) -> None:
        try:
            mpdu = mac.check_fcs(psdu)
        except DecodeError:
            self._drop(DropReason.BAD_FCS)
            return
        frame = mac.decode_mpdu(mpdu)
        if frame.ack_request and frame.src is not None:
            # A retransmission whose ACK was lost: the MAC discards it (802.15.4-2011 §5.1.6.2).
            if self._last_seq.get(frame.src) == frame.seq:
                return
            self._last_seq[frame.src] = frame.seq
        if frame.frame_type == mac.FrameType.BEACON:
            if (
                frame.beacon is not None
                and frame.src_pan is not None
                and isinstance(frame.src, int)
            ):
                self._beacons.append((frame.src_pan, frame.src, frame.beacon))
        elif frame.frame_type == mac.FrameType.MAC_COMMAND:
            self._on_mac_command(frame)
        elif frame.frame_type == mac.FrameType.DATA:
            self._on_nwk(frame.payload, time)
        else:
            self._drop(DropReason.UNKNOWN_FRAME_TYPE)

    def _on_mac_command(self, frame: mac.MacFrame) -> None:
        command = frame.command
        if isinstance(command, mac.BeaconRequest):
            # Only the coordinator is a parent in this one-hop model, so only it answers: router
            # beacons (association permit off) would add one frame per router to every scan.
            if self.config.role == Role.COORDINATOR:
                self._spawn(self._send_beacon(self._rx_mac))
        elif isinstance(command, mac.AssociationRequest) and isinstance(frame.src, Eui64):
            if self.config.role == Role.COORDINATOR:
                self._on_association_request(frame.src, command)
        elif isinstance(command, mac.DataRequest) and frame.src is not None:
            self._spawn(self._rx_mac.on_data_request(frame.src))
        elif (
            isinstance(command, mac.AssociationResponse)
            and self._association is not None
            and not self._association.done()
        ):
            self._association.set_result(command)

    def _on_nwk(self, data: bytes, time: float) -> None:
        frame = nwk.decode_nwk(data)
        coordinator = self.config.role == Role.COORDINATOR
        if frame.dst not in (
            self.radio.short,
            nwk.BROADCAST_ALL,
            nwk.BROADCAST_RX_ON_WHEN_IDLE,
            nwk.BROADCAST_ROUTERS,
        ):
            if coordinator and any(c.short == frame.dst for c in self._children.values()):
                self._relay(frame.dst, data)  # the parent routes for its children
            else:
                self._drop(DropReason.NOT_FOR_US, frame.src)
            return
        if coordinator and frame.dst >= 0xFFF8 and len(self.interfaces) > 1:
            heard_on = self._rx_mac
            for mac_service in self.interfaces.values():
                if mac_service is not heard_on:  # a broadcast reaches the other band too
                    relayed = mac_service.data_frame(mac.BROADCAST_SHORT, data)
                    self._spawn(self._send_quietly(mac_service, relayed))
        if frame.aux is None:
            # Before it has the network key a joiner accepts one thing unsecured at NWK level:
            # an APS-secured Transport Key from its parent (R22 §4.6.3.2).
            if self.network_key is None and frame.frame_type == nwk.FrameType.DATA:
                self._on_aps(frame, frame.payload, time, nwk_secured=False)
            else:
                self._drop(DropReason.UNSECURED, frame.src)
            return
        sender = frame.aux.source
        if self.network_key is None or sender is None:
            self._drop(DropReason.WRONG_KEY, frame.src, "no network key")
            return
        try:
            plain = ccm.unsecure_nwk(frame, self.network_key, data)
        except SecurityError:
            self._drop(DropReason.WRONG_KEY, sender)
            return
        if not self._nwk_in.accept(sender, frame.aux.frame_counter):
            self._drop(DropReason.REPLAY, sender, f"NWK counter {frame.aux.frame_counter}")
            return
        self._learn_address(frame.src, sender)
        child = self._children.get(sender)
        if child is not None:
            self._mark_joined(child)
        if frame.frame_type == nwk.FrameType.COMMAND:
            self._on_nwk_command(frame, sender, nwk.decode_command(plain))
        else:
            self._on_aps(frame, plain, time, nwk_secured=True)

    def _relay(self, dst: int, data: bytes) -> None:
        """A NWK frame for a child of ours from another device: to a sleepy child at its next
        poll, to any other directly, each on the child's band."""
        mac_service = self._mac_for(dst)
        if dst in self._sleepy:
            mac_service.queue_indirect(dst, mac_service.data_frame(dst, data))
        else:
            self._spawn(self._send_quietly(mac_service, mac_service.data_frame(dst, data)))

    async def _send_quietly(self, mac_service: MacService, frame: mac.MacFrame) -> None:
        await mac_service.send(frame)  # relayed: the originator's APS retries cover a loss

    def _on_nwk_command(self, frame: nwk.NwkFrame, sender: Eui64, command: nwk.NwkCommand) -> None:
        if isinstance(command, nwk.Leave) and not command.request:
            child = self._children.pop(sender, None)
            if child is not None:
                self._sleepy.discard(child.short)
                self._save()
            if child is not None or self.config.role != Role.COORDINATOR:
                self._emit(Left(sender, command.rejoin))
        elif isinstance(command, nwk.Leave) and command.request and frame.src == COORDINATOR_SHORT:
            self._spawn(self.leave(rejoin=command.rejoin))
        elif isinstance(command, nwk.RejoinRequest) and self.config.role == Role.COORDINATOR:
            child = self._children.get(sender)
            status = 0 if child is not None else mac.AssociationStatus.PAN_ACCESS_DENIED
            short = child.short if child is not None else 0xFFFF
            self._spawn(self._send_nwk_command(frame.src, nwk.RejoinResponse(short, status)))
        elif isinstance(command, nwk.RejoinResponse):
            self._resolve("rejoin", command)

    def _on_aps(self, nwk_frame: nwk.NwkFrame, data: bytes, time: float, nwk_secured: bool) -> None:
        frame = aps.decode_aps(data)
        source = self.addresses.get(nwk_frame.src) or (frame.aux.source if frame.aux else None)
        payload = frame.payload
        if frame.aux is not None:
            sender = frame.aux.source or source
            key = self._link_key_for(sender)
            if sender is None or key is None:
                self._drop(DropReason.UNKNOWN_SENDER, nwk_frame.src)
                return
            try:
                payload = ccm.unsecure_aps(frame, key, sender, data)
            except SecurityError:
                self._drop(DropReason.WRONG_KEY, sender, "APS")
                if frame.frame_type == aps.FrameType.COMMAND and self.network_key is None:
                    self._fail_key_wait("network key could not be decrypted: wrong install code?")
                return
            if not self._aps_in.accept(sender, frame.aux.frame_counter):
                self._drop(DropReason.REPLAY, sender, f"APS counter {frame.aux.frame_counter}")
                return
            source = sender
        elif not nwk_secured:
            self._drop(DropReason.UNSECURED, nwk_frame.src)
            return
        if frame.frame_type == aps.FrameType.ACK:
            waiter = self._aps_acks.get((nwk_frame.src, frame.counter, frame.block_index))
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
        elif frame.frame_type == aps.FrameType.COMMAND:
            self._on_aps_command(nwk_frame, source, aps.decode_command(payload), frame.aux)
        elif frame.frame_type == aps.FrameType.DATA and source is not None:
            if frame.ack_request:
                self._spawn(self._send_aps_ack(nwk_frame.src, source, frame))
            if (nwk_frame.src, frame.counter) in self._recent:
                return  # a retry of a frame already delivered; the ACK above answers it
            if frame.block_index is not None:
                whole = self._reassemble(nwk_frame.src, frame, payload)
                if whole is None:
                    return  # more blocks to come
                payload = whole
            self._recent = [*self._recent[-APS_DUPLICATE_WINDOW:], (nwk_frame.src, frame.counter)]
            self._tally(source).heard_at(time, self._lqi)
            if frame.profile == aps.PROFILE_ZDP:  # the ZigBee Device Object is the stack's own
                self._on_zdo(frame.cluster or 0, payload, nwk_frame.src)
                return
            self._messages.put_nowait(
                ApsMessage(
                    source,
                    nwk_frame.src,
                    frame.src_endpoint or 0,
                    frame.dst_endpoint or 0,
                    frame.cluster or 0,
                    frame.profile or 0,
                    payload,
                    frame.aux is not None,
                    nwk_frame.dst >= 0xFFF8,
                    time=time,
                )
            )

    def _reassemble(self, sender: int, frame: aps.ApsFrame, block: bytes) -> bytes | None:
        """Collect the blocks of a fragmented ASDU; the whole payload once the last arrives."""
        assert frame.extended is not None and frame.block_index is not None
        assembly = self._fragments.setdefault((sender, frame.counter), _Assembly())
        assembly.blocks[frame.block_index] = block
        if frame.extended.fragmentation == aps.Fragmentation.FIRST:
            assembly.count = frame.extended.block_number
        if assembly.count is None or len(assembly.blocks) < assembly.count:
            return None
        del self._fragments[(sender, frame.counter)]
        return b"".join(assembly.blocks[i] for i in range(assembly.count))

    def _learn_address(self, short: int, eui64: Eui64) -> None:
        """Short addresses and EUI-64s map one to one: a device that rejoined under a new short
        address, or an address reused by another device, replaces the old pairing."""
        if self.addresses.get(short) == eui64:
            return
        stale = self._short_of.pop(eui64, None)
        if stale is not None:
            self.addresses.pop(stale, None)
        previous = self.addresses.get(short)
        if previous is not None:
            self._short_of.pop(previous, None)
        self.addresses[short] = eui64
        self._short_of[eui64] = short

    def _link_key_for(self, partner: Eui64 | None) -> bytes | None:
        if partner is None:
            return None
        if partner in self.link_keys:
            return self.link_keys[partner]
        child = self._children.get(partner)
        return child.link_key if child is not None else self._install_key

    def _on_zdo(self, cluster: int, payload: bytes, sender: int) -> None:
        """The ZDO services this stack offers: device announce, network address discovery."""
        message = zdo.decode_zdo(cluster, payload)
        if isinstance(message, zdo.DeviceAnnce):
            self._on_device_announce(message)
        elif isinstance(message, zdo.NwkAddrReq) and message.ieee_addr == self.eui64:
            assert self.radio.short is not None
            answer = zdo.NwkAddrRsp(
                message.tsn, zdo.ZdoStatus.SUCCESS, self.eui64, self.radio.short
            )
            self._spawn(self._send_zdo(sender, answer))
        elif isinstance(message, zdo.NwkAddrRsp) and message.status == zdo.ZdoStatus.SUCCESS:
            self._learn_address(message.nwk_addr_remote_dev, message.ieee_addr_remote_dev)
            self._resolve(f"nwk-addr-{message.ieee_addr_remote_dev.hex}", message)

    async def _send_zdo(self, dst: int, message: zdo.ZdoMessage) -> None:
        await self.send(
            dst,
            cluster=message.cluster_id,
            payload=message.encode(),
            profile=aps.PROFILE_ZDP,
            src_endpoint=0,
            dst_endpoint=0,
            aps_security=False,
            ack=False,
        )

    async def _discover(self, eui64: Eui64) -> int | None:
        """Network address discovery (R22 §2.4.3.1.1): ask everyone who ``eui64`` is."""
        waiter = self._expect(f"nwk-addr-{eui64.hex}")
        # A broadcast has no MAC retries and, one hop here, no relays to repeat it: ask again.
        for _ in range(ADDRESS_DISCOVERY_TRIES):
            request = zdo.NwkAddrReq(self.rng.randrange(256), eui64)
            await self._send_zdo(nwk.BROADCAST_RX_ON_WHEN_IDLE, request)
            await self._poll_for(waiter, COORDINATOR_SHORT, ADDRESS_DISCOVERY_TIMEOUT)
            if waiter.done():
                break
        self._waiters.pop(f"nwk-addr-{eui64.hex}", None)
        return self._short_of.get(eui64)

    def _on_device_announce(self, announce: zdo.DeviceAnnce) -> None:
        self._learn_address(announce.nwk_addr, announce.ieee_addr)
        if not announce.capability & zdo.MacCapability.RECEIVER_ON_WHEN_IDLE:
            self._sleepy.add(announce.nwk_addr)
        child = self._children.get(announce.ieee_addr)
        if child is not None:
            self._mark_joined(child)

    def _mark_joined(self, child: _Child) -> None:
        """A child has joined once it uses the network key: its device announce or, since that
        broadcast is never retried, any other authenticated NWK-secured frame from it."""
        if not child.joined:
            child.joined = True
            self._save()
            self._emit(Joined(child.eui64, child.short, self.eui64))

    # -- APS commands: the Trust Centre and the joiner ------------------------------------------
    def _on_aps_command(
        self,
        nwk_frame: nwk.NwkFrame,
        source: Eui64 | None,
        command: aps.ApsCommand,
        aux: AuxiliaryHeader | None,
    ) -> None:
        if (
            isinstance(command, aps.TransportKey)
            and command.key_type == aps.KeyType.APPLICATION_LINK_KEY
            and command.partner is not None
        ):
            if source is None or source != self.trust_center or aux is None:
                self._drop(DropReason.UNSECURED, source, "application link key not from our TC")
                return
            self.link_keys[command.partner] = command.key
            self._aps_in.forget(command.partner)
            self._save()
            self._emit(KeyEstablished(command.partner, "application-link-key"))
            self._resolve(f"partner-{command.partner.hex}", command)
        elif isinstance(command, aps.TransportKey):
            self._resolve(f"transport-{int(command.key_type)}", command)
        elif isinstance(command, aps.ConfirmKey):
            self._resolve("confirm", command)
        elif self.config.role == Role.COORDINATOR and source is not None:
            child = self._children.get(source)
            if child is None:
                self._drop(DropReason.UNKNOWN_SENDER, source, "APS command from a non-child")
            elif isinstance(command, aps.RequestKey) and aux is not None:
                if command.key_type == aps.RequestKeyType.TRUST_CENTER_LINK_KEY:
                    self._spawn(self._issue_tc_link_key(child))
                elif command.partner is not None and command.partner in self._children:
                    self._spawn(self._issue_partner_key(child, self._children[command.partner]))
            elif isinstance(command, aps.VerifyKey):
                self._spawn(self._confirm_tc_link_key(child, command))

    async def _issue_tc_link_key(self, child: _Child) -> None:
        """R22 §4.6.3.7: a new, random TC link key under the key-load key of the current one."""
        # A repeated request (our answer was lost) gets the same key again, not a new one.
        new_key = self._pending_tclk.setdefault(child.eui64, self.rng.randbytes(16))
        command = aps.TransportKey(
            aps.KeyType.TRUST_CENTER_LINK_KEY, new_key, 0, child.eui64, self.eui64
        )
        await self._send_aps_command(child.short, command, KeyId.KEY_LOAD_KEY, child.link_key)

    async def _issue_partner_key(self, requester: _Child, partner: _Child) -> None:
        """The same fresh application link key to both partners, each under its key-load key."""
        key = self.rng.randbytes(16)
        for to, other, initiator in ((requester, partner, True), (partner, requester, False)):
            command = aps.TransportKey(
                aps.KeyType.APPLICATION_LINK_KEY, key, partner=other.eui64, initiator=initiator
            )
            await self._send_aps_command(to.short, command, KeyId.KEY_LOAD_KEY, to.link_key)

    async def _confirm_tc_link_key(self, child: _Child, verify: aps.VerifyKey) -> None:
        new_key = self._pending_tclk.pop(child.eui64, None)
        if new_key is None or verify.hash != keys.verify_key_hash(new_key):
            status = 0xAD  # SECURITY_FAILURE
            await self._send_aps_command(
                child.short, aps.ConfirmKey(status, verify.key_type, child.eui64), None, None
            )
            return
        child.link_key = new_key
        self._aps_in.forget(child.eui64)
        self._save()
        await self._send_aps_command(
            child.short, aps.ConfirmKey(0, verify.key_type, child.eui64), KeyId.DATA_KEY, new_key
        )
        self._emit(KeyEstablished(child.eui64, "tc-link-key"))

    def _fail_key_wait(self, reason: str) -> None:
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(JoinError(reason))
        self._waiters.clear()

    # -- coordinator: association and admission ----------------------------------------------------
    def _on_association_request(self, joiner: Eui64, request: mac.AssociationRequest) -> None:
        now = self.clock.now()
        admission = self.policy.admission(joiner, now)
        rx_on = bool(request.capability & mac.Capability.RX_ON_WHEN_IDLE)
        if admission is None:
            response = mac.AssociationResponse(0xFFFF, mac.AssociationStatus.PAN_ACCESS_DENIED)
            self._emit(JoinRefused(joiner, "not admitted by the Trust Centre (no join window)"))
        else:
            child = self._children.get(joiner)
            if child is None:
                child = _Child(joiner, self._allocate_short(), rx_on, admission.link_key)
                self._children[joiner] = child
            child.rx_on_when_idle, child.link_key, child.joined = rx_on, admission.link_key, False
            child.band = self._rx_mac.radio.band
            self.link_keys.pop(joiner, None)
            self._aps_in.forget(joiner)
            self._nwk_in.forget(joiner)
            self._learn_address(child.short, joiner)
            if not rx_on:
                self._sleepy.add(child.short)
            self._save()
            response = mac.AssociationResponse(child.short, mac.AssociationStatus.SUCCESSFUL)
        on = self._rx_mac
        frame = mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            on.next_seq(),
            dst_pan=on.pan_id,
            dst=joiner,
            src=self.eui64,
            pan_id_compression=True,
            ack_request=True,
            command=response,
        )
        on.queue_indirect(joiner, frame)
        if admission is not None:
            self._spawn(self._deliver_network_key(joiner))

    def _allocate_short(self) -> int:
        used = {c.short for c in self._children.values()}
        while self._next_short in used or self._next_short >= 0xFFF8:
            self._next_short = (self._next_short + 1) % 0xFFF8 or 1
        short = self._next_short
        self._next_short += 1
        return short

    async def _deliver_network_key(self, joiner: Eui64) -> None:
        """After the joiner has collected its association response, send it the network key."""
        deadline = self.clock.now() + self._phy.response_wait_time * 4
        child = self._children.get(joiner)
        on = self.interfaces.get(child.band, self.mac) if child is not None else self.mac
        while on.has_pending(joiner) and self.clock.now() < deadline:
            await self.clock.sleep(0.01)
        child = self._children.get(joiner)
        if child is None or self.network_key is None:
            return
        command = aps.TransportKey(
            aps.KeyType.STANDARD_NETWORK_KEY, self.network_key, self.key_seq, joiner, self.eui64
        )
        await self._send_aps_command(
            child.short, command, KeyId.KEY_TRANSPORT_KEY, child.link_key, nwk_secured=False
        )
        await self.clock.sleep(self.config.security_timeout)
        child = self._children.get(joiner)
        if child is not None and not child.joined:
            del self._children[joiner]
            self._sleepy.discard(child.short)
            self._save()
            self._emit(
                JoinRefused(joiner, "never announced itself: it could not use the network key")
            )

    async def _send_beacon(self, on: MacService) -> None:
        await self.clock.sleep(self.rng.uniform(0, 0.002))  # responders spread out their beacons
        permit = self.policy.window_open(self.clock.now())
        beacon = mac.Beacon(
            permit,
            pan_coordinator=self.config.role == Role.COORDINATOR,
            zigbee=mac.ZigbeeBeacon(self.config.extended_pan_id or self.eui64),
        )
        frame = mac.MacFrame(
            mac.FrameType.BEACON,
            on.next_seq(),
            src_pan=on.pan_id,
            src=on.radio.short,
            beacon=beacon,
        )
        await on.send(frame)

    def link_key(self, partner: Eui64) -> bytes | None:
        child = self._children.get(partner)
        return child.link_key if child is not None else self.link_keys.get(partner)

    async def request_link_key(self, partner: Eui64) -> None:
        """R22 §4.4.10.4: ask the Trust Centre for an application link key with ``partner``; it
        sends the same fresh key to both of us under each one's key-load key."""
        if self.trust_center is None or self.trust_center not in self.link_keys:
            raise DeliveryError("no Trust Centre link key to ask with")
        waiter = self._expect(f"partner-{partner.hex}")
        await self._send_aps_command(
            COORDINATOR_SHORT,
            aps.RequestKey(aps.RequestKeyType.APPLICATION_LINK_KEY, partner),
            KeyId.DATA_KEY,
            self.link_keys[self.trust_center],
        )
        await self._await_answer(f"partner-{partner.hex}", COORDINATOR_SHORT, waiter)

    async def remove_device(self, eui64: Eui64) -> None:
        """Trust Centre: withdraw ``eui64``'s admission and evict it. The TC is every device's
        parent here, so instead of an APS Remove Device to a parent (R22 §4.4.10.3) it sends
        the NWK Leave request itself; the device's keys and counters are forgotten."""
        self.policy.revoke(eui64)
        self._pending_tclk.pop(eui64, None)
        child = self._children.pop(eui64, None)
        self._save()
        self._aps_in.forget(eui64)
        self._nwk_in.forget(eui64)
        if child is None:
            return
        await self._send_nwk_command(child.short, nwk.Leave(request=True))
        self._sleepy.discard(child.short)  # after the Leave is queued for its next poll
        self._save()
        self._emit(Left(eui64))

    def children(self) -> list[tuple[Eui64, int, bool]]:
        """Every joined child as (EUI-64, short address, receiver on when idle): the child
        table a dongle's host reads."""
        return [(c.eui64, c.short, c.rx_on_when_idle) for c in self._children.values() if c.joined]

    def link_keys_in_use(self) -> list[tuple[Eui64, bytes]]:
        """Every APS link key this node holds or held, by partner (for the keys file only)."""
        pairs = list(self.link_keys.items())
        pairs += [(c.eui64, c.link_key) for c in self._children.values()]
        pairs += self.policy.preconfigured_keys()
        return pairs

    async def permit_joining(self, eui64: Eui64, link_key: bytes, seconds: float) -> None:
        if self.config.role != Role.COORDINATOR:
            raise RuntimeError("only the Trust Centre admits joiners")
        self.policy.permit(eui64, link_key, self.clock.now() + seconds)
        self._save()

    async def set_link_key(self, partner: Eui64, key: bytes, kind: str) -> None:
        if partner in self._children:
            self._children[partner].link_key = key
        else:
            self.link_keys[partner] = key
        self._aps_in.forget(partner)
        self._save()
        self._emit(KeyEstablished(partner, kind))

    async def remove_link_key(self, partner: Eui64) -> None:
        if self.link_keys.pop(partner, None) is not None:
            self._aps_in.forget(partner)
            self._save()

    # -- joiner ---------------------------------------------------------------------------------
    async def join(self, install_code_key: bytes) -> None:
        """Join with the install-code link key; raises :class:`JoinError` (and emits
        ``JoinRefused``) when any step fails."""
        try:
            await self._join(install_code_key)
        except JoinError as exc:
            self._emit(JoinRefused(self.eui64, str(exc)))
            self.radio.short = None
            self.network_key = None
            self.radio.rx_on = False
            raise

    async def _join(self, install_code_key: bytes) -> None:
        self._install_key = install_code_key
        self.link_keys.clear()  # a fresh join: nothing but the install-code key is trusted
        self._aps_in.clear()  # new keys, new counters: a re-formed network's TC starts at 0
        self._nwk_in.clear()
        self.radio.pan_id, self.radio.short = None, None
        self.radio.rx_on = True
        candidates: list[tuple[int, int]] = []
        for _scan in range(ACTIVE_SCANS):
            self._beacons.clear()
            request = mac.MacFrame(
                mac.FrameType.MAC_COMMAND,
                self.mac.next_seq(),
                dst_pan=0xFFFF,
                dst=0xFFFF,
                command=mac.BeaconRequest(),
            )
            await self.mac.send(request)
            await self.clock.sleep(self._phy.scan_duration())
            candidates = [(pan, src) for pan, src, b in self._beacons if b.association_permit]
            if candidates:
                break
        if not candidates:
            raise JoinError("no beacon permitting association")
        pan, parent = candidates[0]
        self.radio.pan_id = pan
        capability = self._capability()
        request = mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            self.mac.next_seq(),
            dst_pan=pan,
            dst=parent,
            src_pan=0xFFFF,
            src=self.eui64,
            ack_request=True,
            command=mac.AssociationRequest(capability),
        )
        if (await self.mac.send(request)).status != TxStatus.SUCCESS:
            raise JoinError("association request not acknowledged")
        self._association = asyncio.get_running_loop().create_future()
        await self.clock.sleep(self._phy.response_wait_time)
        poll = mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            self.mac.next_seq(),
            dst_pan=pan,
            dst=parent,
            src=self.eui64,
            pan_id_compression=True,
            ack_request=True,
            command=mac.DataRequest(),
        )
        await self.mac.send(poll)
        try:
            async with self.clock.timeout(self._phy.response_wait_time):
                response = await self._association
        except TimeoutError:
            raise JoinError("no association response") from None
        if response.status != mac.AssociationStatus.SUCCESSFUL:
            raise JoinError(f"association refused: {response.status.name}")
        self.radio.short = response.short_address
        network_key = await self._await_answer("transport-1", poll_parent=parent)
        assert isinstance(network_key, aps.TransportKey) and network_key.source is not None
        self.network_key, self.key_seq = network_key.key, network_key.key_seq
        self.trust_center = network_key.source
        self._learn_address(parent, network_key.source)
        self._nwk_in.forget(network_key.source)
        self.link_keys[network_key.source] = install_code_key
        self._save()
        announce = zdo.DeviceAnnce(
            self.rng.randrange(256), self.radio.short, self.eui64, zdo.MacCapability(capability)
        )
        await self._send_zdo(nwk.BROADCAST_RX_ON_WHEN_IDLE, announce)
        await self._update_tc_link_key(parent)
        self._emit(Joined(self.eui64, self.radio.short, self.trust_center))
        if self.config.role == Role.END_DEVICE:
            self.radio.rx_on = False
            self._spawn(self._poll_loop())

    def _capability(self) -> int:
        """Capability Information (802.15.4 §7.3.1.2) for association and rejoin."""
        capability = mac.Capability.ALLOCATE_ADDRESS
        if self.config.role == Role.ROUTER:
            capability |= mac.Capability.FFD | mac.Capability.MAINS_POWERED
            capability |= mac.Capability.RX_ON_WHEN_IDLE
        return capability

    async def _update_tc_link_key(self, parent: int) -> None:
        """R22 §4.6.3.7: request key, receive the new key, verify it, wait for the confirmation.

        These APS commands are not acknowledged, so each is repeated (KEY_EXCHANGE_TRIES times)
        when its answer does not come.
        """
        assert self.trust_center is not None
        current = self.link_keys[self.trust_center]
        request = aps.RequestKey(aps.RequestKeyType.TRUST_CENTER_LINK_KEY)
        transport = await self._exchange(parent, request, KeyId.DATA_KEY, current, "transport-4")
        assert isinstance(transport, aps.TransportKey)
        self.link_keys[self.trust_center] = transport.key  # the confirmation comes under it
        verify = aps.VerifyKey(
            aps.KeyType.TRUST_CENTER_LINK_KEY, self.eui64, keys.verify_key_hash(transport.key)
        )
        try:
            confirm = await self._exchange(parent, verify, None, None, "confirm")
        except JoinError:
            self.link_keys[self.trust_center] = current
            raise
        if not isinstance(confirm, aps.ConfirmKey) or confirm.status != 0:
            self.link_keys[self.trust_center] = current
            raise JoinError("Trust Centre did not confirm the new link key")
        self._install_key = None
        self._aps_in.forget(self.trust_center)
        self._save()
        self._emit(KeyEstablished(self.trust_center, "tc-link-key"))

    async def _exchange(
        self,
        parent: int,
        command: aps.ApsCommand,
        key_id: KeyId | None,
        key: bytes | None,
        answer: str,
    ) -> Any:
        """Send a key-exchange command and wait for its answer, repeating it if need be."""
        for _ in range(KEY_EXCHANGE_TRIES - 1):
            waiter = self._expect(answer)
            await self._send_aps_command(parent, command, key_id, key)
            await self._poll_for(waiter, parent, self.config.security_timeout / KEY_EXCHANGE_TRIES)
            if waiter.done():
                return waiter.result()
        waiter = self._expect(answer)
        await self._send_aps_command(parent, command, key_id, key)
        return await self._await_answer(answer, poll_parent=parent, waiter=waiter)

    async def _poll_for(self, waiter: asyncio.Future[Any], parent: int, seconds: float) -> None:
        """Wait up to ``seconds`` for ``waiter``; a sleepy device polls its parent meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with self.clock.timeout(seconds):
                while not waiter.done():
                    if self.config.role == Role.END_DEVICE:
                        await self._poll(parent)
                        await self._wait(waiter, FAST_POLL)
                    else:
                        await asyncio.shield(waiter)

    def _expect(self, name: str) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[name] = waiter
        return waiter

    def _resolve(self, name: str, value: object) -> None:
        """Hand ``value`` to whoever waits under ``name``, if anyone still does."""
        waiter = self._waiters.pop(name, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(value)

    async def _await_answer(
        self, name: str, poll_parent: int, waiter: asyncio.Future[Any] | None = None
    ) -> Any:
        """Wait for a key-exchange step; a sleepy joiner polls its parent meanwhile."""
        waiter = waiter or self._waiters.get(name) or self._expect(name)
        await self._poll_for(waiter, poll_parent, self.config.security_timeout)
        if not waiter.done():
            self._waiters.pop(name, None)
            raise JoinError(f"security timeout waiting for {name}")
        return waiter.result()

    async def _wait(self, future: asyncio.Future[Any], seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with self.clock.timeout(seconds):
                await asyncio.shield(future)

    async def _poll(self, parent: int) -> None:
        # Once associated a device polls with its short address (802.15.4-2006 §7.5.6.3).
        source: int | Eui64 = self.radio.short if self.radio.short is not None else self.eui64
        frame = mac.MacFrame(
            mac.FrameType.MAC_COMMAND,
            self.mac.next_seq(),
            dst_pan=self.mac.pan_id,
            dst=parent,
            src=source,
            pan_id_compression=True,
            ack_request=True,
            command=mac.DataRequest(),
        )
        self.radio.rx_on = True
        result = await self.mac.send(frame)
        await self.clock.sleep(self.config.poll_window if result.frame_pending else 0.005)
        if self.config.role == Role.END_DEVICE and self.network_key is not None:
            self.radio.rx_on = False

    async def poll(self) -> None:
        """HanPort.poll: a joined end device polls its parent once; a router does nothing."""
        if self.config.role == Role.END_DEVICE and self.joined:
            await self._poll(COORDINATOR_SHORT)

    async def _poll_loop(self) -> None:
        parent = COORDINATOR_SHORT
        while True:
            await self.clock.sleep(self.config.poll_period)
            await self._poll(parent)

    async def leave(self, rejoin: bool = False) -> None:
        """Announce we leave the network (R22 §3.6.1.10.2) and forget it unless rejoining."""
        if self.joined:
            await self._send_nwk_command(nwk.BROADCAST_RX_ON_WHEN_IDLE, nwk.Leave(rejoin=rejoin))
        if not rejoin:
            self.network_key = None
            self.radio.short = None
            self._save()
        self._emit(Left(self.eui64, rejoin))

    async def rejoin(self) -> None:
        """Secured rejoin with the current network key (R22 §3.6.1.4.2)."""
        if self.network_key is None or self.radio.short is None:
            raise JoinError("no network to rejoin")
        waiter = self._expect("rejoin")
        capability = self._capability()
        await self._send_nwk_command(COORDINATOR_SHORT, nwk.RejoinRequest(capability))
        result = await self._await_answer("rejoin", poll_parent=COORDINATOR_SHORT, waiter=waiter)
        assert isinstance(result, nwk.RejoinResponse)
        if result.status != 0:
            raise JoinError(f"rejoin refused: status {result.status}")

    # -- sending ----------------------------------------------------------------------------------
    def _next_nwk_seq(self) -> int:
        self._nwk_seq = (self._nwk_seq + 1) & 0xFF
        return self._nwk_seq

    def _next_aps_counter(self) -> int:
        self._aps_counter = (self._aps_counter + 1) & 0xFF
        return self._aps_counter

    def _nwk_frame(
        self, dst: int, ftype: nwk.FrameType, plain: bytes, secured: bool = True, radius: int = 30
    ) -> bytes:
        aux = None
        if secured:
            aux = AuxiliaryHeader(KeyId.NETWORK_KEY, self._nwk_out.take(), self.eui64, self.key_seq)
        frame = nwk.NwkFrame(
            ftype,
            dst,
            self.radio.short if self.radio.short is not None else 0xFFFF,
            self._next_nwk_seq(),
            radius=radius,
            src_ieee=self.eui64 if ftype == nwk.FrameType.COMMAND else None,
            aux=aux,
        )
        if not secured:
            return frame.encode() + plain
        assert self.network_key is not None
        return ccm.secure_nwk(frame, plain, self.network_key)

    async def _transmit_nwk(self, dst: int, nwk_bytes: bytes) -> bool:
        """One hop: broadcasts to all, to a sleepy child of ours indirectly, to other sleepy
        devices through the coordinator (their parent), to everyone else directly."""
        if dst >= 0xFFF8:
            for mac_service in self.interfaces.values():  # every band of ours
                await mac_service.send(mac_service.data_frame(mac.BROADCAST_SHORT, nwk_bytes))
            return True
        if self.config.role == Role.COORDINATOR:
            on = self._mac_for(dst)
            if dst in self._sleepy:
                on.queue_indirect(dst, on.data_frame(dst, nwk_bytes))
                return True
            result = await on.send(on.data_frame(dst, nwk_bytes))
            return result.status == TxStatus.SUCCESS
        via_parent = dst in self._sleepy or dst in self._via_parent
        next_hop = COORDINATOR_SHORT if via_parent else dst
        result = await self.mac.send(self.mac.data_frame(next_hop, nwk_bytes))
        if result.status == TxStatus.NO_ACK and not via_parent and dst != COORDINATOR_SHORT:
            # No direct link (the other band, or out of reach): through the parent from now on
            self._via_parent.add(dst)
            result = await self.mac.send(self.mac.data_frame(COORDINATOR_SHORT, nwk_bytes))
        return result.status == TxStatus.SUCCESS

    async def _send_nwk_command(self, dst: int, command: nwk.NwkCommand) -> None:
        await self._transmit_nwk(
            dst, self._nwk_frame(dst, nwk.FrameType.COMMAND, command.encode(), radius=1)
        )

    async def _send_aps_command(
        self,
        dst: int,
        command: aps.ApsCommand,
        key_id: KeyId | None,
        key: bytes | None,
        nwk_secured: bool = True,
    ) -> None:
        aux = None if key_id is None else AuxiliaryHeader(key_id, self._aps_out.take(), self.eui64)
        frame = aps.ApsFrame(aps.FrameType.COMMAND, self._next_aps_counter(), aux=aux)
        if aux is None:
            aps_bytes = frame.header() + command.encode()
        else:
            assert key is not None
            aps_bytes = ccm.secure_aps(frame, command.encode(), key, self.eui64)
        await self._transmit_nwk(
            dst, self._nwk_frame(dst, nwk.FrameType.DATA, aps_bytes, nwk_secured)
        )

    async def _send_aps_ack(self, dst: int, partner: Eui64, data: aps.ApsFrame) -> None:
        aux = None
        if data.aux is not None:
            aux = AuxiliaryHeader(KeyId.DATA_KEY, self._aps_out.take())
        ack = data.acknowledgement(aux)
        if aux is None:
            aps_bytes = ack.encode()
        else:
            key = self._link_key_for(partner)
            assert key is not None
            aps_bytes = ccm.secure_aps(ack, b"", key, self.eui64)
        await self._transmit_nwk(dst, self._nwk_frame(dst, nwk.FrameType.DATA, aps_bytes))

    async def send(
        self,
        destination: Eui64 | int,
        *,
        cluster: int,
        payload: bytes,
        profile: int = aps.PROFILE_SMART_ENERGY,
        src_endpoint: int = 1,
        dst_endpoint: int = 1,
        aps_security: bool = True,
        ack: bool = True,
    ) -> None:
        if not self.joined:
            raise NotJoined("not joined to a network")
        if isinstance(destination, Eui64):
            dst = self._short_of.get(destination)
            if dst is None:
                dst = await self._discover(destination)
            if dst is None:
                raise DeliveryError(f"no short address known for {destination}")
            partner: Eui64 | None = destination
        else:
            dst, partner = destination, self.addresses.get(destination)
        broadcast = dst >= 0xFFF8
        ack = ack and not broadcast
        key = None
        if aps_security and not broadcast:
            key = self._link_key_for(partner)
            if key is None:
                raise DeliveryError(f"no link key with {destination}")
        counter = self._next_aps_counter()
        blocks = [payload[i : i + APS_BLOCK] for i in range(0, len(payload), APS_BLOCK)]
        # Only unacknowledged unsecured unicasts (OTA Upgrade blocks) use the larger limit: the
        # acknowledged exchanges (CBKE) keep the split and the timing they were tuned with.
        unsecured_unicast = not aps_security and not ack and not broadcast
        if len(payload) <= (MAX_UNSECURED_APS_PAYLOAD if unsecured_unicast else MAX_APS_PAYLOAD):
            blocks = [payload]
        elif broadcast:
            raise DeliveryError(f"a {len(payload)}-byte broadcast does not fit one frame")
        mode = aps.DeliveryMode.BROADCAST if broadcast else aps.DeliveryMode.UNICAST
        for index, block in enumerate(blocks):
            extended = None
            if len(blocks) > 1:  # R22 §2.2.8.4.5: the first block carries the block count
                extended = (
                    aps.ExtendedHeader(aps.Fragmentation.FIRST, len(blocks))
                    if index == 0
                    else aps.ExtendedHeader(aps.Fragmentation.SUBSEQUENT, index)
                )
            template = aps.ApsFrame(
                aps.FrameType.DATA,
                counter,
                delivery_mode=mode,
                dst_endpoint=dst_endpoint,
                cluster=cluster,
                profile=profile,
                src_endpoint=src_endpoint,
                ack_request=ack or extended is not None,
                extended=extended,
            )
            try:
                await self._send_block(dst, template, block, key, str(destination))
            except DeliveryError:
                if partner is not None and ack:
                    self._tally(partner).failed += 1
                raise
        if partner is not None and ack:
            self._tally(partner).delivered += 1

    def _tally(self, partner: Eui64) -> LinkTally:
        tally = self._links.get(partner)
        if tally is None:
            tally = self._links[partner] = LinkTally()
        return tally

    def link_status(self, partner: Eui64) -> LinkStatus | None:
        tally = self._links.get(partner)
        return None if tally is None else tally.status()

    async def _send_block(
        self, dst: int, template: aps.ApsFrame, block: bytes, key: bytes | None, who: str
    ) -> None:
        """One APS data frame (or fragment), retried until its APS ACK arrives."""
        waiter_key = (dst, template.counter, template.block_index)
        for _attempt in range(APS_MAX_RETRIES + 1):
            aux = None if key is None else AuxiliaryHeader(KeyId.DATA_KEY, self._aps_out.take())
            frame = dataclasses.replace(template, aux=aux)
            aps_bytes = (
                frame.header() + block
                if key is None
                else ccm.secure_aps(frame, block, key, self.eui64)
            )
            waiter: asyncio.Future[None] | None = None
            if frame.ack_request:
                waiter = asyncio.get_running_loop().create_future()
                self._aps_acks[waiter_key] = waiter
            await self._transmit_nwk(dst, self._nwk_frame(dst, nwk.FrameType.DATA, aps_bytes))
            if waiter is None:
                return
            try:
                wait = self.config.aps_ack_wait + (
                    self.config.poll_period if dst in self._sleepy else 0
                )
                async with self.clock.timeout(wait):
                    while self.config.role == Role.END_DEVICE and not waiter.done():
                        # A sleepy device fetches its answer from the parent: it polls fast
                        # while it expects one instead of waiting for its next regular poll.
                        await self._poll(COORDINATOR_SHORT)
                        await self._wait(waiter, FAST_POLL)
                    await waiter
                return
            except TimeoutError:
                continue
            finally:
                self._aps_acks.pop(waiter_key, None)
        raise DeliveryError(f"no APS ACK from {who} after {APS_MAX_RETRIES + 1} attempts")
