"""The state the parts of ``EmulatedStack`` share, declared once for the type checker.

The stack is split into one mixin per side (receive path, send path, coordinator, joining
device); each needs the node's state and a few methods of the others. They are declared here
only, so every part type-checks alone while the one ``EmulatedStack`` object holds the state.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import TYPE_CHECKING, Any

from ...codec import ieee802154 as mac_frames
from ...codec.eui64 import Eui64
from ...codec.zigbee import aps, nwk, zdo
from ...codec.zigbee.auxiliary import KeyId
from ..clock import Clock
from ..medium import Radio
from ..port import DropReason, LinkTally, PortFanOut
from ..radio import Band, PhyParameters
from .config import StackConfig
from .mac import MacService
from .state import IncomingCounters, OutgoingCounter, StateStore
from .trust_center import TrustCenterPolicy

if TYPE_CHECKING:
    from .coordinator import _Child
    from .receiving import _Assembly


class StackBase(PortFanOut):
    config: StackConfig
    clock: Clock
    radio: Radio
    store: StateStore
    rng: random.Random
    mac: MacService
    interfaces: dict[Band, MacService]
    drops: Counter[DropReason]
    network_key: bytes | None
    key_seq: int
    link_keys: dict[Eui64, bytes]
    addresses: dict[int, Eui64]
    trust_center: Eui64 | None
    policy: TrustCenterPolicy
    _rx_mac: MacService
    _via_parent: set[int]
    _last_seq: dict[int | Eui64, int]
    _nwk_out: OutgoingCounter
    _aps_out: OutgoingCounter
    _nwk_in: IncomingCounters
    _aps_in: IncomingCounters
    _nwk_seq: int
    _aps_counter: int
    _tasks: set[asyncio.Task[None]]
    _aps_acks: dict[tuple[int, int, int | None], asyncio.Future[None]]
    _fragments: dict[tuple[int, int], _Assembly]
    _recent: list[tuple[int, int]]
    _links: dict[Eui64, LinkTally]
    _lqi: int
    _beacons: list[tuple[int, int, mac_frames.Beacon]]
    _association: asyncio.Future[mac_frames.AssociationResponse] | None
    _waiters: dict[str, asyncio.Future[Any]]
    _children: dict[Eui64, _Child]
    _pending_tclk: dict[Eui64, bytes]
    _install_key: bytes | None
    _next_short: int
    _sleepy: set[int]
    _short_of: dict[Eui64, int]

    if TYPE_CHECKING:
        # node.py
        @property
        def eui64(self) -> Eui64: ...
        @property
        def joined(self) -> bool: ...
        @property
        def _phy(self) -> PhyParameters: ...
        def _save(self) -> None: ...
        def _spawn(self, coro: Any) -> None: ...
        def _drop(
            self, reason: DropReason, source: Eui64 | int | None = None, detail: str = ""
        ) -> None: ...
        def _mac_for(self, short: int) -> MacService: ...
        def _learn_address(self, short: int, eui64: Eui64) -> None: ...
        def _link_key_for(self, partner: Eui64 | None) -> bytes | None: ...

        # sending.py
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
        ) -> None: ...
        async def _send_nwk_command(self, dst: int, command: nwk.NwkCommand) -> None: ...
        async def _send_aps_command(
            self,
            dst: int,
            command: aps.ApsCommand,
            key_id: KeyId | None,
            key: bytes | None,
            nwk_secured: bool = True,
        ) -> None: ...
        async def _send_aps_ack(self, dst: int, partner: Eui64, data: aps.ApsFrame) -> None: ...
        async def _send_zdo(self, dst: int, message: zdo.ZdoMessage) -> None: ...
        def _tally(self, partner: Eui64) -> LinkTally: ...

        # coordinator.py
        def _on_association_request(
            self, joiner: Eui64, request: mac_frames.AssociationRequest
        ) -> None: ...
        def _on_device_announce(self, announce: zdo.DeviceAnnce) -> None: ...
        def _mark_joined(self, child: _Child) -> None: ...
        async def _send_beacon(self, on: MacService) -> None: ...
        async def _issue_tc_link_key(self, child: _Child) -> None: ...
        async def _issue_partner_key(self, requester: _Child, partner: _Child) -> None: ...
        async def _confirm_tc_link_key(self, child: _Child, verify: aps.VerifyKey) -> None: ...

        # joiner.py
        async def leave(self, rejoin: bool = False) -> None: ...
        async def _poll(self, parent: int) -> None: ...
        async def _poll_loop(self) -> None: ...
        async def _poll_for(
            self, waiter: asyncio.Future[Any], parent: int, seconds: float
        ) -> None: ...
        async def _wait(self, future: asyncio.Future[Any], seconds: float) -> None: ...
        def _expect(self, name: str) -> asyncio.Future[Any]: ...
        def _resolve(self, name: str, value: object) -> None: ...
        async def _await_answer(
            self, name: str, poll_parent: int, waiter: asyncio.Future[Any] | None = None
        ) -> Any: ...
        def _fail_key_wait(self, reason: str) -> None: ...
        def _capability(self) -> int: ...
