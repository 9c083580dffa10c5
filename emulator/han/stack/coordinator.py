"""The coordinator and Trust Centre side of the stack: beacons, association admission against
the ``TrustCenterPolicy``, network key transport, the TC link key update and application link
keys it hands out, its child table and evictions (R22 §3.6.1, §4.6.3; ZSE §5.4).

Separate from the joining side because no node plays both: only the coordinator runs this.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...codec import ieee802154 as mac
from ...codec.eui64 import Eui64
from ...codec.security import keys
from ...codec.zigbee import aps, nwk, zdo
from ...codec.zigbee.auxiliary import KeyId
from ..port import (
    Joined,
    JoinRefused,
    KeyEstablished,
    Left,
)
from ..radio import Band
from .base import StackBase
from .config import (
    Role,
)
from .mac import MacService


@dataclass
class _Child:
    eui64: Eui64
    short: int
    rx_on_when_idle: bool
    link_key: bytes  # the install-code key until the TC link key update completes
    joined: bool = False
    band: Band = Band.GHZ_2_4  # the coordinator interface it joined on


class CoordinatorSide(StackBase):
    def band_of(self, eui64: Eui64) -> Band | None:
        """The band a child joined on (coordinator), or this node's own band."""
        if eui64 == self.eui64:
            return self.radio.band
        child = self._children.get(eui64)
        return child.band if child is not None else None

    def children_on(self, band: Band) -> list[Eui64]:
        """The joined children on ``band`` (coordinator)."""
        return [c.eui64 for c in self._children.values() if c.band is band and c.joined]

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

    async def permit_joining(self, eui64: Eui64, link_key: bytes, seconds: float) -> None:
        if self.config.role != Role.COORDINATOR:
            raise RuntimeError("only the Trust Centre admits joiners")
        self.policy.permit(eui64, link_key, self.clock.now() + seconds)
        self._save()
