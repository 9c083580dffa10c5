"""The joining device side of the stack: scan, associate, wait for the network key, the Trust
Centre link key update, rejoin and leave, and a sleepy end device's polling while it waits
(R22 §3.6.1, §4.6.3.7; 802.15.4 §7.5.6.3).

The named waiters (``_expect`` / ``_resolve``) that the receive path completes live here: the
key exchanges of a join are what they exist for.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from ...codec import ieee802154 as mac
from ...codec.eui64 import Eui64
from ...codec.security import keys
from ...codec.zigbee import aps, nwk, zdo
from ...codec.zigbee.auxiliary import KeyId
from ..medium import TxStatus
from ..port import (
    DeliveryError,
    Joined,
    JoinRefused,
    KeyEstablished,
    Left,
)
from .base import StackBase
from .config import (
    ACTIVE_SCANS,
    COORDINATOR_SHORT,
    FAST_POLL,
    KEY_EXCHANGE_TRIES,
    JoinError,
    Role,
)


class JoiningDevice(StackBase):
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

    async def poll(self) -> None:
        """HanPort.poll: a joined end device polls its parent once; a router does nothing."""
        if self.config.role == Role.END_DEVICE and self.joined:
            await self._poll(COORDINATOR_SHORT)

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

    async def _poll_loop(self) -> None:
        parent = COORDINATOR_SHORT
        while True:
            await self.clock.sleep(self.config.poll_period)
            await self._poll(parent)

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

    def _fail_key_wait(self, reason: str) -> None:
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(JoinError(reason))
        self._waiters.clear()
