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

This module holds the node itself (its state, persistence, interfaces and lifecycle); each side
of the protocol is a mixin of its own: ``receiving`` (the receive path), ``sending`` (framing,
security, APS retries), ``coordinator`` (the Trust Centre), ``joiner`` (the joining device),
over the shared state declared in ``base``; ``config`` holds the constants and settings.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Coroutine
from typing import Any

from ...codec import ieee802154 as mac
from ...codec.eui64 import Eui64
from ..clock import Clock
from ..medium import Channel, Radio
from ..port import (
    DropReason,
    FrameDropped,
    KeyEstablished,
    LinkTally,
    PortFanOut,
)
from ..radio import Band, PhyParameters
from .config import (
    ACTIVE_SCANS,
    ADDRESS_DISCOVERY_TIMEOUT,
    ADDRESS_DISCOVERY_TRIES,
    APS_ACK_WAIT,
    APS_BLOCK,
    APS_DUPLICATE_WINDOW,
    APS_MAX_RETRIES,
    COORDINATOR_SHORT,
    FAST_POLL,
    KEY_EXCHANGE_TRIES,
    MAX_APS_PAYLOAD,
    MAX_UNSECURED_APS_PAYLOAD,
    SECURITY_TIMEOUT,
    JoinError,
    Role,
    StackConfig,
)
from .coordinator import CoordinatorSide, _Child
from .joiner import JoiningDevice
from .mac import MacService
from .receiving import ReceivePath, _Assembly
from .sending import Sending
from .state import IncomingCounters, OutgoingCounter, StateStore
from .trust_center import TrustCenterPolicy

__all__ = [  # what this module exported before the stack was split
    "ACTIVE_SCANS",
    "ADDRESS_DISCOVERY_TIMEOUT",
    "ADDRESS_DISCOVERY_TRIES",
    "APS_ACK_WAIT",
    "APS_BLOCK",
    "APS_DUPLICATE_WINDOW",
    "APS_MAX_RETRIES",
    "COORDINATOR_SHORT",
    "FAST_POLL",
    "KEY_EXCHANGE_TRIES",
    "MAX_APS_PAYLOAD",
    "MAX_UNSECURED_APS_PAYLOAD",
    "SECURITY_TIMEOUT",
    "EmulatedStack",
    "JoinError",
    "Role",
    "StackConfig",
    "_Assembly",
    "_Child",
]


class EmulatedStack(CoordinatorSide, JoiningDevice, Sending, ReceivePath):
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

    def _drop(
        self, reason: DropReason, source: Eui64 | int | None = None, detail: str = ""
    ) -> None:
        self.drops[reason] += 1
        self._emit(FrameDropped(reason, source, detail))

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

    def link_key(self, partner: Eui64) -> bytes | None:
        child = self._children.get(partner)
        return child.link_key if child is not None else self.link_keys.get(partner)

    def link_keys_in_use(self) -> list[tuple[Eui64, bytes]]:
        """Every APS link key this node holds or held, by partner (for the keys file only)."""
        pairs = list(self.link_keys.items())
        pairs += [(c.eui64, c.link_key) for c in self._children.values()]
        pairs += self.policy.preconfigured_keys()
        return pairs

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
